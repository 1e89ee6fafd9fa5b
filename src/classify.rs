//! How the errors of the operating system, TLS and the protocol engine become ours.
//!
//! Every mapping lives here, and every one is pure: it says what happened, and the caller
//! decides what the connection does about it (mark it closed, send a Close frame). So an I/O
//! error is always read in the light of its phase, and the underlying error stays reachable
//! through [`Error::source`](std::error::Error::source).

use std::io;

use tungstenite::error::{CapacityError, ProtocolError};

use crate::deflate::reframe::ReframeError;
use crate::error::{detail, detail_with, Error, HandshakeFailure, Timeout};

/// An I/O error of a given phase: `WouldBlock`/`TimedOut` are a timeout of that phase; a
/// reset, an abort, a broken pipe or an early end is an abnormal close (1006).
pub(crate) fn io(error: io::Error, phase: Timeout) -> Error {
    match error.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout(phase),
        io::ErrorKind::UnexpectedEof => Error::lost(format!("connection lost: {error}")),
        kind if is_peer_gone(kind) => Error::lost(format!("connection lost: {error}")),
        _ => Error::Io(error),
    }
}

/// Errors that say the peer can no longer receive anything.
pub(crate) fn is_peer_gone(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
    )
}

/// The engine's way of saying "nothing more now" on a non-blocking socket.
pub(crate) fn would_block(error: &tungstenite::Error) -> bool {
    matches!(error, tungstenite::Error::Io(e) if e.kind() == io::ErrorKind::WouldBlock)
}

/// The system resolver failed for `host`.
pub(crate) fn dns(host: &str, error: io::Error) -> Error {
    Error::Dns(detail_with(format!("{host}: {error}"), error))
}

/// The resolver answered, but with no address.
pub(crate) fn no_address(host: &str) -> Error {
    Error::Dns(detail(format!("{host}: no address found")))
}

/// The TLS handshake failed. A server that answers in plain text (or hangs up) is the common
/// mistake of `wss://` to a `ws://` server: say so, rather than OpenSSL's "unexpected EOF".
pub(crate) fn tls_handshake(error: native_tls::Error) -> Error {
    let text = error.to_string();
    let lower = text.to_ascii_lowercase();
    let not_tls = [
        "wrong version number",
        "unexpected eof",
        "packet length too long",
        "record layer failure",
        "http request",
    ];
    let sentence = if not_tls.iter().any(|sign| lower.contains(sign)) {
        format!("the server did not answer in TLS; is it a ws:// server? ({text})")
    } else {
        text
    };
    Error::Tls(detail_with(sentence, error))
}

/// The TLS settings could not be turned into a connector.
pub(crate) fn tls_setup(error: native_tls::Error) -> Error {
    Error::Tls(detail_with(format!("could not set up TLS: {error}"), error))
}

/// An I/O error while talking to the proxy at `proxy` (`host:port`).
pub(crate) fn proxy_io(error: io::Error, proxy: &str) -> Error {
    match error.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout(Timeout::Connect),
        _ => Error::Proxy(detail_with(format!("proxy {proxy}: {error}"), error)),
    }
}

/// The upgrade failed for a reason other than an HTTP status.
pub(crate) fn handshake(error: tungstenite::Error) -> Error {
    let text = match error {
        tungstenite::Error::Io(e) => {
            return match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                    Error::Timeout(Timeout::Handshake)
                }
                _ => handshake_failure(format!("connection lost during the upgrade: {e}"), e),
            }
        }
        tungstenite::Error::Protocol(ProtocolError::SecWebSocketSubProtocolError(e)) => {
            return Error::Subprotocol(e.to_string().into())
        }
        tungstenite::Error::Protocol(ProtocolError::SecWebSocketAcceptKeyMismatch) => {
            "the server's Sec-WebSocket-Accept does not match our key".to_owned()
        }
        tungstenite::Error::Protocol(ProtocolError::HandshakeIncomplete) => {
            "the server closed the connection before answering the upgrade".to_owned()
        }
        tungstenite::Error::Url(e) => return Error::invalid(e.to_string()),
        tungstenite::Error::HttpFormat(e) => return Error::invalid(e.to_string()),
        other => {
            let text = other.to_string();
            return handshake_failure(text, other);
        }
    };
    Error::Handshake(Box::new(HandshakeFailure::new(None, text)))
}

fn handshake_failure(text: String, cause: impl std::error::Error + Send + Sync + 'static) -> Error {
    let mut failure = HandshakeFailure::new(None, text);
    failure.cause = Some(std::sync::Arc::new(cause));
    Error::Handshake(Box::new(failure))
}

/// An HTTP answer other than 101, with a short printable excerpt of its body.
pub(crate) fn refused(status: u16, body: Option<&[u8]>) -> Error {
    const EXCERPT: usize = 200;
    let body = body.unwrap_or_default();
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT)]);
    let mut excerpt = printable(&text).trim().to_owned();
    if body.len() > EXCERPT {
        excerpt.push('…');
    }
    Error::Handshake(Box::new(HandshakeFailure::new(Some(status), excerpt)))
}

/// Text from the peer, fit to print: control characters (escapes, line breaks) become blanks.
pub(crate) fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// What the peer's Close frame says: the code and reason to record (the reason fit to print),
/// and the error to report when the frame itself broke the protocol.
#[derive(Debug)]
pub(crate) struct PeerClose {
    pub(crate) code: u16,
    pub(crate) reason: String,
    pub(crate) violation: Option<Error>,
}

/// The reason tungstenite puts in place of a Close frame whose code may not be sent (below
/// 1000, 1004-1006, 1015, 1016-2999): it answers 1002 and hands us its own frame.
const INVALID_CODE_STAND_IN: &str = "Protocol violation";

/// Reads the peer's Close frame (`None`: a frame without a code).
pub(crate) fn peer_close(frame: Option<(u16, &str)>) -> PeerClose {
    match frame {
        None => PeerClose {
            code: 1005,
            reason: String::new(),
            violation: None,
        },
        Some((1002, INVALID_CODE_STAND_IN)) => {
            let reason = "the server's Close frame had an invalid close code";
            PeerClose {
                code: 1002,
                reason: reason.to_owned(),
                violation: Some(Error::Protocol(detail(reason))),
            }
        }
        Some((code, reason)) => PeerClose {
            code,
            reason: printable(reason),
            violation: None,
        },
    }
}

/// The size limits a connection was opened with, to name the one a message broke.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_frame_size: Option<usize>,
    pub(crate) max_message_size: Option<usize>,
}

/// What a failed read means for the connection.
#[derive(Debug)]
pub(crate) enum ReadFailure {
    /// The connection was already closed: report how it ended.
    Closed,
    /// The connection is gone without a Close frame (1006, `reason`). `report` is what the
    /// caller returns, when it is not the closed error itself.
    Lost {
        reason: String,
        report: Option<Error>,
    },
    /// The peer broke the protocol: fail the connection with `code` and `reason` (RFC 6455
    /// §7.1.7), and report `error`.
    Violation {
        code: u16,
        reason: String,
        error: Error,
    },
}

/// Classifies an error of the engine's `read`, other than "would block".
pub(crate) fn read(error: tungstenite::Error, limits: Limits) -> ReadFailure {
    match error {
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
            ReadFailure::Closed
        }
        tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {
            ReadFailure::Lost {
                reason: "the server closed the TCP connection without a Close frame".into(),
                report: None,
            }
        }
        // permessage-deflate's transform fails the stream with its own error (see
        // `deflate::reframe`); the engine passes it up as an I/O error.
        tungstenite::Error::Io(e) if ReframeError::from_io(&e).is_some() => {
            let e = ReframeError::from_io(&e).expect("checked").clone();
            let (code, text) = (e.close_code(), e.to_string());
            let (reason, error) = match code {
                1009 => ("message too big", Error::Capacity(detail_with(text, e))),
                1007 => (
                    "invalid compressed data",
                    Error::Protocol(detail_with(text, e)),
                ),
                _ => (
                    "permessage-deflate framing",
                    Error::Protocol(detail_with(text, e)),
                ),
            };
            ReadFailure::Violation {
                code,
                reason: reason.into(),
                error,
            }
        }
        tungstenite::Error::Io(e) => match io(e, Timeout::Read) {
            Error::Closed(info) => ReadFailure::Lost {
                reason: info.reason,
                report: None,
            },
            other => ReadFailure::Lost {
                reason: other.to_string(),
                report: Some(other),
            },
        },
        tungstenite::Error::Tls(e) => {
            let text = e.to_string();
            ReadFailure::Lost {
                reason: format!("TLS failure: {text}"),
                report: Some(Error::Tls(detail_with(text, e))),
            }
        }
        tungstenite::Error::Utf8(_) => {
            let reason = "invalid UTF-8 in a text message";
            ReadFailure::Violation {
                code: 1007,
                reason: reason.into(),
                error: Error::Protocol(detail(reason)),
            }
        }
        tungstenite::Error::Capacity(e) => {
            let text = match e {
                CapacityError::MessageTooLong { size, max_size } => {
                    let limit = if limits.max_frame_size != Some(max_size) {
                        "max_message_size"
                    } else if limits.max_message_size == Some(max_size) {
                        "max_frame_size or max_message_size"
                    } else {
                        "max_frame_size"
                    };
                    format!("message of {size} bytes exceeds {limit} ({max_size} bytes)")
                }
                ref other => other.to_string(),
            };
            ReadFailure::Violation {
                code: 1009,
                reason: "message too big".into(),
                error: Error::Capacity(detail_with(text, e)),
            }
        }
        tungstenite::Error::Protocol(e) => {
            let reason = e.to_string();
            ReadFailure::Violation {
                code: 1002,
                error: Error::Protocol(detail_with(reason.clone(), e)),
                reason,
            }
        }
        other => {
            let reason = other.to_string();
            ReadFailure::Violation {
                code: 1002,
                error: Error::Protocol(detail_with(reason.clone(), other)),
                reason,
            }
        }
    }
}

/// What a failed write means. A failed write fails writes only: what the peer sent before is
/// still there to read, and the reader reports how the connection ended.
#[derive(Debug)]
pub(crate) enum WriteFailure {
    /// The connection was already closed (or closing): report how it ended.
    Closed,
    /// The peer can no longer receive: report its close code if a reader saw one.
    PeerGone(io::ErrorKind),
    /// Report this error.
    Failed(Error),
}

/// Classifies an error of the engine's `send` or `flush`, other than "would block".
pub(crate) fn write(error: tungstenite::Error) -> WriteFailure {
    match error {
        tungstenite::Error::ConnectionClosed
        | tungstenite::Error::AlreadyClosed
        | tungstenite::Error::Protocol(ProtocolError::SendAfterClosing) => WriteFailure::Closed,
        tungstenite::Error::Io(e) if is_peer_gone(e.kind()) => WriteFailure::PeerGone(e.kind()),
        tungstenite::Error::Io(e) => WriteFailure::Failed(io(e, Timeout::Write)),
        tungstenite::Error::Capacity(e) => {
            WriteFailure::Failed(Error::Capacity(detail_with(e.to_string(), e)))
        }
        tungstenite::Error::WriteBufferFull(_) => {
            WriteFailure::Failed(Error::Capacity(detail("the write buffer is full")))
        }
        other => {
            let text = other.to_string();
            WriteFailure::Failed(Error::Protocol(detail_with(text, other)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_map_to_the_phase() {
        let err = io(io::ErrorKind::WouldBlock.into(), Timeout::Write);
        assert_eq!(err.timeout_phase(), Some(Timeout::Write));
        let err = io(io::ErrorKind::ConnectionReset.into(), Timeout::Read);
        assert_eq!(err.close_code(), Some(1006));
        let err = io(io::ErrorKind::PermissionDenied.into(), Timeout::Read);
        assert!(matches!(err, Error::Io(_)));
    }

    #[test]
    fn refusals_keep_a_short_printable_excerpt() {
        let long = vec![b'x'; 1000];
        let err = refused(404, Some(&long));
        let Error::Handshake(failure) = err else {
            panic!("not a handshake error")
        };
        assert_eq!(failure.status, Some(404));
        assert!(failure.detail.chars().count() <= 201);
        let err = refused(500, Some(b"boom\r\nline"));
        assert_eq!(
            err.to_string(),
            "WebSocket handshake refused: HTTP 500: boom  line"
        );
    }

    #[test]
    fn read_failures_name_the_close_code_to_send() {
        let limits = Limits {
            max_frame_size: Some(10),
            max_message_size: Some(100),
        };
        let too_long = tungstenite::Error::Capacity(CapacityError::MessageTooLong {
            size: 200,
            max_size: 100,
        });
        match read(too_long, limits) {
            ReadFailure::Violation { code, error, .. } => {
                assert_eq!(code, 1009);
                assert!(error.to_string().contains("max_message_size"), "{error}");
                assert!(std::error::Error::source(&error).is_some());
            }
            other => panic!("{other:?}"),
        }
        let utf8 = tungstenite::Error::Utf8("bad".into());
        assert!(matches!(
            read(utf8, limits),
            ReadFailure::Violation { code: 1007, .. }
        ));
        let reset = tungstenite::Error::Io(io::ErrorKind::ConnectionReset.into());
        assert!(matches!(
            read(reset, limits),
            ReadFailure::Lost { report: None, .. }
        ));
        assert!(matches!(
            read(tungstenite::Error::ConnectionClosed, limits),
            ReadFailure::Closed
        ));
    }

    #[test]
    fn a_peer_close_is_recorded_fit_to_print_and_an_invalid_code_is_a_violation() {
        let close = peer_close(Some((4000, "bye\u{1b}[2J\r\nnow")));
        assert_eq!((close.code, close.reason.as_str()), (4000, "bye [2J  now"));
        assert!(close.violation.is_none());
        assert_eq!(peer_close(None).code, 1005);
        let invalid = peer_close(Some((1002, INVALID_CODE_STAND_IN)));
        assert!(matches!(invalid.violation, Some(Error::Protocol(_))));
    }

    #[test]
    fn write_failures_tell_a_gone_peer_from_other_errors() {
        let gone = tungstenite::Error::Io(io::ErrorKind::BrokenPipe.into());
        assert!(matches!(
            write(gone),
            WriteFailure::PeerGone(io::ErrorKind::BrokenPipe)
        ));
        assert!(matches!(
            write(tungstenite::Error::AlreadyClosed),
            WriteFailure::Closed
        ));
        let full = tungstenite::Error::WriteBufferFull(Box::new(tungstenite::Message::Ping(
            Default::default(),
        )));
        assert!(matches!(
            write(full),
            WriteFailure::Failed(Error::Capacity(_))
        ));
    }
}
