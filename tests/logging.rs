//! What the library logs: its lines name the socket, a reconnect is logged once, and no secret
//! appears at any level. The logger is process-wide: these tests share one that records every
//! line, and each looks only at its own sockets' lines.

mod common;

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use common::*;
use named_websocket::*;

/// Every line logged, with its target.
static LINES: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

struct Recorder;

impl log::Log for Recorder {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let line = (record.target().to_owned(), record.args().to_string());
        LINES.lock().unwrap().push(line);
    }

    fn flush(&self) {}
}

fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        log::set_boxed_logger(Box::new(Recorder)).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
    });
}

/// The lines of this crate (not the engine's) that mention `word`.
fn our_lines_with(word: &str) -> Vec<String> {
    LINES
        .lock()
        .unwrap()
        .iter()
        .filter(|(target, line)| target.starts_with("named_websocket") && line.contains(word))
        .map(|(_, line)| line.clone())
        .collect()
}

#[test]
fn lines_name_the_socket_and_no_secret_is_logged_at_any_level() {
    install();
    let server = ws_server(2, echo);
    let url = server
        .ws_url("/feed")
        .replace("ws://", "ws://al:pw-s3cret@");
    let options = ConnectOptions::new()
        .header("Authorization", "Bearer tok-9931")
        .header("X-Api-Key", "key-7755");
    let names = [unique_name("log-alpha"), unique_name("log-beta")];
    for name in &names {
        websocket_client_connect_with(name, &url, &options).unwrap();
        socket_write(name, "hello").unwrap();
        assert_eq!(socket_read(name).unwrap(), Message::from("hello"));
    }
    for name in &names {
        socket_close(name).unwrap();
    }
    server.join();
    for name in &names {
        // Two sockets to one URL: each one's connect, traffic and close carry its own name.
        for word in ["connecting to", "sending", "received", "closed"] {
            let lines = our_lines_with(word);
            assert!(
                lines
                    .iter()
                    .any(|line| line.starts_with(&format!("{name}:"))),
                "no {word:?} line names {name}: {lines:?}"
            );
        }
    }
    let all: Vec<String> = LINES
        .lock()
        .unwrap()
        .iter()
        .map(|(t, l)| format!("{t}: {l}"))
        .collect();
    for line in all
        .iter()
        .filter(|line| line.starts_with("named_websocket"))
    {
        for secret in ["tok-9931", "key-7755", "pw-s3cret"] {
            assert!(!line.contains(secret), "{secret} logged: {line}");
        }
    }
}

#[test]
fn a_reconnect_attempt_is_logged_once() {
    install();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // The first connection is lost at once; the second one echoes.
    let server = std::thread::spawn(move || {
        for round in 0..2 {
            let (stream, _) = listener.accept().unwrap();
            let mut ws = tungstenite::accept(stream).unwrap();
            if round == 0 {
                ws.send(tungstenite::Message::text("first")).unwrap();
                drop(ws);
            } else {
                ws.send(tungstenite::Message::text("second")).unwrap();
                echo(ws);
            }
        }
    });
    let name = unique_name("log-reconnect");
    let options = ConnectOptions::new().reconnect(
        Reconnect::new()
            .min_delay(Duration::from_millis(10))
            .max_delay(Duration::from_millis(10)),
    );
    websocket_client_connect_with(&name, &format!("ws://127.0.0.1:{port}/"), &options).unwrap();
    assert_eq!(socket_read(&name).unwrap(), Message::from("first"));
    assert_eq!(socket_read(&name).unwrap(), Message::from("second"));
    socket_close(&name).unwrap();
    server.join().unwrap();
    let prefix = format!("{name}:");
    let attempts: Vec<String> = our_lines_with(&prefix)
        .into_iter()
        .filter(|line| line[prefix.len()..].to_lowercase().contains("reconnect"))
        .collect();
    assert_eq!(attempts.len(), 1, "{attempts:?}");
}
