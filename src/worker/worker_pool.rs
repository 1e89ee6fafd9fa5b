//! Pools of threads that wait for work once their job ended. A thread whose job ended waits
//! [`IDLE_TIME`] for another before it exits, so that a program that opens sockets one after
//! another (or reconnects them) does not pay a thread's creation and teardown each time
//! (docs/performance.md has the figures). At most [`MAX_IDLE`] threads of a pool wait, and
//! none once [`IDLE_TIME`] has passed without a new job.
//!
//! Two pools: [`WORKERS`] runs the sockets' workers (each live socket still has a thread of
//! its own), [`CONNECTORS`] their connects (see [`run_and_wait`]).

use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

/// How long a thread whose job ended waits for another before it exits. After the last
/// socket closed, the process is back to its own threads within this time.
pub(crate) const IDLE_TIME: Duration = Duration::from_millis(500);

/// How many threads of one pool may wait for a job at once.
pub(crate) const MAX_IDLE: usize = 8;

type Job = Box<dyn FnOnce() + Send>;

/// A thread waiting for its next job.
struct Idle {
    thread: ThreadId,
    job: Mutex<Option<Job>>,
    given: Condvar,
}

/// Threads that wait for a job once theirs ended.
pub(crate) struct Pool {
    /// The name its threads carry (in panic messages; Linux shows only its first 15 bytes, as
    /// `top -H` and debuggers read it there).
    name: &'static str,
    /// The waiting threads, the one that waited least last (its stack is the warmest).
    idle: Mutex<Vec<Arc<Idle>>>,
}

/// The threads that run the sockets' workers: one per live socket.
pub(crate) static WORKERS: Pool = Pool::new("named-websocket");

/// The threads that open connections for the workers. A connect and its handshake go deep
/// into the stack (tungstenite parses the answer's headers into an array of its own on it),
/// and a page of stack once touched stays in memory for as long as its thread lives: done on
/// a worker's thread, that would cost every live asynchronous socket four pages more.
pub(crate) static CONNECTORS: Pool = Pool::new("named-websocket-connect");

/// A job handed to a thread: says when it has ended.
#[derive(Debug, Clone)]
pub(crate) struct Running {
    thread: ThreadId,
    ended: Arc<(Mutex<bool>, Condvar)>,
}

impl Running {
    /// True when called from the thread that runs the job.
    pub(crate) fn is_current(&self) -> bool {
        self.thread == thread::current().id()
    }

    /// Waits until the job has returned and dropped what it owned.
    pub(crate) fn wait(&self) {
        let (ended, changed) = &*self.ended;
        let mut ended = ended.lock();
        while !*ended {
            changed.wait(&mut ended);
        }
    }
}

/// Marks the job ended when dropped, also if it panicked.
struct EndGuard(Arc<(Mutex<bool>, Condvar)>);

impl Drop for EndGuard {
    fn drop(&mut self) {
        let (ended, changed) = &*self.0;
        *ended.lock() = true;
        changed.notify_all();
    }
}

impl Pool {
    const fn new(name: &'static str) -> Pool {
        Pool {
            name,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `job` on a waiting thread, or on a new one.
    ///
    /// # Errors
    /// The system's error when no thread waits and a new one cannot be started.
    pub(crate) fn run(&'static self, job: impl FnOnce() + Send + 'static) -> io::Result<Running> {
        let ended = Arc::new((Mutex::new(false), Condvar::new()));
        let guard = EndGuard(Arc::clone(&ended));
        let job: Job = Box::new(move || {
            let _guard = guard;
            job();
        });
        let idle = self.idle.lock().pop();
        if let Some(idle) = idle {
            *idle.job.lock() = Some(job);
            idle.given.notify_one();
            return Ok(Running {
                thread: idle.thread,
                ended,
            });
        }
        let handle = thread::Builder::new()
            .name(self.name.to_owned())
            .spawn(move || self.serve(job))?;
        Ok(Running {
            thread: handle.thread().id(),
            ended,
        })
    }

    /// A thread's life: its first job, then whatever comes while it waits. Its stack keeps
    /// the default size: only the pages a thread touches take memory, and the application's
    /// wake hook and access policy run on these threads.
    fn serve(&self, mut job: Job) {
        loop {
            job();
            match self.wait_for_job() {
                Some(next) => job = next,
                None => return,
            }
        }
    }

    /// Waits up to [`IDLE_TIME`] for a job; `None` when none came or enough threads wait
    /// already.
    fn wait_for_job(&self) -> Option<Job> {
        let idle = Arc::new(Idle {
            thread: thread::current().id(),
            job: Mutex::new(None),
            given: Condvar::new(),
        });
        {
            let mut waiting = self.idle.lock();
            if waiting.len() >= MAX_IDLE {
                return None;
            }
            waiting.push(Arc::clone(&idle));
        }
        let deadline = Instant::now() + IDLE_TIME;
        let mut job = idle.job.lock();
        let mut taken = false;
        loop {
            if let Some(job) = job.take() {
                return Some(job);
            }
            if taken {
                idle.given.wait(&mut job);
            } else if idle.given.wait_until(&mut job, deadline).timed_out() {
                let mut waiting = self.idle.lock();
                match waiting.iter().position(|other| Arc::ptr_eq(other, &idle)) {
                    Some(at) => {
                        waiting.remove(at);
                        return None;
                    }
                    // Taken off the list just now: its job is on the way.
                    None => taken = true,
                }
            }
        }
    }
}

/// Runs `job` on a thread of `pool` and waits for what it returns: for work whose stack
/// should not stay with the calling thread. A panic in `job` goes on in the caller, as if it
/// had run there; when no thread can be started, `job` runs on the caller's.
pub(crate) fn run_and_wait<T: Send + 'static>(
    pool: &'static Pool,
    job: impl FnOnce() -> T + Send + 'static,
) -> T {
    type Outcome<T> = Arc<Mutex<Option<thread::Result<T>>>>;
    let outcome: Outcome<T> = Arc::default();
    let slot = Arc::clone(&outcome);
    // The job is kept here until a thread takes it, so that it can still run on this one.
    let kept = Arc::new(Mutex::new(Some(job)));
    let handed = Arc::clone(&kept);
    let running = pool.run(move || {
        // Taken out first: no lock may be held while the job runs (it connects, and runs the
        // access policy).
        let job = handed.lock().take();
        if let Some(job) = job {
            let result = panic::catch_unwind(AssertUnwindSafe(job));
            *slot.lock() = Some(result);
        }
    });
    match running {
        Ok(running) => running.wait(),
        Err(error) => {
            log::debug!("no thread for the job ({error}): running it here");
            let job = kept.lock().take().expect("the job was never handed over");
            return job();
        }
    }
    let result = outcome.lock().take();
    match result {
        Some(Ok(value)) => value,
        Some(Err(payload)) => panic::resume_unwind(payload),
        None => unreachable!("a pool thread ended its job without running it"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// The waiting threads are the process's: these tests take turns, so that one cannot take
    /// the thread the other expects.
    static TURN: Mutex<()> = Mutex::new(());

    #[test]
    fn a_thread_that_finished_takes_the_next_job() {
        let _turn = TURN.lock();
        let (sender, receiver) = mpsc::channel();
        let sent = sender.clone();
        let first = WORKERS
            .run(move || sent.send(thread::current().id()).unwrap())
            .unwrap();
        first.wait();
        // Waiting by now or about to be: another job within the idle time runs on a waiting
        // thread (this one, or one another test left waiting), not on a new one.
        let first_thread = receiver.recv().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let waiting = loop {
            let waiting: Vec<ThreadId> =
                WORKERS.idle.lock().iter().map(|idle| idle.thread).collect();
            if waiting.contains(&first_thread) {
                break waiting;
            }
            assert!(Instant::now() < deadline, "the thread never waited");
            thread::yield_now();
        };
        let second = WORKERS
            .run(move || sender.send(thread::current().id()).unwrap())
            .unwrap();
        second.wait();
        let second_thread = receiver.recv().unwrap();
        assert!(
            waiting.contains(&second_thread),
            "{second_thread:?} is a new thread; {waiting:?} were waiting"
        );
    }

    #[test]
    fn wait_returns_after_the_job_dropped_what_it_owned() {
        let _turn = TURN.lock();
        let owned = Arc::new(());
        let held = Arc::clone(&owned);
        let running = WORKERS.run(move || drop(Arc::clone(&held))).unwrap();
        running.wait();
        assert_eq!(Arc::strong_count(&owned), 1);
    }

    #[test]
    fn run_and_wait_returns_what_the_job_returned_on_a_thread_of_the_pool() {
        let caller = thread::current().id();
        let (thread, name) = run_and_wait(&CONNECTORS, || {
            let current = thread::current();
            (current.id(), current.name().map(str::to_owned))
        });
        assert_ne!(thread, caller);
        assert_eq!(name.as_deref(), Some("named-websocket-connect"));
    }

    #[test]
    fn a_panic_in_a_job_waited_for_goes_on_in_the_caller() {
        let (sender, receiver) = mpsc::channel();
        let outcome = panic::catch_unwind(|| {
            run_and_wait(&CONNECTORS, move || -> u32 {
                sender.send(thread::current().id()).unwrap();
                panic!("a bug in the connect")
            })
        });
        let payload = outcome.expect_err("the panic was lost");
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"a bug in the connect")
        );
        // The pool's thread survived it: it waits for the next job.
        let panicked_on = receiver.recv().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !CONNECTORS
            .idle
            .lock()
            .iter()
            .any(|idle| idle.thread == panicked_on)
        {
            assert!(Instant::now() < deadline, "the thread did not survive");
            thread::yield_now();
        }
        assert_eq!(run_and_wait(&CONNECTORS, || 7), 7);
    }
}
