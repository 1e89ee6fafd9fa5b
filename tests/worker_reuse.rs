//! Asynchronous sockets opened one after another run on the threads of sockets that ended,
//! rather than each on a new thread, and connect on threads of their own. Alone in their test
//! binary: the access policy, which runs on the thread that connects, and the wake hook are
//! the process's; the tests take turns.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::{self, ThreadId};

use common::*;
use named_websocket::*;

const CYCLES: usize = 40;

/// The access policy and the wake hook are the process's: one test at a time.
static TURN: Mutex<()> = Mutex::new(());

#[test]
fn sockets_opened_one_after_another_reuse_the_threads_of_ended_ones() {
    let _turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let connecting_threads = Threads::default();
    let seen = Arc::clone(&connecting_threads);
    set_access_policy(move |_request| {
        note_current_thread(&seen);
        Ok(())
    });
    // Each socket's final Close is posted by its worker to an empty queue (the callback that
    // closed the socket emptied it), so the wake hook sees every worker.
    let waking_threads = Threads::default();
    let woken = Arc::clone(&waking_threads);
    set_wake_hook(move || note_current_thread(&woken));
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
    clear_wake_hook();
    for stats in server.join() {
        assert_eq!(stats.unwrap().close_code, Some(1000));
    }
    // A thread may still be finishing its job when the next socket starts, so a few threads
    // take turns; one thread per socket would be CYCLES of them.
    let distinct = |threads: &Threads, name: &str| {
        let threads = threads.lock().unwrap();
        let named: HashSet<ThreadId> = threads
            .iter()
            .filter(|(_, thread_name)| thread_name.as_deref() == Some(name))
            .map(|(id, _)| *id)
            .collect();
        named.len()
    };
    let connecting = distinct(&connecting_threads, "named-websocket-connect");
    assert!(
        (1..=CYCLES / 2).contains(&connecting),
        "{connecting} connecting threads for {CYCLES} sockets opened one after another"
    );
    let workers = distinct(&waking_threads, "named-websocket");
    assert!(
        (1..=CYCLES / 2).contains(&workers),
        "{workers} worker threads for {CYCLES} sockets opened one after another"
    );
}

/// The threads some code ran on, with their names.
type Threads = Arc<Mutex<Vec<(ThreadId, Option<String>)>>>;

fn note_current_thread(threads: &Threads) {
    let current = thread::current();
    let name = current.name().map(str::to_owned);
    threads.lock().unwrap().push((current.id(), name));
}

/// A worker's thread stays for as long as its socket lives, and every page of stack it once
/// touched stays with it: the connect and its handshake, which go deepest, run on a connecting
/// thread instead, for the first connect and for every reconnect.
#[test]
fn connects_and_reconnects_run_on_connecting_threads_not_on_the_sockets_worker() {
    let _turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let policy_threads = Threads::default();
    let seen = Arc::clone(&policy_threads);
    set_access_policy(move |_request| {
        note_current_thread(&seen);
        Ok(())
    });
    // The wake hook runs on the thread that posts an event to an empty queue: a message's is
    // the worker's.
    let wake_threads = Threads::default();
    let woken = Arc::clone(&wake_threads);
    set_wake_hook(move || note_current_thread(&woken));
    // The first connection is lost without a Close frame: the socket reconnects.
    let server = lost_then_echo_server();
    let name = unique_name("connecting-thread");
    let messages = Arc::new(Mutex::new(Vec::new()));
    let got = Arc::clone(&messages);
    websocket_client_connect_async_with(
        &name,
        move |name, event| {
            if let Event::Message(message) = event {
                let text = message.as_text().unwrap_or_default().to_owned();
                if text == "second life" {
                    socket_close(name).unwrap();
                }
                got.lock().unwrap().push(text);
            }
        },
        &server.ws_url("/"),
        &ConnectOptions::new().reconnect(quick_reconnect()),
    )
    .unwrap();
    dispatch_until_all_closed().unwrap();
    clear_access_policy();
    clear_wake_hook();
    server.join();
    assert_eq!(*messages.lock().unwrap(), ["first life", "second life"]);

    let connecting = policy_threads.lock().unwrap().clone();
    assert_eq!(
        connecting.len(),
        2,
        "one connect and one reconnect: {connecting:?}"
    );
    for (_, thread_name) in &connecting {
        assert_eq!(thread_name.as_deref(), Some("named-websocket-connect"));
    }
    let workers: Vec<ThreadId> = wake_threads
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, thread_name)| thread_name.as_deref() == Some("named-websocket"))
        .map(|(id, _)| *id)
        .collect();
    assert!(!workers.is_empty(), "no wake-up came from a worker");
}

/// The access policy may close the socket it is asked about, also when it runs for a blocking
/// socket's reconnect on a connecting thread while the socket's worker waits for that connect:
/// `socket_close` then must not wait for the worker, which waits for the policy. (It does not,
/// since a close during a connect never waits; this guards that.)
#[test]
fn socket_close_from_the_access_policy_during_a_reconnect_returns() {
    let _turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let first = AtomicBool::new(true);
    let server = ws_server(1, move |mut ws| {
        assert!(first.swap(false, Ordering::SeqCst));
        // Lost without a Close frame: the socket reconnects.
        ws.send(tungstenite::Message::text("first life")).unwrap();
    });
    let name = unique_name("close-from-policy");
    let (closed, close_returned) = mpsc::channel();
    let asked = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&asked);
    let own_name = name.clone();
    set_access_policy(move |_request| {
        if count.fetch_add(1, Ordering::SeqCst) == 1 {
            // The reconnect: close the socket from here.
            let _ = closed.send(socket_close(&own_name));
        }
        Ok(())
    });
    websocket_client_connect_with(
        &name,
        &server.ws_url("/"),
        &ConnectOptions::new().reconnect(quick_reconnect()),
    )
    .unwrap();
    assert_eq!(socket_read(&name).unwrap().as_text(), Some("first life"));
    let outcome = close_returned.recv_timeout(HANG_GUARD);
    clear_access_policy();
    assert!(
        matches!(outcome, Ok(Ok(()))),
        "socket_close in the policy: {outcome:?}"
    );
    assert!(!socket_exist(&name));
    assert_eq!(asked.load(Ordering::SeqCst), 2);
    server.join();
}
