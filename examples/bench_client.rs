//! The benchmark client on named-websocket, compared with `raw_client` (raw tungstenite) by
//! `scripts/bench.sh`; issue 7.
//!
//! ```sh
//! cargo run --release -p named-websocket-bench --bin bench_server -- 0 &   # prints its URL
//! cargo run --release --example bench_client -- URL WORKLOAD N SIZE [--mode sync|async]
//! ```
//! with URL the server's URL and the path of the mode the workload needs:
//!
//! | WORKLOAD | URL path | measures |
//! |---|---|---|
//! | `pingpong` | `/echo` | N round trips of a SIZE-byte text: round trips/s, p50 and p99 µs |
//! | `stream` | `/sink` | N SIZE-byte texts, then `END`, until the server's `done:N` |
//! | `bulk` | `/echo` | N round trips of a SIZE-byte binary message: MB/s one way |
//! | `down` | `/source` | N binary messages of SIZE bytes from the server: messages/s |
//! | `connect` | `/echo` | N sequential connects, each closed cleanly: connections/s |
//! | `json` | `/sink` | N JSON ticker texts of SIZE/4..SIZE bytes, then `END`: messages/s, bytes on the wire per message |
//!
//! `--compress` offers permessage-deflate (the default `Compression`); `scripts/bench.sh` runs
//! `json` with it against a Node `ws` sink that accepts it (`bench/node/json_sink.js`).
//!
//! It prints one JSON line: `client` ("named-websocket"), `mode`, `workload`, `n`, `size`,
//! `secs` and, as applies, `msgs_s`, `mb_s`, `conns_s`, `p50_us`, `p99_us`.
//!
//! The workloads, the command line and the JSON are in `bench/src/common.rs`, shared with
//! `raw_client`; it is included here with `#[path]` because an example of the root package can
//! only use the library's dependencies and dev-dependencies, and the benchmark crate must not
//! become one of them. This file holds only the WebSocket calls: the WLanguage-style functions,
//! by name, as an application uses them.
//!
//! `--mode async` runs the same workloads through the asynchronous API: a callback receives
//! the socket's events on the main thread, which pumps them with `dispatch_timeout` (wait, then
//! run every callback queued), as a GUI or event-loop program would. Each message thus crosses from the socket's worker thread to the
//! main thread, which is what the asynchronous figures measure.

#[allow(dead_code, unreachable_pub)]
#[path = "../bench/src/common.rs"]
mod common;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::time::Duration;

use std::sync::OnceLock;

use common::{
    check_binary, main_with, root_certificate_pem, run, BenchClient, BenchResult, Kind, Received,
};
use named_websocket::{
    dispatch_timeout, socket_close, socket_info, socket_read, socket_write,
    websocket_client_connect_async_with, websocket_client_connect_with, Certificate, Compression,
    ConnectOptions, Error, Event, Message,
};

/// The default options, with the default `Compression` when `compress`, for a `wss://` URL
/// the certificate of `bench_server --tls` as a trusted root (read once, as an application
/// reads its settings once), and the read buffer size in `BENCH_READ_BUFFER` if set.
fn options(url: &str, compress: bool) -> BenchResult<ConnectOptions> {
    static ROOT: OnceLock<Certificate> = OnceLock::new();
    let mut options = ConnectOptions::new();
    // For measuring the engine's read buffer size (docs/performance.md): BENCH_READ_BUFFER.
    if let Some(size) = std::env::var("BENCH_READ_BUFFER")
        .ok()
        .and_then(|size| size.parse().ok())
    {
        options = options.read_buffer_size(size);
    }
    if url.starts_with("wss://") {
        let root = match ROOT.get() {
            Some(root) => root,
            None => {
                let root = Certificate::from_pem(&root_certificate_pem()?)?;
                ROOT.get_or_init(|| root)
            }
        };
        options = options.add_root_certificate(root.clone());
    }
    Ok(if compress {
        options.compression(Compression::new())
    } else {
        options
    })
}

/// One named socket. Every call goes through the name, as in an application.
struct Named {
    name: &'static str,
}

impl Received for Message {
    fn kind(&self) -> Kind {
        if self.is_text() {
            Kind::Text
        } else {
            Kind::Binary
        }
    }
    fn payload(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl BenchClient for Named {
    type Msg = Message;

    fn connect(url: &str, compress: bool) -> BenchResult<Named> {
        let name = "bench";
        websocket_client_connect_with(name, url, &options(url, compress)?)?;
        Ok(Named { name })
    }

    fn bytes_sent(&self) -> Option<u64> {
        socket_info(self.name).ok().map(|info| info.bytes_sent)
    }

    fn send_text(&mut self, text: String) -> BenchResult<()> {
        Ok(socket_write(self.name, text)?)
    }

    fn send_binary(&mut self, data: Vec<u8>) -> BenchResult<()> {
        Ok(socket_write(self.name, data)?)
    }

    fn recv(&mut self) -> BenchResult<Option<Message>> {
        match socket_read(self.name) {
            Ok(message) => Ok(Some(message)),
            Err(Error::Closed(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn close(self) -> BenchResult<()> {
        Ok(socket_close(self.name)?)
    }
}

/// One asynchronous socket: its callback queues the events of the current connection on the
/// main thread, and `recv` pumps the dispatch queue until there is something to return. The
/// downstream workload checks and counts messages in the callback itself, as an event-driven
/// application handles them where they are delivered.
///
/// A hang guard: no benchmark waits this long for one event.
const PUMP_TIMEOUT: Duration = Duration::from_secs(30);

struct Callbacks {
    name: &'static str,
    connection: u64,
}

thread_local! {
    /// Events of the asynchronous socket, with the connection they belong to. Callbacks run on
    /// the thread that dispatches (the main thread), so no lock is needed.
    static EVENTS: RefCell<VecDeque<(u64, Event)>> = const { RefCell::new(VecDeque::new()) };
    static CONNECTIONS: Cell<u64> = const { Cell::new(0) };
    /// Set while `count_binary_until_close` runs: the callback checks and counts messages
    /// instead of queueing them.
    static COUNTING: RefCell<Option<Counting>> = const { RefCell::new(None) };
}

/// Messages checked and counted in the callback.
struct Counting {
    connection: u64,
    size: usize,
    count: u64,
    error: Option<String>,
}

impl Counting {
    fn take(&mut self, message: &Message) {
        match check_binary(message.kind(), message.len(), self.size) {
            Ok(()) => self.count += 1,
            Err(e) => {
                self.error.get_or_insert_with(|| e.to_string());
            }
        }
    }
}

impl Callbacks {
    /// The next event of the current connection, pumping the dispatch queue as needed.
    fn next_event(&self) -> BenchResult<Event> {
        loop {
            let event = EVENTS.with(|events| events.borrow_mut().pop_front());
            match event {
                Some((connection, event)) if connection == self.connection => return Ok(event),
                Some(_) => continue, // the last events of an earlier connection
                None => {
                    // As an event loop does: wait for events, then run every callback queued.
                    if dispatch_timeout(PUMP_TIMEOUT)? == 0 {
                        return Err("no event within the pump timeout".into());
                    }
                }
            }
        }
    }
}

impl BenchClient for Callbacks {
    type Msg = Message;

    fn connect(url: &str, compress: bool) -> BenchResult<Callbacks> {
        let name = "bench-async";
        let connection = CONNECTIONS.with(|n| {
            n.set(n.get() + 1);
            n.get()
        });
        websocket_client_connect_async_with(
            name,
            move |_name, event| {
                if let Event::Message(message) = &event {
                    let counted = COUNTING.with(|counting| match &mut *counting.borrow_mut() {
                        Some(counting) if counting.connection == connection => {
                            counting.take(message);
                            true
                        }
                        _ => false,
                    });
                    if counted {
                        return;
                    }
                }
                EVENTS.with(|events| events.borrow_mut().push_back((connection, event)))
            },
            url,
            &options(url, compress)?,
        )?;
        let socket = Callbacks { name, connection };
        match socket.next_event()? {
            Event::Open { .. } => Ok(socket),
            Event::Error(error) => Err(error.into()),
            other => Err(format!("expected Open, got {other:?}").into()),
        }
    }

    fn send_text(&mut self, text: String) -> BenchResult<()> {
        Ok(socket_write(self.name, text)?)
    }

    fn send_binary(&mut self, data: Vec<u8>) -> BenchResult<()> {
        Ok(socket_write(self.name, data)?)
    }

    fn bytes_sent(&self) -> Option<u64> {
        socket_info(self.name).ok().map(|info| info.bytes_sent)
    }

    fn recv(&mut self) -> BenchResult<Option<Message>> {
        match self.next_event()? {
            Event::Message(message) => Ok(Some(message)),
            Event::Close { ended: true, .. } => Ok(None),
            Event::Error(error) => Err(error.into()),
            other => Err(format!("unexpected {other:?}").into()),
        }
    }

    fn count_binary_until_close(&mut self, size: usize) -> BenchResult<u64> {
        COUNTING.with(|counting| {
            counting.replace(Some(Counting {
                connection: self.connection,
                size,
                count: 0,
                error: None,
            }))
        });
        // Messages queued before counting began still come through `next_event`.
        let mut queued_before = 0;
        let outcome: BenchResult<()> = loop {
            match self.next_event() {
                Ok(Event::Message(message)) => {
                    if let Err(e) = check_binary(message.kind(), message.len(), size) {
                        break Err(e);
                    }
                    queued_before += 1;
                }
                Ok(Event::Close { ended: true, .. }) => break Ok(()),
                Ok(Event::Error(error)) => break Err(error.into()),
                Ok(other) => break Err(format!("unexpected {other:?}").into()),
                Err(e) => break Err(e),
            }
        };
        let counting = COUNTING
            .with(|counting| counting.take())
            .ok_or("the count went missing")?;
        outcome?;
        if let Some(error) = counting.error {
            return Err(error.into());
        }
        Ok(queued_before + counting.count)
    }

    fn close(self) -> BenchResult<()> {
        socket_close(self.name)?;
        // Its Close event (and any message before it) is left for `next_event` to skip.
        Ok(())
    }
}

fn main() {
    main_with::<Named>("named-websocket", |args| Ok(run::<Callbacks>(args)))
}
