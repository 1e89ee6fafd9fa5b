//! permessage-deflate (RFC 7692) against a loopback server that compresses with flate2
//! directly: the offer, every negotiation parameter, every answer the client must refuse,
//! both directions in both modes, fragments with pings between them, and the errors.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use named_websocket::*;

fn options(compression: Compression) -> ConnectOptions {
    ConnectOptions::new().compression(compression)
}

/// Answers the offer with `answer` after checking that the offer is `expected_offer`.
fn answering(
    expected_offer: &'static str,
    answer: &'static str,
) -> impl Fn(Option<&str>) -> Option<String> + Send + Sync + 'static {
    move |offer| {
        assert_eq!(offer, Some(expected_offer));
        Some(answer.to_owned())
    }
}

/// Text-like payloads of several sizes, from empty to larger than one 16 KiB chunk.
fn payloads() -> Vec<String> {
    let line = r#"{"symbol":"BTC-USD","price":"64123.17","size":"0.0134","side":"buy"}"#;
    [0usize, 1, 15, 16, 100, 5_000, 70_000]
        .iter()
        .map(|&n| line.repeat(n / line.len() + 1)[..n].to_owned())
        .collect()
}

fn sent(received: &[Received]) -> Vec<(Vec<u8>, bool)> {
    received
        .iter()
        .filter_map(|r| match r {
            Received::Message {
                payload,
                compressed,
                ..
            } => Some((payload.clone(), *compressed)),
            _ => None,
        })
        .collect()
}

#[test]
fn messages_go_both_ways_compressed_and_info_tells() {
    let server = deflate_server(
        1,
        answering(
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate",
        ),
        Peer::echo,
    );
    let socket = Socket::connect_with(&server.ws_url("/"), &options(Compression::new())).unwrap();
    for text in payloads() {
        socket.write(text.as_str()).unwrap();
        assert_eq!(socket.read().unwrap(), Message::Text(text));
    }
    socket.write(vec![0u8; 3000]).unwrap();
    assert_eq!(socket.read().unwrap(), Message::Binary(vec![0u8; 3000]));
    let info = socket.info();
    assert_eq!(
        info.extensions.as_deref(),
        Some("permessage-deflate; server_max_window_bits=15; client_max_window_bits=15")
    );
    assert!(
        info.bytes_sent_compressed < info.bytes_sent_uncompressed / 4,
        "{info:?}"
    );
    assert!(info.bytes_received_compressed < info.bytes_received_uncompressed / 4);
    // What went out compressed came back compressed: the server compresses every message.
    assert_eq!(info.bytes_received_uncompressed, 75_132 + 3000);
    // Only messages of 16 bytes or more were compressed.
    assert_eq!(info.bytes_sent_uncompressed, 75_132 - 16 + 3000);
    socket.close().unwrap();
    let received = server.join().remove(0);
    let sent = sent(&received);
    // The threshold (16 bytes) keeps the shortest messages plain.
    let plain: Vec<usize> = sent
        .iter()
        .filter(|(_, c)| !c)
        .map(|(p, _)| p.len())
        .collect();
    assert_eq!(plain, [0, 1, 15]);
    assert_eq!(received.last(), Some(&Received::Close(Some(1000))));
}

#[test]
fn asynchronous_sockets_compress_both_ways() {
    let _serial = serial();
    let server = deflate_server(1, |_| Some("permessage-deflate".into()), Peer::echo);
    let name = unique_name("deflate-async");
    let got = Arc::new(Mutex::new(Vec::new()));
    let open = Arc::new(AtomicBool::new(false));
    let (record, opened) = (Arc::clone(&got), Arc::clone(&open));
    websocket_client_connect_async_with(
        &name,
        move |_name: &str, event: Event| match event {
            Event::Open { .. } => opened.store(true, Ordering::SeqCst),
            Event::Message(message) => record.lock().unwrap().push(message),
            _ => {}
        },
        &server.ws_url("/"),
        &options(Compression::new()),
    )
    .unwrap();
    dispatch_until(|| open.load(Ordering::SeqCst)).unwrap();
    for text in payloads() {
        socket_write(&name, text.as_str()).unwrap();
    }
    let expected: Vec<Message> = payloads().into_iter().map(Message::Text).collect();
    let count = expected.len();
    dispatch_until(|| got.lock().unwrap().len() == count).unwrap();
    assert_eq!(*got.lock().unwrap(), expected);
    let info = socket_info(&name).unwrap();
    assert!(info.extensions.is_some() && info.bytes_received_compressed > 0);
    socket_close(&name).unwrap();
    let received = server.join().remove(0);
    assert_eq!(sent(&received).len(), count);
}

#[test]
fn the_first_message_may_come_with_the_handshake_answer() {
    // The 101 and a compressed message in one write: the transform must hold the frame back
    // from the engine until the answer is checked.
    let server = deflate_server(
        1,
        |_| Some("permessage-deflate".into()),
        |mut peer| {
            peer.send(OP_TEXT, b"welcome, welcome, welcome", None, false)
                .unwrap();
            peer.echo()
        },
    );
    let socket = Socket::connect_with(&server.ws_url("/"), &options(Compression::new())).unwrap();
    assert_eq!(
        socket.read().unwrap(),
        Message::Text("welcome, welcome, welcome".into())
    );
    socket.close().unwrap();
    server.join();
}

#[test]
fn fragmented_messages_with_pings_between_fragments() {
    let big: Vec<u8> = (0..200_000u32)
        .flat_map(|i| (i % 251).to_le_bytes())
        .collect();
    let expected = big.clone();
    let server = deflate_server(
        1,
        |_| Some("permessage-deflate".into()),
        move |mut peer| {
            peer.send(OP_BINARY, &big, Some(1000), true).unwrap();
            peer.send(
                OP_TEXT,
                "fragmented text ".repeat(500).as_bytes(),
                Some(7),
                true,
            )
            .unwrap();
            peer.echo()
        },
    );
    let socket = Socket::connect_with(&server.ws_url("/"), &options(Compression::new())).unwrap();
    assert_eq!(socket.read().unwrap(), Message::Binary(expected));
    assert_eq!(
        socket.read().unwrap(),
        Message::Text("fragmented text ".repeat(500))
    );
    socket.close().unwrap();
    let received = server.join().remove(0);
    // The pings between the fragments were answered (the engine answers only the latest of
    // those that arrive together, as RFC 6455 §5.5.3 allows).
    assert!(received
        .iter()
        .any(|r| matches!(r, Received::Pong(p) if p == b"between")));
}

/// Sends the same message three times and reads the echoes: with a context kept (or lost)
/// where it must not be, the peer's inflater fails on back-references.
fn echo_repeats(options: &ConnectOptions, url: &str) -> ConnectionInfo {
    let socket = Socket::connect_with(url, options).unwrap();
    let text = "the same message, again and again and again ".repeat(20);
    for _ in 0..3 {
        socket.write(text.as_str()).unwrap();
        assert_eq!(socket.read().unwrap(), Message::Text(text.clone()));
    }
    let info = socket.info();
    socket.close().unwrap();
    info
}

#[test]
fn server_no_context_takeover_is_offered_and_honoured() {
    let server = deflate_server(
        1,
        answering(
            "permessage-deflate; server_no_context_takeover; client_max_window_bits",
            "permessage-deflate; server_no_context_takeover",
        ),
        Peer::echo,
    );
    let compression = Compression::new().server_no_context_takeover(true);
    let info = echo_repeats(&options(compression), &server.ws_url("/"));
    assert_eq!(
        info.extensions.as_deref(),
        Some(
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=15; \
             client_max_window_bits=15"
        )
    );
    // Each echo compressed on its own: three times the size of one.
    assert_eq!(info.bytes_received_compressed % 3, 0);
    server.join();
}

#[test]
fn client_no_context_takeover_is_offered_and_honoured() {
    // The server resets its inflater after each message: a client that kept its context
    // would send back-references it cannot follow.
    let server = deflate_server(
        1,
        answering(
            "permessage-deflate; client_no_context_takeover; client_max_window_bits",
            "permessage-deflate; client_no_context_takeover",
        ),
        Peer::echo,
    );
    let compression = Compression::new().client_no_context_takeover(true);
    let info = echo_repeats(&options(compression), &server.ws_url("/"));
    assert!(info
        .extensions
        .unwrap()
        .contains("client_no_context_takeover"));
    assert_eq!(info.bytes_sent_compressed % 3, 0);
    let received = server.join().remove(0);
    assert_eq!(sent(&received).len(), 3);
}

#[test]
fn a_server_may_ask_for_client_no_context_takeover_unoffered() {
    let server = deflate_server(
        1,
        |_| Some("permessage-deflate; client_no_context_takeover".into()),
        Peer::echo,
    );
    let info = echo_repeats(&options(Compression::new()), &server.ws_url("/"));
    assert_eq!(info.bytes_sent_compressed % 3, 0);
    server.join();
}

#[test]
fn server_max_window_bits_is_offered_and_used() {
    let server = deflate_server(
        1,
        answering(
            "permessage-deflate; server_max_window_bits=10; client_max_window_bits",
            "permessage-deflate; server_max_window_bits=9",
        ),
        Peer::echo,
    );
    let compression = Compression::new().server_max_window_bits(Some(10));
    let info = echo_repeats(&options(compression), &server.ws_url("/"));
    assert!(info
        .extensions
        .unwrap()
        .contains("server_max_window_bits=9;"));
    server.join();
}

#[test]
fn client_max_window_bits_is_offered_and_used() {
    let server = deflate_server(
        1,
        answering(
            "permessage-deflate; client_max_window_bits=12",
            "permessage-deflate; client_max_window_bits=8",
        ),
        Peer::echo,
    );
    let compression = Compression::new().client_max_window_bits(Some(12));
    let info = echo_repeats(&options(compression), &server.ws_url("/"));
    assert!(info
        .extensions
        .unwrap()
        .ends_with("client_max_window_bits=8"));
    server.join();
}

#[test]
fn client_max_window_bits_can_be_left_out_of_the_offer() {
    // A server that rejects an offer carrying client_max_window_bits: the offer is the bare
    // extension name, and compression works both ways.
    let server = deflate_server(
        1,
        answering("permessage-deflate", "permessage-deflate"),
        Peer::echo,
    );
    let compression = Compression::new().offer_client_max_window_bits(false);
    let info = echo_repeats(&options(compression), &server.ws_url("/"));
    assert!(info.extensions.is_some());
    assert!(info.bytes_sent_compressed > 0 && info.bytes_received_compressed > 0);
    server.join();
}

#[test]
fn level_and_threshold_shape_what_is_sent() {
    let server = deflate_server(1, |_| Some("permessage-deflate".into()), Peer::echo);
    let compression = Compression::new().level(0).threshold(1000);
    let socket = Socket::connect_with(&server.ws_url("/"), &options(compression)).unwrap();
    let short = "x".repeat(999);
    let long = "x".repeat(5000);
    for text in [&short, &long] {
        socket.write(text.as_str()).unwrap();
        assert_eq!(socket.read().unwrap(), Message::Text(text.clone()));
    }
    let info = socket.info();
    // Level 0 stores: the compressed form is a little larger than the text.
    assert_eq!(info.bytes_sent_uncompressed, 5000);
    assert!(info.bytes_sent_compressed > 5000);
    socket.close().unwrap();
    let received = server.join().remove(0);
    assert_eq!(
        sent(&received).iter().map(|(_, c)| *c).collect::<Vec<_>>(),
        [false, true]
    );
}

#[test]
fn a_declined_offer_leaves_the_connection_uncompressed() {
    let server = deflate_server(1, |_| None, Peer::echo);
    let socket = Socket::connect_with(&server.ws_url("/"), &options(Compression::new())).unwrap();
    socket.write("not compressed, not compressed").unwrap();
    assert_eq!(
        socket.read().unwrap(),
        Message::Text("not compressed, not compressed".into())
    );
    let info = socket.info();
    assert_eq!(info.extensions, None);
    assert_eq!(
        info.bytes_sent_compressed + info.bytes_received_compressed,
        0
    );
    socket.close().unwrap();
    assert_eq!(sent(&server.join().remove(0)).len(), 1);
}

#[test]
fn out_of_range_settings_are_invalid_arguments() {
    for compression in [
        Compression::new().server_max_window_bits(Some(7)),
        Compression::new().client_max_window_bits(Some(16)),
        Compression::new().level(10),
    ] {
        let error = Socket::connect_with("ws://127.0.0.1:9/", &options(compression)).unwrap_err();
        assert!(matches!(error, Error::InvalidArgument(_)), "{error}");
    }
}

/// Connects with `compression` to a server answering `answer`; returns the handshake error.
fn refused(compression: Compression, answer: &'static str) -> String {
    let server = deflate_server(1, move |_| Some(answer.to_owned()), |_peer| ());
    let error = Socket::connect_with(&server.ws_url("/"), &options(compression)).unwrap_err();
    server.join();
    match error {
        Error::Handshake(_) => error.to_string(),
        other => panic!("{answer:?}: expected a handshake error, got {other:?}"),
    }
}

macro_rules! bad_answers {
    ($($name:ident: $compression:expr, $answer:expr => $says:expr;)*) => {$(
        #[test]
        fn $name() {
            let text = refused($compression, $answer);
            assert!(text.contains($says), "{:?}: {text}", $answer);
        }
    )*};
}

bad_answers! {
    refuses_an_unknown_parameter:
        Compression::new(), "permessage-deflate; mem_level=5"
        => "unknown parameter \"mem_level\"";
    refuses_a_window_above_15:
        Compression::new(), "permessage-deflate; server_max_window_bits=16"
        => "expected a decimal integer from 8 to 15";
    refuses_a_window_below_8:
        Compression::new(), "permessage-deflate; client_max_window_bits=7"
        => "expected a decimal integer from 8 to 15";
    refuses_a_window_with_a_leading_zero:
        Compression::new(), "permessage-deflate; server_max_window_bits=09"
        => "without leading zeros";
    refuses_a_window_without_a_value:
        Compression::new(), "permessage-deflate; client_max_window_bits"
        => "client_max_window_bits without a value";
    refuses_a_parameter_twice:
        Compression::new(), "permessage-deflate; server_no_context_takeover; server_no_context_takeover"
        => "server_no_context_takeover twice";
    refuses_a_value_on_a_flag:
        Compression::new(), "permessage-deflate; client_no_context_takeover=1"
        => "expected no value";
    refuses_an_extension_not_offered:
        Compression::new(), "x-webkit-deflate-frame"
        => "\"x-webkit-deflate-frame\", which the client did not offer";
    refuses_the_extension_twice:
        Compression::new(), "permessage-deflate, permessage-deflate"
        => "permessage-deflate more than once";
    refuses_an_answer_without_the_asked_server_no_context_takeover:
        Compression::new().server_no_context_takeover(true), "permessage-deflate"
        => "asked for server_no_context_takeover and the server's answer lacks it";
    refuses_an_answer_without_the_offered_server_window:
        Compression::new().server_max_window_bits(Some(10)), "permessage-deflate"
        => "offered server_max_window_bits=10 and the server's answer lacks it";
    refuses_a_server_window_larger_than_offered:
        Compression::new().server_max_window_bits(Some(10)), "permessage-deflate; server_max_window_bits=11"
        => "server_max_window_bits=11, larger than the 10 offered";
    refuses_a_client_window_larger_than_offered:
        Compression::new().client_max_window_bits(Some(10)), "permessage-deflate; client_max_window_bits=12"
        => "client_max_window_bits=12, larger than the 10 offered";
    refuses_a_client_window_that_was_left_out:
        Compression::new().offer_client_max_window_bits(false), "permessage-deflate; client_max_window_bits=12"
        => "client_max_window_bits, which the offer left out";
    refuses_a_malformed_header:
        Compression::new(), "permessage-deflate; ;"
        => "malformed Sec-WebSocket-Extensions header";
}

#[test]
fn an_extension_is_refused_when_nothing_was_offered() {
    let server = deflate_server(
        1,
        |offer| {
            assert_eq!(offer, None);
            Some("permessage-deflate".into())
        },
        |_peer| (),
    );
    let error = Socket::connect(&server.ws_url("/")).unwrap_err();
    assert!(matches!(error, Error::Handshake(_)), "{error}");
    assert!(
        error.to_string().contains("which the client did not offer"),
        "{error}"
    );
    server.join();
}

/// Connects, lets `misbehave` write, reads: returns the read's error and the close code the
/// server received.
fn violation(misbehave: fn(&mut Peer)) -> (Error, Option<u16>) {
    let server = deflate_server(
        1,
        |_| Some("permessage-deflate".into()),
        move |mut peer| {
            misbehave(&mut peer);
            peer.until_close()
        },
    );
    let socket = Socket::connect_with(&server.ws_url("/"), &options(Compression::new())).unwrap();
    let error = socket.read().unwrap_err();
    let code = server.join().remove(0);
    (error, code)
}

#[test]
fn invalid_deflate_data_fails_with_1007() {
    let (error, code) = violation(|peer| {
        peer.frame(true, true, OP_TEXT, &[0xff, 0xff, 0xff, 0xff])
            .unwrap()
    });
    assert!(matches!(error, Error::Protocol(_)), "{error:?}");
    assert_eq!(code, Some(1007));
}

#[test]
fn rsv1_on_a_continuation_fails_with_1002() {
    let (error, code) = violation(|peer| {
        let payload = peer.deflate(b"a message in two fragments, a message in two fragments");
        peer.frame(false, true, OP_TEXT, &payload[..5]).unwrap();
        peer.frame(true, true, 0, &payload[5..]).unwrap();
    });
    assert!(matches!(error, Error::Protocol(_)), "{error:?}");
    assert!(error.to_string().contains("continuation"), "{error}");
    assert_eq!(code, Some(1002));
}

#[test]
fn invalid_utf8_after_inflation_fails_with_1007() {
    let (error, code) = violation(|peer| {
        let payload = peer.deflate(&[b'a', 0xff, 0xfe, b'b']);
        peer.frame(true, true, OP_TEXT, &payload).unwrap();
    });
    assert!(matches!(error, Error::Protocol(_)), "{error:?}");
    assert_eq!(code, Some(1007));
}

#[test]
fn the_message_size_limit_applies_to_the_inflated_size() {
    let server = deflate_server(
        1,
        |_| Some("permessage-deflate".into()),
        |mut peer| {
            peer.send(OP_BINARY, &[7u8; 1000], None, false).unwrap();
            peer.send(OP_BINARY, &[7u8; 1001], None, false).unwrap();
            peer.until_close()
        },
    );
    let options = options(Compression::new())
        .max_message_size(Some(1000))
        .max_frame_size(Some(1000));
    let socket = Socket::connect_with(&server.ws_url("/"), &options).unwrap();
    assert_eq!(socket.read().unwrap(), Message::Binary(vec![7u8; 1000]));
    let error = socket.read().unwrap_err();
    assert!(matches!(error, Error::Capacity(_)), "{error:?}");
    assert!(error.to_string().contains("max_message_size"), "{error}");
    assert_eq!(server.join().remove(0), Some(1009));
}

/// RFC 7692 §7.2.3.4: a message may end with a block with BFINAL set, followed by the header of
/// an empty stored block (`00`); the next message starts a fresh stream even with context
/// takeover. Garbage after a final block still fails with 1007.
#[test]
fn rfc7692_final_block_example_is_a_valid_message() {
    const FINAL_BLOCK_HELLO: [u8; 8] = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    let takeover = (Compression::new(), "permessage-deflate");
    let no_takeover = (
        Compression::new().server_no_context_takeover(true),
        "permessage-deflate; server_no_context_takeover",
    );
    for (compression, answer) in [takeover, no_takeover] {
        let server = deflate_server(
            1,
            move |_| Some(answer.into()),
            |mut peer| {
                for _ in 0..2 {
                    peer.frame(true, true, OP_TEXT, &FINAL_BLOCK_HELLO).unwrap();
                }
                peer.frame(
                    true,
                    true,
                    OP_TEXT,
                    &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x12],
                )
                .unwrap();
                peer.until_close()
            },
        );
        let socket = Socket::connect_with(&server.ws_url("/"), &options(compression)).unwrap();
        assert_eq!(socket.read().unwrap(), Message::Text("Hello".into()));
        assert_eq!(socket.read().unwrap(), Message::Text("Hello".into()));
        let error = socket.read().unwrap_err();
        assert!(matches!(error, Error::Protocol(_)), "{error:?}");
        assert_eq!(server.join().remove(0), Some(1007));
    }
}
