//! The dispatch queue: worker threads post events, the application's thread runs callbacks.
//!
//! One process-wide FIFO carries the events of every asynchronous socket. Callbacks run only in
//! the `dispatch_*` functions, on the thread that calls them, with no lock of this crate held,
//! so a callback may call any function of the library.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use once_cell::sync::Lazy;
use parking_lot::{Mutex, RwLock};

use crate::blocking::event_queue::EventQueue;
use crate::deadline::deadline_after;
use crate::error::{Error, Result};
use crate::user_code::run_hook;
use crate::worker::background;
use crate::worker::callback::{CallbackSlot, Progress};

/// Events of one socket on their way to its callback (a worker posts everything it has read
/// ahead at once), or, with no event, the mark that no more will come.
pub(crate) struct Delivery {
    pub(crate) target: Arc<CallbackSlot>,
    pub(crate) events: EventQueue,
    /// After these, the socket no longer counts as live.
    pub(crate) last: bool,
}

impl Delivery {
    /// What it counts for in [`pending_events`]: its events, or 1 for an end mark.
    fn weight(&self) -> usize {
        self.events.len().max(1)
    }
}

type WakeHook = Arc<dyn Fn() + Send + Sync>;

/// The process's one dispatch queue and its bookkeeping.
///
/// Invariants:
/// - `pending` counts the weight of every delivery in `front` and in the channel, minus the
///   events of `front`'s deliveries whose callbacks already ran: a delivery is counted before
///   it is sent, so a dispatcher never takes an uncounted one.
/// - `live` counts the asynchronous sockets whose last delivery has not been dispatched: while
///   it is above zero, some delivery is still to come, so a wait for one ends.
/// - Only the thread recorded in `dispatcher` takes deliveries and touches `front`, and it
///   holds no other lock of this crate while callbacks run.
struct DispatchQueue {
    sender: Sender<Delivery>,
    receiver: Receiver<Delivery>,
    /// Events posted and not yet taken by a dispatcher.
    pending: AtomicUsize,
    /// Asynchronous sockets whose last event has not been dispatched yet.
    live: AtomicUsize,
    wake_hook: RwLock<Option<WakeHook>>,
    /// The thread that is dispatching, if any: callbacks of one socket must not run on two
    /// threads at once, nor re-enter the dispatcher.
    dispatcher: Mutex<Option<ThreadId>>,
    /// What a dispatch left of a delivery (its condition held, or a callback panicked): it
    /// comes before anything in the channel.
    front: Mutex<VecDeque<Delivery>>,
}

static QUEUE: Lazy<DispatchQueue> = Lazy::new(|| {
    // Unbounded, yet bounded in practice: each socket's backlog limits what it posts.
    let (sender, receiver) = crossbeam_channel::unbounded();
    DispatchQueue {
        sender,
        receiver,
        pending: AtomicUsize::new(0),
        live: AtomicUsize::new(0),
        wake_hook: RwLock::new(None),
        dispatcher: Mutex::new(None),
        front: Mutex::new(VecDeque::new()),
    }
});

/// Counts a new asynchronous socket as live until its last event is dispatched.
pub(crate) fn socket_started() {
    QUEUE.live.fetch_add(1, Ordering::SeqCst);
}

/// Undoes [`socket_started`] for a socket whose worker could not start.
pub(crate) fn socket_stopped() {
    QUEUE.live.fetch_sub(1, Ordering::SeqCst);
}

/// Queues an event; called from worker threads. Calls the wake-up hook when the queue was
/// empty.
pub(crate) fn post(delivery: Delivery) {
    // Counted before it is visible, so a dispatcher never takes an uncounted event.
    let was_empty = QUEUE.pending.fetch_add(delivery.weight(), Ordering::SeqCst) == 0;
    // The receiver lives in a static: the channel cannot be disconnected.
    let _ = QUEUE.sender.send(delivery);
    if was_empty {
        wake();
    }
}

/// Runs the callbacks of the events already queued, then returns how many ran.
///
/// Never blocks on the network; blocks only as long as the callbacks run. Events that arrive
/// while it runs are left for the next call, so a busy socket cannot keep it from returning.
///
/// # Errors
/// [`Error::WrongMode`] when called from inside a callback, or while another thread is
/// dispatching (callbacks of a socket never run on two threads at once).
///
/// # Examples
/// ```no_run
/// // In a GUI program's idle handler or timer:
/// let ran = named_websocket::dispatch_pending()?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn dispatch_pending() -> Result<usize> {
    let _dispatcher = Dispatcher::enter()?;
    Ok(run_queued())
}

/// Runs the events queued now (not those that arrive meanwhile); the caller is the dispatcher.
fn run_queued() -> usize {
    let queued = QUEUE.pending.load(Ordering::SeqCst);
    let mut ran = 0;
    let mut taken = 0;
    while taken < queued {
        let Some(delivery) = next(Take::Now) else {
            break;
        };
        taken += delivery.weight();
        ran += run(delivery, &mut || false);
    }
    ran
}

/// How [`next`] may wait.
enum Take {
    Now,
    Within(Duration),
    Whenever,
}

/// The next delivery: what a dispatch left first, then the queue.
fn next(take: Take) -> Option<Delivery> {
    if let Some(delivery) = QUEUE.front.lock().pop_front() {
        return Some(delivery);
    }
    match take {
        Take::Now => QUEUE.receiver.try_recv().ok(),
        Take::Within(timeout) => {
            let deadline = deadline_after(timeout);
            yield_for_delivery(Some(deadline))
                .or_else(|| QUEUE.receiver.recv_deadline(deadline).ok())
        }
        // The receiver lives in a static: the channel cannot be disconnected.
        Take::Whenever => yield_for_delivery(None).or_else(|| QUEUE.receiver.recv().ok()),
    }
}

/// How many times a waiting dispatcher gives up the processor before it goes to sleep.
const YIELDS: usize = 64;

/// Waits for a delivery by giving up the processor a few times (`None` if none came, or the
/// deadline passed). An answer due within microseconds then arrives without a sleep and a
/// wake-up; and unlike spinning, which the channel's own wait starts with, yielding lets the
/// threads we wait for (the socket's worker, often the server too) run on a machine with few
/// processors.
fn yield_for_delivery(deadline: Option<Instant>) -> Option<Delivery> {
    for _ in 0..YIELDS {
        if let Ok(delivery) = QUEUE.receiver.try_recv() {
            return Some(delivery);
        }
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            return None;
        }
        thread::yield_now();
    }
    None
}

/// Waits up to `timeout` for an event, then runs the callbacks of the events queued, and
/// returns how many ran (0 when none came in time).
///
/// While it waits it first gives up the processor a few dozen times (an answer due within
/// microseconds then needs no sleep and wake-up), then sleeps: an idle wait costs no CPU.
///
/// # Errors
/// As [`dispatch_pending`].
///
/// # Examples
/// ```no_run
/// use std::time::Duration;
/// loop {
///     named_websocket::dispatch_timeout(Duration::from_millis(100))?;
///     // ... other periodic work ...
/// #   break;
/// }
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn dispatch_timeout(timeout: Duration) -> Result<usize> {
    let _dispatcher = Dispatcher::enter()?;
    match next(Take::Within(timeout)) {
        Some(first) => {
            let ran = run(first, &mut || false);
            Ok(ran + run_queued())
        }
        None => Ok(0),
    }
}

/// Runs callbacks as events arrive until `done()` returns true, or until no asynchronous
/// socket is left, and returns how many ran.
///
/// `done` is checked before waiting and after each callback. A socket is left until its last
/// [`Event::Close`](crate::Event::Close) has been dispatched (a socket that reconnects is not
/// left between attempts). This is the loop of a program that does nothing else; a GUI program
/// calls [`dispatch_pending`] from its own loop instead, woken by [`set_wake_hook`].
///
/// Blocks until then: indefinitely, if a socket stays open and `done` never holds.
///
/// # Errors
/// As [`dispatch_pending`].
///
/// # Examples
/// ```no_run
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use named_websocket::{dispatch_until, websocket_client_connect_async, Event};
///
/// let finished = Arc::new(AtomicBool::new(false));
/// let flag = Arc::clone(&finished);
/// websocket_client_connect_async("client", move |_name, event| {
///     if let Event::Close { .. } = event {
///         flag.store(true, Ordering::SeqCst);
///     }
/// }, "127.0.0.1", 9001, "/", "")?;
/// dispatch_until(|| finished.load(Ordering::SeqCst))?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn dispatch_until(mut done: impl FnMut() -> bool) -> Result<usize> {
    let _dispatcher = Dispatcher::enter()?;
    let mut ran = 0;
    while !done() {
        if QUEUE.live.load(Ordering::SeqCst) == 0 && QUEUE.pending.load(Ordering::SeqCst) == 0 {
            break;
        }
        // A live socket always ends with a last event, so this wait ends too.
        match next(Take::Whenever) {
            Some(delivery) => ran += run(delivery, &mut done),
            None => break,
        }
    }
    Ok(ran)
}

/// Runs callbacks as events arrive until no asynchronous socket is left, and returns how many
/// ran: the loop of a program that does nothing else, as a WLanguage program's main loop.
///
/// The same as [`dispatch_until`]`(|| false)`: a socket is left once its last
/// [`Event::Close`](crate::Event::Close) has been dispatched (a socket that reconnects is not
/// left between attempts), so this returns once every asynchronous socket has ended and its
/// name has been closed or its last event delivered.
///
/// Blocks until then: indefinitely, while a socket stays open.
///
/// # Errors
/// As [`dispatch_pending`].
///
/// # Examples
/// ```no_run
/// use named_websocket::{dispatch_until_all_closed, socket_close, websocket_client_connect_async, Event};
///
/// websocket_client_connect_async("client", |name, event| {
///     if let Event::Message(message) = event {
///         println!("{message:?}");
///         let _ = socket_close(name);
///     }
/// }, "127.0.0.1", 9001, "/", "")?;
/// dispatch_until_all_closed()?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn dispatch_until_all_closed() -> Result<usize> {
    dispatch_until(|| false)
}

/// Installs the wake-up hook: called each time the dispatch queue goes from empty to not
/// empty, so that a GUI event loop can schedule a call to [`dispatch_pending`] on its own
/// thread; and again when a `dispatch_*` call returns with events left in the queue (they
/// arrived while it ran). So a loop that dispatches only when woken never leaves events
/// behind. Replaces any previous hook.
///
/// Where it runs: on the library's thread that posted the event (the socket's worker, or the
/// thread that connects it the first time, which posts `Open` or the failed attempts' `Error`
/// and `Close`), or on the library's background thread for the wake-up a `dispatch_*` call
/// owes as it returns. **Never on the thread that
/// dispatches, and never while the library holds a lock**, and no call a dispatching thread
/// makes on an asynchronous socket waits for a worker: so a hook that posts to an event loop
/// guarded by the loop's own lock cannot deadlock with the GUI thread, even while that thread
/// holds the lock and dispatches. It should be quick (post a message to the GUI loop, set a
/// flag, write to a pipe) and must not dispatch itself. A hook that panics is caught and
/// logged at `error`; the socket goes on and its events still arrive.
///
/// # Examples
/// ```
/// let (wake, woken) = std::sync::mpsc::channel::<()>();
/// let wake = std::sync::Mutex::new(wake);
/// named_websocket::set_wake_hook(move || {
///     let _ = wake.lock().unwrap().send(());
/// });
/// # named_websocket::clear_wake_hook();
/// ```
pub fn set_wake_hook(hook: impl Fn() + Send + Sync + 'static) {
    *QUEUE.wake_hook.write() = Some(Arc::new(hook));
}

/// Removes the wake-up hook.
///
/// # Examples
/// ```
/// named_websocket::set_wake_hook(|| {});
/// named_websocket::clear_wake_hook(); // the GUI loop is shutting down
/// ```
pub fn clear_wake_hook() {
    *QUEUE.wake_hook.write() = None;
}

/// How many events wait in the dispatch queue. Never blocks.
///
/// # Examples
/// ```
/// if named_websocket::pending_events() > 0 {
///     named_websocket::dispatch_pending()?;
/// }
/// # Ok::<(), named_websocket::Error>(())
/// ```
pub fn pending_events() -> usize {
    QUEUE.pending.load(Ordering::SeqCst)
}

/// Marks the current thread as the dispatcher for the guard's lifetime.
struct Dispatcher;

impl Dispatcher {
    fn enter() -> Result<Dispatcher> {
        let me = thread::current().id();
        let mut owner = QUEUE.dispatcher.lock();
        match *owner {
            Some(thread) if thread == me => Err(Error::WrongMode(
                "dispatch_* was called from inside a callback: return from the callback, \
                 and the dispatching loop runs the next events"
                    .into(),
            )),
            Some(_) => Err(Error::WrongMode(
                "another thread is dispatching events: call dispatch_* from one thread \
                 only (your event loop's)"
                    .into(),
            )),
            None => {
                *owner = Some(me);
                Ok(Dispatcher)
            }
        }
    }
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        *QUEUE.dispatcher.lock() = None;
        // Events posted while we dispatched found the queue not empty and woke nobody: wake
        // the host loop again for them, or a loop that dispatches only when woken stalls. Not
        // from this thread, which may hold the host loop's own lock (and may be unwinding).
        if QUEUE.pending.load(Ordering::SeqCst) > 0 && QUEUE.wake_hook.read().is_some() {
            background::call_soon(wake);
        }
    }
}

/// Calls the wake hook now, on this (worker) thread: a mailbox socket has events to take.
pub(crate) fn wake_hook_now() {
    wake();
}

/// Calls the wake hook, if there is one. A hook that panics is contained (see
/// [`run_hook`]): the worker or dispatcher that called it goes on.
fn wake() {
    // Cloned out of the lock: the hook is user code, and may replace itself.
    let hook = QUEUE.wake_hook.read().clone();
    if let Some(hook) = hook {
        run_hook("the wake hook", || hook());
    }
}

/// Runs a delivery's callbacks, until `stop()` holds after one; returns how many ran. What
/// is left (stopped early, or a callback panicked) goes back to the front of the queue.
fn run(delivery: Delivery, stop: &mut dyn FnMut() -> bool) -> usize {
    let mut batch = Batch {
        delivery: Some(delivery),
        progress: Progress::default(),
    };
    if let Some(delivery) = batch.delivery.as_mut() {
        let Delivery {
            target,
            events,
            last,
        } = delivery;
        target.deliver(events, *last, &mut batch.progress, stop);
    }
    batch.progress.ran
}

/// Settles the counts for a delivery once its callbacks ran, even during a panic.
struct Batch {
    delivery: Option<Delivery>,
    progress: Progress,
}

impl Drop for Batch {
    fn drop(&mut self) {
        let Some(delivery) = self.delivery.take() else {
            return;
        };
        if delivery.events.is_empty() {
            // Its events all ran (or it was an end mark, counted as one).
            QUEUE
                .pending
                .fetch_sub(self.progress.taken.max(1), Ordering::SeqCst);
            if delivery.last {
                QUEUE.live.fetch_sub(1, Ordering::SeqCst);
            }
        } else {
            QUEUE
                .pending
                .fetch_sub(self.progress.taken, Ordering::SeqCst);
            QUEUE.front.lock().push_front(delivery);
        }
    }
}
