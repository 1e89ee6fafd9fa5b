//! The asynchronous mode: a worker per socket, callbacks on the dispatching thread.
//!
//! The dispatch queue is process-wide and one thread dispatches at a time (as the main thread
//! does in WLanguage), so these tests take turns through `serial()`.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use common::*;
use named_websocket::*;
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::frame::Frame;

/// A short, comparable record of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Open(Option<String>),
    Text(String),
    Binary(Vec<u8>),
    Close(u16, String),
    Error(String),
    Other,
}

impl From<&Event> for Seen {
    fn from(event: &Event) -> Seen {
        match event {
            Event::Open { protocol } => Seen::Open(protocol.clone()),
            Event::Message(Message::Text(text)) => Seen::Text(text.clone()),
            Event::Message(Message::Binary(bytes)) => Seen::Binary(bytes.clone()),
            Event::Close { code, reason, .. } => Seen::Close(*code, reason.clone()),
            Event::Error(error) => Seen::Error(error.to_string()),
            _ => Seen::Other,
        }
    }
}

/// Records every event of a socket and the thread it ran on; `closed` turns true at Close.
#[derive(Clone, Default)]
struct Recorder {
    events: Arc<Mutex<Vec<(ThreadId, Seen)>>>,
    closed: Arc<AtomicBool>,
}

impl Recorder {
    fn record(&self, event: &Event) {
        let seen = Seen::from(event);
        if matches!(seen, Seen::Close(..)) {
            self.closed.store(true, Ordering::SeqCst);
        }
        self.events
            .lock()
            .unwrap()
            .push((thread::current().id(), seen));
    }

    fn seen(&self) -> Vec<Seen> {
        let events = self.events.lock().unwrap();
        events.iter().map(|(_, seen)| seen.clone()).collect()
    }

    fn threads(&self) -> Vec<ThreadId> {
        let events = self.events.lock().unwrap();
        events.iter().map(|(thread, _)| *thread).collect()
    }

    fn wait_closed(&self) {
        let closed = Arc::clone(&self.closed);
        let (guard_tx, guard_rx) = mpsc::channel::<()>();
        // Hang guard: a watchdog that fails the test if Close never comes.
        let watchdog = thread::spawn(move || guard_rx.recv_timeout(HANG_GUARD).is_ok());
        dispatch_until(|| closed.load(Ordering::SeqCst)).unwrap();
        guard_tx.send(()).unwrap();
        assert!(watchdog.join().unwrap(), "Close did not come in time");
    }
}

#[test]
fn events_come_in_order_on_the_dispatching_thread_and_callbacks_may_write_and_close() {
    let _serial = serial();
    let server = ws_server_with(1, echo_first_offered_protocol(), echo);
    let name = unique_name("async-echo");
    let recorder = Recorder::default();
    let record = recorder.clone();
    let received = Arc::new(AtomicUsize::new(0));
    websocket_client_connect_async(
        &name,
        move |name, event| {
            record.record(&event);
            match event {
                Event::Open { .. } => {
                    socket_write(name, "un").unwrap();
                    socket_write(name, vec![2u8]).unwrap();
                    socket_write(name, "trois").unwrap();
                }
                Event::Message(_) => {
                    let count = received.fetch_add(1, Ordering::SeqCst) + 1;
                    if count == 3 {
                        // Closing its own socket from its callback: no deadlock.
                        socket_close(name).unwrap();
                    }
                }
                _ => {}
            }
        },
        "127.0.0.1",
        server.port(),
        "/",
        "chat",
    )
    .unwrap();
    assert!(socket_exist(&name), "the name is taken at once");
    recorder.wait_closed();
    assert_eq!(
        recorder.seen(),
        [
            Seen::Open(Some("chat".into())),
            Seen::Text("un".into()),
            Seen::Binary(vec![2]),
            Seen::Text("trois".into()),
            Seen::Close(1000, String::new()),
        ]
    );
    let me = thread::current().id();
    assert!(recorder.threads().iter().all(|thread| *thread == me));
    assert!(!socket_exist(&name));
    let stats = server.join().remove(0).unwrap();
    assert_eq!((stats.messages, stats.close_code), (3, Some(1000)));
}

#[test]
fn a_callback_may_open_another_asynchronous_socket() {
    let _serial = serial();
    let server = ws_server(2, echo);
    let url = server.ws_url("/");
    let first = unique_name("async-first");
    let second = unique_name("async-second");
    let recorder = Recorder::default();
    let record = recorder.clone();
    let (second_name, second_url) = (second.clone(), url.clone());
    websocket_client_connect_async_url(
        &first,
        move |name, event| {
            if let Event::Open { .. } = event {
                let record = record.clone();
                websocket_client_connect_async_url(
                    &second_name,
                    move |name, event| {
                        record.record(&event);
                        match event {
                            Event::Open { .. } => socket_write(name, "from the second").unwrap(),
                            Event::Message(_) => socket_close(name).unwrap(),
                            _ => {}
                        }
                    },
                    &second_url,
                )
                .unwrap();
                socket_close(name).unwrap();
            }
        },
        &url,
    )
    .unwrap();
    recorder.wait_closed();
    assert_eq!(
        recorder.seen(),
        [
            Seen::Open(None),
            Seen::Text("from the second".into()),
            Seen::Close(1000, String::new()),
        ]
    );
    assert!(!socket_exist(&first) && !socket_exist(&second));
    dispatch_until(|| false).unwrap(); // drains the first socket's Close
    server.join();
}

#[test]
fn failed_connects_give_error_then_close_1006_and_keep_the_name() {
    let _serial = serial();
    let not_found = http_response_server(1, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    let fixture = tls_fixture();
    let untrusted = tls_ws_server(&fixture, 1, echo);
    let cases = [
        (format!("ws://127.0.0.1:{}/", closed_port()), "refused"),
        ("ws://no-such-host.invalid/".to_owned(), "resolve"),
        (not_found.ws_url("/"), "404"),
        (untrusted.wss_url("/"), "TLS"),
    ];
    for (url, expected) in cases {
        let name = unique_name("async-fail");
        let recorder = Recorder::default();
        let record = recorder.clone();
        websocket_client_connect_async_url(&name, move |_, event| record.record(&event), &url)
            .unwrap();
        recorder.wait_closed();
        let seen = recorder.seen();
        assert_eq!(seen.len(), 2, "{seen:?}");
        let Seen::Error(message) = &seen[0] else {
            panic!("{url}: expected an error first, got {seen:?}")
        };
        assert!(message.contains(expected), "{url}: {message}");
        assert!(matches!(&seen[1], Seen::Close(1006, _)), "{seen:?}");
        // As in WLanguage, the name stays until socket_close.
        assert!(socket_exist(&name));
        assert_eq!(socket_state(&name).unwrap(), State::Closed);
        assert!(socket_write(&name, "x").unwrap_err().is_closed());
        socket_close(&name).unwrap();
        assert!(!socket_exist(&name));
    }
    not_found.join();
    untrusted.join();
}

#[test]
fn reading_an_asynchronous_socket_says_its_messages_go_to_the_callback() {
    let _serial = serial();
    let server = ws_server(1, echo);
    let name = unique_name("async-read");
    let recorder = Recorder::default();
    let record = recorder.clone();
    websocket_client_connect_async_url(&name, move |_, e| record.record(&e), &server.ws_url("/"))
        .unwrap();
    dispatch_until(|| !recorder.seen().is_empty()).unwrap();
    assert_eq!(recorder.seen(), [Seen::Open(None)]);
    for error in [
        socket_read(&name).unwrap_err(),
        socket_try_read(&name).unwrap_err(),
        socket_read_timeout(&name, Duration::from_millis(1)).unwrap_err(),
        socket_handle(&name).unwrap_err(),
    ] {
        assert!(matches!(error, Error::WrongMode(_)), "{error:?}");
        assert!(error.to_string().contains("callback"), "{error}");
    }
    socket_close(&name).unwrap();
    recorder.wait_closed();
    server.join();
}

#[test]
fn the_servers_messages_and_close_arrive_in_order() {
    let _serial = serial();
    let server = ws_server(1, |mut ws| {
        let messages = (0..50).map(|i| tungstenite::Message::text(format!("m{i}")));
        send_all_then_close(&mut ws, messages, Some((4000, "bye")));
    });
    let name = unique_name("async-server-close");
    let recorder = Recorder::default();
    let record = recorder.clone();
    websocket_client_connect_async_url(&name, move |_, e| record.record(&e), &server.ws_url("/"))
        .unwrap();
    recorder.wait_closed();
    let mut expected = vec![Seen::Open(None)];
    expected.extend((0..50).map(|i| Seen::Text(format!("m{i}"))));
    expected.push(Seen::Close(4000, "bye".into()));
    assert_eq!(recorder.seen(), expected);
    assert_eq!(socket_state(&name).unwrap(), State::Closed);
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn a_burst_of_exactly_64_or_128_messages_is_delivered_without_waiting_for_more() {
    // The worker reads ahead 64 messages per engine lock and gathers more while reads come back
    // full. A burst that ends on that boundary must be handed over at once: here the server
    // sends nothing more until the application has answered it.
    let _serial = serial();
    let rounds = [64usize, 128, 192, 1];
    let server = ws_server(1, move |mut ws| {
        let mut answers = Vec::new();
        for (round, count) in rounds.iter().enumerate() {
            for i in 0..*count {
                ws.write(tungstenite::Message::text(format!("r{round} m{i}")))
                    .unwrap();
            }
            ws.flush().unwrap();
            answers.push(ws.read().unwrap().into_text().unwrap().to_string());
        }
        ws.close(None).unwrap();
        while ws.read().is_ok() {}
        answers
    });
    let name = unique_name("async-burst");
    let recorder = Recorder::default();
    let record = recorder.clone();
    let received = Arc::new(AtomicUsize::new(0));
    let totals: Vec<usize> = rounds
        .iter()
        .scan(0, |sum, count| {
            *sum += count;
            Some(*sum)
        })
        .collect();
    websocket_client_connect_async_url(
        &name,
        move |name, event| {
            if let Event::Message(_) = event {
                let count = received.fetch_add(1, Ordering::SeqCst) + 1;
                if totals.contains(&count) {
                    socket_write(name, format!("got {count}")).unwrap();
                }
            }
            record.record(&event);
        },
        &server.ws_url("/"),
    )
    .unwrap();
    recorder.wait_closed();
    let seen = recorder.seen();
    let mut expected = vec![Seen::Open(None)];
    for (round, count) in rounds.iter().enumerate() {
        expected.extend((0..*count).map(|i| Seen::Text(format!("r{round} m{i}"))));
    }
    // The server closed without a code.
    expected.push(Seen::Close(1005, String::new()));
    assert_eq!(seen, expected);
    socket_close(&name).unwrap();
    let answers = server.join().remove(0).unwrap();
    assert_eq!(answers, ["got 64", "got 192", "got 384", "got 385"]);
}

#[test]
fn a_protocol_violation_gives_error_then_close_with_its_code() {
    let _serial = serial();
    let server = ws_server(1, |mut ws| {
        let bad = Frame::message(vec![0xffu8], OpCode::Data(Data::Text), true);
        ws.send(tungstenite::Message::Frame(bad)).unwrap();
        echo(ws)
    });
    let name = unique_name("async-utf8");
    let recorder = Recorder::default();
    let record = recorder.clone();
    websocket_client_connect_async_url(&name, move |_, e| record.record(&e), &server.ws_url("/"))
        .unwrap();
    recorder.wait_closed();
    let seen = recorder.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(
        matches!(&seen[1], Seen::Error(m) if m.contains("UTF-8")),
        "{seen:?}"
    );
    assert!(matches!(&seen[2], Seen::Close(1007, _)), "{seen:?}");
    socket_close(&name).unwrap();
    assert_eq!(server.join().remove(0).unwrap().close_code, Some(1007));
}

#[test]
fn the_wake_hook_runs_on_a_worker_when_the_queue_fills() {
    let _serial = serial();
    let server = ws_server(1, echo);
    let (woken_tx, woken_rx) = mpsc::channel();
    let woken_tx = Mutex::new(woken_tx);
    set_wake_hook(move || {
        let _ = woken_tx.lock().unwrap().send(thread::current().id());
    });
    let name = unique_name("async-wake");
    let recorder = Recorder::default();
    let record = recorder.clone();
    websocket_client_connect_async_url(&name, move |_, e| record.record(&e), &server.ws_url("/"))
        .unwrap();
    // A GUI loop would be woken here; then it dispatches on its own thread. The hook is
    // process-wide: a wake-up owed to someone else (a polled socket, a late background
    // wake-up) finds nothing queued and is skipped.
    let hook_thread = loop {
        let thread = woken_rx.recv_timeout(HANG_GUARD).unwrap();
        if pending_events() > 0 {
            break thread;
        }
    };
    assert_ne!(hook_thread, thread::current().id());
    assert!(dispatch_pending().unwrap() >= 1);
    assert_eq!(recorder.seen()[0], Seen::Open(None));
    clear_wake_hook();
    socket_close(&name).unwrap();
    recorder.wait_closed();
    server.join();
}

#[test]
fn dispatching_from_a_callback_or_a_second_thread_is_refused() {
    let _serial = serial();
    let server = ws_server(1, echo);
    let name = unique_name("async-reenter");
    let results = Arc::new(Mutex::new(Vec::new()));
    let recorder = Recorder::default();
    let (record, results_in) = (recorder.clone(), Arc::clone(&results));
    websocket_client_connect_async_url(
        &name,
        move |name, event| {
            record.record(&event);
            if let Event::Open { .. } = event {
                let inside = dispatch_pending().unwrap_err();
                let other = thread::spawn(|| dispatch_pending().unwrap_err())
                    .join()
                    .unwrap();
                results_in.lock().unwrap().extend([inside, other]);
                socket_close(name).unwrap();
            }
        },
        &server.ws_url("/"),
    )
    .unwrap();
    recorder.wait_closed();
    let results = results.lock().unwrap();
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|e| matches!(e, Error::WrongMode(_))));
    assert!(results[0].to_string().contains("inside a callback"));
    assert!(results[1].to_string().contains("another thread"));
    server.join();
}

#[test]
fn dispatch_timeout_returns_zero_when_nothing_comes() {
    let _serial = serial();
    assert_eq!(dispatch_timeout(Duration::from_millis(20)).unwrap(), 0);
}

#[test]
fn bad_arguments_are_refused_before_the_worker_starts() {
    let _serial = serial();
    let noop = |_: &str, _: Event| {};
    let result = websocket_client_connect_async("", noop, "127.0.0.1", 1, "/", "");
    assert!(matches!(result, Err(Error::InvalidArgument(_))));
    let result = websocket_client_connect_async_ssl("x", noop, "", 1, "/", "");
    assert!(matches!(result, Err(Error::InvalidArgument(_))));
    let result = websocket_client_connect_async_url("x", noop, "http://127.0.0.1/");
    assert!(matches!(result, Err(Error::InvalidArgument(_))));
    let options = ConnectOptions::new().event_queue_limit(0);
    let result = websocket_client_connect_async_with("x", noop, "ws://127.0.0.1:1/", &options);
    assert!(matches!(result, Err(Error::InvalidArgument(_))));
    assert!(!socket_exist("x"));

    let server = ws_server(1, echo);
    let name = unique_name("async-in-use");
    websocket_client_connect_url(&name, &server.ws_url("/")).unwrap();
    let result = websocket_client_connect_async_url(&name, noop, &server.ws_url("/"));
    assert!(matches!(result, Err(Error::NameInUse(_))));
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn replies_to_messages_before_a_violation_go_out_before_the_close() {
    let _serial = serial();
    let server = ws_server(1, answer_then_violate);
    let name = unique_name("async-violation");
    let recorder = Recorder::default();
    let record = recorder.clone();
    websocket_client_connect_async_url(
        &name,
        move |name, event| {
            record.record(&event);
            if let Event::Message(message) = event {
                // As a blocking client would, the application answers before it learns of
                // the violation; the answer must not be cut off.
                socket_write(name, message.into_text().unwrap() + ": answered").unwrap();
            }
        },
        &server.ws_url("/"),
    )
    .unwrap();
    recorder.wait_closed();
    let seen = recorder.seen();
    assert_eq!(seen[1], Seen::Text("answer me".into()));
    assert!(matches!(&seen[2], Seen::Error(_)), "{seen:?}");
    assert!(matches!(&seen[3], Seen::Close(1002, _)), "{seen:?}");
    socket_close(&name).unwrap();
    assert_eq!(
        server.join().remove(0).unwrap(),
        ["answer me: answered", "close 1002"]
    );
}

#[test]
fn a_loop_that_dispatches_only_when_woken_never_stalls() {
    let _serial = serial();
    const MESSAGES: usize = 300;
    let server = ws_server(1, |mut ws| {
        // One message at once; the rest while the client is inside its Open callback.
        ws.send(tungstenite::Message::text("first")).unwrap();
        assert_eq!(ws.read().unwrap().into_text().unwrap(), "go");
        for i in 0..MESSAGES {
            ws.send(tungstenite::Message::text(format!("{i}"))).unwrap();
        }
        echo(ws)
    });
    let (wake_tx, wake_rx) = mpsc::channel::<()>();
    let wake_tx = Mutex::new(wake_tx);
    set_wake_hook(move || {
        let _ = wake_tx.lock().unwrap().send(());
    });
    let name = unique_name("async-woken");
    let received = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&received);
    websocket_client_connect_async_url(
        &name,
        move |name, event| match event {
            Event::Open { .. } => {
                // Hold this dispatch until every message has been queued behind "first": they
                // arrive while the queue is not empty, so posting them wakes nobody.
                socket_write(name, "go").unwrap();
                let deadline = std::time::Instant::now() + HANG_GUARD;
                while pending_events() < MESSAGES + 1 {
                    assert!(std::time::Instant::now() < deadline, "hang guard");
                    thread::yield_now();
                }
            }
            Event::Message(_) => {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            _ => {}
        },
        &server.ws_url("/"),
    )
    .unwrap();
    // The first dispatch must start with Open and "first" queued.
    let deadline = std::time::Instant::now() + HANG_GUARD;
    while pending_events() < 2 {
        assert!(std::time::Instant::now() < deadline, "hang guard");
        thread::yield_now();
    }
    // A host loop: sleeps until woken, then dispatches what is there.
    while received.load(Ordering::SeqCst) < MESSAGES + 1 {
        wake_rx
            .recv_timeout(HANG_GUARD)
            .expect("the loop was not woken although events were waiting");
        dispatch_pending().unwrap();
    }
    clear_wake_hook();
    socket_close(&name).unwrap();
    dispatch_until(|| false).unwrap();
    server.join();
}

#[test]
fn a_callback_whose_destructor_calls_the_library_does_not_deadlock_socket_close() {
    let _serial = serial();
    /// Calls into the library when the callback that owns it is dropped.
    struct CallsOnDrop(mpsc::Sender<bool>);
    impl Drop for CallsOnDrop {
        fn drop(&mut self) {
            let _ = self.0.send(socket_exist("anything"));
        }
    }
    let (dropped_tx, dropped_rx) = mpsc::channel();
    let guard = CallsOnDrop(dropped_tx);
    let name = unique_name("drop-calls-back");
    let url = format!("ws://127.0.0.1:{}/", closed_port());
    websocket_client_connect_async_url(
        &name,
        move |_, _| {
            let _keep = &guard;
        },
        &url,
    )
    .unwrap();
    dispatch_until(|| false).unwrap(); // Error, Close: the worker has ended
    let closer = {
        let name = name.clone();
        thread::spawn(move || socket_close(&name))
    };
    // The callback is dropped with the socket's last handle, inside socket_close.
    assert!(!dropped_rx
        .recv_timeout(HANG_GUARD)
        .expect("socket_close hung"));
    closer.join().unwrap().unwrap();
}

#[test]
fn a_socket_closed_right_after_its_connect_call_still_ends_with_close() {
    let _serial = serial();
    // The connect may not even have started when the close comes, so the server serves any
    // number of connections and is not joined.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || tungstenite::accept(stream).ok().map(echo));
        }
    });
    for _ in 0..20 {
        let name = unique_name("close-at-once");
        let recorder = Recorder::default();
        let record = recorder.clone();
        websocket_client_connect_async_url(&name, move |_, e| record.record(&e), &url).unwrap();
        socket_close(&name).unwrap();
        assert!(!socket_exist(&name));
        dispatch_until(|| false).unwrap(); // until the socket's last event
        let seen = recorder.seen();
        assert!(
            matches!(seen.last(), Some(Seen::Close(1000, _))),
            "{seen:?}"
        );
    }
}

/// Every event of a [`hello_then_close`] connection came, once each.
fn assert_hello_then_bye(recorder: &Recorder) {
    assert_eq!(
        recorder.seen(),
        [
            Seen::Open(None),
            Seen::Text("hello".into()),
            Seen::Close(1000, "bye".into())
        ]
    );
}

/// A server that says "hello", closes with 1000 and waits for the client's answer.
fn hello_then_close(mut ws: tungstenite::WebSocket<std::net::TcpStream>) {
    ws.send(tungstenite::Message::text("hello")).unwrap();
    let _ = ws.close(Some(tungstenite::protocol::CloseFrame {
        code: tungstenite::protocol::frame::coding::CloseCode::Normal,
        reason: "bye".into(),
    }));
    while ws.read().is_ok() {}
}

#[test]
fn a_wake_hook_that_panics_on_the_worker_costs_no_event_and_no_abort() {
    let _serial = serial();
    set_wake_hook(|| panic!("the application's hook fails"));
    let server = ws_server(1, hello_then_close);
    let name = unique_name("async-hook-panics");
    let recorder = Recorder::default();
    let record = recorder.clone();
    websocket_client_connect_async_url(
        &name,
        move |_, event| record.record(&event),
        &server.ws_url("/"),
    )
    .unwrap();
    // A dispatcher that waits: every event still comes, exactly once.
    recorder.wait_closed();
    clear_wake_hook();
    assert_hello_then_bye(&recorder);
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn a_callback_panic_then_a_hook_panic_on_the_dispatching_thread_do_not_abort() {
    let _serial = serial();
    let (panicked_tx, panicked_rx) = mpsc::channel::<()>();
    let panicked_tx = Mutex::new(panicked_tx);
    let server = ws_server(1, hello_then_close);
    let name = unique_name("async-callback-and-hook-panic");
    let recorder = Recorder::default();
    let record = recorder.clone();
    websocket_client_connect_async_url(
        &name,
        move |_, event| {
            let is_message = matches!(event, Event::Message(_));
            record.record(&event);
            if is_message {
                let _ = panicked_tx.lock().unwrap().send(());
                panic!("the application's callback fails");
            }
        },
        &server.ws_url("/"),
    )
    .unwrap();
    // Hook set now: the dispatcher calls it as it returns with events left, while the
    // callback's panic unwinds. It must not run then (a second panic would abort).
    set_wake_hook(|| panic!("the application's hook fails"));
    let mut caught = 0;
    while panicked_rx.try_recv().is_err() {
        let result = std::panic::catch_unwind(|| dispatch_timeout(HANG_GUARD));
        caught += usize::from(result.is_err());
    }
    assert_eq!(
        caught, 1,
        "the callback's panic reaches the dispatcher's caller"
    );
    recorder.wait_closed();
    clear_wake_hook();
    assert_hello_then_bye(&recorder);
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn a_socket_whose_hook_panicked_while_nobody_dispatched_still_ends_with_close() {
    let _serial = serial();
    set_wake_hook(|| panic!("the application's hook fails"));
    let server = ws_server(1, hello_then_close);
    let name = unique_name("async-hook-panics-undispatched");
    let recorder = Recorder::default();
    let record = recorder.clone();
    websocket_client_connect_async_url(
        &name,
        move |_, event| record.record(&event),
        &server.ws_url("/"),
    )
    .unwrap();
    // Nobody dispatches until the connection is over on the server's side.
    let result = server.join();
    assert_eq!(result.len(), 1);
    recorder.wait_closed();
    clear_wake_hook();
    assert_hello_then_bye(&recorder);
    socket_close(&name).unwrap();
}

#[test]
fn a_protocol_violation_is_reported_at_once_even_when_the_peer_never_answers_the_close() {
    let _serial = serial();
    let (gate, release_tx) = gate();
    let server = ws_server(1, move |mut ws| {
        // A frame with a reserved bit set, then silence: our Close is never answered.
        let mut bad = Frame::message("bad", OpCode::Data(Data::Text), true);
        bad.header_mut().rsv2 = true;
        ws.send(tungstenite::Message::Frame(bad)).unwrap();
        gate.wait();
    });
    let name = unique_name("async-violation-now");
    let recorder = Recorder::default();
    let record = recorder.clone();
    // A close timeout far past the hang guard: the Error must not wait for it.
    let options = ConnectOptions::new().close_timeout(Duration::from_secs(600));
    websocket_client_connect_async_with(
        &name,
        move |_, event| record.record(&event),
        &server.ws_url("/"),
        &options,
    )
    .unwrap();
    let errored = {
        let recorder = recorder.clone();
        move || {
            recorder
                .seen()
                .iter()
                .any(|seen| matches!(seen, Seen::Error(_)))
        }
    };
    let (guard_tx, guard_rx) = mpsc::channel::<()>();
    let watchdog = thread::spawn(move || guard_rx.recv_timeout(HANG_GUARD).is_ok());
    dispatch_until(errored).unwrap();
    guard_tx.send(()).unwrap();
    assert!(
        watchdog.join().unwrap(),
        "the Error waited for the close handshake"
    );
    assert!(
        !recorder.closed.load(Ordering::SeqCst),
        "Close comes once the handshake ends"
    );
    // The peer goes away: the handshake ends, and Close follows with the violation's code.
    release_tx.send(()).unwrap();
    recorder.wait_closed();
    let seen = recorder.seen();
    assert!(
        matches!(&seen[1], Seen::Error(e) if e.contains("protocol")),
        "{seen:?}"
    );
    assert!(matches!(&seen[2], Seen::Close(1002, _)), "{seen:?}");
    socket_close(&name).unwrap();
    server.join();
}

/// Sends a Close frame with code 999 (not a code anyone may send) and waits for the answer.
fn close_with_code_999(mut ws: tungstenite::WebSocket<std::net::TcpStream>) -> Option<u16> {
    use std::io::Write as _;
    ws.get_mut().write_all(&[0x88, 0x02, 0x03, 0xE7]).unwrap();
    loop {
        match ws.read() {
            Ok(tungstenite::Message::Close(frame)) => break frame.map(|f| u16::from(f.code)),
            Ok(_) => {}
            Err(_) => break None,
        }
    }
}

#[test]
fn a_close_frame_with_an_invalid_code_is_a_violation_like_any_other() {
    let _serial = serial();
    let server = ws_server(1, close_with_code_999);
    let name = unique_name("async-close-999");
    let recorder = Recorder::default();
    let record = recorder.clone();
    websocket_client_connect_async_url(
        &name,
        move |_, event| record.record(&event),
        &server.ws_url("/"),
    )
    .unwrap();
    recorder.wait_closed();
    let seen = recorder.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(
        matches!(&seen[1], Seen::Error(e) if e.contains("invalid close code")),
        "{seen:?}"
    );
    assert!(matches!(&seen[2], Seen::Close(1002, _)), "{seen:?}");
    socket_close(&name).unwrap();
    assert_eq!(server.join().remove(0).unwrap(), Some(1002));

    // Blocking mode says the same: the violation, then the closed connection.
    let server = ws_server(1, close_with_code_999);
    let name = unique_name("blocking-close-999");
    websocket_client_connect_url(&name, &server.ws_url("/")).unwrap();
    let error = socket_read(&name).unwrap_err();
    assert!(matches!(error, Error::Protocol(_)), "{error:?}");
    assert_eq!(socket_read(&name).unwrap_err().close_code(), Some(1002));
    socket_close(&name).unwrap();
    assert_eq!(server.join().remove(0).unwrap(), Some(1002));
}

#[test]
fn after_socket_close_returns_in_a_callback_only_the_final_close_follows() {
    let _serial = serial();
    const MESSAGES: usize = 200;
    let server = ws_server(1, |mut ws| {
        for i in 0..MESSAGES {
            if ws.send(tungstenite::Message::text(i.to_string())).is_err() {
                break;
            }
        }
        while ws.read().is_ok() {}
    });
    let name = unique_name("async-close-then-silence");
    let recorder = Recorder::default();
    let record = recorder.clone();
    let closed = Arc::new(AtomicBool::new(false));
    let closed_in_callback = Arc::clone(&closed);
    let after_close = Arc::new(Mutex::new(Vec::new()));
    let late = Arc::clone(&after_close);
    // A small queue: the worker holds back messages while the application has not taken them.
    let options = ConnectOptions::new().event_queue_limit(8);
    websocket_client_connect_async_with(
        &name,
        move |name, event| {
            if closed_in_callback.load(Ordering::SeqCst) {
                late.lock().unwrap().push(Seen::from(&event));
            }
            record.record(&event);
            if let Event::Message(_) = event {
                if !closed_in_callback.swap(true, Ordering::SeqCst) {
                    socket_close(name).unwrap();
                }
            }
        },
        &server.ws_url("/"),
        &options,
    )
    .unwrap();
    recorder.wait_closed();
    assert_eq!(
        *after_close.lock().unwrap(),
        [Seen::Close(1000, String::new())],
        "after socket_close, nothing but the final Close"
    );
    server.join();
}

#[test]
fn messages_received_counts_what_came_from_the_network_before_it_is_dispatched() {
    let _serial = serial();
    let (gate, release_tx) = gate();
    let server = ws_server(1, move |mut ws| {
        for text in ["one", "two", "three"] {
            ws.send(tungstenite::Message::text(text)).unwrap();
        }
        gate.wait();
    });
    let name = unique_name("async-received-count");
    let recorder = Recorder::default();
    let record = recorder.clone();
    websocket_client_connect_async_url(
        &name,
        move |_, event| record.record(&event),
        &server.ws_url("/"),
    )
    .unwrap();
    // Nobody dispatches: the worker reads the three messages all the same and
    // queues them behind Open. A message is counted when it is read, before it
    // is queued, so once the four events wait the count must already say 3.
    let deadline = std::time::Instant::now() + HANG_GUARD;
    while pending_events() < 4 {
        assert!(std::time::Instant::now() < deadline, "hang guard");
        thread::yield_now();
    }
    assert_eq!(pending_events(), 4, "Open and the three messages wait");
    assert_eq!(
        socket_info(&name).unwrap().messages_received,
        3,
        "counted before anything was dispatched"
    );
    release_tx.send(()).unwrap();
    recorder.wait_closed();
    socket_close(&name).unwrap();
    server.join();
}

#[test]
#[cfg_attr(
    windows,
    ignore = "under Wine a shutdown from another thread does not always wake a thread in WSAPoll"
)]
fn the_dispatching_thread_never_waits_on_a_peer_that_neither_reads_nor_answers() {
    let _serial = serial();
    let (gate, release_tx) = gate();
    // Accepts the upgrade, then reads nothing and answers nothing until released.
    let server = ws_server(1, move |ws| {
        gate.wait();
        drop(ws);
    });
    let name = unique_name("async-never-waits");
    let options = ConnectOptions::new()
        .max_write_buffer_size(Some(4 << 20))
        .close_timeout(Duration::from_secs(2));
    let recorder = open_recorded(&name, &server.ws_url("/"), &options);
    const BOUND: Duration = Duration::from_millis(1500);
    // Writes: taken at once until the send queue (the write buffer) is full, then refused.
    let chunk = vec![7u8; 1 << 20];
    let mut queued = 0;
    let full = loop {
        let started = std::time::Instant::now();
        let result = socket_write(&name, chunk.clone());
        assert!(
            started.elapsed() < BOUND,
            "a write waited {:?}",
            started.elapsed()
        );
        match result {
            Ok(()) => queued += 1,
            Err(error) => break error,
        }
        assert!(queued < 1000, "the send queue never filled");
    };
    assert!(matches!(full, Error::Capacity(_)), "{full:?}");
    // Close: returns at once; the worker waits for the answer that never comes.
    let started = std::time::Instant::now();
    socket_close(&name).unwrap();
    assert!(
        started.elapsed() < BOUND,
        "socket_close waited {:?}",
        started.elapsed()
    );
    assert!(!socket_exist(&name));
    recorder.wait_closed();
    let seen = recorder.seen();
    assert!(
        matches!(seen.last(), Some(Seen::Close(1006, reason)) if reason.contains("did not answer")),
        "the final Close says the close timed out: {seen:?}"
    );
    release_tx.send(()).unwrap();
    server.join();
}

/// Opens an asynchronous socket whose events `recorder` keeps, and dispatches until its first
/// event (the Open) came.
fn open_recorded(name: &str, url: &str, options: &ConnectOptions) -> Recorder {
    let recorder = Recorder::default();
    let record = recorder.clone();
    websocket_client_connect_async_with(name, move |_, event| record.record(&event), url, options)
        .unwrap();
    let opened = {
        let recorder = recorder.clone();
        move || !recorder.seen().is_empty()
    };
    dispatch_until(opened).unwrap();
    recorder
}

/// Opens an asynchronous socket, waits for its Open, then writes `count` binary messages of
/// 256 KiB (byte `i` in message `i`) to a peer that reads nothing yet: 10 MiB for 40, more
/// than the kernel takes, so the rest waits in the socket's send queue.
fn open_and_write_unread(name: &str, url: &str, count: usize) -> Recorder {
    let recorder = open_recorded(name, url, &ConnectOptions::new());
    for i in 0..count {
        socket_write(name, vec![i as u8; 256 << 10]).unwrap();
    }
    recorder
}

#[test]
fn writes_queued_while_the_peer_does_not_read_go_out_in_order_once_it_does() {
    let _serial = serial();
    const COUNT: usize = 40;
    let (gate, release_tx) = gate();
    let server = ws_server(1, move |mut ws| {
        gate.wait();
        let mut next = 0;
        while next < COUNT {
            let message = ws.read().unwrap();
            if message.is_binary() {
                let data = message.into_data();
                assert_eq!((data.len(), data[0] as usize), (256 << 10, next));
                next += 1;
            }
        }
        ws.send(tungstenite::Message::text(format!("got {next}")))
            .unwrap();
        while ws.read().is_ok() {}
    });
    let name = unique_name("async-queued-writes");
    let recorder = open_and_write_unread(&name, &server.ws_url("/"), COUNT);
    release_tx.send(()).unwrap();
    let answered = {
        let recorder = recorder.clone();
        move || {
            recorder
                .seen()
                .contains(&Seen::Text(format!("got {COUNT}")))
        }
    };
    dispatch_until(answered).unwrap();
    socket_close(&name).unwrap();
    recorder.wait_closed();
    server.join();
}

#[test]
fn a_close_queued_behind_unread_writes_goes_out_once_the_peer_reads() {
    let _serial = serial();
    const COUNT: usize = 40;
    let (gate, release_tx) = gate();
    let server = ws_server(1, move |mut ws| {
        gate.wait();
        let mut binary = 0;
        // Everything written, then our Close, in order; the engine answers the Close.
        loop {
            match ws.read() {
                Ok(tungstenite::Message::Binary(_)) => binary += 1,
                Ok(tungstenite::Message::Close(frame)) => {
                    let code = frame.map(|f| u16::from(f.code));
                    while ws.read().is_ok() {}
                    return (binary, code);
                }
                Ok(_) => {}
                Err(e) => panic!("the Close never came: {e}"),
            }
        }
    });
    let name = unique_name("async-queued-close");
    let recorder = open_and_write_unread(&name, &server.ws_url("/"), COUNT);
    // The Close waits behind them.
    socket_close(&name).unwrap();
    release_tx.send(()).unwrap();
    recorder.wait_closed();
    assert_eq!(server.join(), [Some((COUNT, Some(1000)))]);
    assert_eq!(
        recorder.seen().last(),
        Some(&Seen::Close(1000, String::new()))
    );
}

#[test]
fn a_hook_that_takes_the_gui_loops_own_lock_cannot_deadlock_with_the_dispatching_thread() {
    let _serial = serial();
    // The GUI loop's state, guarded by its own lock, which the GUI thread holds while it
    // dispatches; the hook posts to it under that lock.
    let gui = Arc::new(Mutex::new(Vec::<&'static str>::new()));
    let (woken_tx, woken_rx) = mpsc::channel::<()>();
    let woken_tx = Mutex::new(woken_tx);
    {
        let gui = Arc::clone(&gui);
        set_wake_hook(move || {
            gui.lock().unwrap().push("dispatch now");
            let _ = woken_tx.lock().unwrap().send(());
        });
    }
    let server = ws_server(1, |mut ws| {
        ws.send(tungstenite::Message::text("first")).unwrap();
        assert_eq!(ws.read().unwrap().into_text().unwrap(), "go");
        ws.send(tungstenite::Message::text("second")).unwrap();
        echo(ws)
    });
    let name = unique_name("async-hook-gui-lock");
    let messages = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&messages);
    websocket_client_connect_async_url(
        &name,
        move |name, event| {
            if let Event::Message(message) = event {
                counter.fetch_add(1, Ordering::SeqCst);
                if message.as_text() == Some("first") {
                    // Hold this dispatch until "second" waits behind it ("first" still counts
                    // while it runs): the dispatch then returns with events left, and owes
                    // the loop a wake-up.
                    socket_write(name, "go").unwrap();
                    let deadline = std::time::Instant::now() + HANG_GUARD;
                    while pending_events() < 2 {
                        assert!(std::time::Instant::now() < deadline, "hang guard");
                        thread::yield_now();
                    }
                }
            }
        },
        &server.ws_url("/"),
    )
    .unwrap();
    // The GUI thread: only when woken, it takes its own lock and dispatches while holding
    // it. "second" is dispatched only if the wake-up owed for it came (off this thread).
    while messages.load(Ordering::SeqCst) < 2 {
        woken_rx
            .recv_timeout(HANG_GUARD)
            .expect("woken for every event");
        let held = gui.lock().unwrap();
        dispatch_pending().unwrap();
        drop(held);
    }
    clear_wake_hook();
    socket_close(&name).unwrap();
    dispatch_until_all_closed().unwrap();
    assert!(!gui.lock().unwrap().is_empty());
    server.join();
}

/// What a GUI's thread owns: plain values, no `Arc`, no `Mutex`, not `Send` either.
struct Screen {
    status: String,
    log: Vec<String>,
    not_send: std::rc::Rc<()>,
}

#[test]
fn a_frame_loop_takes_events_into_state_it_owns_without_arc_or_mutex() {
    let _serial = serial();
    let (woken_tx, woken_rx) = mpsc::channel::<()>();
    let woken_tx = Mutex::new(woken_tx);
    set_wake_hook(move || {
        let _ = woken_tx.lock().unwrap().send(());
    });
    let server = ws_server(1, echo);
    let name = unique_name("polled-frame-loop");
    websocket_client_connect_polled(&name, &server.ws_url("/"), &ConnectOptions::new()).unwrap();
    let mut screen = Screen {
        status: "connecting".into(),
        log: Vec::new(),
        not_send: std::rc::Rc::new(()),
    };
    // One frame: take what arrived, update the screen, answer.
    let frame = |screen: &mut Screen| {
        while let Some(event) = socket_next_event(&name).unwrap() {
            match event {
                Event::Open { .. } => {
                    screen.status = "open".into();
                    for text in ["un", "deux", "trois"] {
                        socket_write(&name, text).unwrap();
                    }
                }
                Event::Message(message) => screen.log.push(message.into_text().unwrap()),
                other => screen.log.push(format!("{other:?}")),
            }
        }
    };
    while screen.log.len() < 3 {
        // The host loop sleeps until the hook wakes it.
        woken_rx.recv_timeout(HANG_GUARD).expect("woken");
        frame(&mut screen);
    }
    assert_eq!(screen.status, "open");
    assert_eq!(screen.log, ["un", "deux", "trois"]);
    assert_eq!(std::rc::Rc::strong_count(&screen.not_send), 1);
    clear_wake_hook();
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn socket_next_event_refuses_sockets_whose_events_go_elsewhere() {
    let _serial = serial();
    let server = ws_server(2, echo);
    let with_callback = unique_name("next-event-callback");
    let opened = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&opened);
    websocket_client_connect_async_url(
        &with_callback,
        move |_, event| {
            if let Event::Open { .. } = event {
                flag.store(true, Ordering::SeqCst);
            }
        },
        &server.ws_url("/"),
    )
    .unwrap();
    // Connected, so that the server serves its two connections.
    dispatch_until(|| opened.load(Ordering::SeqCst)).unwrap();
    let blocking = unique_name("next-event-blocking");
    websocket_client_connect_url(&blocking, &server.ws_url("/")).unwrap();
    for name in [&with_callback, &blocking] {
        let error = socket_next_event(name).unwrap_err();
        assert!(matches!(error, Error::WrongMode(_)), "{error:?}");
    }
    assert!(matches!(
        socket_next_event("no such socket at all"),
        Err(Error::NotFound(_))
    ));
    socket_close(&with_callback).unwrap();
    socket_close(&blocking).unwrap();
    dispatch_until_all_closed().unwrap();
    server.join();
}

#[test]
fn the_final_close_of_a_polled_socket_is_taken_after_its_name_is_gone() {
    // A polled socket's worker calls the process-wide wake hook: take turns with the tests
    // that set one.
    let _serial = serial();
    let server = ws_server(1, echo);
    let name = unique_name("polled-final-close");
    let events =
        websocket_client_connect_polled(&name, &server.ws_url("/"), &ConnectOptions::new())
            .unwrap();
    let deadline = std::time::Instant::now() + HANG_GUARD;
    let next = |what: &str| loop {
        if let Some(event) = events.next() {
            return event;
        }
        assert!(std::time::Instant::now() < deadline, "hang guard: {what}");
        thread::yield_now();
    };
    assert!(matches!(next("Open"), Event::Open { .. }));
    socket_write(&name, "ping?").unwrap();
    assert_eq!(next("echo").message(), Some(&Message::from("ping?")));
    socket_close(&name).unwrap();
    assert!(!socket_exist(&name), "the name is free at once");
    // The handshake ends on the worker; its outcome still reaches the handle.
    assert!(matches!(next("Close"), Event::Close { code: 1000, .. }));
    server.join();
}

#[test]
fn a_tls_socket_reads_while_its_writes_wait_for_a_peer_that_does_not_read() {
    let _serial = serial();
    // 40 MiB: more than loopback's TCP buffers take, less than the write buffer's limit.
    const COUNT: usize = 160;
    let fixture = tls_fixture();
    let (before_sending, may_send) = gate();
    let (before_leaving, may_leave) = gate();
    let server = tls_ws_server(&fixture, 1, move |mut ws| {
        // Meanwhile the client's writes fill the TCP buffers, and its TLS library's.
        before_sending.wait();
        ws.send(tungstenite::Message::text("while you wait"))
            .unwrap();
        // Reading 40 MiB through a debug build takes seconds: the server hangs up instead.
        before_leaving.wait();
    });
    let name = unique_name("tls-read-while-writes-wait");
    // Longer than the test's bound: only a read that waits for the writes could take this long.
    let options = ConnectOptions::new()
        .add_root_certificate(Certificate::from_der(&fixture.cert_der).unwrap())
        .write_timeout(Duration::from_secs(60));
    let recorder = open_recorded(&name, &server.wss_url("/"), &options);
    for i in 0..COUNT {
        socket_write(&name, vec![i as u8; 256 << 10]).unwrap();
    }
    may_send.send(()).unwrap();
    let started = std::time::Instant::now();
    while !recorder
        .seen()
        .contains(&Seen::Text("while you wait".into()))
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the server's message did not arrive while the writes waited: {:?}",
            recorder.seen()
        );
        dispatch_timeout(Duration::from_millis(50)).unwrap();
    }
    let sent = socket_info(&name).unwrap().bytes_sent;
    assert!(
        sent < (COUNT as u64) << 18,
        "the writes did not wait: {sent} bytes sent"
    );
    socket_close(&name).unwrap();
    may_leave.send(()).unwrap();
    server.join();
}
