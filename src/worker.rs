//! Sockets run by a worker thread: asynchronous sockets, and blocking sockets with keepalive,
//! an idle timeout or auto-reconnect.
//!
//! The worker is the connection's only reader. It connects (or takes a connection opened by a
//! blocking connect), reads, sends keepalive pings, notices a dead peer, reconnects by policy,
//! and hands each [`Event`] to the socket's sink: the callback, through the dispatch queue, or
//! the inbox that blocking reads take messages from. Writes and closes come from other threads
//! through the shared [`Socket`], whose lock discipline lets them proceed while the worker
//! waits for data.
//!
//! Back-pressure: at most `event_queue_limit` events wait for a socket; past that its worker
//! stops reading, so TCP flow control slows the server and memory stays bounded. No event is
//! dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use crate::dispatch::{self, Delivery};
use crate::error::{CloseInfo, Error, Result};
use crate::event::Event;
use crate::event_queue::{first_wait, EventQueue};
use crate::info::ConnectionInfo;
use crate::keepalive::{Due, Keepalive};
use crate::message::Message;
use crate::options::{Checked, ConnectOptions};
use crate::reconnect::{is_retryable, random_unit, Reconnect};
use crate::socket::{Socket, Wait};
use crate::state::State;
use crate::stream::deadline_after;
use crate::target::Target;

/// The callback of an asynchronous socket: its name and the event.
pub(crate) type Callback = Box<dyn FnMut(&str, Event) + Send>;

/// Where a socket's events go.
enum Sink {
    /// Asynchronous mode: the callback, run by the dispatcher. Taken out while it runs, so
    /// that no lock is held during a callback.
    Callback(Mutex<Option<Callback>>),
    /// Blocking mode: messages wait here for `socket_read`.
    Inbox(Inbox),
}

struct Inbox {
    state: Mutex<InboxState>,
    ready: Condvar,
}

#[derive(Default)]
struct InboxState {
    events: EventQueue,
    /// No event will come any more.
    finished: bool,
    /// The last connection's end, repeated to every read once the inbox is empty.
    closed: Option<CloseInfo>,
}

/// How the worker starts.
pub(crate) enum Start {
    /// Connect first (asynchronous sockets: the caller does not wait).
    Connect,
    /// A blocking connect already opened the connection.
    Connected(Socket),
}

/// What the worker needs to connect again.
struct Plan {
    target: Target,
    options: ConnectOptions,
    checked: Checked,
    keepalive: Keepalive,
    reconnect: Option<Reconnect>,
}

/// A handle on a worker-run socket, as the registry holds it.
#[derive(Clone)]
pub(crate) struct ManagedSocket {
    shared: Arc<Shared>,
}

/// A reference to a managed socket that does not keep it alive (for caches).
#[derive(Clone)]
pub(crate) struct WeakManaged(std::sync::Weak<Shared>);

impl WeakManaged {
    pub(crate) fn upgrade(&self) -> Option<ManagedSocket> {
        self.0.upgrade().map(|shared| ManagedSocket { shared })
    }
}

pub(crate) struct Shared {
    name: String,
    sink: Sink,
    phase: Mutex<Phase>,
    /// `socket_close` was called: the worker must not wait or reconnect any more.
    closing: AtomicBool,
    /// The socket's last event was posted: `finish` has no mark to add.
    last_posted: AtomicBool,
    /// The connection that ended most recently, for an end that comes while reconnecting.
    previous: Mutex<Option<Box<Last>>>,
    /// Events handed to the sink and not taken yet, and the limit past which the worker waits.
    backlog: Mutex<usize>,
    /// Signalled when the backlog shrinks and when the socket starts closing.
    space: Condvar,
    limit: usize,
    worker: Mutex<Option<JoinHandle<()>>>,
}

/// Where the worker is.
enum Phase {
    /// Opening a connection; `retry` when it is not the first.
    Connecting {
        retry: bool,
    },
    Open(Socket),
    /// Waiting before the next attempt.
    Waiting,
    /// No more connections. What the last one was is kept, not the connection itself, so its
    /// descriptors are released.
    Ended(Option<Box<Last>>),
}

/// How the last connection of an ended socket ended, and what it was.
struct Last {
    close: CloseInfo,
    info: ConnectionInfo,
}

impl Last {
    fn of(socket: &Socket) -> Last {
        Last {
            close: socket.close_info(),
            info: socket.info(),
        }
    }
}

impl std::fmt::Debug for ManagedSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManagedSocket")
            .field("name", &self.shared.name)
            .field("state", &self.state())
            .finish()
    }
}

impl ManagedSocket {
    /// An asynchronous socket: events go to `callback`; the worker connects.
    pub(crate) fn start_async(
        name: &str,
        callback: Callback,
        target: Target,
        options: &ConnectOptions,
        checked: Checked,
    ) -> Result<ManagedSocket> {
        let sink = Sink::Callback(Mutex::new(Some(callback)));
        // Counted live before the worker can post its last event.
        dispatch::socket_started();
        ManagedSocket::start(name, sink, Start::Connect, target, options, checked)
            .inspect_err(|_| dispatch::socket_stopped())
    }

    /// A blocking socket whose connection `socket` is already open: reads take messages from
    /// the inbox the worker fills.
    pub(crate) fn start_blocking(
        name: &str,
        socket: Socket,
        target: Target,
        options: &ConnectOptions,
        checked: Checked,
    ) -> Result<ManagedSocket> {
        let sink = Sink::Inbox(Inbox {
            state: Mutex::new(InboxState::default()),
            ready: Condvar::new(),
        });
        let start = Start::Connected(socket);
        ManagedSocket::start(name, sink, start, target, options, checked)
    }

    fn start(
        name: &str,
        sink: Sink,
        start: Start,
        target: Target,
        options: &ConnectOptions,
        checked: Checked,
    ) -> Result<ManagedSocket> {
        let phase = match &start {
            Start::Connect => Phase::Connecting { retry: false },
            Start::Connected(socket) => Phase::Open(socket.clone()),
        };
        let shared = Arc::new(Shared {
            name: name.to_owned(),
            sink,
            phase: Mutex::new(phase),
            closing: AtomicBool::new(false),
            last_posted: AtomicBool::new(false),
            previous: Mutex::new(None),
            backlog: Mutex::new(0),
            space: Condvar::new(),
            limit: options.event_queue_limit,
            worker: Mutex::new(None),
        });
        let plan = Plan {
            target,
            keepalive: options.keepalive(),
            reconnect: options.reconnect.clone(),
            options: options.clone(),
            checked,
        };
        let worker = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name(format!("named-websocket:{name}"))
                .spawn(move || run(&shared, start, &plan))
                .map_err(Error::Io)?
        };
        *shared.worker.lock() = Some(worker);
        Ok(ManagedSocket { shared })
    }

    pub(crate) fn downgrade(&self) -> WeakManaged {
        WeakManaged(Arc::downgrade(&self.shared))
    }

    /// True for an asynchronous socket, whose messages go to its callback.
    pub(crate) fn has_callback(&self) -> bool {
        matches!(self.shared.sink, Sink::Callback(_))
    }

    pub(crate) fn state(&self) -> State {
        match &*self.shared.phase.lock() {
            Phase::Open(socket) => socket.state(),
            Phase::Connecting { retry: false } => State::Connecting,
            Phase::Connecting { retry: true } | Phase::Waiting => State::Reconnecting,
            Phase::Ended(_) => State::Closed,
        }
    }

    /// The open connection, or the error that says why there is none.
    fn socket(&self) -> Result<Socket> {
        match &*self.shared.phase.lock() {
            Phase::Open(socket) => Ok(socket.clone()),
            Phase::Ended(last) => Err(Error::Closed(Box::new(match last {
                Some(last) => last.close.clone(),
                None => CloseInfo {
                    code: 1006,
                    reason: "the connection could not be opened".into(),
                },
            }))),
            Phase::Connecting { retry: false } => Err(Error::NotOpen(State::Connecting)),
            Phase::Connecting { retry: true } | Phase::Waiting => {
                Err(Error::NotOpen(State::Reconnecting))
            }
        }
    }

    /// What the last connection of an ended socket was.
    fn last_info(&self) -> Option<ConnectionInfo> {
        match &*self.shared.phase.lock() {
            Phase::Ended(Some(last)) => Some(last.info.clone()),
            _ => None,
        }
    }

    pub(crate) fn write(&self, message: Message) -> Result<()> {
        self.socket()?.write(message)
    }

    pub(crate) fn info(&self) -> Result<ConnectionInfo> {
        match self.last_info() {
            Some(info) => Ok(info),
            None => Ok(self.socket()?.info()),
        }
    }

    pub(crate) fn protocol(&self) -> Result<Option<String>> {
        if let Some(info) = self.last_info() {
            return Ok(info.protocol);
        }
        match self.socket() {
            Ok(socket) => Ok(socket.protocol().map(str::to_owned)),
            Err(Error::Closed(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// A blocking read from the inbox: messages in order, then how the connection ended.
    /// Errors and closes of a connection that is being reopened are not reported: the read
    /// waits across the reconnect.
    pub(crate) fn read(&self, wait: Wait) -> Result<Option<Message>> {
        let Sink::Inbox(inbox) = &self.shared.sink else {
            return Err(Error::WrongMode(
                format!(
                    "socket {:?} is asynchronous: its messages go to its callback",
                    self.shared.name
                )
                .into(),
            ));
        };
        let mut state = inbox.state.lock();
        loop {
            if let Some(event) = state.events.pop() {
                self.shared.taken(1);
                match event {
                    Event::Message(message) => return Ok(Some(message)),
                    Event::Error(error) => return Err(error),
                    Event::Close { code, reason } => {
                        let info = CloseInfo { code, reason };
                        state.closed = Some(info.clone());
                        return Err(Error::Closed(Box::new(info)));
                    }
                    _ => continue,
                }
            }
            if state.finished {
                let info = state.closed.clone().unwrap_or_else(|| CloseInfo {
                    code: 1006,
                    reason: "connection closed".into(),
                });
                return Err(Error::Closed(Box::new(info)));
            }
            let idle_check = state.events.holds_more_than_idle();
            match wait {
                Wait::No => {
                    // A reader that comes back empty-handed keeps no large buffer.
                    state.events.shrink_while_idle();
                    return Ok(None);
                }
                // A reader that waits a while keeps no large buffer meanwhile.
                Wait::Forever | Wait::Until(_) if idle_check => {
                    let (until, last) = first_wait(match wait {
                        Wait::Until(deadline) => Some(deadline),
                        Wait::Forever | Wait::No => None,
                    });
                    let timed_out = inbox.ready.wait_until(&mut state, until).timed_out();
                    if timed_out && state.events.is_empty() && !state.finished {
                        state.events.shrink_while_idle();
                        if last {
                            return Err(Error::Timeout(crate::error::Timeout::Read));
                        }
                    }
                }
                Wait::Forever => inbox.ready.wait(&mut state),
                Wait::Until(deadline) => {
                    if inbox.ready.wait_until(&mut state, deadline).timed_out()
                        && state.events.is_empty()
                        && !state.finished
                    {
                        return Err(Error::Timeout(crate::error::Timeout::Read));
                    }
                }
            }
        }
    }

    /// Closes the connection and stops any reconnect. Waits for the worker to end, except
    /// while it opens a connection: then it closes what it opens and ends by itself, within
    /// the connect timeout.
    pub(crate) fn close(&self, code: u16, reason: &str) -> Result<()> {
        self.shared.closing.store(true, Ordering::SeqCst);
        {
            // Under the backlog lock, so a worker about to wait cannot miss the wake-up.
            let _backlog = self.shared.backlog.lock();
            self.shared.space.notify_all();
        }
        let open = match &*self.shared.phase.lock() {
            Phase::Connecting { .. } => None,
            Phase::Open(socket) => Some(Some(socket.clone())),
            Phase::Waiting | Phase::Ended(_) => Some(None),
        };
        let Some(open) = open else {
            // The worker is inside a connect: it closes what it opens and ends by itself.
            // Blocked readers learn of the close now, not when that connect gives up.
            self.shared.end_inbox(CloseInfo {
                code,
                reason: reason.to_owned(),
            });
            return Ok(());
        };
        if let Some(socket) = open {
            socket.close_with(code, reason)?;
        }
        let worker = self.shared.worker.lock().take();
        if let Some(worker) = worker {
            // A wake hook runs on the worker: it cannot wait for its own thread.
            if worker.thread().id() != thread::current().id() {
                let _ = worker.join();
            }
        }
        Ok(())
    }
}

impl Shared {
    fn closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    fn set_phase(&self, phase: Phase) {
        *self.phase.lock() = phase;
    }

    /// Hands an event to the sink, waiting for room unless the socket is closing. `transient`
    /// marks the Error and Close of a connection that will be opened again: an inbox skips
    /// them (blocking reads wait across the reconnect), a callback sees them.
    fn post(self: &Arc<Self>, event: Event, transient: bool) {
        self.post_event(event, transient, false);
    }

    /// Hands messages to the sink in as few goes as the limit allows: one delivery, one
    /// wake-up and one lock of the backlog for as many as there is room for.
    fn post_messages(self: &Arc<Self>, mut messages: EventQueue) {
        while !messages.is_empty() {
            let batch = {
                let mut backlog = self.backlog.lock();
                while *backlog >= self.limit && !self.closing() {
                    self.space.wait(&mut backlog);
                }
                // Closing: nobody waits for room any more, so no limit either.
                let room = if self.closing() {
                    usize::MAX
                } else {
                    self.limit - *backlog
                };
                let events = messages.split_front(room);
                *backlog += events.len();
                events
            };
            self.hand_over(batch);
        }
    }

    /// Gives events already counted in the backlog to the sink.
    fn hand_over(self: &Arc<Self>, mut events: EventQueue) {
        match &self.sink {
            Sink::Callback(_) => dispatch::post(Delivery {
                target: Arc::clone(self),
                events,
                last: false,
            }),
            Sink::Inbox(inbox) => {
                let mut state = inbox.state.lock();
                if state.finished {
                    drop(state);
                    self.taken(events.len());
                    return;
                }
                state.events.append(&mut events);
                drop(state);
                inbox.ready.notify_all();
            }
        }
    }

    /// Posts the socket's last event: no other follows.
    fn post_last(self: &Arc<Self>, event: Event) {
        self.post_event(event, false, true);
    }

    fn post_event(self: &Arc<Self>, event: Event, transient: bool, last: bool) {
        if last {
            // Whoever sees the last event sees the socket ended, too.
            self.end_phase();
            self.last_posted.store(true, Ordering::SeqCst);
        }
        if let Sink::Inbox(_) = self.sink {
            let skipped =
                transient || matches!(event, Event::Open { .. } | Event::Reconnecting { .. });
            if skipped {
                log::debug!("{}: {event:?}", self.name);
                return;
            }
        }
        {
            let mut backlog = self.backlog.lock();
            while *backlog >= self.limit && !self.closing() {
                self.space.wait(&mut backlog);
            }
            *backlog += 1;
        }
        match &self.sink {
            Sink::Callback(_) => {
                let mut events = EventQueue::default();
                events.push(event);
                dispatch::post(Delivery {
                    target: Arc::clone(self),
                    events,
                    last,
                })
            }
            Sink::Inbox(inbox) => {
                let mut state = inbox.state.lock();
                if state.finished {
                    // `socket_close` already told the readers; this is the closed socket's
                    // last word.
                    drop(state);
                    self.taken(1);
                    return;
                }
                state.events.push(event);
                // In the same lock section as the last event, so that no read sees the last
                // event and then an inbox that is not finished.
                state.finished |= last;
                drop(state);
                if last {
                    inbox.ready.notify_all();
                } else {
                    inbox.ready.notify_one();
                }
            }
        }
    }

    /// Ends a blocking socket's inbox now with `close`, for `socket_close` during a connect.
    fn end_inbox(&self, close: CloseInfo) {
        if let Sink::Inbox(inbox) = &self.sink {
            let mut state = inbox.state.lock();
            state.closed.get_or_insert(close);
            state.finished = true;
            drop(state);
            inbox.ready.notify_all();
        }
    }

    /// No event will follow: the socket leaves the dispatcher's live count, blocked readers
    /// learn the end.
    fn finish(self: &Arc<Self>) {
        if !self.end_phase() {
            return;
        }
        match &self.sink {
            Sink::Callback(_) if self.last_posted.load(Ordering::SeqCst) => {}
            Sink::Callback(_) => dispatch::post(Delivery {
                target: Arc::clone(self),
                events: EventQueue::default(),
                last: true,
            }),
            Sink::Inbox(inbox) => {
                inbox.state.lock().finished = true;
                inbox.ready.notify_all();
            }
        }
    }

    /// Moves the phase to `Ended`, keeping what the last connection was; false if it was
    /// already there.
    fn end_phase(&self) -> bool {
        let mut phase = self.phase.lock();
        if let Phase::Ended(_) = *phase {
            return false;
        }
        let last = match &*phase {
            Phase::Open(socket) => Some(Box::new(Last::of(socket))),
            // Reconnecting gave up: the last connection is the one that was lost.
            _ => self.previous.lock().take(),
        };
        *phase = Phase::Ended(last);
        true
    }

    /// Takes `count` events off the backlog and wakes a worker waiting for room or for the
    /// backlog to drain.
    fn taken(&self, count: usize) {
        let mut backlog = self.backlog.lock();
        *backlog -= count;
        self.space.notify_one();
    }

    /// Waits until every event handed to the sink has been taken, or the socket is closing.
    fn wait_until_taken(&self) {
        let mut backlog = self.backlog.lock();
        while *backlog > 0 && !self.closing() {
            self.space.wait(&mut backlog);
        }
    }

    /// Waits until `deadline` unless the socket starts closing; true when it is closing.
    fn wait_or_close(&self, deadline: Instant) -> bool {
        let mut backlog = self.backlog.lock();
        while !self.closing() {
            if self.space.wait_until(&mut backlog, deadline).timed_out() {
                break;
            }
        }
        self.closing()
    }

    /// Runs the callback for the events, in order, until `stop()` holds after one; counts each
    /// in `ran`. Called by the dispatcher, never by a worker.
    pub(crate) fn deliver(
        &self,
        events: &mut EventQueue,
        ran: &mut usize,
        stop: &mut dyn FnMut() -> bool,
    ) {
        let Sink::Callback(home) = &self.sink else {
            return;
        };
        // Counted as taken only once the callbacks have returned (or one panicked): a worker
        // waiting for the backlog to drain must see the application's answers go out first.
        let mut taken = Taken {
            shared: self,
            count: 0,
        };
        let callback = home.lock().take();
        let Some(callback) = callback else {
            // Only one thread dispatches and it does not re-enter, so the callback is home.
            log::error!("{}: callback missing", self.name);
            return;
        };
        // Puts the callback back even if it panics.
        let mut guard = CallbackGuard {
            home,
            callback: Some(callback),
        };
        while let (Some(callback), Some(event)) = (guard.callback.as_mut(), events.pop()) {
            *ran += 1;
            taken.count += 1;
            callback(&self.name, event);
            if stop() {
                break;
            }
        }
    }
}

/// Takes events off the socket's backlog when dropped.
struct Taken<'a> {
    shared: &'a Shared,
    count: usize,
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        if self.count > 0 {
            self.shared.taken(self.count);
        }
    }
}

struct CallbackGuard<'a> {
    home: &'a Mutex<Option<Callback>>,
    callback: Option<Callback>,
}

impl Drop for CallbackGuard<'_> {
    fn drop(&mut self) {
        *self.home.lock() = self.callback.take();
    }
}

/// How a connection ended.
struct Ending {
    error: Option<Error>,
    close: CloseInfo,
}

/// Ends the socket even if the worker panics (a wake hook, say), so that readers and the
/// dispatcher are not left waiting for a last event that would never come.
struct FinishOnDrop<'a>(&'a Arc<Shared>);

impl Drop for FinishOnDrop<'_> {
    fn drop(&mut self) {
        self.0.finish();
    }
}

/// The worker: (connect,) run the connection, reconnect by policy, until the end.
fn run(shared: &Arc<Shared>, start: Start, plan: &Plan) {
    let _finish = FinishOnDrop(shared);
    // Backoff steps: they keep growing across connections that drop again quickly.
    let mut steps = 0;
    let mut socket = match start {
        Start::Connected(socket) => socket,
        Start::Connect => match open(shared, plan, false, &mut steps) {
            Some(socket) => socket,
            None => return,
        },
    };
    loop {
        let opened = Instant::now();
        let ending = drive(shared, &socket, &plan.keepalive);
        *shared.previous.lock() = Some(Box::new(Last::of(&socket)));
        let again = !shared.closing()
            && plan
                .reconnect
                .as_ref()
                .is_some_and(|policy| match &ending.error {
                    Some(error) => is_retryable(error),
                    None => policy.retries_close(ending.close.code),
                });
        if let Some(policy) = &plan.reconnect {
            if opened.elapsed() >= policy.steady_after() {
                steps = 0;
            }
        }
        if again {
            shared.set_phase(Phase::Waiting);
        }
        if let Some(error) = ending.error {
            shared.post(Event::Error(error), again);
        }
        let CloseInfo { code, reason } = ending.close;
        let close = Event::Close { code, reason };
        if !again {
            shared.post_last(close);
            return;
        }
        shared.post(close, true);
        socket = match open(shared, plan, true, &mut steps) {
            Some(socket) => socket,
            None => return,
        };
    }
}

/// Opens a connection, retrying by policy (`retry`: a connection was lost just before).
/// Each failed attempt posts Error and Close, each new one Reconnecting. `None` when the
/// socket gives up or is being closed. `steps` counts the backoff steps taken so far.
fn open(shared: &Arc<Shared>, plan: &Plan, retry: bool, steps: &mut u32) -> Option<Socket> {
    let mut attempt: u32 = 0;
    let mut waiting = retry;
    loop {
        if waiting {
            attempt += 1;
            *steps = steps.saturating_add(1);
            let policy = plan.reconnect.as_ref()?;
            let delay = policy.delay(*steps, random_unit());
            shared.set_phase(Phase::Waiting);
            shared.post(Event::Reconnecting { attempt, delay }, false);
            log::debug!("{}: reconnect attempt {attempt} in {delay:?}", shared.name);
            if shared.wait_or_close(deadline_after(delay)) {
                return None;
            }
        }
        shared.set_phase(Phase::Connecting { retry: attempt > 0 });
        // A close that came after the wait but saw `Waiting` is waiting for this thread to
        // end: do not make it wait for a whole connect. A socket closed before its first
        // connect still ends with a Close, as one closed during it does.
        if shared.closing() {
            if !retry && attempt == 0 {
                let reason = "closed before connecting".to_owned();
                shared.post_last(Event::Close { code: 1000, reason });
            }
            return None;
        }
        let error = match Socket::open(plan.target.clone(), &plan.options, &plan.checked) {
            Ok(socket) => {
                shared.set_phase(Phase::Open(socket.clone()));
                // `close` sets `closing` before it looks at the phase, and the phase is set
                // before we look at `closing`: one of the two sees the other. A connection
                // that `close` did not see is closed here.
                if shared.closing() {
                    let _ = socket.close();
                    let reason = "closed while connecting".to_owned();
                    shared.post_last(Event::Close { code: 1000, reason });
                    return None;
                }
                let protocol = socket.protocol().map(str::to_owned);
                shared.post(Event::Open { protocol }, false);
                return Some(socket);
            }
            Err(error) => error,
        };
        log::debug!("{}: connect failed: {error}", shared.name);
        let again = !shared.closing()
            && is_retryable(&error)
            && plan
                .reconnect
                .as_ref()
                .is_some_and(|policy| policy.allows(attempt + 1));
        let reason = error.to_string();
        shared.post(Event::Error(error), again);
        let close = Event::Close { code: 1006, reason };
        if !again {
            shared.post_last(close);
            return None;
        }
        shared.post(close, true);
        waiting = true;
    }
}

/// The most messages a worker gathers for one hand-over while more keep arriving: fewer
/// hand-overs (and wake-ups of the dispatcher) for a fast sender, at the cost of holding the
/// first of them back while the rest are read (about 20 µs for 256 small messages).
const GATHER: usize = 256;

/// Runs one connection: reads and posts its messages, keeps it alive, until it ends.
fn drive(shared: &Arc<Shared>, socket: &Socket, keepalive: &Keepalive) -> Ending {
    // The worker reads ahead of the application: a violation must not cut off its answers.
    socket.defer_failures();
    let mut clock = keepalive.start(Instant::now());
    loop {
        let deadline = keepalive.next_deadline(&clock, socket.last_received());
        let wait = deadline.map_or(Wait::Forever, Wait::Until);
        let due = match socket.read_batch(wait, shared.limit.min(GATHER)) {
            Ok(Some(messages)) => {
                // Everything read ahead: one hand-over for the lot.
                shared.post_messages(messages);
                // A busy connection keeps the reads from timing out: look at the clock
                // anyway, so pings still go out on time.
                deadline.is_some_and(|deadline| Instant::now() >= deadline)
            }
            Ok(None) => false,
            Err(Error::Timeout(crate::error::Timeout::Read)) => true,
            Err(Error::Closed(info)) => {
                if !shared.closing() {
                    // The peer closed: finish the handshake and release the connection now.
                    let _ = socket.close();
                }
                // A connection lost without a Close frame is abnormal: an Error comes first.
                let lost = info.code == 1006 && !shared.closing();
                return Ending {
                    error: lost.then(|| Error::Closed(info.clone())),
                    close: *info,
                };
            }
            Err(error) => {
                // A violation or a broken link. The application may still be answering the
                // messages that came before it (as it would in blocking mode, where it reads
                // the violation only after them): let it, then fail the connection with the
                // matching code, wait for the peer's answer, and report.
                shared.wait_until_taken();
                socket.fail_deferred();
                let _ = socket.close();
                return Ending {
                    close: socket.close_info(),
                    error: Some(error),
                };
            }
        };
        if due {
            match keepalive.check(&mut clock, Instant::now(), socket.last_received()) {
                Due::Nothing => {}
                Due::Ping => socket.ping(),
                Due::Dead(phase) => {
                    let error = Error::Timeout(phase);
                    log::debug!("{}: {error}", shared.name);
                    socket.abort(&error.to_string());
                    return Ending {
                        close: socket.close_info(),
                        error: Some(error),
                    };
                }
            }
        }
    }
}
