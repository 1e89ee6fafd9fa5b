//! How the errors of the operating system, TLS and the protocol engine become ours.
//!
//! Every mapping lives here, and every one is pure: it says what happened, and the caller
//! decides what the connection does about it (mark it closed, send a Close frame). So an I/O
//! error is always read in the light of its phase, and the underlying error stays reachable
//! through [`Error::source`](std::error::Error::source).

use std::io;
use std::time::Duration;

use tungstenite::error::{CapacityError, ProtocolError, SubProtocolError};

use crate::deflate::reframe::ReframeError;
use crate::error::{detail, detail_with, Error, HandshakeFailure, Timeout};
use crate::settings::options::Limits;
use crate::transport::tls_failure::{self, BackendError, TlsProblem};

/// An I/O error of a given phase: `WouldBlock`/`TimedOut` are a timeout of that phase; a
/// reset, an abort, a broken pipe or an early end is an abnormal close (1006).
pub(crate) fn io(error: io::Error, phase: Timeout) -> Error {
    match error.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout(phase),
        io::ErrorKind::UnexpectedEof => Error::lost(format!("connection lost: {error}")),
        kind if is_peer_gone(kind) => Error::lost(peer_gone(kind, &error)),
        _ => Error::Io(error),
    }
}

/// How a connection the peer left ended, in the same words on every platform (Windows says
/// "An existing connection was forcibly closed by the remote host" for a reset), with the
/// system's own words after them.
pub(crate) fn peer_gone(kind: io::ErrorKind, error: &io::Error) -> String {
    let how = match kind {
        io::ErrorKind::ConnectionReset => "reset by the peer",
        io::ErrorKind::ConnectionAborted => "aborted",
        _ => "the peer is gone",
    };
    format!("connection lost: {how} ({error})")
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

/// A failure to resolve the proxy's host says so: "could not resolve the proxy's host …".
pub(crate) fn proxy_host(error: Error) -> Error {
    match error {
        Error::Dns(detail) => Error::Dns(detail.prefixed("the proxy's host ")),
        other => other,
    }
}

/// The resolver answered, but with no address.
pub(crate) fn no_address(host: &str) -> Error {
    Error::Dns(detail(format!("{host}: no address found")))
}

/// The TLS handshake with `host:port` failed; `seen` is what the server's first bytes showed
/// (see [`tls_failure::observed`]). A failure we can name gets our sentence, with the library's
/// error as the source; another keeps the library's words, once.
#[cfg(all(feature = "native-tls", not(feature = "rustls")))]
pub(crate) fn tls_handshake(
    error: native_tls::Error,
    seen: Option<TlsProblem>,
    (host, port): (&str, u16),
) -> Error {
    match seen.or_else(|| tls_failure::from_backend(&error)) {
        Some(problem) => Error::Tls(detail_with(
            tls_failure::sentence(problem, host, port),
            BackendError(Box::new(error)),
        )),
        None => Error::Tls(detail(backend_words(&error))),
    }
}

/// The same under rustls, which reports through an I/O error: its own error inside, or the
/// socket's.
#[cfg(feature = "rustls")]
pub(crate) fn tls_handshake(
    error: io::Error,
    seen: Option<TlsProblem>,
    (host, port): (&str, u16),
) -> Error {
    let problem = seen.or_else(|| tls_failure::from_backend(&error));
    // The rustls error itself, not the I/O error around it, whose text repeats it.
    let error: Box<dyn std::error::Error + Send + Sync> = match error.get_ref() {
        Some(inner) if inner.is::<rustls::Error>() => error.into_inner().expect("checked above"),
        _ => Box::new(error),
    };
    match problem {
        Some(problem) => Error::Tls(detail_with(
            tls_failure::sentence(problem, host, port),
            BackendError(error),
        )),
        None => Error::Tls(detail(error.to_string())),
    }
}

/// The TLS library's own words for a failure we cannot name; SChannel's common codes, which
/// Windows cannot word, get ours.
#[cfg(all(feature = "native-tls", not(feature = "rustls")))]
fn backend_words(error: &native_tls::Error) -> String {
    let text = error.to_string();
    #[cfg(windows)]
    let text = crate::transport::schannel_codes::describe(&text).unwrap_or(text);
    text
}

/// The TLS settings could not be turned into a connector.
#[cfg(all(feature = "native-tls", not(feature = "rustls")))]
pub(crate) fn tls_setup(error: native_tls::Error) -> Error {
    Error::Tls(detail(format!("could not set up TLS: {error}")))
}

/// The TLS settings could not be turned into a rustls configuration.
#[cfg(feature = "rustls")]
pub(crate) fn tls_setup(error: impl std::fmt::Display) -> Error {
    Error::Tls(detail(format!("could not set up TLS: {error}")))
}

/// An I/O error while talking to the proxy at `proxy` (`host:port`).
pub(crate) fn proxy_io(error: io::Error, proxy: &str) -> Error {
    match error.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::Timeout(Timeout::Connect),
        _ => Error::Proxy(detail_with(format!("proxy {proxy}: {error}"), error)),
    }
}

/// The upgrade failed for a reason other than an HTTP status; `offered` are the subprotocols
/// we asked for.
pub(crate) fn handshake(error: tungstenite::Error, offered: &[String]) -> Error {
    let text = match error {
        tungstenite::Error::Io(e) => {
            return match e.kind() {
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                    Error::Timeout(Timeout::Handshake)
                }
                _ => handshake_failure(
                    "the connection broke during the WebSocket handshake".to_owned(),
                    e,
                ),
            }
        }
        tungstenite::Error::Protocol(ProtocolError::SecWebSocketSubProtocolError(e)) => {
            return Error::Subprotocol(subprotocol(e, offered).into())
        }
        tungstenite::Error::Protocol(e) => upgrade_answer(&e),
        tungstenite::Error::Url(e) => return Error::invalid(e.to_string()),
        tungstenite::Error::HttpFormat(e) => return Error::invalid(e.to_string()),
        other => {
            let text = other.to_string();
            return handshake_failure(text, other);
        }
    };
    Error::Handshake(Box::new(HandshakeFailure::new(None, text)))
}

/// What was wrong with the server's answer to the upgrade, in words.
fn upgrade_answer(error: &ProtocolError) -> String {
    const NOT_WEBSOCKET: &str = "is this URL a WebSocket endpoint, and does every proxy \
        in between pass WebSocket upgrades?";
    match error {
        ProtocolError::WrongHttpVersion => format!(
            "the server answered in HTTP/1.0, which cannot carry a WebSocket: {NOT_WEBSOCKET}"
        ),
        ProtocolError::MissingConnectionUpgradeHeader => {
            format!("the server's answer lacks \"Connection: Upgrade\": {NOT_WEBSOCKET}")
        }
        ProtocolError::MissingUpgradeWebSocketHeader => {
            format!("the server's answer lacks \"Upgrade: websocket\": {NOT_WEBSOCKET}")
        }
        ProtocolError::SecWebSocketAcceptKeyMismatch => {
            "the server's Sec-WebSocket-Accept does not match our key: it is not a WebSocket \
             server, or something in between altered the answer"
                .to_owned()
        }
        ProtocolError::HandshakeIncomplete => {
            "the server closed the connection before answering the upgrade".to_owned()
        }
        ProtocolError::HttparseError(e) => {
            format!("the server's answer is not valid HTTP ({e}): {NOT_WEBSOCKET}")
        }
        ProtocolError::InvalidHeader(name) => {
            format!("the server's answer has a missing, repeated or invalid {name} header")
        }
        other => format!("the server's answer broke the WebSocket handshake: {other}"),
    }
}

/// Why the server's choice of subprotocol does not fit what was `offered`.
fn subprotocol(error: SubProtocolError, offered: &[String]) -> String {
    let offered = offered
        .iter()
        .map(|p| format!("{p:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    match error {
        SubProtocolError::NoSubProtocol => format!(
            "the server accepted none of the subprotocols offered ({offered}): check the \
             protocols you pass, or pass none if the server uses none"
        ),
        SubProtocolError::ServerSentSubProtocolNoneRequested => "the server chose a \
             subprotocol although none was offered: pass the one it expects in the protocols"
            .to_owned(),
        SubProtocolError::InvalidSubProtocol => {
            format!("the server chose a subprotocol that was not offered (offered: {offered})")
        }
    }
}

fn handshake_failure(text: String, cause: impl std::error::Error + Send + Sync + 'static) -> Error {
    let mut failure = HandshakeFailure::new(None, text);
    failure.cause = Some(std::sync::Arc::new(cause));
    Error::Handshake(Box::new(failure))
}

/// An HTTP answer other than 101: its status, a short plain-text excerpt of its body (an HTML
/// error page loses its markup), and how long it asks us to wait (`Retry-After`).
pub(crate) fn refused(status: u16, body: Option<&[u8]>, retry_after: Option<Duration>) -> Error {
    let mut failure =
        HandshakeFailure::new(Some(status), excerpt(status, body.unwrap_or_default()));
    failure.retry_after = retry_after;
    Error::Handshake(Box::new(failure))
}

/// A refusal of ours on the server's answer `status` (a redirect we do not follow), in words.
pub(crate) fn refused_because(status: u16, text: String) -> Error {
    Error::Handshake(Box::new(HandshakeFailure::new(Some(status), text)))
}

/// At most this many characters of a body are kept.
const EXCERPT: usize = 100;

/// A short plain-text excerpt of a body: markup and what a page does not show (its head,
/// scripts, styles) removed, blanks collapsed, a repeat of the status line dropped.
fn excerpt(status: u16, body: &[u8]) -> String {
    // Enough of a page to find its visible text; the rest is not read.
    let text = String::from_utf8_lossy(&body[..body.len().min(16 * 1024)]);
    let text = if text.trim_start().starts_with('<') {
        visible_text(&text)
    } else {
        text.into_owned()
    };
    let mut words = printable(&text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(reason) = crate::error::status_reason(status) {
        let repeat = format!("{status} {reason}");
        while let Some(rest) = words.strip_prefix(&repeat) {
            words = rest.trim_start().to_owned();
        }
    }
    if words.chars().count() > EXCERPT {
        words = words
            .chars()
            .take(EXCERPT)
            .collect::<String>()
            .trim_end()
            .to_owned();
        words.push('…');
    }
    words
}

/// The text an HTML page shows: without tags, comments, head, scripts and styles, with the
/// common entities decoded.
fn visible_text(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len().min(4096));
    let mut at = 0;
    while at < html.len() {
        let hidden = ["<head", "<script", "<style", "<!--"]
            .iter()
            .find(|open| lower[at..].starts_with(**open));
        if let Some(open) = hidden {
            let close = match *open {
                "<head" => "</head>",
                "<script" => "</script>",
                "<style" => "</style>",
                _ => "-->",
            };
            at = lower[at..]
                .find(close)
                .map_or(html.len(), |end| at + end + close.len());
            out.push(' ');
        } else if lower[at..].starts_with('<') {
            at = lower[at..].find('>').map_or(html.len(), |end| at + end + 1);
            out.push(' ');
        } else {
            let next = lower[at..].find('<').map_or(html.len(), |end| at + end);
            out.push_str(&html[at..next]);
            at = next;
        }
    }
    [
        ("&nbsp;", " "),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(out, |text, (entity, plain)| text.replace(entity, plain))
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
            let reason = violation(&e);
            ReadFailure::Violation {
                code: 1002,
                error: Error::Protocol(detail(reason.clone())),
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

/// How the server broke the protocol, in words short enough for a close reason (at most 123
/// bytes).
fn violation(error: &ProtocolError) -> String {
    match error {
        ProtocolError::NonZeroReservedBits => {
            "the server set reserved bits (an extension that was not agreed)".to_owned()
        }
        ProtocolError::MaskedFrameFromServer => "the server masked a frame".to_owned(),
        ProtocolError::FragmentedControlFrame => "the server fragmented a control frame".to_owned(),
        ProtocolError::ControlFrameTooBig => {
            "the server sent a control frame over 125 bytes".to_owned()
        }
        ProtocolError::UnknownControlFrameType(op) | ProtocolError::UnknownDataFrameType(op) => {
            format!("the server sent a frame of unknown type {op}")
        }
        ProtocolError::InvalidOpcode(op) => format!("the server sent the invalid opcode {op}"),
        ProtocolError::UnexpectedContinueFrame => {
            "the server continued a message it had not started".to_owned()
        }
        ProtocolError::ExpectedFragment(_) => {
            "the server started a message before it finished the previous one".to_owned()
        }
        ProtocolError::ReceivedAfterClosing => {
            "the server sent data after its Close frame".to_owned()
        }
        ProtocolError::InvalidCloseSequence => "the server's Close frame is invalid".to_owned(),
        other => format!("the server broke the WebSocket protocol: {other}"),
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
        tungstenite::Error::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
            WriteFailure::Failed(Error::Capacity(detail(format!(
                "a message of {size} bytes exceeds the limit of {max_size} bytes \
                 (ConnectOptions::max_message_size)"
            ))))
        }
        tungstenite::Error::Capacity(e) => {
            WriteFailure::Failed(Error::Capacity(detail(e.to_string())))
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
        assert!(err.to_string().contains("reset by the peer"), "{err}");
        // Windows' words for a reset say nothing of one.
        let windows = io::Error::new(
            io::ErrorKind::ConnectionReset,
            "An existing connection was forcibly closed by the remote host.",
        );
        let err = io(windows, Timeout::Read);
        assert!(err.to_string().contains("reset by the peer"), "{err}");
        let err = io(io::ErrorKind::PermissionDenied.into(), Timeout::Read);
        assert!(matches!(err, Error::Io(_)));
    }

    #[test]
    fn refusals_keep_a_short_printable_excerpt() {
        let long = vec![b'x'; 1000];
        let err = refused(404, Some(&long), None);
        let Error::Handshake(failure) = err else {
            panic!("not a handshake error")
        };
        assert_eq!(failure.status, Some(404));
        assert!(failure.detail.chars().count() <= EXCERPT + 1);
        let err = refused(500, Some(b"boom\r\nline"), None);
        assert_eq!(
            err.to_string(),
            "the server refused the WebSocket upgrade: HTTP 500 Internal Server Error: boom line"
        );
    }

    #[test]
    fn an_html_page_keeps_only_the_text_it_shows() {
        let page = b"<!DOCTYPE html><html><head><title>503 Service Unavailable</title>\
            <style>body { color: red }</style></head><body><!-- hi --><h1>503 Service \
            Unavailable</h1><script>alert(1)</script><p>Back &amp; soon</p></body></html>";
        assert_eq!(excerpt(503, page), "Back & soon");
        assert_eq!(excerpt(404, b"<p>unclosed"), "unclosed");
        assert_eq!(excerpt(404, b"<p unclosed"), "");
        assert_eq!(
            excerpt(200, b"a < b"),
            "a < b",
            "plain text keeps its signs"
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
