//! Asynchronous sockets: a worker thread per socket connects, reads, and posts events.
//!
//! The worker is the socket's only reader. Writes and closes come from other threads through
//! the shared [`Socket`], whose lock discipline lets them proceed while the worker waits for
//! data. Back-pressure: a socket has at most `event_queue_limit` events waiting for dispatch;
//! past that its worker stops reading, so TCP flow control slows the server and memory stays
//! bounded while the application does not pump.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use parking_lot::{Condvar, Mutex};

use crate::dispatch::{self, Delivery};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::info::ConnectionInfo;
use crate::message::Message;
use crate::options::{Checked, ConnectOptions};
use crate::socket::Socket;
use crate::state::State;
use crate::target::Target;

/// The callback of an asynchronous socket: its name and the event.
pub(crate) type Callback = Box<dyn FnMut(&str, Event) + Send>;

/// A handle on an asynchronous socket, as the registry holds it.
#[derive(Clone)]
pub(crate) struct AsyncSocket {
    shared: Arc<AsyncShared>,
}

pub(crate) struct AsyncShared {
    name: String,
    /// Set once the connect succeeded.
    socket: Mutex<Option<Socket>>,
    /// The worker is done: its connect failed or its connection ended.
    ended: AtomicBool,
    /// `socket_close` was called: the worker must not wait for dispatch any more.
    closing: AtomicBool,
    /// Taken out while it runs, so that no lock is held during a callback.
    callback: Mutex<Option<Callback>>,
    /// Events posted and not dispatched yet, and the limit past which the worker waits.
    backlog: Mutex<usize>,
    space: Condvar,
    limit: usize,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for AsyncSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncSocket")
            .field("name", &self.shared.name)
            .field("state", &self.state())
            .finish()
    }
}

impl AsyncSocket {
    /// Starts the worker thread that connects to `target` and runs the connection.
    pub(crate) fn start(
        name: &str,
        callback: Callback,
        target: Target,
        options: &ConnectOptions,
        checked: Checked,
    ) -> Result<AsyncSocket> {
        let shared = Arc::new(AsyncShared {
            name: name.to_owned(),
            socket: Mutex::new(None),
            ended: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            callback: Mutex::new(Some(callback)),
            backlog: Mutex::new(0),
            space: Condvar::new(),
            limit: options.event_queue_limit,
            worker: Mutex::new(None),
        });
        let worker = {
            let shared = Arc::clone(&shared);
            let options = options.clone();
            thread::Builder::new()
                .name(format!("named-websocket:{name}"))
                .spawn(move || run(&shared, target, &options, &checked))
                .map_err(Error::Io)?
        };
        dispatch::socket_started();
        *shared.worker.lock() = Some(worker);
        Ok(AsyncSocket { shared })
    }

    fn socket(&self) -> Option<Socket> {
        self.shared.socket.lock().clone()
    }

    pub(crate) fn state(&self) -> State {
        match self.socket() {
            Some(socket) => socket.state(),
            None if self.shared.ended.load(Ordering::SeqCst) => State::Closed,
            None => State::Connecting,
        }
    }

    pub(crate) fn write(&self, message: Message) -> Result<()> {
        match self.socket() {
            Some(socket) => socket.write(message),
            None if self.shared.ended.load(Ordering::SeqCst) => {
                Err(Error::closed(1006, "the connection could not be opened"))
            }
            None => Err(Error::NotOpen(State::Connecting)),
        }
    }

    pub(crate) fn info(&self) -> Result<ConnectionInfo> {
        match self.socket() {
            Some(socket) => Ok(socket.info()),
            None if self.shared.ended.load(Ordering::SeqCst) => {
                Err(Error::closed(1006, "the connection could not be opened"))
            }
            None => Err(Error::NotOpen(State::Connecting)),
        }
    }

    pub(crate) fn protocol(&self) -> Result<Option<String>> {
        match self.socket() {
            Some(socket) => Ok(socket.protocol().map(str::to_owned)),
            None if self.shared.ended.load(Ordering::SeqCst) => Ok(None),
            None => Err(Error::NotOpen(State::Connecting)),
        }
    }

    /// Closes the connection and waits for the worker to end. A worker still connecting is not
    /// waited for: it closes what it opens and ends by itself, within the connect timeout.
    pub(crate) fn close(&self, code: u16, reason: &str) -> Result<()> {
        self.shared.closing.store(true, Ordering::SeqCst);
        {
            // Under the backlog lock, so a worker about to wait cannot miss the wake-up.
            let _backlog = self.shared.backlog.lock();
            self.shared.space.notify_all();
        }
        let Some(socket) = self.socket() else {
            return Ok(());
        };
        socket.close_with(code, reason)?;
        let worker = self.shared.worker.lock().take();
        if let Some(worker) = worker {
            // The worker's read has returned or is returning: the close woke it up. (A wake
            // hook runs on the worker: it cannot wait for its own thread.)
            if worker.thread().id() != thread::current().id() {
                let _ = worker.join();
            }
        }
        Ok(())
    }
}

impl AsyncShared {
    /// Queues an event for this socket's callback, waiting for room unless the socket is being
    /// closed or this is its last event (those never wait, so a close never deadlocks).
    fn post(self: &Arc<Self>, event: Event, last: bool) {
        {
            let mut backlog = self.backlog.lock();
            while *backlog >= self.limit && !last && !self.closing.load(Ordering::SeqCst) {
                self.space.wait(&mut backlog);
            }
            *backlog += 1;
        }
        dispatch::post(Delivery {
            target: Arc::clone(self),
            event,
            last,
        });
    }

    /// Waits until every event posted so far has been dispatched, or the socket is closing.
    fn wait_until_dispatched(&self) {
        let mut backlog = self.backlog.lock();
        while *backlog > 0 && !self.closing.load(Ordering::SeqCst) {
            self.space.wait(&mut backlog);
        }
    }

    /// Runs the callback for one event; called by the dispatcher, never by a worker.
    pub(crate) fn deliver(&self, event: Event) {
        // Counted as dispatched only once the callback has returned (or panicked): a worker
        // waiting for the backlog to drain must see the application's answers go out first.
        let _dispatched = Dispatched(self);
        let callback = self.callback.lock().take();
        let Some(callback) = callback else {
            // Only one thread dispatches and it does not re-enter, so the callback is home.
            log::error!("{}: callback missing for {event:?}", self.name);
            return;
        };
        // Puts the callback back even if it panics.
        let mut guard = CallbackGuard {
            home: &self.callback,
            callback: Some(callback),
        };
        if let Some(callback) = guard.callback.as_mut() {
            callback(&self.name, event);
        }
    }
}

/// Takes one event off the socket's backlog when dropped.
struct Dispatched<'a>(&'a AsyncShared);

impl Drop for Dispatched<'_> {
    fn drop(&mut self) {
        let mut backlog = self.0.backlog.lock();
        *backlog -= 1;
        // The worker waits for room, or for the backlog to drain after a violation.
        self.0.space.notify_one();
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

/// The worker: connect, then read until the connection ends, posting every event.
fn run(shared: &Arc<AsyncShared>, target: Target, options: &ConnectOptions, checked: &Checked) {
    let socket = match Socket::open(target, options, checked) {
        Ok(socket) => socket,
        Err(error) => {
            log::debug!("{}: connect failed: {error}", shared.name);
            let reason = error.to_string();
            shared.ended.store(true, Ordering::SeqCst);
            shared.post(Event::Error(error), false);
            shared.post(Event::Close { code: 1006, reason }, true);
            return;
        }
    };
    socket.defer_failures();
    *shared.socket.lock() = Some(socket.clone());
    // `close` sets `closing` before it looks for the socket, and we set the socket before we
    // look at `closing`: one of the two sees the other.
    if shared.closing.load(Ordering::SeqCst) {
        let _ = socket.close();
        end(shared, 1000, "closed while connecting".into());
        return;
    }
    shared.post(
        Event::Open {
            protocol: socket.protocol().map(str::to_owned),
        },
        false,
    );
    loop {
        match socket.read() {
            Ok(message) => shared.post(Event::Message(message), false),
            Err(Error::Closed(info)) => {
                if !shared.closing.load(Ordering::SeqCst) {
                    // The peer closed: finish the handshake and release the connection now.
                    let _ = socket.close();
                }
                end(shared, info.code, info.reason);
                return;
            }
            Err(error) => {
                // A protocol violation or a broken link. The application may still be answering
                // the messages that came before it (as it would in blocking mode, where it reads
                // the violation only after them): let it, then fail the connection with the
                // matching code, wait for the peer's answer, and report.
                shared.wait_until_dispatched();
                socket.fail_deferred();
                let _ = socket.close();
                let info = socket.close_info();
                shared.post(Event::Error(error), false);
                end(shared, info.code, info.reason);
                return;
            }
        }
    }
}

fn end(shared: &Arc<AsyncShared>, code: u16, reason: String) {
    shared.ended.store(true, Ordering::SeqCst);
    shared.post(Event::Close { code, reason }, true);
}
