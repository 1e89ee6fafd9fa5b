//! What the two benchmark clients share: the command line, the workloads, the statistics and
//! the JSON line they print.
//!
//! A client is a type implementing [`BenchClient`] (connect, send text, send binary, receive,
//! close); [`main_with`] does everything else, so `raw_client` (tungstenite) and
//! `examples/bench_client.rs` (named-websocket) differ only in those five calls.
//!
//! This file depends on the standard library only: `bench/src/lib.rs` exports it, and
//! `examples/bench_client.rs` in the root package includes it with `#[path]`, so that the
//! library's own manifest gains no dependency for the benchmark.

use std::error::Error;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

/// Errors of the benchmark: anything printable.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// Benchmark result type.
pub type BenchResult<T> = Result<T, BoxError>;

/// What a client received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A text message.
    Text,
    /// A binary message.
    Binary,
}

/// A received data message, as the workloads look at it.
pub trait Received {
    /// Text or binary.
    fn kind(&self) -> Kind;
    /// The payload.
    fn payload(&self) -> &[u8];
}

/// The WebSocket calls a benchmark client makes. Everything else is shared.
pub trait BenchClient: Sized {
    /// The message type `recv` returns.
    type Msg: Received;

    /// Opens a connection to `url`, offering permessage-deflate when `compress`; returns when
    /// it is open.
    fn connect(url: &str, compress: bool) -> BenchResult<Self>;
    /// Sends a text message; returns when it was handed to the operating system.
    fn send_text(&mut self, text: String) -> BenchResult<()>;
    /// Sends a binary message; returns when it was handed to the operating system.
    fn send_binary(&mut self, data: Vec<u8>) -> BenchResult<()>;
    /// The next data message, or `None` once the server closed the connection.
    fn recv(&mut self) -> BenchResult<Option<Self::Msg>>;
    /// Receives data messages until the server closes the connection, and counts them; each
    /// must be binary and `size` bytes long. The default pulls them with `recv`. A
    /// callback-driven client overrides it to check and count each message in its callback,
    /// where an event-driven application handles it, rather than queueing it for `recv`.
    fn count_binary_until_close(&mut self, size: usize) -> BenchResult<u64> {
        let mut count = 0u64;
        while let Some(message) = self.recv()? {
            check_binary(message.kind(), message.payload().len(), size)?;
            count += 1;
        }
        Ok(count)
    }
    /// Bytes this connection has written to the socket so far (handshake, frames), when the
    /// client can tell; `json` then reports bytes on the wire from it.
    fn bytes_sent(&self) -> Option<u64> {
        None
    }
    /// Closes cleanly: sends Close and waits for the server's answer and the end of the TCP
    /// connection. After `recv` returned `None`, only releases what is left.
    fn close(self) -> BenchResult<()>;
}

/// The workloads of issue 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// N round trips of a SIZE-byte text message: round trips/s, p50 and p99 latency.
    PingPong,
    /// N SIZE-byte text messages, then "END"; the server answers "done:<count>".
    Stream,
    /// N round trips of a SIZE-byte binary message: MB/s one way.
    Bulk,
    /// The server sends N binary messages of SIZE bytes, then closes: messages/s.
    Down,
    /// N sequential connects, each followed by a clean close: connections/s.
    Connect,
    /// N JSON ticker texts of SIZE/4 to SIZE bytes, then "END", as `Stream`: messages/s and
    /// bytes on the wire per message (with `--compress`, against a compressing server).
    Json,
}

impl Workload {
    /// All workloads, in the order the tables show them.
    pub const ALL: [Workload; 6] = [
        Workload::PingPong,
        Workload::Stream,
        Workload::Bulk,
        Workload::Down,
        Workload::Connect,
        Workload::Json,
    ];

    /// The name on the command line and in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Workload::PingPong => "pingpong",
            Workload::Stream => "stream",
            Workload::Bulk => "bulk",
            Workload::Down => "down",
            Workload::Connect => "connect",
            Workload::Json => "json",
        }
    }

    /// Parses a workload name.
    pub fn parse(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }
}

/// Blocking calls, or callbacks pumped on the main thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The blocking API.
    Sync,
    /// The asynchronous API (callbacks pumped on the main thread).
    Async,
}

impl Mode {
    /// The name on the command line and in the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Sync => "sync",
            Mode::Async => "async",
        }
    }
}

/// The command line: `URL WORKLOAD N SIZE [--mode sync|async]`.
#[derive(Debug, Clone)]
pub struct Args {
    /// Where the benchmark server listens, with the path of the mode the workload needs.
    pub url: String,
    /// What to measure.
    pub workload: Workload,
    /// How many messages, round trips or connections.
    pub n: u64,
    /// Payload size in bytes.
    pub size: usize,
    /// Blocking or asynchronous API.
    pub mode: Mode,
    /// Offer permessage-deflate (`--compress`).
    pub compress: bool,
}

/// The usage line, for errors.
pub const USAGE: &str = "usage: URL WORKLOAD N SIZE [--mode sync|async] [--compress]\n  \
     WORKLOAD: pingpong | stream | bulk | down | connect | json\n  \
     URL: the bench_server's URL with /echo (pingpong, bulk, connect), /sink (stream) or \
     /source (down)";

impl Args {
    /// Parses the arguments after the program name.
    ///
    /// # Errors
    /// A message for the user when the command line is wrong.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Args, String> {
        let mut positional = Vec::new();
        let mut mode = Mode::Sync;
        let mut compress = false;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--compress" {
                compress = true;
                continue;
            }
            let value = if arg == "--mode" {
                Some(args.next().ok_or("--mode needs a value: sync or async")?)
            } else {
                arg.strip_prefix("--mode=").map(str::to_owned)
            };
            match value {
                Some(value) => {
                    mode = match value.as_str() {
                        "sync" => Mode::Sync,
                        "async" => Mode::Async,
                        other => return Err(format!("unknown mode {other:?}: sync or async")),
                    }
                }
                None if arg.starts_with("--") => return Err(format!("unknown option {arg}")),
                None => positional.push(arg),
            }
        }
        let [url, workload, n, size] = <[String; 4]>::try_from(positional)
            .map_err(|p| format!("expected 4 arguments, got {}", p.len()))?;
        let workload =
            Workload::parse(&workload).ok_or_else(|| format!("unknown workload {workload:?}"))?;
        let n: u64 = n
            .parse()
            .map_err(|_| format!("N must be a whole number, got {n:?}"))?;
        let size: usize = size
            .parse()
            .map_err(|_| format!("SIZE must be a whole number, got {size:?}"))?;
        if n == 0 {
            return Err("N must be at least 1".into());
        }
        if workload != Workload::Connect && size == 0 {
            return Err("SIZE must be at least 1".into());
        }
        Ok(Args {
            url,
            workload,
            n,
            size,
            mode,
            compress,
        })
    }

    /// The URL a `down` run connects to: the source's `n` and `size` are added as a query,
    /// unless the URL already has one.
    pub fn source_url(&self) -> String {
        if self.url.contains('?') {
            self.url.clone()
        } else {
            format!("{}?n={}&size={}", self.url, self.n, self.size)
        }
    }
}

/// One run's figures: printed as one JSON line.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// "named-websocket" or "raw-tungstenite".
    pub client: String,
    /// "sync" or "async".
    pub mode: String,
    /// The workload's name.
    pub workload: String,
    /// Messages, round trips or connections measured.
    pub n: u64,
    /// Payload size in bytes.
    pub size: usize,
    /// Duration of the measured part, in seconds.
    pub secs: f64,
    /// Messages (or round trips) per second.
    pub msgs_s: Option<f64>,
    /// Payload megabytes (10^6 bytes) per second, one way.
    pub mb_s: Option<f64>,
    /// Connections (connect + clean close) per second.
    pub conns_s: Option<f64>,
    /// Median latency of one round trip (or connect + close), in microseconds.
    pub p50_us: Option<f64>,
    /// 99th percentile of the same, in microseconds.
    pub p99_us: Option<f64>,
    /// Payload bytes per message (`json`).
    pub payload_b: Option<f64>,
    /// Bytes written to the socket per message, frame headers included (`json`).
    pub wire_b: Option<f64>,
}

impl Report {
    /// Records the time of a run of `args.n` messages of `args.size` bytes, with the message
    /// and byte rates it gives.
    fn set_throughput(&mut self, args: &Args, secs: f64) {
        self.secs = secs;
        self.msgs_s = Some(args.n as f64 / secs);
        self.mb_s = Some(args.n as f64 * args.size as f64 / secs / 1e6);
    }

    /// The report as one line of JSON.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        let _ = write!(
            out,
            "\"client\":{},\"mode\":{},\"workload\":{},\"n\":{},\"size\":{},\"secs\":{}",
            json_string(&self.client),
            json_string(&self.mode),
            json_string(&self.workload),
            self.n,
            self.size,
            json_number(self.secs),
        );
        for (key, value) in [
            ("msgs_s", self.msgs_s),
            ("mb_s", self.mb_s),
            ("conns_s", self.conns_s),
            ("p50_us", self.p50_us),
            ("p99_us", self.p99_us),
            ("payload_b", self.payload_b),
            ("wire_b", self.wire_b),
        ] {
            if let Some(value) = value {
                let _ = write!(out, ",\"{key}\":{}", json_number(value));
            }
        }
        out.push('}');
        out
    }
}

/// A JSON string literal.
pub fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A JSON number: finite values with up to 3 decimals; NaN and infinities as `null`.
pub fn json_number(value: f64) -> String {
    if !value.is_finite() {
        return "null".into();
    }
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".into()
    } else {
        text.to_owned()
    }
}

/// Latency samples, in nanoseconds.
#[derive(Debug, Default)]
pub struct Latencies {
    samples: Vec<u64>,
}

impl Latencies {
    /// Room for `n` samples, so that recording never allocates.
    pub fn with_capacity(n: u64) -> Latencies {
        Latencies {
            samples: Vec::with_capacity(usize::try_from(n).unwrap_or(0)),
        }
    }

    /// Records one sample.
    pub fn record(&mut self, elapsed: Duration) {
        self.samples
            .push(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
    }

    /// The p-th percentile (0–100) in microseconds, nearest rank; `None` without samples.
    pub fn percentile_us(&mut self, p: f64) -> Option<f64> {
        if self.samples.is_empty() {
            return None;
        }
        self.samples.sort_unstable();
        let rank = ((p / 100.0) * self.samples.len() as f64).ceil() as usize;
        let index = rank.clamp(1, self.samples.len()) - 1;
        Some(self.samples[index] as f64 / 1000.0)
    }
}

/// Round trips done before measuring pingpong and bulk, so that the first page faults and
/// cache misses are not counted: a tenth of N, at most 1000.
pub fn warmup_count(n: u64) -> u64 {
    (n / 10).min(1000)
}

/// Runs the workload with client `C` and returns its report (`client` is left for the caller).
///
/// # Errors
/// Any failure of the client, or a server answer that does not match what was sent.
pub fn run<C: BenchClient>(args: &Args) -> BenchResult<Report> {
    // Over TLS a workload is a row of its own.
    let tls = if args.url.starts_with("wss://") {
        " wss"
    } else {
        ""
    };
    let mut report = Report {
        mode: args.mode.name().into(),
        workload: format!("{}{tls}", args.workload.name()),
        n: args.n,
        size: args.size,
        ..Report::default()
    };
    match args.workload {
        Workload::PingPong => pingpong::<C>(args, &mut report)?,
        Workload::Stream => stream::<C>(args, &mut report)?,
        Workload::Bulk => bulk::<C>(args, &mut report)?,
        Workload::Down => down::<C>(args, &mut report)?,
        Workload::Connect => connect::<C>(args, &mut report)?,
        Workload::Json => json::<C>(args, &mut report)?,
    }
    Ok(report)
}

fn check_echo<M: Received>(reply: Option<M>, kind: Kind, size: usize) -> BenchResult<()> {
    let reply = reply.ok_or("the server closed the connection during the run")?;
    if reply.kind() != kind || reply.payload().len() != size {
        return Err(format!(
            "unexpected echo: {:?} of {} bytes instead of {kind:?} of {size}",
            reply.kind(),
            reply.payload().len()
        )
        .into());
    }
    Ok(())
}

fn pingpong<C: BenchClient>(args: &Args, report: &mut Report) -> BenchResult<()> {
    let payload = "x".repeat(args.size);
    let mut client = C::connect(&args.url, args.compress)?;
    for _ in 0..warmup_count(args.n) {
        client.send_text(payload.clone())?;
        check_echo(client.recv()?, Kind::Text, args.size)?;
    }
    let mut latencies = Latencies::with_capacity(args.n);
    let start = Instant::now();
    for _ in 0..args.n {
        let sent = Instant::now();
        client.send_text(payload.clone())?;
        let reply = client.recv()?;
        latencies.record(sent.elapsed());
        check_echo(reply, Kind::Text, args.size)?;
    }
    let secs = start.elapsed().as_secs_f64();
    client.close()?;
    report.secs = secs;
    report.msgs_s = Some(args.n as f64 / secs);
    report.p50_us = latencies.percentile_us(50.0);
    report.p99_us = latencies.percentile_us(99.0);
    Ok(())
}

fn stream<C: BenchClient>(args: &Args, report: &mut Report) -> BenchResult<()> {
    let payload = "x".repeat(args.size);
    let mut client = C::connect(&args.url, args.compress)?;
    let start = Instant::now();
    for _ in 0..args.n {
        client.send_text(payload.clone())?;
    }
    end_stream(&mut client, args.n)?;
    let secs = start.elapsed().as_secs_f64();
    client.close()?;
    report.set_throughput(args, secs);
    Ok(())
}

/// Sends "END" and waits for the server's "done:<n>".
fn end_stream<C: BenchClient>(client: &mut C, n: u64) -> BenchResult<()> {
    client.send_text("END".to_owned())?;
    let answer = client
        .recv()?
        .ok_or("the server closed the connection instead of answering END")?;
    let expected = format!("done:{n}");
    if answer.kind() != Kind::Text || answer.payload() != expected.as_bytes() {
        return Err(format!(
            "the server answered {:?}, expected {expected:?}",
            String::from_utf8_lossy(answer.payload())
        )
        .into());
    }
    Ok(())
}

/// `count` JSON arrays of ticker objects, each of `max / 4` to `max` bytes, with varying
/// figures (a deterministic generator): what a market-data feed sends.
pub fn ticker_messages(count: usize, max: usize) -> Vec<String> {
    const PRODUCTS: [&str; 6] = [
        "BTC-USD", "ETH-USD", "SOL-USD", "ADA-EUR", "XRP-USD", "DOT-GBP",
    ];
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let min = max / 4;
    (0..count)
        .map(|_| {
            let target = min + (next() as usize) % (max - min).max(1);
            let mut text = String::from("[");
            while text.len() + 300 < target {
                if text.len() > 1 {
                    text.push(',');
                }
                let r = next();
                let _ = write!(
                    text,
                    "{{\"type\":\"ticker\",\"sequence\":{},\"product_id\":\"{}\",\
                     \"price\":\"{}.{:02}\",\"open_24h\":\"{}.{:02}\",\
                     \"volume_24h\":\"{}.{:08}\",\"best_bid\":\"{}.{:02}\",\
                     \"best_ask\":\"{}.{:02}\",\"side\":\"{}\",\
                     \"time\":\"2026-11-30T12:{:02}:{:02}.{:06}Z\",\"trade_id\":{},\
                     \"last_size\":\"0.{:08}\"}}",
                    r % 10_000_000_000,
                    PRODUCTS[(r % 6) as usize],
                    r % 70_000,
                    r % 100,
                    (r >> 8) % 70_000,
                    (r >> 16) % 100,
                    (r >> 20) % 100_000,
                    (r >> 3) % 100_000_000,
                    (r >> 5) % 70_000,
                    (r >> 7) % 100,
                    (r >> 9) % 70_000,
                    (r >> 11) % 100,
                    if r & 1 == 0 { "buy" } else { "sell" },
                    (r >> 13) % 60,
                    (r >> 17) % 60,
                    (r >> 23) % 1_000_000,
                    (r >> 29) % 1_000_000_000,
                    (r >> 31) % 100_000_000,
                );
            }
            text.push(']');
            text
        })
        .collect()
}

/// The bytes of a masked client frame carrying `len` payload bytes.
fn client_frame_len(len: usize) -> u64 {
    let header = match len {
        0..=125 => 2,
        126..=0xffff => 4,
        _ => 10,
    };
    (header + 4 + len) as u64
}

fn json<C: BenchClient>(args: &Args, report: &mut Report) -> BenchResult<()> {
    let messages = ticker_messages(256, args.size);
    let mut client = C::connect(&args.url, args.compress)?;
    let before = client.bytes_sent();
    let (mut payload, mut framed) = (0u64, 0u64);
    let start = Instant::now();
    for i in 0..args.n {
        let text = &messages[i as usize % messages.len()];
        payload += text.len() as u64;
        framed += client_frame_len(text.len());
        client.send_text(text.clone())?;
    }
    end_stream(&mut client, args.n)?;
    let secs = start.elapsed().as_secs_f64();
    // A client that cannot count sends plain frames: their size is known.
    let wire = match (before, client.bytes_sent()) {
        (Some(before), Some(after)) => after - before,
        _ => framed,
    };
    client.close()?;
    let n = args.n as f64;
    report.secs = secs;
    report.msgs_s = Some(n / secs);
    report.mb_s = Some(payload as f64 / secs / 1e6);
    report.payload_b = Some(payload as f64 / n);
    report.wire_b = Some(wire as f64 / n);
    Ok(())
}

fn bulk<C: BenchClient>(args: &Args, report: &mut Report) -> BenchResult<()> {
    let payload: Vec<u8> = (0..args.size).map(|i| i as u8).collect();
    let mut client = C::connect(&args.url, args.compress)?;
    for _ in 0..warmup_count(args.n) {
        client.send_binary(payload.clone())?;
        check_echo(client.recv()?, Kind::Binary, args.size)?;
    }
    let start = Instant::now();
    for _ in 0..args.n {
        client.send_binary(payload.clone())?;
        check_echo(client.recv()?, Kind::Binary, args.size)?;
    }
    let secs = start.elapsed().as_secs_f64();
    client.close()?;
    report.set_throughput(args, secs);
    Ok(())
}

fn down<C: BenchClient>(args: &Args, report: &mut Report) -> BenchResult<()> {
    let url = args.source_url();
    // The server starts sending as soon as the upgrade is done: the clock starts before the
    // connect, so that nothing the server sent escapes the measure.
    let start = Instant::now();
    let mut client = C::connect(&url, args.compress)?;
    let count = client.count_binary_until_close(args.size)?;
    let secs = start.elapsed().as_secs_f64();
    if count != args.n {
        return Err(format!(
            "received {count} messages, the server was asked for {}",
            args.n
        )
        .into());
    }
    client.close()?;
    report.set_throughput(args, secs);
    Ok(())
}

/// What `down` expects of every message: binary, of the size asked for.
pub fn check_binary(kind: Kind, len: usize, size: usize) -> BenchResult<()> {
    if kind != Kind::Binary || len != size {
        return Err(format!("unexpected message: {kind:?} of {len} bytes").into());
    }
    Ok(())
}

fn connect<C: BenchClient>(args: &Args, report: &mut Report) -> BenchResult<()> {
    let mut latencies = Latencies::with_capacity(args.n);
    let start = Instant::now();
    for _ in 0..args.n {
        let began = Instant::now();
        let client = C::connect(&args.url, args.compress)?;
        client.close()?;
        latencies.record(began.elapsed());
    }
    let secs = start.elapsed().as_secs_f64();
    report.secs = secs;
    report.conns_s = Some(args.n as f64 / secs);
    report.p50_us = latencies.percentile_us(50.0);
    report.p99_us = latencies.percentile_us(99.0);
    Ok(())
}

/// The whole `main` of a benchmark client: parses the command line, runs the workload with
/// `C` in sync mode, or hands async mode to `run_async`, prints the JSON line.
///
/// Exit codes: 0 on success, 1 when the run failed, 2 for a bad command line or a mode this
/// client does not have (`run_async` returning `Err` with the message to print).
pub fn main_with<C: BenchClient>(
    client_name: &str,
    run_async: impl FnOnce(&Args) -> Result<BenchResult<Report>, &'static str>,
) -> ! {
    let mut argv = std::env::args().skip(1);
    if let (Some("--print-json-messages"), Some(size)) = (argv.next().as_deref(), argv.next()) {
        // For the Node client of the `json` workload: the same texts, one per line.
        let size = size.parse().unwrap_or(4096);
        for text in ticker_messages(256, size) {
            println!("{text}");
        }
        std::process::exit(0);
    }
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{client_name}: {message}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let result = match args.mode {
        Mode::Sync => run::<C>(&args),
        Mode::Async => match run_async(&args) {
            Ok(result) => result,
            Err(message) => {
                eprintln!("{client_name}: {message}");
                std::process::exit(2);
            }
        },
    };
    match result {
        Ok(mut report) => {
            report.client = client_name.into();
            println!("{}", report.to_json());
            std::process::exit(0);
        }
        Err(e) => {
            eprintln!(
                "{client_name}: {} failed: {e}\n(url {}, n {}, size {})",
                args.workload.name(),
                args.url,
                args.n,
                args.size
            );
            std::process::exit(1);
        }
    }
}

/// The environment variable that names the PEM file of the certificate `bench_server --tls`
/// serves: both clients trust it for `wss://` URLs.
pub const ROOT_CERT_ENV: &str = "BENCH_ROOT_CERT";

/// The PEM bytes of the certificate to trust for `wss://` URLs (see [`ROOT_CERT_ENV`]).
///
/// # Errors
/// When the variable is not set or the file cannot be read.
pub fn root_certificate_pem() -> BenchResult<Vec<u8>> {
    let path = std::env::var_os(ROOT_CERT_ENV)
        .ok_or_else(|| format!("wss:// needs {ROOT_CERT_ENV}: the server's certificate (PEM)"))?;
    std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.to_string_lossy()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Result<Args, String> {
        Args::parse(line.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn command_lines() {
        let args = parse("ws://h:1/echo pingpong 10 32").unwrap();
        assert_eq!(args.workload, Workload::PingPong);
        assert_eq!((args.n, args.size, args.mode), (10, 32, Mode::Sync));
        let args = parse("ws://h:1/echo connect 5 0 --mode async").unwrap();
        assert_eq!(args.mode, Mode::Async);
        assert_eq!(parse("u down 1 2 --mode=sync").unwrap().mode, Mode::Sync);
        assert_eq!(
            parse("ws://h:1/source down 3 4").unwrap().source_url(),
            "ws://h:1/source?n=3&size=4"
        );
        for bad in [
            "u pingpong 10",
            "u nosuch 1 1",
            "u pingpong x 1",
            "u pingpong 0 1",
            "u stream 1 0",
            "u pingpong 1 1 --mode fast",
            "u pingpong 1 1 --mode",
            "u pingpong 1 1 --other",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_lines() {
        let report = Report {
            client: "a\"b".into(),
            mode: "sync".into(),
            workload: "pingpong".into(),
            n: 3,
            size: 4,
            secs: 0.5,
            msgs_s: Some(6.0),
            p50_us: Some(12.3456),
            p99_us: Some(f64::NAN),
            ..Report::default()
        };
        assert_eq!(
            report.to_json(),
            "{\"client\":\"a\\\"b\",\"mode\":\"sync\",\"workload\":\"pingpong\",\"n\":3,\
             \"size\":4,\"secs\":0.5,\"msgs_s\":6,\"p50_us\":12.346,\"p99_us\":null}"
        );
        assert_eq!(json_string("\u{1}\n"), "\"\\u0001\\n\"");
    }

    #[test]
    fn percentiles() {
        let mut latencies = Latencies::default();
        assert_eq!(latencies.percentile_us(50.0), None);
        for us in (1..=100).rev() {
            latencies.record(Duration::from_micros(us));
        }
        assert_eq!(latencies.percentile_us(50.0), Some(50.0));
        assert_eq!(latencies.percentile_us(99.0), Some(99.0));
        assert_eq!(latencies.percentile_us(100.0), Some(100.0));
        assert_eq!(latencies.percentile_us(0.0), Some(1.0));
    }
}
