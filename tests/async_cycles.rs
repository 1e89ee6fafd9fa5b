//! 1,000 asynchronous open/close cycles leave no thread and no file descriptor behind. Alone
//! in its test binary, so that the counts are this test's.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::*;
use named_websocket::*;

const CYCLES: usize = 1000;

fn count(dir: &str) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}

#[test]
fn open_close_cycles_leave_no_thread_or_descriptor_behind() {
    // Counted before the server starts: its threads and listener end with it, and it is
    // joined before counting again.
    let (threads_before, fds_before) = (count("/proc/self/task"), count("/proc/self/fd"));
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
    assert_eq!(
        count("/proc/self/task"),
        threads_before,
        "threads left behind"
    );
    assert_eq!(
        count("/proc/self/fd"),
        fds_before,
        "descriptors left behind"
    );
}
