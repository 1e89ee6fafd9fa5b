//! The codec against zlib, RFC 7692's examples and a reference decoder.

use super::*;
use crate::deflate::puff;
use crate::deflate::test_support::{noise, text, Rng};
use crate::deflate::test_support::{InflateWhole, WholeMessageError};

fn roundtrip(level: u32, wbits: u8, nct: bool, messages: &[Vec<u8>]) {
    let mut c = Compressor::new(level, wbits, nct, 0);
    let mut d = Inflater::new(wbits, nct);
    for m in messages {
        let z = c.compress(m);
        match z {
            Some(z) => {
                let back = d.inflate_message(&[&z], usize::MAX).unwrap();
                assert_eq!(&back, m);
            }
            None => assert!(nct, "with context takeover every message is compressed"),
        }
    }
}

#[test]
fn roundtrip_all_windows_levels_and_modes() {
    let mut rng = Rng(7);
    let mut messages: Vec<Vec<u8>> = [0, 1, 10, 100, 1000, 40_000, 70_000]
        .iter()
        .map(|&n| text(&mut rng, n))
        .collect();
    messages.push(noise(&mut rng, 3000));
    messages.push(vec![0u8; 100_000]);
    for wbits in 8..=15 {
        for level in [0, 1, 6, 9] {
            for nct in [false, true] {
                roundtrip(level, wbits, nct, &messages);
            }
        }
    }
}

#[test]
fn tail_is_stripped_and_restored() {
    let mut c = Compressor::new(6, 15, false, 0);
    let z = c.compress(b"hello hello hello hello").unwrap();
    // Re-compress the same way but keep the tail: it is exactly what was stripped.
    let mut raw = Compress::new_with_window_bits(flate2::Compression::new(6), false, 15);
    let mut full = Vec::with_capacity(256);
    raw.compress_vec(b"hello hello hello hello", &mut full, FlushCompress::Sync)
        .unwrap();
    assert!(full.ends_with(&TAIL));
    assert_eq!(&full[..full.len() - 4], &z[..]);
    // Inflating without the tail gives the data too, but only the tail marks the end.
    let mut d = Inflater::new(15, false);
    assert_eq!(
        d.inflate_message(&[&z], 1000).unwrap(),
        b"hello hello hello hello"
    );
}

#[test]
fn empty_message_compresses_to_an_empty_payload() {
    let mut c = Compressor::new(6, 15, false, 0);
    let z = c.compress(b"").unwrap();
    // 00 00 00 ff ff minus the tail: the single 0x00 byte of RFC 7692 §7.2.3.6.
    assert_eq!(z, [0x00]);
    let mut d = Inflater::new(15, false);
    assert_eq!(d.inflate_message(&[&z], 10).unwrap(), b"");
    // RFC 7692 §7.2.3.6: a single 0x00 byte is another way to send an empty message.
    assert_eq!(d.inflate_message(&[&[0x00]], 10).unwrap(), b"");
}

#[test]
fn empty_message_after_others_keeps_the_context_in_step() {
    let mut c = Compressor::new(6, 15, false, 0);
    let mut d = Inflater::new(15, false);
    for m in [&b"first first first"[..], b"", b"", b"third third", b""] {
        let z = c.compress(m).unwrap();
        assert!(!z.is_empty());
        assert_eq!(d.inflate_message(&[&z], 100).unwrap(), m);
    }
}

#[test]
fn empty_compressed_payload_is_an_empty_message_and_keeps_state() {
    let mut c = Compressor::new(6, 15, false, 0);
    let mut d = Inflater::new(15, false);
    let a = c.compress(b"context context").unwrap();
    assert_eq!(d.inflate_message(&[&a], 100).unwrap(), b"context context");
    assert_eq!(d.inflate_message(&[], 100).unwrap(), b"");
    assert_eq!(d.inflate_message(&[&[]], 100).unwrap(), b"");
    let b = c.compress(b"context again").unwrap();
    assert_eq!(d.inflate_message(&[&b], 100).unwrap(), b"context again");
}

#[test]
fn rfc7692_examples_inflate() {
    // §7.2.3.1: "Hello" compressed; §7.2.3.2: the same message twice with context
    // takeover, the second shorter; §7.2.3.3: a stored (uncompressed) block.
    let hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    let mut d = Inflater::new(15, false);
    assert_eq!(d.inflate_message(&[&hello], 100).unwrap(), b"Hello");
    let again = [0xf2, 0x00, 0x11, 0x00, 0x00];
    assert_eq!(d.inflate_message(&[&again], 100).unwrap(), b"Hello");
    let stored = [
        0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    ];
    assert_eq!(
        Inflater::new(15, true)
            .inflate_message(&[&stored], 100)
            .unwrap(),
        b"Hello"
    );
    // §7.2.3.1 fragmented: the compressed data split over two frames.
    let mut d = Inflater::new(15, false);
    assert_eq!(
        d.inflate_message(&[&hello[..3], &hello[3..]], 100).unwrap(),
        b"Hello"
    );
    // §7.2.3.5: two DEFLATE blocks in one message.
    let two = [
        0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
    ];
    assert_eq!(
        Inflater::new(15, false)
            .inflate_message(&[&two], 100)
            .unwrap(),
        b"Hello"
    );
}

#[test]
fn our_compressor_matches_rfc7692_hello() {
    let mut c = Compressor::new(6, 15, false, 0);
    assert_eq!(
        c.compress(b"Hello").unwrap(),
        [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]
    );
    // Context takeover: the second "Hello" refers back into the window (§7.2.3.2).
    assert!(c.compress(b"Hello").unwrap().len() < 7);
}

#[test]
fn context_takeover_shrinks_repeats_and_no_takeover_resets() {
    let msg = b"{\"type\":\"update\",\"symbol\":\"ABCD\",\"price\":123.45,\"size\":100}".repeat(3);
    let mut keep = Compressor::new(6, 15, false, 0);
    let first = keep.compress(&msg).unwrap();
    let second = keep.compress(&msg).unwrap();
    assert!(
        second.len() * 3 < first.len(),
        "{} vs {}",
        second.len(),
        first.len()
    );

    let mut reset = Compressor::new(6, 15, true, 0);
    let a = reset.compress(&msg).unwrap();
    let b = reset.compress(&msg).unwrap();
    assert_eq!(a, b, "each message compressed on its own");
    // Each decodes with a fresh inflater.
    assert_eq!(
        Inflater::new(15, true)
            .inflate_message(&[&b], 1 << 20)
            .unwrap(),
        msg
    );

    // An inflater that keeps context cannot decode a takeover message alone.
    let mut fresh = Inflater::new(15, false);
    assert!(fresh.inflate_message(&[&second], 1 << 20).is_err());
}

#[test]
fn inflater_reset_when_server_has_no_context_takeover() {
    // Server with no context takeover: identical messages give identical payloads, and an
    // inflater in the same mode decodes them one after another.
    let mut server = Compressor::new(6, 12, true, 0);
    let mut client = Inflater::new(12, true);
    let mut rng = Rng(3);
    for _ in 0..20 {
        let m = text(&mut rng, 500);
        let z = server.compress(&m).unwrap();
        assert_eq!(client.inflate_message(&[&z], 1 << 20).unwrap(), m);
    }
}

#[test]
fn threshold_sends_small_messages_uncompressed() {
    let mut c = Compressor::new(6, 15, false, 16);
    assert_eq!(c.compress(b"short"), None);
    assert!(
        c.state.is_none(),
        "nothing allocated until a message is compressed"
    );
    assert!(c.compress(&[b'a'; 16]).is_some());
    assert!(c.state.is_some());
    assert_eq!(c.counts().messages_uncompressed, 1);
    assert_eq!(c.counts().messages_compressed, 1);
    assert_eq!(c.counts().uncompressed_bytes, 16);
}

#[test]
fn incompressible_message_goes_raw_only_without_context_takeover() {
    let data = noise(&mut Rng(11), 200);
    assert_eq!(Compressor::new(6, 15, true, 0).compress(&data), None);
    assert!(Compressor::new(6, 15, false, 0).compress(&data).is_some());
}

#[test]
fn window_bits_8_agreement_is_honoured_with_9() {
    // For an agreed window of 8 we compress with 9; deflate never reaches further back
    // than 2^bits - 262, so every distance must be <= 256. Checked by decoding the
    // stream with a reference decoder that records the largest distance.
    let mut rng = Rng(99);
    let chunk = text(&mut rng, 3000);
    let data: Vec<u8> = [chunk.clone(), text(&mut rng, 500), chunk].concat();
    for level in 1..=9 {
        let z = Compressor::new(level, 8, false, 0).compress(&data).unwrap();
        let (out, max) = puff::inflate(&[&z[..], &TAIL].concat()).unwrap();
        assert_eq!(out, data, "level {level}");
        assert!(max <= 256, "level {level}: distance {max}");
    }
    // Control: a 10-bit window does reach past 256.
    let z = Compressor::new(6, 10, false, 0).compress(&data).unwrap();
    assert!(puff::inflate(&[&z[..], &TAIL].concat()).unwrap().1 > 256);
}

#[test]
fn every_window_stays_within_its_size() {
    let mut rng = Rng(5);
    let base = text(&mut rng, 20_000);
    let data: Vec<u8> = [base.clone(), noise(&mut rng, 2000), base].concat();
    for bits in 9..=15u8 {
        let z = Compressor::new(6, bits, false, 0).compress(&data).unwrap();
        let (out, max) = puff::inflate(&[&z[..], &TAIL].concat()).unwrap();
        assert_eq!(out, data);
        assert!(max <= (1 << bits) - 262, "bits {bits}: distance {max}");
    }
}

#[test]
fn zlib_rs_inflate_does_not_enforce_a_smaller_window() {
    // zlib-rs always allocates a 32 KiB inflate window, so a server that agreed to
    // server_max_window_bits=9 but uses 15 is not caught. Harmless (RFC 7692 asks nothing
    // of the receiver here); it also means a small server window saves no inflate memory.
    let mut rng = Rng(5);
    let base = text(&mut rng, 5000);
    let data = [base.clone(), base].concat();
    let z = Compressor::new(6, 15, false, 0).compress(&data).unwrap();
    assert!(puff::inflate(&[&z[..], &TAIL].concat()).unwrap().1 > 512);
    assert_eq!(
        Inflater::new(9, false)
            .inflate_message(&[&z], 1 << 20)
            .unwrap(),
        data
    );
}

#[test]
fn corrupt_data_is_invalid_payload_1007() {
    let mut d = Inflater::new(15, false);
    let e = d
        .inflate_message(&[&[0xff, 0xff, 0xff, 0xff]], 100)
        .unwrap_err();
    assert!(matches!(e, WholeMessageError::Corrupt(_)), "{e:?}");
    assert_eq!(e.close_code(), 1007);
}

#[test]
fn final_block_starts_a_new_stream() {
    // A sender may end a message with BFINAL=1 (RFC 7692 §7.2.3.4); the next message is a
    // fresh stream even with context takeover.
    let mut d = Inflater::new(15, false);
    for word in [&b"first message"[..], b"second message"] {
        let mut z = Compress::new(flate2::Compression::new(6), false);
        let mut out = Vec::with_capacity(100);
        z.compress_vec(word, &mut out, FlushCompress::Finish)
            .unwrap();
        assert_eq!(d.inflate_message(&[&out], 100).unwrap(), word);
    }
    // Data after the final block is an error.
    let mut z = Compress::new(flate2::Compression::new(6), false);
    let mut out = Vec::with_capacity(100);
    z.compress_vec(b"x", &mut out, FlushCompress::Finish)
        .unwrap();
    out.extend_from_slice(&[0x12, 0x34]);
    assert!(matches!(
        d.inflate_message(&[&out], 100),
        Err(WholeMessageError::Corrupt(_))
    ));
}

#[test]
fn rfc7692_final_block_example_inflates_with_and_without_context_takeover() {
    // §7.2.3.4: "Hello" in a block with BFINAL set, then the header of an empty stored block
    // (00) that the restored 00 00 ff ff completes.
    let final_block = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    for no_context_takeover in [false, true] {
        let mut d = Inflater::new(15, no_context_takeover);
        for _ in 0..3 {
            assert_eq!(d.inflate_message(&[&final_block], 100).unwrap(), b"Hello");
        }
        // Split anywhere, the same.
        for at in 0..final_block.len() {
            let (a, b) = final_block.split_at(at);
            assert_eq!(d.inflate_message(&[a, b], 100).unwrap(), b"Hello");
        }
    }
}

#[test]
fn after_a_final_block_only_empty_stored_blocks_may_follow() {
    let hello_final = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    let with = |after: &[u8]| {
        let payload = [&hello_final[..], after].concat();
        Inflater::new(15, false).inflate_message(&[&payload], 100)
    };
    assert_eq!(with(&[]).unwrap(), b"Hello");
    assert_eq!(with(&[0x00]).unwrap(), b"Hello");
    // A whole empty stored block, then the start of another.
    assert_eq!(
        with(&[0x00, 0x00, 0x00, 0xff, 0xff, 0x00]).unwrap(),
        b"Hello"
    );
    for garbage in [
        &[0x01][..],
        &[0x00, 0x00],
        &[0x00, 0x12],
        &[0xff],
        &[0x00; 40],
    ] {
        assert!(
            matches!(with(garbage), Err(WholeMessageError::Corrupt(_))),
            "{garbage:02x?}"
        );
    }
}

#[test]
fn limit_is_enforced_while_inflating() {
    let data = vec![b'x'; 10_000];
    let z = Compressor::new(6, 15, true, 0).compress(&data).unwrap();
    let mut d = Inflater::new(15, true);
    assert_eq!(d.inflate_message(&[&z], 10_000).unwrap().len(), 10_000);
    let e = d.inflate_message(&[&z], 9_999).unwrap_err();
    assert_eq!(e, WholeMessageError::TooBig { limit: 9_999 });
    assert_eq!(e.close_code(), 1009);
}

#[test]
fn bomb_fails_fast_with_bounded_output() {
    // 16 MiB of zeros is ~16 KB compressed; a limit of 1 MiB stops it after ~1 MiB of
    // output (tests/compression_bomb.rs measures the memory).
    let mut c = Compressor::new(9, 15, false, 0);
    let z = c.compress(&vec![0u8; 16 << 20]).unwrap();
    assert!(z.len() < 32 * 1024, "16 MiB of zeros -> {} bytes", z.len());
    let started = std::time::Instant::now();
    let e = Inflater::new(15, false)
        .inflate_message(&[&z], 1 << 20)
        .unwrap_err();
    assert_eq!(e, WholeMessageError::TooBig { limit: 1 << 20 });
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn counts_track_both_sizes() {
    let mut c = Compressor::new(6, 15, false, 0);
    let m = vec![b'a'; 1000];
    let z = c.compress(&m).unwrap();
    let mut d = Inflater::new(15, false);
    d.inflate_message(&[&z], 2000).unwrap();
    assert_eq!(c.counts().uncompressed_bytes, 1000);
    assert_eq!(c.counts().compressed_bytes, z.len() as u64);
}
