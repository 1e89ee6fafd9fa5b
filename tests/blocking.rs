//! The blocking client's behaviour against real loopback servers: echo, full duplex, closing
//! both ways, ordering, control frames, limits, redirects.

mod common;

use std::io::Write as _;
use std::net::TcpStream;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use common::*;
use named_websocket::*;
use tungstenite::protocol::frame::coding::{Data, OpCode};
use tungstenite::protocol::frame::Frame;

fn connect_to(server_url: &str, prefix: &str) -> String {
    let name = unique_name(prefix);
    websocket_client_connect_url(&name, server_url).unwrap();
    name
}

#[test]
fn text_and_binary_messages_come_back_as_sent() {
    let server = ws_server(1, echo);
    let name = unique_name("echo");
    websocket_client_connect(&name, "127.0.0.1", server.port(), "echo", "").unwrap();
    assert!(socket_exist(&name));
    assert_eq!(socket_state(&name).unwrap(), State::Open);
    assert_eq!(socket_protocol(&name).unwrap(), None);

    let big = "é".repeat(100_000);
    let messages = [
        Message::from("Bonjour le monde !"),
        Message::from(""),
        Message::from(vec![0u8, 1, 2, 255]),
        Message::from(Vec::new()),
        Message::from(big.as_str()),
    ];
    for message in &messages {
        socket_write(&name, message.clone()).unwrap();
        assert_eq!(&socket_read(&name).unwrap(), message);
    }
    socket_close(&name).unwrap();
    assert!(!socket_exist(&name));
    let stats = server.join().remove(0).unwrap();
    assert_eq!(stats.messages, messages.len());
    assert_eq!(stats.close_code, Some(1000), "a clean close handshake");
}

#[test]
fn a_16_mib_message_round_trips() {
    let server = ws_server(1, echo);
    let name = connect_to(&server.ws_url("/"), "big");
    let payload: Vec<u8> = (0..16 << 20).map(|i| (i % 251) as u8).collect();
    socket_write(&name, payload.clone()).unwrap();
    assert_eq!(socket_read(&name).unwrap().into_bytes(), payload);
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn the_path_query_and_protocols_reach_the_server() {
    let server = ws_server_with_request(1, echo_first_offered_protocol(), |head, ws| {
        echo(ws);
        head
    });
    let name = unique_name("request");
    websocket_client_connect(
        &name,
        "127.0.0.1",
        server.port(),
        "chat?room=7",
        " v2.chat , v1 ",
    )
    .unwrap();
    assert_eq!(socket_protocol(&name).unwrap().as_deref(), Some("v2.chat"));
    assert_eq!(socket_handle(&name).unwrap().protocol(), Some("v2.chat"));
    socket_close(&name).unwrap();
    let host = format!("127.0.0.1:{}", server.port());
    let head = server.join().remove(0).unwrap();
    assert_eq!(head.uri, "/chat?room=7");
    assert_eq!(head.offered_protocols(), ["v2.chat", "v1"]);
    assert_eq!(head.header("host"), Some(host.as_str()));
}

#[test]
fn ipv6_loopback_works_with_and_without_brackets() {
    let Ok(listener) = std::net::TcpListener::bind("[::1]:0") else {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    };
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        for _ in 0..2 {
            let (stream, _) = listener.accept().unwrap();
            echo(tungstenite::accept(stream).unwrap());
        }
    });
    for host in ["::1", "[::1]"] {
        let name = unique_name("ipv6");
        websocket_client_connect(&name, host, port, "/", "").unwrap();
        socket_write(&name, host).unwrap();
        assert_eq!(socket_read(&name).unwrap(), Message::from(host));
        socket_close(&name).unwrap();
    }
    server.join().unwrap();
}

#[test]
fn a_write_returns_while_another_thread_is_blocked_reading_the_same_socket() {
    // The server tells the test what it received, and answers only when the test says so.
    let (received_tx, received_rx) = mpsc::channel();
    let (gate, release_tx) = gate();
    let server = ws_server(1, move |mut ws| {
        let message = ws.read().unwrap();
        received_tx
            .send(message.to_text().unwrap().to_owned())
            .unwrap();
        gate.wait();
        ws.send(tungstenite::Message::text("answer")).unwrap();
        echo(ws)
    });
    let name = connect_to(&server.ws_url("/"), "duplex");

    let (read_tx, read_rx) = mpsc::channel();
    let reader = {
        let name = name.clone();
        thread::spawn(move || {
            read_tx.send("reading").unwrap();
            read_tx.send(if socket_read(&name).unwrap() == Message::from("answer") {
                "got the answer"
            } else {
                "wrong message"
            })
        })
    };
    assert_eq!(read_rx.recv_timeout(HANG_GUARD).unwrap(), "reading");

    // The write goes through although the reader holds its turn and waits.
    let writer = {
        let name = name.clone();
        thread::spawn(move || socket_write(&name, "question"))
    };
    assert_eq!(received_rx.recv_timeout(HANG_GUARD).unwrap(), "question");
    writer.join().unwrap().unwrap();
    assert!(
        read_rx.try_recv().is_err(),
        "the reader is still waiting: the server has not answered yet"
    );

    release_tx.send(()).unwrap();
    assert_eq!(read_rx.recv_timeout(HANG_GUARD).unwrap(), "got the answer");
    reader.join().unwrap().unwrap();
    socket_close(&name).unwrap();
    assert_eq!(server.join().remove(0).unwrap().close_code, Some(1000));
}

#[test]
fn close_from_another_thread_wakes_a_blocked_reader_with_closed() {
    let server = ws_server(1, echo);
    let name = connect_to(&server.ws_url("/"), "wake");
    let (started_tx, started_rx) = mpsc::channel();
    // The reader holds a handle, so it reads the connection even once the name is gone.
    let handle = socket_handle(&name).unwrap();
    let reader = thread::spawn(move || {
        started_tx.send(()).unwrap();
        handle.read()
    });
    started_rx.recv_timeout(HANG_GUARD).unwrap();
    socket_close(&name).unwrap();
    let error = reader.join().unwrap().unwrap_err();
    assert_eq!(error.close_code(), Some(1000), "{error:?}");
    assert!(!socket_exist(&name));
    assert_eq!(server.join().remove(0).unwrap().close_code, Some(1000));
}

#[test]
#[cfg_attr(
    windows,
    ignore = "under Wine a shutdown from another thread does not always wake a thread in WSAPoll"
)]
fn close_wakes_a_blocked_reader_even_when_the_server_never_answers() {
    // The server reads nothing and never answers our Close: the close timeout cuts it off.
    let (gate, done_tx) = gate();
    let server = ws_server(1, move |_ws| {
        gate.wait();
    });
    let options = ConnectOptions::new().close_timeout(Duration::from_millis(200));
    let socket = Socket::connect_with(&server.ws_url("/"), &options).unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let reader = {
        let socket = socket.clone();
        thread::spawn(move || {
            started_tx.send(()).unwrap();
            socket.read()
        })
    };
    started_rx.recv_timeout(HANG_GUARD).unwrap();
    socket.close().unwrap();
    let error = reader.join().unwrap().unwrap_err();
    assert_eq!(error.close_code(), Some(1000), "{error:?}");
    assert_eq!(socket.state(), State::Closed);
    done_tx.send(()).unwrap();
    server.join();
}

#[test]
fn every_message_before_the_servers_close_comes_first_then_the_close() {
    let server = ws_server(1, |mut ws| {
        let messages = (0..100).map(|i| tungstenite::Message::text(format!("message {i}")));
        send_all_then_close(&mut ws, messages, Some((4000, "that's all")));
    });
    let name = connect_to(&server.ws_url("/"), "drain");
    for i in 0..100 {
        assert_eq!(
            socket_read(&name).unwrap(),
            Message::Text(format!("message {i}"))
        );
    }
    for _ in 0..2 {
        let error = socket_read(&name).unwrap_err();
        let Error::Closed(info) = &error else {
            panic!("expected closed, got {error:?}")
        };
        assert_eq!((info.code, info.reason.as_str()), (4000, "that's all"));
    }
    assert!(socket_exist(&name));
    assert_eq!(socket_state(&name).unwrap(), State::Closed);
    socket_close(&name).unwrap();
    server.join();
}

/// What `stream_fast` sends: message `i` of a fast stream, its size varying from 0 to 300
/// bytes, text and binary in turn.
fn fast_stream_message(i: usize) -> Message {
    let body = format!("{i}:").repeat(i % 60);
    if i % 2 == 0 {
        Message::Text(body)
    } else {
        Message::Binary(body.into_bytes())
    }
}

const FAST_STREAM_LEN: usize = 200_000;

/// A server that sends [`FAST_STREAM_LEN`] messages as fast as it can (megabytes queued at
/// once), then closes with 4001.
fn stream_fast<S: std::io::Read + std::io::Write>(mut ws: tungstenite::WebSocket<S>) {
    let messages = (0..FAST_STREAM_LEN).map(|i| match fast_stream_message(i) {
        Message::Text(text) => tungstenite::Message::text(text),
        Message::Binary(bytes) => tungstenite::Message::binary(bytes),
    });
    send_all_then_close(&mut ws, messages, Some((4001, "stream done")));
}

fn read_fast_stream(name: &str) {
    for i in 0..FAST_STREAM_LEN {
        assert_eq!(
            socket_read(name).unwrap(),
            fast_stream_message(i),
            "message {i}"
        );
    }
    let error = socket_read(name).unwrap_err();
    assert!(
        matches!(&error, Error::Closed(info) if info.code == 4001),
        "{error:?}"
    );
    socket_close(name).unwrap();
}

#[test]
fn a_fast_stream_of_small_messages_arrives_whole_and_in_order() {
    // Large enough that reads fill the read buffer: the socket is read in gulps.
    let server = ws_server(1, stream_fast);
    let name = connect_to(&server.ws_url("/"), "fast");
    read_fast_stream(&name);
    server.join();
}

#[test]
#[cfg_attr(
    windows,
    ignore = "under Wine the reader sometimes misses the end of a TLS burst (1 run in 5)"
)]
fn a_fast_stream_over_tls_arrives_whole_and_in_order() {
    let fixture = tls_fixture();
    let server = tls_ws_server(&fixture, 1, stream_fast);
    let name = unique_name("fast-tls");
    let options = ConnectOptions::new()
        .add_root_certificate(Certificate::from_der(&fixture.cert_der).unwrap());
    websocket_client_connect_with(&name, &server.wss_url("/"), &options).unwrap();
    read_fast_stream(&name);
    server.join();
}

#[test]
fn a_close_frame_without_a_code_reads_as_1005() {
    let server = ws_server(1, |mut ws| {
        ws.close(None).unwrap();
        while ws.read().is_ok() {}
    });
    let name = connect_to(&server.ws_url("/"), "no-code");
    assert_eq!(socket_read(&name).unwrap_err().close_code(), Some(1005));
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn a_connection_dropped_without_close_reads_as_1006() {
    let server = ws_server(1, drop);
    let name = connect_to(&server.ws_url("/"), "dropped");
    let error = socket_read(&name).unwrap_err();
    assert_eq!(error.close_code(), Some(1006), "{error}");
    assert_eq!(socket_state(&name).unwrap(), State::Closed);
    assert!(socket_write(&name, "x").unwrap_err().is_closed());
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn our_close_code_and_reason_reach_the_server() {
    let server = ws_server(1, echo);
    let name = connect_to(&server.ws_url("/"), "close-reason");
    socket_close_with(&name, 4321, "bye for now").unwrap();
    let stats = server.join().remove(0).unwrap();
    assert_eq!(stats.close_code, Some(4321));
    assert_eq!(stats.close_reason, "bye for now");
}

#[test]
fn a_read_timeout_leaves_the_socket_usable() {
    let server = ws_server(1, echo);
    let name = connect_to(&server.ws_url("/"), "read-timeout");
    let error = socket_read_timeout(&name, Duration::from_millis(50)).unwrap_err();
    assert_eq!(error.timeout_phase(), Some(Timeout::Read));
    assert_eq!(socket_try_read(&name).unwrap(), None);
    socket_write(&name, "after the timeout").unwrap();
    assert_eq!(
        socket_read_timeout(&name, HANG_GUARD).unwrap(),
        Message::from("after the timeout")
    );
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn try_read_returns_what_has_arrived_without_waiting() {
    let server = ws_server(1, |mut ws| {
        // Two messages, then wait for the client's close.
        ws.send(tungstenite::Message::text("one")).unwrap();
        ws.send(tungstenite::Message::binary(vec![2u8])).unwrap();
        echo(ws)
    });
    let name = connect_to(&server.ws_url("/"), "try-read");
    // The first read waits; the second message is then already here or soon will be.
    assert_eq!(
        socket_read_timeout(&name, HANG_GUARD).unwrap(),
        Message::from("one")
    );
    let deadline = std::time::Instant::now() + HANG_GUARD;
    let second = loop {
        if let Some(message) = socket_try_read(&name).unwrap() {
            break message;
        }
        assert!(std::time::Instant::now() < deadline, "hang guard");
        thread::yield_now();
    };
    assert_eq!(second, Message::Binary(vec![2]));
    assert_eq!(socket_try_read(&name).unwrap(), None);
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn fragmented_messages_are_reassembled_and_pings_answered() {
    let server = ws_server(1, |mut ws| {
        let text = OpCode::Data(Data::Text);
        let more = OpCode::Data(Data::Continue);
        ws.write(tungstenite::Message::Frame(Frame::message(
            "Bon", text, false,
        )))
        .unwrap();
        // A ping between fragments: allowed by RFC 6455, answered by the client.
        ws.write(tungstenite::Message::Ping("are you there".into()))
            .unwrap();
        ws.write(tungstenite::Message::Frame(Frame::message(
            "jour ", more, false,
        )))
        .unwrap();
        ws.write(tungstenite::Message::Frame(Frame::message(
            "à tous", more, true,
        )))
        .unwrap();
        ws.flush().unwrap();
        let pong = loop {
            match ws.read().unwrap() {
                tungstenite::Message::Pong(payload) => break payload,
                _ => continue,
            }
        };
        assert_eq!(&pong[..], b"are you there");
        echo(ws)
    });
    let name = connect_to(&server.ws_url("/"), "fragments");
    assert_eq!(socket_read(&name).unwrap(), Message::from("Bonjour à tous"));
    // The pong goes out on the next read; this one waits for the server's echo.
    socket_write(&name, "and back").unwrap();
    assert_eq!(socket_read(&name).unwrap(), Message::from("and back"));
    socket_close(&name).unwrap();
    server.join();
}

#[test]
fn invalid_utf8_in_a_text_message_fails_the_connection_with_1007() {
    let server = ws_server(1, |mut ws| {
        let bad = Frame::message(vec![b'o', b'k', 0xff, 0xfe], OpCode::Data(Data::Text), true);
        ws.send(tungstenite::Message::Frame(bad)).unwrap();
        echo(ws)
    });
    let name = connect_to(&server.ws_url("/"), "utf8");
    let error = socket_read(&name).unwrap_err();
    assert!(matches!(error, Error::Protocol(_)), "{error:?}");
    assert!(error.to_string().contains("UTF-8"), "{error}");
    assert_eq!(socket_read(&name).unwrap_err().close_code(), Some(1007));
    socket_close(&name).unwrap();
    assert_eq!(server.join().remove(0).unwrap().close_code, Some(1007));
}

#[test]
fn an_oversized_message_fails_the_connection_with_1009_naming_the_limit() {
    let server = ws_server(1, |mut ws| {
        ws.send(tungstenite::Message::binary(vec![7u8; 2000]))
            .unwrap();
        echo(ws)
    });
    let options = ConnectOptions::new()
        .max_message_size(Some(1024))
        .max_frame_size(Some(1024));
    let name = unique_name("too-big");
    websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
    let error = socket_read(&name).unwrap_err();
    assert!(matches!(error, Error::Capacity(_)), "{error:?}");
    assert!(error.to_string().contains("max_frame_size"), "{error}");
    socket_close(&name).unwrap();
    assert_eq!(server.join().remove(0).unwrap().close_code, Some(1009));
}

#[test]
fn messages_written_from_several_threads_are_never_interleaved() {
    const THREADS: usize = 4;
    const EACH: usize = 200;
    let server = ws_server(1, |mut ws| {
        let mut seen = Vec::new();
        while let Ok(message) = ws.read() {
            if let tungstenite::Message::Binary(payload) = message {
                // Each message is its thread's byte, repeated; its length encodes the index.
                assert!(payload.iter().all(|b| *b == payload[0]), "interleaved");
                seen.push((payload[0], payload.len()));
            }
        }
        seen
    });
    let name = connect_to(&server.ws_url("/"), "writers");
    let writers: Vec<_> = (0..THREADS)
        .map(|t| {
            let name = name.clone();
            thread::spawn(move || {
                for i in 0..EACH {
                    socket_write(&name, vec![t as u8; 1 + i * 97]).unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    socket_close(&name).unwrap();
    let seen = server.join().remove(0).unwrap();
    assert_eq!(seen.len(), THREADS * EACH);
    for t in 0..THREADS {
        let lengths: Vec<usize> = seen
            .iter()
            .filter(|(b, _)| *b == t as u8)
            .map(|(_, len)| *len)
            .collect();
        let expected: Vec<usize> = (0..EACH).map(|i| 1 + i * 97).collect();
        assert_eq!(
            lengths, expected,
            "thread {t}'s messages arrive in its order"
        );
    }
}

#[test]
fn redirects_are_followed_up_to_the_limit() {
    let target = ws_server(1, echo);
    let location = target.ws_url("/final");
    let redirect = raw_server(2, move |mut stream: TcpStream| {
        read_request_head(&mut stream);
        let answer =
            format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n");
        stream.write_all(answer.as_bytes()).unwrap();
    });
    // Another port is another origin: allowed explicitly.
    let name = unique_name("redirect");
    let cross_origin = ConnectOptions::new().follow_cross_origin_redirects(true);
    websocket_client_connect_with(&name, &redirect.ws_url("/start"), &cross_origin).unwrap();
    assert_eq!(socket_handle(&name).unwrap().url(), target.ws_url("/final"));
    socket_write(&name, "via redirect").unwrap();
    assert_eq!(socket_read(&name).unwrap(), Message::from("via redirect"));
    socket_close(&name).unwrap();

    let no_redirects = cross_origin.max_redirects(0);
    let error = websocket_client_connect_with(
        &unique_name("no-redirect"),
        &redirect.ws_url("/start"),
        &no_redirects,
    )
    .unwrap_err();
    assert_eq!(error.http_status(), Some(302), "{error}");
    redirect.join();
    target.join();
}

#[test]
fn socket_close_during_a_connect_frees_the_name_and_the_connect_fails() {
    let (accepted_tx, accepted_rx) = mpsc::channel();
    let (gate, release_tx) = gate();
    let server = raw_server(1, move |stream| {
        accepted_tx.send(()).unwrap();
        gate.wait();
        tungstenite::accept(stream).map(echo).ok()
    });
    let name = unique_name("cancel");
    let connecting = {
        let (name, url) = (name.clone(), server.ws_url("/"));
        thread::spawn(move || websocket_client_connect_url(&name, &url))
    };
    accepted_rx.recv_timeout(HANG_GUARD).unwrap();
    assert!(socket_exist(&name), "the name is taken while connecting");
    assert_eq!(socket_state(&name).unwrap(), State::Connecting);
    assert!(matches!(
        socket_write(&name, "x"),
        Err(Error::NotOpen(State::Connecting))
    ));
    socket_close(&name).unwrap();
    assert!(!socket_exist(&name));
    release_tx.send(()).unwrap();
    let error = connecting.join().unwrap().unwrap_err();
    assert!(error.is_closed(), "{error:?}");
    assert!(!socket_exist(&name));
    assert_eq!(server.join().remove(0).unwrap().close_code, Some(1000));
}

#[test]
fn dropping_the_last_handle_says_going_away() {
    let server = ws_server(1, echo);
    let socket = Socket::connect(&server.ws_url("/")).unwrap();
    socket.write("hi").unwrap();
    assert_eq!(socket.read().unwrap(), Message::from("hi"));
    drop(socket);
    assert_eq!(server.join().remove(0).unwrap().close_code, Some(1001));
}

#[test]
fn handles_and_names_share_one_connection() {
    let server = ws_server(1, echo);
    let name = connect_to(&server.ws_url("/"), "shared");
    let handle = socket_handle(&name).unwrap();
    handle.write("from the handle").unwrap();
    assert_eq!(
        socket_read(&name).unwrap(),
        Message::from("from the handle")
    );
    socket_close(&name).unwrap();
    assert!(handle.write("x").unwrap_err().is_closed());
    server.join();
}

#[test]
fn an_answer_to_a_message_before_a_violation_goes_out_before_the_close() {
    let server = ws_server(1, answer_then_violate);
    let name = connect_to(&server.ws_url("/"), "violation");
    let question = socket_read(&name).unwrap();
    socket_write(&name, question.into_text().unwrap() + ": answered").unwrap();
    let error = socket_read(&name).unwrap_err();
    assert!(matches!(error, Error::Protocol(_)), "{error:?}");
    socket_close(&name).unwrap();
    assert_eq!(
        server.join().remove(0).unwrap(),
        ["answer me: answered", "close 1002"]
    );
}

#[test]
fn timeouts_of_duration_max_wait_without_limit_on_every_platform() {
    // 15 MiB is more than loopback's socket buffers hold: the writer has to wait for room, and
    // the reader, started first, waits for the answer all along.
    const SIZE: usize = 15 << 20;
    let server = ws_server(1, |mut ws| {
        let got = ws.read().unwrap().into_data().len();
        ws.send(tungstenite::Message::text(format!("got {got}")))
            .unwrap();
        echo(ws)
    });
    let name = unique_name("duration-max");
    let options = ConnectOptions::new()
        .write_timeout(Duration::MAX)
        .close_timeout(Duration::MAX);
    websocket_client_connect_with(&name, &server.ws_url("/"), &options).unwrap();
    let reader = {
        let name = name.clone();
        thread::spawn(move || socket_read_timeout(&name, Duration::MAX))
    };
    socket_write(&name, vec![1u8; SIZE]).unwrap();
    assert_eq!(
        reader.join().unwrap().unwrap(),
        Message::from(format!("got {SIZE}"))
    );
    socket_close(&name).unwrap();
    assert_eq!(server.join().remove(0).unwrap().close_code, Some(1000));
}
