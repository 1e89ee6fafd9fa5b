//! Per-message DEFLATE (RFC 7692 §7.2): the compressor for what we send and the inflater for
//! what we receive.
//!
//! Both sit on flate2's raw-deflate `Compress`/`Decompress` with the `zlib-rs` backend, the one
//! pure-Rust backend of flate2 that takes a window size (`new_with_window_bits` exists only
//! with flate2's `any_zlib` feature, which `zlib-rs` enables; miniz_oxide always uses 32 KiB).
//! Each state is created on first use, so a connection that negotiated compression but has
//! not yet sent (or received) a compressed message holds no zlib memory for that direction.

use flate2::{Compress, Decompress, FlushCompress, FlushDecompress, Status};

use crate::deflate::negotiation::Agreed;
use crate::settings::compression::Compression;

/// The empty stored block that ends a sync flush; stripped on send, restored on receipt
/// (RFC 7692 §7.2.1, §7.2.2).
pub(crate) const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// An empty stored block that is not the final one, byte-aligned: the header bits (BFINAL 0,
/// BTYPE 00) padded to a byte, then LEN 0 and its complement.
const EMPTY_STORED_BLOCK: [u8; 5] = [0x00, 0x00, 0x00, 0xff, 0xff];

/// How many bytes of empty stored blocks may follow a final block: a few, as RFC 7692's
/// example has one; more is no sender's flush.
const MAX_AFTER_END: usize = 3 * EMPTY_STORED_BLOCK.len();

/// The window a zlib-family compressor is created with for a negotiated window.
///
/// zlib (since 1.2.9) and zlib-rs refuse window bits 8 for raw deflate (zlib-rs
/// `deflate.rs` init: `window_bits == 8 && wrap != 1` is a stream error), and flate2 asserts
/// 9..=15. A window of 9 is still safe for a peer that allows only 8: deflate never emits a
/// distance beyond `w_size - MIN_LOOKAHEAD` = 512 - 262 = 250 < 256 (zlib-rs `max_dist`).
/// Node.js maps 8 to 9 for the same reason. The unit test
/// `window_bits_8_agreement_is_honoured_with_9` checks it with an 8-bit inflater.
pub(crate) fn compressor_window_bits(agreed: u8) -> u8 {
    agreed.clamp(9, 15)
}

/// The window our inflater is created with: a larger window than the sender's is always fine,
/// and flate2 takes 9..=15.
pub(crate) fn inflater_window_bits(agreed: u8) -> u8 {
    agreed.clamp(9, 15)
}

/// Byte counts of one direction: payload bytes before and after compression.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Messages that went through DEFLATE.
    pub(crate) messages_compressed: u64,
    /// Messages sent or received uncompressed while compression was negotiated.
    pub(crate) messages_uncompressed: u64,
    /// Payload bytes of compressed messages, on the wire (without the stripped tail).
    pub(crate) compressed_bytes: u64,
    /// The same messages' payload bytes, uncompressed.
    pub(crate) uncompressed_bytes: u64,
}

/// Compresses our outgoing messages.
#[derive(Debug)]
pub(crate) struct Compressor {
    level: u32,
    window_bits: u8,
    no_context_takeover: bool,
    threshold: usize,
    state: Option<Compress>,
    counts: Counts,
}

impl Compressor {
    /// The client's compressor for what was agreed (client_* parameters) and configured.
    pub(crate) fn for_client(agreed: &Agreed, config: &Compression) -> Compressor {
        Compressor::new(
            config.level,
            agreed.client_max_window_bits,
            agreed.client_no_context_takeover,
            config.threshold,
        )
    }

    /// A compressor with explicit parameters (also used by tests to play the server).
    pub(crate) fn new(
        level: u32,
        window_bits: u8,
        no_context_takeover: bool,
        threshold: usize,
    ) -> Self {
        Compressor {
            level: level.min(9),
            window_bits: compressor_window_bits(window_bits),
            no_context_takeover,
            threshold,
            state: None,
            counts: Counts::default(),
        }
    }

    /// Byte and message counts so far.
    pub(crate) fn counts(&self) -> Counts {
        self.counts
    }

    /// Drops the compression context: the next message refers to nothing sent before it.
    /// Always safe for the peer, which keeps a window of what it inflated.
    pub(crate) fn forget_context(&mut self) {
        self.state = None;
    }

    /// Compresses one whole message. `None`: send it uncompressed (RSV1 clear) — it is under
    /// the threshold, or (without context takeover only) compression would not shrink it.
    ///
    /// With context takeover the compressed form is always sent: the bytes are in our window
    /// now, and the peer's window must see them too.
    pub(crate) fn compress(&mut self, payload: &[u8]) -> Option<Vec<u8>> {
        if payload.len() < self.threshold {
            self.counts.messages_uncompressed += 1;
            return None;
        }
        if payload.is_empty() {
            // zlib emits nothing for a sync flush without input right after another flush
            // (deflate.c: "avoid duplicate consecutive flushes"), and an empty payload would
            // make the peer read the restored tail as the start of a stored block. A lone 0x00
            // is the empty message of RFC 7692 §7.2.3.6 and leaves the window unchanged.
            self.counts.messages_compressed += 1;
            self.counts.compressed_bytes += 1;
            return Some(vec![0x00]);
        }
        let (level, bits) = (self.level, self.window_bits);
        let state = self.state.get_or_insert_with(|| {
            Compress::new_with_window_bits(flate2::Compression::new(level), false, bits)
        });
        let start_in = state.total_in();
        let mut out = Vec::with_capacity(payload.len() / 2 + 64);
        loop {
            if out.len() == out.capacity() {
                out.reserve(out.capacity().max(256));
            }
            let consumed = (state.total_in() - start_in) as usize;
            state
                .compress_vec(&payload[consumed..], &mut out, FlushCompress::Sync)
                .expect("deflate on a valid stream cannot fail");
            let consumed = (state.total_in() - start_in) as usize;
            // zlib: a sync flush is complete once the call returns with output space left.
            if consumed == payload.len() && out.len() < out.capacity() {
                break;
            }
        }
        debug_assert!(out.ends_with(&TAIL), "a sync flush ends with 00 00 ff ff");
        if out.ends_with(&TAIL) {
            out.truncate(out.len() - TAIL.len());
        }
        if self.no_context_takeover {
            if let Some(state) = self.state.as_mut() {
                state.reset();
            }
            if out.len() >= payload.len() {
                self.counts.messages_uncompressed += 1;
                return None;
            }
        }
        self.counts.messages_compressed += 1;
        self.counts.compressed_bytes += out.len() as u64;
        self.counts.uncompressed_bytes += payload.len() as u64;
        Some(out)
    }
}

/// What went wrong while inflating: the payload is not valid DEFLATE data (close 1007,
/// invalid frame payload data). Size limits are the transform's (`ReframeError::TooBig`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InflateError(pub(crate) String);

impl std::fmt::Display for InflateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid compressed data: {}", self.0)
    }
}

impl std::error::Error for InflateError {}

/// Inflates incoming compressed messages, piece by piece, into caller-sized output.
#[derive(Debug)]
pub(crate) struct Inflater {
    window_bits: u8,
    no_context_takeover: bool,
    state: Option<Decompress>,
    /// The sender ended its DEFLATE stream (BFINAL block): the next message starts afresh.
    stream_ended: bool,
    /// Bytes of the current message after its final block; each must belong to an empty
    /// stored block ([`EMPTY_STORED_BLOCK`]).
    after_end: usize,
    /// How much of [`TAIL`] was fed at the end of the current message.
    tail_fed: usize,
    /// Compressed bytes of the current message so far.
    message_in: u64,
}

impl Inflater {
    /// The client's inflater for what the server sends (server_* parameters).
    pub(crate) fn for_client(agreed: &Agreed) -> Inflater {
        Inflater::new(
            agreed.server_max_window_bits,
            agreed.server_no_context_takeover,
        )
    }

    /// An inflater with explicit parameters.
    pub(crate) fn new(window_bits: u8, no_context_takeover: bool) -> Inflater {
        Inflater {
            window_bits: inflater_window_bits(window_bits),
            no_context_takeover,
            state: None,
            stream_ended: false,
            after_end: 0,
            tail_fed: 0,
            message_in: 0,
        }
    }

    /// Starts a compressed message.
    pub(crate) fn begin_message(&mut self) {
        self.tail_fed = 0;
        self.message_in = 0;
        self.stream_ended = false;
        self.after_end = 0;
    }

    /// Inflates from `input` into `out`; returns `(consumed, produced)`. Call again with the
    /// rest of the input, or with an empty input when `out` was filled (zlib may hold more).
    pub(crate) fn inflate(
        &mut self,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<(usize, usize), InflateError> {
        if self.stream_ended {
            self.take_after_end(input)?;
            return Ok((input.len(), 0));
        }
        let (consumed, produced) = self.run(input, out, FlushDecompress::None)?;
        self.message_in += consumed as u64;
        if self.stream_ended {
            self.take_after_end(&input[consumed..])?;
            return Ok((input.len(), produced));
        }
        Ok((consumed, produced))
    }

    /// Checks bytes that follow the final block. RFC 7692 §7.2.3.4 lets a sender end a message
    /// with a final block followed by the header of an empty stored block (`00`), so that the
    /// restored [`TAIL`] completes it: only empty stored blocks may follow, nothing else.
    fn take_after_end(&mut self, bytes: &[u8]) -> Result<(), InflateError> {
        for &byte in bytes {
            let expected = EMPTY_STORED_BLOCK[self.after_end % EMPTY_STORED_BLOCK.len()];
            if byte != expected || self.after_end >= MAX_AFTER_END {
                return Err(InflateError(
                    "data after the final DEFLATE block of the message".into(),
                ));
            }
            self.after_end += 1;
        }
        Ok(())
    }

    /// Feeds the restored [`TAIL`] at the end of a message; returns `(done, produced)`. When
    /// not done, `out` is full: call again with fresh space.
    pub(crate) fn finish(&mut self, out: &mut [u8]) -> Result<(bool, usize), InflateError> {
        if self.stream_ended {
            // Nothing after the final block, or the start of an empty stored block that the
            // restored tail completes (`00` + `00 00 ff ff`).
            let tail_completes = self.after_end % EMPTY_STORED_BLOCK.len() == 1;
            if self.after_end == 0 || tail_completes {
                return Ok((true, 0));
            }
            return Err(InflateError(
                "an incomplete block after the final DEFLATE block of the message".into(),
            ));
        }
        if self.message_in == 0 {
            // An empty compressed payload. 00 00 ff ff alone is no complete block (it would
            // leave the inflater inside a stored block of 0xff00 bytes and garble the next
            // message), so read it as the empty message it stands for and leave the state as
            // it is. Senders normally send 0x00 (RFC 7692 §7.2.3.6), which takes the path
            // below.
            return Ok((true, 0));
        }
        let (consumed, produced) = self.run(&TAIL[self.tail_fed..], out, FlushDecompress::Sync)?;
        self.tail_fed += consumed;
        let done = self.stream_ended || (self.tail_fed == TAIL.len() && produced < out.len());
        Ok((done, produced))
    }

    /// Ends a message: resets (or frees) the state when the sender does not keep its
    /// context, or when its stream ended with a final block.
    pub(crate) fn end_message(&mut self) {
        if self.stream_ended {
            self.state = None;
        } else if self.no_context_takeover {
            if let Some(state) = self.state.as_mut() {
                state.reset(false);
            }
        }
        self.stream_ended = false;
        self.after_end = 0;
        self.tail_fed = 0;
    }

    fn run(
        &mut self,
        input: &[u8],
        out: &mut [u8],
        flush: FlushDecompress,
    ) -> Result<(usize, usize), InflateError> {
        let bits = self.window_bits;
        let state = self
            .state
            .get_or_insert_with(|| Decompress::new_with_window_bits(false, bits));
        let (in0, out0) = (state.total_in(), state.total_out());
        let status = state
            .decompress(input, out, flush)
            .map_err(|e| InflateError(e.to_string()))?;
        if status == Status::StreamEnd {
            self.stream_ended = true;
        }
        Ok((
            (state.total_in() - in0) as usize,
            (state.total_out() - out0) as usize,
        ))
    }
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
