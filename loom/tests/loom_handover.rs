//! A loom model of the hand-over of events from a worker to the application: the backlog
//! with its event and byte limits (src/worker/backlog.rs), the dispatch queue's "wake when it was
//! empty" (src/worker/dispatch.rs `post`) and the wake-up a dispatcher owes as it returns
//! (`Dispatcher::drop`), and `Backlog::close` ending every wait.
//!
//! An extracted model, not the code itself: the library's locks are parking_lot's and its
//! queue is crossbeam's, which loom cannot see, so the protocol is restated here with loom's
//! types, step for step (each step names the function it stands for). A change to those
//! functions must be made here too.
//!
//! Run by scripts/loom.sh (in loom/: `RUSTFLAGS="--cfg loom" cargo test --release --test loom_handover`).
//! `LOOM_MUTANT=<name>` puts back an old defect; the script checks that the model then fails.

#![cfg(loom)]

use std::collections::VecDeque;

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Arc, Condvar, Mutex};
use loom::thread;

fn mutant(name: &str) -> bool {
    std::env::var("LOOM_MUTANT").is_ok_and(|mutant| mutant == name)
}

/// src/worker/backlog.rs `Backlog`, with one event at a time.
struct Backlog {
    count: Mutex<(usize, usize)>,
    changed: Condvar,
    limits: (usize, usize),
    closing: AtomicBool,
}

impl Backlog {
    fn new(events: usize, bytes: usize) -> Backlog {
        Backlog {
            count: Mutex::new((0, 0)),
            changed: Condvar::new(),
            limits: (events, bytes),
            closing: AtomicBool::new(false),
        }
    }

    /// `Backlog::admit` for one event of `size` bytes: waits while full, unless closing.
    fn admit(&self, size: usize) {
        let mut count = self.count.lock().unwrap();
        while (count.0 >= self.limits.0 || count.1 >= self.limits.1)
            && !self.closing.load(Ordering::SeqCst)
        {
            count = self.changed.wait(count).unwrap();
        }
        if !self.closing.load(Ordering::SeqCst) {
            assert!(count.0 < self.limits.0, "admitted past the event limit");
        }
        count.0 += 1;
        count.1 += size;
    }

    /// `Backlog::taken`.
    fn taken(&self, size: usize) {
        let mut count = self.count.lock().unwrap();
        count.0 -= 1;
        count.1 -= size;
        self.changed.notify_one();
    }

    /// `Backlog::close`: the flag, then the wake-up under the lock.
    fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
        if mutant("close_without_lock") {
            self.changed.notify_all();
            return;
        }
        let _count = self.count.lock().unwrap();
        self.changed.notify_all();
    }
}

/// src/worker/dispatch.rs: the queue, its pending count, and the host loop's wake-ups (the wake
/// hook of a loop that dispatches only when woken).
struct Dispatch {
    pending: AtomicUsize,
    queue: Mutex<VecDeque<usize>>,
    wakes: Mutex<usize>,
    woken: Condvar,
}

impl Dispatch {
    /// `post`: counted before it is visible; wakes when the queue was empty.
    fn post(&self, size: usize) {
        let was_empty = self.pending.fetch_add(1, Ordering::SeqCst) == 0;
        self.queue.lock().unwrap().push_back(size);
        if was_empty {
            self.wake();
        }
    }

    /// The wake hook: posts "dispatch now" to the host loop.
    fn wake(&self) {
        *self.wakes.lock().unwrap() += 1;
        self.woken.notify_one();
    }

    /// The host loop waits for a wake-up.
    fn wait_for_wake(&self) {
        let mut wakes = self.wakes.lock().unwrap();
        while *wakes == 0 {
            wakes = self.woken.wait(wakes).unwrap();
        }
        *wakes -= 1;
    }

    /// `dispatch_pending` (`run_queued`): runs what was queued when it started; each event
    /// is counted out of the backlog after its callback (`Taken`), then out of `pending`
    /// (`Batch`). Then `Dispatcher::drop` owes a wake-up for what arrived meanwhile (the
    /// background thread calls the hook: here, at once).
    fn dispatch_pending(&self, backlog: &Backlog) -> usize {
        let queued = self.pending.load(Ordering::SeqCst);
        let mut ran = 0;
        while ran < queued {
            let Some(size) = self.queue.lock().unwrap().pop_front() else {
                break;
            };
            backlog.taken(size);
            self.pending.fetch_sub(1, Ordering::SeqCst);
            ran += 1;
        }
        if !mutant("no_owed_wake") && self.pending.load(Ordering::SeqCst) > 0 {
            self.wake();
        }
        ran
    }
}

/// A worker hands over `sizes` through a backlog of one event; a host loop that dispatches
/// only when woken must see every event (a lost wake-up leaves it asleep: loom reports the
/// deadlock), and the backlog never holds more than its limit.
#[test]
fn every_event_reaches_a_loop_that_dispatches_only_when_woken() {
    loom::model(|| {
        let backlog = Arc::new(Backlog::new(1, 100));
        let dispatch = Arc::new(Dispatch {
            pending: AtomicUsize::new(0),
            queue: Mutex::new(VecDeque::new()),
            wakes: Mutex::new(0),
            woken: Condvar::new(),
        });
        let sizes = [3, 5];
        let worker = {
            let (backlog, dispatch) = (Arc::clone(&backlog), Arc::clone(&dispatch));
            thread::spawn(move || {
                for size in sizes {
                    backlog.admit(size);
                    dispatch.post(size);
                }
            })
        };
        let mut seen = 0;
        while seen < sizes.len() {
            dispatch.wait_for_wake();
            let ran = dispatch.dispatch_pending(&backlog);
            if ran == 0 {
                // An event is counted before it is in the queue: a dispatch between the two
                // finds nothing, owes a wake-up, and the loop goes round until the worker
                // runs again (the system's scheduler sees to it; loom must be told).
                thread::yield_now();
            }
            seen += ran;
        }
        worker.join().unwrap();
        assert_eq!(*backlog.count.lock().unwrap(), (0, 0));
    });
}

/// A worker waiting for room in a full backlog, and `socket_close` from another thread: the
/// worker's wait ends (a missed wake-up leaves it waiting: loom reports the deadlock).
#[test]
fn close_ends_a_worker_waiting_for_room() {
    loom::model(|| {
        let backlog = Arc::new(Backlog::new(1, 100));
        backlog.admit(1);
        let worker = {
            let backlog = Arc::clone(&backlog);
            thread::spawn(move || backlog.admit(1))
        };
        backlog.close();
        worker.join().unwrap();
    });
}
