//! The loopback echo server the window talks to when it is given no URL, so the app (and its
//! self-test) runs without any other program and never reaches beyond 127.0.0.1.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

/// The message that makes the server drop the connection without a Close frame, and leave
/// every later connection unanswered: the self-test's way to put the window in "reconnecting".
pub const DROP_AND_STALL: &str = "self-test: drop the connection and stall";

/// Starts an echo server on 127.0.0.1 (a free port) in a background thread and returns its
/// `ws://` URL. Each connection gets its own thread; text and binary messages come back as
/// they were sent, and the close handshake is answered; [`DROP_AND_STALL`] is not echoed.
pub fn start() -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("ws://{}/echo", listener.local_addr()?);
    let stalled = Arc::new(AtomicBool::new(false));
    thread::Builder::new()
        .name("echo-server".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let stalled = Arc::clone(&stalled);
                thread::spawn(move || echo(stream, &stalled));
            }
        })?;
    Ok(url)
}

/// A `ws://` URL on 127.0.0.1 where nothing listens (a port that was free a moment ago), so
/// that connecting there is refused.
pub fn refused_url() -> std::io::Result<String> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    Ok(format!("ws://127.0.0.1:{port}/refused"))
}

fn echo(mut stream: TcpStream, stalled: &AtomicBool) {
    if stalled.load(Ordering::SeqCst) {
        // Accepted, never answered: held until the client gives up or is closed.
        let _ = stream.read_to_end(&mut Vec::new());
        return;
    }
    let Ok(mut ws) = tungstenite::accept(stream) else {
        return;
    };
    loop {
        match ws.read() {
            Ok(message) if message.to_text().is_ok_and(|text| text == DROP_AND_STALL) => {
                stalled.store(true, Ordering::SeqCst);
                return; // dropped without a Close frame
            }
            Ok(message) if message.is_text() || message.is_binary() => {
                if ws.send(message).is_err() {
                    return;
                }
            }
            // Pings are answered by tungstenite; a Close is answered on the next read, which
            // then ends the connection with an error.
            Ok(_) => {}
            Err(_) => return,
        }
    }
}
