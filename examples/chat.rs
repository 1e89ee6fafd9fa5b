//! An interactive terminal chat client: each line you type is sent, each message that arrives
//! is printed as `< message`, and `/quit` (or the end of the input) closes the connection
//! cleanly.
//!
//! `cargo run --example chat` starts a small chat server on loopback and joins it; the server's
//! URL is printed, so a second terminal can join too with `cargo run --example chat -- <URL>`.
//! `cargo run --example chat -- ws://host:port/path` joins that server instead.
//! Scripted: `printf 'hello\nworld\n/quit\n' | cargo run --example chat`.
//!
//! It shows full duplex on one name: a reader thread blocks in `socket_read("chat")` while the
//! main thread sends with `socket_write("chat", line)`; neither waits for the other, and
//! `socket_close("chat")` wakes the reader.

mod support;

use std::io::{self, BufRead, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use named_websocket::{
    socket_close, socket_read, socket_write, websocket_client_connect_url, Message,
};

/// The socket's name: both threads address the connection by it.
const NAME: &str = "chat";

fn main() -> ExitCode {
    support::main(run)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let url = match std::env::args().nth(1) {
        Some(url) => url,
        None => {
            let url = support::start_chat_server()?;
            say(&format!(
                "* started a chat server at {url}; join it from another terminal with \
                 `cargo run --example chat -- {url}`"
            ));
            url
        }
    };
    websocket_client_connect_url(NAME, &url)?;
    say(&format!(
        "* connected to {url}; type a line to send it, /quit to leave"
    ));

    // The reader tells main about each message it printed (see the end of main).
    let (arrived, arrivals) = crossbeam_channel::unbounded();
    let quitting = Arc::new(AtomicBool::new(false));
    let reader = {
        let quitting = Arc::clone(&quitting);
        thread::Builder::new()
            .name("reader".into())
            .spawn(move || read_messages(&quitting, &arrived))?
    };

    let mut sent = 0;
    for line in io::stdin().lock().lines() {
        let line = match line {
            Ok(line) => line,
            Err(error) => {
                say(&format!("* cannot read the input: {error}"));
                break;
            }
        };
        let line = line.trim_end(); // a Windows line end leaves a '\r'
        if line == "/quit" {
            break;
        }
        if line.is_empty() {
            continue;
        }
        if let Err(error) = socket_write(NAME, line) {
            say(&format!("* could not send: {error}"));
            break;
        }
        sent += 1;
    }

    // Piped input gets here right after its last line, while the answers may still be on the
    // wire, and socket_close drops what arrives after it. So give the server up to 2 seconds to
    // answer as many messages as we sent (a chat or echo server sends each line back). Typed
    // input was answered long ago: this returns at once.
    let deadline = Instant::now() + Duration::from_secs(2);
    for _ in 0..sent {
        if arrivals.recv_deadline(deadline).is_err() {
            break;
        }
    }

    // SocketClose: sends Close 1000, waits for the server's answer, wakes the reader.
    quitting.store(true, Ordering::SeqCst);
    socket_close(NAME)?;
    let _ = reader.join();
    say("* bye");
    Ok(())
}

/// The reader thread: prints every message until the connection ends.
fn read_messages(quitting: &AtomicBool, arrived: &Sender<()>) {
    loop {
        match socket_read(NAME) {
            Ok(message) => {
                say(&format!("< {}", show(&message)));
                let _ = arrived.send(());
            }
            // Our own socket_close woke us up (Closed), or freed the name already (NotFound).
            Err(_) if quitting.load(Ordering::SeqCst) => return,
            Err(error) => {
                // The server ended the connection, or the link broke: the chat is over. Main
                // is blocked reading the input, so this thread ends the program.
                say(&format!("* {error}"));
                let _ = socket_close(NAME); // as SocketClose after the server left: frees the name
                let clean = matches!(error.close_code(), Some(1000 | 1001));
                std::process::exit(if clean { 0 } else { 1 });
            }
        }
    }
}

/// Prints one line at once, even when the output is a pipe.
fn say(line: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn show(message: &Message) -> String {
    match message {
        Message::Text(text) => text.clone(),
        Message::Binary(bytes) => format!("(binary, {} bytes)", bytes.len()),
    }
}
