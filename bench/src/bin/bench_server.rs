//! The loopback benchmark server: echo, sink and source, one thread per connection.
//!
//! ```sh
//! cargo run --release -p named-websocket-bench --bin bench_server -- [PORT] [--stack KIB] [--lifetime SECS] [--tls CERT.pem]
//! ```
//! Listens on 127.0.0.1:PORT (0 or nothing: a free port) and prints its URL,
//! `ws://127.0.0.1:PORT`, as the first line of standard output. With `--tls`, it serves TLS
//! (native-tls) with a self-signed certificate for 127.0.0.1 made at start, writes that
//! certificate to CERT.pem for the clients to trust (`BENCH_ROOT_CERT`), and prints
//! `wss://127.0.0.1:PORT`. The path of each connection picks the mode:
//!
//! - `/echo` (and any other path): sends every data message back as it came;
//! - `/sink`: counts data messages; to the text message `END` it answers `done:<count>`
//!   (the messages before `END`) and starts counting again;
//! - `/source?n=N&size=SIZE`: right after the upgrade, sends N binary messages of SIZE bytes,
//!   then closes the connection (Close handshake, then TCP);
//! - `/ticker?interval_ms=MS&size=SIZE`: every MS milliseconds, a JSON text of about SIZE bytes
//!   whose `"sent_ns"` is the time of the send (nanoseconds since the Unix epoch), until the
//!   client closes.
//!
//! Written on raw tungstenite with blocking sockets and TCP_NODELAY, it is the same server for
//! both benchmark clients. Each connection runs on its own thread with a small stack (64 KiB
//! by default), so that the scale test's ten thousand connections cost little memory. The
//! server stops by itself after `--lifetime` seconds (3600 by default), in case the script
//! that started it could not.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tungstenite::{Bytes, Message, WebSocket};

struct Options {
    port: u16,
    stack_kib: usize,
    lifetime: Duration,
    /// Where to write the certificate, when serving TLS.
    tls_cert: Option<String>,
}

fn usage(message: &str) -> ! {
    eprintln!(
        "bench_server: {message}\n\
         usage: bench_server [PORT] [--stack KIB] [--lifetime SECS] [--tls CERT.pem]"
    );
    std::process::exit(2);
}

fn parse_options() -> Options {
    let mut options = Options {
        port: 0,
        stack_kib: 64,
        lifetime: Duration::from_secs(3600),
        tls_cert: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| usage(&format!("{name} needs a whole number")))
        };
        if arg == "--tls" {
            let path = args
                .next()
                .unwrap_or_else(|| usage("--tls needs a file name"));
            options.tls_cert = Some(path);
            continue;
        }
        match arg.as_str() {
            "--stack" => options.stack_kib = value("--stack") as usize,
            "--lifetime" => options.lifetime = Duration::from_secs(value("--lifetime")),
            port => {
                options.port = port
                    .parse()
                    .unwrap_or_else(|_| usage(&format!("bad port {port:?}")))
            }
        }
    }
    options
}

fn main() {
    let options = parse_options();
    let listener = TcpListener::bind(("127.0.0.1", options.port))
        .unwrap_or_else(|e| usage(&format!("cannot listen on port {}: {e}", options.port)));
    let address = listener
        .local_addr()
        .expect("a bound listener has an address");
    let acceptor = options.tls_cert.as_deref().map(tls_acceptor);
    let scheme = if acceptor.is_some() { "wss" } else { "ws" };
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{scheme}://{address}");
    let _ = stdout.flush();

    let lifetime = options.lifetime;
    thread::spawn(move || {
        thread::sleep(lifetime);
        eprintln!(
            "bench_server: lifetime of {}s over, exiting",
            lifetime.as_secs()
        );
        std::process::exit(0);
    });

    let mut spawn_failures = 0u64;
    for stream in listener.incoming() {
        let tcp = match stream {
            Ok(tcp) => tcp,
            Err(e) => {
                // Out of file descriptors, most likely: let connections end, then go on.
                eprintln!("bench_server: accept failed: {e}");
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let spawned = thread::Builder::new()
            .stack_size(options.stack_kib * 1024)
            .spawn(move || {
                let served = match acceptor {
                    None => serve(tcp),
                    Some(acceptor) => match tcp.set_nodelay(true) {
                        Err(e) => Err(e.into()),
                        Ok(()) => match acceptor.accept(tcp) {
                            Ok(tls) => serve(tls),
                            Err(e) => {
                                eprintln!("bench_server: TLS handshake failed: {e}");
                                return;
                            }
                        },
                    },
                };
                if let Err(e) = served {
                    if !is_disconnect(&e) {
                        eprintln!("bench_server: connection failed: {e}");
                    }
                }
            });
        if let Err(e) = spawned {
            spawn_failures += 1;
            if spawn_failures == 1 || spawn_failures.is_power_of_two() {
                eprintln!("bench_server: cannot start a thread ({spawn_failures} times): {e}");
            }
        }
    }
}

/// A TLS acceptor with a new self-signed certificate for 127.0.0.1, written to `cert_path`.
fn tls_acceptor(cert_path: &str) -> Arc<native_tls::TlsAcceptor> {
    let generated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
        .unwrap_or_else(|e| usage(&format!("cannot make a certificate: {e}")));
    let cert = generated.cert.pem();
    std::fs::write(cert_path, &cert)
        .unwrap_or_else(|e| usage(&format!("cannot write {cert_path}: {e}")));
    let key = generated.signing_key.serialize_pem();
    let identity = native_tls::Identity::from_pkcs8(cert.as_bytes(), key.as_bytes())
        .unwrap_or_else(|e| usage(&format!("cannot use the certificate: {e}")));
    let acceptor = native_tls::TlsAcceptor::new(identity)
        .unwrap_or_else(|e| usage(&format!("cannot set TLS up: {e}")));
    Arc::new(acceptor)
}

/// The ways a client may leave that are not worth a message.
fn is_disconnect(error: &tungstenite::Error) -> bool {
    use std::io::ErrorKind;
    use tungstenite::error::ProtocolError;
    match error {
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => true,
        tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => true,
        tungstenite::Error::Io(e) => matches!(
            e.kind(),
            ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::UnexpectedEof
        ),
        _ => false,
    }
}

enum Mode {
    Echo,
    Sink,
    Source { n: u64, size: usize },
    Ticker { interval: Duration, size: usize },
}

fn mode_of(path: &str, query: Option<&str>) -> Result<Mode, String> {
    match path {
        "/sink" => Ok(Mode::Sink),
        "/source" => {
            let (mut n, mut size) = (None, None);
            for pair in query.unwrap_or("").split('&') {
                match pair.split_once('=') {
                    Some(("n", v)) => n = v.parse().ok(),
                    Some(("size", v)) => size = v.parse().ok(),
                    _ => {}
                }
            }
            match (n, size) {
                (Some(n), Some(size)) => Ok(Mode::Source { n, size }),
                _ => Err("/source needs ?n=N&size=SIZE".into()),
            }
        }
        "/ticker" => {
            let (mut interval_ms, mut size) = (None, None);
            for pair in query.unwrap_or("").split('&') {
                match pair.split_once('=') {
                    Some(("interval_ms", v)) => interval_ms = v.parse().ok(),
                    Some(("size", v)) => size = v.parse().ok(),
                    _ => {}
                }
            }
            match (interval_ms, size) {
                (Some(ms), Some(size)) => Ok(Mode::Ticker {
                    interval: Duration::from_millis(ms),
                    size,
                }),
                _ => Err("/ticker needs ?interval_ms=MS&size=SIZE".into()),
            }
        }
        _ => Ok(Mode::Echo),
    }
}

// The handshake callback's signature is tungstenite's, large error type included.
#[allow(clippy::result_large_err)]
fn serve<S: Read + Write + NoDelay + ReadTimeout>(tcp: S) -> tungstenite::Result<()> {
    tcp.set_nodelay()?;
    let mut mode = Err(String::new());
    let callback = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        mode = mode_of(request.uri().path(), request.uri().query());
        match &mode {
            Ok(_) => Ok(response),
            Err(message) => {
                let mut refusal = ErrorResponse::new(Some(message.clone()));
                *refusal.status_mut() = tungstenite::http::StatusCode::BAD_REQUEST;
                Err(refusal)
            }
        }
    };
    let mut ws = tungstenite::accept_hdr(tcp, callback).map_err(|e| match e {
        tungstenite::HandshakeError::Failure(e) => e,
        tungstenite::HandshakeError::Interrupted(_) => {
            tungstenite::Error::Io(std::io::ErrorKind::WouldBlock.into())
        }
    })?;
    match mode {
        Ok(Mode::Echo) => echo(&mut ws),
        Ok(Mode::Sink) => sink(&mut ws),
        Ok(Mode::Source { n, size }) => source(&mut ws, n, size),
        Ok(Mode::Ticker { interval, size }) => ticker(&mut ws, interval, size),
        Err(_) => Ok(()), // refused in the handshake
    }
}

/// TCP_NODELAY on the connection (already set under TLS, before the handshake).
trait NoDelay {
    fn set_nodelay(&self) -> std::io::Result<()>;
}

impl NoDelay for TcpStream {
    fn set_nodelay(&self) -> std::io::Result<()> {
        TcpStream::set_nodelay(self, true)
    }
}

impl NoDelay for native_tls::TlsStream<TcpStream> {
    fn set_nodelay(&self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A read timeout on the connection, for the ticker's wait between sends.
trait ReadTimeout {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> std::io::Result<()>;
}

impl ReadTimeout for TcpStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> std::io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }
}

impl ReadTimeout for native_tls::TlsStream<TcpStream> {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> std::io::Result<()> {
        self.get_ref().set_read_timeout(timeout)
    }
}

/// Reads until the client's Close has been answered (tungstenite answers it).
fn drain<S: Read + Write>(ws: &mut WebSocket<S>) -> tungstenite::Result<()> {
    loop {
        match ws.read() {
            Ok(_) => {}
            Err(tungstenite::Error::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

fn echo<S: Read + Write>(ws: &mut WebSocket<S>) -> tungstenite::Result<()> {
    loop {
        match ws.read() {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => ws.send(message)?,
            Ok(_) => {}
            Err(tungstenite::Error::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

fn sink<S: Read + Write>(ws: &mut WebSocket<S>) -> tungstenite::Result<()> {
    let mut count = 0u64;
    loop {
        match ws.read() {
            Ok(Message::Text(text)) if text.as_str() == "END" => {
                ws.send(Message::text(format!("done:{count}")))?;
                count = 0;
            }
            Ok(Message::Text(_) | Message::Binary(_)) => count += 1,
            Ok(_) => {}
            Err(tungstenite::Error::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

fn source<S: Read + Write>(ws: &mut WebSocket<S>, n: u64, size: usize) -> tungstenite::Result<()> {
    let payload = Bytes::from(vec![0xA5u8; size]);
    for _ in 0..n {
        // `write` queues and sends whenever the write buffer (128 KiB) fills up.
        ws.write(Message::Binary(payload.clone()))?;
    }
    ws.flush()?;
    ws.close(None)?;
    drain(ws)
}

/// Sends a timestamped JSON text every `interval` (the mixed desktop workload), reading in
/// between so that the client's Close is answered.
fn ticker<S: Read + Write + ReadTimeout>(
    ws: &mut WebSocket<S>,
    interval: Duration,
    size: usize,
) -> tungstenite::Result<()> {
    let mut next = std::time::Instant::now();
    let mut seq = 0u64;
    loop {
        let now = std::time::Instant::now();
        if now >= next {
            let sent_ns = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let mut text = format!("{{\"seq\":{seq},\"sent_ns\":{sent_ns},\"pad\":\"");
            let pad = size.saturating_sub(text.len() + 2);
            text.extend(std::iter::repeat_n('x', pad));
            text.push_str("\"}");
            ws.send(Message::text(text))?;
            seq += 1;
            next += interval;
            continue;
        }
        ws.get_ref().set_read_timeout(Some(next - now))?;
        match ws.read() {
            // The client closes: no more sends; tungstenite has answered.
            Ok(Message::Close(_)) => {
                ws.get_ref().set_read_timeout(None)?;
                return drain(ws);
            }
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(tungstenite::Error::ConnectionClosed) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}
