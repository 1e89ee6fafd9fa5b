//! One connection: its state, and reading, writing and closing it from any thread.
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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;
use tungstenite::WebSocket;
use url::Url;

use crate::connect::{self, Established};
use crate::error::{CloseInfo, Error, Result, Timeout};
use crate::event_queue::{first_wait, EventQueue};
use crate::info::ConnectionInfo;
use crate::message::Message;
use crate::options::{Checked, ConnectOptions};
use crate::state::State;
use crate::stream::{deadline_after, is_peer_gone, wait_ready, Readiness, SharedTcp, Stream};
use crate::target::Target;

/// A WebSocket client connection, usable without the name registry.
///
/// The name-based functions ([`socket_write`](crate::socket_write) and the others) are a thin
/// layer over this type. A `Socket` is a cheap handle: clones share one connection, and every
/// method takes `&self`, so one thread can block in [`read`](Socket::read) while others
/// [`write`](Socket::write) or [`close`](Socket::close). When the last handle is dropped
/// without `close`, the connection is ended with close code 1001 (going away), without waiting.
///
/// # Examples
/// ```no_run
/// use named_websocket::Socket;
///
/// let socket = Socket::connect("ws://127.0.0.1:9001/echo")?;
/// socket.write("hello")?;
/// let reply = socket.read()?;
/// println!("{reply:?}");
/// socket.close()?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
#[derive(Clone)]
pub struct Socket {
    conn: Arc<Connection>,
}

/// A reference to a socket that does not keep it alive (for caches).
#[derive(Clone)]
pub(crate) struct WeakSocket(std::sync::Weak<Connection>);

impl WeakSocket {
    pub(crate) fn upgrade(&self) -> Option<Socket> {
        self.0.upgrade().map(|conn| Socket { conn })
    }
}

struct Connection {
    ws: Mutex<WebSocket<Stream>>,
    /// The reader's turn, and what it read ahead.
    read_turn: Mutex<ReadAhead>,
    status: Mutex<Status>,
    /// `status.state` is still `Open`: set under the status lock, read without it, so that
    /// every write and read does not take the lock just to learn that nothing happened.
    open: AtomicBool,
    /// The same TCP socket as inside `ws`: polled and shut down without locking `ws`.
    tcp: SharedTcp,
    url: Url,
    protocol: Option<String>,
    response_headers: Vec<(String, String)>,
    connected_at: Instant,
    messages_sent: AtomicU64,
    messages_received: AtomicU64,
    /// Set for asynchronous sockets, whose worker reads ahead of the application: a protocol
    /// violation is reported at once, but the connection is failed only when the worker says
    /// so, once the application has handled the messages that came before it.
    defer_failures: AtomicBool,
    write_timeout: Duration,
    close_timeout: Duration,
    max_frame_size: Option<usize>,
    max_message_size: Option<usize>,
}

struct Status {
    state: State,
    /// Why the connection ended, or is ending.
    close: Option<CloseInfo>,
    /// With deferred failures: the Close frame owed for a violation already reported.
    pending_failure: Option<CloseInfo>,
}

/// Messages read from the engine but not returned yet, and what came after them.
#[derive(Default)]
struct ReadAhead {
    messages: EventQueue,
    /// The peer's Close, already answered.
    stop: Option<Error>,
    /// A failure not acted on yet: the connection is failed (Close 1002, 1007, 1009) only when
    /// the reader reaches it, so the application can answer the messages before it first.
    failure: Option<tungstenite::Error>,
    /// The last read-ahead found the socket drained: the next waiting read waits for data
    /// first, rather than ask the socket again only to hear "nothing yet".
    drained: bool,
}

/// The most messages one lock of the engine reads ahead.
const READ_AHEAD: usize = 64;

/// How long a read may wait for a message.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wait {
    Forever,
    Until(Instant),
    No,
}

impl Wait {
    /// At most `timeout`; a timeout too long to represent waits without limit.
    pub(crate) fn after(timeout: Duration) -> Wait {
        Instant::now()
            .checked_add(timeout)
            .map_or(Wait::Forever, Wait::Until)
    }
}

impl Socket {
    /// Connects to a `ws://` or `wss://` URL with the default options.
    ///
    /// Blocks until the connection is open or has failed, at most the connect timeout
    /// (10 seconds by default) for DNS, TCP, TLS and the upgrade together.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a malformed URL; otherwise the connect errors listed at
    /// [`websocket_client_connect`](crate::websocket_client_connect).
    ///
    /// # Examples
    /// ```no_run
    /// let socket = named_websocket::Socket::connect("wss://example.com/feed")?;
    /// # Ok::<(), named_websocket::Error>(())
    /// ```
    pub fn connect(url: &str) -> Result<Socket> {
        Socket::connect_with(url, &ConnectOptions::default())
    }

    /// Connects to a `ws://` or `wss://` URL with the given options.
    ///
    /// Blocks as [`connect`](Socket::connect) does, within `options`' connect timeout.
    ///
    /// # Errors
    /// As [`connect`](Socket::connect); also [`Error::InvalidArgument`] for an option out of
    /// range.
    ///
    /// # Examples
    /// ```no_run
    /// use named_websocket::{ConnectOptions, Socket};
    /// let options = ConnectOptions::new().protocols("chat");
    /// let socket = Socket::connect_with("ws://127.0.0.1:9001/", &options)?;
    /// assert_eq!(socket.protocol(), Some("chat"));
    /// # Ok::<(), named_websocket::Error>(())
    /// ```
    pub fn connect_with(url: &str, options: &ConnectOptions) -> Result<Socket> {
        if options.needs_worker() {
            return Err(Error::invalid(
                "keepalive, idle_timeout and reconnect need a worker thread: \
                 open the connection by name (websocket_client_connect_with)",
            ));
        }
        let target = Target::from_url(url)?;
        let checked = options.validate()?;
        Socket::open(target, options, &checked)
    }

    /// Connects to an already checked target with already checked options.
    pub(crate) fn open(
        target: Target,
        options: &ConnectOptions,
        checked: &Checked,
    ) -> Result<Socket> {
        let established = connect::connect(target, options, checked)?;
        Socket::from_established(established, options)
    }

    fn from_established(established: Established, options: &ConnectOptions) -> Result<Socket> {
        let Established {
            ws,
            url,
            protocol,
            response_headers,
        } = established;
        let tcp = ws.get_ref().shared().clone();
        Ok(Socket {
            conn: Arc::new(Connection {
                ws: Mutex::new(ws),
                read_turn: Mutex::new(ReadAhead::default()),
                status: Mutex::new(Status {
                    state: State::Open,
                    close: None,
                    pending_failure: None,
                }),
                open: AtomicBool::new(true),
                defer_failures: AtomicBool::new(false),
                tcp,
                url,
                protocol,
                response_headers,
                connected_at: Instant::now(),
                messages_sent: AtomicU64::new(0),
                messages_received: AtomicU64::new(0),
                write_timeout: options.write_timeout,
                close_timeout: options.close_timeout,
                max_frame_size: options.max_frame_size,
                max_message_size: options.max_message_size,
            }),
        })
    }

    /// Sends one message: a `&str` or `String` as text, bytes as binary.
    ///
    /// Blocks until the whole frame has been handed to the operating system; if the peer stops
    /// reading, at most the write timeout (30 seconds by default) without progress. Messages
    /// written from several threads are never interleaved, and a write never waits for a read
    /// that another thread is blocked in.
    ///
    /// # Errors
    /// - [`Error::Closed`] when the connection is closed (with its close code);
    /// - [`Error::Timeout`]`(`[`Timeout::Write`]`)` when the peer stopped reading; the
    ///   connection is then closed, since a half-sent frame cannot be taken back;
    /// - [`Error::Io`] for other failures of the operating system.
    ///
    /// # Examples
    /// ```no_run
    /// # let socket = named_websocket::Socket::connect("ws://127.0.0.1:9001/")?;
    /// socket.write("text frame")?;
    /// socket.write(vec![0u8, 1, 2])?; // binary frame
    /// # Ok::<(), named_websocket::Error>(())
    /// ```
    pub fn write(&self, message: impl Into<Message>) -> Result<()> {
        self.conn.write(message.into())
    }

    /// Returns the next message, waiting as long as it takes.
    ///
    /// Blocks until a complete message has arrived, the connection ends, or another thread
    /// closes the socket. Pings are answered and fragmented messages reassembled on the way.
    /// Every message the peer sent before its Close frame is returned before the close is
    /// reported.
    ///
    /// # Errors
    /// - [`Error::Closed`] once the connection is closed, with the peer's close code and reason
    ///   (1006 when the connection was lost without a Close frame), and on every later read;
    /// - [`Error::Protocol`] or [`Error::Capacity`] when the peer broke the protocol or a size
    ///   limit; the connection is then failed with close code 1002, 1007 or 1009.
    ///
    /// # Examples
    /// ```no_run
    /// # let socket = named_websocket::Socket::connect("ws://127.0.0.1:9001/")?;
    /// loop {
    ///     match socket.read() {
    ///         Ok(message) => println!("{message:?}"),
    ///         Err(e) if e.is_closed() => break,
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// # Ok::<(), named_websocket::Error>(())
    /// ```
    pub fn read(&self) -> Result<Message> {
        self.conn
            .read(Wait::Forever, 1, EventQueue::pop_message)
            .and_then(expect_message)
    }

    /// Returns the next message, waiting at most `timeout`.
    ///
    /// # Errors
    /// [`Error::Timeout`]`(`[`Timeout::Read`]`)` when no message arrived in time; the socket
    /// stays usable. Otherwise as [`read`](Socket::read).
    ///
    /// # Examples
    /// ```no_run
    /// # let socket = named_websocket::Socket::connect("ws://127.0.0.1:9001/")?;
    /// use std::time::Duration;
    /// match socket.read_timeout(Duration::from_millis(500)) {
    ///     Ok(message) => println!("{message:?}"),
    ///     Err(e) if e.is_timeout() => println!("nothing yet"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok::<(), named_websocket::Error>(())
    /// ```
    pub fn read_timeout(&self, timeout: Duration) -> Result<Message> {
        self.conn
            .read(Wait::after(timeout), 1, EventQueue::pop_message)
            .and_then(expect_message)
    }

    /// Returns a message that has already arrived, or `None`, without waiting.
    ///
    /// Also returns `None` when another thread is reading this socket at the moment.
    ///
    /// # Errors
    /// As [`read`](Socket::read).
    ///
    /// # Examples
    /// ```no_run
    /// # let socket = named_websocket::Socket::connect("ws://127.0.0.1:9001/")?;
    /// while let Some(message) = socket.try_read()? {
    ///     println!("{message:?}");
    /// }
    /// # Ok::<(), named_websocket::Error>(())
    /// ```
    pub fn try_read(&self) -> Result<Option<Message>> {
        self.conn.read(Wait::No, 1, EventQueue::pop_message)
    }

    /// Closes the connection with code 1000 (normal closure).
    ///
    /// Sends a Close frame, waits for the peer's answer up to the close timeout (5 seconds by
    /// default), then shuts the TCP connection. A thread blocked in a read on this socket wakes
    /// up with [`Error::Closed`]. Closing a socket that is already closed only releases it.
    ///
    /// # Errors
    /// None today: a peer that does not answer in time is cut off, and the close still
    /// succeeds. The `Result` leaves room for future failure cases.
    ///
    /// # Examples
    /// ```no_run
    /// # let socket = named_websocket::Socket::connect("ws://127.0.0.1:9001/")?;
    /// socket.close()?;
    /// # Ok::<(), named_websocket::Error>(())
    /// ```
    pub fn close(&self) -> Result<()> {
        self.conn.close(1000, "");
        Ok(())
    }

    /// Closes the connection with a chosen code and reason.
    ///
    /// Blocks as [`close`](Socket::close) does.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `code` is not 1000 or in 3000–4999 (the codes an
    /// application may send), or when `reason` is longer than 123 bytes of UTF-8; nothing is
    /// sent then.
    ///
    /// # Examples
    /// ```no_run
    /// # let socket = named_websocket::Socket::connect("ws://127.0.0.1:9001/")?;
    /// socket.close_with(4000, "session over")?;
    /// # Ok::<(), named_websocket::Error>(())
    /// ```
    pub fn close_with(&self, code: u16, reason: &str) -> Result<()> {
        check_close(code, reason)?;
        self.conn.close(code, reason);
        Ok(())
    }

    /// Where the connection is in its life cycle. Never blocks on the network.
    ///
    /// # Examples
    /// ```no_run
    /// # let socket = named_websocket::Socket::connect("ws://127.0.0.1:9001/")?;
    /// if socket.state() == named_websocket::State::Open {
    ///     socket.write("still there")?;
    /// }
    /// # Ok::<(), named_websocket::Error>(())
    /// ```
    pub fn state(&self) -> State {
        self.conn.status.lock().state
    }

    /// The subprotocol the server selected, if any.
    ///
    /// # Examples
    /// ```no_run
    /// use named_websocket::{ConnectOptions, Socket};
    /// let options = ConnectOptions::new().protocols("v2.chat, v1.chat");
    /// let socket = Socket::connect_with("ws://127.0.0.1:9001/", &options)?;
    /// println!("speaking {}", socket.protocol().unwrap_or("(none)"));
    /// # Ok::<(), named_websocket::Error>(())
    /// ```
    pub fn protocol(&self) -> Option<&str> {
        self.conn.protocol.as_deref()
    }

    /// The URL of the connection, after redirects.
    ///
    /// # Examples
    /// ```no_run
    /// let socket = named_websocket::Socket::connect("ws://127.0.0.1:9001/old-path")?;
    /// println!("connected to {}", socket.url()); // where a redirect led, if any
    /// # Ok::<(), named_websocket::Error>(())
    /// ```
    pub fn url(&self) -> &str {
        self.conn.url.as_str()
    }

    pub(crate) fn downgrade(&self) -> WeakSocket {
        WeakSocket(Arc::downgrade(&self.conn))
    }

    /// Where the connection goes, what it negotiated, and its traffic so far.
    ///
    /// Never blocks on the network.
    ///
    /// # Examples
    /// ```no_run
    /// # let socket = named_websocket::Socket::connect("ws://127.0.0.1:9001/")?;
    /// let info = socket.info();
    /// println!("{} bytes in, server {:?}", info.bytes_received, info.response_header("server"));
    /// # Ok::<(), named_websocket::Error>(())
    /// ```
    pub fn info(&self) -> ConnectionInfo {
        let conn = &self.conn;
        let (bytes_sent, bytes_received, last_traffic) = {
            let ws = conn.ws();
            let stream = ws.get_ref();
            (stream.bytes_out, stream.bytes_in, stream.last_traffic)
        };
        ConnectionInfo {
            state: self.state(),
            url: conn.url.to_string(),
            protocol: conn.protocol.clone(),
            response_headers: conn.response_headers.clone(),
            messages_sent: conn.messages_sent.load(Ordering::Relaxed),
            messages_received: conn.messages_received.load(Ordering::Relaxed),
            bytes_sent,
            bytes_received,
            connected_at: conn.connected_at,
            last_traffic,
        }
    }

    /// A read with any kind of wait; `None` only for [`Wait::No`].
    pub(crate) fn read_wait(&self, wait: Wait) -> Result<Option<Message>> {
        self.conn.read(wait, 1, EventQueue::pop_message)
    }

    /// As [`read_wait`](Self::read_wait), but returns every message read ahead at once, as
    /// queued events, gathering up to `gather` of them while more keep arriving; for a worker,
    /// which hands them over in one go.
    pub(crate) fn read_batch(&self, wait: Wait, gather: usize) -> Result<Option<EventQueue>> {
        self.conn.read(wait, gather, |messages| {
            (!messages.is_empty()).then(|| messages.take_copy())
        })
    }

    /// Queues a ping and sends it if the socket takes it now; what does not go out now goes
    /// with the next read or write. A broken connection shows on the next read.
    pub(crate) fn ping(&self) {
        let mut ws = self.conn.ws();
        match ws.write(tungstenite::Message::Ping(Default::default())) {
            Ok(()) => {
                let _ = ws.flush();
            }
            Err(e) => log::debug!("{}: could not send a ping: {e}", self.conn.url),
        }
    }

    /// When the last byte arrived from the peer (the handshake counts).
    pub(crate) fn last_received(&self) -> Instant {
        self.conn.ws().get_ref().last_received
    }

    /// Ends the connection at once, without a close handshake, for a dead peer.
    pub(crate) fn abort(&self, reason: &str) {
        self.conn.abort(reason);
    }

    /// Makes protocol violations wait for [`fail_deferred`](Self::fail_deferred) before the
    /// connection is failed; for a worker that reads ahead of the application.
    pub(crate) fn defer_failures(&self) {
        self.conn.defer_failures.store(true, Ordering::SeqCst);
    }

    /// Fails the connection for a violation reported earlier, if one is owed.
    pub(crate) fn fail_deferred(&self) {
        let owed = self.conn.status.lock().pending_failure.take();
        if let Some(info) = owed {
            self.conn.fail_now(info.code, &info.reason);
        }
    }

    /// Why the connection ended (1006 when it has not, or ended without a known cause).
    pub(crate) fn close_info(&self) -> CloseInfo {
        self.conn
            .status
            .lock()
            .close
            .clone()
            .unwrap_or_else(|| CloseInfo {
                code: 1006,
                reason: "connection closed".into(),
            })
    }
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket")
            .field("url", &self.url())
            .field("state", &self.state())
            .field("protocol", &self.protocol())
            .finish()
    }
}

/// Waiting reads come back with a message or an error: reads return `None` only for
/// `Wait::No`, so the timeout here is never seen.
pub(crate) fn expect_message(message: Option<Message>) -> Result<Message> {
    message.ok_or(Error::Timeout(Timeout::Read))
}

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

fn would_block(error: &tungstenite::Error) -> bool {
    matches!(error, tungstenite::Error::Io(e) if e.kind() == io::ErrorKind::WouldBlock)
}

fn close_frame(code: u16, reason: &str) -> CloseFrame {
    // A reason is at most 123 bytes: cut at a character boundary.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    CloseFrame {
        code: CloseCode::from(code),
        reason: reason[..end].into(),
    }
}

impl Connection {
    fn ws(&self) -> MutexGuard<'_, WebSocket<Stream>> {
        self.ws.lock()
    }

    /// The error to report once the connection is no longer open.
    fn closed_error(&self) -> Option<Error> {
        if self.open.load(Ordering::Acquire) {
            return None;
        }
        let status = self.status.lock();
        match status.state {
            State::Open => None,
            State::Connecting | State::Reconnecting => Some(Error::NotOpen(status.state)),
            State::Closing | State::Closed => Some(Error::Closed(Box::new(
                status.close.clone().unwrap_or_else(|| CloseInfo {
                    code: 1006,
                    reason: "connection closed".into(),
                }),
            ))),
        }
    }

    /// Records that the connection ended (the first cause wins) and returns the closed error.
    fn mark_closed(&self, code: u16, reason: String) -> Error {
        let mut status = self.status.lock();
        if status.state != State::Closing {
            status.state = State::Closed;
        }
        self.open.store(false, Ordering::Release);
        let info = status.close.get_or_insert(CloseInfo { code, reason });
        log::debug!("{}: {}", self.url, info);
        Error::Closed(Box::new(info.clone()))
    }

    /// Fails the connection as RFC 6455 §7.1.7 says: sends a Close frame with `code` and marks
    /// the socket closed; `close` later waits for the peer's answer. With deferred failures,
    /// only notes what is owed, for [`Socket::fail_deferred`].
    fn fail(&self, code: u16, reason: &str) {
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

    fn fail_now(&self, code: u16, reason: &str) {
        log::debug!("{}: failing the connection with {code}: {reason}", self.url);
        if let Err(e) = self.ws().close(Some(close_frame(code, reason))) {
            if !would_block(&e) {
                log::debug!("{}: could not send Close {code}: {e}", self.url);
            }
        }
        self.mark_closed(code, reason.to_owned());
    }

    fn write(&self, message: Message) -> Result<()> {
        if let Some(error) = self.closed_error() {
            return Err(error);
        }
        log::trace!("{}: sending {} bytes", self.url, message.len());
        let result = {
            let mut ws = self.ws();
            let result = ws.send(message.into_frame());
            match ws.get_ref().write_failure {
                Some(kind) => return Err(self.peer_gone(kind)),
                None => result,
            }
        };
        let sent = match result {
            Ok(()) => Ok(()),
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
    fn flush_out(&self, timeout: Duration, on_progress: bool) -> tungstenite::Result<bool> {
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
        self.closed_error().unwrap_or_else(|| {
            Error::closed(1006, format!("connection lost: {}", io::Error::from(kind)))
        })
    }

    /// A failed write fails writes only: what the peer sent before is still there to read, and
    /// the reader reports how the connection ended.
    fn write_error(&self, error: tungstenite::Error) -> Error {
        use tungstenite::error::ProtocolError;
        match error {
            tungstenite::Error::ConnectionClosed
            | tungstenite::Error::AlreadyClosed
            | tungstenite::Error::Protocol(ProtocolError::SendAfterClosing) => self
                .closed_error()
                .unwrap_or_else(|| Error::closed(1006, "connection closed")),
            tungstenite::Error::Io(e) if is_peer_gone(e.kind()) => self.peer_gone(e.kind()),
            tungstenite::Error::Io(e) => Error::from_io(e, Timeout::Write),
            tungstenite::Error::Capacity(e) => Error::Capacity(e.to_string().into()),
            tungstenite::Error::WriteBufferFull(_) => {
                Error::Capacity("the write buffer is full".into())
            }
            other => Error::Protocol(other.to_string().into()),
        }
    }

    /// Ends the connection at once, without a close handshake.
    fn abort(&self, reason: &str) {
        self.mark_closed(1006, reason.to_owned());
        let _ = self.tcp.tcp().shutdown(Shutdown::Both);
    }

    /// Waits for messages as `wait` allows, then returns what `take` takes of those read
    /// ahead (it returns `None` only when there are none). While more keep arriving, reads on
    /// until `gather` messages are queued, releasing the engine between read-aheads so that
    /// writers get their turn.
    fn read<T>(
        &self,
        wait: Wait,
        gather: usize,
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
        let deadline = match wait {
            Wait::Until(deadline) => Some(deadline),
            Wait::Forever | Wait::No => None,
        };
        let mut gathering = false;
        loop {
            if !gathering {
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
            }
            let wait_first = std::mem::take(&mut turn.drained) && !matches!(wait, Wait::No);
            if wait_first && !self.wait_readable(&mut turn, deadline)? {
                return Err(Error::Timeout(Timeout::Read));
            }
            let (filled, failure) = {
                let mut ws = self.ws();
                if let Wait::No = wait {
                    // "Has anything arrived?" is answered by the socket itself.
                    ws.get_mut().forget_drained();
                }
                self.read_ahead(&mut ws, &mut turn)
            };
            // A full read-ahead (no stop, nothing would block) means more may be waiting.
            gathering =
                filled && failure.is_none() && turn.stop.is_none() && turn.messages.len() < gather;
            match failure {
                Some(e) if !would_block(&e) => turn.failure = Some(e),
                // Nothing more has arrived: hand over what is queued (a gathering read may
                // hold messages from earlier read-aheads) before waiting for more.
                Some(_) if filled || !turn.messages.is_empty() => turn.drained = true,
                Some(_) => {
                    if let Wait::No = wait {
                        // A reader that comes back empty-handed keeps no large buffer.
                        turn.messages.shrink_while_idle();
                        return Ok(None);
                    }
                    if !self.wait_readable(&mut turn, deadline)? {
                        return Err(Error::Timeout(Timeout::Read));
                    }
                }
                // Only pings and pongs came: a stream of them must not hold a read past its
                // deadline (messages gathered before them are handed over first).
                None if !filled
                    && turn.messages.is_empty()
                    && deadline.is_some_and(|d| Instant::now() >= d) =>
                {
                    return Err(Error::Timeout(Timeout::Read));
                }
                None => {}
            }
        }
    }

    /// Waits until the socket is readable or `deadline` passes (false), with the read turn
    /// held. A reader that waits a while (see [`first_wait`]), or times out, keeps no large
    /// buffer meanwhile.
    fn wait_readable(&self, turn: &mut ReadAhead, deadline: Option<Instant>) -> Result<bool> {
        let tcp = self.tcp.tcp();
        if turn.messages.holds_more_than_idle() {
            let (first, last) = first_wait(deadline);
            if wait_ready(tcp, Readiness::Readable, Some(first)).map_err(Error::Io)? {
                return Ok(true);
            }
            turn.messages.shrink_while_idle();
            if last {
                return Ok(false);
            }
        }
        wait_ready(tcp, Readiness::Readable, deadline).map_err(Error::Io)
    }

    /// Reads what has arrived, up to [`READ_AHEAD`] messages, into the reader's queue under one
    /// lock of `ws`: a fast sender's small messages then cost one lock for many. Returns
    /// whether anything was queued (or the turn was given a closed error), and the
    /// tungstenite error that stopped the reading, if any (`WouldBlock` when nothing more has
    /// arrived).
    fn read_ahead(
        &self,
        ws: &mut WebSocket<Stream>,
        turn: &mut ReadAhead,
    ) -> (bool, Option<tungstenite::Error>) {
        let before = turn.messages.len();
        let mut outcome = (false, None);
        for _ in 0..READ_AHEAD {
            match ws.read() {
                Ok(tungstenite::Message::Close(frame)) => {
                    // Recorded before `ws` is released: a writer that then fails to send must
                    // find the peer's code, not make one up.
                    turn.stop = Some(self.peer_closed(ws, frame.as_ref()));
                    outcome = (true, None);
                    break;
                }
                Ok(frame) => {
                    let len = frame.len();
                    if turn.messages.push_frame(frame) {
                        log::trace!("{}: received {len} bytes", self.url);
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
                log::debug!("{}: could not answer the Close frame: {e}", self.url);
            }
        }
        let (code, reason) = match frame {
            Some(frame) => (u16::from(frame.code), frame.reason.to_string()),
            None => (1005, String::new()),
        };
        self.mark_closed(code, reason)
    }

    fn read_error(&self, error: tungstenite::Error) -> Error {
        use tungstenite::error::{CapacityError, ProtocolError};
        match error {
            tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => self
                .closed_error()
                .unwrap_or_else(|| self.mark_closed(1006, "connection closed".into())),
            tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => self
                .mark_closed(
                    1006,
                    "the server closed the TCP connection without a Close frame".into(),
                ),
            tungstenite::Error::Io(e) => match Error::from_io(e, Timeout::Read) {
                Error::Closed(info) => self.mark_closed(info.code, info.reason),
                other => {
                    self.mark_closed(1006, other.to_string());
                    other
                }
            },
            tungstenite::Error::Utf8(_) => {
                let reason = "invalid UTF-8 in a text message";
                self.fail(1007, reason);
                Error::Protocol(reason.into())
            }
            tungstenite::Error::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
                let limit = if self.max_frame_size != Some(max_size) {
                    "max_message_size"
                } else if self.max_message_size == Some(max_size) {
                    "max_frame_size or max_message_size"
                } else {
                    "max_frame_size"
                };
                let reason = format!("message of {size} bytes exceeds {limit} ({max_size} bytes)");
                self.fail(1009, "message too big");
                Error::Capacity(reason.into())
            }
            tungstenite::Error::Capacity(e) => {
                self.fail(1009, "message too big");
                Error::Capacity(e.to_string().into())
            }
            tungstenite::Error::Protocol(e) => {
                let reason = e.to_string();
                self.fail(1002, &reason);
                Error::Protocol(reason.into())
            }
            tungstenite::Error::Tls(e) => {
                self.mark_closed(1006, format!("TLS failure: {e}"));
                Error::Tls(e.to_string().into())
            }
            other => {
                let reason = other.to_string();
                self.fail(1002, &reason);
                Error::Protocol(reason.into())
            }
        }
    }

    fn close(&self, code: u16, reason: &str) {
        let deadline = deadline_after(self.close_timeout);
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
            log::debug!("{}: closing with {code}", self.url);
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
                log::debug!("{}: could not send Close: {e}", self.url);
            }
        }
        self.finish_close(deadline);
        let _ = self.tcp.tcp().shutdown(Shutdown::Both);
        {
            let mut status = self.status.lock();
            status.state = State::Closed;
            self.open.store(false, Ordering::Release);
        }
        log::debug!("{}: closed", self.url);
    }

    /// Drives the close handshake: sends what is queued and reads (dropping data) until the
    /// peer's Close has come, then gives the server a moment to end the TCP connection first
    /// (RFC 6455 §7.1.1), all within the deadline.
    fn finish_close(&self, deadline: Instant) {
        // A blocked reader wakes on the peer's answer, sees the socket closing and gives its
        // turn; if it does not in time, shutting the socket down wakes it.
        let Some(_turn) = self.read_turn.try_lock_until(deadline) else {
            log::debug!("{}: close handshake timed out", self.url);
            return;
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
            if !can_read && !answered {
                // Both Close frames are through: wait briefly for the server's TCP close.
                answered = true;
                deadline = deadline.min(deadline_after(TCP_CLOSE_GRACE));
            }
            let readiness = match result {
                Ok(_) => None, // data after our Close: dropped, as the caller asked to close
                Err(e) if would_block(&e) && output_pending => Some(Readiness::Either),
                Err(e) if would_block(&e) => Some(Readiness::Readable),
                Err(_) => return, // ConnectionClosed, or the connection is gone anyway.
            };
            if Instant::now() >= deadline {
                if !answered {
                    log::debug!("{}: close handshake timed out", self.url);
                }
                return;
            }
            if let Some(readiness) = readiness {
                if !matches!(
                    wait_ready(self.tcp.tcp(), readiness, Some(deadline)),
                    Ok(true)
                ) {
                    return;
                }
            }
        }
    }
}

/// How long the client waits for the server to end the TCP connection once both Close frames
/// have passed, before it ends it itself.
const TCP_CLOSE_GRACE: Duration = Duration::from_millis(200);

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
