//! Asynchronous sockets opened one after another run on the threads of sockets that ended,
//! rather than each on a new thread. Alone in its test binary: the access policy, which runs on
//! the thread that connects, is the process's.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};

use common::*;
use named_websocket::*;

const CYCLES: usize = 40;

#[test]
fn sockets_opened_one_after_another_reuse_the_threads_of_ended_ones() {
    let connecting_threads: Arc<Mutex<HashSet<ThreadId>>> = Arc::default();
    let seen = Arc::clone(&connecting_threads);
    set_access_policy(move |_request| {
        seen.lock().unwrap().insert(thread::current().id());
        Ok(())
    });
    let server = ws_server(CYCLES, echo);
    let url = server.ws_url("/");
    for cycle in 0..CYCLES {
        let name = unique_name("reuse");
        let closed = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&closed);
        websocket_client_connect_async_url(
            &name,
            move |name, event| match event {
                Event::Open { .. } => socket_close(name).unwrap(),
                Event::Close { .. } => flag.store(true, Ordering::SeqCst),
                other => panic!("cycle {cycle}: unexpected {other:?}"),
            },
            &url,
        )
        .unwrap();
        dispatch_until(|| closed.load(Ordering::SeqCst)).unwrap();
    }
    clear_access_policy();
    for stats in server.join() {
        assert_eq!(stats.unwrap().close_code, Some(1000));
    }
    // A worker may still be finishing its close when the next socket starts, so a few
    // threads take turns; one thread per socket would be CYCLES of them.
    let threads = connecting_threads.lock().unwrap().len();
    assert!(
        threads <= CYCLES / 2,
        "{threads} threads for {CYCLES} sockets opened one after another"
    );
}
