//! Connect options and their defaults.

use std::time::Duration;

use tungstenite::http::{HeaderName, HeaderValue};

use crate::error::{Error, Result};
use crate::sensitive::{is_sensitive_header, redact_url, REDACTED};
use crate::settings::compression::Compression;
use crate::settings::http_token::is_token;
use crate::settings::proxy::Proxy;
use crate::settings::reconnect::Reconnect;
use crate::settings::tls::{Certificate, Identity, TlsSettings};
use crate::tls_version::TlsVersion;

/// Settings for one connection, passed to the options forms of the connect functions.
///
/// Built by chaining setters on [`ConnectOptions::new`]; every setter says its default. Values
/// are checked when the connect call starts, which fails with [`Error::InvalidArgument`] before
/// any network traffic when one is out of range.
///
/// # Examples
/// ```no_run
/// use std::time::Duration;
/// use named_websocket::{websocket_client_connect_with, ConnectOptions};
///
/// let options = ConnectOptions::new()
///     .connect_timeout(Duration::from_secs(3))
///     .protocols("chat.v2, chat.v1");
/// websocket_client_connect_with("chat", "wss://example.com/chat", &options)?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub(crate) connect_timeout: Duration,
    pub(crate) write_timeout: Duration,
    pub(crate) close_timeout: Duration,
    pub(crate) protocols: String,
    pub(crate) headers: Headers,
    pub(crate) tls: TlsSettings,
    pub(crate) max_message_size: Option<usize>,
    pub(crate) max_frame_size: Option<usize>,
    pub(crate) read_buffer_size: usize,
    pub(crate) max_write_buffer_size: Option<usize>,
    pub(crate) max_redirects: u32,
    pub(crate) cross_origin_redirects: bool,
    pub(crate) proxy: Option<ProxyUrl>,
    pub(crate) proxy_from_env: bool,
    pub(crate) access_reason: Option<String>,
    pub(crate) event_queue_limit: usize,
    pub(crate) event_queue_bytes: usize,
    pub(crate) ping_interval: Option<Duration>,
    pub(crate) ping_timeout: Duration,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) reconnect: Option<Reconnect>,
    pub(crate) compression: Option<Compression>,
}

/// The headers a caller added, and the names it marked as sensitive. Their `Debug` shows the
/// names, never the value of a sensitive one.
#[derive(Clone, Default)]
pub(crate) struct Headers {
    pub(crate) entries: Vec<(String, String)>,
    pub(crate) marked: Vec<String>,
}

impl Headers {
    fn is_sensitive(&self, name: &str) -> bool {
        is_sensitive_header(name, &self.marked)
    }
}

impl std::fmt::Debug for Headers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = f.debug_list();
        for (name, value) in &self.entries {
            let shown = if self.is_sensitive(name) {
                REDACTED
            } else {
                value
            };
            list.entry(&format_args!("{name}: {shown}"));
        }
        list.finish()
    }
}

/// A proxy URL as the caller gave it; its `Debug` hides the password.
#[derive(Clone)]
pub(crate) struct ProxyUrl(pub(crate) String);

impl std::fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&redact_url(&self.0), f)
    }
}

/// The options once checked, in the form the connect code uses.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub(crate) protocols: Vec<String>,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) proxy: Option<Proxy>,
}

/// The default `User-Agent` of the upgrade request.
const USER_AGENT: &str = concat!("named-websocket/", env!("CARGO_PKG_VERSION"));

/// Headers the library writes itself: a caller's value would break the handshake.
const RESERVED_HEADERS: [&str; 10] = [
    "host",
    "connection",
    "upgrade",
    "sec-websocket-key",
    "sec-websocket-version",
    "sec-websocket-accept",
    "sec-websocket-extensions",
    "sec-websocket-protocol",
    "content-length",
    "transfer-encoding",
];

/// Small, so that an idle socket costs little memory: the buffer is filled on the first read.
const DEFAULT_READ_BUFFER: usize = 4 * 1024;

/// The largest message, frame or write buffer any option allows, and what `None` means for
/// them: the engine sets aside a frame's announced length before reading it, so an unbounded
/// limit would let a peer's 10-byte header ask for more memory than the machine has.
pub(crate) const SIZE_CEILING: usize = 1 << 30;

/// The largest read buffer allowed: it is allocated at the first read and kept.
const READ_BUFFER_CEILING: usize = 64 << 20;

/// The default budget of message bytes waiting for the application, per socket.
const DEFAULT_EVENT_QUEUE_BYTES: usize = 16 << 20;

/// The default limit of bytes waiting to be sent: a 64 MiB message and its frame header.
const DEFAULT_WRITE_BUFFER_LIMIT: usize = (64 << 20) + 14;

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            connect_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            close_timeout: Duration::from_secs(5),
            protocols: String::new(),
            headers: Headers::default(),
            tls: TlsSettings::default(),
            max_message_size: Some(64 << 20),
            max_frame_size: Some(16 << 20),
            read_buffer_size: DEFAULT_READ_BUFFER,
            max_write_buffer_size: Some(DEFAULT_WRITE_BUFFER_LIMIT),
            max_redirects: 3,
            cross_origin_redirects: false,
            proxy: None,
            proxy_from_env: false,
            access_reason: None,
            event_queue_limit: 1024,
            event_queue_bytes: DEFAULT_EVENT_QUEUE_BYTES,
            ping_interval: None,
            ping_timeout: Duration::from_secs(20),
            idle_timeout: None,
            reconnect: None,
            compression: None,
        }
    }
}

impl ConnectOptions {
    /// The defaults, as each setter below documents them.
    pub fn new() -> ConnectOptions {
        ConnectOptions::default()
    }

    /// The deadline for the whole connect: DNS, TCP, TLS and the HTTP upgrade, redirects
    /// included.
    ///
    /// Defaults to 10 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a write may wait without the peer accepting a single byte; past it the write
    /// fails with a timeout and the connection is closed (a half-written frame cannot be taken
    /// back). The same bound applies to what the library owes the peer on its own (pongs,
    /// close replies): a peer that keeps sending but takes nothing for this long fails the
    /// connection, and the read (or the asynchronous socket's `Error`) reports
    /// [`Timeout::Write`](crate::Timeout::Write).
    ///
    /// Defaults to 30 seconds.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// How long `socket_close` waits for the peer's answer to our Close frame before it shuts
    /// the TCP connection anyway.
    ///
    /// Defaults to 5 seconds.
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// Subprotocols to offer, comma-separated as in WLanguage (`"mqtt,soap"`); blanks around
    /// names are ignored. When the list is not empty the server must select one of them, or the
    /// connect fails with [`Error::Subprotocol`].
    ///
    /// Defaults to none.
    pub fn protocols(mut self, protocols: &str) -> Self {
        self.protocols = protocols.to_owned();
        self
    }

    /// Trusts this certificate as a root for `wss://` connections, besides the system's roots.
    /// May be called several times.
    ///
    /// Defaults to the system's roots only.
    pub fn add_root_certificate(mut self, certificate: Certificate) -> Self {
        self.tls.root_certificates.push(certificate);
        self
    }

    /// **Dangerous:** accepts any server certificate, expired, self-signed or for another host,
    /// so anyone on the path can read and change the traffic. A warning is logged at each
    /// connect. Prefer [`add_root_certificate`](Self::add_root_certificate).
    ///
    /// Defaults to `false` (certificates and host names are verified).
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.tls.accept_invalid_certs = accept;
        self
    }

    /// The largest message accepted from the server; a larger one fails the connection with
    /// close code 1009 and [`Error::Capacity`]. At most 1 GiB; `None` means that ceiling
    /// (memory is bounded whatever the options: a peer cannot make a message grow forever).
    ///
    /// Defaults to 64 MiB.
    pub fn max_message_size(mut self, size: Option<usize>) -> Self {
        self.max_message_size = size;
        self
    }

    /// The largest single frame accepted from the server; a larger one fails the connection
    /// with close code 1009 and [`Error::Capacity`], before any of it is read. At most
    /// [`max_message_size`](Self::max_message_size); `None` means as large as that allows. (The
    /// engine sets aside a frame's announced length before reading it, so this limit, always
    /// finite, is what keeps a peer's frame header from asking for any amount of memory.)
    ///
    /// Defaults to 16 MiB.
    pub fn max_frame_size(mut self, size: Option<usize>) -> Self {
        self.max_frame_size = size;
        self
    }

    /// How many HTTP redirects (301, 302, 303, 307, 308) the upgrade follows; 0 makes a
    /// redirect an error. A redirect from `wss://` to `ws://` is never followed.
    ///
    /// Defaults to 3.
    pub fn max_redirects(mut self, redirects: u32) -> Self {
        self.max_redirects = redirects;
        self
    }

    /// Adds a header to the upgrade request (`Authorization`, `Cookie`, `Origin`,
    /// `User-Agent`, …). May be called several times; a name given twice is sent twice.
    /// Names and values are checked at connect; the headers the handshake itself needs (`Host`,
    /// `Upgrade`, `Connection`, `Sec-WebSocket-*`, `Content-Length`, `Transfer-Encoding`) are
    /// refused (use [`protocols`](Self::protocols) for `Sec-WebSocket-Protocol`). The values of
    /// sensitive headers (see [`sensitive_header`](Self::sensitive_header)) are never printed,
    /// and those headers are not sent again after a redirect to another origin.
    ///
    /// Defaults to none, besides `User-Agent: named-websocket/<version>` when no `User-Agent`
    /// is given.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .entries
            .push((name.to_owned(), value.to_owned()));
        self
    }

    /// Marks a header name as sensitive, like `Authorization`: its value is never printed (in
    /// `Debug` output, errors or logs) and the header is not sent again after a redirect to
    /// another origin. Already sensitive: `Authorization`, `Proxy-Authorization`, `Cookie`, and
    /// every name containing `auth`, `token`, `key`, `secret`, `password`, `session`, `cookie`
    /// or `credential` (`X-Api-Key`, `X-Auth-Token`, ...). May be called several times.
    ///
    /// Defaults to those names only.
    pub fn sensitive_header(mut self, name: &str) -> Self {
        self.headers.marked.push(name.to_owned());
        self
    }

    /// Presents this client certificate when the server asks for one (mutual TLS).
    ///
    /// Defaults to none.
    pub fn identity(mut self, identity: Identity) -> Self {
        self.tls.identity = Some(identity);
        self
    }

    /// The oldest TLS version to accept (WLanguage's SSL protocol option).
    ///
    /// Defaults to the TLS library's own minimum (TLS 1.2 with current OpenSSL settings on
    /// most systems).
    ///
    /// `TlsVersion::Tls13` needs a system TLS that speaks it: OpenSSL 1.1.1 or later (Linux),
    /// Windows 11 or Windows Server 2022 (SChannel); macOS's Security Framework, as native-tls
    /// uses it, does not. Where the system cannot, the connect fails with [`Error::Tls`]
    /// (on Windows: "this system's TLS does not support what was asked").
    pub fn min_tls_version(mut self, version: TlsVersion) -> Self {
        self.tls.min_version = Some(version);
        self
    }

    /// **Dangerous:** accepts a certificate issued for another host name, so a certificate
    /// stolen from any site of the same authority passes. A warning is logged at each connect.
    ///
    /// Defaults to `false`.
    pub fn danger_accept_invalid_hostnames(mut self, accept: bool) -> Self {
        self.tls.accept_invalid_hostnames = accept;
        self
    }

    /// The size of the protocol engine's read buffer. It is allocated at the first read and
    /// kept, so it is most of what an idle socket costs. A busy socket is read in 64 KiB gulps
    /// whatever this size (that second buffer is given back when the socket drains), so a
    /// small read buffer costs little throughput. At most 64 MiB.
    ///
    /// Defaults to 4 KiB.
    pub fn read_buffer_size(mut self, size: usize) -> Self {
        self.read_buffer_size = size;
        self
    }

    /// The most bytes of outgoing frames that may wait for the peer at once, across all the
    /// threads writing to the socket; a write that would go past it fails with
    /// [`Error::Capacity`] and sends nothing, so it must hold the largest message you send.
    /// It also bounds the pongs and close replies owed to a peer that sends but does not read:
    /// past the limit they wait, and once nothing has gone out for the
    /// [`write_timeout`](Self::write_timeout) the connection fails with
    /// [`Error::Timeout`]`(`[`Timeout::Write`](crate::Timeout::Write)`)`. At most 1 GiB; `None`
    /// means that ceiling. (Each write returns only once its frame is out, so a single writer
    /// never has more than one frame waiting.)
    ///
    /// Defaults to 64 MiB and 14 bytes: a 64 MiB message with its frame header.
    pub fn max_write_buffer_size(mut self, size: Option<usize>) -> Self {
        self.max_write_buffer_size = size;
        self
    }

    /// Whether a redirect may lead to another origin (another scheme, host or port).
    /// `wss://` to `ws://` is never followed. Sensitive headers (see
    /// [`sensitive_header`](Self::sensitive_header)), and the user and password of the URL,
    /// are not sent to the other origin.
    ///
    /// Defaults to `false`: only redirects within the same origin are followed.
    pub fn follow_cross_origin_redirects(mut self, allow: bool) -> Self {
        self.cross_origin_redirects = allow;
        self
    }

    /// Connects through an HTTP proxy with the CONNECT method: `http://host:port`, with
    /// `http://user:password@host:port` for basic authentication.
    ///
    /// Defaults to no proxy.
    pub fn proxy(mut self, url: &str) -> Self {
        self.proxy = Some(ProxyUrl(url.to_owned()));
        self
    }

    /// Takes the proxy from the environment when [`proxy`](Self::proxy) is not set:
    /// `https_proxy` for `wss://` and `http_proxy` for `ws://` (upper-case names too, then
    /// `all_proxy`), except for hosts `no_proxy` covers (`*`, host names, domain suffixes,
    /// and IP ranges such as `127.0.0.0/8` or `fd00::/8`). In a CGI program (`REQUEST_METHOD`
    /// set) the upper-case `HTTP_PROXY` is ignored: a request's `Proxy:` header can set it
    /// ("httpoxy"). On Windows, where `http_proxy` and `HTTP_PROXY` are one variable, a CGI
    /// program reads neither for `ws://` (only `all_proxy`).
    ///
    /// Defaults to `false`: the environment is ignored.
    pub fn proxy_from_env(mut self, enabled: bool) -> Self {
        self.proxy_from_env = enabled;
        self
    }

    /// Why this connection is made, shown to the access policy (see
    /// [`set_access_policy`](crate::set_access_policy)), as Resonite's `AccessReason`.
    ///
    /// Defaults to none.
    pub fn access_reason(mut self, reason: &str) -> Self {
        self.access_reason = Some(reason.to_owned());
        self
    }

    /// For sockets run by a worker (asynchronous ones, and blocking ones with keepalive or
    /// reconnect): how many events may wait for dispatch, or for `socket_read`, before the
    /// worker stops reading from the network. TCP flow control then slows the server, so memory
    /// stays bounded while the application does not take them; no event is dropped. (The
    /// worker may hold one more batch it has read while it waits for room: at most 256
    /// messages plus 63, and 32 KiB of them plus one message.) See also [`event_queue_bytes`](Self::event_queue_bytes).
    ///
    /// Defaults to 1024.
    pub fn event_queue_limit(mut self, limit: usize) -> Self {
        self.event_queue_limit = limit;
        self
    }

    /// For sockets run by a worker: how many bytes of messages may wait for the application
    /// before the worker stops reading, beside [`event_queue_limit`](Self::event_queue_limit)
    /// (whichever is reached first). A message larger than the budget still gets through when
    /// it is the only one waiting, so what waits is at most the budget plus one message (and
    /// the batch the worker holds while it waits for room: 32 KiB plus one message).
    ///
    /// Defaults to 16 MiB.
    pub fn event_queue_bytes(mut self, bytes: usize) -> Self {
        self.event_queue_bytes = bytes;
        self
    }

    /// Sends a ping every `interval`, so that a dead peer or link is noticed even when nothing
    /// else is sent. A socket with keepalive is run by a worker thread (also in blocking mode),
    /// so pings are sent and the server's pings answered while no thread reads.
    ///
    /// Defaults to no pings.
    pub fn ping_interval(mut self, interval: Duration) -> Self {
        self.ping_interval = Some(interval);
        self
    }

    /// How long after a ping the peer must have sent something (its pong or any other
    /// traffic); past it the connection fails with
    /// [`Error::Timeout`]`(`[`Timeout::Pong`](crate::Timeout::Pong)`)`.
    ///
    /// Defaults to 20 seconds.
    pub fn ping_timeout(mut self, timeout: Duration) -> Self {
        self.ping_timeout = timeout;
        self
    }

    /// Fails the connection with
    /// [`Error::Timeout`]`(`[`Timeout::Idle`](crate::Timeout::Idle)`)` when nothing at all has
    /// been received for this long (Resonite drops a connection after 60 s of silence). Like
    /// keepalive, it makes the socket run on a worker thread.
    ///
    /// Defaults to none.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// Reconnects after an unexpected loss, by this policy; see [`Reconnect`]. Like keepalive,
    /// it makes the socket run on a worker thread.
    ///
    /// Defaults to no reconnect.
    pub fn reconnect(mut self, policy: Reconnect) -> Self {
        self.reconnect = Some(policy);
        self
    }

    /// Offers permessage-deflate (RFC 7692) with these settings; see [`Compression`] for the
    /// parameters and for what it costs per socket once the server agrees.
    /// [`max_message_size`](Self::max_message_size) then bounds the inflated size.
    ///
    /// Defaults to no compression (nothing offered).
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = Some(compression);
        self
    }

    /// Whether a blocking socket with these options needs a worker thread.
    pub(crate) fn needs_worker(&self) -> bool {
        self.ping_interval.is_some() || self.idle_timeout.is_some() || self.reconnect.is_some()
    }

    /// Checks every value; called at the start of each connect.
    pub(crate) fn validate(&self) -> Result<Checked> {
        for (name, value) in [
            ("connect_timeout", self.connect_timeout),
            ("write_timeout", self.write_timeout),
            ("close_timeout", self.close_timeout),
            ("ping_timeout", self.ping_timeout),
            ("ping_interval", self.ping_interval.unwrap_or(Duration::MAX)),
            ("idle_timeout", self.idle_timeout.unwrap_or(Duration::MAX)),
        ] {
            if value.is_zero() {
                return Err(Error::invalid(format!("{name} must be greater than zero")));
            }
        }
        for (name, value, ceiling) in [
            (
                "event_queue_limit",
                Some(self.event_queue_limit),
                usize::MAX,
            ),
            (
                "read_buffer_size",
                Some(self.read_buffer_size),
                READ_BUFFER_CEILING,
            ),
            ("max_message_size", self.max_message_size, SIZE_CEILING),
            ("max_frame_size", self.max_frame_size, SIZE_CEILING),
            (
                "max_write_buffer_size",
                self.max_write_buffer_size,
                SIZE_CEILING,
            ),
        ] {
            if value == Some(0) {
                return Err(Error::invalid(format!("{name} must be greater than zero")));
            }
            if value.is_some_and(|value| value > ceiling) {
                return Err(Error::invalid(format!(
                    "{name} is {}; the most this library allows is {ceiling}",
                    value.unwrap_or_default()
                )));
            }
        }
        if let (Some(message), Some(frame)) = (self.max_message_size, self.max_frame_size) {
            if frame > message {
                return Err(Error::invalid(format!(
                    "max_frame_size ({frame}) is larger than max_message_size ({message})"
                )));
            }
        }
        if let Some(policy) = &self.reconnect {
            policy.validate()?;
        }
        if let Some(compression) = &self.compression {
            compression.validate()?;
        }
        let proxy = match &self.proxy {
            Some(url) => Some(Proxy::parse(&url.0)?),
            None => None,
        };
        Ok(Checked {
            protocols: parse_protocols(&self.protocols)?,
            headers: self.checked_headers()?,
            proxy,
        })
    }

    fn checked_headers(&self) -> Result<Vec<(HeaderName, HeaderValue)>> {
        let mut headers = Vec::with_capacity(self.headers.entries.len() + 1);
        for (name, value) in &self.headers.entries {
            let name = HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|_| Error::invalid(format!("invalid header name {name:?}")))?;
            if RESERVED_HEADERS.contains(&name.as_str()) {
                return Err(Error::invalid(format!(
                    "header {name} is written by the WebSocket handshake and cannot be set"
                )));
            }
            // The value is not repeated: it may be a secret.
            let mut value = HeaderValue::from_str(value.trim()).map_err(|_| {
                Error::invalid(format!(
                    "invalid value for header {name}: a value may not hold line breaks or \
                     other control characters"
                ))
            })?;
            // Never printed (the engine's logs included), never sent to another origin.
            value.set_sensitive(self.headers.is_sensitive(name.as_str()));
            headers.push((name, value));
        }
        let user_agent = tungstenite::http::header::USER_AGENT;
        if !headers.iter().any(|(name, _)| *name == user_agent) {
            headers.push((user_agent, HeaderValue::from_static(USER_AGENT)));
        }
        Ok(headers)
    }

    /// The size limits in force: `None` means the ceiling, and a frame is never larger than a
    /// message may be.
    pub(crate) fn limits(&self) -> Limits {
        let max_message_size = self.max_message_size.unwrap_or(SIZE_CEILING);
        let max_frame_size = self
            .max_frame_size
            .map_or(max_message_size, |frame| frame.min(max_message_size));
        Limits {
            max_frame_size: Some(max_frame_size),
            max_message_size: Some(max_message_size),
        }
    }

    pub(crate) fn websocket_config(&self) -> tungstenite::protocol::WebSocketConfig {
        let limits = self.limits();
        // write_buffer_size 0: every frame goes to the socket at once; our writes flush anyway.
        tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(limits.max_message_size)
            .max_frame_size(limits.max_frame_size)
            .read_buffer_size(self.read_buffer_size)
            .write_buffer_size(0)
            .max_write_buffer_size(self.max_write_buffer_size.unwrap_or(SIZE_CEILING))
    }
}

/// Splits a WLanguage-style protocol list ("mqtt, soap") and checks each name is an HTTP token.
pub(crate) fn parse_protocols(list: &str) -> Result<Vec<String>> {
    let mut protocols = Vec::new();
    if list.trim().is_empty() {
        return Ok(protocols);
    }
    for name in list.split(',').map(str::trim) {
        if name.is_empty() {
            return Err(Error::invalid(format!(
                "protocol list {list:?} has an empty entry"
            )));
        }
        if !is_token(name) {
            return Err(Error::invalid(format!(
                "protocol {name:?} is not a valid HTTP token"
            )));
        }
        if protocols.iter().any(|known| known == name) {
            return Err(Error::invalid(format!("protocol {name:?} is listed twice")));
        }
        protocols.push(name.to_owned());
    }
    Ok(protocols)
}

/// The size limits a connection was opened with, to name the one a message broke.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_frame_size: Option<usize>,
    pub(crate) max_message_size: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_lists_are_trimmed_and_checked() {
        assert_eq!(parse_protocols("").unwrap(), Vec::<String>::new());
        assert_eq!(parse_protocols(" mqtt , soap").unwrap(), ["mqtt", "soap"]);
        assert!(parse_protocols("a b").is_err());
        assert!(parse_protocols("a,,b").is_err());
        assert!(parse_protocols("chat,chat").is_err());
        assert!(parse_protocols("x\u{e9}").is_err());
    }

    #[test]
    fn defaults_pass_validation_and_send_a_user_agent() {
        let checked = ConnectOptions::new().validate().unwrap();
        assert!(checked.protocols.is_empty());
        assert_eq!(checked.headers.len(), 1);
        assert_eq!(checked.headers[0].0, "user-agent");
        assert!(checked.proxy.is_none());
    }

    #[test]
    fn every_size_limit_is_finite_and_a_frame_is_never_larger_than_a_message() {
        let unlimited = ConnectOptions::new()
            .max_message_size(None)
            .max_frame_size(None)
            .max_write_buffer_size(None);
        let limits = unlimited.limits();
        assert_eq!(limits.max_message_size, Some(SIZE_CEILING));
        assert_eq!(limits.max_frame_size, Some(SIZE_CEILING));
        let frames_follow_messages = ConnectOptions::new()
            .max_message_size(Some(1000))
            .max_frame_size(None);
        assert_eq!(frames_follow_messages.limits().max_frame_size, Some(1000));
        let config = unlimited.websocket_config();
        assert_eq!(config.max_write_buffer_size, SIZE_CEILING);
    }

    #[test]
    fn headers_are_checked() {
        let options = ConnectOptions::new()
            .header("Authorization", "Bearer abc")
            .header("user-agent", "mine/1.0");
        let headers = options.validate().unwrap().headers;
        assert_eq!(headers.len(), 2, "the caller's User-Agent replaces ours");
        for (name, value) in [
            ("Sec-WebSocket-Key", "x"),
            ("Upgrade", "h2c"),
            ("Host", "elsewhere"),
            ("Sec-WebSocket-Protocol", "chat"),
            ("bad name", "x"),
            ("X-Ok", "line\r\nbreak"),
        ] {
            let options = ConnectOptions::new().header(name, value);
            assert!(
                matches!(options.validate(), Err(Error::InvalidArgument(_))),
                "{name}: {value:?}"
            );
        }
    }

    #[test]
    fn out_of_range_values_are_rejected() {
        for zero in [
            ConnectOptions::new().connect_timeout(Duration::ZERO),
            ConnectOptions::new().read_buffer_size(0),
            ConnectOptions::new().max_write_buffer_size(Some(0)),
            ConnectOptions::new().proxy("socks5://127.0.0.1:1080"),
            ConnectOptions::new().proxy("not a url"),
        ] {
            assert!(matches!(zero.validate(), Err(Error::InvalidArgument(_))));
        }
        let inverted = ConnectOptions::new()
            .max_message_size(Some(10))
            .max_frame_size(Some(20));
        assert!(matches!(
            inverted.validate(),
            Err(Error::InvalidArgument(_))
        ));
        for absurd in [
            ConnectOptions::new().read_buffer_size(READ_BUFFER_CEILING + 1),
            ConnectOptions::new().max_message_size(Some(SIZE_CEILING + 1)),
            ConnectOptions::new().max_frame_size(Some(SIZE_CEILING + 1)),
            ConnectOptions::new().max_write_buffer_size(Some(usize::MAX)),
        ] {
            assert!(matches!(absurd.validate(), Err(Error::InvalidArgument(_))));
        }
        let bad_protocol = ConnectOptions::new().protocols("a b");
        assert!(matches!(
            bad_protocol.validate(),
            Err(Error::InvalidArgument(_))
        ));
    }
}
