//! Test helpers of the deflate modules: a deterministic RNG, test payloads, a server-side
//! frame writer, and an in-memory stream that delivers bytes in random pieces (with
//! `WouldBlock` now and then) under the transform.
#![allow(dead_code, reason = "each test module uses a part")]

use std::io::{self, Read, Write};

use crate::deflate::codec::{Compressor, InflateError, Inflater};
use crate::deflate::reframe::Reframer;

pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub(crate) fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

pub(crate) fn text(rng: &mut Rng, len: usize) -> Vec<u8> {
    const WORDS: [&str; 10] = [
        "{\"id\":",
        "\"name\":",
        "\"value\":",
        "true,",
        "null,",
        "websocket ",
        "deflate ",
        "message ",
        "ünïcødé ",
        "]}",
    ];
    let mut out = String::new();
    while out.len() < len {
        out.push_str(WORDS[rng.below(WORDS.len())]);
        if rng.chance(4) {
            out.push_str(&(rng.next() % 100_000).to_string());
        }
    }
    // Cut at a char boundary so the text stays valid UTF-8.
    let mut cut = len.min(out.len());
    while !out.is_char_boundary(cut) {
        cut -= 1;
    }
    out.truncate(cut);
    out.into_bytes()
}

pub(crate) fn noise(rng: &mut Rng, len: usize) -> Vec<u8> {
    (0..len).map(|_| rng.next() as u8).collect()
}

/// Writes one unmasked frame as a server would.
pub(crate) fn frame(out: &mut Vec<u8>, fin: bool, rsv: u8, opcode: u8, payload: &[u8]) {
    out.push(if fin { 0x80 } else { 0 } | (rsv << 4) | opcode);
    let len = payload.len();
    if len < 126 {
        out.push(len as u8);
    } else if len <= 0xffff {
        out.push(126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(payload);
}

pub(crate) const RSV1: u8 = 0b100;

/// A server message, written compressed (when the compressor agrees) and fragmented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Sent {
    Text(Vec<u8>),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
}

/// Writes `msg` as the server would: compressed with `compressor` unless `plain`, split into
/// fragments of `fragment` bytes, with a ping between fragments when `ping_between`.
/// Returns the number of pings written.
pub(crate) fn server_message(
    out: &mut Vec<u8>,
    compressor: &mut Compressor,
    opcode: u8,
    payload: &[u8],
    plain: bool,
    fragment: Option<usize>,
    ping_between: Option<&[u8]>,
) -> usize {
    let mut pings = 0;
    // A message sent plain must not go through the compressor: with context takeover the
    // window would then hold bytes the receiver never inflated.
    let compressed = if plain {
        None
    } else {
        compressor.compress(payload)
    };
    let (body, rsv1) = match compressed {
        Some(z) => (z, RSV1),
        None => (payload.to_vec(), 0),
    };
    let step = fragment.unwrap_or(usize::MAX).max(1);
    let mut start: usize = 0;
    loop {
        let end = body.len().min(start.saturating_add(step));
        let fin = end == body.len();
        let op = if start == 0 { opcode } else { 0 };
        frame(
            out,
            fin,
            if start == 0 { rsv1 } else { 0 },
            op,
            &body[start..end],
        );
        if fin {
            return pings;
        }
        if let Some(ping) = ping_between {
            frame(out, true, 0, 0x9, ping);
            pings += 1;
        }
        start = end;
    }
}

/// An in-memory peer: reads return the scripted bytes in random pieces, sometimes
/// `WouldBlock` first; writes are kept.
pub(crate) struct Chunked {
    pub(crate) data: Vec<u8>,
    pub(crate) pos: usize,
    pub(crate) rng: Rng,
    pub(crate) max_piece: usize,
    pub(crate) would_block_one_in: usize,
    pub(crate) written: Vec<u8>,
}

impl Chunked {
    pub(crate) fn new(
        data: Vec<u8>,
        seed: u64,
        max_piece: usize,
        would_block_one_in: usize,
    ) -> Self {
        Chunked {
            data,
            pos: 0,
            rng: Rng(seed),
            max_piece,
            would_block_one_in,
            written: Vec::new(),
        }
    }
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.would_block_one_in > 0 && self.rng.chance(self.would_block_one_in) {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let left = self.data.len() - self.pos;
        let n = left.min(buf.len()).min(1 + self.rng.below(self.max_piece));
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

impl Write for Chunked {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A stream with the transform on its read side; writes pass through untouched.
#[derive(Debug)]
pub(crate) struct ReframeStream<S> {
    /// The byte stream (TCP, TLS, ...).
    pub(crate) inner: S,
    /// The transform.
    pub(crate) reframer: Reframer,
}

impl<S> ReframeStream<S> {
    /// Wraps a stream.
    pub(crate) fn new(inner: S, reframer: Reframer) -> Self {
        ReframeStream { inner, reframer }
    }
}

impl<S: Read> Read for ReframeStream<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reframer.read(&mut self.inner, buf)
    }
}

impl<S: Write> Write for ReframeStream<S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// One frame parsed from a client's output (unmasked).
#[derive(Debug)]
pub(crate) struct ClientFrame {
    pub(crate) fin: bool,
    pub(crate) rsv: u8,
    pub(crate) opcode: u8,
    pub(crate) masked: bool,
    pub(crate) payload: Vec<u8>,
}

/// Parses what a client wrote (frames are masked), as a server would.
pub(crate) fn parse_client_frames(mut bytes: &[u8]) -> Vec<ClientFrame> {
    let mut frames = Vec::new();
    while !bytes.is_empty() {
        let b0 = bytes[0];
        let b1 = bytes[1];
        let mut pos = 2;
        let len = match b1 & 0x7f {
            126 => {
                pos += 2;
                u16::from_be_bytes([bytes[2], bytes[3]]) as usize
            }
            127 => {
                pos += 8;
                u64::from_be_bytes(bytes[2..10].try_into().unwrap()) as usize
            }
            n => n as usize,
        };
        let masked = b1 & 0x80 != 0;
        let mut mask = [0u8; 4];
        if masked {
            mask.copy_from_slice(&bytes[pos..pos + 4]);
            pos += 4;
        }
        let mut payload = bytes[pos..pos + len].to_vec();
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= mask[i % 4];
        }
        frames.push(ClientFrame {
            fin: b0 & 0x80 != 0,
            rsv: (b0 >> 4) & 0x7,
            opcode: b0 & 0x0f,
            masked,
            payload,
        });
        bytes = &bytes[pos + len..];
    }
    frames
}

/// Why a whole-message inflate of the tests failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WholeMessageError {
    /// Not valid DEFLATE data (close 1007).
    Corrupt(InflateError),
    /// The message inflates to more than the limit (close 1009).
    TooBig { limit: usize },
}

impl WholeMessageError {
    /// The close code a connection would fail with.
    pub(crate) fn close_code(&self) -> u16 {
        match self {
            WholeMessageError::Corrupt(_) => 1007,
            WholeMessageError::TooBig { .. } => 1009,
        }
    }
}

impl From<InflateError> for WholeMessageError {
    fn from(e: InflateError) -> Self {
        WholeMessageError::Corrupt(e)
    }
}

/// Inflating one whole message held in memory, for the tests; a connection inflates piece by
/// piece under its transform instead.
pub(crate) trait InflateWhole {
    /// Inflates one whole message held in memory (all fragments' payloads, in order),
    /// failing as soon as the output passes `limit`. Output grows in 16 KiB steps, so memory
    /// stays within `limit` + 16 KiB whatever the input claims to hold.
    fn inflate_message(
        &mut self,
        fragments: &[&[u8]],
        limit: usize,
    ) -> Result<Vec<u8>, WholeMessageError>;
}

impl InflateWhole for Inflater {
    fn inflate_message(
        &mut self,
        fragments: &[&[u8]],
        limit: usize,
    ) -> Result<Vec<u8>, WholeMessageError> {
        const STEP: usize = 16 * 1024;
        self.begin_message();
        let mut out: Vec<u8> = Vec::new();
        let room = |out: &mut Vec<u8>| -> Result<usize, WholeMessageError> {
            if out.len() > limit {
                return Err(WholeMessageError::TooBig { limit });
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
            return Err(WholeMessageError::TooBig { limit });
        }
        self.end_message();
        Ok(out)
    }
}
