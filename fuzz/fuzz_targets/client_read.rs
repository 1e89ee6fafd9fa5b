//! The whole client read side: a loopback server answers the upgrade with the input's extra
//! header lines, sends the input's bytes as frames and closes; the client reads them through
//! the public API, blocking (`Socket::read_timeout`) or asynchronous (`SocketEvents`), with
//! small limits and optional compression.
//!
//! Input: `[mode, limits, n, n bytes of extra header lines, frames...]`.
//! Checks: no panic; no message past `max_message_size`; every read ends (no hang) once the
//! server has closed; an asynchronous socket ends with exactly one Close, and nothing after.

#![no_main]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use named_websocket::{
    socket_close, websocket_client_connect_polled, Compression, ConnectOptions, Event, Socket,
};

const LIMITS: [usize; 4] = [1, 125, 1000, 64 * 1024];
/// Far past anything a loopback exchange of a few KiB takes: reaching it is a hang.
const HANG: Duration = Duration::from_secs(20);

struct Server {
    port: u16,
    jobs: Sender<(Vec<u8>, Vec<u8>)>,
    served: Receiver<Option<TcpStream>>,
}

fn server() -> &'static Mutex<Server> {
    static SERVER: OnceLock<Mutex<Server>> = OnceLock::new();
    SERVER.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (jobs, job_rx) = channel::<(Vec<u8>, Vec<u8>)>();
        let (served_tx, served) = channel();
        thread::spawn(move || {
            for (headers, frames) in job_rx {
                let stream = listener
                    .accept()
                    .ok()
                    .and_then(|(stream, _)| serve(stream, &headers, &frames));
                let _ = served_tx.send(stream);
            }
        });
        Mutex::new(Server { port, jobs, served })
    })
}

/// Answers the upgrade, sends `frames`, and closes the sending side; the caller drops the
/// stream once the client is done.
fn serve(mut stream: TcpStream, headers: &[u8], frames: &[u8]) -> Option<TcpStream> {
    stream.set_read_timeout(Some(HANG)).ok()?;
    let mut request = Vec::new();
    let mut byte = [0u8];
    while !request.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).ok()? == 0 || request.len() > 64 * 1024 {
            return None;
        }
        request.push(byte[0]);
    }
    let request = String::from_utf8_lossy(&request);
    let key = request.lines().find_map(|line| {
        line.strip_prefix("Sec-WebSocket-Key: ")
            .or_else(|| line.strip_prefix("sec-websocket-key: "))
    })?;
    let accept = tungstenite::handshake::derive_accept_key(key.trim().as_bytes());
    let mut answer = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n"
    )
    .into_bytes();
    answer.extend_from_slice(headers);
    answer.extend_from_slice(b"\r\n");
    answer.extend_from_slice(frames);
    // The client may stop reading early (a limit, a protocol error): a failed write is fine.
    let _ = stream.write_all(&answer);
    let _ = stream.shutdown(Shutdown::Write);
    Some(stream)
}

fuzz_target!(|data: &[u8]| {
    let [mode, limits, n, rest @ ..] = data else {
        return;
    };
    let n = usize::from(*n).min(rest.len());
    let (headers, frames) = rest.split_at(n);
    let max_message_size = LIMITS[usize::from(limits & 3)];
    let max_frame_size = LIMITS[usize::from((limits >> 2) & 3)].min(max_message_size);
    // Valid options only: every connect reaches the server, which serves one job each.
    let mut options = ConnectOptions::new()
        .connect_timeout(HANG)
        .close_timeout(Duration::from_secs(2))
        .max_message_size(Some(max_message_size))
        .max_frame_size(Some(max_frame_size));
    if mode & 2 != 0 {
        options = options.compression(Compression::new().server_no_context_takeover(mode & 4 != 0));
    }

    let server = server().lock().unwrap();
    server
        .jobs
        .send((headers.to_vec(), frames.to_vec()))
        .unwrap();
    let url = format!("ws://127.0.0.1:{}/", server.port);
    if mode & 1 == 0 {
        read_blocking(&url, &options, max_message_size);
    } else {
        read_events(&url, &options, max_message_size);
    }
    // The server's side closes once the client is done with it.
    drop(
        server
            .served
            .recv_timeout(HANG)
            .expect("the server served the connection"),
    );
});

fn read_blocking(url: &str, options: &ConnectOptions, limit: usize) {
    let Ok(socket) = Socket::connect_with(url, options) else {
        return;
    };
    let start = Instant::now();
    loop {
        match socket.read_timeout(HANG) {
            Ok(message) => assert!(
                message.len() <= limit,
                "{} bytes past {limit}",
                message.len()
            ),
            Err(error) => {
                assert!(
                    !error.is_timeout(),
                    "a read waited {:?} on a closed connection: {error}",
                    start.elapsed()
                );
                break;
            }
        }
    }
}

fn read_events(url: &str, options: &ConnectOptions, limit: usize) {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = format!("fuzz-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let Ok(events) = websocket_client_connect_polled(&name, url, options) else {
        return;
    };
    let deadline = Instant::now() + HANG;
    loop {
        match events.next() {
            Some(Event::Message(message)) => {
                assert!(
                    message.len() <= limit,
                    "{} bytes past {limit}",
                    message.len()
                );
            }
            Some(Event::Close { .. }) => break,
            Some(_) => {}
            None => {
                assert!(Instant::now() < deadline, "no final Close within {HANG:?}");
                thread::sleep(Duration::from_micros(200));
            }
        }
    }
    let _ = socket_close(&name);
    if let Some(event) = events.next() {
        panic!("{event:?} after the final Close");
    }
}
