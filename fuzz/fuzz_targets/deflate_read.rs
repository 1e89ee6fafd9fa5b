//! The permessage-deflate read path: a server's frames through the transform and the inflater,
//! with random negotiated parameters, limits and read sizes.
//!
//! Input: `[flags, message limit, frame limit, n, n read sizes..., frames...]`.
//! Checks: no panic; the transform never asks for input for ever; every compressed message
//! comes out at most `max_message_size` long; every frame it makes is a plain one.

#![no_main]

use libfuzzer_sys::fuzz_target;
use named_websocket::fuzzing::{reframe, ReframeParams};

const LIMITS: [usize; 8] = [0, 1, 125, 126, 1000, 16 * 1024, 65 * 1024, 1 << 20];

fuzz_target!(|data: &[u8]| {
    let [flags, message_limit, frame_limit, reads, rest @ ..] = data else {
        return;
    };
    let reads_len = usize::from(*reads % 16).min(rest.len());
    let (reads, frames) = rest.split_at(reads_len);
    let limit = |byte: u8| (byte & 0x80 == 0).then(|| LIMITS[usize::from(byte) % LIMITS.len()]);
    let params = ReframeParams {
        server_no_context_takeover: flags & 1 != 0,
        server_max_window_bits: 8 + (flags >> 1) % 8,
        max_message_size: limit(*message_limit),
        max_frame_size: limit(*frame_limit),
    };
    let result = reframe(params, frames, reads);

    let input = messages(&parse(frames), true);
    let output = messages(&parse(&result.output), false);
    for (index, message) in input.iter().enumerate() {
        let Some(out) = output.get(index) else { break };
        if message.compressed {
            if let Some(limit) = params.max_message_size {
                assert!(
                    out.size <= limit as u64,
                    "message {index} inflated to {} bytes past the limit {limit}",
                    out.size
                );
            }
            assert!(
                out.plain,
                "message {index}: an inflated frame is not a plain frame"
            );
        } else {
            assert_eq!(
                out.size, message.size,
                "message {index} passed through changed"
            );
        }
    }
});

struct Frame {
    fin: bool,
    rsv1: bool,
    rsv23: bool,
    opcode: u8,
    masked: bool,
    length: u64,
}

/// The complete frame headers of `bytes`, in order (payloads skipped).
fn parse(bytes: &[u8]) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut at = 0usize;
    while let [b0, b1, ..] = bytes[at..] {
        let (length, extra) = match b1 & 0x7f {
            126 => match bytes.get(at + 2..at + 4) {
                Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 2),
                None => break,
            },
            127 => match bytes.get(at + 2..at + 10) {
                Some(b) => (u64::from_be_bytes(b.try_into().unwrap()), 8),
                None => break,
            },
            short => (u64::from(short), 0),
        };
        let masked = b1 & 0x80 != 0;
        let header = 2 + extra + if masked { 4 } else { 0 };
        frames.push(Frame {
            fin: b0 & 0x80 != 0,
            rsv1: b0 & 0x40 != 0,
            rsv23: b0 & 0x30 != 0,
            opcode: b0 & 0x0f,
            masked,
            length,
        });
        let Some(next) = (at + header).checked_add(usize::try_from(length).unwrap_or(usize::MAX))
        else {
            break;
        };
        if next > bytes.len() {
            break;
        }
        at = next;
    }
    frames
}

struct Data {
    compressed: bool,
    /// Payload bytes of the message's frames seen.
    size: u64,
    /// Every frame had RSV bits and mask clear.
    plain: bool,
}

/// The data messages of a frame sequence, up to the first frame out of sequence or, in the
/// `input`, the first one the transform may legally reject or pass on for the engine to
/// reject.
fn messages(frames: &[Frame], input: bool) -> Vec<Data> {
    #[derive(PartialEq)]
    enum In {
        Idle,
        Plain,
        Compressed,
    }
    let mut state = In::Idle;
    let mut out: Vec<Data> = Vec::new();
    for frame in frames {
        let plain = !frame.rsv1 && !frame.rsv23 && !frame.masked;
        match frame.opcode {
            0x8..=0xf => continue,
            0x1 | 0x2 => {
                if state != In::Idle {
                    break;
                }
                let compressed = input && frame.rsv1 && !frame.rsv23 && !frame.masked;
                if input && !compressed && !plain {
                    break;
                }
                out.push(Data {
                    compressed,
                    size: frame.length,
                    plain,
                });
                state = match (frame.fin, compressed) {
                    (true, _) => In::Idle,
                    (false, true) => In::Compressed,
                    (false, false) => In::Plain,
                };
            }
            0x0 => {
                if state == In::Idle || (input && !plain) {
                    break;
                }
                let Some(last) = out.last_mut() else { break };
                last.size = last.size.saturating_add(frame.length);
                last.plain &= plain;
                if frame.fin {
                    state = In::Idle;
                }
            }
            _ => break,
        }
    }
    // A message cut short in the input may be cut anywhere in the output: compare whole
    // messages only.
    if input && state != In::Idle {
        out.pop();
    }
    out
}
