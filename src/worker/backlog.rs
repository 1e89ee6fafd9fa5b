//! A socket's backlog: how many of its events wait for the application, and how many bytes
//! of messages, and the limits past which its worker waits for room instead of reading on.
//!
//! Once the socket is closing nobody waits any more (for room, for the backlog to drain, or
//! before a reconnect), so that `socket_close` can never deadlock with a worker.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use crate::blocking::event_queue::EventQueue;
use crate::settings::options::ConnectOptions;

#[derive(Debug)]
pub(crate) struct Backlog {
    /// Events handed over and not taken yet.
    count: Mutex<Count>,
    /// Signalled when the count shrinks and when the socket starts closing.
    changed: Condvar,
    limits: Count,
    closing: AtomicBool,
}

/// Events, and bytes of their messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Count {
    pub(crate) events: usize,
    pub(crate) bytes: usize,
}

impl Count {
    fn is_full(self, limits: Count) -> bool {
        self.events >= limits.events || self.bytes >= limits.bytes
    }
}

impl Backlog {
    /// The backlog of a socket run by a worker, with the limits of its options.
    pub(crate) fn for_options(options: &ConnectOptions) -> Backlog {
        Backlog::new(options.event_queue_limit, options.event_queue_bytes)
    }

    /// At most `events` events and `bytes` bytes of messages wait (one message may go past the
    /// byte limit when it is the only one waiting: it must get through).
    pub(crate) fn new(events: usize, bytes: usize) -> Backlog {
        Backlog {
            count: Mutex::new(Count::default()),
            changed: Condvar::new(),
            limits: Count { events, bytes },
            closing: AtomicBool::new(false),
        }
    }

    /// The most events that may wait.
    pub(crate) fn limit(&self) -> usize {
        self.limits.events
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

    /// Takes the front of `queue` out, as many events as there is room for (at least one once
    /// there is room at all), counting them in; waits while the backlog is full. Once closing
    /// there is no limit.
    pub(crate) fn admit(&self, queue: &mut EventQueue) -> EventQueue {
        let mut count = self.count.lock();
        while count.is_full(self.limits) && !self.is_closing() {
            self.changed.wait(&mut count);
        }
        let (events, bytes) = if self.is_closing() {
            (usize::MAX, usize::MAX)
        } else {
            (
                self.limits.events - count.events,
                self.limits.bytes.saturating_sub(count.bytes),
            )
        };
        let (front, front_bytes) = queue.split_within(events, bytes);
        count.events += front.len();
        count.bytes += front_bytes;
        front
    }

    /// Counts out events taken by the application, and wakes a worker waiting for room or
    /// for the backlog to drain.
    pub(crate) fn taken(&self, taken: Count) {
        let mut count = self.count.lock();
        count.events -= taken.events;
        count.bytes -= taken.bytes;
        self.changed.notify_one();
    }

    /// Waits until every event counted in has been taken, or the socket is closing.
    pub(crate) fn wait_until_drained(&self) {
        let mut count = self.count.lock();
        while count.events > 0 && !self.is_closing() {
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
    use crate::event::Event;
    use crate::message::Message;
    use std::sync::Arc;
    use std::thread;
    use std::time::Duration;

    fn messages(sizes: &[usize]) -> EventQueue {
        let mut queue = EventQueue::default();
        for &size in sizes {
            queue.push(Event::Message(Message::from(vec![1u8; size])));
        }
        queue
    }

    fn taken(events: usize, bytes: usize) -> Count {
        Count { events, bytes }
    }

    #[test]
    fn admits_up_to_the_event_limit_then_waits_for_room() {
        let backlog = Arc::new(Backlog::new(4, usize::MAX));
        assert_eq!(backlog.admit(&mut messages(&[1, 1, 1])).len(), 3);
        let mut more = messages(&[1; 10]);
        assert_eq!(backlog.admit(&mut more).len(), 1, "only the room left");
        let waiter = {
            let backlog = Arc::clone(&backlog);
            thread::spawn(move || backlog.admit(&mut more).len())
        };
        backlog.taken(taken(2, 2));
        assert_eq!(waiter.join().unwrap(), 2, "woken by the room made");
    }

    #[test]
    fn admits_up_to_the_byte_budget_and_one_large_message_alone() {
        let backlog = Backlog::new(100, 1000);
        let mut queue = messages(&[400, 400, 400]);
        assert_eq!(
            backlog.admit(&mut queue).len(),
            2,
            "the third would pass 1000 bytes"
        );
        backlog.taken(taken(2, 800));
        assert_eq!(backlog.admit(&mut queue).len(), 1);
        backlog.taken(taken(1, 400));
        let mut huge = messages(&[5000, 10]);
        assert_eq!(
            backlog.admit(&mut huge).len(),
            1,
            "alone, a large message gets through"
        );
        assert_eq!(huge.len(), 1);
    }

    #[test]
    fn closing_wakes_every_waiter_and_lifts_the_limits() {
        let backlog = Arc::new(Backlog::new(1, 10));
        assert_eq!(backlog.admit(&mut messages(&[1])).len(), 1);
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let backlog = Arc::clone(&backlog);
                thread::spawn(move || {
                    let admitted = backlog.admit(&mut messages(&[100, 100, 100])).len();
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
        let backlog = Backlog::new(1, 1);
        assert!(!backlog.sleep_unless_closing(Instant::now()));
    }
}
