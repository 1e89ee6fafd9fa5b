//! The benchmark client written directly on tungstenite, the baseline `bench_client` (the
//! named-websocket example) is compared with.
//!
//! Same command line and same JSON line as `examples/bench_client.rs`; only the WebSocket calls
//! differ (the workloads live in `bench/src/common.rs`). The connection is what a tungstenite
//! user writes: `tungstenite::connect` (TCP_NODELAY on, blocking socket), `send` (write and
//! flush) per message, `read` until a data message, `close` then `read` until
//! `ConnectionClosed`. For `wss://` URLs (`bench_server --tls`), one native-tls connector for
//! the whole run that trusts the certificate named by `BENCH_ROOT_CERT`, as a tungstenite user
//! who knows the cost of building one writes it.
//!
//! ```sh
//! cargo run --release -p named-websocket-bench --bin bench_server -- 0 &   # prints its URL
//! cargo run --release -p named-websocket-bench --bin raw_client -- \
//!     ws://127.0.0.1:PORT/echo pingpong 10000 32
//! ```
//! Prints e.g. `{"client":"raw-tungstenite","mode":"sync","workload":"pingpong",...}`.
//! Raw tungstenite has only the blocking mode: `--mode async` exits with status 2.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::OnceLock;

use named_websocket_bench::{
    main_with, root_certificate_pem, BenchClient, BenchResult, Kind, Received,
};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Bytes, Message, WebSocket};

struct Raw<S: Read + Write> {
    ws: WebSocket<S>,
}

/// How a raw connection is opened: plain, or TLS through one connector.
trait Open: Read + Write + Sized {
    fn open(url: &str) -> BenchResult<WebSocket<Self>>;
}

impl Open for MaybeTlsStream<TcpStream> {
    fn open(url: &str) -> BenchResult<WebSocket<Self>> {
        let (ws, _response) = tungstenite::connect(url)?;
        Ok(ws)
    }
}

/// The one connector of the run, built on first use.
static CONNECTOR: OnceLock<native_tls::TlsConnector> = OnceLock::new();

impl Open for native_tls::TlsStream<TcpStream> {
    fn open(url: &str) -> BenchResult<WebSocket<Self>> {
        let connector = match CONNECTOR.get() {
            Some(connector) => connector,
            None => {
                let root = native_tls::Certificate::from_pem(&root_certificate_pem()?)?;
                let built = native_tls::TlsConnector::builder()
                    .add_root_certificate(root)
                    .build()?;
                CONNECTOR.get_or_init(|| built)
            }
        };
        let authority = url
            .strip_prefix("wss://")
            .and_then(|rest| rest.split('/').next())
            .ok_or("expected wss://HOST:PORT/PATH")?;
        let host = authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host);
        let tcp = TcpStream::connect(authority)?;
        tcp.set_nodelay(true)?;
        let tls = connector.connect(host, tcp).map_err(|e| e.to_string())?;
        let (ws, _response) = tungstenite::client(url, tls).map_err(|e| e.to_string())?;
        Ok(ws)
    }
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

impl<S: Open> BenchClient for Raw<S> {
    type Msg = RawMessage;

    fn connect(url: &str, compress: bool) -> BenchResult<Raw<S>> {
        if compress {
            return Err("raw tungstenite has no permessage-deflate".into());
        }
        Ok(Raw { ws: S::open(url)? })
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
    const NO_ASYNC: &str = "raw tungstenite has no async mode: compare --mode async runs of bench_client with this client's sync runs";
    if std::env::args().any(|arg| arg.starts_with("wss://")) {
        main_with::<Raw<native_tls::TlsStream<TcpStream>>>("raw-tungstenite", |_| Err(NO_ASYNC))
    } else {
        main_with::<Raw<MaybeTlsStream<TcpStream>>>("raw-tungstenite", |_| Err(NO_ASYNC))
    }
}
