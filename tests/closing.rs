//! How an asynchronous socket ends: exactly one final Close, whatever state `socket_close`
//! finds it in (connecting, open, waiting to reconnect, reconnecting, closing), in both
//! styles (callback and polled), and nothing after it.
//!
//! The dispatch queue and the wake hook are process-wide: these tests take turns through
//! `serial()`.

mod common;

use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use named_websocket::*;

/// An event as the tests compare it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Open,
    Text(String),
    /// Code, reason, and whether it is the socket's final Close.
    Close(u16, String, bool),
    /// The error's text, and whether it is a write timeout.
    Error(String, bool),
    Reconnecting(u32),
    Other,
}

impl From<&Event> for Seen {
    fn from(event: &Event) -> Seen {
        match event {
            Event::Open { .. } => Seen::Open,
            Event::Message(Message::Text(text)) => Seen::Text(text.clone()),
            Event::Close {
                code,
                reason,
                ended,
                ..
            } => Seen::Close(*code, reason.clone(), *ended),
            Event::Error(error) => Seen::Error(
                error.to_string(),
                error.timeout_phase() == Some(Timeout::Write),
            ),
            Event::Reconnecting { attempt, .. } => Seen::Reconnecting(*attempt),
            _ => Seen::Other,
        }
    }
}

/// The events of a callback socket, as it saw them, and the socket of each Close.
#[derive(Clone, Default)]
struct Recorder {
    events: Arc<Mutex<Vec<Seen>>>,
    closes_of: Arc<Mutex<Vec<SocketId>>>,
}

impl Recorder {
    fn callback(&self) -> impl FnMut(&str, Event) + Send + 'static {
        let events = Arc::clone(&self.events);
        let closes_of = Arc::clone(&self.closes_of);
        move |_name, event| {
            if let Event::Close { socket, .. } = &event {
                closes_of.lock().unwrap().push(*socket);
            }
            events.lock().unwrap().push(Seen::from(&event));
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.events.lock().unwrap().clone()
    }

    /// Dispatches until `done` holds for what was seen; fails the test after [`HANG_GUARD`].
    fn dispatch_until(&self, what: &str, done: impl Fn(&[Seen]) -> bool) {
        let deadline = Instant::now() + HANG_GUARD;
        while !done(&self.seen()) {
            assert!(
                Instant::now() < deadline,
                "hang guard: waiting for {what}; seen {:?}",
                self.seen()
            );
            dispatch_timeout(Duration::from_millis(50)).unwrap();
        }
    }
}

/// Takes the events of a polled socket until `done` holds for what was taken; fails the test
/// after [`HANG_GUARD`].
fn take_until(
    events: &SocketEvents,
    seen: &mut Vec<Seen>,
    what: &str,
    done: impl Fn(&[Seen]) -> bool,
) {
    let deadline = Instant::now() + HANG_GUARD;
    while !done(seen) {
        match events.next() {
            Some(event) => seen.push(Seen::from(&event)),
            None => {
                assert!(
                    Instant::now() < deadline,
                    "hang guard: waiting for {what}; seen {seen:?}"
                );
                thread::yield_now();
            }
        }
    }
}

fn has_close_after(seen: &[Seen], after: &Seen) -> bool {
    seen.iter()
        .skip_while(|s| *s != after)
        .any(|s| matches!(s, Seen::Close(..)))
}

/// A policy whose first retry comes long after any test has ended: the socket waits.
fn waits_a_minute() -> Reconnect {
    Reconnect::new()
        .min_delay(Duration::from_secs(60))
        .max_delay(Duration::from_secs(60))
}

/// A server whose one connection opens and is then lost without a Close frame; the port then
/// refuses.
fn lost_once() -> Server<Option<()>> {
    ws_server(1, drop)
}

#[test]
fn socket_close_while_a_callback_socket_waits_to_reconnect_ends_with_its_close() {
    let _serial = serial();
    let server = lost_once();
    let name = unique_name("close-waiting-callback");
    let recorder = Recorder::default();
    let options = ConnectOptions::new().reconnect(waits_a_minute());
    websocket_client_connect_async_with(&name, recorder.callback(), &server.ws_url("/"), &options)
        .unwrap();
    recorder.dispatch_until("Reconnecting", |seen| seen.contains(&Seen::Reconnecting(1)));
    server.join();
    socket_close(&name).unwrap();
    recorder.dispatch_until("the final Close", |seen| {
        has_close_after(seen, &Seen::Reconnecting(1))
    });
    dispatch_until_all_closed().unwrap();
    let seen = recorder.seen();
    assert_eq!(
        seen.last(),
        Some(&Seen::Close(
            1000,
            "closed while waiting to reconnect".into(),
            true
        )),
        "{seen:?}"
    );
}

#[test]
fn socket_close_while_a_polled_socket_waits_to_reconnect_ends_with_its_close() {
    let _serial = serial();
    let server = lost_once();
    let name = unique_name("close-waiting-polled");
    let options = ConnectOptions::new().reconnect(waits_a_minute());
    let events = websocket_client_connect_polled(&name, &server.ws_url("/"), &options).unwrap();
    let mut seen = Vec::new();
    take_until(&events, &mut seen, "Reconnecting", |seen| {
        seen.contains(&Seen::Reconnecting(1))
    });
    server.join();
    socket_close_with(&name, 4001, "user logged out").unwrap();
    take_until(&events, &mut seen, "the final Close", |seen| {
        has_close_after(seen, &Seen::Reconnecting(1))
    });
    assert_eq!(
        seen.last(),
        Some(&Seen::Close(4001, "user logged out".into(), true)),
        "the code and reason of socket_close_with: {seen:?}"
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "under Wine, a shutdown from another thread does not wake a connect blocked in a read"
)]
fn socket_close_while_the_upgrade_goes_unanswered_ends_at_once_without_an_error() {
    let _serial = serial();
    let server = silent_server();
    let name = unique_name("close-connecting");
    // Longer than the hang guard: only the close can end this connect in time.
    let options = ConnectOptions::new().connect_timeout(2 * HANG_GUARD);
    let events = websocket_client_connect_polled(&name, &server.ws_url("/"), &options).unwrap();
    let deadline = Instant::now() + HANG_GUARD;
    while server.accepted() == 0 {
        assert!(Instant::now() < deadline, "hang guard: never connected");
        thread::yield_now();
    }
    let closed = Instant::now();
    socket_close(&name).unwrap();
    let mut seen = Vec::new();
    take_until(&events, &mut seen, "the final Close", |seen| {
        seen.iter().any(|s| matches!(s, Seen::Close(..)))
    });
    let waited = closed.elapsed();
    assert_eq!(
        seen,
        [Seen::Close(1000, "closed while connecting".into(), true)],
        "the Close asked for, and no Error"
    );
    assert!(
        waited < Duration::from_secs(5),
        "the final Close took {waited:?}"
    );
}

#[test]
#[cfg_attr(
    windows,
    ignore = "under Wine, a shutdown from another thread does not wake a connect blocked in a read"
)]
fn socket_close_while_a_reconnect_attempt_goes_unanswered_ends_at_once() {
    let _serial = serial();
    let (accepted_tx, accepted_rx) = mpsc::channel();
    let accepted_tx = Mutex::new(accepted_tx);
    let first = AtomicBool::new(true);
    let (gate, release) = gate();
    let server = raw_server(2, move |stream: TcpStream| {
        if first.swap(false, Ordering::SeqCst) {
            // Opens, then lost without a Close frame.
            drop(tungstenite::accept(stream).unwrap());
            return;
        }
        // The reconnect: TCP accepted, the upgrade never answered.
        accepted_tx.lock().unwrap().send(()).unwrap();
        gate.wait();
        drop(stream);
    });
    let name = unique_name("close-reconnecting");
    let recorder = Recorder::default();
    let options = ConnectOptions::new()
        .connect_timeout(2 * HANG_GUARD)
        .reconnect(Reconnect::new().min_delay(Duration::ZERO).jitter(0.0));
    websocket_client_connect_async_with(&name, recorder.callback(), &server.ws_url("/"), &options)
        .unwrap();
    accepted_rx
        .recv_timeout(HANG_GUARD)
        .expect("the reconnect came");
    recorder.dispatch_until("Reconnecting", |seen| seen.contains(&Seen::Reconnecting(1)));
    assert_eq!(socket_state(&name).unwrap(), State::Reconnecting);
    let closed = Instant::now();
    socket_close(&name).unwrap();
    recorder.dispatch_until("the final Close", |seen| {
        has_close_after(seen, &Seen::Reconnecting(1))
    });
    let waited = closed.elapsed();
    dispatch_until_all_closed().unwrap();
    let seen = recorder.seen();
    let after = seen
        .iter()
        .skip_while(|s| **s != Seen::Reconnecting(1))
        .skip(1)
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(
        after,
        [Seen::Close(1000, "closed while connecting".into(), true)],
        "{seen:?}"
    );
    assert!(
        waited < Duration::from_secs(5),
        "the final Close took {waited:?}"
    );
    release.send(()).unwrap();
    server.join();
}

#[test]
fn queued_output_that_stalls_is_a_write_timeout_then_close_1006() {
    let _serial = serial();
    let (gate, release) = gate();
    // Opens, then reads nothing until released.
    let server = ws_server(1, move |ws| {
        gate.wait();
        drop(ws);
    });
    let name = unique_name("stalled-output");
    let recorder = Recorder::default();
    let options = ConnectOptions::new()
        .max_write_buffer_size(Some(4 << 20))
        .write_timeout(Duration::from_millis(300));
    websocket_client_connect_async_with(&name, recorder.callback(), &server.ws_url("/"), &options)
        .unwrap();
    recorder.dispatch_until("Open", |seen| seen.contains(&Seen::Open));
    let chunk = vec![7u8; 1 << 20];
    let mut written = 0;
    while socket_write(&name, chunk.clone()).is_ok() {
        written += 1;
        assert!(written < 1000, "the send queue never filled");
    }
    recorder.dispatch_until("the Close", |seen| {
        seen.iter().any(|s| matches!(s, Seen::Close(..)))
    });
    let seen = recorder.seen();
    match &seen[1..] {
        [Seen::Error(text, is_write_timeout), Seen::Close(1006, _, true)] => {
            assert!(is_write_timeout, "a write timeout, not {text:?}");
        }
        other => panic!("expected Error(Timeout(Write)) then Close 1006: {other:?}"),
    }
    socket_close(&name).unwrap();
    // The server may have stopped waiting already (its gate has a hang guard): the release
    // only ends its wait early.
    let _ = release.send(());
    server.join();
}

#[test]
fn after_socket_close_a_polled_socket_gives_only_its_final_close() {
    let _serial = serial();
    let server = ws_server(1, |mut ws| {
        for text in ["a", "b", "c"] {
            ws.send(tungstenite::Message::text(text)).unwrap();
        }
        while ws.read().is_ok() {}
    });
    let name = unique_name("polled-after-close");
    let events =
        websocket_client_connect_polled(&name, &server.ws_url("/"), &ConnectOptions::new())
            .unwrap();
    let mut seen = Vec::new();
    take_until(&events, &mut seen, "the first message", |seen| {
        seen.contains(&Seen::Text("a".into()))
    });
    // "b" and "c" have been read: they wait in the queue, or are about to.
    let deadline = Instant::now() + HANG_GUARD;
    while socket_info(&name).unwrap().messages_received < 3 {
        assert!(Instant::now() < deadline, "hang guard");
        thread::yield_now();
    }
    socket_close(&name).unwrap();
    let mut after = Vec::new();
    take_until(&events, &mut after, "the final Close", |seen| {
        seen.iter().any(|s| matches!(s, Seen::Close(..)))
    });
    assert_eq!(
        after,
        [Seen::Close(1000, String::new(), true)],
        "as a callback would"
    );
    server.join();
}

#[test]
fn only_the_last_close_of_a_reconnecting_socket_says_it_ended() {
    let _serial = serial();
    // One connection, lost; then the port refuses: two failed attempts, and the socket gives up.
    let server = lost_once();
    let name = unique_name("ended-flag");
    let recorder = Recorder::default();
    let quick = Reconnect::new()
        .min_delay(Duration::ZERO)
        .jitter(0.0)
        .max_attempts(Some(2));
    let options = ConnectOptions::new().reconnect(quick);
    websocket_client_connect_async_with(&name, recorder.callback(), &server.ws_url("/"), &options)
        .unwrap();
    recorder.dispatch_until("the final Close", |seen| {
        seen.iter().any(|s| matches!(s, Seen::Close(_, _, true)))
    });
    dispatch_until_all_closed().unwrap();
    server.join();
    let seen = recorder.seen();
    let closes: Vec<bool> = seen
        .iter()
        .filter_map(|s| match s {
            Seen::Close(1006, _, ended) => Some(*ended),
            _ => None,
        })
        .collect();
    assert_eq!(closes, [false, false, true], "{seen:?}");
    assert!(
        matches!(seen.last(), Some(Seen::Close(1006, _, true))),
        "{seen:?}"
    );
    assert_eq!(
        seen.iter()
            .filter(|s| matches!(s, Seen::Reconnecting(_)))
            .count(),
        2,
        "{seen:?}"
    );
    socket_close(&name).unwrap();
}

#[test]
fn the_final_close_of_a_closed_socket_is_told_apart_from_a_new_socket_of_the_same_name() {
    let _serial = serial();
    let server = ws_server(2, echo);
    let name = unique_name("name-reused");
    let old = Recorder::default();
    websocket_client_connect_async_url(&name, old.callback(), &server.ws_url("/")).unwrap();
    old.dispatch_until("Open", |seen| seen.contains(&Seen::Open));
    let old_id = socket_id(&name).unwrap();
    socket_close(&name).unwrap();
    // The name is free at once: a new socket takes it before the old one's Close is dispatched.
    let new = Recorder::default();
    websocket_client_connect_async_url(&name, new.callback(), &server.ws_url("/")).unwrap();
    let new_id = socket_id(&name).unwrap();
    assert_ne!(old_id, new_id);
    old.dispatch_until("the old socket's final Close", |seen| {
        seen.iter().any(|s| matches!(s, Seen::Close(_, _, true)))
    });
    assert_eq!(*old.closes_of.lock().unwrap(), [old_id]);
    assert_ne!(
        Some(old_id),
        socket_id(&name).ok(),
        "the name now holds another socket"
    );
    new.dispatch_until("the new socket's Open", |seen| seen.contains(&Seen::Open));
    socket_close(&name).unwrap();
    new.dispatch_until("the new socket's final Close", |seen| {
        seen.iter().any(|s| matches!(s, Seen::Close(_, _, true)))
    });
    assert_eq!(*new.closes_of.lock().unwrap(), [new_id]);
    server.join();
}

#[test]
fn a_polled_socket_says_which_socket_it_is() {
    let _serial = serial();
    let server = ws_server(1, echo);
    let name = unique_name("polled-id");
    let events =
        websocket_client_connect_polled(&name, &server.ws_url("/"), &ConnectOptions::new())
            .unwrap();
    assert_eq!(socket_id(&name).unwrap(), events.id());
    // Open first, so that the server's one connection comes.
    take_until(&events, &mut Vec::new(), "Open", |seen| {
        seen.contains(&Seen::Open)
    });
    socket_close(&name).unwrap();
    assert!(matches!(socket_id(&name), Err(Error::NotFound(_))));
    let deadline = Instant::now() + HANG_GUARD;
    let last = loop {
        if let Some(event) = events.next() {
            if event.is_final() {
                break event;
            }
        }
        assert!(Instant::now() < deadline, "hang guard");
        thread::yield_now();
    };
    assert!(matches!(last, Event::Close { socket, .. } if socket == events.id()));
    assert!(events.next().is_none(), "nothing after the final Close");
    server.join();
}

#[test]
fn closed_from_another_thread_during_a_callback_only_that_callback_and_the_final_close_run() {
    let _serial = serial();
    let server = ws_server(1, |mut ws| {
        for text in ["1", "2", "3"] {
            ws.send(tungstenite::Message::text(text)).unwrap();
        }
        while ws.read().is_ok() {}
    });
    let name = unique_name("close-during-callback");
    let recorder = Recorder::default();
    let mut record = recorder.callback();
    let (entered_tx, entered_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    websocket_client_connect_async_url(
        &name,
        move |name, event| {
            let first = event.message().and_then(Message::as_text) == Some("1");
            record(name, event);
            if first {
                // Inside a callback when another thread closes the socket.
                entered_tx.send(()).unwrap();
                release_rx.recv_timeout(HANG_GUARD).unwrap();
            }
        },
        &server.ws_url("/"),
    )
    .unwrap();
    let closer = {
        let name = name.clone();
        thread::spawn(move || {
            entered_rx.recv_timeout(HANG_GUARD).unwrap();
            // "2" and "3" have arrived: they wait behind the running callback.
            let deadline = Instant::now() + HANG_GUARD;
            while socket_info(&name).unwrap().messages_received < 3 {
                assert!(Instant::now() < deadline, "hang guard");
                thread::yield_now();
            }
            socket_close(&name).unwrap();
            release_tx.send(()).unwrap();
        })
    };
    recorder.dispatch_until("the final Close", |seen| {
        seen.iter().any(|s| matches!(s, Seen::Close(_, _, true)))
    });
    closer.join().unwrap();
    assert_eq!(
        recorder.seen(),
        [
            Seen::Open,
            Seen::Text("1".into()),
            Seen::Close(1000, String::new(), true)
        ],
        "the running callback finished; then only the final Close"
    );
    server.join();
}
