//! The scale test: holds thousands of concurrent named sockets open in this one process,
//! reports the memory and threads they cost, then exchanges one message on every socket.
//!
//! ```sh
//! ulimit -n 20000   # ours needs 2 file descriptors per socket (see below)
//! cargo run --release -p named-websocket-bench --bin bench_server -- 0 &    # prints its URL
//! cargo run --release -p named-websocket-bench --bin scale -- ws://127.0.0.1:PORT/echo 10000 [--raw] [--size 32]
//! ```
//! Opens N sockets one after the other (names `scale-0`, `scale-1`, …), reads this process's
//! resident memory (`VmRSS`), thread count and open file descriptors from `/proc/self`, writes
//! one SIZE-byte text message on every socket, reads every echo, reads the figures again, and
//! closes every socket, and reads the figures once more when every thread the sockets used has
//! ended. `--async` does the same with asynchronous sockets (events dispatched on this thread),
//! `--raw` with raw tungstenite sockets, for comparison. `--trim` then asks glibc to give back
//! the free memory of its heaps (`malloc_trim`) and reads the resident memory once more: what
//! goes then was kept by the allocator, not by the sockets. The heap in use (bytes allocated
//! and not freed, counted by this program's allocator) is reported beside the resident memory,
//! before and after: what the process still holds, whatever the allocator keeps.
//! Prints one JSON line (progress goes to standard error); exits 1 when a socket cannot be
//! opened, saying how many were.

use std::fmt::Write as _;
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cap::Cap;
use named_websocket::{
    dispatch_until, socket_close, socket_read, socket_write, websocket_client_connect_async_url,
    websocket_client_connect_url, Event,
};
use named_websocket_bench::{json_number, json_string, proc_status, BenchResult};
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// Counts the bytes allocated and not yet freed (the system allocator does the work).
#[global_allocator]
static ALLOCATOR: Cap<std::alloc::System> = Cap::new(std::alloc::System, usize::MAX);

/// The figures at one point of the run.
struct Snapshot {
    rss_kib: u64,
    heap_kib: u64,
    threads: u64,
    fds: u64,
}

fn snapshot() -> Snapshot {
    Snapshot {
        rss_kib: proc_status::rss_kib().unwrap_or(0),
        heap_kib: (ALLOCATOR.allocated() / 1024) as u64,
        threads: proc_status::threads().unwrap_or(0),
        fds: std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64),
    }
}

/// The sockets under test, named or raw.
trait Pool {
    fn open(&mut self, url: &str) -> BenchResult<()>;
    fn write_all(&mut self, payload: &str) -> BenchResult<()>;
    fn read_all(&mut self, size: usize) -> BenchResult<()>;
    fn close_all(&mut self) -> BenchResult<()>;
}

#[derive(Default)]
struct Named {
    names: Vec<String>,
}

impl Pool for Named {
    fn open(&mut self, url: &str) -> BenchResult<()> {
        let name = format!("scale-{}", self.names.len());
        websocket_client_connect_url(&name, url)?;
        self.names.push(name);
        Ok(())
    }
    fn write_all(&mut self, payload: &str) -> BenchResult<()> {
        for name in &self.names {
            socket_write(name, payload)?;
        }
        Ok(())
    }
    fn read_all(&mut self, size: usize) -> BenchResult<()> {
        for name in &self.names {
            let reply = socket_read(name)?;
            if reply.len() != size {
                return Err(format!("{name}: echo of {} bytes, sent {size}", reply.len()).into());
            }
        }
        Ok(())
    }
    fn close_all(&mut self) -> BenchResult<()> {
        for name in self.names.drain(..) {
            socket_close(&name)?;
        }
        Ok(())
    }
}

/// Asynchronous sockets: their callbacks count what came; this thread dispatches.
#[derive(Default)]
struct Async {
    names: Vec<String>,
    counts: Arc<Counts>,
}

#[derive(Default)]
struct Counts {
    opened: AtomicUsize,
    echoed: AtomicUsize,
    closed: AtomicUsize,
    failed: AtomicUsize,
}

impl Async {
    /// Dispatches until `count` reaches `target`, or a socket failed.
    fn dispatch_until(&self, count: &AtomicUsize, target: usize) -> BenchResult<()> {
        let counts = &self.counts;
        dispatch_until(|| {
            count.load(Ordering::SeqCst) >= target || counts.failed.load(Ordering::SeqCst) > 0
        })?;
        match counts.failed.load(Ordering::SeqCst) {
            0 => Ok(()),
            failed => Err(format!("{failed} asynchronous sockets failed").into()),
        }
    }
}

impl Pool for Async {
    fn open(&mut self, url: &str) -> BenchResult<()> {
        let name = format!("scale-async-{}", self.names.len());
        let counts = Arc::clone(&self.counts);
        websocket_client_connect_async_url(
            &name,
            move |_name, event| {
                let count = match event {
                    Event::Open { .. } => &counts.opened,
                    Event::Message(_) => &counts.echoed,
                    Event::Close { .. } => &counts.closed,
                    Event::Error(_) => &counts.failed,
                    _ => return,
                };
                count.fetch_add(1, Ordering::SeqCst);
            },
            url,
        )?;
        self.names.push(name);
        // One at a time, as the other pools open theirs.
        self.dispatch_until(&self.counts.opened, self.names.len())
    }
    fn write_all(&mut self, payload: &str) -> BenchResult<()> {
        for name in &self.names {
            socket_write(name, payload)?;
        }
        Ok(())
    }
    fn read_all(&mut self, _size: usize) -> BenchResult<()> {
        self.dispatch_until(&self.counts.echoed, self.names.len())
    }
    fn close_all(&mut self) -> BenchResult<()> {
        for name in &self.names {
            socket_close(name)?;
        }
        self.dispatch_until(&self.counts.closed, self.names.len())?;
        self.names.clear();
        Ok(())
    }
}

#[derive(Default)]
struct Raw {
    sockets: Vec<WebSocket<MaybeTlsStream<TcpStream>>>,
}

impl Pool for Raw {
    fn open(&mut self, url: &str) -> BenchResult<()> {
        let (ws, _) = tungstenite::connect(url)?;
        self.sockets.push(ws);
        Ok(())
    }
    fn write_all(&mut self, payload: &str) -> BenchResult<()> {
        for ws in &mut self.sockets {
            ws.send(Message::text(payload))?;
        }
        Ok(())
    }
    fn read_all(&mut self, size: usize) -> BenchResult<()> {
        for ws in &mut self.sockets {
            let reply = loop {
                let message = ws.read()?;
                if message.is_text() || message.is_binary() {
                    break message;
                }
            };
            if reply.len() != size {
                return Err(format!("echo of {} bytes, sent {size}", reply.len()).into());
            }
        }
        Ok(())
    }
    fn close_all(&mut self) -> BenchResult<()> {
        for mut ws in self.sockets.drain(..) {
            ws.close(None)?;
            loop {
                match ws.read() {
                    Ok(_) => {}
                    Err(tungstenite::Error::ConnectionClosed) => break,
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(())
    }
}

fn usage(message: &str) -> ! {
    eprintln!("scale: {message}\nusage: scale URL N [--raw | --async] [--size BYTES] [--trim]");
    std::process::exit(2);
}

fn main() {
    let mut positional = Vec::new();
    let mut raw = false;
    let mut asynchronous = false;
    let mut trim = false;
    let mut size = 32usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--raw" => raw = true,
            "--async" => asynchronous = true,
            "--trim" => trim = true,
            "--size" => {
                size = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage("--size needs a whole number"))
            }
            _ if arg.starts_with("--") => usage(&format!("unknown option {arg}")),
            _ => positional.push(arg),
        }
    }
    let [url, n] =
        <[String; 2]>::try_from(positional).unwrap_or_else(|_| usage("expected 2 arguments"));
    let n: usize = n
        .parse()
        .unwrap_or_else(|_| usage(&format!("N must be a whole number, got {n:?}")));
    let result = if raw {
        run(&mut Raw::default(), "raw-tungstenite", &url, n, size, trim)
    } else if asynchronous {
        run(
            &mut Async::default(),
            "named-websocket async",
            &url,
            n,
            size,
            trim,
        )
    } else {
        run(
            &mut Named::default(),
            "named-websocket",
            &url,
            n,
            size,
            trim,
        )
    };
    if let Err(e) = result {
        eprintln!("scale: {e}");
        std::process::exit(1);
    }
}

/// Gives the free memory of glibc's heaps back to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn malloc_trim() {
    // SAFETY: malloc_trim only walks glibc's own heaps, under their locks; it takes no pointer.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn malloc_trim() {}

fn run(
    pool: &mut dyn Pool,
    client: &str,
    url: &str,
    n: usize,
    size: usize,
    trim: bool,
) -> BenchResult<()> {
    let base = snapshot();
    let limit = proc_status::open_files_limit().unwrap_or(0);
    eprintln!(
        "scale: {client}: opening {n} sockets to {url} (open files limit {limit}, {} in use)",
        base.fds
    );

    let start = Instant::now();
    for i in 0..n {
        if let Err(e) = pool.open(url) {
            return Err(format!("socket {} of {n} could not be opened: {e}", i + 1).into());
        }
        if (i + 1) % 2000 == 0 {
            eprintln!("scale: {} open", i + 1);
        }
    }
    let connect_secs = start.elapsed().as_secs_f64();
    let open = snapshot();

    let payload = "x".repeat(size);
    let start = Instant::now();
    pool.write_all(&payload)?;
    pool.read_all(size)?;
    let exchange_secs = start.elapsed().as_secs_f64();
    let exchanged = snapshot();

    let start = Instant::now();
    pool.close_all()?;
    let close_secs = start.elapsed().as_secs_f64();
    // The threads of closed asynchronous sockets end by themselves shortly after their last
    // event: wait for them (at most a minute), then measure what stays.
    let deadline = Instant::now() + Duration::from_secs(60);
    let closed = loop {
        let now = snapshot();
        if now.threads <= base.threads || Instant::now() >= deadline {
            break now;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let trimmed = trim.then(|| {
        malloc_trim();
        snapshot().rss_kib
    });

    let per_socket =
        |s: &Snapshot| (s.rss_kib.saturating_sub(base.rss_kib) * 1024) as f64 / n as f64;
    let mut json = String::from("{");
    let _ = write!(
        json,
        "\"client\":{},\"sockets\":{n},\"size\":{size},\"connect_secs\":{},\"exchange_secs\":{},\
         \"close_secs\":{},\"rss_base_kib\":{},\"rss_open_kib\":{},\"rss_exchanged_kib\":{},\
         \"bytes_per_socket_open\":{},\"bytes_per_socket_exchanged\":{},\"threads_open\":{},\
         \"threads_exchanged\":{},\"fds_per_socket\":{},\"open_files_limit\":{limit},\
         \"rss_closed_kib\":{},\"threads_base\":{},\"threads_closed\":{},\"fds_base\":{},\
         \"fds_closed\":{},\"heap_base_kib\":{},\"heap_exchanged_kib\":{},\
         \"heap_closed_kib\":{}",
        json_string(client),
        json_number(connect_secs),
        json_number(exchange_secs),
        json_number(close_secs),
        base.rss_kib,
        open.rss_kib,
        exchanged.rss_kib,
        json_number(per_socket(&open)),
        json_number(per_socket(&exchanged)),
        open.threads,
        exchanged.threads,
        json_number(open.fds.saturating_sub(base.fds) as f64 / n as f64),
        closed.rss_kib,
        base.threads,
        closed.threads,
        base.fds,
        closed.fds,
        base.heap_kib,
        exchanged.heap_kib,
        closed.heap_kib,
    );
    if let Some(trimmed) = trimmed {
        let _ = write!(json, ",\"rss_trimmed_kib\":{trimmed}");
    }
    json.push('}');
    println!("{json}");
    Ok(())
}
