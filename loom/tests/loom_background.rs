//! A loom model of the background thread's job list (src/worker/background.rs): queued writes
//! (`flush`), close deadlines (`cut_close_at`), owed calls (`call_soon`), the generation count
//! every request bumps, and the pass that copies the lists, looks at the connections with the
//! job lock released, then forgets what it found finished.
//!
//! An extracted model, not the code itself: the library's lock is parking_lot's, which loom
//! cannot see, and its connections hold real sockets; so the protocol is restated with loom's
//! types, step for step. Every close deadline here has passed (the thread's timed wait is not
//! modelled), a flush sends everything, and a cut does not mark the connection closed (its
//! worker does, later). A change to `run` must be made here too.
//!
//! Run by scripts/loom.sh. `LOOM_MUTANT=<name>` puts back an old defect; the script checks
//! that the model then fails.

#![cfg(loom)]

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::{Arc, Mutex};
use loom::thread::{self, JoinHandle};

fn mutant(name: &str) -> bool {
    std::env::var("LOOM_MUTANT").is_ok_and(|mutant| mutant == name)
}

#[derive(Default)]
struct Connection {
    output_waits: AtomicBool,
    closed: AtomicBool,
    cuts: AtomicUsize,
}

#[derive(Default)]
struct Jobs {
    flushes: Vec<Arc<Connection>>,
    closes: Vec<Arc<Connection>>,
    calls: usize,
    generation: u64,
    running: bool,
}

#[derive(Default)]
struct Background {
    jobs: Mutex<Jobs>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    calls_run: AtomicUsize,
}

impl Background {
    /// `flush`.
    fn flush(this: &Arc<Self>, connection: &Arc<Connection>) {
        let mut jobs = this.jobs.lock().unwrap();
        if !jobs.flushes.iter().any(|job| Arc::ptr_eq(job, connection)) {
            jobs.flushes.push(Arc::clone(connection));
        }
        Background::start(this, &mut jobs);
    }

    /// `cut_close_at`, with a deadline already passed.
    fn cut_close(this: &Arc<Self>, connection: &Arc<Connection>) {
        let mut jobs = this.jobs.lock().unwrap();
        jobs.closes.push(Arc::clone(connection));
        Background::start(this, &mut jobs);
    }

    /// `call_soon`.
    fn call_soon(this: &Arc<Self>) {
        let mut jobs = this.jobs.lock().unwrap();
        jobs.calls = 1;
        Background::start(this, &mut jobs);
    }

    /// `start`: bump the generation; start the thread unless it runs.
    fn start(this: &Arc<Self>, jobs: &mut Jobs) {
        jobs.generation += 1;
        if !jobs.running {
            jobs.running = true;
            let thread = {
                let this = Arc::clone(this);
                thread::spawn(move || this.run())
            };
            this.threads.lock().unwrap().push(thread);
        }
    }

    /// `run`, one pass per turn of the loop.
    fn run(&self) {
        loop {
            let (generation, closes, flushes, calls) = {
                let mut jobs = self.jobs.lock().unwrap();
                let calls = std::mem::take(&mut jobs.calls);
                (
                    jobs.generation,
                    jobs.closes.clone(),
                    jobs.flushes.clone(),
                    calls,
                )
            };
            // The connections are looked at with the job lock released.
            let mut due = Vec::new();
            let keep_closes: Vec<bool> = closes
                .iter()
                .map(|connection| {
                    if !connection.closed.load(Ordering::SeqCst) {
                        due.push(Arc::clone(connection));
                    }
                    false
                })
                .collect();
            let mut waiting = Vec::new();
            let keep_flushes: Vec<bool> = flushes
                .iter()
                .map(|connection| {
                    let waits = connection.output_waits.load(Ordering::SeqCst);
                    if waits {
                        waiting.push(Arc::clone(connection));
                    }
                    waits
                })
                .collect();
            {
                let mut jobs = self.jobs.lock().unwrap();
                let unchanged = jobs.generation == generation;
                if unchanged || !mutant("closes_kept_while_requests_come") {
                    let mut keep = keep_closes.into_iter();
                    jobs.closes.retain(|_| keep.next().unwrap_or(true));
                }
                if unchanged || mutant("flushes_forgotten_despite_requests") {
                    let mut keep = keep_flushes.into_iter();
                    jobs.flushes.retain(|_| keep.next().unwrap_or(true));
                }
                if unchanged && calls == 0 && due.is_empty() && waiting.is_empty() {
                    jobs.running = false;
                    return;
                }
            }
            self.calls_run.fetch_add(calls, Ordering::SeqCst);
            if mutant("calls_before_cuts") && calls > 0 {
                continue;
            }
            for connection in due {
                connection.cuts.fetch_add(1, Ordering::SeqCst);
            }
            for connection in waiting {
                // `flush_queued`: the peer took everything.
                connection.output_waits.store(false, Ordering::SeqCst);
            }
        }
    }

    fn join(&self) {
        loop {
            let Some(thread) = self.threads.lock().unwrap().pop() else {
                return;
            };
            thread.join().unwrap();
        }
    }
}

/// A writer queues output while the thread looks at the same connection's previous output:
/// whatever the interleaving, the output ends up sent (a flush request found "known" must not
/// be forgotten by the pass that found the old output sent).
#[test]
fn queued_output_is_never_forgotten() {
    loom::model(|| {
        let background = Arc::new(Background::default());
        let connection = Arc::new(Connection::default());
        connection.output_waits.store(true, Ordering::SeqCst);
        Background::flush(&background, &connection);
        // The application writes again: its output waits, and it asks for a flush.
        connection.output_waits.store(true, Ordering::SeqCst);
        Background::flush(&background, &connection);
        background.join();
        assert!(
            !connection.output_waits.load(Ordering::SeqCst),
            "queued output was left with nobody to send it"
        );
    });
}

/// A close comes due while other requests keep coming (an owed wake-up, another write): it
/// is cut, exactly once, and the owed call runs.
#[test]
fn a_due_close_is_cut_once() {
    loom::model(|| {
        let background = Arc::new(Background::default());
        let connection = Arc::new(Connection::default());
        let requests = {
            let background = Arc::clone(&background);
            thread::spawn(move || {
                Background::call_soon(&background);
                Background::call_soon(&background);
            })
        };
        Background::cut_close(&background, &connection);
        requests.join().unwrap();
        background.join();
        assert_eq!(
            connection.cuts.load(Ordering::SeqCst),
            1,
            "cut once, not 0 or 2 times"
        );
        assert!(background.calls_run.load(Ordering::SeqCst) >= 1);
    });
}
