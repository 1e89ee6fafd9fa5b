//! The public handle on one connection: [`Socket`]. What it shares between clones is a
//! [`Connection`](crate::blocking::connection::Connection).

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::blocking::close::check_close;
use crate::blocking::connection::Connection;
use crate::blocking::event_queue::EventQueue;
use crate::blocking::reader::Budget;
use crate::blocking::wait::Wait;
use crate::deadline::deadline_after;
use crate::error::{Error, Result, Timeout};
use crate::info::ConnectionInfo;
use crate::message::Message;
use crate::settings::options::{Checked, ConnectOptions};
use crate::settings::target::Target;
use crate::state::State;
use crate::transport::cancel::ConnectCancel;
use crate::transport::connect;

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
    pub(crate) conn: Arc<Connection>,
}

/// A reference to a socket that does not keep it alive (for caches).
#[derive(Clone)]
pub(crate) struct WeakSocket(Weak<Connection>);

impl WeakSocket {
    pub(crate) fn upgrade(&self) -> Option<Socket> {
        self.0.upgrade().map(|conn| Socket { conn })
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
        let label = target.url.to_string();
        Socket::open(target, options, &checked, &label, None)
    }

    /// Connects to an already checked target with already checked options.
    /// `label` names the connection in log lines: the socket's name, or its URL. With
    /// `cancel`, another thread may cut the connect short.
    pub(crate) fn open(
        target: Target,
        options: &ConnectOptions,
        checked: &Checked,
        label: &str,
        cancel: Option<&ConnectCancel>,
    ) -> Result<Socket> {
        let established = connect::connect(target, options, checked, label, cancel)?;
        Ok(Socket {
            conn: Arc::new(Connection::new(established, options, label)),
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
            .read(Wait::Forever, Budget::ONE, EventQueue::pop_message)
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
            .read(Wait::after(timeout), Budget::ONE, EventQueue::pop_message)
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
        self.conn
            .read(Wait::No, Budget::ONE, EventQueue::pop_message)
    }

    /// Sends a ping and waits for the peer's pong, at most `timeout`; returns the round trip
    /// (WLanguage ports and Resonite flows that check the link on demand).
    ///
    /// Blocks until the pong arrives or `timeout` passes. To see the pong it reads the
    /// connection meanwhile, unless another thread is reading it (that reader sees the pong
    /// instead). Messages that arrive meanwhile are kept, in order, for the next reads, up to
    /// 1 MiB of them (plus the one that crosses it): the pong behind more is seen only by a
    /// read that takes them, else the ping times out. The round trip of the last ping answered
    /// is also in [`info`](Socket::info).
    ///
    /// # Errors
    /// - [`Error::Timeout`]`(`[`Timeout::Pong`]`)` when no pong came in time; the socket stays
    ///   usable;
    /// - [`Error::Closed`] when the connection is closed, or closes meanwhile; and what a read
    ///   would report if the peer breaks the protocol meanwhile.
    ///
    /// # Examples
    /// ```no_run
    /// # let socket = named_websocket::Socket::connect("ws://127.0.0.1:9001/")?;
    /// use std::time::Duration;
    /// let round_trip = socket.ping(Duration::from_secs(2))?;
    /// println!("the server answered in {round_trip:?}");
    /// # Ok::<(), named_websocket::Error>(())
    /// ```
    pub fn ping(&self, timeout: Duration) -> Result<Duration> {
        let deadline = deadline_after(timeout);
        let (number, sent) = self.conn.send_ping()?;
        loop {
            if let Some(round_trip) = self.conn.pings.round_trip_of(number, sent) {
                return Ok(round_trip);
            }
            if Instant::now() >= deadline {
                return Err(Error::Timeout(Timeout::Pong));
            }
            let slice = deadline.min(deadline_after(PING_SLICE));
            if self.conn.read_turn.is_locked() {
                // Another thread reads: it will see the pong.
                let _ = self.conn.pings.wait(number, sent, slice);
                continue;
            }
            // Nobody reads: read ahead ourselves (messages stay queued for the next reads)
            // until the pong has been seen.
            let answered = self.conn.read(Wait::Until(slice), PING_BUDGET, |_| {
                self.conn.pings.round_trip_of(number, sent)
            });
            match answered {
                Ok(Some(round_trip)) => return Ok(round_trip),
                // The messages kept fill the budget: the pong is behind them, and only a
                // reader that takes them can see it.
                Ok(None) => {
                    let _ = self.conn.pings.wait(number, sent, slice);
                }
                Err(Error::Timeout(Timeout::Read)) => {}
                Err(error) => return Err(error),
            }
        }
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
        let (bytes_sent, bytes_received, last_traffic, inflated) = {
            let ws = conn.ws();
            let stream = ws.get_ref();
            let inflated = stream.reframe.as_ref().map(|r| r.counts());
            (
                stream.bytes_out,
                stream.bytes_in,
                stream.last_traffic,
                inflated,
            )
        };
        let inflated = inflated.unwrap_or_default();
        // Taken after `ws` is released: writers take the compressor first.
        let deflated = (conn.deflate.as_ref()).map(|d| d.compressor.lock().counts());
        let deflated = deflated.unwrap_or_default();
        let (state, close) = {
            let status = conn.status.lock();
            let close = match status.state {
                State::Closing | State::Closed => status.close.clone(),
                _ => None,
            };
            (status.state, close)
        };
        ConnectionInfo {
            state,
            url: conn.url.to_string(),
            protocol: conn.protocol.clone(),
            response_headers: conn.response_headers.clone(),
            messages_sent: conn.messages_sent.load(Ordering::Relaxed),
            messages_received: conn.messages_received.load(Ordering::Relaxed),
            bytes_sent,
            bytes_received,
            connected_at: Some(conn.connected_at),
            last_traffic: Some(last_traffic),
            peer_addr: conn.peer_addr,
            local_addr: conn.local_addr,
            tls_version: conn.tls_version,
            close,
            round_trip: conn.pings.last_round_trip(),
            extensions: conn.deflate.as_ref().map(|d| d.agreed.clone()),
            bytes_sent_uncompressed: deflated.uncompressed_bytes,
            bytes_sent_compressed: deflated.compressed_bytes,
            bytes_received_uncompressed: inflated.uncompressed_bytes,
            bytes_received_compressed: inflated.compressed_bytes,
        }
    }

    /// A read with any kind of wait; `None` only for [`Wait::No`].
    pub(crate) fn read_wait(&self, wait: Wait) -> Result<Option<Message>> {
        self.conn.read(wait, Budget::ONE, EventQueue::pop_message)
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

/// How long a ping waits at a time before it looks again at who reads the connection.
pub(crate) const PING_SLICE: Duration = Duration::from_millis(20);

/// What a ping that reads the connection itself may keep of the messages that arrive before
/// its pong: 1 MiB (plus the message that crosses it). Past that it reads no more.
const PING_BUDGET: Budget = Budget {
    messages: 1,
    bytes: 1 << 20,
};

/// Waiting reads come back with a message or an error: reads return `None` only for
/// `Wait::No`, so the timeout here is never seen.
pub(crate) fn expect_message(message: Option<Message>) -> Result<Message> {
    message.ok_or(Error::Timeout(Timeout::Read))
}
