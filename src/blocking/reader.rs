//! The read path of a connection: one reader at a time takes its turn, reads ahead what has
//! arrived under one lock of the engine, and waits for more in poll(2) with the engine
//! unlocked, so that writers and closers are never held up by a waiting reader.

use std::sync::atomic::Ordering;
use std::time::Instant;

use tungstenite::protocol::CloseFrame;
use tungstenite::WebSocket;

use crate::blocking::connection::{Connection, ReadAhead};
use crate::blocking::event_queue::EventQueue;
use crate::blocking::wait::{IdleWait, Wait};
use crate::deadline::later;
use crate::error::{Error, Result, Timeout};
use crate::settings::reconnect::is_retryable;
use crate::transport::classify::{self, would_block, ReadFailure};
use crate::transport::stream::{wait_ready, Readiness, Stream};

/// One lock of the engine reads ahead until this many bytes of messages were read under it
/// (or [`READ_AHEAD`] frames, or nothing more has arrived): a fast sender's small messages cost
/// one lock for many, and writers, `info` and the background thread, which wait for the lock,
/// wait at most this much work plus one message.
pub(crate) const READ_AHEAD_BYTES: usize = 32 * 1024;

/// The most frames one lock of the engine reads ahead (pings count: a flood of them must not
/// hold the lock either).
const READ_AHEAD: usize = 64;

/// A gathering reader (a worker) hands over once this many bytes of messages wait: the copy it
/// hands over then stays small enough to be cheap to allocate and to stay in the processor's
/// cache, and a batch of large messages holds at most this plus one.
pub(crate) const GATHER_BYTES: usize = 32 * 1024;

/// How much one read may keep read ahead in its turn's queue.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    /// While more keep arriving, a read reads on until this many messages wait...
    pub(crate) messages: usize,
    /// ...or this many bytes of messages. No read-ahead starts once they wait, so the queue
    /// holds at most this plus one message (the one that crossed it).
    pub(crate) bytes: usize,
}

impl Budget {
    /// A read that returns one message and keeps what one lock read ahead for the next reads.
    pub(crate) const ONE: Budget = Budget {
        messages: 1,
        bytes: READ_AHEAD_BYTES,
    };

    /// A worker's read: gathers up to `messages` messages, and [`GATHER_BYTES`] bytes.
    pub(crate) fn gather(messages: usize) -> Budget {
        Budget {
            messages,
            bytes: GATHER_BYTES,
        }
    }
}

impl Connection {
    /// Waits for messages as `wait` allows, then returns what `take` takes of those read
    /// ahead. While more keep arriving, reads on until `budget` is reached, releasing the
    /// engine between read-aheads so that writers get their turn. Returns `None` when nothing
    /// has arrived (only for [`Wait::No`]), and when `take` leaves the queue as it is and the
    /// queue fills the budget: nothing more may be read until a reader takes messages.
    pub(crate) fn read<T>(
        &self,
        wait: Wait,
        budget: Budget,
        mut take: impl FnMut(&mut EventQueue) -> Option<T>,
    ) -> Result<Option<T>> {
        let mut turn = match wait {
            Wait::Forever => self.read_turn.lock(),
            Wait::Until(deadline) => self
                .read_turn
                .try_lock_until(deadline)
                .ok_or(Error::Timeout(Timeout::Read))?,
            Wait::No => match self.read_turn.try_lock() {
                Some(turn) => turn,
                // Another thread reads (or closes): nothing for us now, unless it is over.
                None => return self.closed_error().map_or(Ok(None), Err),
            },
        };
        let mut idle = IdleWait::new(wait);
        let mut gathering = false;
        loop {
            // `take` has seen the queue as it is now: what it left there is not for it.
            let offered = !gathering;
            if offered {
                // What was read ahead comes first, then the error that stopped the reading.
                if let Some(taken) = take(&mut turn.messages) {
                    return Ok(Some(taken));
                }
                if let Some(error) = turn.stop.take() {
                    return Err(error);
                }
                if let Some(failure) = turn.failure.take() {
                    // `read_error` locks `ws` itself.
                    return Err(self.read_error(failure));
                }
                if let Some(error) = self.closed_error() {
                    return Err(error);
                }
                if turn.messages.message_bytes() >= budget.bytes {
                    return Ok(None);
                }
            }
            let wait_first = std::mem::take(&mut turn.drained) && !matches!(wait, Wait::No);
            if wait_first && !self.wait_readable(&mut turn, &mut idle)? {
                return Err(Error::Timeout(Timeout::Read));
            }
            let (filled, failure, stalled_since) = {
                let mut ws = self.ws();
                if let Wait::No = wait {
                    // "Has anything arrived?" is answered by the socket itself.
                    ws.get_mut().forget_drained();
                }
                let (filled, failure) = self.read_ahead(&mut ws, &mut turn, budget.bytes);
                (filled, failure, ws.get_ref().write_stalled_since)
            };
            if stalled_since.is_some_and(|since| since.elapsed() >= self.write_timeout) {
                // The peer sends (pings, say) but takes nothing: what we owe it (pongs, close
                // replies) cannot go out, and waits in a bounded buffer. Fail rather than
                // hold it forever; what was read before is still returned first.
                self.abort("the peer stopped reading: nothing could be sent for the write timeout");
                turn.stop.get_or_insert(Error::Timeout(Timeout::Write));
                gathering = false;
                continue;
            }
            // A full read-ahead (no stop, nothing would block) means more may be waiting.
            gathering = filled
                && failure.is_none()
                && turn.stop.is_none()
                && turn.messages.len() < budget.messages
                && turn.messages.message_bytes() < budget.bytes;
            match failure {
                Some(e) if !would_block(&e) => turn.failure = Some(e),
                // Nothing more has arrived: hand over what is queued (a gathering read may
                // hold messages from earlier read-aheads) before waiting for more.
                Some(_) if filled || !turn.messages.is_empty() => turn.drained = true,
                Some(_) => {
                    if let Wait::No = wait {
                        IdleWait::empty_handed(&mut turn.messages);
                        return Ok(None);
                    }
                    if !self.wait_readable(&mut turn, &mut idle)? {
                        return Err(Error::Timeout(Timeout::Read));
                    }
                }
                // Only pings and pongs came: a stream of them must not hold a read past its
                // deadline (messages gathered before them are offered to `take` first).
                None if !filled
                    && (offered || turn.messages.is_empty())
                    && wait.deadline().is_some_and(|d| Instant::now() >= d) =>
                {
                    return Err(Error::Timeout(Timeout::Read));
                }
                None => {}
            }
        }
    }

    /// Waits until the socket is readable (true) or the reader's deadline passes (false), with
    /// the read turn held, following the idle policy of [`IdleWait`].
    fn wait_readable(&self, turn: &mut ReadAhead, idle: &mut IdleWait) -> Result<bool> {
        loop {
            let until = idle.until(&turn.messages);
            // Output the peer has not taken yet (queued writes, pongs) goes out as it makes
            // room, while we wait for input; and once it has waited the write timeout, the
            // read path fails the connection, so the wait ends then too.
            let stalled_since = self.ws().get_ref().write_stalled_since;
            let (readiness, until) = match stalled_since {
                Some(since) => {
                    let give_up = later(since, self.write_timeout);
                    (
                        Readiness::Either,
                        Some(until.map_or(give_up, |u| u.min(give_up))),
                    )
                }
                None => (Readiness::Readable, until),
            };
            let ready = wait_ready(self.tcp.tcp(), readiness, until).map_err(Error::Io)?;
            if let Some(since) = stalled_since {
                // Errors show on the next read or write.
                let _ = self.ws().flush();
                if since.elapsed() >= self.write_timeout {
                    // Back to the read loop, which fails the connection.
                    return Ok(true);
                }
            }
            if ready {
                return Ok(true);
            }
            if idle.nothing_came(&mut turn.messages) {
                return Ok(false);
            }
        }
    }

    /// Reads what has arrived into the reader's queue under one lock of `ws`, until
    /// [`READ_AHEAD`] frames or [`READ_AHEAD_BYTES`] bytes of messages were read, or the queue
    /// holds `budget` bytes of messages: a fast sender's small messages then cost one lock for
    /// many. Returns whether anything was queued (or the turn was given a closed error), and
    /// the tungstenite error that stopped the reading, if any (`WouldBlock` when nothing more
    /// has arrived).
    fn read_ahead(
        &self,
        ws: &mut WebSocket<Stream>,
        turn: &mut ReadAhead,
        budget: usize,
    ) -> (bool, Option<tungstenite::Error>) {
        let before = turn.messages.len();
        let bytes_before = turn.messages.message_bytes();
        let mut outcome = (false, None);
        for _ in 0..READ_AHEAD {
            let queued = turn.messages.message_bytes();
            if queued >= budget || queued - bytes_before >= READ_AHEAD_BYTES {
                break;
            }
            match ws.read() {
                Ok(tungstenite::Message::Close(frame)) => {
                    // Recorded before `ws` is released: a writer that then fails to send must
                    // find the peer's code, not make one up.
                    turn.stop = Some(self.peer_closed(ws, frame.as_ref()));
                    outcome = (true, None);
                    break;
                }
                Ok(tungstenite::Message::Pong(payload)) => self.pings.pong(&payload),
                Ok(frame) => {
                    let len = frame.len();
                    if turn.messages.push_frame(frame) {
                        log::trace!("{}: received {len} bytes", self.label);
                    }
                    // A ping or pong: the next read flushes the queued pong.
                }
                Err(e) => {
                    outcome.1 = Some(e);
                    break;
                }
            }
        }
        let read = turn.messages.len() - before;
        self.messages_received
            .fetch_add(read as u64, Ordering::Relaxed);
        (outcome.0 || read > 0, outcome.1)
    }

    /// The peer sent Close: tungstenite queued our answer; send it without waiting (what does
    /// not go out now goes with the next read, write or `close`).
    fn peer_closed(&self, ws: &mut WebSocket<Stream>, frame: Option<&CloseFrame>) -> Error {
        if let Err(e) = ws.flush() {
            if !would_block(&e) {
                log::debug!("{}: could not answer the Close frame: {e}", self.label);
            }
        }
        let close = classify::peer_close(frame.map(|f| (u16::from(f.code), f.reason.as_str())));
        self.status.lock().peer_closed = true;
        let closed = self.mark_closed(close.code, close.reason);
        close.violation.unwrap_or(closed)
    }

    /// Applies what a failed read means: the connection is marked closed, or failed with the
    /// close code the violation calls for; returns the error to report.
    fn read_error(&self, error: tungstenite::Error) -> Error {
        match classify::read(error, self.limits) {
            ReadFailure::Closed => self
                .closed_error()
                .unwrap_or_else(|| self.mark_closed(1006, "connection closed".into())),
            ReadFailure::Lost { reason, report } => {
                let closed = self.mark_closed(1006, reason);
                if report.as_ref().is_some_and(|error| !is_retryable(error)) {
                    self.status.lock().ended_for_good = true;
                }
                report.unwrap_or(closed)
            }
            ReadFailure::Violation {
                code,
                reason,
                error,
            } => {
                self.fail(code, &reason);
                error
            }
        }
    }
}
