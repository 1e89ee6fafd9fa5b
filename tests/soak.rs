//! Chaos soak: many sockets, both modes (asynchronous ones polled and with callbacks), some
//! compressed, with reconnect on, talk to an echo
//! server through a relay that injects faults at seeded random points: delays, writes split
//! into single bytes, stalled reading, connections cut mid-frame, resets.
//!
//! It asserts what the documentation promises under such a network: no panic; no call past
//! its documented bound; every message that comes back comes back once, whole and in order;
//! each connection of an asynchronous socket opens once and ends with one Close, after an
//! Error when it was lost, and a Reconnecting follows every Close but the last; each
//! asynchronous socket ends with exactly one final Close and nothing after it; once
//! everything is closed, threads and descriptors return to where they started, and so do the
//! bytes allocated (within 1 MiB after a first round, and a second adds at most 256 KiB; RSS
//! is printed, not asserted: glibc keeps what was freed).
//!
//! Ignored by `cargo test`; `scripts/soak.sh` runs it. Settings, from the environment:
//! `SOAK_SECONDS` (default 110), `SOAK_SOCKETS` (default 200, half of them blocking),
//! `SOAK_SEED` (default: from the clock; printed, so a failing run's fault plan can be
//! replayed: each connection's faults come from the seed and the connection's number, the
//! thread timing does not).
//!
//! Linux only: it counts threads and descriptors through /proc (docs/platforms.md).
#![cfg(target_os = "linux")]

mod common;

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use cap::Cap;
use common::*;
use named_websocket::*;

/// Counts what is allocated, so that the soak can check it returns to where it started.
#[global_allocator]
static ALLOCATOR: Cap<std::alloc::System> = Cap::new(std::alloc::System, usize::MAX);

/// Bytes allocated and not yet freed, by any thread of this process.
fn heap_in_use() -> usize {
    ALLOCATOR.allocated()
}

/// What may stay allocated once everything closed: the registry's table, the background
/// thread's job lists and the like keep the capacity they grew to.
const HEAP_SLACK: usize = 1 << 20;
/// What a second round may add to what the first left: none of it is one-time any more.
const LEAK_SLACK: usize = 256 << 10;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
const READ_WAIT: Duration = Duration::from_millis(300);
/// What a loaded two-core machine may add to a documented bound before it counts as a hang.
const SLACK: Duration = Duration::from_secs(3);
/// Messages a socket may have sent and not seen back before it waits for them.
const WINDOW: u64 = 4;

/// xorshift64*: enough randomness for a fault plan, and the same plan for the same seed.
#[derive(Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so that nearby seeds give unrelated streams (never 0).
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[derive(Default)]
struct Faults {
    delays: AtomicU64,
    splits: AtomicU64,
    stalls: AtomicU64,
    cuts: AtomicU64,
    resets: AtomicU64,
    connections: AtomicU64,
}

impl Faults {
    fn total(&self) -> u64 {
        [
            &self.delays,
            &self.splits,
            &self.stalls,
            &self.cuts,
            &self.resets,
        ]
        .iter()
        .map(|count| count.load(Ordering::Relaxed))
        .sum()
    }
}

/// A loopback listener whose accept loop hands each connection to `serve` on its own thread,
/// until [`Service::stop`]; it counts the threads it started that are still running.
struct Service {
    port: u16,
    stopping: Arc<AtomicBool>,
    alive: Arc<AtomicUsize>,
    acceptor: JoinHandle<()>,
}

impl Service {
    fn start(serve: impl Fn(TcpStream, u64) + Send + Sync + 'static) -> Service {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stopping = Arc::new(AtomicBool::new(false));
        let alive = Arc::new(AtomicUsize::new(0));
        let serve = Arc::new(serve);
        let acceptor = {
            let (stopping, alive) = (Arc::clone(&stopping), Arc::clone(&alive));
            thread::spawn(move || {
                for (number, stream) in (0u64..).zip(listener.incoming()) {
                    if stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (serve, alive) = (Arc::clone(&serve), Arc::clone(&alive));
                    alive.fetch_add(1, Ordering::SeqCst);
                    thread::spawn(move || {
                        serve(stream, number);
                        alive.fetch_sub(1, Ordering::SeqCst);
                    });
                }
            })
        };
        Service {
            port,
            stopping,
            alive,
            acceptor,
        }
    }

    /// Stops accepting, and waits (at most [`HANG_GUARD`]) for the connections' threads.
    fn stop(self) -> usize {
        self.stopping.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        self.acceptor.join().unwrap();
        let deadline = Instant::now() + HANG_GUARD;
        while self.alive.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            thread::yield_now();
        }
        self.alive.load(Ordering::SeqCst)
    }
}

/// The echo server: permessage-deflate when offered, every message back as it came.
fn echo_server() -> Service {
    Service::start(|stream, _| {
        let _ = stream.set_read_timeout(Some(SERVER_IO_TIMEOUT));
        let _ = stream.set_write_timeout(Some(SERVER_IO_TIMEOUT));
        let answer = |offer: Option<&str>| {
            offer
                .filter(|offer| offer.contains("permessage-deflate"))
                .map(|_| "permessage-deflate".to_owned())
        };
        if let Some(peer) = upgrade(stream, &answer) {
            peer.echo();
        }
    })
}

/// The relay: each connection to it gets one to `upstream`, and each direction's bytes go
/// through [`pump`] with a fault plan of its own.
fn chaos_relay(upstream: u16, seed: u64, faults: Arc<Faults>) -> Service {
    Service::start(move |client, number| {
        faults.connections.fetch_add(1, Ordering::Relaxed);
        let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
            return;
        };
        let (Ok(client_in), Ok(server_in)) = (client.try_clone(), server.try_clone()) else {
            return;
        };
        let up_rng = Rng::new(seed ^ number.wrapping_mul(0x1000_0000_01b3));
        let down_rng = Rng::new(!seed ^ number.wrapping_mul(0x1000_0000_01b3));
        let up = {
            let faults = Arc::clone(&faults);
            thread::spawn(move || pump(client_in, server, up_rng, &faults))
        };
        pump(server_in, client, down_rng, &faults);
        let _ = up.join();
    })
}

/// Copies `from` to `to` until either ends, injecting the faults `rng` picks, chunk by chunk;
/// then ends both directions.
fn pump(mut from: TcpStream, mut to: TcpStream, mut rng: Rng, faults: &Faults) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        let roll = rng.below(1000);
        let result = match roll {
            0..=5 => {
                faults.cuts.fetch_add(1, Ordering::Relaxed);
                let _ = to.write_all(&chunk[..rng.below(n as u64) as usize]);
                break;
            }
            6..=9 => {
                faults.resets.fetch_add(1, Ordering::Relaxed);
                let _ = to.write_all(&chunk[..rng.below(n as u64) as usize]);
                reset(&to);
                reset(&from);
                return;
            }
            10..=29 => {
                faults.stalls.fetch_add(1, Ordering::Relaxed);
                thread::sleep(Duration::from_millis(200 + rng.below(1300)));
                to.write_all(chunk)
            }
            30..=129 => {
                faults.delays.fetch_add(1, Ordering::Relaxed);
                thread::sleep(Duration::from_millis(1 + rng.below(20)));
                to.write_all(chunk)
            }
            130..=229 => {
                faults.splits.fetch_add(1, Ordering::Relaxed);
                chunk
                    .iter()
                    .try_for_each(|byte| to.write_all(std::slice::from_ref(byte)))
            }
            _ => to.write_all(chunk),
        };
        if result.is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

/// Ends a connection with a reset (RST) rather than an orderly close, where the platform lets
/// a test ask for it; elsewhere an abrupt shutdown.
fn reset(stream: &TcpStream) {
    #[cfg(unix)]
    {
        let _ = rustix::net::sockopt::set_socket_linger(stream, Some(Duration::ZERO));
    }
    let _ = stream.shutdown(Shutdown::Both);
}

/// The resident memory of this process in bytes, where the platform says it cheaply.
fn resident_bytes() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
        let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
        Some(pages * 4096)
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// Message `seq` of socket `id`: its number first, then a body whose length varies (some
/// over the compression threshold, some over one TCP segment).
fn payload(id: usize, seq: u64) -> String {
    let body = "chaos soak ".repeat((seq as usize * 7 + id) % 400);
    format!("{id}:{seq}:{body}")
}

/// What a socket saw.
#[derive(Default)]
struct Tally {
    sent: u64,
    received: u64,
    errors: u64,
    opens: u64,
    reconnecting: u64,
    connect_failures: u64,
}

/// Checks an echoed message: whole, and after the last one that came back.
fn check_echo(id: usize, message: &Message, last: &mut Option<u64>) {
    let Message::Text(text) = message else {
        panic!("socket {id}: a binary message came back: {message:?}");
    };
    let seq: u64 = text
        .split(':')
        .nth(1)
        .and_then(|seq| seq.parse().ok())
        .unwrap_or_else(|| panic!("socket {id}: not a message of ours: {text:.40}"));
    assert_eq!(
        *text,
        payload(id, seq),
        "socket {id}: message {seq} came back changed"
    );
    if let Some(last) = *last {
        assert!(
            seq > last,
            "socket {id}: message {seq} came back after {last} (twice, or out of order)"
        );
    }
    *last = Some(seq);
}

fn bounded<T>(what: &str, bound: Duration, call: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let result = call();
    let took = start.elapsed();
    assert!(
        took <= bound + SLACK,
        "{what} took {took:?}, past its bound {bound:?}"
    );
    result
}

fn options(compressed: bool) -> ConnectOptions {
    let options = ConnectOptions::new()
        .connect_timeout(CONNECT_TIMEOUT)
        .write_timeout(WRITE_TIMEOUT)
        .close_timeout(CLOSE_TIMEOUT)
        .reconnect(
            Reconnect::new()
                .min_delay(Duration::from_millis(20))
                .max_delay(Duration::from_millis(500))
                .max_attempts(None),
        );
    if compressed {
        options.compression(Compression::new())
    } else {
        options
    }
}

fn blocking_socket(id: usize, url: &str, until: Instant) -> Tally {
    let name = unique_name(&format!("soak-blocking-{id}"));
    let options = options(id % 3 == 0);
    let mut tally = Tally::default();
    loop {
        let result = bounded("a blocking connect", CONNECT_TIMEOUT, || {
            websocket_client_connect_with(&name, url, &options)
        });
        match result {
            Ok(()) => break,
            Err(_) if Instant::now() < until => tally.connect_failures += 1,
            Err(_) => return tally,
        }
    }
    tally.opens = 1;
    let (mut next, mut last) = (0u64, None);
    let mut last_write = Instant::now();
    while Instant::now() < until {
        let in_flight = next - last.map_or(0, |last| last + 1);
        // What is still in flight after a second was lost with its connection, or is late.
        if in_flight < WINDOW || last_write.elapsed() > Duration::from_secs(1) {
            last_write = Instant::now();
            match bounded("socket_write", WRITE_TIMEOUT, || {
                socket_write(&name, payload(id, next))
            }) {
                Ok(()) => tally.sent += 1,
                Err(_) => tally.errors += 1,
            }
            next += 1;
        }
        match bounded("socket_read_timeout", READ_WAIT, || {
            socket_read_timeout(&name, READ_WAIT)
        }) {
            Ok(message) => {
                check_echo(id, &message, &mut last);
                tally.received += 1;
            }
            Err(error) if error.is_timeout() => {}
            Err(_) => {
                tally.errors += 1;
                // Pacing while the socket reconnects.
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
    let _ = bounded("socket_close", CLOSE_TIMEOUT, || socket_close(&name));
    tally
}

/// Where an asynchronous socket's events come from: its own queue (polled), or its callback,
/// run by the one thread that dispatches.
enum Source {
    Polled(SocketEvents),
    Callback(Arc<Mutex<VecDeque<Event>>>),
}

impl Source {
    fn next(&self) -> Option<Event> {
        match self {
            Source::Polled(events) => events.next(),
            Source::Callback(queue) => queue.lock().unwrap().pop_front(),
        }
    }
}

/// What the documentation promises of the events of each connection while the socket runs:
/// `Open` first and once, messages only while open, one `Close` at its end, after an `Error`
/// when it was lost without a Close frame (1006), and `Reconnecting` after each `Close` that
/// does not end the socket.
#[derive(Default)]
struct Lifecycle {
    open: bool,
    error_seen: bool,
    owes_reconnecting: bool,
    problems: Vec<String>,
}

impl Lifecycle {
    fn see(&mut self, event: &Event) {
        let problem = match event {
            Event::Open { .. } if self.open => Some("a second Open in one connection"),
            Event::Open { .. } if self.owes_reconnecting => {
                Some("an Open without Reconnecting after the Close of a lost connection")
            }
            Event::Open { .. } => {
                self.open = true;
                None
            }
            Event::Message(_) if !self.open => Some("a message outside an open connection"),
            Event::Error(_) => {
                self.error_seen = true;
                None
            }
            Event::Close { code, ended, .. } => {
                let unexplained = *code == 1006 && !self.error_seen;
                self.open = false;
                self.error_seen = false;
                self.owes_reconnecting = !ended;
                unexplained.then_some("a Close 1006 (lost) without an Error before it")
            }
            Event::Reconnecting { .. } if !self.owes_reconnecting => {
                Some("Reconnecting without the Close of a lost connection before it")
            }
            Event::Reconnecting { .. } => {
                self.owes_reconnecting = false;
                None
            }
            _ => None,
        };
        if let Some(problem) = problem {
            if self.problems.len() < 3 {
                self.problems.push(format!("{problem} ({event:?})"));
            }
        }
    }
}

/// An asynchronous socket of the soak, polled or with a callback.
struct AsyncSocket {
    id: usize,
    name: String,
    source: Source,
    lifecycle: Lifecycle,
    next: u64,
    last: Option<u64>,
    last_write: Instant,
    tally: Tally,
}

impl AsyncSocket {
    fn new(id: usize, name: String, source: Source) -> AsyncSocket {
        AsyncSocket {
            id,
            name,
            source,
            lifecycle: Lifecycle::default(),
            next: 0,
            last: None,
            last_write: Instant::now(),
            tally: Tally::default(),
        }
    }

    fn take_events(&mut self) {
        while let Some(event) = self.source.next() {
            self.lifecycle.see(&event);
            match event {
                Event::Open { .. } => self.tally.opens += 1,
                Event::Message(message) => {
                    check_echo(self.id, &message, &mut self.last);
                    self.tally.received += 1;
                }
                Event::Reconnecting { .. } => self.tally.reconnecting += 1,
                Event::Error(_) => self.tally.errors += 1,
                _ => {}
            }
        }
    }

    fn write(&mut self) {
        let in_flight = self.next - self.last.map_or(0, |last| last + 1);
        let stale = self.last_write.elapsed() > Duration::from_secs(1);
        if !self.lifecycle.open || (in_flight >= WINDOW && !stale) {
            return;
        }
        let (name, message) = (&self.name, payload(self.id, self.next));
        match bounded("an asynchronous socket_write", Duration::ZERO, || {
            socket_write(name, message)
        }) {
            Ok(()) => self.tally.sent += 1,
            Err(_) => self.tally.errors += 1,
        }
        self.next += 1;
        self.last_write = Instant::now();
    }

    /// Closes the socket; returns the state it was in.
    fn close(&mut self) -> Option<State> {
        let state = socket_state(&self.name).ok();
        let _ = bounded("an asynchronous socket_close", Duration::ZERO, || {
            socket_close(&self.name)
        });
        state
    }

    /// Takes the events that came after `socket_close`.
    fn take_after_close(&mut self, after: &mut Vec<String>) {
        while let Some(event) = self.source.next() {
            match event {
                Event::Close { code, .. } => after.push(format!("Close {code}")),
                Event::Message(message) => {
                    check_echo(self.id, &message, &mut self.last);
                    after.push("Message".into());
                }
                Event::Reconnecting { .. } => after.push("Reconnecting".into()),
                event => after.push(format!("{event:?}")),
            }
        }
    }
}

/// Whether the events taken after `socket_close` end with exactly one final Close: the last
/// event, and the one Close not followed by a new attempt (a connection lost just before the
/// close may have posted its Close and `Reconnecting` already).
fn ends_with_one_final_close(after: &[String]) -> bool {
    let finals = after
        .iter()
        .enumerate()
        .filter(|(i, event)| {
            event.starts_with("Close")
                && after.get(i + 1).map(String::as_str) != Some("Reconnecting")
        })
        .count();
    finals == 1 && after.last().is_some_and(|event| event.starts_with("Close"))
}

fn polled_sockets(ids: std::ops::Range<usize>, url: &str, until: Instant) -> Vec<(Tally, String)> {
    let sockets = ids
        .map(|id| {
            let name = unique_name(&format!("soak-polled-{id}"));
            let events = websocket_client_connect_polled(&name, url, &options(id % 3 == 0))
                .expect("an asynchronous connect starts");
            AsyncSocket::new(id, name, Source::Polled(events))
        })
        .collect();
    // Pacing of the load, not synchronisation: the events are taken whenever they come.
    drive(sockets, until, || thread::sleep(Duration::from_millis(2)))
}

/// Sockets with a callback; this thread is the one that dispatches (there is one such group).
fn callback_sockets(
    ids: std::ops::Range<usize>,
    url: &str,
    until: Instant,
) -> Vec<(Tally, String)> {
    let sockets = ids
        .map(|id| {
            let name = unique_name(&format!("soak-callback-{id}"));
            let queue = Arc::new(Mutex::new(VecDeque::new()));
            let sink = Arc::clone(&queue);
            websocket_client_connect_async_with(
                &name,
                move |_, event| sink.lock().unwrap().push_back(event),
                url,
                &options(id % 3 == 0),
            )
            .expect("an asynchronous connect starts");
            AsyncSocket::new(id, name, Source::Callback(queue))
        })
        .collect();
    drive(sockets, until, || {
        dispatch_timeout(Duration::from_millis(2)).expect("this thread dispatches");
    })
}

/// Runs asynchronous sockets until `until`, then closes them and checks how each ended;
/// `pump` lets their events come (dispatching, or pacing).
fn drive(
    mut sockets: Vec<AsyncSocket>,
    until: Instant,
    mut pump: impl FnMut(),
) -> Vec<(Tally, String)> {
    while Instant::now() < until {
        pump();
        for socket in &mut sockets {
            socket.take_events();
            socket.write();
        }
    }
    let states: Vec<_> = sockets.iter_mut().map(AsyncSocket::close).collect();
    // Every final Close comes within the connect timeout (a socket closed while it connects)
    // plus the close timeout.
    let deadline = Instant::now() + CONNECT_TIMEOUT + CLOSE_TIMEOUT + SLACK;
    let mut after = vec![Vec::new(); sockets.len()];
    while Instant::now() < deadline {
        pump();
        for (socket, after) in sockets.iter_mut().zip(&mut after) {
            socket.take_after_close(after);
        }
    }
    sockets
        .into_iter()
        .zip(states.into_iter().zip(after))
        .map(|(mut socket, (state, after))| {
            let mut problems = std::mem::take(&mut socket.lifecycle.problems);
            if !ends_with_one_final_close(&after) {
                problems.push(format!(
                    "not one final Close at the end; after socket_close: {after:?} \
                     (closed while {state:?})"
                ));
            }
            let mut verdict = problems.join("; ");
            if !verdict.is_empty() {
                verdict = format!("{}: {verdict}", socket.name);
            }
            (std::mem::take(&mut socket.tally), verdict)
        })
        .collect()
}

#[test]
#[ignore = "a soak of about two minutes: scripts/soak.sh runs it"]
fn chaos_soak() {
    let seconds: u64 = env_number("SOAK_SECONDS", 110);
    let sockets: usize = env_number("SOAK_SOCKETS", 200);
    let seed: u64 = env_number(
        "SOAK_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    println!(
        "soak: seed {seed} (SOAK_SEED={seed} replays its fault plan), {sockets} sockets, \
         two rounds of {} s",
        seconds / 2
    );
    let baseline = threads_and_descriptors();
    let rss_start = resident_bytes();
    let heap_start = heap_in_use();
    // Two rounds. The first may leave the library's one-time allocations (the dispatch queue,
    // the registry's table and the like), within HEAP_SLACK; a leak grows again in the second,
    // which must end within LEAK_SLACK of where the first ended.
    let after_first = round(seconds / 2, sockets, seed, baseline);
    let after_second = round(seconds / 2, sockets, seed.wrapping_add(1), baseline);
    let mib = |bytes: u64| format!("{:.1} MiB", bytes as f64 / 1048576.0);
    println!(
        "soak: heap in use {} KiB at the start, {} KiB after the first round, {} KiB after the \
         second; RSS {} at the start, {} after the first round, {} after the second",
        heap_start / 1024,
        after_first.0 / 1024,
        after_second.0 / 1024,
        rss_start.map_or("-".into(), mib),
        after_first.1.map_or("-".into(), mib),
        after_second.1.map_or("-".into(), mib),
    );
    assert!(
        after_first.0 <= heap_start + HEAP_SLACK,
        "after the first round, {} KiB are still allocated, from {} KiB at the start; seed {seed}",
        after_first.0 / 1024,
        heap_start / 1024
    );
    assert!(
        after_second.0 <= after_first.0 + LEAK_SLACK,
        "the second round left {} KiB allocated, the first {} KiB: a leak; seed {seed}",
        after_second.0 / 1024,
        after_first.0 / 1024
    );
}

/// One round: sockets talk through the relay for `seconds`, then close; returns the bytes
/// still allocated and the resident memory once everything has closed.
fn round(
    seconds: u64,
    sockets: usize,
    seed: u64,
    baseline: (usize, usize),
) -> (usize, Option<u64>) {
    let rss_before = resident_bytes();
    let faults = Arc::new(Faults::default());
    let server = echo_server();
    let relay = chaos_relay(server.port, seed, Arc::clone(&faults));
    let url = format!("ws://127.0.0.1:{}/soak", relay.port);
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);

    // Half blocking; of the asynchronous half, one group of 25 with callbacks (one thread
    // dispatches), the rest polled in groups of 25.
    let blocking = sockets / 2;
    let callbacks = blocking..(blocking + 25).min(sockets);
    let mut drivers = Vec::new();
    for id in 0..blocking {
        let url = url.clone();
        drivers.push(thread::spawn(move || {
            vec![(blocking_socket(id, &url, until), String::new())]
        }));
    }
    {
        let (url, ids) = (url.clone(), callbacks.clone());
        drivers.push(thread::spawn(move || callback_sockets(ids, &url, until)));
    }
    for group in (callbacks.end..sockets).step_by(25) {
        let url = url.clone();
        let ids = group..(group + 25).min(sockets);
        drivers.push(thread::spawn(move || polled_sockets(ids, &url, until)));
    }

    let peak_rss = Arc::new(AtomicU64::new(0));
    let sampler = {
        let peak_rss = Arc::clone(&peak_rss);
        thread::spawn(move || {
            while Instant::now() < until {
                if let Some(rss) = resident_bytes() {
                    peak_rss.fetch_max(rss, Ordering::Relaxed);
                }
                thread::sleep(Duration::from_millis(250));
            }
        })
    };

    let mut total = Tally::default();
    let mut failures = Vec::new();
    let mut panicked = 0;
    for driver in drivers {
        match driver.join() {
            Ok(results) => {
                for (tally, verdict) in results {
                    total.sent += tally.sent;
                    total.received += tally.received;
                    total.errors += tally.errors;
                    total.opens += tally.opens;
                    total.reconnecting += tally.reconnecting;
                    total.connect_failures += tally.connect_failures;
                    if !verdict.is_empty() {
                        failures.push(verdict);
                    }
                }
            }
            Err(_) => panicked += 1,
        }
    }
    sampler.join().unwrap();
    let ran = started.elapsed();
    let relay_left = relay.stop();
    let server_left = server.stop();
    let after = settled_threads_and_descriptors(baseline);
    let rss_after = resident_bytes();
    let heap_after = heap_in_use();

    let mib = |bytes: Option<u64>| {
        bytes.map_or("-".into(), |b| format!("{:.1} MiB", b as f64 / 1048576.0))
    };
    println!(
        "soak: {ran:.1?}, seed {seed}: {} messages sent, {} came back; {} errors reported; \
         {} connections through the relay, {} opens (asynchronous), {} reconnect waits, \
         {} failed first connects (blocking)",
        total.sent,
        total.received,
        total.errors,
        faults.connections.load(Ordering::Relaxed),
        total.opens,
        total.reconnecting,
        total.connect_failures,
    );
    println!(
        "soak: faults injected {}: {} delays, {} writes split into bytes, {} stalls, {} cuts, \
         {} resets",
        faults.total(),
        faults.delays.load(Ordering::Relaxed),
        faults.splits.load(Ordering::Relaxed),
        faults.stalls.load(Ordering::Relaxed),
        faults.cuts.load(Ordering::Relaxed),
        faults.resets.load(Ordering::Relaxed),
    );
    println!(
        "soak: RSS {} before, peak {}, {} after; heap in use {} KiB after; threads and \
         descriptors {baseline:?} before, {after:?} after",
        mib(rss_before),
        mib(Some(peak_rss.load(Ordering::Relaxed)).filter(|&b| b > 0)),
        mib(rss_after),
        heap_after / 1024,
    );

    assert_eq!(
        panicked, 0,
        "{panicked} driver threads panicked (see above); seed {seed}"
    );
    assert!(failures.is_empty(), "seed {seed}:\n{}", failures.join("\n"));
    assert!(total.received > 0, "no message came back at all");
    assert_eq!(
        (relay_left, server_left),
        (0, 0),
        "relay or server connections never ended"
    );
    assert_eq!(
        after, baseline,
        "threads and descriptors did not return to where they started"
    );
    (heap_after, rss_after)
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}
