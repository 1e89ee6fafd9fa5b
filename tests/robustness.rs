//! Edge cases found in review: huge timeouts, peers that leave mid-way, races around close.

mod common;

use std::io::Write as _;
use std::sync::{mpsc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use named_websocket::*;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;

/// A server handler that sends `messages`, a Close with `code`, and leaves at once.
fn say_and_leave(
    messages: &'static [&'static str],
    ping_first: bool,
) -> impl Fn(tungstenite::WebSocket<std::net::TcpStream>) + Send + Sync + 'static {
    move |mut ws| {
        if ping_first {
            ws.send(tungstenite::Message::Ping(vec![1].into())).unwrap();
        }
        for message in messages {
            ws.send((*message).into()).unwrap();
        }
        let _ = ws.close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        }));
    }
}

#[test]
fn duration_max_means_no_limit_and_never_panics() {
    let options = ConnectOptions::new()
        .connect_timeout(Duration::MAX)
        .write_timeout(Duration::MAX)
        .close_timeout(Duration::MAX);
    let refused = Socket::connect_with(&format!("ws://127.0.0.1:{}/", closed_port()), &options);
    assert!(matches!(refused, Err(Error::ConnectRefused(_))));

    let server = ws_server(1, echo);
    let socket = Socket::connect_with(&server.ws_url("/"), &options).unwrap();
    socket.write("x").unwrap();
    let reply = socket.read_timeout(Duration::MAX).unwrap();
    assert_eq!(reply, Message::from("x"));
    socket.close().unwrap();
    server.join();
}

#[test]
fn a_failed_write_does_not_hide_what_the_server_sent_before_leaving() {
    let server = ws_server(1, say_and_leave(&["a", "b"], false));
    let socket = Socket::connect(&server.ws_url("/")).unwrap();
    // The server is gone: writes will hit a reset connection. The reset shows on some write
    // after the first, once the kernel has processed it.
    server.join();
    let deadline = Instant::now() + HANG_GUARD;
    let write_error = loop {
        if let Err(error) = socket.write("x") {
            break error;
        }
        assert!(Instant::now() < deadline, "writing to a closed peer fails");
        std::thread::yield_now();
    };
    assert!(write_error.is_closed(), "{write_error:?}");
    assert_eq!(socket.read_timeout(HANG_GUARD).unwrap(), Message::from("a"));
    assert_eq!(socket.read_timeout(HANG_GUARD).unwrap(), Message::from("b"));
    let closed = socket.read_timeout(HANG_GUARD).unwrap_err();
    assert_eq!(closed.close_code(), Some(1000), "{closed:?}");
}

#[test]
fn a_pong_to_a_departed_server_does_not_hide_its_last_messages() {
    let server = ws_server(1, say_and_leave(&["a", "b"], true));
    let socket = Socket::connect(&server.ws_url("/")).unwrap();
    server.join();
    assert_eq!(socket.read_timeout(HANG_GUARD).unwrap(), Message::from("a"));
    assert_eq!(socket.read_timeout(HANG_GUARD).unwrap(), Message::from("b"));
    let closed = socket.read_timeout(HANG_GUARD).unwrap_err();
    assert_eq!(closed.close_code(), Some(1000), "{closed:?}");
}

#[test]
fn close_returns_once_the_server_answered_even_if_it_keeps_tcp_open() {
    let (gate, done_tx) = gate();
    let server = ws_server(1, move |mut ws| {
        while let Ok(message) = ws.read() {
            if message.is_close() {
                let _ = ws.flush();
                break;
            }
        }
        // Keeps the TCP connection open until the test is done.
        gate.wait();
    });
    let options = ConnectOptions::new().close_timeout(Duration::from_secs(10));
    let socket = Socket::connect_with(&server.ws_url("/"), &options).unwrap();
    let started = Instant::now();
    socket.close().unwrap();
    // Far below the 10 s close timeout: the handshake was complete.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    drop(done_tx);
    server.join();
}

#[test]
fn close_is_bounded_while_the_server_floods_us() {
    let server = ws_server(1, |mut ws| {
        let payload = vec![7u8; 1024];
        while ws
            .send(tungstenite::Message::Binary(payload.clone().into()))
            .is_ok()
        {}
    });
    let options = ConnectOptions::new().close_timeout(Duration::from_millis(300));
    let socket = Socket::connect_with(&server.ws_url("/"), &options).unwrap();
    let (done_tx, done_rx) = mpsc::channel();
    let closer = thread::spawn(move || {
        socket.close().unwrap();
        done_tx.send(()).unwrap();
    });
    done_rx
        .recv_timeout(HANG_GUARD)
        .expect("close returned although the server never stops sending");
    closer.join().unwrap();
    server.join();
}

#[test]
fn the_servers_close_code_survives_a_racing_writer() {
    for _ in 0..100 {
        let server = ws_server(1, |mut ws| {
            let _ = ws.close(Some(CloseFrame {
                code: CloseCode::from(4000),
                reason: "server".into(),
            }));
            while ws.read().is_ok() {}
        });
        let socket = Socket::connect(&server.ws_url("/")).unwrap();
        let writer = {
            let socket = socket.clone();
            thread::spawn(move || while socket.write("x").is_ok() {})
        };
        let closed = socket.read().unwrap_err();
        writer.join().unwrap();
        assert_eq!(closed.close_code(), Some(4000), "{closed:?}");
        assert_eq!(socket.write("x").unwrap_err().close_code(), Some(4000));
        socket.close().unwrap();
        server.join();
    }
}

#[test]
#[cfg_attr(
    windows,
    ignore = "under Wine the reader sometimes misses the end of a TLS burst (1 run in 3)"
)]
fn a_burst_over_tls_is_read_without_lost_wakeups() {
    let fixture = tls_fixture();
    let (gate, done_tx) = gate();
    let server = tls_ws_server(&fixture, 1, move |mut ws| {
        for i in 0..200u32 {
            let len = if i % 7 == 0 {
                40_000
            } else {
                5 + (i as usize % 30)
            };
            ws.write(tungstenite::Message::Binary(vec![i as u8; len].into()))
                .unwrap();
        }
        ws.flush().unwrap();
        gate.wait();
    });
    let certificate = Certificate::from_der(&fixture.cert_der).unwrap();
    let options = ConnectOptions::new().add_root_certificate(certificate);
    let socket = Socket::connect_with(&server.wss_url("/"), &options).unwrap();
    for i in 0..200u32 {
        let message = socket.read_timeout(HANG_GUARD).unwrap();
        assert_eq!(message.as_bytes()[0], i as u8, "message {i}");
    }
    drop(done_tx);
    drop(socket);
    server.join();
}

#[test]
fn two_closers_and_a_blocked_reader_all_finish() {
    let server = ws_server(1, echo);
    let socket = Socket::connect(&server.ws_url("/")).unwrap();
    let reader = {
        let socket = socket.clone();
        thread::spawn(move || socket.read())
    };
    let closers: Vec<_> = (0..2)
        .map(|_| {
            let socket = socket.clone();
            thread::spawn(move || socket.close())
        })
        .collect();
    for closer in closers {
        closer.join().unwrap().unwrap();
    }
    assert!(reader.join().unwrap().unwrap_err().is_closed());
    assert_eq!(socket.state(), State::Closed);
    assert_eq!(server.join().remove(0).unwrap().close_code, Some(1000));
}

#[test]
fn a_write_blocked_on_a_server_that_stopped_reading_times_out_and_closes() {
    let (gate, done_tx) = gate();
    let server = ws_server(1, move |ws| {
        // Never reads: the client's writes fill the TCP buffers.
        gate.wait();
        drop(ws);
    });
    let options = ConnectOptions::new().write_timeout(Duration::from_millis(200));
    let socket = Socket::connect_with(&server.ws_url("/"), &options).unwrap();
    let error = socket.write(vec![0u8; 64 << 20]).unwrap_err();
    assert_eq!(error.timeout_phase(), Some(Timeout::Write), "{error:?}");
    assert_eq!(socket.state(), State::Closed);
    assert!(socket.write("more").unwrap_err().is_closed());
    drop(done_tx);
    server.join();
}

#[test]
fn a_frame_announcing_exabytes_is_refused_whatever_the_size_options() {
    for options in [
        ConnectOptions::new().max_frame_size(None),
        ConnectOptions::new()
            .max_frame_size(None)
            .max_message_size(None),
    ] {
        let server = ws_server(1, |mut ws| {
            // A binary frame header announcing 2^62 bytes, and nothing after it.
            let mut header = vec![0x82, 127];
            header.extend_from_slice(&(1u64 << 62).to_be_bytes());
            ws.get_mut().write_all(&header).unwrap();
            // The client's Close (1009), or the end of the connection.
            loop {
                match ws.read() {
                    Ok(tungstenite::Message::Close(frame)) => {
                        break frame.map(|f| u16::from(f.code));
                    }
                    Ok(_) => {}
                    Err(_) => break None,
                }
            }
        });
        let name = unique_name("huge-frame");
        websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
        let error = socket_read(&name).unwrap_err();
        assert!(matches!(error, Error::Capacity(_)), "{error}");
        assert!(error.to_string().contains("bytes exceeds"), "{error}");
        socket_close(&name).unwrap();
        assert_eq!(server.join().remove(0).unwrap(), Some(1009));
    }
}

/// Sends pings until the client is gone (or a bound is reached), reading nothing.
fn ping_flood_without_reading(mut ws: tungstenite::WebSocket<std::net::TcpStream>) -> usize {
    let payload = vec![7u8; 125];
    let started = Instant::now();
    let mut sent = 0;
    while sent < 2_000_000 && started.elapsed() < Duration::from_secs(15) {
        if ws
            .send(tungstenite::Message::Ping(payload.clone().into()))
            .is_err()
        {
            break;
        }
        sent += 1;
    }
    sent
}

#[test]
#[cfg_attr(
    windows,
    ignore = "under Wine the answers to a ping flood never stall for the write timeout"
)]
fn a_peer_that_floods_pings_and_never_reads_fails_the_read_with_a_write_timeout() {
    let server = ws_server(1, ping_flood_without_reading);
    let name = unique_name("ping-flood");
    let options = ConnectOptions::new().write_timeout(Duration::from_millis(200));
    websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
    // The application keeps reading: it gets the failure, not an ever-growing pile of pongs.
    let error = socket_read(&name).unwrap_err();
    assert_eq!(error.timeout_phase(), Some(Timeout::Write), "{error}");
    assert!(socket_read(&name).unwrap_err().is_closed());
    socket_close(&name).unwrap();
    server.join();
}

#[test]
#[cfg_attr(
    windows,
    ignore = "under Wine the answers to a ping flood never stall for the write timeout"
)]
fn an_asynchronous_socket_flooded_with_pings_by_a_peer_that_never_reads_ends_with_a_timeout() {
    let _serial = serial();
    let server = ws_server(1, ping_flood_without_reading);
    let name = unique_name("ping-flood-async");
    let options = ConnectOptions::new().write_timeout(Duration::from_millis(200));
    let (events_tx, events_rx) = mpsc::channel();
    let events_tx = Mutex::new(events_tx);
    websocket_client_connect_async_with(
        &name,
        move |_, event| {
            let seen = match event {
                Event::Error(error) => format!("error {:?}", error.timeout_phase()),
                Event::Close { code, .. } => format!("close {code}"),
                _ => return,
            };
            let _ = events_tx.lock().unwrap().send(seen);
        },
        &server.ws_url("/"),
        &options,
    )
    .unwrap();
    let mut seen = Vec::new();
    let deadline = Instant::now() + HANG_GUARD;
    while !seen.iter().any(|s: &String| s.starts_with("close")) {
        assert!(Instant::now() < deadline, "hang guard: {seen:?}");
        dispatch_timeout(Duration::from_millis(50)).unwrap();
        seen.extend(events_rx.try_iter());
    }
    assert_eq!(seen, ["error Some(Write)", "close 1006"]);
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn a_close_reason_with_control_characters_is_printed_without_them() {
    let server = ws_server(1, |mut ws| {
        let _ = ws.close(Some(CloseFrame {
            code: CloseCode::from(4000),
            reason: "bye\u{1b}[2J\r\nforged line".into(),
        }));
        while ws.read().is_ok() {}
    });
    let name = unique_name("close-reason-escapes");
    websocket_client_connect_url(&name, &server.ws_url("/")).unwrap();
    let error = socket_read(&name).unwrap_err();
    assert_eq!(error.close_code(), Some(4000));
    let text = error.to_string();
    assert!(!text.chars().any(char::is_control), "{text:?}");
    assert!(text.contains("forged line"), "{text}");
    socket_close(&name).unwrap();
    server.join();
}
