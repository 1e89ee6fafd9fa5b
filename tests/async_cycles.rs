//! 1,000 asynchronous open/close cycles leave no thread and no file descriptor behind. Alone
//! in its test binary, so that the counts are this test's.

// Measures the process's threads and file descriptors through /proc, which only Linux has.
#![cfg(target_os = "linux")]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::*;
use named_websocket::*;

const CYCLES: usize = 1000;

#[test]
fn open_close_cycles_leave_no_thread_or_descriptor_behind() {
    // Counted before the server starts: its threads and listener end with it, and it is
    // joined before counting again.
    let before = threads_and_descriptors();
    let server = ws_server(CYCLES, echo);
    let url = server.ws_url("/");
    for cycle in 0..CYCLES {
        let name = unique_name("cycle");
        let closed = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&closed);
        websocket_client_connect_async_url(
            &name,
            move |name, event| match event {
                Event::Open { .. } => socket_close(name).unwrap(),
                Event::Close { code, .. } => {
                    assert_eq!(code, 1000);
                    flag.store(true, Ordering::SeqCst);
                }
                other => panic!("cycle {cycle}: unexpected {other:?}"),
            },
            &url,
        )
        .unwrap();
        dispatch_until(|| closed.load(Ordering::SeqCst)).unwrap();
        assert!(!socket_exist(&name));
    }
    for stats in server.join() {
        assert_eq!(stats.unwrap().close_code, Some(1000));
    }
    // socket_close does not wait for an asynchronous socket's worker: it finishes the close
    // handshake and ends by itself, just after the last event.
    let after = settled_threads_and_descriptors(before);
    assert_eq!(after.0, before.0, "threads left behind");
    assert_eq!(after.1, before.1, "descriptors left behind");
}
