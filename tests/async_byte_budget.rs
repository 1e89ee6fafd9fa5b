//! Bounded memory in bytes, not only in events: large messages stop the worker's reading once
//! their bytes fill the socket's budget. Alone in its test binary, so that the process's
//! memory is this test's.

// Measures the process's resident memory through /proc, which only Linux has.
#![cfg(target_os = "linux")]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use named_websocket::*;

const MESSAGES: usize = 300;
const SIZE: usize = 1 << 20;

fn rss_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn large_messages_stop_the_reading_at_the_byte_budget_and_none_is_lost() {
    // The server sends 300 MiB, until a write has waited a second: the client stopped reading.
    let server = ws_server(1, |mut ws| {
        ws.get_ref()
            .set_write_timeout(Some(Duration::from_secs(1)))
            .unwrap();
        let mut sent = 0;
        for i in 0..MESSAGES {
            let mut payload = format!("{i:08}").into_bytes();
            payload.resize(SIZE, b'.');
            if ws
                .send(tungstenite::Message::Binary(payload.into()))
                .is_err()
            {
                break;
            }
            sent += 1;
        }
        sent
    });
    let rss_before = rss_kib();
    let name = unique_name("byte-budget");
    let received = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&received);
    // Default limits: 1024 events would let 1 GiB wait; the 16 MiB budget stops it first.
    websocket_client_connect_async_url(
        &name,
        move |_, event| {
            if let Event::Message(message) = event {
                let i = counter.fetch_add(1, Ordering::SeqCst);
                assert_eq!(&message.as_bytes()[..8], format!("{i:08}").as_bytes());
                assert_eq!(message.len(), SIZE);
            }
        },
        &server.ws_url("/"),
    )
    .unwrap();

    // Nobody pumps until the server gave up: it could not send everything.
    let sent = server.join().remove(0).unwrap();
    assert!(
        sent < MESSAGES / 2,
        "the server sent {sent} MiB: nothing held it back"
    );
    assert!(pending_events() <= 18, "{} events wait", pending_events());

    dispatch_until(|| false).unwrap(); // until the socket's last event
    assert_eq!(
        received.load(Ordering::SeqCst),
        sent,
        "every message sent arrived"
    );
    let grown_mib = rss_kib().saturating_sub(rss_before) / 1024;
    assert!(grown_mib < 120, "RSS grew by {grown_mib} MiB");
    socket_close(&name).unwrap();
}
