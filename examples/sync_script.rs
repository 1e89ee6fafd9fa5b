//! A procedural script in the WLanguage synchronous style: connect by name, send a few lines,
//! read each answer with a timeout, look at the socket, handle errors with `match` on the
//! `Error` variants (printed as `ErrorInfo()` would print them), close.
//!
//! `cargo run --example sync_script` talks to an echo server it starts on loopback;
//! `cargo run --example sync_script -- ws://host:port/path` talks to that server instead (an
//! echo server: the script expects each line back).
//!
//! Each step names the WLanguage call it replaces. docs/porting-from-wlanguage.md has the
//! whole mapping.

mod support;

use std::process::ExitCode;
use std::time::Duration;

use named_websocket::{
    socket_close, socket_exist, socket_read, socket_read_timeout, socket_state, socket_try_read,
    socket_write, websocket_client_connect, websocket_client_connect_url, Error, Message,
};

/// The socket's name, as in WLanguage: every call below addresses the connection by it.
const NAME: &str = "script";

fn main() -> ExitCode {
    support::main(run)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let url = match std::env::args().nth(1) {
        Some(url) => url,
        None => support::start_echo_server()?,
    };

    // WebSocketClientConnect("script", ...): `?` ends the script with the error's message
    // if the connect fails, where WLanguage code would test the boolean and call ErrorInfo().
    websocket_client_connect_url(NAME, &url)?;
    println!("connected to {url} as {NAME:?}");

    // SocketExist("script"); socket_state says whether the connection is still open.
    println!(
        "socket_exist = {}, socket_state = {}",
        socket_exist(NAME),
        socket_state(NAME)?
    );

    for line in ["first line", "second line", "third line"] {
        // SocketWrite("script", line)
        socket_write(NAME, line)?;
        println!("> {line}");
        // SocketRead("script", False, 5 s): wait up to 5 seconds (WLanguage returns "" when
        // nothing came; here that is a timeout error you can tell apart)
        match socket_read_timeout(NAME, Duration::from_secs(5)) {
            Ok(answer) => println!("< {}", show(&answer)),
            Err(Error::Timeout(_)) => println!("  no answer within 5 seconds"),
            Err(error) => return Err(error.into()),
        }
    }

    // What has already arrived, without waiting. WLanguage has no such read: SocketRead with
    // False waits up to its timeout, 1 second by default.
    match socket_try_read(NAME)? {
        Some(message) => println!("one more message was waiting: {}", show(&message)),
        None => println!("nothing else is waiting"),
    }

    // A read timeout is an error you can tell apart; the socket stays usable after it.
    match socket_read_timeout(NAME, Duration::from_millis(200)) {
        Err(error @ Error::Timeout(_)) => println!("read with a 200 ms timeout: {error}"),
        Ok(message) => println!("an unexpected message: {}", show(&message)),
        Err(error) => return Err(error.into()),
    }
    println!("still {} after the timeout", socket_state(NAME)?);

    println!();
    println!("what ErrorInfo() would say:");
    deliberate_errors()?;
    println!();

    // SocketClose("script"): the name is free when it returns.
    socket_close(NAME)?;
    println!("closed; socket_exist = {}", socket_exist(NAME));
    match socket_read(NAME) {
        Err(Error::NotFound(name)) => println!("reading {name:?} now: no such socket"),
        other => return Err(format!("expected NotFound after the close, got {other:?}").into()),
    }
    Ok(())
}

/// Four calls that fail on purpose, each matched on the `Error` variant a script acts on.
fn deliberate_errors() -> Result<(), Box<dyn std::error::Error>> {
    // A port where nothing listens: the connect is refused, and the name is free again.
    let port = support::closed_port()?;
    match websocket_client_connect("nobody", "127.0.0.1", port, "/", "") {
        Err(error @ Error::ConnectRefused(_)) => {
            println!("  connect to a closed port: {error}");
            println!("  socket_exist(\"nobody\") = {}", socket_exist("nobody"));
        }
        // Some firewalls drop the packets instead of refusing them.
        Err(error @ Error::Timeout(_)) => println!("  connect to a closed port: {error}"),
        Ok(()) => return Err(format!("port {port} unexpectedly accepted a connection").into()),
        Err(error) => return Err(error.into()),
    }

    // The same name twice.
    match websocket_client_connect("script", "127.0.0.1", port, "/", "") {
        Err(error @ Error::NameInUse(_)) => println!("  the same name again: {error}"),
        other => return Err(format!("expected NameInUse, got {other:?}").into()),
    }

    // A name that was never connected.
    match socket_write("nobody", "hello?") {
        Err(error @ Error::NotFound(_)) => println!("  writing to an unknown name: {error}"),
        other => return Err(format!("expected NotFound, got {other:?}").into()),
    }

    // A URL where the positional form wants a host: checked before any network traffic.
    match websocket_client_connect("typo", "ws://127.0.0.1", port, "/", "") {
        Err(error @ Error::InvalidArgument(_)) => println!("  a URL as the host: {error}"),
        other => return Err(format!("expected InvalidArgument, got {other:?}").into()),
    }
    Ok(())
}

fn show(message: &Message) -> String {
    match message {
        Message::Text(text) => text.clone(),
        Message::Binary(bytes) => format!("(binary, {} bytes)", bytes.len()),
    }
}
