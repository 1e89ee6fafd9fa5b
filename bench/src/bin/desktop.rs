//! The mixed desktop workload: many asynchronous sockets that each receive a small JSON text
//! every few milliseconds, while the application's thread runs a frame loop.
//!
//! ```sh
//! cargo run --release -p named-websocket-bench --bin bench_server -- 0 &    # prints its URL
//! cargo run --release -p named-websocket-bench --bin desktop -- ws://127.0.0.1:PORT [--raw]
//!     [--sockets 100] [--interval-ms 10] [--size 2048] [--frame-ms 16] [--secs 5]
//! ```
//! Opens SOCKETS connections to `/ticker`, whose server sends a text of SIZE bytes every
//! INTERVAL milliseconds, stamped with the time of its send. The main thread runs frames of
//! FRAME milliseconds: at the start of each it takes every event that came (ours:
//! `dispatch_pending`, whose callbacks run there; `--raw`: a thread per raw tungstenite socket
//! reads and sends each text through a channel, drained at the start of each frame), then
//! sleeps to the next frame. The latency of a message is from the server's send to the frame
//! that takes it. The first second is not measured. Prints one JSON line: messages, latency
//! p50, p99 and max in milliseconds, and the CPU the process used (user + system, % of one
//! CPU, from `/proc/self/stat`).

use std::cell::{Cell, RefCell};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use named_websocket::{dispatch_pending, socket_close, websocket_client_connect_async_url, Event};
use named_websocket_bench::{json_number, json_string, BenchResult};

struct Args {
    url: String,
    raw: bool,
    sockets: usize,
    interval_ms: u64,
    size: usize,
    frame: Duration,
    secs: u64,
}

fn usage(message: &str) -> ! {
    eprintln!(
        "desktop: {message}\nusage: desktop URL [--raw] [--sockets N] [--interval-ms MS] \
         [--size BYTES] [--frame-ms MS] [--secs S]"
    );
    std::process::exit(2);
}

fn parse_args() -> Args {
    let mut args = Args {
        url: String::new(),
        raw: false,
        sockets: 100,
        interval_ms: 10,
        size: 2048,
        frame: Duration::from_millis(16),
        secs: 5,
    };
    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        let mut value = |name: &str| -> u64 {
            argv.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| usage(&format!("{name} needs a whole number")))
        };
        match arg.as_str() {
            "--raw" => args.raw = true,
            "--sockets" => args.sockets = value("--sockets") as usize,
            "--interval-ms" => args.interval_ms = value("--interval-ms"),
            "--size" => args.size = value("--size") as usize,
            "--frame-ms" => args.frame = Duration::from_millis(value("--frame-ms")),
            "--secs" => args.secs = value("--secs"),
            _ if arg.starts_with("--") => usage(&format!("unknown option {arg}")),
            _ => args.url = arg,
        }
    }
    if args.url.is_empty() {
        usage("expected the server's URL");
    }
    args
}

/// Nanoseconds since the Unix epoch: the server stamps its sends with the same clock.
fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// The `"sent_ns"` of a ticker text.
fn sent_ns(text: &str) -> Option<u128> {
    let rest = text.split("\"sent_ns\":").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// CPU time this process has used (user + system), from `/proc/self/stat`.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses: utime and stime are the
    // 12th and 13th of them, in clock ticks (100 per second on Linux).
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<u64> = after
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// What the frames saw.
#[derive(Default)]
struct Latencies {
    measuring: bool,
    millis: Vec<f64>,
}

impl Latencies {
    fn take(&mut self, text: &str, frame_ns: u128) {
        if let (true, Some(sent)) = (self.measuring, sent_ns(text)) {
            self.millis
                .push(frame_ns.saturating_sub(sent) as f64 / 1_000_000.0);
        }
    }
}

fn ticker_url(args: &Args) -> String {
    format!(
        "{}/ticker?interval_ms={}&size={}",
        args.url.trim_end_matches('/'),
        args.interval_ms,
        args.size
    )
}

/// Runs the frames for `args.secs` (plus one unmeasured second); `take` takes what came.
fn frames(args: &Args, latencies: &RefCell<Latencies>, mut take: impl FnMut(u128)) -> (f64, f64) {
    let start = Instant::now();
    let warm_up = start + Duration::from_secs(1);
    let end = warm_up + Duration::from_secs(args.secs);
    let mut cpu_start = cpu_time();
    let mut measured_from = start;
    let mut next_frame = start;
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        if now >= warm_up && !latencies.borrow().measuring {
            latencies.borrow_mut().measuring = true;
            cpu_start = cpu_time();
            measured_from = now;
        }
        take(now_ns());
        next_frame += args.frame;
        if let Some(rest) = next_frame.checked_duration_since(Instant::now()) {
            thread::sleep(rest);
        }
    }
    let wall = measured_from.elapsed().as_secs_f64();
    let cpu = (cpu_time() - cpu_start).as_secs_f64();
    (wall, cpu)
}

/// What our callbacks share with the frame loop: they run on this thread, inside
/// `dispatch_pending`.
#[derive(Default)]
struct Frame {
    latencies: RefCell<Latencies>,
    /// When the current frame began (nanoseconds since the Unix epoch).
    began_ns: Cell<u128>,
    opened: Cell<usize>,
}

thread_local! {
    static FRAME: Frame = Frame::default();
}

fn ours(args: &Args) -> BenchResult<(Vec<f64>, f64, f64)> {
    let url = ticker_url(args);
    let names: Vec<String> = (0..args.sockets).map(|i| format!("desktop-{i}")).collect();
    for name in &names {
        websocket_client_connect_async_url(
            name,
            |_name, event| {
                FRAME.with(|frame| match event {
                    Event::Open { .. } => frame.opened.set(frame.opened.get() + 1),
                    Event::Message(message) => {
                        if let Some(text) = message.as_text() {
                            frame
                                .latencies
                                .borrow_mut()
                                .take(text, frame.began_ns.get());
                        }
                    }
                    Event::Error(error) => eprintln!("desktop: {error}"),
                    _ => {}
                })
            },
            &url,
        )?;
    }
    let (wall, cpu) = FRAME.with(|frame| {
        frames(args, &frame.latencies, |now| {
            frame.began_ns.set(now);
            let _ = dispatch_pending();
        })
    });
    let opened = FRAME.with(|frame| frame.opened.get());
    if opened < args.sockets {
        return Err(format!("only {opened} of {} sockets opened", args.sockets).into());
    }
    for name in &names {
        socket_close(name)?;
    }
    let millis = FRAME.with(|frame| std::mem::take(&mut frame.latencies.borrow_mut().millis));
    Ok((millis, wall, cpu))
}

fn raw(args: &Args) -> BenchResult<(Vec<f64>, f64, f64)> {
    let (sender, receiver) = mpsc::channel::<String>();
    let url = ticker_url(args);
    for _ in 0..args.sockets {
        let (mut ws, _) = tungstenite::connect(&url)?;
        let sender = sender.clone();
        thread::spawn(move || loop {
            match ws.read() {
                Ok(tungstenite::Message::Text(text)) => {
                    if sender.send(text.as_str().to_owned()).is_err() {
                        let _ = ws.close(None);
                        return;
                    }
                }
                Ok(_) => {}
                Err(_) => return,
            }
        });
    }
    drop(sender);
    let latencies = RefCell::new(Latencies::default());
    let (wall, cpu) = frames(args, &latencies, |now| {
        let mut latencies = latencies.borrow_mut();
        while let Ok(text) = receiver.try_recv() {
            latencies.take(&text, now);
        }
    });
    let millis = std::mem::take(&mut latencies.borrow_mut().millis);
    Ok((millis, wall, cpu))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn main() {
    let args = parse_args();
    let (client, result) = if args.raw {
        ("raw-tungstenite", raw(&args))
    } else {
        ("named-websocket", ours(&args))
    };
    let (mut millis, wall, cpu) = match result {
        Ok(figures) => figures,
        Err(e) => {
            eprintln!("desktop: {e}");
            std::process::exit(1);
        }
    };
    millis.sort_by(f64::total_cmp);
    println!(
        "{{\"client\":{},\"workload\":\"desktop\",\"sockets\":{},\"interval_ms\":{},\"size\":{},\
         \"frame_ms\":{},\"secs\":{},\"messages\":{},\"p50_ms\":{},\"p99_ms\":{},\"max_ms\":{},\
         \"cpu_percent\":{}}}",
        json_string(client),
        args.sockets,
        args.interval_ms,
        args.size,
        args.frame.as_millis(),
        json_number(wall),
        millis.len(),
        json_number(percentile(&millis, 50.0)),
        json_number(percentile(&millis, 99.0)),
        json_number(millis.last().copied().unwrap_or(0.0)),
        json_number(100.0 * cpu / wall),
    );
    // The raw threads end when their socket does; the process ends here either way.
    std::process::exit(0);
}
