//! The client side of the Autobahn TestSuite, driven through the crate's public API only.
//!
//! It asks the suite's fuzzing server how many cases there are, runs each of them on a socket
//! of its own name (echoing every text and binary message until the server closes, then closing
//! cleanly), and finally asks the server to write its report.
//!
//! `bash scripts/autobahn.sh` installs and starts the server, runs this client and checks the
//! report. By hand, with a fuzzing server already listening:
//!
//! ```sh
//! AUTOBAHN_URL=ws://127.0.0.1:9001 AUTOBAHN_AGENT=named-websocket-sync \
//!     cargo run --release --example autobahn_client -- --mode sync
//! ```
//!
//! The modes `sync-deflate` and `async-deflate` offer permessage-deflate (the default
//! [`Compression`]) on every connection, for the suite's cases 12.* and 13.*.
//!
//! `AUTOBAHN_URL` defaults to `ws://127.0.0.1:9001` and `AUTOBAHN_AGENT` to
//! `named-websocket-<mode>`. Exit codes: 0 when every case ran and the report was requested,
//! 1 when a connection to the server failed, 2 for a bad command line.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use named_websocket::{
    dispatch_until, socket_close, socket_read, socket_write, websocket_client_connect_async_with,
    websocket_client_connect_with, Compression, ConnectOptions, Error, Event,
};

const USAGE: &str = "usage: autobahn_client [--mode sync|async|sync-deflate|async-deflate]";

/// How the client talks to the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The blocking functions: `socket_read`, `socket_write`, `socket_close`.
    Sync,
    /// The asynchronous mode: a callback echoes each `Event::Message`, pumped by
    /// `dispatch_until` on the main thread.
    Async,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Sync => "sync",
            Mode::Async => "async",
        }
    }
}

fn main() -> ExitCode {
    let (mode, deflate) = match parse_mode(std::env::args().skip(1)) {
        Ok(mode) => mode,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let url = std::env::var("AUTOBAHN_URL").unwrap_or_else(|_| "ws://127.0.0.1:9001".into());
    let url = url.trim_end_matches('/').to_owned();
    let suffix = if deflate { "-deflate" } else { "" };
    let agent = std::env::var("AUTOBAHN_AGENT")
        .unwrap_or_else(|_| format!("named-websocket-{}{suffix}", mode.as_str()));

    match run(mode, deflate, &url, &agent) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("autobahn_client: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Reads `--mode sync|async[-deflate]` (or `--mode=...`); without it, the mode is sync. Returns
/// the mode and whether to offer compression.
fn parse_mode(mut args: impl Iterator<Item = String>) -> Result<(Mode, bool), String> {
    let mut mode = (Mode::Sync, false);
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--mode" => args.next().ok_or("--mode needs a value")?,
            "-h" | "--help" => return Err("runs the Autobahn TestSuite's client cases".into()),
            other => match other.strip_prefix("--mode=") {
                Some(value) => value.to_owned(),
                None => return Err(format!("unknown argument {other:?}")),
            },
        };
        mode = match value.as_str() {
            "sync" => (Mode::Sync, false),
            "async" => (Mode::Async, false),
            "sync-deflate" => (Mode::Sync, true),
            "async-deflate" => (Mode::Async, true),
            other => return Err(format!("unknown mode {other:?}")),
        };
    }
    Ok(mode)
}

/// The options of every connection. Group 9 sends messages of up to 16 MiB in a single frame:
/// the defaults (64 MiB per message, 16 MiB per frame, a limit a frame may reach) already
/// allow that; they are spelled out here so that the test does not depend on them. The
/// deflate modes compress at level 1: the level changes no byte of the protocol, and the
/// suite's cases 12.* echo 128 MiB each, which at the default level 6 cost the client most of
/// its time.
fn options(deflate: bool) -> ConnectOptions {
    let options = ConnectOptions::new()
        .max_message_size(Some(64 << 20))
        .max_frame_size(Some(16 << 20))
        .connect_timeout(Duration::from_secs(10));
    if deflate {
        options.compression(Compression::new().level(1))
    } else {
        options
    }
}

/// Percent-encodes an agent name for the query string.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn run(mode: Mode, deflate: bool, url: &str, agent: &str) -> Result<(), String> {
    let started = Instant::now();
    let options = options(deflate);
    let agent_query = encode(agent);

    let count = case_count(url, &options)?;
    println!("{count} cases at {url}, agent {agent:?}");

    let mut failed_connects = 0;
    for case in 1..=count {
        let name = format!("autobahn-{}-case-{case}", mode.as_str());
        let case_url = format!("{url}/runCase?case={case}&agent={agent_query}");
        let case_started = Instant::now();
        let outcome = match mode {
            Mode::Sync => run_case_sync(&name, &case_url, &options),
            Mode::Async => run_case_async(&name, &case_url, &options),
        };
        let (echoed, end) = match outcome {
            Ok(result) => result,
            Err(e) => {
                eprintln!("case {case}/{count}: connect failed: {e}");
                failed_connects += 1;
                continue;
            }
        };
        // The close handshake: answers the server's Close frame if it has not been answered
        // yet, waits for the server to end the TCP connection, and frees the name.
        if let Err(e) = socket_close(&name) {
            eprintln!("case {case}/{count}: socket_close failed: {e}");
        }
        println!(
            "case {case}/{count}: echoed {echoed} message(s) in {:.2?}; {end}",
            case_started.elapsed()
        );
    }

    let name = "autobahn-sync-report";
    let report_url = format!("{url}/updateReports?agent={agent_query}");
    websocket_client_connect_with(name, &report_url, &options)
        .map_err(|e| format!("could not request the report: {e}"))?;
    let (_, end) = echo_until_closed(name);
    socket_close(name).map_err(|e| format!("closing the report request: {e}"))?;
    println!(
        "report requested ({end}); {count} cases in {:.1?}",
        started.elapsed()
    );

    if failed_connects > 0 {
        return Err(format!("{failed_connects} case(s) could not connect"));
    }
    Ok(())
}

/// One case in blocking mode: read, write back, until the connection ends.
fn run_case_sync(
    name: &str,
    url: &str,
    options: &ConnectOptions,
) -> Result<(usize, String), Error> {
    websocket_client_connect_with(name, url, options)?;
    Ok(echo_until_closed(name))
}

/// One case in asynchronous mode: the callback writes back each message; the main thread
/// dispatches until the socket's Close event.
fn run_case_async(
    name: &str,
    url: &str,
    options: &ConnectOptions,
) -> Result<(usize, String), Error> {
    let closed = Arc::new(AtomicBool::new(false));
    let echoed = Arc::new(AtomicUsize::new(0));
    let end = Arc::new(Mutex::new(String::new()));
    let (flag, count, ending) = (Arc::clone(&closed), Arc::clone(&echoed), Arc::clone(&end));
    websocket_client_connect_async_with(
        name,
        move |name, event| match event {
            Event::Message(message) => {
                // The server may close while we write: the Close event reports it.
                let echoed = socket_write(name, message).is_ok();
                if echoed {
                    count.fetch_add(1, Ordering::SeqCst);
                }
            }
            Event::Error(error) => *ending.lock().unwrap() = format!("failed: {error}; "),
            Event::Close {
                code,
                reason,
                ended,
                ..
            } => {
                ending
                    .lock()
                    .unwrap()
                    .push_str(&format!("closed ({code} {reason})"));
                if ended {
                    flag.store(true, Ordering::SeqCst);
                }
            }
            _ => {}
        },
        url,
        options,
    )?;
    dispatch_until(|| closed.load(Ordering::SeqCst))?;
    let end = end.lock().unwrap().clone();
    Ok((echoed.load(Ordering::SeqCst), end))
}

/// Asks the server for the number of cases: it sends one text message, then closes.
fn case_count(url: &str, options: &ConnectOptions) -> Result<u32, String> {
    let name = "autobahn-sync-count";
    websocket_client_connect_with(name, &format!("{url}/getCaseCount"), options)
        .map_err(|e| format!("could not ask {url} for the case count: {e}"))?;
    let answer = socket_read(name);
    let _ = socket_close(name);
    let message = answer.map_err(|e| format!("reading the case count: {e}"))?;
    let text = message
        .as_text()
        .ok_or("the case count came as a binary message")?;
    text.trim()
        .parse()
        .map_err(|e| format!("the case count {text:?} is not a number: {e}"))
}

/// Echoes every message until the connection ends; returns how many messages were echoed and
/// how the connection ended. A closed error is the server's Close (or a lost connection); any
/// other read error is a protocol violation the library has already answered with the right
/// close code; a write error means the server closed while we were writing.
fn echo_until_closed(name: &str) -> (usize, String) {
    let mut echoed = 0;
    loop {
        let message = match socket_read(name) {
            Ok(message) => message,
            Err(e) => return (echoed, describe(&e)),
        };
        if let Err(e) = socket_write(name, message) {
            return (echoed, format!("write: {}", describe(&e)));
        }
        echoed += 1;
    }
}

fn describe(error: &Error) -> String {
    if error.is_closed() {
        error.to_string()
    } else {
        format!("failed: {error}")
    }
}
