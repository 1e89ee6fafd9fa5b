//! A socket's backlog: how many of its events wait for the application, and the limit past
//! which its worker waits for room instead of reading on.
//!
//! Once the socket is closing nobody waits any more (for room, for the backlog to drain, or
//! before a reconnect), so that `socket_close` can never deadlock with a worker.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

#[derive(Debug)]
pub(crate) struct Backlog {
    /// Events handed over and not taken yet.
    count: Mutex<usize>,
    /// Signalled when the count shrinks and when the socket starts closing.
    changed: Condvar,
    limit: usize,
    closing: AtomicBool,
}

impl Backlog {
    pub(crate) fn new(limit: usize) -> Backlog {
        Backlog {
            count: Mutex::new(0),
            changed: Condvar::new(),
            limit,
            closing: AtomicBool::new(false),
        }
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// The socket is closing: wakes every waiter, and nobody waits from now on.
    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
        // Under the lock, so that a worker about to wait cannot miss the wake-up.
        let _count = self.count.lock();
        self.changed.notify_all();
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    /// Counts in up to `wanted` events (at least one when `wanted` is not zero), waiting while
    /// the backlog is full; returns how many it counted. Once closing there is no limit.
    pub(crate) fn admit(&self, wanted: usize) -> usize {
        let mut count = self.count.lock();
        while *count >= self.limit && !self.is_closing() {
            self.changed.wait(&mut count);
        }
        let room = if self.is_closing() {
            wanted
        } else {
            wanted.min(self.limit - *count)
        };
        *count += room;
        room
    }

    /// Counts out `taken` events, and wakes a worker waiting for room or for the backlog to
    /// drain.
    pub(crate) fn taken(&self, taken: usize) {
        let mut count = self.count.lock();
        *count -= taken;
        self.changed.notify_one();
    }

    /// Waits until every event counted in has been taken, or the socket is closing.
    pub(crate) fn wait_until_drained(&self) {
        let mut count = self.count.lock();
        while *count > 0 && !self.is_closing() {
            self.changed.wait(&mut count);
        }
    }

    /// Sleeps until `deadline` unless the socket starts closing; true when it is closing.
    pub(crate) fn sleep_unless_closing(&self, deadline: Instant) -> bool {
        let mut count = self.count.lock();
        while !self.is_closing() {
            if self.changed.wait_until(&mut count, deadline).timed_out() {
                break;
            }
        }
        self.is_closing()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::thread;
    use std::time::Duration;

    #[test]
    fn admits_up_to_the_limit_then_waits_for_room() {
        let backlog = Arc::new(Backlog::new(4));
        assert_eq!(backlog.admit(3), 3);
        assert_eq!(backlog.admit(10), 1, "only the room left");
        let waiter = {
            let backlog = Arc::clone(&backlog);
            thread::spawn(move || backlog.admit(5))
        };
        backlog.taken(2);
        assert_eq!(waiter.join().unwrap(), 2, "woken by the room made");
    }

    #[test]
    fn closing_wakes_every_waiter_and_lifts_the_limit() {
        let backlog = Arc::new(Backlog::new(1));
        assert_eq!(backlog.admit(1), 1);
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let backlog = Arc::clone(&backlog);
                thread::spawn(move || {
                    let admitted = backlog.admit(3);
                    backlog.wait_until_drained();
                    admitted
                })
            })
            .collect();
        backlog.close();
        for waiter in waiters {
            assert_eq!(waiter.join().unwrap(), 3);
        }
        let far = Instant::now() + Duration::from_secs(600);
        assert!(backlog.sleep_unless_closing(far), "no sleep once closing");
    }

    #[test]
    fn a_sleep_ends_at_its_deadline() {
        let backlog = Backlog::new(1);
        assert!(!backlog.sleep_unless_closing(Instant::now()));
    }
}
