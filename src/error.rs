//! The one error type of the crate and the values it carries. How other crates' errors become
//! one of ours is decided in one place: [`classify`](crate::transport::classify).

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use crate::state::State;

/// A specialized `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An underlying error, kept for [`Error::source`](std::error::Error::source) without naming
/// its crate in our API.
type Cause = Arc<dyn StdError + Send + Sync + 'static>;

/// Everything that can go wrong, named after the cause a caller acts on.
///
/// Messages read well when printed as they are, like WLanguage's `ErrorInfo`; where another
/// error (of the operating system, TLS or the protocol engine) lies beneath,
/// [`source`](std::error::Error::source) returns it. Large payloads are boxed so that
/// `Result<T>` stays small on the happy path.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// An argument was rejected before anything touched the network.
    InvalidArgument(Box<str>),
    /// Another socket already holds this name.
    NameInUse(Box<str>),
    /// No socket holds this name.
    NotFound(Box<str>),
    /// The call does not fit the socket's mode, e.g. reading a socket whose messages go to a
    /// callback.
    WrongMode(Box<str>),
    /// A deadline passed; the value says in which phase.
    Timeout(Timeout),
    /// The host name could not be resolved.
    Dns(Box<Detail>),
    /// The access policy refused the connection; nothing was sent.
    AccessDenied(Box<str>),
    /// The HTTP proxy refused or broke the tunnel.
    Proxy(Box<Detail>),
    /// Every address of the host refused the TCP connection.
    ConnectRefused(Box<str>),
    /// The TLS handshake failed (untrusted certificate, wrong host name, not a TLS server, …).
    Tls(Box<Detail>),
    /// The server did not accept the WebSocket upgrade.
    Handshake(Box<HandshakeFailure>),
    /// The server's choice of subprotocol does not match what was offered.
    Subprotocol(Box<str>),
    /// The connection is closed; the value carries the close code and reason.
    Closed(Box<CloseInfo>),
    /// The socket is not open yet (still connecting) or not open again yet (reconnecting).
    NotOpen(State),
    /// A message or frame exceeded a configured size limit.
    Capacity(Box<Detail>),
    /// The peer broke the WebSocket protocol (RFC 6455).
    Protocol(Box<Detail>),
    /// Any other I/O error from the operating system.
    Io(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument(text) => write!(f, "invalid argument: {text}"),
            Error::NameInUse(name) => write!(
                f,
                "socket name {name:?} is already in use: close that socket first, or choose \
                 another name"
            ),
            Error::NotFound(name) => write!(
                f,
                "no socket named {name:?}: it was never connected, or it was closed \
                 (closing a socket frees its name)"
            ),
            Error::WrongMode(text) | Error::AccessDenied(text) => f.write_str(text),
            Error::Timeout(phase) => match phase {
                Timeout::Dns | Timeout::Connect | Timeout::Tls | Timeout::Handshake => write!(
                    f,
                    "{phase} timed out (ConnectOptions::connect_timeout bounds the whole connect)"
                ),
                Timeout::Write => f.write_str(
                    "write timed out: the server has taken nothing for write_timeout (it has \
                     stopped reading)",
                ),
                Timeout::Pong => f.write_str("the server did not answer our ping in time"),
                Timeout::Idle => f.write_str(
                    "nothing was received for idle_timeout: the connection is taken for dead",
                ),
                Timeout::Read => write!(f, "{phase} timed out"),
            },
            Error::Dns(detail) => write!(f, "could not resolve {detail}"),
            Error::Proxy(detail) => fmt::Display::fmt(detail, f),
            Error::ConnectRefused(target) => write!(f, "connection refused by {target}"),
            Error::Tls(detail) => write!(f, "TLS handshake failed: {detail}"),
            Error::Handshake(failure) => fmt::Display::fmt(failure, f),
            Error::Subprotocol(text) => f.write_str(text),
            Error::Closed(info) => fmt::Display::fmt(info, f),
            Error::NotOpen(state) => write!(
                f,
                "the socket is {state}, not open yet: try again after its Open event"
            ),
            Error::Capacity(detail) => write!(f, "size limit exceeded: {detail}"),
            Error::Protocol(detail) => write!(f, "WebSocket protocol violation: {detail}"),
            Error::Io(error) => write!(f, "I/O error: {error}"),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Error::Dns(detail)
            | Error::Proxy(detail)
            | Error::Tls(detail)
            | Error::Capacity(detail)
            | Error::Protocol(detail) => detail.cause(),
            Error::Handshake(failure) => failure.cause.as_deref().map(|cause| cause as _),
            Error::Io(error) => Some(error),
            _ => None,
        }
    }
}

impl Error {
    /// True when a deadline passed. After a read timeout the socket is still usable.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout(_))
    }

    /// True when the connection is closed (by either side, cleanly or not).
    pub fn is_closed(&self) -> bool {
        matches!(self, Error::Closed(_))
    }

    /// The close code, when this error reports a closed connection that had one.
    pub fn close_code(&self) -> Option<u16> {
        match self {
            Error::Closed(info) => Some(info.code),
            _ => None,
        }
    }

    /// The HTTP status, when the server answered the upgrade request with something other than
    /// `101 Switching Protocols`, or an HTTP proxy answered the tunnel request with something
    /// other than `200` (e.g. 407: it wants credentials, or refused those given; 403: it
    /// forbids this destination).
    ///
    /// # Examples
    /// ```no_run
    /// use named_websocket::{ConnectOptions, Error, Socket};
    /// let options = ConnectOptions::new().proxy("http://proxy.local:3128");
    /// match Socket::connect_with("wss://example.com/feed", &options) {
    ///     Err(error @ Error::Proxy(_)) if error.http_status() == Some(407) => {
    ///         eprintln!("the proxy wants (other) credentials: {error}")
    ///     }
    ///     other => println!("{other:?}"),
    /// }
    /// ```
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Handshake(failure) => failure.status,
            Error::Proxy(detail) => detail.status,
            _ => None,
        }
    }

    /// How long the server asked to wait before trying again (its `Retry-After`, in seconds
    /// or as a date), when it refused the upgrade with one (typically with 429 or 503). A
    /// [`Reconnect`](crate::Reconnect) policy waits at least that long, up to its `max_delay`.
    ///
    /// # Examples
    /// ```no_run
    /// use named_websocket::Socket;
    /// if let Err(error) = Socket::connect("ws://127.0.0.1:9001/") {
    ///     if let (Some(429), Some(wait)) = (error.http_status(), error.retry_after()) {
    ///         println!("busy: try again in {wait:?}");
    ///     }
    /// }
    /// ```
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Handshake(failure) => failure.retry_after,
            _ => None,
        }
    }

    /// The phase that timed out, when this is a timeout.
    pub fn timeout_phase(&self) -> Option<Timeout> {
        match self {
            Error::Timeout(phase) => Some(*phase),
            _ => None,
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::InvalidArgument(message.into().into_boxed_str())
    }

    pub(crate) fn closed(code: u16, reason: impl Into<String>) -> Error {
        Error::Closed(Box::new(CloseInfo {
            code,
            reason: reason.into(),
        }))
    }

    /// The connection ended without a Close frame (code 1006).
    pub(crate) fn lost(reason: impl Into<String>) -> Error {
        Error::Closed(Box::new(CloseInfo::abnormal(reason)))
    }

    /// A call that needs the socket's messages, on a socket whose messages go to its callback.
    pub(crate) fn asynchronous(name: &str) -> Error {
        Error::WrongMode(
            format!("socket {name:?} is asynchronous: its messages go to its callback").into(),
        )
    }
}

/// What went wrong, in words, and the underlying error when there is one: the value of
/// [`Error::Tls`], [`Error::Dns`], [`Error::Proxy`], [`Error::Capacity`] and [`Error::Protocol`].
///
/// It reads as text (it dereferences to `str`); the underlying error is
/// [`Error::source`](std::error::Error::source) of the [`Error`] that carries it.
///
/// # Examples
/// ```no_run
/// use named_websocket::{websocket_client_connect, Error};
/// match websocket_client_connect("x", "no-such-host.invalid", 80, "/", "") {
///     Err(Error::Dns(detail)) => assert!(detail.contains("no-such-host.invalid")),
///     other => println!("{other:?}"),
/// }
/// ```
#[derive(Clone)]
pub struct Detail {
    text: Box<str>,
    cause: Option<Cause>,
    /// The HTTP status behind it, for a proxy's refusal.
    status: Option<u16>,
}

impl Detail {
    /// The text, as the error prints it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn cause(&self) -> Option<&(dyn StdError + 'static)> {
        self.cause.as_deref().map(|cause| cause as _)
    }

    /// The same detail with `prefix` in front of its text.
    pub(crate) fn prefixed(mut self: Box<Self>, prefix: &str) -> Box<Self> {
        self.text = format!("{prefix}{}", self.text).into_boxed_str();
        self
    }
}

/// Builds the boxed value of a variant from our words alone.
pub(crate) fn detail(text: impl Into<String>) -> Box<Detail> {
    Box::new(Detail {
        text: text.into().into_boxed_str(),
        cause: None,
        status: None,
    })
}

/// Builds the boxed value of a variant from our words and the HTTP status behind them.
pub(crate) fn detail_status(text: impl Into<String>, status: u16) -> Box<Detail> {
    Box::new(Detail {
        text: text.into().into_boxed_str(),
        cause: None,
        status: Some(status),
    })
}

/// Builds the boxed value of a variant from our words and the error beneath them.
pub(crate) fn detail_with(
    text: impl Into<String>,
    cause: impl StdError + Send + Sync + 'static,
) -> Box<Detail> {
    Box::new(Detail {
        text: text.into().into_boxed_str(),
        cause: Some(Arc::new(cause)),
        status: None,
    })
}

impl std::ops::Deref for Detail {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.text, f)
    }
}

impl PartialEq for Detail {
    fn eq(&self, other: &Detail) -> bool {
        self.text == other.text
    }
}

impl Eq for Detail {}

/// The phase of a connection in which a deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Timeout {
    /// Resolving the host name.
    Dns,
    /// Opening the TCP connection.
    Connect,
    /// The TLS handshake.
    Tls,
    /// The HTTP upgrade to WebSocket.
    Handshake,
    /// Waiting for a message.
    Read,
    /// Handing a message to the operating system (the peer stopped reading).
    Write,
    /// Waiting for the answer to a keepalive ping: nothing came back within `ping_timeout`.
    Pong,
    /// Nothing received for `idle_timeout`.
    Idle,
}

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Timeout::Dns => "DNS resolution",
            Timeout::Connect => "TCP connect",
            Timeout::Tls => "TLS handshake",
            Timeout::Handshake => "WebSocket handshake",
            Timeout::Read => "read",
            Timeout::Write => "write",
            Timeout::Pong => "keepalive (no answer to our ping)",
            Timeout::Idle => "idle connection (nothing received)",
        })
    }
}

/// Why the server refused the WebSocket upgrade.
#[derive(Clone)]
#[non_exhaustive]
pub struct HandshakeFailure {
    /// The HTTP status of the answer, when the server sent a valid HTTP answer that was not 101.
    pub status: Option<u16>,
    /// A short, printable excerpt of the answer's body, or what was wrong with the answer.
    pub detail: String,
    /// The error beneath, e.g. the I/O error that cut the upgrade short.
    pub(crate) cause: Option<Cause>,
    /// The server's `Retry-After`, when it gave one.
    pub(crate) retry_after: Option<Duration>,
}

impl HandshakeFailure {
    /// A refusal or a malformed answer, in our words.
    pub(crate) fn new(status: Option<u16>, detail: impl Into<String>) -> HandshakeFailure {
        HandshakeFailure {
            status,
            detail: detail.into(),
            cause: None,
            retry_after: None,
        }
    }
}

impl fmt::Debug for HandshakeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HandshakeFailure")
            .field("status", &self.status)
            .field("detail", &self.detail)
            .finish()
    }
}

impl PartialEq for HandshakeFailure {
    fn eq(&self, other: &HandshakeFailure) -> bool {
        self.status == other.status && self.detail == other.detail
    }
}

impl Eq for HandshakeFailure {}

impl fmt::Display for HandshakeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            // A 101 answer that cannot be accepted: the detail says what is wrong with it.
            Some(101) | None => write!(f, "WebSocket handshake failed: {}", self.detail),
            Some(status) => {
                write!(f, "the server refused the WebSocket upgrade: HTTP {status}")?;
                if let Some(reason) = status_reason(status) {
                    write!(f, " {reason}")?;
                }
                if !self.detail.is_empty() {
                    write!(f, ": {}", self.detail)?;
                }
                Ok(())
            }
        }
    }
}

/// The standard reason phrase of an HTTP status, as servers send it in their status line.
pub(crate) fn status_reason(status: u16) -> Option<&'static str> {
    tungstenite::http::StatusCode::from_u16(status)
        .ok()?
        .canonical_reason()
}

/// The close code and reason of a closed connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CloseInfo {
    /// The close code: the peer's or ours; 1005 when the peer's Close frame had no code, 1006
    /// when the connection was lost without a Close frame.
    pub code: u16,
    /// The close reason (may be empty).
    pub reason: String,
}

impl CloseInfo {
    /// A connection that ended without a Close frame: code 1006, as RFC 6455 §7.1.5 says.
    pub(crate) fn abnormal(reason: impl Into<String>) -> CloseInfo {
        CloseInfo {
            code: 1006,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for CloseInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connection closed (code {}", self.code)?;
        if !self.reason.is_empty() {
            write!(f, ": {}", self.reason)?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_stays_small_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert!(std::mem::size_of::<Error>() <= 24);
    }

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(
            Error::closed(1000, "bye").to_string(),
            "connection closed (code 1000: bye)"
        );
        assert_eq!(Error::Timeout(Timeout::Read).to_string(), "read timed out");
        let refused = Error::Handshake(Box::new(HandshakeFailure::new(Some(404), "not here")));
        assert_eq!(
            refused.to_string(),
            "the server refused the WebSocket upgrade: HTTP 404 Not Found: not here"
        );
        assert_eq!(refused.http_status(), Some(404));
    }

    #[test]
    fn the_underlying_error_is_the_source() {
        use std::error::Error as _;
        let error = Error::Tls(detail_with(
            "the server did not speak TLS",
            io::Error::from(io::ErrorKind::UnexpectedEof),
        ));
        assert_eq!(
            error.to_string(),
            "TLS handshake failed: the server did not speak TLS"
        );
        let source = error.source().expect("a source");
        assert!(source.downcast_ref::<io::Error>().is_some());
        assert!(Error::Dns(detail("x: no address found")).source().is_none());
        assert!(Error::Io(io::ErrorKind::Other.into()).source().is_some());
    }

    #[test]
    fn details_read_as_text() {
        let Error::Dns(detail) = Error::Dns(detail("no-such-host.invalid: not found")) else {
            unreachable!()
        };
        assert!(detail.contains("no-such-host.invalid"));
        assert_eq!(detail.as_str(), "no-such-host.invalid: not found");
        assert_eq!(format!("{detail:?}"), "\"no-such-host.invalid: not found\"");
    }
}
