//! Connect options and their defaults.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::target::parse_protocols;
use crate::tls::Certificate;

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
    pub(crate) root_certificates: Vec<Certificate>,
    pub(crate) danger_accept_invalid_certs: bool,
    pub(crate) max_message_size: Option<usize>,
    pub(crate) max_frame_size: Option<usize>,
    pub(crate) max_redirects: u32,
    pub(crate) event_queue_limit: usize,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            connect_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(30),
            close_timeout: Duration::from_secs(5),
            protocols: String::new(),
            root_certificates: Vec::new(),
            danger_accept_invalid_certs: false,
            max_message_size: Some(64 << 20),
            max_frame_size: Some(16 << 20),
            max_redirects: 3,
            event_queue_limit: 1024,
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
    /// back).
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
        self.root_certificates.push(certificate);
        self
    }

    /// **Dangerous:** accepts any server certificate, expired, self-signed or for another host,
    /// so anyone on the path can read and change the traffic. A warning is logged at each
    /// connect. Prefer [`add_root_certificate`](Self::add_root_certificate).
    ///
    /// Defaults to `false` (certificates and host names are verified).
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.danger_accept_invalid_certs = accept;
        self
    }

    /// The largest message accepted from the server; a larger one fails the connection with
    /// close code 1009 and [`Error::Capacity`]. `None` lifts the limit.
    ///
    /// Defaults to 64 MiB.
    pub fn max_message_size(mut self, size: Option<usize>) -> Self {
        self.max_message_size = size;
        self
    }

    /// The largest single frame accepted from the server; a larger one fails the connection
    /// with close code 1009 and [`Error::Capacity`]. `None` lifts the limit.
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

    /// For asynchronous sockets: how many events may wait for dispatch before the socket stops
    /// reading from the network. TCP flow control then slows the server, so memory stays
    /// bounded while the application does not pump; no event is dropped.
    ///
    /// Defaults to 1024.
    pub fn event_queue_limit(mut self, limit: usize) -> Self {
        self.event_queue_limit = limit;
        self
    }

    /// Checks every value; called at the start of each connect.
    pub(crate) fn validate(&self) -> Result<Vec<String>> {
        for (name, value) in [
            ("connect_timeout", self.connect_timeout),
            ("write_timeout", self.write_timeout),
            ("close_timeout", self.close_timeout),
        ] {
            if value.is_zero() {
                return Err(Error::invalid(format!("{name} must be greater than zero")));
            }
        }
        if self.event_queue_limit == 0 {
            return Err(Error::invalid(
                "event_queue_limit must be greater than zero",
            ));
        }
        if self.max_message_size == Some(0) || self.max_frame_size == Some(0) {
            return Err(Error::invalid("size limits must be greater than zero"));
        }
        if let (Some(message), Some(frame)) = (self.max_message_size, self.max_frame_size) {
            if frame > message {
                return Err(Error::invalid(format!(
                    "max_frame_size ({frame}) is larger than max_message_size ({message})"
                )));
            }
        }
        parse_protocols(&self.protocols)
    }

    pub(crate) fn websocket_config(&self) -> tungstenite::protocol::WebSocketConfig {
        tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(self.max_message_size)
            .max_frame_size(self.max_frame_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_pass_validation() {
        assert_eq!(
            ConnectOptions::new().validate().unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn out_of_range_values_are_rejected() {
        let zero = ConnectOptions::new().connect_timeout(Duration::ZERO);
        assert!(matches!(zero.validate(), Err(Error::InvalidArgument(_))));
        let inverted = ConnectOptions::new()
            .max_message_size(Some(10))
            .max_frame_size(Some(20));
        assert!(matches!(
            inverted.validate(),
            Err(Error::InvalidArgument(_))
        ));
        let bad_protocol = ConnectOptions::new().protocols("a b");
        assert!(matches!(
            bad_protocol.validate(),
            Err(Error::InvalidArgument(_))
        ));
    }
}
