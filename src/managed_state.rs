//! What a socket run by a worker shares between its worker and its handles: where the worker
//! is (its phase), the hand-over of its events, and how its last connection ended.

use std::thread::JoinHandle;
use std::time::Instant;

use parking_lot::Mutex;

use crate::error::{CloseInfo, Error, Result};
use crate::event::Event;
use crate::event_queue::EventQueue;
use crate::handover::HandOver;
use crate::info::ConnectionInfo;
use crate::reconnect::Reconnect;
use crate::socket::Socket;
use crate::state::State;

#[derive(Debug)]
pub(crate) struct ManagedState {
    pub(crate) name: String,
    /// Where the socket connects (without user and password), for what is known before a
    /// connection is open.
    url: String,
    pub(crate) handover: HandOver,
    phase: Mutex<Phase>,
    /// The connection that ended most recently, for an end that comes while reconnecting.
    previous: Mutex<Option<Box<Last>>>,
    pub(crate) worker: Mutex<Option<JoinHandle<()>>>,
    reconnect: Option<Reconnect>,
}

/// Where the worker is.
#[derive(Debug)]
pub(crate) enum Phase {
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
#[derive(Debug)]
pub(crate) struct Last {
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

impl ManagedState {
    pub(crate) fn new(
        name: &str,
        url: &str,
        handover: HandOver,
        phase: Phase,
        reconnect: Option<Reconnect>,
    ) -> ManagedState {
        ManagedState {
            name: name.to_owned(),
            url: url.to_owned(),
            handover,
            phase: Mutex::new(phase),
            previous: Mutex::new(None),
            worker: Mutex::new(None),
            reconnect,
        }
    }

    /// Whether the worker will open a new connection now that `socket` has ended: the one
    /// decision behind both the worker's next step and what the state says meanwhile.
    pub(crate) fn reconnects_after(&self, socket: &Socket) -> bool {
        !socket.ended_for_good() && self.reconnects_after_close(socket.close_info().code)
    }

    /// Whether a connection that ended with close code `code` is opened again.
    pub(crate) fn reconnects_after_close(&self, code: u16) -> bool {
        self.reconnect
            .as_ref()
            .is_some_and(|policy| !self.closing() && policy.retries_close(code))
    }

    /// What the state of `socket`, the worker's open connection, means for the socket: from
    /// the moment its loss is seen until the next `Open`, the socket is reconnecting, not
    /// closed. (The connection's state is read once: it may change meanwhile.)
    fn state_of(&self, socket: &Socket) -> State {
        match socket.state() {
            State::Closed if self.reconnects_after(socket) => State::Reconnecting,
            state => state,
        }
    }

    /// The socket is asynchronous: its events go to a callback or a mailbox.
    pub(crate) fn is_asynchronous(&self) -> bool {
        self.handover.is_asynchronous()
    }

    /// `socket_close` was called: the worker must not wait or reconnect any more.
    pub(crate) fn closing(&self) -> bool {
        self.handover.backlog().is_closing()
    }

    /// The most events the worker gathers before it waits for room.
    pub(crate) fn limit(&self) -> usize {
        self.handover.backlog().limit()
    }

    pub(crate) fn set_phase(&self, phase: Phase) {
        *self.phase.lock() = phase;
    }

    /// The open connection, if there is one; `None` while the worker opens one (its close is
    /// the worker's to do).
    pub(crate) fn open_or_idle(&self) -> Option<Option<Socket>> {
        match &*self.phase.lock() {
            Phase::Connecting { .. } => None,
            Phase::Open(socket) => Some(Some(socket.clone())),
            Phase::Waiting | Phase::Ended(_) => Some(None),
        }
    }

    pub(crate) fn state(&self) -> State {
        match &*self.phase.lock() {
            Phase::Open(socket) => self.state_of(socket),
            Phase::Connecting { retry: false } => State::Connecting,
            Phase::Connecting { retry: true } | Phase::Waiting => State::Reconnecting,
            Phase::Ended(_) => State::Closed,
        }
    }

    /// The open connection, or the error that says why there is none.
    pub(crate) fn socket(&self) -> Result<Socket> {
        match &*self.phase.lock() {
            Phase::Open(socket) => match self.state_of(socket) {
                State::Reconnecting => Err(Error::NotOpen(State::Reconnecting)),
                _ => Ok(socket.clone()),
            },
            Phase::Ended(last) => Err(Error::Closed(Box::new(match last {
                Some(last) => last.close.clone(),
                None => CloseInfo::abnormal("the connection could not be opened"),
            }))),
            Phase::Connecting { retry: false } => Err(Error::NotOpen(State::Connecting)),
            Phase::Connecting { retry: true } | Phase::Waiting => {
                Err(Error::NotOpen(State::Reconnecting))
            }
        }
    }

    /// What is known of the socket in every state: the open connection; the one that was lost,
    /// while reconnecting; the last one, once ended; where it goes, before any.
    pub(crate) fn info(&self) -> ConnectionInfo {
        let phase = self.phase.lock();
        match &*phase {
            Phase::Open(socket) => {
                let mut info = socket.info();
                info.state = self.state_of(socket);
                info
            }
            Phase::Ended(Some(last)) => last.info.clone(),
            Phase::Ended(None) => {
                let mut info = ConnectionInfo::not_connected(State::Closed, &self.url);
                info.close = Some(CloseInfo::abnormal("the connection could not be opened"));
                info
            }
            Phase::Connecting { retry: false } => {
                ConnectionInfo::not_connected(State::Connecting, &self.url)
            }
            Phase::Connecting { retry: true } | Phase::Waiting => {
                match self.previous.lock().as_ref() {
                    Some(previous) => {
                        let mut info = previous.info.clone();
                        info.state = State::Reconnecting;
                        info.close.get_or_insert_with(|| previous.close.clone());
                        info
                    }
                    None => ConnectionInfo::not_connected(State::Reconnecting, &self.url),
                }
            }
        }
    }

    /// What the last connection of an ended socket was.
    pub(crate) fn last_info(&self) -> Option<ConnectionInfo> {
        match &*self.phase.lock() {
            Phase::Ended(Some(last)) => Some(last.info.clone()),
            _ => None,
        }
    }

    /// Keeps what `socket`, which just ended, was: for an end that comes while reconnecting.
    pub(crate) fn remember(&self, socket: &Socket) {
        *self.previous.lock() = Some(Box::new(Last::of(socket)));
    }

    /// Hands an event over; see [`HandOver::post`].
    pub(crate) fn post(&self, event: Event, transient: bool) {
        self.handover.post(event, transient, false);
    }

    /// Hands the socket's last event over: no other follows.
    pub(crate) fn post_last(&self, event: Event) {
        // Whoever sees the last event sees the socket ended, too.
        self.end_phase();
        self.handover.post(event, false, true);
    }

    pub(crate) fn post_messages(&self, messages: EventQueue) {
        self.handover.post_messages(messages);
    }

    /// The worker stopped on a panic: unless its last event went out, says so with an Error
    /// and the last Close, as any connection that ends abnormally does.
    pub(crate) fn end_after_panic(&self, text: &str) {
        if self.handover.last_posted() {
            return;
        }
        let error = Error::Io(std::io::Error::other(format!(
            "internal error: the socket's worker stopped: {text}"
        )));
        self.post(Event::Error(error), false);
        let reason = "internal error: the socket's worker stopped".to_owned();
        self.post_last(Event::Close { code: 1006, reason });
    }

    /// No event will follow, whatever the worker managed to say.
    pub(crate) fn finish(&self) {
        if self.end_phase() {
            self.handover.finish();
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

    /// Waits until the application has taken every event handed over, or the socket closes.
    pub(crate) fn wait_until_taken(&self) {
        self.handover.backlog().wait_until_drained();
    }

    /// Waits until `deadline` unless the socket starts closing; true when it is closing.
    pub(crate) fn sleep_unless_closing(&self, deadline: Instant) -> bool {
        self.handover.backlog().sleep_unless_closing(deadline)
    }
}
