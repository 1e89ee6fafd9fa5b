//! What a reader holds ahead of the application is bounded in bytes, whatever the peer sends:
//! a ping behind unread messages, a flood of large messages, compressed messages that inflate
//! a thousandfold. The compressed tests judge memory by what the client has inflated and not
//! handed out yet (`bytes_received_uncompressed` minus the messages taken), which every
//! platform counts the same.

mod common;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use named_websocket::*;

/// A blocking ping that must return within its timeout, on its own thread so that a spinning
/// one fails the test instead of hanging it. Returns its result and how long it took.
fn ping_on_a_thread(socket: &Socket, timeout: Duration) -> (Result<Duration>, Duration) {
    let socket = socket.clone();
    let (done, result) = mpsc::channel();
    thread::spawn(move || {
        let started = Instant::now();
        let answer = socket.ping(timeout);
        let _ = done.send((answer, started.elapsed()));
    });
    result
        .recv_timeout(HANG_GUARD)
        .expect("the ping did not return: it ignored its timeout")
}

#[test]
fn a_ping_behind_unread_messages_returns_in_time_and_keeps_them() {
    let (gate, open) = gate();
    let (sent, all_sent) = mpsc::channel();
    let server = ws_server(1, move |mut ws| {
        for i in 0..40 {
            let text = format!("{i:04}{}", ".".repeat(1020));
            ws.send(tungstenite::Message::text(text)).unwrap();
        }
        sent.send(()).unwrap();
        gate.wait();
        // From now on the server reads, which answers the client's pings, until it closes.
        while ws.read().is_ok() {}
    });
    let socket = Socket::connect(&server.ws_url("/")).unwrap();
    all_sent.recv_timeout(HANG_GUARD).unwrap();

    // 40 KiB wait unread and the server answers nothing yet.
    let timeout = Duration::from_millis(300);
    let (answer, took) = ping_on_a_thread(&socket, timeout);
    assert!(
        matches!(answer, Err(Error::Timeout(Timeout::Pong))),
        "{answer:?}"
    );
    assert!(took < timeout + Duration::from_secs(1), "took {took:?}");

    open.send(()).unwrap();
    let (answer, _) = ping_on_a_thread(&socket, HANG_GUARD);
    assert!(answer.is_ok(), "the server answers now: {answer:?}");
    for i in 0..40 {
        let message = socket.read_timeout(HANG_GUARD).unwrap();
        let text = message.as_text().expect("a text");
        assert!(
            text.starts_with(&format!("{i:04}")),
            "message {i} kept in order"
        );
    }
    socket.close().unwrap();
    server.join();
}

#[test]
fn a_ping_amid_a_flood_of_large_messages_returns_in_time_and_reads_a_bounded_amount() {
    const SIZE: usize = 4096;
    const MOST: u32 = 16384; // 64 MiB
    let server = ws_server(1, |mut ws| {
        let mut payload = vec![7u8; SIZE];
        for i in 0..MOST {
            payload[..4].copy_from_slice(&i.to_be_bytes());
            if ws
                .send(tungstenite::Message::binary(payload.clone()))
                .is_err()
            {
                return i;
            }
        }
        MOST
    });
    let options = ConnectOptions::new().close_timeout(Duration::from_millis(100));
    let socket = Socket::connect_with(&server.ws_url("/"), &options).unwrap();
    let first = socket.read_timeout(HANG_GUARD).unwrap();
    assert_eq!(&first.as_bytes()[..4], &0u32.to_be_bytes());

    // The server sends without end and never reads, so no pong can come.
    let timeout = Duration::from_millis(300);
    let (answer, took) = ping_on_a_thread(&socket, timeout);
    assert!(
        matches!(answer, Err(Error::Timeout(Timeout::Pong))),
        "{answer:?}"
    );
    assert!(took < timeout + Duration::from_secs(1), "took {took:?}");
    // The ping keeps 1 MiB of messages; with the transport's buffers, well under 4 MiB.
    let received = socket.info().bytes_received;
    assert!(
        received < 4 << 20,
        "the ping read {received} bytes ahead: the read-ahead has no byte bound"
    );

    for i in 1..=300u32 {
        let message = socket.read_timeout(HANG_GUARD).unwrap();
        assert_eq!(&message.as_bytes()[..4], &i.to_be_bytes(), "kept in order");
    }
    socket.close().unwrap();
    drop(socket); // the server's last write fails now
    server.join();
}

/// The limit of the compressed tests, and their messages: just under it, 4 KiB on the wire.
const LIMIT: usize = 4 << 20;
const SIZE: usize = LIMIT - 1024;
const COUNT: usize = 64;

/// A server that sends [`COUNT`] compressed messages of [`SIZE`] zeros, says when the first 16
/// are out, then waits for the client's Close.
fn compressed_flood() -> (Server<()>, mpsc::Receiver<()>) {
    let (sent, sixteen_sent) = mpsc::channel();
    let server = deflate_server(
        1,
        |_| Some("permessage-deflate".into()),
        move |mut peer| {
            // Compressed once, from a fresh context: valid again as every later message.
            let payload = peer.deflate(&vec![0u8; SIZE]);
            assert!(payload.len() < 8 * 1024, "{} bytes", payload.len());
            for i in 0..COUNT {
                if i == 16 {
                    sent.send(()).unwrap();
                }
                peer.frame(true, true, OP_BINARY, &payload).unwrap();
            }
            peer.until_close();
        },
    );
    (server, sixteen_sent)
}

fn compressed_options() -> ConnectOptions {
    ConnectOptions::new()
        .compression(Compression::new())
        .max_message_size(Some(LIMIT))
        .max_frame_size(Some(LIMIT))
}

#[test]
fn blocking_reads_of_compressed_messages_hold_a_bounded_amount() {
    let (server, sixteen_sent) = compressed_flood();
    let socket = Socket::connect_with(&server.ws_url("/"), &compressed_options()).unwrap();
    sixteen_sent.recv_timeout(HANG_GUARD).unwrap();
    let mut worst = 0;
    for taken in 1..=COUNT as u64 {
        let message = socket.read_timeout(HANG_GUARD).unwrap();
        assert_eq!(message.len(), SIZE);
        let inflated = socket.info().bytes_received_uncompressed;
        worst = worst.max(inflated - taken * SIZE as u64);
    }
    eprintln!("blocking: at most {} KiB inflated ahead", worst / 1024);
    // The read-ahead stops once 32 KiB wait; with the message the engine assembles, under
    // two messages.
    assert!(
        worst < 2 * LIMIT as u64,
        "{} MiB inflated and not taken",
        worst >> 20
    );
    socket.close().unwrap();
    server.join();
}

#[test]
fn an_asynchronous_socket_holds_a_bounded_amount_of_compressed_messages() {
    let _serial = serial();
    let (server, sixteen_sent) = compressed_flood();
    let name = unique_name("compressed-flood");
    let taken = Arc::new(AtomicUsize::new(0));
    let worst = Arc::new(AtomicU64::new(0));
    let (taken_in, worst_in) = (Arc::clone(&taken), Arc::clone(&worst));
    websocket_client_connect_async_with(
        &name,
        move |name, event| {
            if let Event::Message(message) = event {
                assert_eq!(message.len(), SIZE);
                let taken = taken_in.fetch_add(1, Ordering::SeqCst) as u64 + 1;
                let inflated = socket_info(name).unwrap().bytes_received_uncompressed;
                worst_in.fetch_max(inflated - taken * SIZE as u64, Ordering::SeqCst);
            }
        },
        &server.ws_url("/"),
        &compressed_options(),
    )
    .unwrap();
    sixteen_sent.recv_timeout(HANG_GUARD).unwrap();
    dispatch_until(|| taken.load(Ordering::SeqCst) == COUNT).unwrap();
    let worst = worst.load(Ordering::SeqCst);
    eprintln!("asynchronous: at most {} KiB inflated ahead", worst / 1024);
    // What waits for dispatch (the 16 MiB event budget plus one message), the batch the
    // worker holds while it waits for room (32 KiB plus one message), the message the engine
    // assembles.
    let bound = (16 << 20) + 3 * LIMIT as u64 + (64 << 10);
    assert!(worst < bound, "{} MiB inflated and not taken", worst >> 20);
    socket_close(&name).unwrap();
    server.join();
}
