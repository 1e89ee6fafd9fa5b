//! A permessage-deflate server for tests, on raw TCP with flate2 directly: independent of the
//! client's own codec, so a test checks the client against what the RFC puts on the wire.

use std::io::{self, Read, Write};
use std::net::TcpStream;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};

use super::{raw_server, read_request_head, Server};

pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// One frame as the client sent it, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFrame {
    pub fin: bool,
    pub rsv1: bool,
    pub opcode: u8,
    pub payload: Vec<u8>,
}

/// What the client sent, once reassembled (and inflated when it had RSV1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Message {
        opcode: u8,
        payload: Vec<u8>,
        compressed: bool,
    },
    Pong(Vec<u8>),
    Close(Option<u16>),
}

/// The server side of one connection, after the upgrade.
pub struct Peer {
    /// The client's `Sec-WebSocket-Extensions` offer, if any.
    pub offer: Option<String>,
    /// The answer the server sent, if any.
    pub answer: Option<String>,
    stream: TcpStream,
    /// Bytes not written yet: the 101 answer waits here, so that the first message sent goes
    /// out in the same write (and, on loopback, the client's same read).
    pending: Vec<u8>,
    compressor: Option<Compress>,
    inflater: Decompress,
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
}

/// Accepts `connections` upgrades; `answer` gets the client's offer and returns the server's
/// `Sec-WebSocket-Extensions` answer (`None`: no such header).
pub fn deflate_server<T, A, F>(connections: usize, answer: A, handler: F) -> Server<T>
where
    A: Fn(Option<&str>) -> Option<String> + Send + Sync + 'static,
    F: Fn(Peer) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    raw_server(connections, move |stream| {
        handler(upgrade(stream, &answer).expect("a WebSocket upgrade request"))
    })
}

/// Answers the upgrade request waiting on `stream`; `answer` as for [`deflate_server`].
/// `None` when what arrived is no upgrade request (the connection ended first).
pub fn upgrade<A>(mut stream: TcpStream, answer: &A) -> Option<Peer>
where
    A: Fn(Option<&str>) -> Option<String>,
{
    let head = read_request_head(&mut stream);
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    let key = header("sec-websocket-key")?;
    let offer = header("sec-websocket-extensions");
    let answer = answer(offer.as_deref());
    let mut pending = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n",
        tungstenite::handshake::derive_accept_key(key.as_bytes())
    );
    if let Some(answer) = &answer {
        pending.push_str(&format!("Sec-WebSocket-Extensions: {answer}\r\n"));
    }
    pending.push_str("\r\n");
    let param = |name: &str| {
        answer.as_deref().and_then(|answer| {
            answer.split(';').map(str::trim).find_map(|p| {
                let (n, v) = p.split_once('=').unwrap_or((p, ""));
                (n.trim() == name).then(|| v.trim().to_owned())
            })
        })
    };
    let window = param("server_max_window_bits")
        .and_then(|bits| bits.parse::<u8>().ok())
        .unwrap_or(15)
        .clamp(9, 15);
    let accepted = answer
        .as_deref()
        .is_some_and(|a| a.starts_with("permessage-deflate"));
    Some(Peer {
        server_no_context_takeover: param("server_no_context_takeover").is_some(),
        client_no_context_takeover: param("client_no_context_takeover").is_some(),
        offer,
        answer,
        stream,
        pending: pending.into_bytes(),
        compressor: accepted
            .then(|| Compress::new_with_window_bits(Compression::new(6), false, window)),
        inflater: Decompress::new_with_window_bits(false, 15),
    })
}

/// A handler that returns at once still sends the 101 answer.
impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.stream.write_all(&self.pending);
    }
}

impl Peer {
    /// Writes a frame (after anything pending).
    pub fn frame(&mut self, fin: bool, rsv1: bool, opcode: u8, payload: &[u8]) -> io::Result<()> {
        let mut out = std::mem::take(&mut self.pending);
        out.push(u8::from(fin) << 7 | u8::from(rsv1) << 6 | opcode);
        match payload.len() {
            len @ 0..=125 => out.push(len as u8),
            len @ 126..=0xffff => {
                out.push(126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
            len => {
                out.push(127);
                out.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        out.extend_from_slice(payload);
        self.stream.write_all(&out)
    }

    /// Writes raw bytes (after anything pending).
    pub fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut out = std::mem::take(&mut self.pending);
        out.extend_from_slice(bytes);
        self.stream.write_all(&out)
    }

    /// The payload of `message` compressed as this server compresses: sync flush, tail
    /// stripped, context reset afterwards without server context takeover.
    pub fn deflate(&mut self, message: &[u8]) -> Vec<u8> {
        let reset = self.server_no_context_takeover;
        let compressor = self.compressor.as_mut().expect("compression agreed");
        let mut out = Vec::with_capacity(message.len() + 64);
        let start = compressor.total_in();
        loop {
            out.reserve(4096);
            let done = (compressor.total_in() - start) as usize;
            compressor
                .compress_vec(&message[done..], &mut out, FlushCompress::Sync)
                .expect("deflate");
            if (compressor.total_in() - start) as usize == message.len()
                && out.len() < out.capacity()
            {
                break;
            }
        }
        assert!(out.ends_with(&TAIL));
        out.truncate(out.len() - TAIL.len());
        if reset {
            compressor.reset();
        }
        out
    }

    /// Sends a message, compressed when compression was agreed, in fragments of `fragment`
    /// bytes when given, with a ping between fragments when `ping_between`.
    pub fn send(
        &mut self,
        opcode: u8,
        message: &[u8],
        fragment: Option<usize>,
        ping_between: bool,
    ) -> io::Result<()> {
        let compressed = self.compressor.is_some();
        let payload = if compressed {
            self.deflate(message)
        } else {
            message.to_vec()
        };
        let step = fragment.unwrap_or(usize::MAX).max(1);
        let mut start: usize = 0;
        loop {
            let end = payload.len().min(start.saturating_add(step));
            let fin = end == payload.len();
            let op = if start == 0 { opcode } else { 0 };
            self.frame(fin, compressed && start == 0, op, &payload[start..end])?;
            if fin {
                return Ok(());
            }
            if ping_between {
                self.frame(true, false, OP_PING, b"between")?;
            }
            start = end;
        }
    }

    /// Reads one frame of the client, unmasked (after writing anything pending).
    pub fn read_frame(&mut self) -> io::Result<ClientFrame> {
        self.raw(&[])?;
        let mut head = [0u8; 2];
        self.stream.read_exact(&mut head)?;
        let len = match head[1] & 0x7f {
            126 => {
                let mut b = [0u8; 2];
                self.stream.read_exact(&mut b)?;
                u64::from(u16::from_be_bytes(b))
            }
            127 => {
                let mut b = [0u8; 8];
                self.stream.read_exact(&mut b)?;
                u64::from_be_bytes(b)
            }
            short => u64::from(short),
        };
        assert!(head[1] & 0x80 != 0, "client frames are masked");
        let mut mask = [0u8; 4];
        self.stream.read_exact(&mut mask)?;
        let mut payload = vec![0u8; usize::try_from(len).expect("frame length")];
        self.stream.read_exact(&mut payload)?;
        for (i, byte) in payload.iter_mut().enumerate() {
            *byte ^= mask[i % 4];
        }
        Ok(ClientFrame {
            fin: head[0] & 0x80 != 0,
            rsv1: head[0] & 0x40 != 0,
            opcode: head[0] & 0x0f,
            payload,
        })
    }

    /// Reads what the client sent next: a whole message (inflated), a pong, or its Close.
    /// Pings are answered.
    pub fn read(&mut self) -> io::Result<Received> {
        let mut message: Option<(u8, bool, Vec<u8>)> = None;
        loop {
            let frame = self.read_frame()?;
            match frame.opcode {
                OP_PING => self.frame(true, false, OP_PONG, &frame.payload)?,
                OP_PONG => return Ok(Received::Pong(frame.payload)),
                OP_CLOSE => {
                    let code = (frame.payload.len() >= 2)
                        .then(|| u16::from_be_bytes([frame.payload[0], frame.payload[1]]));
                    return Ok(Received::Close(code));
                }
                opcode => {
                    let (_, _, payload) = message.get_or_insert((opcode, frame.rsv1, Vec::new()));
                    payload.extend_from_slice(&frame.payload);
                    if frame.fin {
                        let (opcode, compressed, payload) = message.take().expect("started");
                        let payload = if compressed {
                            self.inflate(&payload)?
                        } else {
                            payload
                        };
                        return Ok(Received::Message {
                            opcode,
                            payload,
                            compressed,
                        });
                    }
                }
            }
        }
    }

    fn inflate(&mut self, payload: &[u8]) -> io::Result<Vec<u8>> {
        let mut input = payload.to_vec();
        input.extend_from_slice(&TAIL);
        let mut out = Vec::with_capacity(payload.len() * 4 + 64);
        let start = self.inflater.total_in();
        loop {
            out.reserve(16 * 1024);
            let done = (self.inflater.total_in() - start) as usize;
            self.inflater
                .decompress_vec(&input[done..], &mut out, FlushDecompress::Sync)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            if (self.inflater.total_in() - start) as usize == input.len()
                && out.len() < out.capacity()
            {
                break;
            }
        }
        if self.client_no_context_takeover {
            // A client that kept its context would now refer to bytes this state forgot.
            self.inflater.reset(false);
        }
        Ok(out)
    }

    /// Reads until the client's Close; returns its code (`None`: none, or the connection
    /// ended without one).
    pub fn until_close(mut self) -> Option<u16> {
        loop {
            match self.read() {
                Ok(Received::Close(code)) => return code,
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    /// Sends a Close frame with `code`.
    pub fn close(&mut self, code: u16) -> io::Result<()> {
        self.frame(true, false, OP_CLOSE, &code.to_be_bytes())
    }

    /// Echoes every message back (compressed when agreed) until the client's Close, which
    /// it answers; returns what it received, the Close last.
    pub fn echo(mut self) -> Vec<Received> {
        let mut seen = Vec::new();
        loop {
            match self.read() {
                Ok(Received::Message {
                    opcode,
                    payload,
                    compressed,
                }) => {
                    if self.send(opcode, &payload, None, false).is_err() {
                        return seen;
                    }
                    seen.push(Received::Message {
                        opcode,
                        payload,
                        compressed,
                    });
                }
                Ok(Received::Close(code)) => {
                    let _ = self.close(code.unwrap_or(1000));
                    seen.push(Received::Close(code));
                    return seen;
                }
                Ok(other) => seen.push(other),
                Err(_) => return seen,
            }
        }
    }
}
