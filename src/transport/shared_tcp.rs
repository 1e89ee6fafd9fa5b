//! The TCP socket of a connection, shared by the engine, the readers' waits and the close.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Instant;

/// A TCP socket that the protocol engine reads and writes while the connection also polls and
/// shuts it down: one descriptor, shared (`&TcpStream` reads and writes as well as a
/// `TcpStream`), rather than a duplicate per connection.
///
/// During the connect it carries the connect deadline and arms what is left of it before every
/// read and write: a server that answers one byte at a time cannot stretch the connect past its
/// deadline. A read or write after the deadline fails with `WouldBlock`, which each phase
/// reports as its timeout.
#[derive(Debug, Clone)]
pub(crate) struct SharedTcp {
    tcp: Arc<TcpStream>,
    deadline: Option<Instant>,
    /// The first bytes read, kept while a TLS handshake runs: the server's hello says which
    /// TLS version it chose, which the TLS library does not tell, and its alert why it
    /// refused. Shared with the handshake, which loses the stream when it fails.
    first_bytes: Option<FirstBytes>,
}

/// The server's first bytes, as [`SharedTcp::keep_first_bytes`] keeps them.
pub(crate) type FirstBytes = Arc<parking_lot::Mutex<Vec<u8>>>;

/// How many of the server's first bytes [`SharedTcp::keep_first_bytes`] keeps.
const FIRST_BYTES: usize = 1024;

impl SharedTcp {
    /// A socket whose reads and writes must end by `deadline`.
    pub(crate) fn with_deadline(tcp: TcpStream, deadline: Instant) -> SharedTcp {
        SharedTcp {
            tcp: Arc::new(tcp),
            deadline: Some(deadline),
            first_bytes: None,
        }
    }

    /// Keeps the first bytes read from now on (up to 1 KiB), for a TLS handshake, in what it
    /// returns.
    pub(crate) fn keep_first_bytes(&mut self) -> FirstBytes {
        let kept = FirstBytes::default();
        self.first_bytes = Some(Arc::clone(&kept));
        kept
    }

    /// Stops keeping the first bytes.
    pub(crate) fn stop_keeping_first_bytes(&mut self) {
        self.first_bytes = None;
    }

    /// Ends the connect: the socket becomes non-blocking, and reads and writes are no longer
    /// bounded by the connect's deadline. (The socket timeouts armed for it stay set: a
    /// non-blocking socket never waits, so they no longer apply.)
    pub(crate) fn go_nonblocking(&mut self) -> io::Result<()> {
        self.deadline = None;
        self.tcp.set_nonblocking(true)
    }

    pub(crate) fn tcp(&self) -> &TcpStream {
        &self.tcp
    }

    /// The socket itself, shared: for a thread that may cut the connect short.
    pub(crate) fn handle(&self) -> &Arc<TcpStream> {
        &self.tcp
    }

    /// Arms the socket's read or write timeout with what is left of the deadline.
    fn arm(&self, read: bool) -> io::Result<()> {
        let Some(deadline) = self.deadline else {
            return Ok(());
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        if read {
            self.tcp.set_read_timeout(Some(left))
        } else {
            self.tcp.set_write_timeout(Some(left))
        }
    }
}

impl Read for SharedTcp {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm(true)?;
        let n = (&*self.tcp).read(buf)?;
        if let Some(kept) = &self.first_bytes {
            let mut kept = kept.lock();
            let room = FIRST_BYTES.saturating_sub(kept.len());
            kept.extend_from_slice(&buf[..n.min(room)]);
        }
        Ok(n)
    }
}

impl Write for SharedTcp {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.arm(false)?;
        (&*self.tcp).write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        (&*self.tcp).flush()
    }
}
