//! Per-message DEFLATE (RFC 7692 §7.2): the compressor for what we send and the inflater for
//! what we receive.
//!
//! Both sit on flate2's raw-deflate `Compress`/`Decompress` with the `zlib-rs` backend, the one
//! pure-Rust backend of flate2 that takes a window size (`new_with_window_bits` exists only
//! with flate2's `any_zlib` feature, which `zlib-rs` enables; miniz_oxide always uses 32 KiB).
//! Each state is created on first use, so a connection that negotiated compression but has
//! not yet sent (or received) a compressed message holds no zlib memory for that direction.

use flate2::{Compress, Decompress, FlushCompress, FlushDecompress, Status};

use crate::compression::Compression;
use crate::deflate::negotiation::Agreed;

/// The empty stored block that ends a sync flush; stripped on send, restored on receipt
/// (RFC 7692 §7.2.1, §7.2.2).
pub(crate) const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

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

    /// Whether zlib state is allocated right now.
    #[cfg(test)]
    pub(crate) fn is_allocated(&self) -> bool {
        self.state.is_some()
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

/// What went wrong while inflating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InflateError {
    /// The payload is not valid DEFLATE data (close 1007: invalid frame payload data).
    Corrupt(String),
    /// The message inflates to more than the limit (close 1009: message too big). Only the
    /// whole-message inflate of the tests checks a limit; the connection's transform checks
    /// its own while inflating (`ReframeError::TooBig`).
    #[cfg(test)]
    TooBig {
        /// The size limit that was crossed.
        limit: usize,
    },
}

#[cfg(test)]
impl InflateError {
    /// The close code to fail the connection with.
    pub(crate) fn close_code(&self) -> u16 {
        match self {
            InflateError::Corrupt(_) => 1007,
            InflateError::TooBig { .. } => 1009,
        }
    }
}

impl std::fmt::Display for InflateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InflateError::Corrupt(why) => write!(f, "invalid compressed data: {why}"),
            #[cfg(test)]
            InflateError::TooBig { limit } => {
                write!(
                    f,
                    "message inflates to more than max_message_size ({limit} bytes)"
                )
            }
        }
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
            tail_fed: 0,
            message_in: 0,
        }
    }

    /// Starts a compressed message.
    pub(crate) fn begin_message(&mut self) {
        self.tail_fed = 0;
        self.message_in = 0;
        self.stream_ended = false;
    }

    /// Inflates from `input` into `out`; returns `(consumed, produced)`. Call again with the
    /// rest of the input, or with an empty input when `out` was filled (zlib may hold more).
    pub(crate) fn inflate(
        &mut self,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<(usize, usize), InflateError> {
        if self.stream_ended {
            if input.is_empty() {
                return Ok((0, 0));
            }
            return Err(InflateError::Corrupt(
                "data after the final DEFLATE block of the message".into(),
            ));
        }
        let (consumed, produced) = self.run(input, out, FlushDecompress::None)?;
        self.message_in += consumed as u64;
        // Whatever the stream did not take after its end is data after the final block.
        if self.stream_ended && consumed < input.len() {
            return Err(InflateError::Corrupt(
                "data after the final DEFLATE block of the message".into(),
            ));
        }
        Ok((consumed, produced))
    }

    /// Feeds the restored [`TAIL`] at the end of a message; returns `(done, produced)`. When
    /// not done, `out` is full: call again with fresh space.
    pub(crate) fn finish(&mut self, out: &mut [u8]) -> Result<(bool, usize), InflateError> {
        if self.stream_ended {
            return Ok((true, 0));
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
            .map_err(|e| InflateError::Corrupt(e.to_string()))?;
        if status == Status::StreamEnd {
            self.stream_ended = true;
        }
        Ok((
            (state.total_in() - in0) as usize,
            (state.total_out() - out0) as usize,
        ))
    }

    /// Inflates one whole message held in memory (all fragments' payloads, in order),
    /// failing as soon as the output passes `limit`. Output grows in 16 KiB steps, so memory
    /// stays within `limit` + 16 KiB whatever the input claims to hold.
    #[cfg(test)]
    pub(crate) fn inflate_message(
        &mut self,
        fragments: &[&[u8]],
        limit: usize,
    ) -> Result<Vec<u8>, InflateError> {
        const STEP: usize = 16 * 1024;
        self.begin_message();
        let mut out: Vec<u8> = Vec::new();
        let room = |out: &mut Vec<u8>| -> Result<usize, InflateError> {
            if out.len() > limit {
                return Err(InflateError::TooBig { limit });
            }
            // One byte past the limit is enough to tell that it was crossed.
            let step = STEP.min((limit - out.len()).saturating_add(1));
            let len = out.len();
            out.resize(len + step, 0);
            Ok(len)
        };
        for fragment in fragments {
            let mut input = *fragment;
            loop {
                let start = room(&mut out)?;
                let (consumed, produced) = self.inflate(input, &mut out[start..])?;
                let full = produced == out.len() - start;
                out.truncate(start + produced);
                input = &input[consumed..];
                if input.is_empty() && !full {
                    break;
                }
            }
        }
        loop {
            let start = room(&mut out)?;
            let (done, produced) = self.finish(&mut out[start..])?;
            out.truncate(start + produced);
            if done {
                break;
            }
        }
        if out.len() > limit {
            return Err(InflateError::TooBig { limit });
        }
        self.end_message();
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deflate::test_support::{noise, text, Rng};

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
        let msg =
            b"{\"type\":\"update\",\"symbol\":\"ABCD\",\"price\":123.45,\"size\":100}".repeat(3);
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
            !c.is_allocated(),
            "nothing allocated until a message is compressed"
        );
        assert!(c.compress(&[b'a'; 16]).is_some());
        assert!(c.is_allocated());
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
        // Finding: zlib-rs always allocates a 32 KiB inflate window (inflate.rs, window_size
        // = (1 << MAX_WBITS) + WINDOW_PAD_SIZE), so a server that agreed to
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

    /// A minimal raw DEFLATE decoder (RFC 1951), after zlib's contrib/puff, for tests: it
    /// returns the output and the largest back-reference distance used.
    mod puff {
        const LBASE: [usize; 29] = [
            3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99,
            115, 131, 163, 195, 227, 258,
        ];
        const LEXT: [u32; 29] = [
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
        ];
        const DBASE: [usize; 30] = [
            1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025,
            1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
        ];
        const DEXT: [u32; 30] = [
            0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12,
            12, 13, 13,
        ];

        struct Bits<'a> {
            data: &'a [u8],
            pos: usize,
            buf: u32,
            cnt: u32,
        }

        impl Bits<'_> {
            fn bits(&mut self, n: u32) -> Result<usize, String> {
                while self.cnt < n {
                    let byte = *self.data.get(self.pos).ok_or("out of input")?;
                    self.pos += 1;
                    self.buf |= u32::from(byte) << self.cnt;
                    self.cnt += 8;
                }
                let v = self.buf & ((1u32 << n) - 1);
                self.buf >>= n;
                self.cnt -= n;
                Ok(v as usize)
            }
        }

        struct Huffman {
            count: [usize; 16],
            symbol: Vec<usize>,
        }

        impl Huffman {
            fn new(lengths: &[usize]) -> Huffman {
                let mut count = [0; 16];
                for &l in lengths {
                    count[l] += 1;
                }
                let mut offs = [0; 16];
                for len in 1..15 {
                    offs[len + 1] = offs[len] + count[len];
                }
                let mut symbol = vec![0; lengths.len()];
                for (sym, &l) in lengths.iter().enumerate() {
                    if l != 0 {
                        symbol[offs[l]] = sym;
                        offs[l] += 1;
                    }
                }
                Huffman { count, symbol }
            }

            fn decode(&self, b: &mut Bits) -> Result<usize, String> {
                let (mut code, mut first, mut index) = (0usize, 0usize, 0usize);
                for len in 1..16 {
                    code |= b.bits(1)?;
                    let count = self.count[len];
                    if code < first + count {
                        return Ok(self.symbol[index + (code - first)]);
                    }
                    index += count;
                    first = (first + count) << 1;
                    code <<= 1;
                }
                Err("bad code".into())
            }
        }

        pub(crate) fn inflate(data: &[u8]) -> Result<(Vec<u8>, usize), String> {
            let mut b = Bits {
                data,
                pos: 0,
                buf: 0,
                cnt: 0,
            };
            let mut out = Vec::new();
            let mut max_dist = 0;
            loop {
                if b.pos >= data.len() && b.cnt < 3 {
                    return Ok((out, max_dist));
                }
                let last = b.bits(1)?;
                match b.bits(2)? {
                    0 => {
                        b.buf = 0;
                        b.cnt = 0;
                        let get = |i: usize| data.get(i).copied().ok_or("short stored block");
                        let len = usize::from(get(b.pos)?) | usize::from(get(b.pos + 1)?) << 8;
                        let nlen = usize::from(get(b.pos + 2)?) | usize::from(get(b.pos + 3)?) << 8;
                        if len != !nlen & 0xffff {
                            return Err("stored length mismatch".into());
                        }
                        b.pos += 4;
                        out.extend_from_slice(
                            data.get(b.pos..b.pos + len).ok_or("short stored data")?,
                        );
                        b.pos += len;
                    }
                    kind @ (1 | 2) => {
                        let (lit, dist) = if kind == 1 {
                            let mut l = vec![8; 288];
                            l[144..256].fill(9);
                            l[256..280].fill(7);
                            (Huffman::new(&l), Huffman::new(&[5; 30]))
                        } else {
                            let nlen = b.bits(5)? + 257;
                            let ndist = b.bits(5)? + 1;
                            let ncode = b.bits(4)? + 4;
                            const ORDER: [usize; 19] = [
                                16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
                            ];
                            let mut cl = [0; 19];
                            for &i in &ORDER[..ncode] {
                                cl[i] = b.bits(3)?;
                            }
                            let clh = Huffman::new(&cl);
                            let mut lengths = Vec::with_capacity(nlen + ndist);
                            while lengths.len() < nlen + ndist {
                                let sym = clh.decode(&mut b)?;
                                match sym {
                                    0..=15 => lengths.push(sym),
                                    16 => {
                                        let prev =
                                            *lengths.last().ok_or("repeat with no length")?;
                                        let n = 3 + b.bits(2)?;
                                        lengths.extend(std::iter::repeat_n(prev, n));
                                    }
                                    17 => {
                                        let n = 3 + b.bits(3)?;
                                        lengths.extend(std::iter::repeat_n(0, n));
                                    }
                                    _ => {
                                        let n = 11 + b.bits(7)?;
                                        lengths.extend(std::iter::repeat_n(0, n));
                                    }
                                }
                            }
                            (
                                Huffman::new(&lengths[..nlen]),
                                Huffman::new(&lengths[nlen..]),
                            )
                        };
                        loop {
                            let sym = lit.decode(&mut b)?;
                            if sym < 256 {
                                out.push(sym as u8);
                            } else if sym == 256 {
                                break;
                            } else {
                                let i = sym - 257;
                                let len = LBASE.get(i).ok_or("bad length")? + b.bits(LEXT[i])?;
                                let d = dist.decode(&mut b)?;
                                let distance =
                                    DBASE.get(d).ok_or("bad distance")? + b.bits(DEXT[d])?;
                                if distance > out.len() {
                                    return Err("distance too far back".into());
                                }
                                max_dist = max_dist.max(distance);
                                for _ in 0..len {
                                    out.push(out[out.len() - distance]);
                                }
                            }
                        }
                    }
                    _ => return Err("bad block type".into()),
                }
                if last == 1 {
                    return Ok((out, max_dist));
                }
            }
        }
    }

    #[test]
    fn corrupt_data_is_invalid_payload_1007() {
        let mut d = Inflater::new(15, false);
        let e = d
            .inflate_message(&[&[0xff, 0xff, 0xff, 0xff]], 100)
            .unwrap_err();
        assert!(matches!(e, InflateError::Corrupt(_)), "{e}");
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
            Err(InflateError::Corrupt(_))
        ));
    }

    #[test]
    fn limit_is_enforced_while_inflating() {
        let data = vec![b'x'; 10_000];
        let z = Compressor::new(6, 15, true, 0).compress(&data).unwrap();
        let mut d = Inflater::new(15, true);
        assert_eq!(d.inflate_message(&[&z], 10_000).unwrap().len(), 10_000);
        let e = d.inflate_message(&[&z], 9_999).unwrap_err();
        assert_eq!(e, InflateError::TooBig { limit: 9_999 });
        assert_eq!(e.close_code(), 1009);
    }

    #[test]
    fn bomb_fails_fast_with_bounded_output() {
        // 16 MiB of zeros is ~16 KB compressed; a limit of 1 MiB stops it after ~1 MiB of
        // output (tests/bomb.rs measures the memory with a counting allocator).
        let mut c = Compressor::new(9, 15, false, 0);
        let z = c.compress(&vec![0u8; 16 << 20]).unwrap();
        assert!(z.len() < 32 * 1024, "16 MiB of zeros -> {} bytes", z.len());
        let started = std::time::Instant::now();
        let e = Inflater::new(15, false)
            .inflate_message(&[&z], 1 << 20)
            .unwrap_err();
        assert_eq!(e, InflateError::TooBig { limit: 1 << 20 });
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
}
