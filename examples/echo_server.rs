//! A WebSocket echo server on loopback, for trying the library from your own program without
//! writing a server first: it prints its URL, then sends every text and binary message back
//! as it came, to any number of clients, on any path, until you stop it with Ctrl-C.
//!
//! ```sh
//! cargo run --example echo_server                  # a free port, printed on the first line
//! cargo run --example echo_server -- --port 9001   # ws://127.0.0.1:9001/echo
//! cargo run --example echo_server -- --once        # serve one connection, then exit
//! ```
//!
//! Then, in another terminal, `cargo run --example quickstart -- <URL>`, or your own program
//! with `websocket_client_connect("echo", "127.0.0.1", <PORT>, "/echo", "")`.
//!
//! With `--once` the server exits when its first connection ends: with code 0 if that
//! connection closed cleanly, 1 otherwise. `scripts/run-examples.sh` runs it that way, with
//! the quickstart example as its client.

mod support;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;

const USAGE: &str = "usage: echo_server [--port PORT] [--once]";

fn main() -> ExitCode {
    let (port, once) = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!(
                "{USAGE}\nAn echo server on 127.0.0.1; PORT 0 (the default) takes a free one."
            );
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    support::main(|| run(port, once))
}

/// `--port PORT` (default 0: any free port) and `--once`; `None` for `--help`.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Option<(u16, bool)>, String> {
    let (mut port, mut once) = (0, false);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().ok_or("--port needs a value")?;
                port = value
                    .parse()
                    .map_err(|_| format!("not a port number: {value:?}"))?;
            }
            "--once" => once = true,
            "-h" | "--help" => return Ok(None),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some((port, once)))
}

fn run(port: u16, once: bool) -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    let url = format!("ws://{}/echo", listener.local_addr()?);
    // The first line: a script reads the URL from it (stdout is flushed at each line).
    println!("echo server at {url}");
    println!("try it: cargo run --example quickstart -- {url}");
    if once {
        println!("--once: it exits when its first connection ends");
        let (stream, peer) = listener.accept()?;
        return match serve(stream, peer) {
            Ok(()) => Ok(()),
            Err(why) => Err(format!("the connection from {peer} ended abnormally: {why}").into()),
        };
    }
    println!("Ctrl-C stops it");
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(stream) => stream,
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        let peer = stream
            .peer_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let spawned = thread::Builder::new()
            .name(format!("echo {peer}"))
            .spawn(move || serve(stream, peer));
        if let Err(e) = spawned {
            eprintln!("cannot serve {peer}: {e}");
        }
    }
    Ok(())
}

/// Serves one client and says what happened to it.
fn serve(stream: TcpStream, peer: SocketAddr) -> Result<(), String> {
    println!("[{peer}] connected");
    match support::serve_echo(stream) {
        Ok(echoed) => {
            println!("[{peer}] closed cleanly after {echoed} message(s)");
            Ok(())
        }
        Err(why) => {
            println!("[{peer}] ended: {why}");
            Err(why)
        }
    }
}
