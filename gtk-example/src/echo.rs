//! The loopback echo server the window talks to when it is given no URL, so the app (and its
//! self-test) runs without any other program and never reaches beyond 127.0.0.1.

use std::net::{TcpListener, TcpStream};
use std::thread;

/// Starts an echo server on 127.0.0.1 (a free port) in a background thread and returns its
/// `ws://` URL. Each connection gets its own thread; text and binary messages come back as
/// they were sent, and the close handshake is answered.
pub fn start() -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("ws://{}/echo", listener.local_addr()?);
    thread::Builder::new()
        .name("echo-server".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                thread::spawn(move || echo(stream));
            }
        })?;
    Ok(url)
}

fn echo(stream: TcpStream) {
    let Ok(mut ws) = tungstenite::accept(stream) else {
        return;
    };
    loop {
        match ws.read() {
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
