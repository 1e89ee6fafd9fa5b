//! Cutting a connect short: `socket_close` during a connect must not wait for the server to
//! answer, or for the connect timeout.
//!
//! The connect's phases wait in blocking reads and writes on its TCP socket; shutting that
//! socket down from another thread ends them at once. Between phases (before DNS, before the
//! TCP connect) the connect looks at the flag. A DNS lookup or a TCP connect already under way
//! still runs to its end, within the connect timeout.

use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::error::{Error, Result};

/// What a connect in progress can be cut through: a flag, and the TCP socket once there is
/// one. One per socket: once cut, every later connect of the socket is refused at its start.
#[derive(Debug, Default)]
pub(crate) struct ConnectCancel {
    cancelled: AtomicBool,
    tcp: Mutex<Option<Arc<TcpStream>>>,
}

impl ConnectCancel {
    /// Cuts the connect in progress, if any, and every later one.
    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        if let Some(tcp) = self.tcp.lock().as_ref() {
            let _ = tcp.shutdown(Shutdown::Both);
        }
    }

    /// Fails once the connect has been cut.
    pub(crate) fn check(&self) -> Result<()> {
        if self.cancelled.load(Ordering::SeqCst) {
            return Err(Error::closed(
                1000,
                "socket_close was called while connecting",
            ));
        }
        Ok(())
    }

    /// Keeps `tcp` to shut down on [`cancel`](Self::cancel); fails (and shuts it down) when
    /// the cut came first. The flag is read after the socket is stored, and `cancel` sets it
    /// before it looks: one of the two sees the other.
    pub(crate) fn watch(&self, tcp: &Arc<TcpStream>) -> Result<()> {
        *self.tcp.lock() = Some(Arc::clone(tcp));
        let checked = self.check();
        if checked.is_err() {
            let _ = tcp.shutdown(Shutdown::Both);
        }
        checked
    }

    /// The connect is over: its socket is no longer ours to cut (nor to keep open).
    pub(crate) fn forget(&self) {
        *self.tcp.lock() = None;
    }
}
