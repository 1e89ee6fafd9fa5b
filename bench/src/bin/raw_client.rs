//! The benchmark client written directly on tungstenite, the baseline `bench_client` (the
//! named-websocket example) is compared with.
//!
//! Same command line and same JSON line as `examples/bench_client.rs`; only the WebSocket calls
//! differ (the workloads live in `bench/src/common.rs`). The connection is what a tungstenite
//! user writes: `tungstenite::connect` (TCP_NODELAY on, blocking socket), `send` (write and
//! flush) per message, `read` until a data message, `close` then `read` until
//! `ConnectionClosed`.
//!
//! ```sh
//! cargo run --release -p named-websocket-bench --bin bench_server -- 0 &   # prints its URL
//! cargo run --release -p named-websocket-bench --bin raw_client -- \
//!     ws://127.0.0.1:PORT/echo pingpong 10000 32
//! ```
//! Prints e.g. `{"client":"raw-tungstenite","mode":"sync","workload":"pingpong",...}`.
//! Raw tungstenite has only the blocking mode: `--mode async` exits with status 2.

use std::net::TcpStream;

use named_websocket_bench::{main_with, BenchClient, BenchResult, Kind, Received};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Bytes, Message, WebSocket};

struct Raw {
    ws: WebSocket<MaybeTlsStream<TcpStream>>,
}

/// A received data message: tungstenite's payload, as it came.
struct RawMessage {
    kind: Kind,
    data: Bytes,
}

impl Received for RawMessage {
    fn kind(&self) -> Kind {
        self.kind
    }
    fn payload(&self) -> &[u8] {
        &self.data
    }
}

impl BenchClient for Raw {
    type Msg = RawMessage;

    fn connect(url: &str, compress: bool) -> BenchResult<Raw> {
        if compress {
            return Err("raw tungstenite has no permessage-deflate".into());
        }
        let (ws, _response) = tungstenite::connect(url)?;
        Ok(Raw { ws })
    }

    fn send_text(&mut self, text: String) -> BenchResult<()> {
        Ok(self.ws.send(Message::text(text))?)
    }

    fn send_binary(&mut self, data: Vec<u8>) -> BenchResult<()> {
        Ok(self.ws.send(Message::binary(data))?)
    }

    fn recv(&mut self) -> BenchResult<Option<RawMessage>> {
        loop {
            match self.ws.read() {
                Ok(Message::Text(text)) => {
                    return Ok(Some(RawMessage {
                        kind: Kind::Text,
                        data: text.into(),
                    }))
                }
                Ok(Message::Binary(data)) => {
                    return Ok(Some(RawMessage {
                        kind: Kind::Binary,
                        data,
                    }))
                }
                Ok(_) => {} // ping, pong, close: tungstenite answers them
                Err(tungstenite::Error::ConnectionClosed) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn close(mut self) -> BenchResult<()> {
        match self.ws.close(None) {
            Ok(()) => {}
            // The server closed first (the down workload): nothing left to do.
            Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                return Ok(())
            }
            Err(e) => return Err(e.into()),
        }
        loop {
            match self.ws.read() {
                Ok(_) => {}
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return Ok(())
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

fn main() {
    main_with::<Raw>("raw-tungstenite", |_| {
        Err("raw tungstenite has no async mode: compare --mode async runs of bench_client with this client's sync runs")
    })
}
