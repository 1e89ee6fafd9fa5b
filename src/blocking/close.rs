//! Closing a connection: checking what the application asks to send, and the close handshake
//! (RFC 6455 §7), bounded by the close timeout.

use std::net::Shutdown;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::blocking::connection::{close_frame, Connection};
use crate::deadline::deadline_after;
use crate::error::{CloseInfo, Error, Result};
use crate::state::State;
use crate::transport::classify::would_block;
use crate::transport::stream::{wait_ready, Readiness};

/// The close codes an application may send (RFC 6455 §7.4), and the reason's limit.
pub(crate) fn check_close(code: u16, reason: &str) -> Result<()> {
    if code != 1000 && !(3000..=4999).contains(&code) {
        return Err(Error::invalid(format!(
            "close code {code} is not 1000 or in 3000-4999"
        )));
    }
    if reason.len() > 123 {
        return Err(Error::invalid(format!(
            "close reason is {} bytes long; the limit is 123",
            reason.len()
        )));
    }
    Ok(())
}

impl Connection {
    pub(crate) fn close(&self, code: u16, reason: &str) {
        let deadline = deadline_after(self.close_timeout);
        self.begin_close(code, reason, deadline);
        self.end_close(deadline);
    }

    /// Marks the connection closing and sends our Close frame, waiting for room to send it
    /// until `deadline` at most (`None`: not at all, what does not go out now goes with the
    /// next read or flush).
    pub(crate) fn begin_close_nowait(&self, code: u16, reason: &str) {
        self.begin_close(code, reason, Instant::now());
    }

    fn begin_close(&self, code: u16, reason: &str, deadline: Instant) {
        let send = {
            let mut status = self.status.lock();
            let open = status.state == State::Open;
            if open {
                status.state = State::Closing;
                self.open.store(false, Ordering::Release);
                status.close = Some(CloseInfo {
                    code,
                    reason: reason.to_owned(),
                });
            }
            open
        };
        if send {
            log::debug!("{}: closing with {code}", self.label);
            let result = self.ws().close(Some(close_frame(code, reason)));
            // Our Close frame goes out now, even while a reader waits for data with its turn
            // held: the peer answers only once it has it.
            let sent = match result {
                Ok(()) => Ok(true),
                Err(e) if would_block(&e) => {
                    self.flush_out(deadline.saturating_duration_since(Instant::now()), false)
                }
                Err(e) => Err(e),
            };
            if let Err(e) = sent {
                log::debug!("{}: could not send Close: {e}", self.label);
            }
        }
    }

    /// Finishes the close handshake begun by [`begin_close`](Self::begin_close) within
    /// `deadline`, then ends the TCP connection. Returns whether the peer answered our Close.
    pub(crate) fn end_close(&self, deadline: Instant) -> bool {
        let answered = self.finish_close(deadline);
        let _ = self.tcp.tcp().shutdown(Shutdown::Both);
        {
            let mut status = self.status.lock();
            status.state = State::Closed;
            self.open.store(false, Ordering::Release);
        }
        log::debug!("{}: closed", self.label);
        answered
    }

    /// The close timeout passed while a worker waited for the peer's Close: the connection is
    /// cut, which wakes the worker (see [`crate::worker::background`]).
    pub(crate) fn cut_close(&self) {
        if self.status.lock().state == State::Closed {
            // The handshake ended meanwhile.
            return;
        }
        log::debug!("{}: close handshake timed out", self.label);
        let _ = self.tcp.tcp().shutdown(Shutdown::Both);
    }

    /// The connection is closed (its close handshake ended).
    pub(crate) fn is_closed(&self) -> bool {
        self.status.lock().state == State::Closed
    }

    /// Drives the close handshake: sends what is queued and reads (dropping data) until the
    /// peer's Close has come, then gives the server a moment to end the TCP connection first
    /// (RFC 6455 §7.1.1), all within the deadline.
    fn finish_close(&self, deadline: Instant) -> bool {
        // A blocked reader wakes on the peer's answer, sees the socket closing and gives its
        // turn; if it does not in time, shutting the socket down wakes it.
        let Some(_turn) = self.read_turn.try_lock_until(deadline) else {
            log::debug!("{}: close handshake timed out", self.label);
            return false;
        };
        let mut deadline = deadline;
        let mut answered = false;
        loop {
            let (output_pending, can_read, result) = {
                let mut ws = self.ws();
                let (pending, result) = match ws.flush() {
                    Ok(()) => (false, ws.read()),
                    Err(e) if would_block(&e) => (true, ws.read()),
                    Err(e) => (false, Err(e)),
                };
                (pending, ws.can_read(), result)
            };
            let readiness = match result {
                Ok(_) => None, // data after our Close: dropped, as the caller asked to close
                Err(e) if would_block(&e) && output_pending => Some(Readiness::Either),
                Err(e) if would_block(&e) => Some(Readiness::Readable),
                // ConnectionClosed, or the connection is gone (or was cut) anyway.
                Err(_) => return answered || self.status.lock().peer_closed,
            };
            if !can_read && !answered {
                // Both Close frames are through: wait briefly for the server's TCP close.
                answered = true;
                deadline = deadline.min(deadline_after(TCP_CLOSE_GRACE));
            }
            if Instant::now() >= deadline {
                if !answered {
                    log::debug!("{}: close handshake timed out", self.label);
                }
                return answered;
            }
            if let Some(readiness) = readiness {
                if !matches!(
                    wait_ready(self.tcp.tcp(), readiness, Some(deadline)),
                    Ok(true)
                ) {
                    return answered;
                }
            }
        }
    }
}

/// How long the client waits for the server to end the TCP connection once both Close frames
/// have passed, before it ends it itself.
const TCP_CLOSE_GRACE: Duration = Duration::from_millis(200);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_codes_and_reasons_are_checked() {
        assert!(check_close(1000, "").is_ok());
        assert!(check_close(3000, "x").is_ok());
        assert!(check_close(4999, &"r".repeat(123)).is_ok());
        for code in [0, 999, 1001, 1005, 1006, 2999, 5000] {
            assert!(check_close(code, "").is_err(), "{code}");
        }
        assert!(check_close(1000, &"r".repeat(124)).is_err());
    }

    #[test]
    fn close_reasons_are_cut_at_a_character_boundary() {
        let long = "é".repeat(100); // 200 bytes
        let frame = close_frame(1000, &long);
        assert_eq!(frame.reason.len(), 122);
    }
}
