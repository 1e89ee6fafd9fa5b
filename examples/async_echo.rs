//! The asynchronous WLanguage sample, in Rust: a callback receives the socket's events on the
//! main thread; on Open it writes a message, on Message it prints the answer and closes, on
//! Close the program leaves its loop.
//!
//! `cargo run --example async_echo` talks to an echo server it starts on loopback;
//! `cargo run --example async_echo -- ws://host:port/path` talks to that server.
//!
//! ```text
//! WebSocketClientConnect("client", WebSocketClientConnect_Callback, "192.168.100.1", 80, ...)
//! PROCEDURE WebSocketClientConnect_Callback(nEvent, sMessage)
//!     SWITCH nEvent
//!         CASE SocketOpening: SocketWrite("client", "Message sent from the client.")
//!         CASE SocketMessage: Info("Message received from the server: " + sMessage)
//!         CASE SocketClosing: Info("Socket closed", sMessage)
//!         CASE SocketError:   Error("Socket error")
//!     END
//! ```

mod support;

use named_websocket::{
    dispatch_until_all_closed, socket_close, socket_write, websocket_client_connect_async_url,
    Event,
};
use std::process::ExitCode;

fn main() -> ExitCode {
    support::main(run)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let url = match std::env::args().nth(1) {
        Some(url) => url,
        None => support::start_echo_server()?,
    };
    println!("connecting to {url} in the background");

    websocket_client_connect_async_url(
        "client",
        |name, event| match event {
            Event::Open { protocol } => {
                println!("[{name}] open (protocol: {protocol:?})");
                if let Err(e) = socket_write(name, "Message sent from the client.") {
                    eprintln!("[{name}] write failed: {e}");
                }
            }
            Event::Message(message) => {
                println!("[{name}] message received from the server: {message:?}");
                // One answer is all this sample wants.
                if let Err(e) = socket_close(name) {
                    eprintln!("[{name}] close failed: {e}");
                }
            }
            // `ended`: the socket's final Close (no reconnect follows, no event after it).
            Event::Close {
                code,
                reason,
                ended,
                ..
            } => println!("[{name}] socket closed: {code} {reason} (final: {ended})"),
            Event::Error(error) => eprintln!("[{name}] socket error: {error}"),
            other => println!("[{name}] {other:?}"),
        },
        &url,
    )?;

    // The main thread's event loop: run callbacks until no asynchronous socket is left. A
    // program with its own loop calls dispatch_pending() or dispatch_timeout() instead.
    let ran = dispatch_until_all_closed()?;
    println!("{ran} events dispatched; bye");
    Ok(())
}
