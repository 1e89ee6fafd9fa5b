//! Entry points for the fuzz targets of `fuzz/`: thin wrappers over the crate's private
//! parsers, so that the targets reach them without widening the API.
//!
//! **Unstable, not part of the API**: this module exists only with the `fuzzing` feature, is
//! hidden from the documentation, and may change or go away in any release.

use std::io::{self, Read};

use crate::deflate::extension_header;
use crate::deflate::negotiation::{self, Agreed};
use crate::deflate::reframe::Reframer;
use crate::settings::compression::Compression;
use crate::settings::proxy::Proxy;
use crate::settings::target::Target;

/// What the handshake of [`reframe`] agreed, and the limits of the connection.
#[derive(Debug, Clone, Copy)]
pub struct ReframeParams {
    /// `server_no_context_takeover` was agreed.
    pub server_no_context_takeover: bool,
    /// The server's window, 8 to 15 bits.
    pub server_max_window_bits: u8,
    /// `ConnectOptions::max_message_size`.
    pub max_message_size: Option<usize>,
    /// `ConnectOptions::max_frame_size`.
    pub max_frame_size: Option<usize>,
}

/// What came out of [`reframe`].
#[derive(Debug)]
pub struct Reframed {
    /// The bytes the engine would have read, HTTP head excluded.
    pub output: Vec<u8>,
    /// The error that ended the stream, if any: its close code and message.
    pub error: Option<(u16, String)>,
}

/// Runs `frames` (the server's bytes after a `101` answer) through the read-side transform of
/// permessage-deflate, as a connection's stream would. `reads` shapes the I/O: each byte in
/// turn gives the size of one read from the socket (0: the socket would block once) and of the
/// buffer the engine reads into.
pub fn reframe(params: ReframeParams, frames: &[u8], reads: &[u8]) -> Reframed {
    const HEAD: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
    let mut socket = ShapedReader {
        data: [HEAD, frames].concat(),
        at: 0,
        reads: reads.to_vec(),
        turn: 0,
        blocked: false,
    };
    let mut reframer = Reframer::for_handshake(params.max_message_size, params.max_frame_size);
    let mut head = Vec::new();
    let mut buf = vec![0; 64 * 1024];
    while head.len() < HEAD.len() {
        match reframer.read(&mut socket, &mut buf[..HEAD.len() - head.len()]) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => panic!("the handshake head failed: {e}"),
        }
    }
    assert_eq!(head, HEAD, "the transform changed the HTTP head");
    reframer.configure(Some(&Agreed {
        server_no_context_takeover: params.server_no_context_takeover,
        client_no_context_takeover: false,
        server_max_window_bits: params.server_max_window_bits.clamp(8, 15),
        client_max_window_bits: 15,
        response: String::new(),
    }));
    let mut output = Vec::new();
    let mut blocked = 0;
    let mut turn = 0;
    loop {
        let size = match socket.reads.get(turn % socket.reads.len().max(1)) {
            Some(&size) => usize::from(size) * 64 + 1,
            None => buf.len(),
        }
        .min(buf.len());
        turn += 1;
        match reframer.read(&mut socket, &mut buf[..size]) {
            Ok(0) => {
                return Reframed {
                    output,
                    error: None,
                }
            }
            Ok(n) => {
                blocked = 0;
                output.extend_from_slice(&buf[..n]);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                blocked += 1;
                assert!(blocked < 1000, "the transform keeps asking for more input");
            }
            Err(e) => {
                let error = crate::deflate::reframe::ReframeError::from_io(&e)
                    .map(|reframe| (reframe.close_code(), reframe.to_string()))
                    .unwrap_or_else(|| (0, e.to_string()));
                return Reframed {
                    output,
                    error: Some(error),
                };
            }
        }
    }
}

/// A socket that hands out `data` in reads of the sizes `reads` gives, in turn (0: would
/// block).
struct ShapedReader {
    data: Vec<u8>,
    at: usize,
    reads: Vec<u8>,
    turn: usize,
    blocked: bool,
}

impl Read for ShapedReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = match self.reads.get(self.turn % self.reads.len().max(1)) {
            // A socket that would block has data again at the next try.
            Some(&0) if self.at < self.data.len() && !self.blocked => {
                self.blocked = true;
                return Err(io::ErrorKind::WouldBlock.into());
            }
            Some(&size) => usize::from(size) * 37,
            None => usize::MAX,
        };
        self.turn += 1;
        self.blocked = false;
        let n = size.max(1).min(buf.len()).min(self.data.len() - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The compression settings a client may offer.
#[derive(Debug, Clone, Copy)]
pub struct Offer {
    /// `server_no_context_takeover`.
    pub server_no_context_takeover: bool,
    /// `client_no_context_takeover`.
    pub client_no_context_takeover: bool,
    /// `server_max_window_bits`.
    pub server_max_window_bits: Option<u8>,
    /// `client_max_window_bits`.
    pub client_max_window_bits: Option<u8>,
}

/// What a server's answer agreed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    /// `server_no_context_takeover`.
    pub server_no_context_takeover: bool,
    /// `client_no_context_takeover`.
    pub client_no_context_takeover: bool,
    /// The server's window.
    pub server_max_window_bits: u8,
    /// The client's window.
    pub client_max_window_bits: u8,
    /// The accepted element, normalised.
    pub response: String,
}

/// The `Sec-WebSocket-Extensions` value the client sends for `offer`, or why the settings are
/// refused (as `ConnectOptions::compression` would).
pub fn offer(offer: Offer) -> Result<String, String> {
    let compression = compression(offer);
    compression.validate().map_err(|e| e.to_string())?;
    Ok(compression.offer())
}

/// An extension element: its name, and its parameters with their values.
pub type Element = (String, Vec<(String, Option<String>)>);

/// Parses `Sec-WebSocket-Extensions` header lines into (name, parameters) elements.
pub fn parse_extensions(lines: &[&[u8]]) -> Result<Vec<Element>, String> {
    extension_header::parse_extensions(lines.iter().copied())
        .map(|elements| {
            elements
                .into_iter()
                .map(|element| (element.name, element.params))
                .collect()
        })
        .map_err(|e| format!("{e:?}"))
}

/// Checks a server's `Sec-WebSocket-Extensions` answer (its header lines) against `offer`.
pub fn negotiate(offer: Offer, lines: &[&[u8]]) -> Result<Option<Agreement>, String> {
    let compression = compression(offer);
    negotiation::negotiate(Some(&compression), lines.iter().copied())
        .map(|agreed| {
            agreed.map(|agreed| Agreement {
                server_no_context_takeover: agreed.server_no_context_takeover,
                client_no_context_takeover: agreed.client_no_context_takeover,
                server_max_window_bits: agreed.server_max_window_bits,
                client_max_window_bits: agreed.client_max_window_bits,
                response: agreed.response,
            })
        })
        .map_err(|e| e.to_string())
}

fn compression(offer: Offer) -> Compression {
    Compression::new()
        .server_no_context_takeover(offer.server_no_context_takeover)
        .client_no_context_takeover(offer.client_no_context_takeover)
        .server_max_window_bits(offer.server_max_window_bits)
        .client_max_window_bits(offer.client_max_window_bits)
}

/// Where a URL or the positional form leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// The URL as shown and logged (no user, no password).
    pub url: String,
    /// The host as DNS and TLS want it.
    pub host: String,
    /// The port.
    pub port: u16,
    /// `wss`.
    pub tls: bool,
    /// The URL carried a user or a password.
    pub has_credentials: bool,
}

/// Parses a `ws://` or `wss://` URL as `Socket::connect` does.
pub fn target_from_url(text: &str) -> Result<Destination, String> {
    Target::from_url(text)
        .map(destination)
        .map_err(|e| e.to_string())
}

/// Builds the target of WLanguage's positional form, as `websocket_client_connect` does.
pub fn target_from_parts(
    host: &str,
    port: u16,
    path: &str,
    tls: bool,
) -> Result<Destination, String> {
    Target::from_parts(host, port, path, tls)
        .map(destination)
        .map_err(|e| e.to_string())
}

fn destination(target: Target) -> Destination {
    Destination {
        url: target.url.to_string(),
        host: target.host,
        port: target.port,
        tls: target.tls,
        has_credentials: target.credentials.is_some(),
    }
}

/// Asks for a tunnel through a proxy whose answer is `answer`; returns how many bytes of the
/// answer were read, or the error.
pub fn proxy_connect(answer: &[u8]) -> (usize, Result<(), String>) {
    let proxy =
        Proxy::parse("http://user:pw-Zq81xK@proxy.invalid:3128").expect("a valid proxy URL");
    let mut stream = AnswerStream {
        answer: io::Cursor::new(answer),
    };
    let result = proxy
        .tunnel(&mut stream, "example.com", 443)
        .map_err(|e| e.to_string());
    (stream.answer.position() as usize, result)
}

struct AnswerStream<'a> {
    answer: io::Cursor<&'a [u8]>,
}

impl Read for AnswerStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.answer.read(buf)
    }
}

impl io::Write for AnswerStream<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Parses a proxy URL as `ConnectOptions::proxy` does: its host and port, or the error.
pub fn proxy_url(text: &str) -> Result<(String, u16), String> {
    Proxy::parse(text)
        .map(|proxy| (proxy.host, proxy.port))
        .map_err(|e| e.to_string())
}

/// The TLS version a server hello announces (1.0 to 1.3 as 10 to 13), if `bytes` start with
/// one.
pub fn server_hello_version(bytes: &[u8]) -> Option<u8> {
    use crate::tls_version::TlsVersion;
    crate::transport::tls::server_hello_version(bytes).map(|version| match version {
        TlsVersion::Tls10 => 10,
        TlsVersion::Tls11 => 11,
        TlsVersion::Tls12 => 12,
        TlsVersion::Tls13 => 13,
    })
}
