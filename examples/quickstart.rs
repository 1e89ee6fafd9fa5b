//! The README demo: connect by name, write, read the echo, close.
//!
//! `cargo run --example quickstart` starts an echo server on loopback and talks to it;
//! `cargo run --example quickstart -- wss://your.server/path` talks to that server instead.

mod support;

use std::process::ExitCode;
use std::time::Duration;

use named_websocket::{
    socket_close, socket_exist, socket_protocol, socket_read_timeout, socket_write,
    websocket_client_connect_url, Message,
};

fn main() -> ExitCode {
    support::main(run)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let url = match std::env::args().nth(1) {
        Some(url) => url,
        None => {
            let url = support::start_echo_server()?;
            println!("started an echo server at {url}");
            url
        }
    };

    websocket_client_connect_url("quickstart", &url)?;
    println!(
        "connected to {url} as \"quickstart\" (protocol: {:?})",
        socket_protocol("quickstart")?
    );

    let messages = [
        Message::from("Hello, world!"),
        Message::from("Bonjour le monde !"),
        Message::from(vec![0xCA_u8, 0xFE]),
    ];
    for message in messages {
        println!("> {}", show(&message));
        socket_write("quickstart", message)?;
        let reply = socket_read_timeout("quickstart", Duration::from_secs(5))?;
        println!("< {}", show(&reply));
    }

    socket_close("quickstart")?;
    println!(
        "closed; socket_exist(\"quickstart\") = {}",
        socket_exist("quickstart")
    );
    Ok(())
}

fn show(message: &Message) -> String {
    match message {
        Message::Text(text) => format!("text {text:?}"),
        Message::Binary(bytes) => format!("binary {bytes:02x?}"),
    }
}
