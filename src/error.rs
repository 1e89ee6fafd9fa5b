//! The one error type of the crate, and the mapping from the errors of the crates we build on.

use std::fmt;
use std::io;

use crate::state::State;

/// A specialized `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, named after the cause a caller acts on.
///
/// Messages read well when printed as they are, like WLanguage's `ErrorInfo`.
/// Large payloads are boxed so that `Result<T>` stays small on the happy path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An argument was rejected before anything touched the network.
    #[error("invalid argument: {0}")]
    InvalidArgument(Box<str>),
    /// Another socket already holds this name.
    #[error("socket name {0:?} is already in use")]
    NameInUse(Box<str>),
    /// No socket holds this name.
    #[error("no socket named {0:?}")]
    NotFound(Box<str>),
    /// The call does not fit the socket's mode, e.g. reading a socket whose messages go to a
    /// callback.
    #[error("{0}")]
    WrongMode(Box<str>),
    /// A deadline passed; the value says in which phase.
    #[error("{0} timed out")]
    Timeout(Timeout),
    /// The host name could not be resolved.
    #[error("could not resolve {0}")]
    Dns(Box<str>),
    /// The access policy refused the connection; nothing was sent.
    #[error("{0}")]
    AccessDenied(Box<str>),
    /// The HTTP proxy refused or broke the tunnel.
    #[error("{0}")]
    Proxy(Box<str>),
    /// Every address of the host refused the TCP connection.
    #[error("connection refused by {0}")]
    ConnectRefused(Box<str>),
    /// The TLS handshake failed (untrusted certificate, wrong host name, not a TLS server, …).
    #[error("TLS handshake failed: {0}")]
    Tls(Box<str>),
    /// The server did not accept the WebSocket upgrade.
    #[error("{0}")]
    Handshake(Box<HandshakeFailure>),
    /// The server's choice of subprotocol does not match what was offered.
    #[error("subprotocol rejected: {0}")]
    Subprotocol(Box<str>),
    /// The connection is closed; the value carries the close code and reason.
    #[error("{0}")]
    Closed(Box<CloseInfo>),
    /// The socket is not open yet (still connecting) or not open again yet (reconnecting).
    #[error("the socket is {0}, not open")]
    NotOpen(State),
    /// A message or frame exceeded a configured size limit.
    #[error("size limit exceeded: {0}")]
    Capacity(Box<str>),
    /// The peer broke the WebSocket protocol (RFC 6455).
    #[error("WebSocket protocol violation: {0}")]
    Protocol(Box<str>),
    /// Any other I/O error from the operating system.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
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
    /// `101 Switching Protocols`.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Error::Handshake(failure) => failure.status,
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

    /// Maps an I/O error of a given phase: `WouldBlock`/`TimedOut` become a timeout of that
    /// phase; a reset or broken pipe becomes an abnormal close (1006).
    pub(crate) fn from_io(err: io::Error, phase: Timeout) -> Error {
        match err.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout(phase),
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof => {
                Error::closed(1006, format!("connection lost: {err}"))
            }
            _ => Error::Io(err),
        }
    }
}

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
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HandshakeFailure {
    /// The HTTP status of the answer, when the server sent a valid HTTP answer that was not 101.
    pub status: Option<u16>,
    /// A short, printable excerpt of the answer's body, or what was wrong with the answer.
    pub detail: String,
}

impl fmt::Display for HandshakeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) if self.detail.is_empty() => {
                write!(f, "WebSocket handshake refused: HTTP {status}")
            }
            Some(status) => write!(
                f,
                "WebSocket handshake refused: HTTP {status}: {}",
                self.detail
            ),
            None => write!(f, "WebSocket handshake failed: {}", self.detail),
        }
    }
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
        assert_eq!(
            Error::Timeout(Timeout::Connect).to_string(),
            "TCP connect timed out"
        );
        let refused = Error::Handshake(Box::new(HandshakeFailure {
            status: Some(404),
            detail: "not here".into(),
        }));
        assert_eq!(
            refused.to_string(),
            "WebSocket handshake refused: HTTP 404: not here"
        );
        assert_eq!(refused.http_status(), Some(404));
    }

    #[test]
    fn io_errors_map_to_the_phase() {
        let err = Error::from_io(io::ErrorKind::WouldBlock.into(), Timeout::Write);
        assert_eq!(err.timeout_phase(), Some(Timeout::Write));
        let err = Error::from_io(io::ErrorKind::ConnectionReset.into(), Timeout::Read);
        assert_eq!(err.close_code(), Some(1006));
    }
}
