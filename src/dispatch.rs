//! The dispatch queue: worker threads post events, the application's thread runs callbacks.
//!
//! One process-wide FIFO carries the events of every asynchronous socket. Callbacks run only in
//! the `dispatch_*` functions, on the thread that calls them, with no lock of this crate held,
//! so a callback may call any function of the library.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, ThreadId};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use once_cell::sync::Lazy;
use parking_lot::{Mutex, RwLock};

use crate::error::{Error, Result};
use crate::event::Event;
use crate::worker::Shared;

/// One event on its way to a socket's callback, or the mark that no more will come.
pub(crate) struct Delivery {
    pub(crate) target: Arc<Shared>,
    pub(crate) event: Option<Event>,
    /// After this, the socket no longer counts as live.
    pub(crate) last: bool,
}

struct Queue {
    sender: Sender<Delivery>,
    receiver: Receiver<Delivery>,
}

static QUEUE: Lazy<Queue> = Lazy::new(|| {
    let (sender, receiver) = crossbeam_channel::unbounded();
    Queue { sender, receiver }
});
/// Events posted and not yet taken by a dispatcher.
static PENDING: AtomicUsize = AtomicUsize::new(0);
/// Asynchronous sockets whose last event has not been dispatched yet.
static LIVE: AtomicUsize = AtomicUsize::new(0);
type WakeHook = Arc<dyn Fn() + Send + Sync>;
static WAKE_HOOK: RwLock<Option<WakeHook>> = RwLock::new(None);
/// The thread that is dispatching, if any: callbacks of one socket must not run on two
/// threads at once, nor re-enter the dispatcher.
static DISPATCHER: Mutex<Option<ThreadId>> = Mutex::new(None);

/// Counts a new asynchronous socket as live until its last event is dispatched.
pub(crate) fn socket_started() {
    LIVE.fetch_add(1, Ordering::SeqCst);
}

/// Undoes [`socket_started`] for a socket whose worker could not start.
pub(crate) fn socket_stopped() {
    LIVE.fetch_sub(1, Ordering::SeqCst);
}

/// Queues an event; called from worker threads. Calls the wake-up hook when the queue was
/// empty.
pub(crate) fn post(delivery: Delivery) {
    // Counted before it is visible, so a dispatcher never takes an uncounted event.
    let was_empty = PENDING.fetch_add(1, Ordering::SeqCst) == 0;
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
    let mut ran = 0;
    for _ in 0..PENDING.load(Ordering::SeqCst) {
        match QUEUE.receiver.try_recv() {
            Ok(delivery) => {
                run(delivery);
                ran += 1;
            }
            Err(_) => break,
        }
    }
    ran
}

/// Waits up to `timeout` for an event, then runs the callbacks of the events queued, and
/// returns how many ran (0 when none came in time).
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
    match QUEUE.receiver.recv_timeout(timeout) {
        Ok(first) => {
            run(first);
            Ok(1 + run_queued())
        }
        Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => Ok(0),
    }
}

/// Runs callbacks as events arrive until `done()` returns true, or until no asynchronous
/// socket is left, and returns how many ran.
///
/// `done` is checked before waiting and after each callback. A socket is left until its last
/// [`Event::Close`] has been dispatched (a socket that reconnects is not left between
/// attempts). This is the loop of a program that does nothing else; a GUI program calls
/// [`dispatch_pending`] from its own loop instead, woken by [`set_wake_hook`].
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
        if LIVE.load(Ordering::SeqCst) == 0 && PENDING.load(Ordering::SeqCst) == 0 {
            break;
        }
        // A live socket always ends with a last event, so this wait ends too.
        match QUEUE.receiver.recv() {
            Ok(delivery) => {
                run(delivery);
                ran += 1;
            }
            Err(_) => break,
        }
    }
    Ok(ran)
}

/// Installs the wake-up hook: called from a worker thread each time the dispatch queue goes
/// from empty to not empty, so that a GUI event loop can schedule a call to
/// [`dispatch_pending`] on its own thread; and again when a `dispatch_*` call returns with
/// events left in the queue (they arrived while it ran). So a loop that dispatches only when
/// woken never leaves events behind. Replaces any previous hook.
///
/// The hook runs on worker threads (and on the dispatching thread, as a `dispatch_*` call
/// returns with events left): it must be quick and must not dispatch itself (post a message to
/// the GUI loop, set a flag, write to a pipe).
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
    *WAKE_HOOK.write() = Some(Arc::new(hook));
}

/// Removes the wake-up hook.
pub fn clear_wake_hook() {
    *WAKE_HOOK.write() = None;
}

/// How many events wait in the dispatch queue.
pub fn pending_events() -> usize {
    PENDING.load(Ordering::SeqCst)
}

/// Marks the current thread as the dispatcher for the guard's lifetime.
struct Dispatcher;

impl Dispatcher {
    fn enter() -> Result<Dispatcher> {
        let me = thread::current().id();
        let mut owner = DISPATCHER.lock();
        match *owner {
            Some(thread) if thread == me => Err(Error::WrongMode(
                "dispatch called from inside a callback".into(),
            )),
            Some(_) => Err(Error::WrongMode(
                "another thread is dispatching events".into(),
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
        *DISPATCHER.lock() = None;
        // Events posted while we dispatched found the queue not empty and woke nobody: wake
        // the host loop again for them, or a loop that dispatches only when woken stalls.
        if PENDING.load(Ordering::SeqCst) > 0 {
            wake();
        }
    }
}

fn wake() {
    let hook = WAKE_HOOK.read().clone();
    if let Some(hook) = hook {
        hook();
    }
}

fn run(delivery: Delivery) {
    PENDING.fetch_sub(1, Ordering::SeqCst);
    let Delivery {
        target,
        event,
        last,
    } = delivery;
    if last {
        LIVE.fetch_sub(1, Ordering::SeqCst);
    }
    if let Some(event) = event {
        target.deliver(event);
    }
}
