//! Deadlines for close handshakes that no caller waits for.
//!
//! `socket_close` on an asynchronous socket sends the Close frame and returns; the socket's
//! worker finishes the handshake. A peer that never answers and sends nothing would leave that
//! worker asleep in poll(2) for ever, with nothing to wake it. So each such close is given to
//! one thread, started when the first one begins and gone once none is pending, which cuts the
//! connections whose close timeout passed: the worker wakes, and reports a close that timed
//! out.

use std::sync::{Arc, Weak};
use std::thread;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use crate::connection::Connection;

struct Pending {
    /// Closes under way, with their deadlines.
    closes: Vec<(Instant, Weak<Connection>)>,
    /// The thread is running.
    running: bool,
}

static PENDING: Mutex<Pending> = Mutex::new(Pending {
    closes: Vec::new(),
    running: false,
});
static CHANGED: Condvar = Condvar::new();

/// Cuts `connection` at `deadline` unless its close has ended by then.
pub(crate) fn cut_at(deadline: Instant, connection: &Arc<Connection>) {
    let mut pending = PENDING.lock();
    pending.closes.push((deadline, Arc::downgrade(connection)));
    if pending.running {
        CHANGED.notify_one();
        return;
    }
    let started = thread::Builder::new()
        .name("named-websocket-close-timer".into())
        .spawn(run);
    match started {
        Ok(_) => pending.running = true,
        Err(e) => {
            // No timer: the worker's close is then bounded only by the peer or the network.
            pending.closes.pop();
            log::warn!("could not start the close timer: {e}");
        }
    }
}

/// A close ended: the timer forgets it (and ends when it has nothing left to wait for).
pub(crate) fn settled() {
    let _pending = PENDING.lock();
    CHANGED.notify_one();
}

fn run() {
    let mut pending = PENDING.lock();
    loop {
        let now = Instant::now();
        let mut due = Vec::new();
        pending.closes.retain(|(deadline, connection)| {
            let Some(connection) = connection.upgrade() else {
                return false;
            };
            if connection.is_closed() {
                return false;
            }
            if *deadline <= now {
                due.push(connection);
                return false;
            }
            true
        });
        if !due.is_empty() {
            // Not under the lock: cutting takes the connection's own locks.
            drop(pending);
            for connection in due {
                connection.cut_close();
            }
            pending = PENDING.lock();
            continue;
        }
        let Some(next) = pending.closes.iter().map(|(deadline, _)| *deadline).min() else {
            pending.running = false;
            return;
        };
        CHANGED.wait_until(&mut pending, next);
    }
}
