//! What every example shares: [`main`], which installs a logger and prints errors as sentences,
//! and tiny servers on loopback, so the examples run without any other program.

use std::error::Error;
use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::Duration;

/// Runs an example's body: installs a logger that follows `RUST_LOG` (nothing but errors when
/// it is unset), runs `body`, and prints the error it returns, if any, as the sentence its
/// `Display` gives (`error: TLS handshake failed: …`, not `Error: Tls("…")`), with exit code 1.
///
/// `RUST_LOG=named_websocket=debug cargo run --example quickstart` shows the library's
/// connects and closes; `=trace` adds every message sent and received.
#[allow(dead_code, reason = "each example uses only some of the helpers")]
pub(crate) fn main(body: impl FnOnce() -> Result<(), Box<dyn Error>>) -> ExitCode {
    // Fails only when a logger is already installed, which leaves that one in place.
    let _ = env_logger::try_init();
    match body() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Starts an echo server on 127.0.0.1 (a free port) in a background thread and returns its
/// `ws://` URL. Each connection gets its own thread; text and binary messages come back as
/// they were sent, and the close handshake is answered.
#[allow(dead_code, reason = "each example uses only some of the helpers")]
pub(crate) fn start_echo_server() -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("ws://{}/echo", listener.local_addr()?);
    thread::Builder::new()
        .name("echo-server".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                thread::spawn(move || serve_echo(stream));
            }
        })?;
    Ok(url)
}

/// Serves one echo connection until it ends: text and binary messages go back as they came,
/// pings and the close handshake are answered. Returns how many messages it echoed once the
/// connection closed cleanly, or why it ended otherwise (not a WebSocket client, a broken
/// link, a protocol error).
#[allow(dead_code, reason = "each example uses only some of the helpers")]
pub(crate) fn serve_echo(stream: TcpStream) -> Result<u64, String> {
    let mut ws = tungstenite::accept(stream).map_err(|e| format!("handshake failed: {e}"))?;
    let mut echoed = 0;
    loop {
        match ws.read() {
            Ok(message) if message.is_text() || message.is_binary() => {
                ws.send(message).map_err(|e| e.to_string())?;
                echoed += 1;
            }
            Ok(_) => {} // pings are answered by tungstenite; a Close is answered on the next read
            Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                return Ok(echoed)
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Starts a small chat server on 127.0.0.1 (a free port) in a background thread and returns its
/// `ws://` URL. Clients are named `guest1`, `guest2`, … in the order they connect; each text
/// message a client sends goes to every client, the sender included, as `"guestN: text"`.
/// Binary messages are ignored.
#[allow(dead_code, reason = "each example uses only some of the helpers")]
pub(crate) fn start_chat_server() -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("ws://{}/chat", listener.local_addr()?);
    let clients = Arc::new(Mutex::new(Vec::new()));
    thread::Builder::new()
        .name("chat-server".into())
        .spawn(move || {
            for (number, stream) in (1..).zip(listener.incoming().flatten()) {
                let clients = Arc::clone(&clients);
                thread::spawn(move || chat(stream, format!("guest{number}"), &clients));
            }
        })?;
    Ok(url)
}

/// A loopback port with nothing listening on it: a connection there is refused.
#[allow(dead_code, reason = "each example uses only some of the helpers")]
pub(crate) fn closed_port() -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
    // The listener is dropped here, which closes the port again.
}

/// The lines waiting to go to each connected chat client.
type Clients = Mutex<Vec<crossbeam_channel::Sender<String>>>;

/// Serves one chat client: forwards what the others said, broadcasts what this one says.
fn chat(stream: TcpStream, nickname: String, clients: &Clients) {
    let Ok(mut ws) = tungstenite::accept(stream) else {
        return;
    };
    // A short read timeout lets this one thread both read and forward the others' lines.
    if ws
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(20)))
        .is_err()
    {
        return;
    }
    let (outbox, inbox) = crossbeam_channel::unbounded();
    lock(clients).push(outbox);
    loop {
        for line in inbox.try_iter() {
            if ws.send(tungstenite::Message::text(line)).is_err() {
                return;
            }
        }
        match ws.read() {
            Ok(tungstenite::Message::Text(text)) => {
                let line = format!("{nickname}: {}", text.as_str());
                // A client that left has dropped its inbox: forget it.
                lock(clients).retain(|client| client.send(line.clone()).is_ok());
            }
            Ok(tungstenite::Message::Close(_)) => {
                // Send the answer to the client's Close frame, then end the TCP connection.
                let _ = ws.flush();
                return;
            }
            Ok(_) => {} // binary messages are ignored; pings are answered by tungstenite
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return,
        }
    }
}

fn lock(clients: &Clients) -> std::sync::MutexGuard<'_, Vec<crossbeam_channel::Sender<String>>> {
    clients.lock().unwrap_or_else(PoisonError::into_inner)
}
