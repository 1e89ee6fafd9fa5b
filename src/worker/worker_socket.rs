//! The connection of a socket run by a worker: the blocking [`Socket`] plus what only the worker
//! layer does with it. Reads are batched for hand-over, protocol violations wait until the
//! application has taken what came before them, output that the peer does not take at once is
//! queued and sent by the background thread, and a close does not wait for its answer.

use std::ops::Deref;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::blocking::event_queue::EventQueue;
use crate::blocking::reader::Budget;
use crate::blocking::socket::{Socket, PING_SLICE};
use crate::blocking::wait::Wait;
use crate::deadline::deadline_after;
use crate::error::{CloseInfo, Error, Result, Timeout};
use crate::message::Message;
use crate::worker::background;

/// A socket whose only reader is its worker thread.
#[derive(Clone, Debug)]
pub(crate) struct WorkerSocket {
    socket: Socket,
}

/// What a worker-run socket shares with a blocking one: state, info, protocol, close.
impl Deref for WorkerSocket {
    type Target = Socket;

    fn deref(&self) -> &Socket {
        &self.socket
    }
}

impl WorkerSocket {
    /// Takes an open connection for a worker.
    pub(crate) fn new(socket: Socket) -> WorkerSocket {
        WorkerSocket { socket }
    }

    /// Sends one message without waiting for the network: what the socket does not take at
    /// once is queued (bounded by the write buffer) and sent from the background thread.
    pub(crate) fn write(&self, message: Message) -> Result<()> {
        self.socket.conn.write(message)?;
        self.flush_in_background_if_waiting();
        Ok(())
    }

    /// As [`read_wait`](Self::read_wait), but returns every message read ahead at once, as
    /// queued events, gathering up to `gather` of them (and [`Budget::gather`]'s bytes) while
    /// more keep arriving; for a worker, which hands them over in one go.
    pub(crate) fn read_batch(&self, wait: Wait, gather: usize) -> Result<Option<EventQueue>> {
        self.socket
            .conn
            .read(wait, Budget::gather(gather), |messages| {
                (!messages.is_empty()).then(|| messages.take_copy())
            })
    }

    /// Sends a keepalive ping, for a worker; its answer shows in the round trip of the info.
    /// A broken connection shows on the next read.
    pub(crate) fn keepalive_ping(&self) {
        if let Err(e) = self.socket.conn.send_ping() {
            log::debug!("{}: could not send a ping: {e}", self.socket.conn.label);
        }
    }

    /// Sends a ping and waits for its answer, at most `timeout`, while another thread (a
    /// worker) reads the connection; returns the round trip.
    pub(crate) fn ping_read_by_another(&self, timeout: Duration) -> Result<Duration> {
        let deadline = deadline_after(timeout);
        let (number, sent) = self.socket.conn.send_ping()?;
        self.flush_in_background_if_waiting();
        loop {
            let slice = deadline.min(deadline_after(PING_SLICE));
            if let Some(round_trip) = self.socket.conn.pings.wait(number, sent, slice) {
                return Ok(round_trip);
            }
            if let Some(error) = self.socket.conn.closed_error() {
                return Err(error);
            }
            if Instant::now() >= deadline {
                return Err(Error::Timeout(Timeout::Pong));
            }
        }
    }

    /// When the last byte arrived from the peer (the handshake counts).
    pub(crate) fn last_received(&self) -> Instant {
        self.socket.conn.ws().get_ref().last_received
    }

    /// Ends the connection at once, without a close handshake, for a dead peer.
    pub(crate) fn abort(&self, reason: &str) {
        self.socket.conn.abort(reason);
    }

    /// Makes protocol violations wait for [`fail_deferred`](Self::fail_deferred) before the
    /// connection is failed; for a worker that reads ahead of the application.
    pub(crate) fn defer_failures(&self) {
        self.socket
            .conn
            .defer_failures
            .store(true, Ordering::SeqCst);
    }

    /// Makes writes that the socket does not take at once wait in the engine's bounded write
    /// buffer instead of blocking the writer; for an asynchronous socket, whose worker sends
    /// them.
    pub(crate) fn queue_writes(&self) {
        self.socket.conn.queue_writes.store(true, Ordering::SeqCst);
    }

    /// The close code of the failure owed for a violation reported earlier, if one is.
    pub(crate) fn owed_failure_code(&self) -> Option<u16> {
        let status = self.socket.conn.status.lock();
        status.pending_failure.as_ref().map(|owed| owed.code)
    }

    /// Fails the connection for a violation reported earlier, if one is owed.
    pub(crate) fn fail_deferred(&self) {
        let owed = self.socket.conn.status.lock().pending_failure.take();
        if let Some(info) = owed {
            self.socket.conn.fail_now(info.code, &info.reason);
        }
    }

    /// Starts closing for an asynchronous socket, without waiting: sends our Close frame and
    /// returns; the worker finishes the handshake (`end_close_on_worker`), and the close timer
    /// cuts the connection if the peer has not answered by the close timeout.
    pub(crate) fn begin_close_for_worker(&self, code: u16, reason: &str) {
        self.socket.conn.begin_close_nowait(code, reason);
        self.flush_in_background_if_waiting();
        background::cut_close_at(
            deadline_after(self.socket.conn.close_timeout),
            &self.socket.conn,
        );
    }

    /// What the socket did not take at once goes out from the background thread: the worker
    /// may be asleep waiting for input.
    fn flush_in_background_if_waiting(&self) {
        if self.socket.conn.output_waits() {
            background::flush(&self.socket.conn);
        }
    }

    /// On the worker: finishes a close begun by `begin_close_for_worker`, and says how it
    /// ended: our code and reason, or 1006 when the peer did not answer in time.
    pub(crate) fn end_close_on_worker(&self) -> CloseInfo {
        let answered = self
            .socket
            .conn
            .end_close(deadline_after(self.socket.conn.close_timeout));
        background::settled();
        if answered {
            self.close_info()
        } else {
            CloseInfo::abnormal("the server did not answer our Close within the close timeout")
        }
    }

    /// Why the connection ended (1006 when it has not, or ended without a known cause).
    pub(crate) fn close_info(&self) -> CloseInfo {
        self.socket
            .conn
            .status
            .lock()
            .close
            .clone()
            .unwrap_or_else(|| CloseInfo::abnormal("connection closed"))
    }

    /// The connection was cut because its queued output stalled for the write timeout.
    pub(crate) fn output_timed_out(&self) -> bool {
        self.socket.conn.status.lock().output_timed_out
    }

    /// The connection ended (or failed) for a reason that a new attempt would not cure.
    pub(crate) fn ended_for_good(&self) -> bool {
        self.socket.conn.status.lock().ended_for_good
    }
}
