//! Bounded memory when the application does not pump: the worker stops reading, TCP flow
//! control slows the server, and no event is lost. Alone in its test binary, so that the
//! process's memory is this test's.

// Measures the process's resident memory through /proc, which only Linux has.
#![cfg(target_os = "linux")]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use named_websocket::*;

const MESSAGES: usize = 100_000;
const SIZE: usize = 1000;
const LIMIT: usize = 256;

fn rss_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_late_pump_gets_every_message_in_order_with_bounded_memory() {
    let sent = Arc::new(AtomicUsize::new(0));
    let progress = Arc::clone(&sent);
    let server = ws_server(1, move |mut ws| {
        for i in 0..MESSAGES {
            let mut payload = format!("{i:08}").into_bytes();
            payload.resize(SIZE, b'.');
            ws.send(tungstenite::Message::Binary(payload.into()))
                .unwrap();
            progress.store(i + 1, Ordering::SeqCst);
        }
        echo(ws)
    });
    let rss_before = rss_kib();
    let name = unique_name("backpressure");
    let received = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&received);
    let options = ConnectOptions::new().event_queue_limit(LIMIT);
    websocket_client_connect_async_with(
        &name,
        move |name, event| {
            if let Event::Message(message) = event {
                let i = counter.fetch_add(1, Ordering::SeqCst);
                assert_eq!(&message.as_bytes()[..8], format!("{i:08}").as_bytes());
                if i + 1 == MESSAGES {
                    socket_close(name).unwrap();
                }
            }
        },
        &server.ws_url("/"),
        &options,
    )
    .unwrap();

    // Nobody pumps yet: the queue fills up to the limit (plus the Open event) and stays there.
    let deadline = Instant::now() + Duration::from_secs(20);
    while pending_events() < LIMIT {
        assert!(
            Instant::now() < deadline,
            "hang guard: the queue never filled"
        );
        thread::yield_now();
    }
    assert!(pending_events() <= LIMIT + 1);
    let stalled_at = sent.load(Ordering::SeqCst);
    assert!(
        stalled_at < MESSAGES,
        "the server could send everything: nothing held it back"
    );

    dispatch_until(|| false).unwrap(); // until the socket's last event
    assert_eq!(received.load(Ordering::SeqCst), MESSAGES);
    let grown_mib = rss_kib().saturating_sub(rss_before) / 1024;
    // 100,000 messages of 1 kB would be ~100 MB if the queue were unbounded.
    assert!(grown_mib < 48, "RSS grew by {grown_mib} MiB");
    server.join();
}
