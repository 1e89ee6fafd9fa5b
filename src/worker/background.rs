//! The library's background thread for asynchronous sockets: what must happen while nobody
//! waits for it. It runs only while it has work, and ends when it has had none for
//! [`IDLE_TIME`] (so that closing sockets one after another starts it once).
//!
//! - **Queued writes.** An asynchronous socket's writer (a GUI's thread) does not wait for the
//!   network: what the socket does not take at once waits in the engine's bounded write
//!   buffer. The socket's worker may be asleep in poll(2) waiting for input, with nothing to
//!   wake it, so this thread sends that output as the peer makes room, and cuts the connection
//!   once nothing has gone out for the write timeout.
//! - **Wake-ups owed by the dispatcher.** A `dispatch_*` call that returns with events left
//!   owes the host loop a wake-up; the wake hook is called from here rather than from the
//!   dispatching thread, which may hold the host loop's own lock.
//! - **Close deadlines.** `socket_close` on an asynchronous socket sends our Close and
//!   returns; the worker waits for the answer. A peer that never answers and sends nothing
//!   would keep it asleep, so this thread cuts the connection at the close timeout.
//!
//! While it has writes to send it looks at them every [`TICK`]: a queued write goes out at most
//! that much later than the peer makes room, and no descriptor is spent on waking the thread.

use std::sync::{Arc, Weak};
use std::thread;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use rustix::event::{PollFd, PollFlags, Timespec};

use crate::blocking::connection::Connection;
use crate::worker::worker_pool::IDLE_TIME;

/// How often queued output is looked at while some waits.
const TICK: Duration = Duration::from_millis(10);

#[derive(Default)]
struct Jobs {
    /// Connections with queued output.
    flushes: Vec<Weak<Connection>>,
    /// Close handshakes under way, and when to cut them.
    closes: Vec<(Instant, Weak<Connection>)>,
    /// Functions to call once, off the caller's thread.
    calls: Vec<fn()>,
    /// Bumped by every request. Only the thread removes entries, and others only append, so
    /// while this has not moved the lists are what the thread last copied, and nothing in
    /// them was asked for again.
    generation: u64,
    running: bool,
}

static JOBS: Mutex<Jobs> = Mutex::new(Jobs {
    flushes: Vec::new(),
    closes: Vec::new(),
    calls: Vec::new(),
    generation: 0,
    running: false,
});
static CHANGED: Condvar = Condvar::new();

/// Sends `connection`'s queued output as its peer makes room.
pub(crate) fn flush(connection: &Arc<Connection>) {
    let mut jobs = JOBS.lock();
    let known = jobs
        .flushes
        .iter()
        .any(|job| std::ptr::eq(job.as_ptr(), Arc::as_ptr(connection)));
    if !known {
        jobs.flushes.push(Arc::downgrade(connection));
    }
    start(jobs);
}

/// Cuts `connection` at `deadline` unless its close handshake has ended by then.
pub(crate) fn cut_close_at(deadline: Instant, connection: &Arc<Connection>) {
    let mut jobs = JOBS.lock();
    jobs.closes.push((deadline, Arc::downgrade(connection)));
    start(jobs);
}

/// Calls `call` on the background thread, once (a second request before it ran is the same
/// one).
pub(crate) fn call_soon(call: fn()) {
    let mut jobs = JOBS.lock();
    if !jobs.calls.contains(&call) {
        jobs.calls.push(call);
    }
    start(jobs);
}

/// A close ended: the thread forgets it (and ends when it has nothing left to do).
pub(crate) fn settled() {
    let mut jobs = JOBS.lock();
    jobs.generation += 1;
    CHANGED.notify_one();
}

fn start(mut jobs: parking_lot::MutexGuard<'_, Jobs>) {
    jobs.generation += 1;
    if jobs.running {
        CHANGED.notify_one();
        return;
    }
    match thread::Builder::new()
        .name("named-websocket-background".into())
        .spawn(run)
    {
        Ok(_) => jobs.running = true,
        // Without it, queued output goes with the worker's next read or write, and a close
        // ends when the peer answers or the network gives up.
        Err(e) => log::warn!("could not start the background thread: {e}"),
    }
}

fn run() {
    loop {
        let (generation, closes, flushes, calls) = {
            let mut jobs = JOBS.lock();
            let calls = std::mem::take(&mut jobs.calls);
            (
                jobs.generation,
                jobs.closes.clone(),
                jobs.flushes.clone(),
                calls,
            )
        };
        // The connections' own locks are taken with ours released: a thread that asks for a
        // job never waits for another connection (a worker inflating a large message, say);
        // and an engine is only tried, never waited for (see `waiting` below).
        let now = Instant::now();
        let mut due = Vec::new();
        let keep_closes: Vec<bool> = closes
            .iter()
            .map(|(deadline, connection)| {
                let Some(connection) = connection.upgrade().filter(|c| !c.is_closed()) else {
                    return false;
                };
                if *deadline <= now {
                    due.push(connection);
                    return false;
                }
                true
            })
            .collect();
        let next_close = closes
            .iter()
            .zip(&keep_closes)
            .filter(|(_, keep)| **keep)
            .map(|((deadline, _), _)| *deadline)
            .min();
        // A connection whose engine another thread holds is looked at again on the next
        // tick: waiting for it would hold up the closes and flushes of all the others.
        let mut waiting = Vec::new();
        let mut busy = false;
        let keep_flushes: Vec<bool> = flushes
            .iter()
            .map(|connection| {
                let Some(connection) = connection.upgrade() else {
                    return false;
                };
                match connection.output_waits_now() {
                    Some(true) => {
                        waiting.push(connection);
                        true
                    }
                    Some(false) => false,
                    None => {
                        busy = true;
                        true
                    }
                }
            })
            .collect();
        let next_look =
            next_close.map_or(TICK, |next| next.saturating_duration_since(now).min(TICK));
        {
            let mut jobs = JOBS.lock();
            // Others only append, so what was copied is still the lists' beginning: closes
            // found cut or ended go now (a cut one must not be cut again).
            let mut keep = keep_closes.into_iter();
            jobs.closes.retain(|_| keep.next().unwrap_or(true));
            // A request made meanwhile may concern a connection whose output was found sent
            // above (output queued again): then no flush is forgotten, and the next pass
            // looks again.
            if jobs.generation == generation {
                let mut keep = keep_flushes.into_iter();
                jobs.flushes.retain(|_| keep.next().unwrap_or(true));
                if calls.is_empty() && due.is_empty() && waiting.is_empty() {
                    if busy {
                        // Only busy engines to come back to (and closes to watch).
                        CHANGED.wait_for(&mut jobs, next_look);
                        continue;
                    }
                    match next_close {
                        // Only closes to watch: sleep until the next deadline, or a change.
                        Some(next) => {
                            CHANGED.wait_until(&mut jobs, next);
                            continue;
                        }
                        // Nothing to do: wait a moment for the next request (the next
                        // socket's close, typically) before ending, as a socket's worker does.
                        None => {
                            let deadline = Instant::now() + IDLE_TIME;
                            if CHANGED.wait_until(&mut jobs, deadline).timed_out()
                                && jobs.generation == generation
                            {
                                jobs.running = false;
                                return;
                            }
                            continue;
                        }
                    }
                }
            }
        }
        // Cuts first: they take no engine lock, and a wake hook may be slow.
        for connection in due {
            connection.cut_close();
        }
        for call in calls {
            call();
        }
        if !waiting.is_empty() {
            wait_writable(&waiting, next_look);
            for connection in &waiting {
                connection.flush_queued_now();
            }
        }
    }
}

/// Waits until one of the connections can take output, or `wait` passes.
fn wait_writable(connections: &[Arc<Connection>], wait: Duration) {
    let mut fds: Vec<PollFd<'_>> = connections
        .iter()
        .map(|connection| PollFd::new(connection.tcp.tcp(), PollFlags::OUT))
        .collect();
    let timeout = Timespec::try_from(wait).unwrap_or(Timespec {
        tv_sec: 0,
        tv_nsec: 10_000_000,
    });
    let _ = rustix::event::poll(&mut fds, Some(&timeout));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocking::socket::Socket;
    use std::io::Read;
    use std::net::TcpListener;
    use std::sync::mpsc;

    /// Opens `count` connections to peers that take the upgrade and then only read; each peer
    /// reports when its connection was cut (its read ends).
    fn connections_to_silent_peers(count: usize) -> (Vec<Socket>, mpsc::Receiver<Instant>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("ws://{}/", listener.local_addr().unwrap());
        let (cut, cuts) = mpsc::channel();
        thread::spawn(move || {
            for stream in listener.incoming().take(count) {
                let cut = cut.clone();
                thread::spawn(move || {
                    let mut ws = tungstenite::accept(stream.unwrap()).unwrap();
                    let mut buf = [0u8; 1024];
                    while matches!(ws.get_mut().read(&mut buf), Ok(n) if n > 0) {}
                    let _ = cut.send(Instant::now());
                });
            }
        });
        let sockets = (0..count).map(|_| Socket::connect(&url).unwrap()).collect();
        (sockets, cuts)
    }

    #[test]
    fn a_connection_whose_engine_is_held_delays_no_other_close() {
        const CLOSING: usize = 20;
        let (mut sockets, cuts) = connections_to_silent_peers(CLOSING + 1);
        let stuck = sockets.pop().unwrap();
        // Its worker, say, inflates a large message: the engine stays locked meanwhile.
        let engine = stuck.conn.ws();
        flush(&stuck.conn);
        let deadline = Instant::now() + Duration::from_millis(100);
        for socket in &sockets {
            socket.conn.begin_close_nowait(1000, "");
            cut_close_at(deadline, &socket.conn);
        }
        let guard = Instant::now() + Duration::from_secs(5);
        let mut delays = Vec::new();
        while delays.len() < CLOSING {
            let Ok(at) = cuts.recv_timeout(guard.saturating_duration_since(Instant::now())) else {
                break;
            };
            delays.push(at.saturating_duration_since(deadline));
        }
        drop(engine);
        delays.extend(
            cuts.iter()
                .take(CLOSING - delays.len())
                .map(|at| at - deadline),
        );
        let worst = delays.iter().max().unwrap();
        eprintln!("{CLOSING} closes cut at most {worst:?} after their deadline");
        assert!(
            *worst < Duration::from_secs(1),
            "closes waited for another connection's engine: {worst:?}"
        );
        drop(stuck);
    }
}
