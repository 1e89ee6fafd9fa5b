#![allow(dead_code)] // each test binary uses a different subset of these helpers
#![allow(unreachable_pub)] // `mod common;` is private in each test binary; `pub` is for the test file
#![allow(clippy::result_large_err)] // tungstenite's handshake callback fixes the error type

//! Real loopback test servers for the integration tests.
//!
//! Every server binds `127.0.0.1:0` before its constructor returns, so a client may connect
//! immediately. A server serves exactly the number of connections it was told to serve and then
//! its thread ends, so [`Server::join`] returns the handlers' results (and re-raises a handler
//! panic, which makes an assertion inside a handler fail the test). Nothing here sleeps: all
//! synchronisation is done with joins and blocking sockets.

mod deflate_server;
#[cfg(not(any(windows, target_vendor = "apple")))]
mod native_acceptor;
#[cfg(not(any(windows, target_vendor = "apple")))]
mod openssl_servers;
mod proxy_server;
#[cfg(any(windows, target_vendor = "apple"))]
mod rustls_acceptor;
mod tls_servers;

#[allow(unused_imports)] // each test binary uses a different subset of these helpers
pub use deflate_server::*;
#[cfg(not(any(windows, target_vendor = "apple")))]
pub use native_acceptor::*;
#[cfg(not(any(windows, target_vendor = "apple")))]
#[allow(unused_imports)] // each test binary uses a different subset of these helpers
pub use openssl_servers::*;
#[allow(unused_imports)] // each test binary uses a different subset of these helpers
pub use proxy_server::*;
#[cfg(any(windows, target_vendor = "apple"))]
#[allow(unused_imports)] // each test binary uses a different subset of these helpers
pub use rustls_acceptor::*;
#[allow(unused_imports)] // each test binary uses a different subset of these helpers
pub use tls_servers::*;

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use native_tls::{TlsConnector, TlsStream};
use tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tungstenite::http::{HeaderValue, StatusCode};
use tungstenite::{Message, WebSocket};

/// How long a test waits for what should come at once before it fails instead of hanging.
/// Only a guard: nothing waits for it to pass when things go right.
pub const HANG_GUARD: Duration = Duration::from_secs(20);

/// Makes the tests of one binary that use process-wide state take turns.
///
/// The dispatch queue, the wake hook and the access policy are process-wide, as in WLanguage:
/// one thread dispatches at a time (a second one gets `WrongMode`), a dispatcher runs every
/// socket's callbacks, and a hook or policy set by one test would act on another's sockets.
/// Tests that dispatch, or set a hook or a policy, hold this guard; the others run in parallel.
/// A test that fails while holding it must not fail the next ones: a poisoned lock is taken.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Where a server thread waits, at most [`HANG_GUARD`], until the test lets it go on with the
/// sender that [`gate`] returns beside it (or drops it).
pub struct Gate(std::sync::Mutex<std::sync::mpsc::Receiver<()>>);

impl Gate {
    pub fn wait(&self) {
        let _ = self.0.lock().unwrap().recv_timeout(HANG_GUARD);
    }
}

/// A [`Gate`] and what opens it.
pub fn gate() -> (Gate, std::sync::mpsc::Sender<()>) {
    let (open, wait) = std::sync::mpsc::channel();
    (Gate(std::sync::Mutex::new(wait)), open)
}

/// A handler that sends "answer me" and then, in the same burst, a text frame with a reserved
/// bit set (a violation the client must answer with Close 1002). Returns what the client sent
/// back until the connection ended: its texts, and its Close as "close CODE".
pub fn answer_then_violate(mut ws: WebSocket<TcpStream>) -> Vec<String> {
    use tungstenite::protocol::frame::coding::{Data, OpCode};
    use tungstenite::protocol::frame::Frame;
    ws.write(Message::text("answer me")).unwrap();
    let mut bad = Frame::message("bad", OpCode::Data(Data::Text), true);
    bad.header_mut().rsv2 = true;
    ws.write(Message::Frame(bad)).unwrap();
    ws.flush().unwrap();
    let mut seen = Vec::new();
    loop {
        match ws.read() {
            Ok(Message::Text(text)) => seen.push(text.to_string()),
            Ok(Message::Close(frame)) => {
                seen.push(format!("close {}", frame.map_or(0, |f| u16::from(f.code))));
            }
            Ok(_) => {}
            Err(_) => break seen,
        }
    }
}

/// Read/write timeout put on every stream a [`Server`] accepts: a hang guard so that a client
/// that never talks (or never closes) makes the test fail instead of hanging forever.
pub const SERVER_IO_TIMEOUT: Duration = Duration::from_secs(30);

/// A name that is unique in this process: `prefix`, the process id and a counter.
///
/// Socket names live in a process-global registry, and tests run in parallel.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}-{}-{n}", std::process::id())
}

/// How many threads and open file descriptors this process has, for leak checks.
#[cfg(target_os = "linux")]
pub fn threads_and_descriptors() -> (usize, usize) {
    let count = |dir: &str| std::fs::read_dir(dir).expect("read /proc/self").count();
    (count("/proc/self/task"), count("/proc/self/fd"))
}

/// [`threads_and_descriptors`] once they are back to `expected`, or after [`HANG_GUARD`]: the
/// workers of closed asynchronous sockets (and the close timer) end by themselves, just after
/// the sockets' last events.
#[cfg(target_os = "linux")]
pub fn settled_threads_and_descriptors(expected: (usize, usize)) -> (usize, usize) {
    let deadline = std::time::Instant::now() + HANG_GUARD;
    loop {
        let now = threads_and_descriptors();
        if now == expected || std::time::Instant::now() >= deadline {
            return now;
        }
        thread::yield_now();
    }
}

/// A reconnect policy for tests: no jitter, short delays.
pub fn quick_reconnect() -> named_websocket::Reconnect {
    named_websocket::Reconnect::new()
        .min_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(50))
        .jitter(0.0)
}

/// A server of two connections for reconnect tests: the first sends "first life" and goes away
/// without a Close frame; the second sends "second life", then echoes until the client closes.
pub fn lost_then_echo_server() -> Server<Option<()>> {
    let first = AtomicBool::new(true);
    ws_server(2, move |mut ws| {
        if first.swap(false, Ordering::SeqCst) {
            ws.send(Message::text("first life")).unwrap();
        } else {
            ws.send(Message::text("second life")).unwrap();
            echo(ws);
        }
    })
}

/// A port on 127.0.0.1 where nothing listens (bound to port 0, read, then released).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

fn ws_url(port: u16, path: &str) -> String {
    format!("ws://127.0.0.1:{port}{path}")
}

fn wss_url(port: u16, path: &str) -> String {
    format!("wss://localhost:{port}{path}")
}

fn bind_loopback() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local_addr");
    (listener, addr)
}

// ---------------------------------------------------------------------------------------------
// Generic server
// ---------------------------------------------------------------------------------------------

/// A running loopback server that serves a fixed number of connections.
///
/// `T` is what the connection handler returns for each connection.
#[derive(Debug)]
pub struct Server<T = ()> {
    /// The address the server listens on (always 127.0.0.1).
    pub addr: SocketAddr,
    thread: JoinHandle<Vec<T>>,
}

impl<T> Server<T> {
    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `ws://127.0.0.1:PORT` followed by `path` (which should start with `/`).
    pub fn ws_url(&self, path: &str) -> String {
        ws_url(self.port(), path)
    }

    /// `wss://localhost:PORT` followed by `path`; "localhost" matches the TLS fixture's name.
    pub fn wss_url(&self, path: &str) -> String {
        wss_url(self.port(), path)
    }

    /// Waits until every connection has been served and returns each handler's result in
    /// accept order. Re-raises the panic of a handler (e.g. a failed assertion).
    pub fn join(self) -> Vec<T> {
        match self.thread.join() {
            Ok(results) => results,
            Err(payload) => panic::resume_unwind(payload),
        }
    }
}

/// Accepts `connections` TCP connections and hands each raw stream to `handler`, each on its
/// own thread. Accepted streams get [`SERVER_IO_TIMEOUT`] as read and write timeout.
pub fn raw_server<T, F>(connections: usize, handler: F) -> Server<T>
where
    F: Fn(TcpStream) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    let (listener, addr) = bind_loopback();
    let handler = Arc::new(handler);
    let thread = thread::Builder::new()
        .name(format!("test-server-{}", addr.port()))
        .spawn(move || {
            let mut workers = Vec::with_capacity(connections);
            for i in 0..connections {
                let (stream, _) = listener.accept().expect("test server: accept failed");
                stream
                    .set_read_timeout(Some(SERVER_IO_TIMEOUT))
                    .expect("set_read_timeout");
                stream
                    .set_write_timeout(Some(SERVER_IO_TIMEOUT))
                    .expect("set_write_timeout");
                let handler = Arc::clone(&handler);
                let worker = thread::Builder::new()
                    .name(format!("test-server-{}-conn-{i}", addr.port()))
                    .spawn(move || handler(stream))
                    .expect("spawn connection thread");
                workers.push(worker);
            }
            drop(listener);
            // Join every worker before re-raising the first panic, so none is left running.
            let mut results = Vec::with_capacity(connections);
            let mut first_panic = None;
            for worker in workers {
                match worker.join() {
                    Ok(result) => results.push(result),
                    Err(payload) => {
                        first_panic.get_or_insert(payload);
                    }
                }
            }
            if let Some(payload) = first_panic {
                panic::resume_unwind(payload);
            }
            results
        })
        .expect("spawn test server thread");
    Server { addr, thread }
}

// ---------------------------------------------------------------------------------------------
// WebSocket servers
// ---------------------------------------------------------------------------------------------

/// What a client sent in its opening handshake, kept for assertions in handlers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestHead {
    /// Request target, e.g. `/chat?x=1`.
    pub uri: String,
    /// All headers in order, values decoded lossily as UTF-8.
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    /// Copies the URI and headers out of a handshake request.
    pub fn from_request(request: &Request) -> Self {
        RequestHead {
            uri: request.uri().to_string(),
            headers: request
                .headers()
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_owned(), value)
                })
                .collect(),
        }
    }

    /// The first value of header `name` (case-insensitive), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The protocols the client offered in `Sec-WebSocket-Protocol`, in order.
    pub fn offered_protocols(&self) -> Vec<String> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("sec-websocket-protocol"))
            .flat_map(|(_, v)| v.split(','))
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect()
    }
}

/// Performs the server-side WebSocket handshake on `stream`; `None` if it failed or
/// `on_request` rejected it.
fn ws_handshake<S, C>(stream: S, on_request: &C) -> Option<(RequestHead, WebSocket<S>)>
where
    S: Read + Write,
    C: Fn(&Request, Response) -> Result<Response, ErrorResponse>,
{
    let mut head = None;
    let callback = |request: &Request, response: Response| {
        head = Some(RequestHead::from_request(request));
        on_request(request, response)
    };
    let ws = tungstenite::accept_hdr(stream, callback).ok()?;
    Some((head.unwrap_or_default(), ws))
}

/// A handshake callback that accepts every request unchanged.
pub fn accept_any(
) -> impl Fn(&Request, Response) -> Result<Response, ErrorResponse> + Clone + Send + Sync + 'static
{
    |_request: &Request, response: Response| Ok(response)
}

/// WebSocket server: handshakes each of `connections` connections and passes the socket to
/// `handler`. A connection whose handshake failed yields `None` and never reaches `handler`.
pub fn ws_server<T, F>(connections: usize, handler: F) -> Server<Option<T>>
where
    F: Fn(WebSocket<TcpStream>) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    ws_server_with(connections, accept_any(), handler)
}

/// Like [`ws_server`], but `on_request` sees each handshake request and may change the
/// response (choose a protocol, add headers) or reject it (the result is then `None`).
pub fn ws_server_with<T, F, C>(connections: usize, on_request: C, handler: F) -> Server<Option<T>>
where
    C: Fn(&Request, Response) -> Result<Response, ErrorResponse> + Send + Sync + 'static,
    F: Fn(WebSocket<TcpStream>) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    ws_server_with_request(connections, on_request, move |_head, ws| handler(ws))
}

/// Like [`ws_server_with`], but the handler also gets what the client sent in its handshake.
pub fn ws_server_with_request<T, F, C>(
    connections: usize,
    on_request: C,
    handler: F,
) -> Server<Option<T>>
where
    C: Fn(&Request, Response) -> Result<Response, ErrorResponse> + Send + Sync + 'static,
    F: Fn(RequestHead, WebSocket<TcpStream>) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    raw_server(connections, move |stream| {
        let (head, ws) = ws_handshake(stream, &on_request)?;
        Some(handler(head, ws))
    })
}

/// Handshake callback that sets `Sec-WebSocket-Protocol: name` in the response when `name` is
/// `Some`, whatever the client offered (so it can answer a protocol that was never offered).
pub fn select_protocol(
    name: Option<&str>,
) -> impl Fn(&Request, Response) -> Result<Response, ErrorResponse> + Clone + Send + Sync + 'static
{
    let name = name.map(str::to_owned);
    move |_request: &Request, mut response: Response| {
        if let Some(name) = &name {
            let value = HeaderValue::from_str(name).expect("protocol name is a valid header");
            response
                .headers_mut()
                .insert("Sec-WebSocket-Protocol", value);
        }
        Ok(response)
    }
}

/// Handshake callback that selects the first protocol the client offered, if any.
pub fn echo_first_offered_protocol(
) -> impl Fn(&Request, Response) -> Result<Response, ErrorResponse> + Clone + Send + Sync + 'static
{
    |request: &Request, response: Response| {
        let offered = RequestHead::from_request(request).offered_protocols();
        select_protocol(offered.first().map(String::as_str))(request, response)
    }
}

/// Handshake callback that refuses the upgrade with HTTP status `status` (e.g. 403).
pub fn reject_with_status(
    status: u16,
) -> impl Fn(&Request, Response) -> Result<Response, ErrorResponse> + Clone + Send + Sync + 'static
{
    move |_request: &Request, _response: Response| {
        let mut error = ErrorResponse::new(Some(format!("rejected with {status}")));
        *error.status_mut() = StatusCode::from_u16(status).expect("valid HTTP status");
        Err(error)
    }
}

/// What [`echo`] saw from the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EchoStats {
    /// Number of Text and Binary messages echoed back.
    pub messages: usize,
    /// Close code the client sent, `None` if it sent no code or dropped the connection.
    pub close_code: Option<u16>,
    /// Close reason the client sent (empty if none).
    pub close_reason: String,
}

/// Sends `messages` (queued, so that they go out as fast as the socket takes them), then closes
/// with `close` (code and reason; `None`: a Close frame without a code) and reads until the
/// client's answer: a server that has said all it had to say.
pub fn send_all_then_close<S: Read + Write>(
    ws: &mut WebSocket<S>,
    messages: impl IntoIterator<Item = Message>,
    close: Option<(u16, &str)>,
) {
    for message in messages {
        ws.write(message).unwrap();
    }
    let frame = close.map(|(code, reason)| tungstenite::protocol::CloseFrame {
        code: code.into(),
        reason: reason.into(),
    });
    ws.close(frame).unwrap();
    while ws.read().is_ok() {}
}

/// Echoes every Text and Binary message back (same type) until the client closes, completes
/// the close handshake and reports what was seen. A client that drops the TCP connection just
/// ends the echo (`close_code` stays `None`).
pub fn echo<S: Read + Write>(mut ws: WebSocket<S>) -> EchoStats {
    let mut stats = EchoStats::default();
    loop {
        let reply = match ws.read() {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => message,
            Ok(Message::Close(frame)) => {
                if let Some(frame) = frame {
                    stats.close_code = Some(frame.code.into());
                    stats.close_reason = frame.reason.to_string();
                }
                // tungstenite has queued the close reply; the next read sends it and then
                // reports ConnectionClosed.
                continue;
            }
            // Pings are answered by tungstenite itself.
            Ok(_) => continue,
            // ConnectionClosed / AlreadyClosed after a clean close, or an I/O error / reset.
            Err(_) => break,
        };
        stats.messages += 1;
        if ws.send(reply).is_err() {
            break;
        }
    }
    stats
}

// ---------------------------------------------------------------------------------------------
// Plain HTTP misbehaviour
// ---------------------------------------------------------------------------------------------

/// Reads an HTTP request head up to and including the blank line (or until EOF / error).
pub fn read_request_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Server that reads the request head, writes `response` verbatim, then closes. Each
/// connection's result is the request head it read.
pub fn http_response_server(connections: usize, response: &'static str) -> Server<String> {
    raw_server(connections, move |mut stream| {
        let head = read_request_head(&mut stream);
        // The client may legitimately hang up first; that is not the server's failure.
        let _ = stream.write_all(response.as_bytes());
        let _ = stream.flush();
        let _ = stream.shutdown(Shutdown::Write);
        head
    })
}

/// A `Sec-WebSocket-Accept` value that can never be right (SHA-1 of nothing is not all zeros).
pub const WRONG_ACCEPT_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";

/// Server that answers a correct-looking `101 Switching Protocols` (Upgrade and Connection
/// headers present) but with a wrong `Sec-WebSocket-Accept`.
pub fn wrong_accept_server(connections: usize) -> Server<()> {
    raw_server(connections, |mut stream| {
        read_request_head(&mut stream);
        let response = format!(
            "HTTP/1.1 101 Switching Protocols\r\n\
             Upgrade: websocket\r\n\
             Connection: Upgrade\r\n\
             Sec-WebSocket-Accept: {WRONG_ACCEPT_KEY}\r\n\r\n"
        );
        let _ = stream.write_all(response.as_bytes());
        let _ = stream.flush();
    })
}

/// A server that accepts TCP connections and never writes a byte. Accepted connections stay
/// open until the `SilentServer` is dropped.
#[derive(Debug)]
pub struct SilentServer {
    /// The address the server listens on (always 127.0.0.1).
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

/// Starts a [`SilentServer`] (accepts any number of connections).
pub fn silent_server() -> SilentServer {
    let (listener, addr) = bind_loopback();
    let stop = Arc::new(AtomicBool::new(false));
    let accepted = Arc::new(AtomicUsize::new(0));
    let thread = {
        let stop = Arc::clone(&stop);
        let accepted = Arc::clone(&accepted);
        thread::Builder::new()
            .name(format!("silent-server-{}", addr.port()))
            .spawn(move || {
                let mut streams = Vec::new();
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        accepted.fetch_add(1, Ordering::SeqCst);
                        streams.push(stream); // kept open, never written to
                    }
                }
            })
            .expect("spawn silent server thread")
    };
    SilentServer {
        addr,
        stop,
        accepted,
        thread: Some(thread),
    }
}

impl SilentServer {
    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `ws://127.0.0.1:PORT` followed by `path`.
    pub fn ws_url(&self, path: &str) -> String {
        ws_url(self.port(), path)
    }

    /// `wss://localhost:PORT` followed by `path`.
    pub fn wss_url(&self, path: &str) -> String {
        wss_url(self.port(), path)
    }

    /// How many connections have been accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for SilentServer {
    /// Stops the accept loop (flag + one wake-up connection), closing every held connection.
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// TLS
// ---------------------------------------------------------------------------------------------

/// A self-signed certificate valid for `localhost` and `127.0.0.1`, with its private key.
#[derive(Debug, Clone)]
pub struct TlsFixture {
    /// The certificate, PEM encoded.
    pub cert_pem: String,
    /// The certificate, DER encoded.
    pub cert_der: Vec<u8>,
    /// The private key, PKCS#8 PEM encoded.
    pub key_pem: String,
}

/// The server's RSA test key (PKCS#8 PEM). Test keys are RSA, made once and kept here rather
/// than generated: SChannel (Windows) imports only RSA keys from PKCS#8, and rcgen cannot
/// generate RSA keys with its ring backend. They protect nothing.
pub const SERVER_KEY: &str = include_str!("../data/rsa-server.key.pem");
/// The RSA test key of client certificates.
pub const CLIENT_KEY: &str = include_str!("../data/rsa-client.key.pem");
/// An RSA test key that belongs to no certificate here.
pub const STRANGER_KEY: &str = include_str!("../data/rsa-stranger.key.pem");

/// A self-signed certificate for `names`, signed with `key` (PKCS#8 PEM), made at test time.
pub fn self_signed(names: &[&str], key: &str) -> TlsFixture {
    let key_pair = rcgen::KeyPair::from_pem(key).expect("read test key");
    let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
    let cert = rcgen::CertificateParams::new(names)
        .expect("certificate names")
        .self_signed(&key_pair)
        .expect("sign test certificate");
    TlsFixture {
        cert_pem: cert.pem(),
        cert_der: cert.der().to_vec(),
        key_pem: key.to_owned(),
    }
}

/// The test certificate, generated on first use and cached for the whole test binary.
pub fn tls_fixture() -> TlsFixture {
    static FIXTURE: OnceLock<TlsFixture> = OnceLock::new();
    FIXTURE
        .get_or_init(|| self_signed(&["localhost", "127.0.0.1"], SERVER_KEY))
        .clone()
}

impl TlsFixture {
    /// The certificate as a `native_tls::Certificate` (e.g. for `add_root_certificate`).
    pub fn native_cert(&self) -> native_tls::Certificate {
        native_tls::Certificate::from_der(&self.cert_der).expect("parse test certificate")
    }

    /// A TLS connector that trusts this certificate (and the system roots).
    pub fn connector(&self) -> TlsConnector {
        TlsConnector::builder()
            .add_root_certificate(self.native_cert())
            .build()
            .expect("build TLS connector")
    }

    /// A TLS acceptor that presents this certificate.
    pub fn acceptor(&self) -> ServerAcceptor {
        ServerAcceptor::new(self, false)
    }
}

/// `wss` server presenting `fixture`'s certificate: TLS handshake, then WebSocket handshake,
/// then `handler`. A connection whose TLS or WebSocket handshake failed (e.g. the client
/// rejected the certificate) yields `None` and never reaches `handler`.
pub fn tls_ws_server<T, F>(
    fixture: &TlsFixture,
    connections: usize,
    handler: F,
) -> Server<Option<T>>
where
    F: Fn(WebSocket<ServerTls>) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    tls_ws_server_with(fixture, connections, accept_any(), handler)
}

/// Like [`tls_ws_server`], with a handshake callback as in [`ws_server_with`].
pub fn tls_ws_server_with<T, F, C>(
    fixture: &TlsFixture,
    connections: usize,
    on_request: C,
    handler: F,
) -> Server<Option<T>>
where
    C: Fn(&Request, Response) -> Result<Response, ErrorResponse> + Send + Sync + 'static,
    F: Fn(WebSocket<ServerTls>) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    let acceptor = fixture.acceptor();
    raw_server(connections, move |stream| {
        let tls = acceptor.accept(stream)?;
        let (_head, ws) = ws_handshake(tls, &on_request)?;
        Some(handler(ws))
    })
}

/// Client-side helper: TCP connect to `addr` and wrap in TLS for host `localhost`, trusting
/// `fixture`'s certificate. Returns the error text if the TLS handshake fails.
pub fn tls_connect(fixture: &TlsFixture, addr: SocketAddr) -> Result<TlsStream<TcpStream>, String> {
    let tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    fixture
        .connector()
        .connect("localhost", tcp)
        .map_err(|e| e.to_string())
}

/// Returns true if `err` is what a read timeout produces (WouldBlock or TimedOut by platform).
pub fn is_timeout(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
