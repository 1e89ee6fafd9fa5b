//! The read side: a transform between the server's byte stream and tungstenite.
//!
//! tungstenite 0.30 fails any frame with RSV1 set and has no extension hook, so the
//! compressed frames never reach it: [`Reframer`] parses the server's frames as they arrive,
//! passes every frame it need not touch through verbatim (control frames, uncompressed
//! messages, anything malformed that tungstenite must reject itself: RSV2/RSV3, masked
//! frames, reserved opcodes), and replaces each compressed message by plain frames of its
//! inflated payload (RSV1 clear, new lengths; the first one with the message's opcode, the
//! rest continuations, FIN on the last). tungstenite then reassembles, checks UTF-8 and
//! `max_message_size` as for any message, answers pings, and runs the close handshake.
//!
//! Inflation is streamed: the inflated bytes go out in frames of at most 16 KiB (or
//! `max_frame_size`), so the transform holds at most one input buffer and one output chunk,
//! and it stops with [`ReframeError::TooBig`] (close 1009) as soon as a message's inflated size
//! passes `max_message_size`: a compressed bomb costs at most `max_message_size` (what
//! tungstenite buffers) plus 32 KiB.
//!
//! The handshake: tungstenite reads the 101 answer through the same stream and keeps what it
//! read past the answer's end as the first frame bytes (its handshake machine hands them to
//! `WebSocket::from_partially_read`). Those bytes would bypass
//! the transform, so while the handshake runs the transform hands out bytes only up to the
//! end of the HTTP head and holds the rest back until [`Reframer::configure`] says what was
//! negotiated.

use std::fmt;
use std::io::{self, Read};

use crate::deflate::codec::{Counts, InflateError, Inflater};
use crate::deflate::negotiation::Agreed;

/// Inflated bytes per emitted frame (and the input buffer's size).
pub(crate) const CHUNK: usize = 16 * 1024;

const OP_CONTINUE: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;

/// Why the transform failed the connection; each maps to a close code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReframeError {
    /// A framing rule of RFC 7692 was broken (close 1002).
    Protocol(String),
    /// The compressed data is not valid DEFLATE (close 1007).
    InvalidData(String),
    /// A limit was passed (close 1009).
    TooBig {
        /// What was too big: "message" (inflated size) or "frame" (compressed frame).
        what: &'static str,
        /// The size seen so far (at least limit + 1).
        size: u64,
        /// The limit.
        limit: usize,
    },
}

impl ReframeError {
    /// The close code to fail the connection with.
    pub(crate) fn close_code(&self) -> u16 {
        match self {
            ReframeError::Protocol(_) => 1002,
            ReframeError::InvalidData(_) => 1007,
            ReframeError::TooBig { .. } => 1009,
        }
    }

    /// The error as it travels through tungstenite: an `io::Error` of kind `InvalidData`
    /// carrying this value (tungstenite returns it as `Error::Io`).
    pub(crate) fn to_io(&self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self.clone())
    }

    /// Finds a transform error inside an I/O error (as the connection's read path will).
    pub(crate) fn from_io(error: &io::Error) -> Option<&ReframeError> {
        error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<ReframeError>())
    }
}

impl fmt::Display for ReframeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReframeError::Protocol(why) => write!(f, "permessage-deflate framing: {why}"),
            ReframeError::InvalidData(why) => write!(f, "permessage-deflate: {why}"),
            ReframeError::TooBig {
                what: "frame",
                size,
                limit,
            } => write!(
                f,
                "compressed frame of {size} bytes exceeds max_frame_size ({limit} bytes)"
            ),
            ReframeError::TooBig { what, size, limit } => write!(
                f,
                "compressed {what} inflates to more than {limit} bytes (max_message_size; \
                 stopped at {size})"
            ),
        }
    }
}

impl std::error::Error for ReframeError {}

impl From<InflateError> for ReframeError {
    fn from(e: InflateError) -> Self {
        ReframeError::InvalidData(e.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Reading the HTTP answer: hand out bytes up to the end of its head only.
    Handshake,
    /// The head was handed out; waiting for [`Reframer::configure`].
    Negotiating,
    /// No compression: every byte passes.
    Passthrough,
    /// Compression agreed: frames are parsed.
    Frames,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FrameState {
    /// Collecting a frame header.
    Header,
    /// Passing `remaining` payload bytes through.
    Pass { remaining: u64 },
    /// Inflating `remaining` payload bytes of a compressed message's frame.
    Inflate { remaining: u64, fin: bool },
    /// Feeding the restored tail at the end of a compressed message.
    Tail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MessageState {
    /// Between messages.
    Idle,
    /// Inside an uncompressed fragmented message: its continuations pass through.
    Plain,
    /// Inside a compressed message.
    Compressed {
        opcode: u8,
        /// A frame of it was already emitted: the next one is a continuation.
        started: bool,
        /// Inflated bytes so far.
        size: u64,
    },
}

/// The state machine of the transform. It owns no stream: [`Reframer::read`] takes one.
#[derive(Debug)]
pub(crate) struct Reframer {
    stage: Stage,
    input: Box<[u8]>,
    in_start: usize,
    in_end: usize,
    /// The handshake's head scanner: the last bytes seen, and the status line.
    head_tail: [u8; 3],
    status_line: Vec<u8>,
    status_line_done: bool,

    header: [u8; 14],
    header_have: usize,
    frame: FrameState,
    message: MessageState,

    inflater: Option<Inflater>,
    max_message_size: Option<usize>,
    max_frame_size: Option<usize>,
    chunk_cap: usize,

    /// Inflated bytes waiting to go out as a frame; allocated with the first compressed
    /// message.
    chunk: Box<[u8]>,
    chunk_len: usize,
    /// `Some(pos)`: the chunk is being handed out (after `out_header`), from `pos`.
    chunk_out: Option<usize>,
    out_header: [u8; 14],
    out_header_len: usize,
    out_header_pos: usize,

    failed: Option<ReframeError>,
    counts: Counts,
}

impl Reframer {
    /// A transform for a connection that offers permessage-deflate: it starts in the
    /// handshake, handing out the HTTP answer and holding back what follows it.
    pub(crate) fn for_handshake(
        max_message_size: Option<usize>,
        max_frame_size: Option<usize>,
    ) -> Self {
        let mut reframer = Reframer::blank(max_message_size, max_frame_size);
        reframer.stage = Stage::Handshake;
        reframer
    }

    fn blank(max_message_size: Option<usize>, max_frame_size: Option<usize>) -> Self {
        Reframer {
            stage: Stage::Handshake,
            input: vec![0; CHUNK].into_boxed_slice(),
            in_start: 0,
            in_end: 0,
            head_tail: [0; 3],
            status_line: Vec::new(),
            status_line_done: false,
            header: [0; 14],
            header_have: 0,
            frame: FrameState::Header,
            message: MessageState::Idle,
            inflater: None,
            max_message_size,
            max_frame_size,
            chunk_cap: CHUNK.min(max_frame_size.unwrap_or(usize::MAX)).max(1),
            chunk: Box::new([]),
            chunk_len: 0,
            chunk_out: None,
            out_header: [0; 14],
            out_header_len: 0,
            out_header_pos: 0,
            failed: None,
            counts: Counts::default(),
        }
    }

    /// Says what the handshake agreed: `Some` switches inflation on, `None` makes the
    /// transform a pass-through. Bytes held back since the end of the HTTP head are then
    /// handed out (transformed) by the next reads.
    pub(crate) fn configure(&mut self, agreed: Option<&Agreed>) {
        match agreed {
            Some(agreed) => {
                self.inflater = Some(Inflater::for_client(agreed));
                self.stage = Stage::Frames;
            }
            None => {
                self.inflater = None;
                self.stage = Stage::Passthrough;
            }
        }
    }

    /// Read-side byte counts.
    pub(crate) fn counts(&self) -> Counts {
        self.counts
    }

    /// Nothing was agreed and every byte held back has been handed out: the transform has
    /// nothing left to do, and the stream can drop it (and its buffer).
    pub(crate) fn is_spent(&self) -> bool {
        self.stage == Stage::Passthrough && self.in_start == self.in_end
    }

    /// Reads transformed bytes into `buf`, reading from `inner` as needed. `WouldBlock` and
    /// other I/O errors of `inner` pass through, and reading may resume after them.
    pub(crate) fn read(&mut self, inner: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // Fill `buf` with as much as is ready, reading from `inner` only while nothing was
        // produced yet (so a read never blocks, or fails, with bytes in hand).
        let mut total = 0;
        loop {
            while total < buf.len() {
                match self.hand_out(&mut buf[total..]) {
                    Some(n) => total += n,
                    None => break,
                }
            }
            if total == buf.len() {
                return Ok(total);
            }
            if let Some(error) = &self.failed {
                return if total > 0 {
                    Ok(total)
                } else {
                    Err(error.to_io())
                };
            }
            match self.stage {
                Stage::Handshake => return self.read_head(inner, buf),
                Stage::Negotiating => {
                    return Err(io::Error::other(
                        "permessage-deflate: read after the handshake before configure()",
                    ))
                }
                Stage::Passthrough => {
                    if self.in_start < self.in_end {
                        return Ok(total + self.take_input(&mut buf[total..], usize::MAX));
                    }
                    return if total > 0 {
                        Ok(total)
                    } else {
                        inner.read(buf)
                    };
                }
                Stage::Frames => {}
            }
            match self.step(inner, &mut buf[total..], total == 0) {
                Ok(Advance::Wrote(0)) | Ok(Advance::Stop) => return Ok(total),
                Ok(Advance::Wrote(n)) => total += n,
                Ok(Advance::Again) => continue,
                Err(Step::Io(e)) => return Err(e),
                Err(Step::Fail(e)) => {
                    self.failed = Some(e.clone());
                    return if total > 0 { Ok(total) } else { Err(e.to_io()) };
                }
            }
        }
    }

    /// Hands out pending output (a frame header, then a chunk); `None` when there is none.
    fn hand_out(&mut self, buf: &mut [u8]) -> Option<usize> {
        if self.out_header_pos < self.out_header_len {
            let n = (self.out_header_len - self.out_header_pos).min(buf.len());
            buf[..n]
                .copy_from_slice(&self.out_header[self.out_header_pos..self.out_header_pos + n]);
            self.out_header_pos += n;
            return Some(n);
        }
        if let Some(pos) = self.chunk_out {
            let n = (self.chunk_len - pos).min(buf.len());
            buf[..n].copy_from_slice(&self.chunk[pos..pos + n]);
            if pos + n == self.chunk_len {
                self.chunk_out = None;
                self.chunk_len = 0;
            } else {
                self.chunk_out = Some(pos + n);
            }
            if n > 0 {
                return Some(n);
            }
        }
        None
    }

    fn take_input(&mut self, buf: &mut [u8], max: usize) -> usize {
        let n = (self.in_end - self.in_start).min(buf.len()).min(max);
        buf[..n].copy_from_slice(&self.input[self.in_start..self.in_start + n]);
        self.in_start += n;
        n
    }

    /// Refills the (empty) input buffer; `Ok(false)` at end of stream.
    fn fill(&mut self, inner: &mut impl Read) -> io::Result<bool> {
        debug_assert_eq!(self.in_start, self.in_end);
        self.in_start = 0;
        self.in_end = 0;
        let n = inner.read(&mut self.input)?;
        self.in_end = n;
        Ok(n > 0)
    }

    /// The handshake: hand out bytes up to the end of the HTTP head (the first empty line),
    /// never past it. After a `101` answer the transform then waits for `configure`; after
    /// any other answer everything passes (tungstenite reports the refusal with its body).
    fn read_head(&mut self, inner: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
        if self.in_start == self.in_end && !self.fill(inner)? {
            return Ok(0);
        }
        let avail = &self.input[self.in_start..self.in_end];
        let mut n = 0;
        let mut end_of_head = false;
        for &byte in avail.iter().take(buf.len()) {
            n += 1;
            if !self.status_line_done {
                if byte == b'\n' {
                    self.status_line_done = true;
                } else if self.status_line.len() < 64 {
                    self.status_line.push(byte);
                }
            }
            // The head ends with an empty line: "\n\n" or "\n\r\n" (httparse accepts both).
            let [_, b, c] = self.head_tail;
            self.head_tail = [b, c, byte];
            if byte == b'\n' && (c == b'\n' || (c == b'\r' && b == b'\n')) {
                end_of_head = true;
                break;
            }
        }
        if end_of_head {
            let switching = self
                .status_line
                .split(|&b| b == b' ')
                .filter(|part| !part.is_empty())
                .nth(1)
                == Some(&b"101"[..]);
            if switching {
                self.stage = Stage::Negotiating;
            } else {
                // A refusal: hand out what followed the head in the same read, as without the
                // transform (tungstenite keeps it as the error response's body).
                self.stage = Stage::Passthrough;
                return Ok(self.take_input(buf, usize::MAX));
            }
        }
        Ok(self.take_input(buf, n))
    }

    /// One step of the frame machine. `may_read`: whether `inner` may be read (only while the
    /// current `read` has produced nothing, so that it never blocks with bytes in hand).
    fn step(
        &mut self,
        inner: &mut impl Read,
        buf: &mut [u8],
        may_read: bool,
    ) -> Result<Advance, Step> {
        match self.frame {
            FrameState::Header => {
                if !self.collect_header() {
                    if !may_read {
                        return Ok(Advance::Stop);
                    }
                    if !self.fill(inner)? {
                        return Ok(Advance::Wrote(0));
                    }
                    return Ok(Advance::Again);
                }
                self.start_frame()?;
                Ok(Advance::Again)
            }
            FrameState::Pass { remaining } => {
                let max = usize::try_from(remaining).unwrap_or(usize::MAX);
                let n = if self.in_start < self.in_end {
                    self.take_input(buf, max)
                } else if !may_read {
                    return Ok(Advance::Stop);
                } else {
                    // Nothing buffered: read the payload straight into the caller's buffer.
                    let len = buf.len().min(max);
                    let n = inner.read(&mut buf[..len])?;
                    if n == 0 {
                        return Ok(Advance::Wrote(0));
                    }
                    n
                };
                let remaining = remaining - n as u64;
                self.frame = if remaining == 0 {
                    FrameState::Header
                } else {
                    FrameState::Pass { remaining }
                };
                Ok(Advance::Wrote(n))
            }
            FrameState::Inflate { remaining, fin } => {
                if remaining == 0 {
                    self.frame = if fin {
                        FrameState::Tail
                    } else {
                        FrameState::Header
                    };
                    return Ok(Advance::Again);
                }
                if self.in_start == self.in_end {
                    if !may_read {
                        return Ok(Advance::Stop);
                    }
                    if !self.fill(inner)? {
                        return Ok(Advance::Wrote(0));
                    }
                    return Ok(Advance::Again);
                }
                if self.chunk_len == self.chunk_cap {
                    self.emit_chunk(false);
                    return Ok(Advance::Again);
                }
                let take = (self.in_end - self.in_start)
                    .min(usize::try_from(remaining).unwrap_or(usize::MAX));
                let space = self.space()?;
                let inflater = self.inflater.as_mut().expect("configured");
                let start = self.chunk_len;
                let input = &self.input[self.in_start..self.in_start + take];
                let (consumed, produced) =
                    inflater.inflate(input, &mut self.chunk[start..start + space])?;
                self.in_start += consumed;
                self.counts.compressed_bytes += consumed as u64;
                self.frame = FrameState::Inflate {
                    remaining: remaining - consumed as u64,
                    fin,
                };
                self.produced(produced)?;
                if consumed == 0 && produced == 0 {
                    return Err(Step::Fail(ReframeError::InvalidData(
                        "inflate made no progress".into(),
                    )));
                }
                Ok(Advance::Again)
            }
            FrameState::Tail => {
                if self.chunk_len == self.chunk_cap {
                    self.emit_chunk(false);
                    return Ok(Advance::Again);
                }
                let space = self.space()?;
                let start = self.chunk_len;
                let inflater = self.inflater.as_mut().expect("configured");
                let (done, produced) = inflater.finish(&mut self.chunk[start..start + space])?;
                self.produced(produced)?;
                if done {
                    let MessageState::Compressed { size, .. } = self.message else {
                        unreachable!()
                    };
                    self.inflater.as_mut().expect("configured").end_message();
                    self.counts.messages_compressed += 1;
                    self.counts.uncompressed_bytes += size;
                    self.emit_chunk(true);
                    self.message = MessageState::Idle;
                    self.frame = FrameState::Header;
                }
                Ok(Advance::Again)
            }
        }
    }

    /// Output space for the next inflate call: what is left of the chunk, and no more than
    /// one byte past the message limit. Never zero: a full chunk was emitted before.
    fn space(&mut self) -> Result<usize, Step> {
        if self.chunk.is_empty() {
            self.chunk = vec![0; self.chunk_cap].into_boxed_slice();
        }
        debug_assert!(self.chunk_len < self.chunk_cap && self.chunk_out.is_none());
        let MessageState::Compressed { size, .. } = self.message else {
            unreachable!()
        };
        let left = match self.max_message_size {
            Some(limit) => (limit as u64).saturating_sub(size).saturating_add(1),
            None => u64::MAX,
        };
        let room = self.chunk_cap - self.chunk_len;
        Ok(usize::try_from(left).unwrap_or(usize::MAX).min(room))
    }

    fn produced(&mut self, produced: usize) -> Result<(), Step> {
        self.chunk_len += produced;
        let MessageState::Compressed { size, .. } = &mut self.message else {
            unreachable!()
        };
        *size += produced as u64;
        if let Some(limit) = self.max_message_size {
            if *size > limit as u64 {
                return Err(Step::Fail(ReframeError::TooBig {
                    what: "message",
                    size: *size,
                    limit,
                }));
            }
        }
        Ok(())
    }

    /// Queues the chunk as one plain frame: the message's opcode on its first frame,
    /// continuation after; FIN on the last.
    fn emit_chunk(&mut self, fin: bool) {
        let MessageState::Compressed {
            opcode, started, ..
        } = &mut self.message
        else {
            unreachable!()
        };
        let op = if *started { OP_CONTINUE } else { *opcode };
        *started = true;
        let len = self.chunk_len;
        self.out_header[0] = if fin { 0x80 } else { 0 } | op;
        self.out_header_len = if len < 126 {
            self.out_header[1] = len as u8;
            2
        } else if len <= 0xffff {
            self.out_header[1] = 126;
            self.out_header[2..4].copy_from_slice(&(len as u16).to_be_bytes());
            4
        } else {
            self.out_header[1] = 127;
            self.out_header[2..10].copy_from_slice(&(len as u64).to_be_bytes());
            10
        };
        self.out_header_pos = 0;
        self.chunk_out = Some(0);
        if len == 0 {
            // An empty frame: only its header goes out.
            self.chunk_out = None;
        }
    }

    /// Moves header bytes from the input into `header`; true once the header is complete.
    fn collect_header(&mut self) -> bool {
        loop {
            let need = header_len(&self.header[..self.header_have]);
            if self.header_have >= need {
                return true;
            }
            if self.in_start == self.in_end {
                return false;
            }
            let n = (need - self.header_have).min(self.in_end - self.in_start);
            self.header[self.header_have..self.header_have + n]
                .copy_from_slice(&self.input[self.in_start..self.in_start + n]);
            self.header_have += n;
            self.in_start += n;
        }
    }

    /// Decides what to do with the frame whose header was collected.
    fn start_frame(&mut self) -> Result<(), Step> {
        let header_len = self.header_have;
        self.header_have = 0;
        let b0 = self.header[0];
        let b1 = self.header[1];
        let fin = b0 & 0x80 != 0;
        let rsv1 = b0 & 0x40 != 0;
        let rsv23 = b0 & 0x30 != 0;
        let opcode = b0 & 0x0f;
        let masked = b1 & 0x80 != 0;
        let length = match b1 & 0x7f {
            126 => u64::from(u16::from_be_bytes([self.header[2], self.header[3]])),
            127 => u64::from_be_bytes(self.header[2..10].try_into().expect("8 bytes")),
            short => u64::from(short),
        };

        let pass = |this: &mut Reframer| {
            this.out_header[..header_len].copy_from_slice(&this.header[..header_len]);
            this.out_header_len = header_len;
            this.out_header_pos = 0;
            this.frame = if length == 0 {
                FrameState::Header
            } else {
                FrameState::Pass { remaining: length }
            };
        };

        let compressed = matches!(self.message, MessageState::Compressed { .. });
        match opcode {
            // Control frames pass untouched, also in the middle of a compressed message; with
            // RSV1 set tungstenite fails them ("Reserved bits are non-zero", 1002).
            0x8..=0xf => pass(self),
            OP_TEXT | OP_BINARY if compressed => {
                return Err(Step::Fail(ReframeError::Protocol(
                    "a new data frame arrived before the compressed message ended".into(),
                )));
            }
            OP_TEXT | OP_BINARY if rsv1 && !rsv23 && !masked => {
                if self.message == MessageState::Plain {
                    return Err(Step::Fail(ReframeError::Protocol(
                        "a compressed message started inside a fragmented message".into(),
                    )));
                }
                self.check_frame_length(length)?;
                self.message = MessageState::Compressed {
                    opcode,
                    started: false,
                    size: 0,
                };
                self.inflater.as_mut().expect("configured").begin_message();
                self.frame = FrameState::Inflate {
                    remaining: length,
                    fin,
                };
            }
            OP_CONTINUE if compressed => {
                if rsv1 {
                    return Err(Step::Fail(ReframeError::Protocol(
                        "RSV1 is set on a continuation frame (only a message's first frame \
                         may carry it)"
                            .into(),
                    )));
                }
                if rsv23 {
                    return Err(Step::Fail(ReframeError::Protocol(
                        "reserved bits RSV2/RSV3 are set".into(),
                    )));
                }
                if masked {
                    return Err(Step::Fail(ReframeError::Protocol(
                        "the server sent a masked frame".into(),
                    )));
                }
                self.check_frame_length(length)?;
                self.frame = FrameState::Inflate {
                    remaining: length,
                    fin,
                };
            }
            _ => {
                // Uncompressed data, continuations of an uncompressed message, and anything
                // tungstenite rejects by itself (reserved opcodes, RSV2/RSV3, masking, a
                // continuation with nothing to continue).
                match (opcode, self.message) {
                    (OP_TEXT | OP_BINARY, MessageState::Idle) if !rsv1 && !rsv23 => {
                        self.counts.messages_uncompressed += 1;
                        if !fin {
                            self.message = MessageState::Plain;
                        }
                    }
                    (OP_CONTINUE, MessageState::Plain) if fin => self.message = MessageState::Idle,
                    _ => {}
                }
                pass(self);
            }
        }
        Ok(())
    }

    fn check_frame_length(&self, length: u64) -> Result<(), Step> {
        if length >> 63 != 0 {
            return Err(Step::Fail(ReframeError::Protocol(
                "the most significant bit of a 64-bit frame length is set".into(),
            )));
        }
        if let Some(limit) = self.max_frame_size {
            if length > limit as u64 {
                return Err(Step::Fail(ReframeError::TooBig {
                    what: "frame",
                    size: length,
                    limit,
                }));
            }
        }
        Ok(())
    }
}

/// The length of a frame header given its first bytes (2 until the second byte is known).
fn header_len(start: &[u8]) -> usize {
    match start {
        [_, b1, ..] => {
            let extra = match b1 & 0x7f {
                126 => 2,
                127 => 8,
                _ => 0,
            };
            2 + extra + if b1 & 0x80 != 0 { 4 } else { 0 }
        }
        _ => 2,
    }
}

enum Step {
    Io(io::Error),
    Fail(ReframeError),
}

enum Advance {
    /// This many bytes were written to the buffer (0: end of stream).
    Wrote(usize),
    /// State changed or output is pending: go round.
    Again,
    /// More input is needed and `inner` may not be read now.
    Stop,
}

impl From<io::Error> for Step {
    fn from(e: io::Error) -> Self {
        Step::Io(e)
    }
}

impl From<InflateError> for Step {
    fn from(e: InflateError) -> Self {
        Step::Fail(e.into())
    }
}

#[cfg(test)]
#[path = "reframe_tests.rs"]
mod tests;
