//! Keepalive, dead-peer detection, idle timeout and auto-reconnect, against loopback servers
//! that the tests make misbehave: go silent, drop mid-message, reset, restart, refuse.

mod common;

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use named_websocket::*;
use tungstenite::protocol::CloseFrame;

const MS: Duration = Duration::from_millis(1);

/// Serves one connection on `listener` in a thread: sends `greeting`, then hands the socket to
/// `then`. The listener closes when the thread ends, so the port then refuses connections.
fn serve_once<T: Send + 'static>(
    listener: TcpListener,
    greeting: &'static str,
    then: impl FnOnce(tungstenite::WebSocket<TcpStream>) -> T + Send + 'static,
) -> thread::JoinHandle<T> {
    thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        // Refuse from now on: a reconnect must not land in this listener's backlog.
        drop(listener);
        let mut ws = tungstenite::accept(stream).unwrap();
        ws.send(tungstenite::Message::text(greeting)).unwrap();
        then(ws)
    })
}

/// A server handler that holds the connection open and silent (no reads: pings go unanswered)
/// until the test releases it.
fn silent_until(
    release: mpsc::Receiver<()>,
) -> impl Fn(tungstenite::WebSocket<TcpStream>) + Send + Sync {
    let release = Mutex::new(release);
    move |ws| {
        let _ = release.lock().unwrap().recv_timeout(HANG_GUARD);
        drop(ws);
    }
}

/// Events of an asynchronous socket, as text, and whether its last Close came.
#[derive(Clone, Default)]
struct Log {
    events: Arc<Mutex<Vec<String>>>,
}

impl Log {
    fn record(&self, event: &Event) {
        let text = match event {
            Event::Open { .. } => "open".to_owned(),
            Event::Message(message) => format!("message {}", message.as_text().unwrap_or("?")),
            Event::Close { code, .. } => format!("close {code}"),
            Event::Error(error) => format!("error {error}"),
            Event::Reconnecting { attempt, .. } => format!("reconnecting {attempt}"),
            other => format!("{other:?}"),
        };
        self.events.lock().unwrap().push(text);
    }

    fn events(&self) -> Vec<String> {
        self.events.lock().unwrap().clone()
    }

    fn count(&self, prefix: &str) -> usize {
        self.events()
            .iter()
            .filter(|e| e.starts_with(prefix))
            .count()
    }
}

#[test]
fn pings_go_out_while_no_thread_reads() {
    let (pings_tx, pings_rx) = mpsc::channel();
    let server = ws_server(1, move |mut ws| {
        let mut pings = 0;
        while let Ok(message) = ws.read() {
            if message.is_ping() {
                pings += 1;
                let _ = pings_tx.send(pings);
            }
        }
    });
    let name = unique_name("pinger");
    let options = ConnectOptions::new().ping_interval(20 * MS);
    websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
    // Nobody reads the socket; its worker pings all the same.
    for expected in 1..=3 {
        assert_eq!(pings_rx.recv_timeout(HANG_GUARD).unwrap(), expected);
    }
    assert_eq!(socket_state(&name).unwrap(), State::Open);
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn the_servers_pings_are_answered_while_no_thread_reads() {
    let server = ws_server(1, |mut ws| {
        ws.send(tungstenite::Message::Ping("are you there".into()))
            .unwrap();
        loop {
            match ws.read().unwrap() {
                tungstenite::Message::Pong(payload) => break payload.to_vec(),
                _ => continue,
            }
        }
    });
    let name = unique_name("ponger");
    // A long interval: what matters is that the socket is run by a worker that reads.
    let options = ConnectOptions::new().ping_interval(Duration::from_secs(60));
    websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
    let pong = server.join().remove(0).unwrap();
    assert_eq!(pong, b"are you there");
    socket_close(&name).unwrap();
}

#[test]
fn a_blocking_reader_learns_of_a_dead_peer_within_interval_plus_timeout() {
    let (release, released) = mpsc::channel();
    let server = ws_server(1, silent_until(released));
    let name = unique_name("dead-peer");
    let (interval, timeout) = (50 * MS, 100 * MS);
    let options = ConnectOptions::new()
        .ping_interval(interval)
        .ping_timeout(timeout);
    // Before the connect: the worker's keepalive clock cannot start earlier.
    let started = Instant::now();
    websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
    let error = socket_read(&name).unwrap_err();
    let took = started.elapsed();
    assert_eq!(error.timeout_phase(), Some(Timeout::Pong), "{error}");
    assert!(took >= timeout, "{took:?}");
    assert!(
        took < interval + timeout + Duration::from_secs(2),
        "{took:?}"
    );
    assert!(socket_read(&name).unwrap_err().close_code() == Some(1006));
    assert_eq!(socket_state(&name).unwrap(), State::Closed);
    assert!(socket_write(&name, "x").unwrap_err().is_closed());
    socket_close(&name).unwrap();
    release.send(()).unwrap();
    server.join();
}

#[test]
fn an_asynchronous_socket_gets_error_then_close_for_a_dead_peer() {
    let _serial = serial();
    let (release, released) = mpsc::channel();
    let server = ws_server(1, silent_until(released));
    let name = unique_name("dead-peer-async");
    let log = Log::default();
    let record = log.clone();
    let options = ConnectOptions::new()
        .ping_interval(30 * MS)
        .ping_timeout(60 * MS);
    websocket_client_connect_async_with(
        &name,
        move |_, e| record.record(&e),
        &server.ws_url("/"),
        &options,
    )
    .unwrap();
    dispatch_until(|| log.count("close") == 1).unwrap();
    let events = log.events();
    assert_eq!(events[0], "open");
    assert!(
        events[1].starts_with("error the server did not answer our ping"),
        "{events:?}"
    );
    assert_eq!(events[2], "close 1006");
    socket_close(&name).unwrap();
    release.send(()).unwrap();
    server.join();
}

#[test]
fn nothing_received_for_the_idle_timeout_fails_the_connection() {
    let (release, released) = mpsc::channel();
    let server = ws_server(1, silent_until(released));
    let name = unique_name("idle");
    let options = ConnectOptions::new().idle_timeout(100 * MS);
    websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
    let error = socket_read_timeout(&name, HANG_GUARD).unwrap_err();
    assert_eq!(error.timeout_phase(), Some(Timeout::Idle), "{error}");
    socket_close(&name).unwrap();
    release.send(()).unwrap();
    server.join();
}

#[test]
fn a_server_killed_mid_message_is_a_lost_connection() {
    let server = raw_server(1, |stream| {
        let mut ws = tungstenite::accept(stream).unwrap();
        // The header of a 100-byte text frame and 10 of its bytes, then the process "dies".
        let stream = ws.get_mut();
        stream.write_all(&[0x81, 100]).unwrap();
        stream.write_all(&[b'x'; 10]).unwrap();
    });
    let name = unique_name("killed");
    websocket_client_connect_url(&name, &server.ws_url("/")).unwrap();
    let error = socket_read_timeout(&name, HANG_GUARD).unwrap_err();
    assert_eq!(error.close_code(), Some(1006), "{error}");
    socket_close(&name).unwrap();
    server.join();
}

#[test]
#[cfg_attr(
    windows,
    ignore = "Wine closes a socket that lingers 0 s with a FIN, not a reset"
)]
fn a_tcp_reset_is_a_lost_connection() {
    let server = raw_server(1, |stream| {
        let ws = tungstenite::accept(stream).unwrap();
        // Linger 0: closing sends RST instead of FIN.
        rustix::net::sockopt::set_socket_linger(ws.get_ref(), Some(Duration::ZERO)).unwrap();
    });
    let name = unique_name("reset");
    websocket_client_connect_url(&name, &server.ws_url("/")).unwrap();
    let error = socket_read_timeout(&name, HANG_GUARD).unwrap_err();
    assert_eq!(error.close_code(), Some(1006), "{error}");
    assert!(error.to_string().contains("reset"), "{error}");
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn an_asynchronous_socket_reconnects_after_a_loss_under_the_same_name() {
    let _serial = serial();
    // The first connection goes away without a Close frame.
    let server = lost_then_echo_server();
    let name = unique_name("reconnect-async");
    let log = Log::default();
    let record = log.clone();
    let options = ConnectOptions::new().reconnect(quick_reconnect());
    websocket_client_connect_async_with(
        &name,
        move |name, event| {
            record.record(&event);
            if let Event::Message(m) = &event {
                if m.as_text() == Some("second life") {
                    socket_close(name).unwrap();
                }
            }
        },
        &server.ws_url("/"),
        &options,
    )
    .unwrap();
    dispatch_until_all_closed().unwrap(); // until the socket's last event
    let events = log.events();
    assert_eq!(events[0..2], ["open", "message first life"]);
    let reconnecting = events.iter().position(|e| e == "reconnecting 1").unwrap();
    assert_eq!(events[reconnecting - 1], "close 1006", "{events:?}");
    assert_eq!(
        events[reconnecting + 1..],
        ["open", "message second life", "close 1000"]
    );
    assert!(!socket_exist(&name));
    server.join();
}

#[test]
fn a_blocking_socket_reads_across_a_reconnect_and_refuses_writes_meanwhile() {
    let (accepted_tx, accepted_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let release_rx = Mutex::new(release_rx);
    let first = AtomicBool::new(true);
    let server = raw_server(2, move |stream| {
        if first.swap(false, Ordering::SeqCst) {
            let mut ws = tungstenite::accept(stream).unwrap();
            ws.send(tungstenite::Message::text("before")).unwrap();
            return None; // lost without a Close frame
        }
        // The reconnect: hold the upgrade until the test has looked at the socket.
        accepted_tx.send(()).unwrap();
        release_rx.lock().unwrap().recv_timeout(HANG_GUARD).unwrap();
        let mut ws = tungstenite::accept(stream).unwrap();
        ws.send(tungstenite::Message::text("after")).unwrap();
        Some(echo(ws))
    });
    let name = unique_name("reconnect-blocking");
    let options = ConnectOptions::new().reconnect(quick_reconnect());
    websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
    assert_eq!(socket_read(&name).unwrap(), Message::from("before"));

    accepted_rx.recv_timeout(HANG_GUARD).unwrap();
    assert_eq!(socket_state(&name).unwrap(), State::Reconnecting);
    let refused = socket_write(&name, "while away").unwrap_err();
    assert!(
        matches!(refused, Error::NotOpen(State::Reconnecting)),
        "{refused:?}"
    );
    release_tx.send(()).unwrap();

    // The read waits across the reconnect: no error for the lost connection.
    assert_eq!(socket_read(&name).unwrap(), Message::from("after"));
    assert_eq!(socket_state(&name).unwrap(), State::Open);
    socket_write(&name, "echo me").unwrap();
    assert_eq!(socket_read(&name).unwrap(), Message::from("echo me"));
    socket_close(&name).unwrap();
    let results = server.join();
    assert_eq!(results[1].as_ref().unwrap().close_code, Some(1000));
}

#[test]
fn socket_close_stops_a_reconnect_at_once() {
    let server = ws_server(1, drop);
    let name = unique_name("stop-reconnect");
    let slow = Reconnect::new()
        .min_delay(Duration::from_secs(60))
        .max_delay(Duration::from_secs(60));
    let options = ConnectOptions::new().reconnect(slow);
    websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
    server.join();
    let deadline = Instant::now() + HANG_GUARD;
    while socket_state(&name).unwrap() != State::Reconnecting {
        assert!(Instant::now() < deadline, "hang guard: never reconnecting");
        thread::yield_now();
    }
    let started = Instant::now();
    socket_close(&name).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(!socket_exist(&name));
}

#[test]
fn refusals_are_final_and_attempts_are_bounded() {
    let _serial = serial();
    // The first connection is lost; the server then answers 404: no more attempts.
    let first = AtomicBool::new(true);
    let server = raw_server(2, move |mut stream| {
        if first.swap(false, Ordering::SeqCst) {
            drop(tungstenite::accept(stream).unwrap());
        } else {
            read_request_head(&mut stream);
            stream
                .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
        }
    });
    let name = unique_name("refused-final");
    let log = Log::default();
    let record = log.clone();
    let options = ConnectOptions::new().reconnect(quick_reconnect());
    websocket_client_connect_async_with(
        &name,
        move |_, e| record.record(&e),
        &server.ws_url("/"),
        &options,
    )
    .unwrap();
    dispatch_until_all_closed().unwrap();
    let events = log.events();
    assert_eq!(log.count("reconnecting"), 1, "{events:?}");
    assert!(events[events.len() - 2].contains("404"), "{events:?}");
    assert_eq!(events[events.len() - 1], "close 1006");
    socket_close(&name).unwrap();
    server.join();

    // Nothing listens: exactly max_attempts attempts after the first failure.
    let name = unique_name("bounded");
    let log = Log::default();
    let record = log.clone();
    let options = ConnectOptions::new().reconnect(quick_reconnect().max_attempts(Some(3)));
    let url = format!("ws://127.0.0.1:{}/", closed_port());
    websocket_client_connect_async_with(&name, move |_, e| record.record(&e), &url, &options)
        .unwrap();
    dispatch_until_all_closed().unwrap();
    assert_eq!(log.count("reconnecting"), 3, "{:?}", log.events());
    assert_eq!(log.count("close 1006"), 4);
    assert_eq!(log.count("error connection refused"), 4);
    assert_eq!(socket_state(&name).unwrap(), State::Closed);
    socket_close(&name).unwrap();
}

#[test]
fn a_normal_close_by_the_server_is_final_unless_asked() {
    let _serial = serial();
    let closing_server = |connections| {
        ws_server(connections, |mut ws| {
            ws.close(Some(CloseFrame {
                code: 1000.into(),
                reason: "done".into(),
            }))
            .unwrap();
            while ws.read().is_ok() {}
        })
    };
    for (after_normal_close, connections) in [(false, 1), (true, 2)] {
        let server = closing_server(connections);
        let name = unique_name("normal-close");
        let log = Log::default();
        let record = log.clone();
        let policy = quick_reconnect()
            .after_normal_close(after_normal_close)
            .max_attempts(Some(1));
        let options = ConnectOptions::new().reconnect(policy);
        let url = server.ws_url("/");
        websocket_client_connect_async_with(&name, move |_, e| record.record(&e), &url, &options)
            .unwrap();
        if after_normal_close {
            // The server's normal close is followed by a reconnect; close after it opened.
            dispatch_until(|| log.count("open") == 2).unwrap();
            socket_close(&name).unwrap();
            dispatch_until_all_closed().unwrap();
            assert_eq!(log.count("reconnecting"), 1, "{:?}", log.events());
        } else {
            dispatch_until_all_closed().unwrap();
            assert_eq!(log.events(), ["open", "close 1000"]);
            socket_close(&name).unwrap();
        }
        server.join();
    }
}

#[test]
fn a_server_restarting_on_the_same_port_is_found_again() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // The first life: one connection, one message, then the whole server goes away.
    let first_life = serve_once(listener, "first life", drop);
    let name = unique_name("restart");
    let options = ConnectOptions::new().reconnect(quick_reconnect());
    websocket_client_connect_with(&name, &format!("ws://127.0.0.1:{port}/"), &options).unwrap();
    assert_eq!(socket_read(&name).unwrap(), Message::from("first life"));
    first_life.join().unwrap();
    // Meanwhile the client retries against a closed port; the server comes back.
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let second_life = serve_once(listener, "second life", echo);
    assert_eq!(socket_read(&name).unwrap(), Message::from("second life"));
    socket_close(&name).unwrap();
    assert_eq!(second_life.join().unwrap().close_code, Some(1000));
}

#[test]
fn keepalive_and_reconnect_options_are_checked() {
    let url = format!("ws://127.0.0.1:{}/", closed_port());
    for options in [
        ConnectOptions::new().ping_interval(Duration::ZERO),
        ConnectOptions::new().ping_timeout(Duration::ZERO),
        ConnectOptions::new().idle_timeout(Duration::ZERO),
        ConnectOptions::new().reconnect(Reconnect::new().jitter(2.0)),
        ConnectOptions::new().reconnect(Reconnect::new().max_attempts(Some(0))),
    ] {
        let error =
            websocket_client_connect_with(&unique_name("opts"), &url, &options).unwrap_err();
        assert!(
            matches!(error, Error::InvalidArgument(_)),
            "{options:?}: {error:?}"
        );
    }
    // The handle type has no worker thread to run them.
    let error = Socket::connect_with(&url, &ConnectOptions::new().ping_interval(MS)).unwrap_err();
    assert!(matches!(error, Error::InvalidArgument(_)), "{error:?}");
}

#[test]
fn huge_keepalive_and_reconnect_values_mean_never_and_do_not_panic() {
    let server = ws_server(1, echo);
    let name = unique_name("forever");
    let options = ConnectOptions::new()
        .ping_interval(Duration::MAX)
        .ping_timeout(Duration::MAX)
        .idle_timeout(Duration::MAX)
        .reconnect(
            Reconnect::new()
                .min_delay(Duration::MAX)
                .max_delay(Duration::MAX)
                .jitter(0.0),
        );
    websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
    socket_write(&name, "still alive").unwrap();
    assert_eq!(
        socket_read_timeout(&name, HANG_GUARD).unwrap(),
        Message::from("still alive")
    );
    socket_close(&name).unwrap();
    server.join();

    // A lost connection then waits "forever" to reconnect; closing ends that at once.
    let server = ws_server(1, drop);
    let name = unique_name("forever-reconnect");
    websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
    server.join();
    let deadline = Instant::now() + HANG_GUARD;
    while socket_state(&name).unwrap() != State::Reconnecting {
        assert!(Instant::now() < deadline, "hang guard: never reconnecting");
        thread::yield_now();
    }
    socket_close(&name).unwrap();
}

#[test]
fn pings_go_out_on_time_while_the_server_floods_us() {
    let server = ws_server(1, |mut ws| {
        ws.get_mut().set_nonblocking(true).unwrap();
        let started = Instant::now();
        let mut pings = 0;
        while pings < 3 {
            assert!(started.elapsed() < HANG_GUARD, "no pings while flooding");
            // Keep the client busy: a message whenever the previous one is out.
            if ws.flush().is_ok() {
                let _ = ws.write(tungstenite::Message::text("flood"));
            }
            match ws.read() {
                Ok(message) if message.is_ping() => pings += 1,
                _ => {}
            }
        }
        ws.get_mut().set_nonblocking(false).unwrap();
        let _ = ws.close(Some(CloseFrame {
            code: 4000.into(),
            reason: "three pings".into(),
        }));
        while ws.read().is_ok() {}
    });
    let name = unique_name("flooded");
    let options = ConnectOptions::new().ping_interval(20 * MS);
    websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
    let ended = loop {
        match socket_read_timeout(&name, HANG_GUARD) {
            Ok(_) => continue,
            Err(error) => break error,
        }
    };
    assert_eq!(ended.close_code(), Some(4000), "{ended:?}");
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn a_connection_lost_without_close_gives_error_then_close_in_async_mode() {
    let _serial = serial();
    let server = ws_server(1, |mut ws| {
        ws.send(tungstenite::Message::text("hi")).unwrap();
        rustix::net::sockopt::set_socket_linger(ws.get_ref(), Some(Duration::ZERO)).unwrap();
    });
    let name = unique_name("lost-async");
    let log = Log::default();
    let record = log.clone();
    websocket_client_connect_async_url(&name, move |_, e| record.record(&e), &server.ws_url("/"))
        .unwrap();
    dispatch_until_all_closed().unwrap();
    let events = log.events();
    assert_eq!(events[..2], ["open", "message hi"], "{events:?}");
    assert!(
        events[2].starts_with("error connection closed (code 1006"),
        "{events:?}"
    );
    assert_eq!(events[3], "close 1006");
    assert_eq!(events.len(), 4);
    socket_close(&name).unwrap();
    server.join();
}

#[test]
#[cfg(target_os = "linux")] // waits for the reader to sleep, seen in /proc
fn socket_close_during_a_reconnect_wakes_a_blocked_reader_at_once() {
    let (accepted_tx, accepted_rx) = mpsc::channel();
    let (gate, release_tx) = gate();
    let first = AtomicBool::new(true);
    let server = raw_server(2, move |stream| {
        if first.swap(false, Ordering::SeqCst) {
            drop(tungstenite::accept(stream).unwrap()); // lost at once
        } else {
            // The reconnect hangs in its handshake until the test is done.
            accepted_tx.send(()).unwrap();
            gate.wait();
        }
    });
    let name = unique_name("close-while-reconnecting");
    let options = ConnectOptions::new().reconnect(quick_reconnect());
    websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
    let reader = {
        let name = name.clone();
        thread::Builder::new()
            .name("blocked-reader".into())
            .spawn(move || socket_read(&name))
            .unwrap()
    };
    accepted_rx.recv_timeout(HANG_GUARD).unwrap();
    // The reader has the socket once it sleeps in its read: only then may the name go.
    wait_until_sleeping("blocked-reader");
    socket_close(&name).unwrap();
    let error = reader.join().unwrap().unwrap_err();
    assert_eq!(error.close_code(), Some(1000), "{error:?}");
    release_tx.send(()).unwrap();
    server.join();
}

#[test]
fn after_the_last_close_reads_keep_saying_closed() {
    for _ in 0..20 {
        let server = ws_server(1, |mut ws| {
            ws.send(tungstenite::Message::text("bye")).unwrap();
            ws.close(Some(CloseFrame {
                code: 1000.into(),
                reason: "done".into(),
            }))
            .unwrap();
            while ws.read().is_ok() {}
        });
        let name = unique_name("closed-stays-closed");
        let options = ConnectOptions::new().ping_interval(Duration::from_secs(60));
        websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
        assert_eq!(socket_read(&name).unwrap(), Message::from("bye"));
        assert_eq!(socket_read(&name).unwrap_err().close_code(), Some(1000));
        let again = socket_try_read(&name);
        assert!(
            matches!(&again, Err(e) if e.close_code() == Some(1000)),
            "{again:?}"
        );
        socket_close(&name).unwrap();
        server.join();
    }
}

#[test]
fn a_close_without_a_code_is_a_normal_close_and_not_retried() {
    let server = ws_server(1, |mut ws| {
        ws.close(None).unwrap();
        while ws.read().is_ok() {}
    });
    let name = unique_name("no-code-no-retry");
    let options = ConnectOptions::new().reconnect(quick_reconnect());
    websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
    assert_eq!(socket_read(&name).unwrap_err().close_code(), Some(1005));
    assert_eq!(socket_state(&name).unwrap(), State::Closed);
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn a_socket_that_gave_up_reconnecting_still_describes_its_last_connection() {
    // One connection, lost at once; then nothing listens, so the one attempt fails.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = serve_once(listener, "only message", drop);
    let name = unique_name("gave-up");
    let url = format!("ws://127.0.0.1:{port}/last");
    let options = ConnectOptions::new().reconnect(quick_reconnect().max_attempts(Some(1)));
    websocket_client_connect_with(&name, &url, &options).unwrap();
    server.join().unwrap();
    assert_eq!(socket_read(&name).unwrap(), Message::from("only message"));
    let error = socket_read(&name).unwrap_err();
    assert!(matches!(error, Error::ConnectRefused(_)), "{error:?}");
    assert_eq!(socket_read(&name).unwrap_err().close_code(), Some(1006));
    assert_eq!(socket_state(&name).unwrap(), State::Closed);
    let info = socket_info(&name).unwrap();
    assert_eq!(info.url, url);
    assert_eq!(info.messages_received, 1);
    socket_close(&name).unwrap();
}

#[test]
fn a_policy_of_zero_delays_still_waits_the_floor_between_attempts() {
    let _serial = serial();
    const ATTEMPTS: u32 = 20;
    let policy = Reconnect::new()
        .min_delay(Duration::ZERO)
        .max_delay(Duration::ZERO)
        .max_attempts(Some(ATTEMPTS));
    let options = ConnectOptions::new().reconnect(policy);
    let name = unique_name("zero-delays");
    let url = format!("ws://127.0.0.1:{}/", closed_port());
    let reconnecting = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&reconnecting);
    let started = Instant::now();
    websocket_client_connect_async_with(
        &name,
        move |_, event| {
            if let Event::Reconnecting { delay, .. } = event {
                record.lock().unwrap().push(delay);
            }
        },
        &url,
        &options,
    )
    .unwrap();
    dispatch_until_all_closed().unwrap(); // until it gives up
    let elapsed = started.elapsed();
    let delays = reconnecting.lock().unwrap().clone();
    assert_eq!(delays.len(), ATTEMPTS as usize);
    assert!(delays.iter().all(|delay| *delay >= 10 * MS), "{delays:?}");
    assert!(
        elapsed >= 10 * MS * ATTEMPTS,
        "{ATTEMPTS} attempts in {elapsed:?}"
    );
    socket_close(&name).unwrap();
}

#[test]
fn from_a_loss_to_the_next_open_the_state_says_reconnecting_and_writes_say_not_open() {
    const CYCLES: usize = 10;
    // Each connection says "hi" and is then lost without a Close frame.
    let server = ws_server(CYCLES, |mut ws| {
        ws.send(tungstenite::Message::text("hi")).unwrap();
        drop(ws);
    });
    let name = unique_name("state-while-reconnecting");
    let options = ConnectOptions::new().reconnect(
        Reconnect::new()
            .min_delay(10 * MS)
            .max_delay(10 * MS)
            .jitter(0.0),
    );
    websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
    // A status monitor polls as fast as it can while the socket loses and regains its link.
    let done = Arc::new(AtomicBool::new(false));
    let monitor = {
        let (name, done) = (name.clone(), Arc::clone(&done));
        thread::spawn(move || {
            let mut wrong = Vec::new();
            while !done.load(Ordering::SeqCst) {
                match socket_state(&name) {
                    Ok(State::Closed) => wrong.push("state Closed".to_owned()),
                    Ok(_) => {}
                    Err(error) => wrong.push(format!("state: {error}")),
                }
                match socket_write(&name, "ping?") {
                    Ok(()) | Err(Error::NotOpen(State::Reconnecting)) => {}
                    Err(error) => wrong.push(format!("write: {error}")),
                }
            }
            wrong
        })
    };
    for _ in 0..CYCLES {
        assert_eq!(socket_read(&name).unwrap(), Message::from("hi"));
    }
    done.store(true, Ordering::SeqCst);
    let wrong = monitor.join().unwrap();
    assert!(
        wrong.is_empty(),
        "{} wrong answers, first: {:?}",
        wrong.len(),
        wrong.first()
    );
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn socket_ping_measures_the_round_trip_and_keeps_what_arrives_meanwhile() {
    // Says "early" at once, then echoes (and so answers pings while it reads).
    let server = ws_server(1, |mut ws| {
        ws.send(tungstenite::Message::text("early")).unwrap();
        echo(ws)
    });
    let name = unique_name("ping-blocking");
    websocket_client_connect_url(&name, &server.ws_url("/")).unwrap();
    let round_trip = socket_ping(&name, HANG_GUARD).unwrap();
    assert!(round_trip < HANG_GUARD);
    assert_eq!(socket_info(&name).unwrap().round_trip, Some(round_trip));
    // The message that came before the pong was read ahead, not lost.
    assert_eq!(socket_read(&name).unwrap(), Message::from("early"));
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn a_ping_nobody_answers_times_out_and_the_socket_stays_usable() {
    let (release_tx, release_rx) = mpsc::channel::<()>();
    // Reads nothing until released: our ping is never answered meanwhile.
    let server = ws_server(1, silent_until(release_rx));
    let name = unique_name("ping-unanswered");
    websocket_client_connect_url(&name, &server.ws_url("/")).unwrap();
    let error = socket_ping(&name, 100 * MS).unwrap_err();
    assert_eq!(error.timeout_phase(), Some(Timeout::Pong), "{error}");
    socket_write(&name, "still open").unwrap();
    assert_eq!(socket_state(&name).unwrap(), State::Open);
    release_tx.send(()).unwrap();
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn an_asynchronous_socket_is_pinged_while_its_worker_reads() {
    let _serial = serial();
    let server = ws_server(1, echo);
    let name = unique_name("ping-async");
    let log = Log::default();
    let record = log.clone();
    websocket_client_connect_async_url(
        &name,
        move |_, event| record.record(&event),
        &server.ws_url("/"),
    )
    .unwrap();
    let deadline = Instant::now() + HANG_GUARD;
    while socket_state(&name).unwrap() != State::Open {
        assert!(Instant::now() < deadline, "hang guard");
        dispatch_timeout(10 * MS).unwrap();
    }
    let round_trip = socket_ping(&name, HANG_GUARD).unwrap();
    assert_eq!(socket_info(&name).unwrap().round_trip, Some(round_trip));
    socket_close(&name).unwrap();
    dispatch_until_all_closed().unwrap();
    server.join();
}

#[test]
fn socket_info_during_a_reconnect_describes_the_lost_connection() {
    let _serial = serial();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ws://127.0.0.1:{}/", listener.local_addr().unwrap().port());
    // One connection: "hello", then lost without a Close frame; then the port refuses.
    let server = serve_once(listener, "hello", drop);
    let name = unique_name("info-reconnecting");
    let log = Log::default();
    let record = log.clone();
    let options = ConnectOptions::new().reconnect(
        Reconnect::new()
            .min_delay(Duration::from_secs(60))
            .max_delay(Duration::from_secs(60)),
    );
    websocket_client_connect_async_with(
        &name,
        move |_, event| record.record(&event),
        &url,
        &options,
    )
    .unwrap();
    let deadline = Instant::now() + HANG_GUARD;
    while !log.events().iter().any(|e| e.starts_with("reconnecting")) {
        assert!(Instant::now() < deadline, "hang guard: {:?}", log.events());
        dispatch_timeout(10 * MS).unwrap();
    }
    let info = socket_info(&name).unwrap();
    assert_eq!(info.state, State::Reconnecting);
    assert_eq!(info.messages_received, 1, "the lost connection's traffic");
    assert!(info.peer_addr.is_some());
    assert_eq!(info.close.map(|close| close.code), Some(1006));
    socket_close(&name).unwrap();
    dispatch_until_all_closed().unwrap();
    server.join().unwrap();
}

/// Waits until this process's thread named `comm` is asleep (state S in /proc).
#[cfg(target_os = "linux")]
fn wait_until_sleeping(comm: &str) {
    let deadline = Instant::now() + HANG_GUARD;
    loop {
        for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
            let path = task.path();
            if std::fs::read_to_string(path.join("comm")).is_ok_and(|c| c.trim() == comm) {
                let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
                if stat
                    .rsplit(')')
                    .next()
                    .is_some_and(|rest| rest.trim_start().starts_with('S'))
                {
                    return;
                }
            }
        }
        assert!(Instant::now() < deadline, "hang guard: {comm} never slept");
        thread::yield_now();
    }
}
