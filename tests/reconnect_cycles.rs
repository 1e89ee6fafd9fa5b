//! 100 reconnect cycles leave no thread and no file descriptor behind. Alone in its test
//! binary, so that the counts are this test's.

// Measures the process's threads and file descriptors through /proc, which only Linux has.
#![cfg(target_os = "linux")]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use named_websocket::*;

const CYCLES: usize = 100;

#[test]
fn reconnect_cycles_leave_no_thread_or_descriptor_behind() {
    let before = threads_and_descriptors();
    // Every connection but the last is lost at once, without a Close frame.
    let served = Arc::new(AtomicUsize::new(0));
    let server = ws_server(CYCLES + 1, move |ws| {
        if served.fetch_add(1, Ordering::SeqCst) == CYCLES {
            echo(ws);
        }
    });
    let name = unique_name("cycles");
    let opened = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&opened);
    let policy = Reconnect::new()
        .min_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(1))
        .jitter(0.0);
    let options = ConnectOptions::new().reconnect(policy);
    websocket_client_connect_async_with(
        &name,
        move |name, event| {
            if let Event::Open { .. } = event {
                if counter.fetch_add(1, Ordering::SeqCst) == CYCLES {
                    socket_close(name).unwrap();
                }
            }
        },
        &server.ws_url("/"),
        &options,
    )
    .unwrap();
    dispatch_until_all_closed().unwrap();
    assert_eq!(opened.load(Ordering::SeqCst), CYCLES + 1);
    assert_eq!(server.join().len(), CYCLES + 1);
    // socket_close does not wait for an asynchronous socket's worker: it finishes the close
    // handshake and ends by itself, just after the last event.
    let after = settled_threads_and_descriptors(before);
    assert_eq!(after.0, before.0, "threads left behind");
    assert_eq!(after.1, before.1, "descriptors left behind");
}
