//! One connection as the handles share it: its engine, its state, and the write path. The read
//! path is in [`crate::blocking::reader`], the close handshake in [`crate::blocking::close`].
//!
//! # Lock discipline
//! The socket runs in non-blocking mode. `ws` (the protocol engine) is locked only around
//! calls that cannot block: a thread that must wait for the network releases it and waits in
//! poll(2) on `tcp`, the same socket, shared. So a reader waiting for a message
//! never delays a writer, and a writer waiting for the peer to read never delays a reader.
//! `read_turn` lets one reader at a time wait for data (two readers would race for one
//! message) and holds the messages it read ahead; it is the only lock held while waiting, and
//! only other readers and `close` queue on it. `status` is a leaf lock, never held while
//! taking another.

use std::io;
use std::net::Shutdown;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;
use tungstenite::WebSocket;
use url::Url;

use crate::blocking::event_queue::EventQueue;
use crate::blocking::ping::Pings;
use crate::deadline::deadline_after;
use crate::deflate::{codec::Compressor, send};
use crate::error::{CloseInfo, Error, Result, Timeout};
use crate::message::Message;
use crate::settings::options::ConnectOptions;
use crate::settings::options::Limits;
use crate::state::State;
use crate::tls_version::TlsVersion;
use crate::transport::classify::{self, would_block, WriteFailure};
use crate::transport::connect::Established;
use crate::transport::shared_tcp::SharedTcp;
use crate::transport::stream::{wait_ready, Readiness, Stream};

pub(crate) struct Connection {
    pub(crate) ws: Mutex<WebSocket<Stream>>,
    /// The reader's turn, and what it read ahead.
    pub(crate) read_turn: Mutex<ReadAhead>,
    pub(crate) status: Mutex<Status>,
    /// `status.state` is still `Open`: set under the status lock, read without it, so that
    /// every write and read does not take the lock just to learn that nothing happened.
    pub(crate) open: AtomicBool,
    /// The same TCP socket as inside `ws`: polled and shut down without locking `ws`.
    pub(crate) tcp: SharedTcp,
    pub(crate) url: Url,
    /// What log lines call the connection: its socket's name, or its URL for a bare handle.
    pub(crate) label: String,
    pub(crate) protocol: Option<String>,
    pub(crate) response_headers: Vec<(String, String)>,
    pub(crate) connected_at: Instant,
    pub(crate) peer_addr: Option<SocketAddr>,
    pub(crate) local_addr: Option<SocketAddr>,
    pub(crate) tls_version: Option<TlsVersion>,
    /// Pings sent and their answers.
    pub(crate) pings: Pings,
    pub(crate) messages_sent: AtomicU64,
    pub(crate) messages_received: AtomicU64,
    /// Set for asynchronous sockets, whose worker reads ahead of the application: a protocol
    /// violation is reported at once, but the connection is failed only when the worker says
    /// so, once the application has handled the messages that came before it.
    pub(crate) defer_failures: AtomicBool,
    /// Set for asynchronous sockets, whose writers (a GUI's thread) must not wait on the
    /// network: a frame that the socket does not take at once waits in the engine's write
    /// buffer (bounded by `max_write_buffer_size`), and the worker sends it when it can.
    pub(crate) queue_writes: AtomicBool,
    pub(crate) write_timeout: Duration,
    pub(crate) close_timeout: Duration,
    pub(crate) limits: Limits,
    /// permessage-deflate, when agreed: what was agreed, and our compressor. A writer holds
    /// the compressor's lock until its frame is queued in the engine, so frames go out in
    /// the order their context was built; it is taken before `ws`, never after.
    pub(crate) deflate: Option<Deflate>,
}

/// The write side of an agreed permessage-deflate.
pub(crate) struct Deflate {
    /// The agreed parameters, as `ConnectionInfo::extensions` shows them.
    pub(crate) agreed: String,
    pub(crate) compressor: Mutex<Compressor>,
}

pub(crate) struct Status {
    pub(crate) state: State,
    /// Why the connection ended, or is ending.
    pub(crate) close: Option<CloseInfo>,
    /// With deferred failures: the Close frame owed for a violation already reported.
    pub(crate) pending_failure: Option<CloseInfo>,
    /// The connection ended for a reason that trying again would not cure (a TLS failure).
    pub(crate) ended_for_good: bool,
    /// The peer's Close frame came (an answer to ours, when we closed first).
    pub(crate) peer_closed: bool,
    /// The connection was cut because queued output made no progress for the write timeout:
    /// whoever reports the end reports `Timeout(Write)`.
    pub(crate) output_timed_out: bool,
}

/// Messages read from the engine but not returned yet, and what came after them.
#[derive(Default)]
pub(crate) struct ReadAhead {
    pub(crate) messages: EventQueue,
    /// The peer's Close, already answered.
    pub(crate) stop: Option<Error>,
    /// A failure not acted on yet: the connection is failed (Close 1002, 1007, 1009) only when
    /// the reader reaches it, so the application can answer the messages before it first.
    pub(crate) failure: Option<tungstenite::Error>,
    /// The last read-ahead found the socket drained: the next waiting read waits for data
    /// first, rather than ask the socket again only to hear "nothing yet".
    pub(crate) drained: bool,
}

impl Connection {
    pub(crate) fn new(
        established: Established,
        options: &ConnectOptions,
        label: &str,
    ) -> Connection {
        let Established {
            ws,
            url,
            protocol,
            response_headers,
            peer_addr,
            local_addr,
            tls_version,
            deflate,
        } = established;
        let deflate = deflate
            .zip(options.compression.as_ref())
            .map(|(agreed, compression)| Deflate {
                agreed: agreed.to_string(),
                compressor: Mutex::new(Compressor::for_client(&agreed, compression)),
            });
        let tcp = ws.get_ref().shared().clone();
        Connection {
            ws: Mutex::new(ws),
            read_turn: Mutex::new(ReadAhead::default()),
            status: Mutex::new(Status {
                state: State::Open,
                close: None,
                pending_failure: None,
                ended_for_good: false,
                peer_closed: false,
                output_timed_out: false,
            }),
            open: AtomicBool::new(true),
            defer_failures: AtomicBool::new(false),
            queue_writes: AtomicBool::new(false),
            tcp,
            url,
            label: label.to_owned(),
            protocol,
            response_headers,
            connected_at: Instant::now(),
            peer_addr,
            local_addr,
            tls_version,
            pings: Pings::default(),
            messages_sent: AtomicU64::new(0),
            messages_received: AtomicU64::new(0),
            write_timeout: options.write_timeout,
            close_timeout: options.close_timeout,
            limits: options.limits(),
            deflate,
        }
    }

    pub(crate) fn ws(&self) -> MutexGuard<'_, WebSocket<Stream>> {
        self.ws.lock()
    }

    /// The error to report once the connection is no longer open.
    pub(crate) fn closed_error(&self) -> Option<Error> {
        if self.open.load(Ordering::Acquire) {
            return None;
        }
        let status = self.status.lock();
        match status.state {
            State::Open => None,
            State::Connecting | State::Reconnecting => Some(Error::NotOpen(status.state)),
            State::Closing | State::Closed => Some(Error::Closed(Box::new(
                status
                    .close
                    .clone()
                    .unwrap_or_else(|| CloseInfo::abnormal("connection closed")),
            ))),
        }
    }

    /// Records that the connection ended (the first cause wins) and returns the closed error.
    pub(crate) fn mark_closed(&self, code: u16, reason: String) -> Error {
        let mut status = self.status.lock();
        if status.state != State::Closing {
            status.state = State::Closed;
        }
        self.open.store(false, Ordering::Release);
        let info = status.close.get_or_insert(CloseInfo { code, reason });
        log::debug!("{}: {}", self.label, info);
        Error::Closed(Box::new(info.clone()))
    }

    /// Fails the connection as RFC 6455 §7.1.7 says: sends a Close frame with `code` and marks
    /// the socket closed; `close` later waits for the peer's answer. With deferred failures,
    /// only notes what is owed, for [`Socket::fail_deferred`].
    pub(crate) fn fail(&self, code: u16, reason: &str) {
        if self.defer_failures.load(Ordering::SeqCst) {
            let mut status = self.status.lock();
            status.pending_failure.get_or_insert(CloseInfo {
                code,
                reason: reason.to_owned(),
            });
            return;
        }
        self.fail_now(code, reason);
    }

    pub(crate) fn fail_now(&self, code: u16, reason: &str) {
        log::debug!(
            "{}: failing the connection with {code}: {reason}",
            self.label
        );
        if let Err(e) = self.ws().close(Some(close_frame(code, reason))) {
            if !would_block(&e) {
                log::debug!("{}: could not send Close {code}: {e}", self.label);
            }
        }
        self.mark_closed(code, reason.to_owned());
    }

    pub(crate) fn write(&self, message: Message) -> Result<()> {
        if let Some(error) = self.closed_error() {
            return Err(error);
        }
        log::trace!("{}: sending {} bytes", self.label, message.len());
        let result = {
            let mut compressor = self.deflate.as_ref().map(|d| d.compressor.lock());
            let frame = match compressor.as_deref_mut() {
                Some(compressor) => send::encode(compressor, message),
                None => message.into_frame(),
            };
            let mut ws = self.ws();
            let result = ws.send(frame);
            if let (Some(compressor), Err(e)) = (compressor.as_deref_mut(), &result) {
                if !would_block(e) {
                    // The frame may not have been queued: the next one must not refer to it.
                    compressor.forget_context();
                }
            }
            match ws.get_ref().write_failure {
                Some(kind) => return Err(self.peer_gone(kind)),
                None => result,
            }
        };
        let sent = match result {
            Ok(()) => Ok(()),
            // Queued: the worker sends the rest as the peer takes it.
            Err(e) if would_block(&e) && self.queue_writes.load(Ordering::Relaxed) => Ok(()),
            Err(e) if would_block(&e) => match self.flush_out(self.write_timeout, true) {
                Ok(true) => Ok(()),
                Ok(false) => {
                    // A half-sent frame cannot be taken back: the connection is unusable.
                    self.abort("write timed out: the peer stopped reading");
                    Err(Error::Timeout(Timeout::Write))
                }
                Err(e) => Err(self.write_error(e)),
            },
            Err(e) => Err(self.write_error(e)),
        };
        if sent.is_ok() {
            self.messages_sent.fetch_add(1, Ordering::Relaxed);
        }
        sent
    }

    /// Pushes out what tungstenite has queued, waiting for the peer to make room. With
    /// `on_progress`, the timeout starts again whenever a byte goes out, so only a peer that
    /// stopped reading times out. Returns `Ok(false)` on timeout.
    pub(crate) fn flush_out(
        &self,
        timeout: Duration,
        on_progress: bool,
    ) -> tungstenite::Result<bool> {
        let mut deadline = deadline_after(timeout);
        let mut sent = self.ws().get_ref().bytes_out;
        loop {
            if !wait_ready(self.tcp.tcp(), Readiness::Writable, Some(deadline))? {
                return Ok(false);
            }
            let (result, now_sent) = {
                let mut ws = self.ws();
                let result = ws.flush();
                if let Some(kind) = ws.get_ref().write_failure {
                    return Err(tungstenite::Error::Io(kind.into()));
                }
                (result, ws.get_ref().bytes_out)
            };
            match result {
                Ok(()) => return Ok(true),
                Err(e) if would_block(&e) => {
                    if on_progress && now_sent > sent {
                        sent = now_sent;
                        deadline = deadline_after(timeout);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The error for a write to a peer that is gone: its close code if a reader saw one.
    fn peer_gone(&self, kind: io::ErrorKind) -> Error {
        self.closed_error()
            .unwrap_or_else(|| Error::lost(classify::peer_gone(kind, &io::Error::from(kind))))
    }

    /// A failed write fails writes only: what the peer sent before is still there to read, and
    /// the reader reports how the connection ended.
    fn write_error(&self, error: tungstenite::Error) -> Error {
        match classify::write(error) {
            WriteFailure::Closed => self
                .closed_error()
                .unwrap_or_else(|| Error::lost("connection closed")),
            WriteFailure::PeerGone(kind) => self.peer_gone(kind),
            WriteFailure::Failed(error) => error,
        }
    }

    /// Output waits for the peer to take it (the last write would have blocked).
    pub(crate) fn output_waits(&self) -> bool {
        if self.status.lock().state == State::Closed {
            return false;
        }
        let ws = self.ws();
        let stream = ws.get_ref();
        stream.write_stalled_since.is_some() && stream.write_failure.is_none()
    }

    /// As [`output_waits`](Self::output_waits), for a thread that looks after many
    /// connections and must not wait for this one: `None` while another thread holds the
    /// engine (a reader inflating a large message, say).
    pub(crate) fn output_waits_now(&self) -> Option<bool> {
        if self.status.lock().state == State::Closed {
            return Some(false);
        }
        let ws = self.ws.try_lock()?;
        let stream = ws.get_ref();
        Some(stream.write_stalled_since.is_some() && stream.write_failure.is_none())
    }

    /// Sends what waits in the engine's write buffer, as far as the peer takes it now; once
    /// nothing has gone out for the write timeout, cuts the connection (the reader then
    /// reports `Timeout(Write)`). Does nothing while another thread holds the engine: false
    /// then, and the caller comes back later.
    pub(crate) fn flush_queued_now(&self) -> bool {
        let stalled_since = {
            let Some(mut ws) = self.ws.try_lock() else {
                return false;
            };
            match ws.flush() {
                Ok(()) => None,
                Err(e) if would_block(&e) => ws.get_ref().write_stalled_since,
                // The reader reports what broke.
                Err(_) => None,
            }
        };
        if stalled_since.is_some_and(|since| since.elapsed() >= self.write_timeout) {
            self.status.lock().output_timed_out = true;
            self.abort("the peer stopped reading: nothing could be sent for the write timeout");
        }
        true
    }

    /// Sends a ping carrying its number; what does not go out now goes with the next read or
    /// write. Returns the ping's number and when it was sent.
    pub(crate) fn send_ping(&self) -> Result<(u64, Instant)> {
        if let Some(error) = self.closed_error() {
            return Err(error);
        }
        let (number, payload, sent) = self.pings.start();
        let mut ws = self.ws();
        let result = ws
            .write(tungstenite::Message::Ping(payload.to_vec().into()))
            .and_then(|()| ws.flush());
        match result {
            Ok(()) => Ok((number, sent)),
            Err(e) if would_block(&e) => Ok((number, sent)),
            Err(e) => {
                drop(ws);
                Err(self.write_error(e))
            }
        }
    }

    /// Ends the connection at once, without a close handshake.
    pub(crate) fn abort(&self, reason: &str) {
        self.mark_closed(1006, reason.to_owned());
        let _ = self.tcp.tcp().shutdown(Shutdown::Both);
    }
}

/// The Close frame to send; a reason is at most 123 bytes, cut at a character boundary.
pub(crate) fn close_frame(code: u16, reason: &str) -> CloseFrame {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    CloseFrame {
        code: CloseCode::from(code),
        reason: reason[..end].into(),
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        let status = self.status.get_mut();
        if status.state == State::Open {
            // Last handle gone without close: say "going away" if the socket takes it now.
            let _ = self.ws.get_mut().close(Some(close_frame(1001, "")));
        }
        // The descriptor closes with the last reference to it, here: no shutdown needed.
    }
}
