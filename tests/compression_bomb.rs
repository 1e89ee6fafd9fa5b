//! A compression bomb: about 1 MiB on the wire that inflates to 1 GiB. The client must stop at
//! `max_message_size`, fail with close 1009, and use memory bounded by that limit. Alone in its
//! test binary, so the process's peak memory is this test's.

// Measures the process's resident memory through /proc, which only Linux has.
#![cfg(target_os = "linux")]

mod common;

use common::*;
use flate2::{Compress, Compression as Level, FlushCompress};
use named_websocket::*;

/// The process's peak resident memory, from /proc (Linux), in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|line| line.starts_with("VmHWM:"))
        .expect("VmHWM");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// 1 GiB of zeros, raw DEFLATE with a sync flush, the tail stripped (about 1 MiB).
fn bomb() -> Vec<u8> {
    let zeros = vec![0u8; 1 << 20];
    let mut compress = Compress::new(Level::new(9), false);
    let mut out = Vec::with_capacity(1 << 21);
    for i in 0..1024 {
        let flush = if i == 1023 {
            FlushCompress::Sync
        } else {
            FlushCompress::None
        };
        let start = compress.total_in();
        while compress.total_in() - start < zeros.len() as u64 {
            let done = (compress.total_in() - start) as usize;
            out.reserve(64 * 1024);
            compress
                .compress_vec(&zeros[done..], &mut out, flush)
                .unwrap();
        }
    }
    loop {
        out.reserve(64 * 1024);
        let before = out.len();
        compress
            .compress_vec(&[], &mut out, FlushCompress::Sync)
            .unwrap();
        if out.len() == before {
            break;
        }
    }
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}

#[test]
fn a_bomb_stops_at_the_limit_with_1009_and_bounded_memory() {
    let payload = bomb();
    assert!(payload.len() < 2 << 20, "{} bytes", payload.len());
    let limit = 4 << 20;
    let server = deflate_server(
        1,
        |_| Some("permessage-deflate".into()),
        move |mut peer| {
            // In fragments of 64 KiB, each under max_frame_size; the first alone inflates to
            // about 64 MiB. The client fails the connection long before the last.
            let mut first = true;
            for chunk in payload.chunks(64 * 1024) {
                let fin = chunk.as_ptr_range().end == payload.as_ptr_range().end;
                let opcode = if first { OP_BINARY } else { 0 };
                if peer.frame(fin, first, opcode, chunk).is_err() {
                    break;
                }
                first = false;
            }
            peer.until_close()
        },
    );
    let options = ConnectOptions::new()
        .compression(Compression::new())
        .max_message_size(Some(limit))
        .max_frame_size(Some(1 << 20));
    let socket = Socket::connect_with(&server.ws_url("/"), &options).unwrap();
    let before = peak_kib();
    let error = socket.read().unwrap_err();
    let growth = peak_kib() - before;
    assert!(matches!(error, Error::Capacity(_)), "{error:?}");
    assert!(error.to_string().contains("max_message_size"), "{error}");
    assert_eq!(server.join().remove(0), Some(1009));
    // What the engine buffers of the partial message (the limit), the inflater and its
    // buffers; far from the 1 GiB the bomb holds.
    println!("peak memory grew by {growth} KiB while reading the bomb (limit {limit} bytes)");
    assert!(
        growth < 3 * (limit as u64 / 1024),
        "peak grew by {growth} KiB"
    );
}
