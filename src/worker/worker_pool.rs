//! The threads that run the sockets' workers. A thread whose socket ended waits
//! [`IDLE_TIME`] for another socket before it exits, so that a program that opens sockets one
//! after another (or reconnects them) does not pay a thread's creation and teardown each time
//! (docs/performance.md has the figures). Each live socket still has a thread of its own; at
//! most [`MAX_IDLE`] threads wait, and none once [`IDLE_TIME`] has passed without a new socket.

use std::io;
use std::sync::Arc;
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

/// How long a thread whose socket ended waits for another socket before it exits. After the
/// last socket closed, the process is back to its own threads within this time.
pub(crate) const IDLE_TIME: Duration = Duration::from_millis(500);

/// How many threads may wait for a socket at once.
pub(crate) const MAX_IDLE: usize = 8;

type Job = Box<dyn FnOnce() + Send>;

/// A thread waiting for its next job.
struct Idle {
    thread: ThreadId,
    job: Mutex<Option<Job>>,
    given: Condvar,
}

/// The waiting threads, the one that waited least last (its stack is the warmest).
static IDLE: Mutex<Vec<Arc<Idle>>> = Mutex::new(Vec::new());

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

/// Runs `job` on a waiting thread, or on a new one.
///
/// # Errors
/// The system's error when no thread waits and a new one cannot be started.
pub(crate) fn run(job: impl FnOnce() + Send + 'static) -> io::Result<Running> {
    let ended = Arc::new((Mutex::new(false), Condvar::new()));
    let guard = EndGuard(Arc::clone(&ended));
    let job: Job = Box::new(move || {
        let _guard = guard;
        job();
    });
    let idle = IDLE.lock().pop();
    if let Some(idle) = idle {
        *idle.job.lock() = Some(job);
        idle.given.notify_one();
        return Ok(Running {
            thread: idle.thread,
            ended,
        });
    }
    let handle = thread::Builder::new()
        .name("named-websocket".to_owned())
        .spawn(move || serve(job))?;
    Ok(Running {
        thread: handle.thread().id(),
        ended,
    })
}

/// A thread's life: its first job, then whatever comes while it waits. Its stack keeps the
/// default size: only the pages a worker touches take memory (about 24 KiB of them), and the
/// application's wake hook and access policy run on it.
fn serve(mut job: Job) {
    loop {
        job();
        match wait_for_job() {
            Some(next) => job = next,
            None => return,
        }
    }
}

/// Waits up to [`IDLE_TIME`] for a job; `None` when none came or enough threads wait already.
fn wait_for_job() -> Option<Job> {
    let idle = Arc::new(Idle {
        thread: thread::current().id(),
        job: Mutex::new(None),
        given: Condvar::new(),
    });
    {
        let mut waiting = IDLE.lock();
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
            let mut waiting = IDLE.lock();
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
        let first = run(move || sent.send(thread::current().id()).unwrap()).unwrap();
        first.wait();
        // Waiting by now or about to be: another job within the idle time runs on a waiting
        // thread (this one, or one another test left waiting), not on a new one.
        let first_thread = receiver.recv().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let waiting = loop {
            let waiting: Vec<ThreadId> = IDLE.lock().iter().map(|idle| idle.thread).collect();
            if waiting.contains(&first_thread) {
                break waiting;
            }
            assert!(Instant::now() < deadline, "the thread never waited");
            thread::yield_now();
        };
        let second = run(move || sender.send(thread::current().id()).unwrap()).unwrap();
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
        let running = run(move || drop(Arc::clone(&held))).unwrap();
        running.wait();
        assert_eq!(Arc::strong_count(&owned), 1);
    }
}
