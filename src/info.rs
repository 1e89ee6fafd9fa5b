//! What a caller can learn about a connection: where it goes, what it negotiated, its traffic.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::error::CloseInfo;
use crate::sensitive::{is_sensitive_header, REDACTED};
use crate::state::State;
use crate::tls_version::TlsVersion;

/// A snapshot of a connection, from [`socket_info`](crate::socket_info) or
/// [`Socket::info`](crate::Socket::info).
///
/// [`socket_info`](crate::socket_info) answers in every state: while a socket connects for
/// the first time only `state` and `url` are known; while it reconnects, the other fields
/// describe the connection that was lost.
#[derive(Clone)]
#[non_exhaustive]
pub struct ConnectionInfo {
    /// Where the connection is in its life cycle.
    pub state: State,
    /// The URL, after redirects.
    pub url: String,
    /// The subprotocol the server selected, if any.
    pub protocol: Option<String>,
    /// The headers of the server's `101 Switching Protocols` answer, in order; values decoded
    /// lossily as UTF-8.
    pub response_headers: Vec<(String, String)>,
    /// Messages written (complete frames handed to the operating system).
    pub messages_sent: u64,
    /// Messages received from the network on this connection: complete messages read from
    /// the socket, including those read ahead that a read has not returned yet or that wait
    /// for dispatch (a worker reads ahead of the application). What the application has taken
    /// is what it counts itself; this tells whether the peer is sending.
    pub messages_received: u64,
    /// Bytes sent since the TCP connection opened: handshake, frames and control frames (for
    /// `wss://`, before encryption).
    pub bytes_sent: u64,
    /// Bytes received since the TCP connection opened, counted the same way.
    pub bytes_received: u64,
    /// When the WebSocket handshake completed; `None` before the first connection.
    pub connected_at: Option<Instant>,
    /// When bytes last went out or came in; `None` before the first connection.
    pub last_traffic: Option<Instant>,
    /// The address of the TCP peer (WLanguage's `SocketClientInfo`): the server, or the HTTP
    /// proxy when the connection goes through one.
    pub peer_addr: Option<SocketAddr>,
    /// The local address of the TCP connection.
    pub local_addr: Option<SocketAddr>,
    /// The TLS version in use, for `wss://`; `None` for `ws://` (or when the server's answer
    /// could not be read for it).
    pub tls_version: Option<TlsVersion>,
    /// How the connection ended, once it is closing or closed: the close code and reason.
    pub close: Option<CloseInfo>,
    /// The round trip of the last ping answered (a keepalive ping or
    /// [`socket_ping`](crate::socket_ping)).
    pub round_trip: Option<Duration>,
    /// The extension the server agreed to, with every parameter in effect, e.g.
    /// `permessage-deflate; server_max_window_bits=15; client_max_window_bits=15`; `None`
    /// when compression was not asked for (see
    /// [`ConnectOptions::compression`](crate::ConnectOptions::compression)) or the server
    /// declined it.
    pub extensions: Option<String>,
    /// Payload bytes of the messages sent compressed, before compression (0 without
    /// compression; messages under the threshold are not counted).
    pub bytes_sent_uncompressed: u64,
    /// The same messages' payload bytes as sent, compressed.
    pub bytes_sent_compressed: u64,
    /// Payload bytes of the compressed messages received, inflated.
    pub bytes_received_uncompressed: u64,
    /// The same messages' payload bytes as received, compressed.
    pub bytes_received_compressed: u64,
}

impl ConnectionInfo {
    /// What is known of a socket that has no connection yet: its state and where it goes.
    pub(crate) fn not_connected(state: State, url: &str) -> ConnectionInfo {
        ConnectionInfo {
            state,
            url: url.to_owned(),
            protocol: None,
            response_headers: Vec::new(),
            messages_sent: 0,
            messages_received: 0,
            bytes_sent: 0,
            bytes_received: 0,
            connected_at: None,
            last_traffic: None,
            peer_addr: None,
            local_addr: None,
            tls_version: None,
            close: None,
            round_trip: None,
            extensions: None,
            bytes_sent_uncompressed: 0,
            bytes_sent_compressed: 0,
            bytes_received_uncompressed: 0,
            bytes_received_compressed: 0,
        }
    }

    /// The value of the first response header with this name (case-insensitive).
    pub fn response_header(&self, name: &str) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Shows every field, except the values of sensitive response headers (`Set-Cookie`, ...).
impl std::fmt::Debug for ConnectionInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<String> = self
            .response_headers
            .iter()
            .map(|(name, value)| {
                let shown = if is_sensitive_header(name, &[]) {
                    REDACTED
                } else {
                    value
                };
                format!("{name}: {shown}")
            })
            .collect();
        f.debug_struct("ConnectionInfo")
            .field("state", &self.state)
            .field("url", &self.url)
            .field("protocol", &self.protocol)
            .field("response_headers", &headers)
            .field("messages_sent", &self.messages_sent)
            .field("messages_received", &self.messages_received)
            .field("bytes_sent", &self.bytes_sent)
            .field("bytes_received", &self.bytes_received)
            .field("connected_at", &self.connected_at)
            .field("last_traffic", &self.last_traffic)
            .field("peer_addr", &self.peer_addr)
            .field("local_addr", &self.local_addr)
            .field("tls_version", &self.tls_version)
            .field("close", &self.close)
            .field("round_trip", &self.round_trip)
            .field("extensions", &self.extensions)
            .field("bytes_sent_uncompressed", &self.bytes_sent_uncompressed)
            .field("bytes_sent_compressed", &self.bytes_sent_compressed)
            .field(
                "bytes_received_uncompressed",
                &self.bytes_received_uncompressed,
            )
            .field("bytes_received_compressed", &self.bytes_received_compressed)
            .finish()
    }
}
