//! The read-side transform in front of a real tungstenite 0.30 client: compressed server
//! messages (fragmented, with pings between fragments, context takeover on and off, every
//! window) come out as ordinary messages; errors come out with the right close codes.

use super::*;
use crate::deflate::codec::Compressor;
use crate::deflate::test_support::*;
use tungstenite::error::{CapacityError, Error, ProtocolError};
use tungstenite::protocol::{Role, WebSocket, WebSocketConfig};
use tungstenite::Message;

/// A transform that starts after the handshake, with what was agreed.
fn for_frames(
    agreed: &Agreed,
    max_message_size: Option<usize>,
    max_frame_size: Option<usize>,
) -> Reframer {
    let mut reframer = Reframer::blank(max_message_size, max_frame_size);
    reframer.stage = Stage::Negotiating;
    reframer.configure(Some(agreed));
    reframer
}

/// Bytes the transform holds right now (buffers; zlib state excluded).
fn buffered_capacity(reframer: &Reframer) -> usize {
    reframer.input.len() + reframer.chunk.len()
}

fn agreed(server_bits: u8, server_nct: bool) -> Agreed {
    Agreed {
        server_no_context_takeover: server_nct,
        client_no_context_takeover: false,
        server_max_window_bits: server_bits,
        client_max_window_bits: 15,
        response: String::new(),
    }
}

fn client(
    bytes: Vec<u8>,
    agreed: &Agreed,
    seed: u64,
    max_piece: usize,
    would_block: usize,
    max_message: Option<usize>,
    max_frame: Option<usize>,
) -> WebSocket<ReframeStream<Chunked>> {
    let stream = ReframeStream::new(
        Chunked::new(bytes, seed, max_piece, would_block),
        for_frames(agreed, max_message, max_frame),
    );
    let config = WebSocketConfig::default()
        .max_message_size(max_message)
        .max_frame_size(max_frame)
        .read_buffer_size(4096);
    WebSocket::from_raw_socket(stream, Role::Client, Some(config))
}

/// Reads until Close (or an error), retrying on WouldBlock.
fn read_all(ws: &mut WebSocket<ReframeStream<Chunked>>) -> (Vec<Message>, Option<Error>) {
    let mut got = Vec::new();
    loop {
        match ws.read() {
            Ok(Message::Close(_)) => return (got, None),
            Ok(m) => got.push(m),
            Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return (got, Some(e)),
        }
    }
}

fn reframe_error(e: &Error) -> &ReframeError {
    match e {
        Error::Io(io) => ReframeError::from_io(io).unwrap_or_else(|| panic!("not ours: {io}")),
        other => panic!("expected a transform error, got {other:?}"),
    }
}

#[test]
fn random_streams_come_out_as_the_messages_sent() {
    for seed in 1..=24u64 {
        let mut rng = Rng(seed * 7919);
        let bits = 9 + (seed % 7) as u8;
        let nct = seed % 2 == 0;
        let mut server = Compressor::new(1 + (seed % 9) as u32, bits, nct, 0);
        let mut wire = Vec::new();
        let mut expected = Vec::new();
        let mut pings_sent = 0;
        for i in 0..40 {
            let size = match rng.below(6) {
                0 => 0,
                1 => rng.below(20),
                2 => rng.below(2000),
                3 => rng.below(40_000),
                4 => 16 * 1024 * (1 + rng.below(3)) + rng.below(3) - 1,
                _ => rng.below(200_000),
            };
            let binary = rng.chance(3);
            let payload = if binary && rng.chance(2) {
                noise(&mut rng, size)
            } else {
                text(&mut rng, size)
            };
            let plain = rng.chance(6);
            let fragment = if rng.chance(2) {
                Some(1 + rng.below(5000))
            } else {
                None
            };
            let ping = format!("p{i}").into_bytes();
            let ping_between = rng.chance(2).then_some(&ping[..]);
            pings_sent += server_message(
                &mut wire,
                &mut server,
                if binary { 2 } else { 1 },
                &payload,
                plain,
                fragment,
                ping_between,
            );
            expected.push((binary, payload));
            if rng.chance(5) {
                frame(&mut wire, true, 0, 0xA, b"pong!");
            }
        }
        frame(&mut wire, true, 0, 0x8, &[0x03, 0xe8]);

        let mut ws = client(
            wire,
            &agreed(bits, nct),
            seed,
            1 + rng.below(9000),
            7,
            None,
            None,
        );
        let (got, error) = read_all(&mut ws);
        assert!(error.is_none(), "seed {seed}: {error:?}");
        let data: Vec<&Message> = got
            .iter()
            .filter(|m| m.is_text() || m.is_binary())
            .collect();
        assert_eq!(data.len(), expected.len(), "seed {seed}");
        for (i, (m, (binary, payload))) in data.iter().zip(&expected).enumerate() {
            assert_eq!(m.is_binary(), *binary, "seed {seed} message {i}");
            assert_eq!(
                (*m).clone().into_data().as_ref(),
                &payload[..],
                "seed {seed} message {i}"
            );
        }
        // Every ping sent between fragments reached tungstenite, which queued its pongs.
        let pings = got.iter().filter(|m| m.is_ping()).count();
        assert_eq!(pings, pings_sent, "seed {seed}");
        let counts = ws.get_ref().reframer.counts();
        assert_eq!(
            counts.messages_compressed + counts.messages_uncompressed,
            expected.len() as u64
        );
        let pongs = parse_client_frames(&ws.get_ref().inner.written)
            .iter()
            .filter(|f| f.opcode == 0xA)
            .count();
        assert!(
            pongs >= 1 || pings == 0,
            "seed {seed}: {pongs} pongs for {pings} pings"
        );
    }
}

#[test]
fn pings_between_compressed_fragments_are_answered_in_order() {
    let mut server = Compressor::new(6, 15, false, 0);
    let mut wire = Vec::new();
    let payload = text(&mut Rng(1), 50_000);
    server_message(
        &mut wire,
        &mut server,
        1,
        &payload,
        false,
        Some(300),
        Some(b"between"),
    );
    frame(&mut wire, true, 0, 0x8, &[0x03, 0xe8]);
    let mut ws = client(wire, &agreed(15, false), 3, 50, 0, None, None);
    let (got, error) = read_all(&mut ws);
    assert!(error.is_none(), "{error:?}");
    let pings = got
        .iter()
        .filter(|m| matches!(m, Message::Ping(p) if p.as_ref() == b"between"))
        .count();
    assert!(pings > 5, "{pings} pings");
    assert_eq!(
        got.last().unwrap().clone().into_data().as_ref(),
        &payload[..]
    );
    // tungstenite answered with (masked) pongs.
    let written = parse_client_frames(&ws.get_ref().inner.written);
    assert!(written
        .iter()
        .any(|f| f.opcode == 0xA && f.payload == b"between" && f.masked));
}

#[test]
fn one_byte_reads_and_frequent_would_block() {
    let mut server = Compressor::new(6, 12, true, 0);
    let mut wire = Vec::new();
    let mut rng = Rng(77);
    let messages: Vec<Vec<u8>> = (0..30).map(|i| text(&mut rng, i * 97)).collect();
    for m in &messages {
        server_message(&mut wire, &mut server, 1, m, false, Some(7), None);
    }
    frame(&mut wire, true, 0, 0x8, &[0x03, 0xe8]);
    let mut ws = client(wire, &agreed(12, true), 5, 1, 2, None, None);
    let (got, error) = read_all(&mut ws);
    assert!(error.is_none(), "{error:?}");
    let got: Vec<Vec<u8>> = got.into_iter().map(|m| m.into_data().to_vec()).collect();
    assert_eq!(got, messages);
}

#[test]
fn output_frames_respect_a_small_max_frame_size() {
    // tungstenite checks max_frame_size on the frames it sees: the inflated chunks must fit.
    let mut server = Compressor::new(6, 15, false, 0);
    let mut wire = Vec::new();
    let payload = vec![b'z'; 100_000];
    server_message(&mut wire, &mut server, 2, &payload, false, None, None);
    frame(&mut wire, true, 0, 0x8, &[0x03, 0xe8]);
    let mut ws = client(
        wire,
        &agreed(15, false),
        9,
        4096,
        0,
        Some(1 << 20),
        Some(1000),
    );
    let (got, error) = read_all(&mut ws);
    assert!(error.is_none(), "{error:?}");
    assert_eq!(got[0].clone().into_data().len(), 100_000);
}

#[test]
fn rsv1_on_a_continuation_of_a_compressed_message_is_1002() {
    let mut server = Compressor::new(6, 15, false, 0);
    let z = server.compress(&text(&mut Rng(2), 3000)).unwrap();
    let mut wire = Vec::new();
    frame(&mut wire, false, RSV1, 1, &z[..100]);
    frame(&mut wire, true, RSV1, 0, &z[100..]);
    let mut ws = client(wire, &agreed(15, false), 1, 4096, 0, None, None);
    let (_, error) = read_all(&mut ws);
    let e = reframe_error(error.as_ref().unwrap());
    assert_eq!(e.close_code(), 1002);
    assert!(
        e.to_string()
            .contains("RSV1 is set on a continuation frame"),
        "{e}"
    );
    // The transform stays failed.
    match ws.read() {
        Err(Error::Io(io)) => assert_eq!(ReframeError::from_io(&io), Some(e).cloned().as_ref()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn rsv1_on_control_frames_and_plain_continuations_is_left_to_tungstenite() {
    for (wire, what) in [
        (
            {
                let mut w = Vec::new();
                frame(&mut w, true, RSV1, 0x9, b"ping");
                w
            },
            "ping",
        ),
        (
            {
                let mut w = Vec::new();
                frame(&mut w, false, 0, 1, b"plain ");
                frame(&mut w, true, RSV1, 0, b"text");
                w
            },
            "continuation",
        ),
        (
            {
                let mut w = Vec::new();
                frame(&mut w, true, RSV1 | 0b010, 1, b"\x00");
                w
            },
            "rsv2",
        ),
        (
            {
                let mut w = Vec::new();
                frame(&mut w, true, 0b001, 2, b"data");
                w
            },
            "rsv3",
        ),
    ] {
        let mut ws = client(wire, &agreed(15, false), 1, 4096, 0, None, None);
        let (_, error) = read_all(&mut ws);
        assert!(
            matches!(
                error,
                Some(Error::Protocol(ProtocolError::NonZeroReservedBits))
            ),
            "{what}: {error:?}"
        );
    }
}

#[test]
fn masked_server_frame_is_left_to_tungstenite() {
    let mut wire = vec![0x81, 0x84, 1, 2, 3, 4];
    wire.extend_from_slice(b"abcd");
    let mut ws = client(wire, &agreed(15, false), 1, 4096, 0, None, None);
    let (_, error) = read_all(&mut ws);
    assert!(
        matches!(
            error,
            Some(Error::Protocol(ProtocolError::MaskedFrameFromServer))
        ),
        "{error:?}"
    );
}

#[test]
fn new_message_inside_a_compressed_one_is_1002() {
    let mut server = Compressor::new(6, 15, false, 0);
    let z = server
        .compress(b"some text that compresses some text")
        .unwrap();
    let mut wire = Vec::new();
    frame(&mut wire, false, RSV1, 1, &z[..3]);
    frame(&mut wire, true, 0, 1, b"interloper");
    let mut ws = client(wire, &agreed(15, false), 1, 4096, 0, None, None);
    let (got, error) = read_all(&mut ws);
    assert!(got.is_empty());
    assert_eq!(reframe_error(error.as_ref().unwrap()).close_code(), 1002);
}

#[test]
fn uncompressed_fragmented_message_passes_with_tungstenite_checks() {
    // An unexpected continuation (nothing to continue) reaches tungstenite.
    let mut wire = Vec::new();
    frame(&mut wire, true, 0, 0, b"orphan");
    let mut ws = client(wire, &agreed(15, false), 1, 4096, 0, None, None);
    let (_, error) = read_all(&mut ws);
    assert!(
        matches!(
            error,
            Some(Error::Protocol(ProtocolError::UnexpectedContinueFrame))
        ),
        "{error:?}"
    );
}

#[test]
fn invalid_deflate_data_is_1007() {
    let mut wire = Vec::new();
    frame(&mut wire, true, RSV1, 2, &[0xff; 32]);
    let mut ws = client(wire, &agreed(15, false), 1, 4096, 0, None, None);
    let (_, error) = read_all(&mut ws);
    let e = reframe_error(error.as_ref().unwrap());
    assert_eq!(e.close_code(), 1007, "{e}");
}

#[test]
fn invalid_utf8_after_inflation_is_tungsteniten_utf8_error() {
    let mut server = Compressor::new(6, 15, false, 0);
    let mut wire = Vec::new();
    server_message(
        &mut wire,
        &mut server,
        1,
        b"valid start \xff\xfe invalid",
        false,
        None,
        None,
    );
    let mut ws = client(wire, &agreed(15, false), 1, 4096, 0, None, None);
    let (_, error) = read_all(&mut ws);
    assert!(matches!(error, Some(Error::Utf8(_))), "{error:?}");
}

#[test]
fn inflated_size_limit_is_exact_and_1009() {
    let limit = 100_000;
    for (size, ok) in [(limit, true), (limit + 1, false)] {
        let mut server = Compressor::new(6, 15, false, 0);
        let mut wire = Vec::new();
        server_message(
            &mut wire,
            &mut server,
            2,
            &vec![7u8; size],
            false,
            Some(50),
            None,
        );
        frame(&mut wire, true, 0, 0x8, &[0x03, 0xe8]);
        let mut ws = client(wire, &agreed(15, false), 1, 4096, 0, Some(limit), None);
        let (got, error) = read_all(&mut ws);
        if ok {
            assert!(error.is_none(), "{error:?}");
            assert_eq!(got[0].len(), limit);
        } else {
            let e = reframe_error(error.as_ref().unwrap());
            assert_eq!(e.close_code(), 1009);
            assert!(e.to_string().contains("max_message_size"), "{e}");
        }
    }
}

#[test]
fn uncompressed_messages_keep_tungstenites_limit() {
    let mut wire = Vec::new();
    frame(&mut wire, true, 0, 2, &vec![1u8; 2000]);
    let mut ws = client(wire, &agreed(15, false), 1, 4096, 0, Some(1000), None);
    let (_, error) = read_all(&mut ws);
    assert!(
        matches!(
            error,
            Some(Error::Capacity(CapacityError::MessageTooLong { .. }))
        ),
        "{error:?}"
    );
}

#[test]
fn compressed_frame_over_max_frame_size_is_1009() {
    let mut server = Compressor::new(0, 15, false, 0); // stored: compressed size ~ input
    let mut wire = Vec::new();
    server_message(
        &mut wire,
        &mut server,
        2,
        &noise(&mut Rng(4), 5000),
        false,
        None,
        None,
    );
    let mut ws = client(wire, &agreed(15, false), 1, 4096, 0, None, Some(4000));
    let (_, error) = read_all(&mut ws);
    let e = reframe_error(error.as_ref().unwrap());
    assert_eq!(e.close_code(), 1009);
    assert!(e.to_string().contains("max_frame_size"), "{e}");
}

#[test]
fn bomb_fails_with_1009_before_much_is_inflated() {
    let mut server = Compressor::new(9, 15, false, 0);
    let z = server.compress(&vec![0u8; 32 << 20]).unwrap();
    assert!(z.len() < 40_000, "{}", z.len());
    let mut wire = Vec::new();
    frame(&mut wire, true, RSV1, 2, &z);
    let limit = 1 << 20;
    let mut ws = client(wire, &agreed(15, false), 1, 65536, 0, Some(limit), None);
    let started = std::time::Instant::now();
    let (_, error) = read_all(&mut ws);
    let e = reframe_error(error.as_ref().unwrap());
    assert_eq!(e.close_code(), 1009);
    let counts = ws.get_ref().reframer.counts();
    assert_eq!(counts.messages_compressed, 0);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert!(buffered_capacity(&ws.get_ref().reframer) <= 32 * 1024);
}

#[test]
fn server_final_block_messages_and_context_reset() {
    // Messages ending with BFINAL=1 (RFC 7692 §7.2.3.4), each a fresh stream.
    let mut wire = Vec::new();
    let words: Vec<Vec<u8>> = (0..5)
        .map(|i| format!("message number {i} {i} {i}").into_bytes())
        .collect();
    for w in &words {
        let mut c = flate2::Compress::new(flate2::Compression::new(6), false);
        let mut z = Vec::with_capacity(200);
        c.compress_vec(w, &mut z, flate2::FlushCompress::Finish)
            .unwrap();
        frame(&mut wire, true, RSV1, 1, &z);
    }
    frame(&mut wire, true, 0, 0x8, &[0x03, 0xe8]);
    let mut ws = client(wire, &agreed(15, false), 1, 3, 0, None, None);
    let (got, error) = read_all(&mut ws);
    assert!(error.is_none(), "{error:?}");
    let got: Vec<Vec<u8>> = got.into_iter().map(|m| m.into_data().to_vec()).collect();
    assert_eq!(got, words);
}

#[test]
fn counts_report_compressed_and_uncompressed_bytes() {
    let mut server = Compressor::new(6, 15, false, 0);
    let mut wire = Vec::new();
    let payload = text(&mut Rng(8), 10_000);
    server_message(&mut wire, &mut server, 1, &payload, false, None, None);
    server_message(&mut wire, &mut server, 1, b"plain", true, None, None);
    frame(&mut wire, true, 0, 0x8, &[0x03, 0xe8]);
    let mut ws = client(wire, &agreed(15, false), 1, 4096, 0, None, None);
    let (got, error) = read_all(&mut ws);
    assert!(error.is_none(), "{error:?}");
    assert_eq!(got.len(), 2);
    let c = ws.get_ref().reframer.counts();
    assert_eq!(c.messages_compressed, 1);
    assert_eq!(c.messages_uncompressed, 1);
    assert_eq!(c.uncompressed_bytes, 10_000);
    assert_eq!(c.compressed_bytes, server.counts().compressed_bytes);
    assert!(c.compressed_bytes < 5_000);
}

#[test]
fn empty_compressed_frames_and_empty_final_continuation() {
    let mut server = Compressor::new(6, 15, false, 0);
    let mut wire = Vec::new();
    let a = server.compress(b"context for later context").unwrap();
    frame(&mut wire, true, RSV1, 1, &a);
    // An empty payload with RSV1: the empty message, context untouched.
    frame(&mut wire, true, RSV1, 1, b"");
    // A compressed message whose last frame is an empty continuation.
    let b = server.compress(b"context again, context").unwrap();
    frame(&mut wire, false, RSV1, 2, &b);
    frame(&mut wire, false, 0, 0, b"");
    frame(&mut wire, true, 0, 0, b"");
    frame(&mut wire, true, 0, 0x8, &[0x03, 0xe8]);
    let mut ws = client(wire, &agreed(15, false), 1, 5, 0, None, None);
    let (got, error) = read_all(&mut ws);
    assert!(error.is_none(), "{error:?}");
    assert_eq!(
        got,
        vec![
            Message::text("context for later context"),
            Message::text(""),
            Message::binary(&b"context again, context"[..]),
        ]
    );
}

#[test]
fn close_in_the_middle_of_a_compressed_message_reaches_tungstenite() {
    let mut server = Compressor::new(6, 15, false, 0);
    let z = server.compress(&text(&mut Rng(3), 2000)).unwrap();
    let mut wire = Vec::new();
    frame(&mut wire, false, RSV1, 1, &z[..50]);
    frame(&mut wire, true, 0, 0x8, &[0x03, 0xe9, b'b', b'y', b'e']);
    let mut ws = client(wire, &agreed(15, false), 1, 4096, 0, None, None);
    match ws.read() {
        Ok(Message::Close(Some(frame))) => assert_eq!(u16::from(frame.code), 1001),
        other => panic!("{other:?}"),
    }
}

#[test]
fn sixty_four_bit_length_with_the_top_bit_is_1002() {
    let mut wire = vec![0x80 | 0x40 | 0x2, 127];
    wire.extend_from_slice(&(1u64 << 63).to_be_bytes());
    let mut ws = client(wire, &agreed(15, false), 1, 4096, 0, None, None);
    let (_, error) = read_all(&mut ws);
    assert_eq!(reframe_error(error.as_ref().unwrap()).close_code(), 1002);
}

#[test]
fn handshake_gate_accepts_bare_lf_line_ends() {
    use std::io::Read;
    let mut head = b"HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n\n".to_vec();
    let mut server = Compressor::new(6, 15, false, 0);
    server_message(
        &mut head,
        &mut server,
        1,
        b"after the head",
        false,
        None,
        None,
    );
    let mut stream = ReframeStream::new(
        Chunked::new(head.clone(), 1, 1 << 20, 0),
        Reframer::for_handshake(None, None),
    );
    let mut buf = vec![0u8; 4096];
    let n = stream.read(&mut buf).unwrap();
    assert_eq!(
        &buf[..n],
        b"HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\n\n"
    );
    assert!(stream.reframer.stage == Stage::Negotiating);
    assert!(
        stream.read(&mut buf).is_err(),
        "no frame bytes before configure()"
    );
    stream.reframer.configure(Some(&agreed(15, false)));
    let n = stream.read(&mut buf).unwrap();
    // The plain frame that replaces the compressed one.
    assert_eq!(&buf[..n], b"\x81\x0eafter the head");
}
