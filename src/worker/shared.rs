//! What a socket run by a worker shares between its worker and its handles: where the worker
//! is (its phase), the hand-over of its events, and how its last connection ended.

use std::time::Instant;

use parking_lot::Mutex;

use crate::blocking::event_queue::EventQueue;
use crate::error::{CloseInfo, Error, Result};
use crate::event::Event;
use crate::info::ConnectionInfo;
use crate::settings::reconnect::Reconnect;
use crate::socket_id::SocketId;
use crate::state::State;
use crate::transport::cancel::ConnectCancel;
use crate::worker::handover::{HandOver, Standing};
use crate::worker::worker_pool::Running;
use crate::worker::worker_socket::WorkerSocket;

#[derive(Debug)]
pub(crate) struct WorkerShared {
    pub(crate) name: String,
    /// Which socket this is, in its Close events: the name may be reused.
    pub(crate) id: SocketId,
    /// Where the socket connects (without user and password), for what is known before a
    /// connection is open.
    url: String,
    pub(crate) handover: HandOver,
    phase: Mutex<Phase>,
    /// The connection that ended most recently, for an end that comes while reconnecting.
    previous: Mutex<Option<Box<Last>>>,
    /// Why the latest attempt to connect failed, when one did after the last connection.
    failed_attempt: Mutex<Option<CloseInfo>>,
    pub(crate) worker: Mutex<Option<Running>>,
    reconnect: Option<Reconnect>,
    /// The close code and reason `socket_close` asked for (the first call's): the final Close
    /// says them when there was no connection to send them on.
    asked: Mutex<Option<CloseInfo>>,
    /// Cuts the connect in progress when the socket is closed.
    pub(crate) connecting: ConnectCancel,
}

/// What a socket has of a connection, as a close finds it.
#[derive(Debug)]
pub(crate) enum Link {
    /// The worker is opening one: cutting it short and closing what it opens is the worker's.
    Connecting,
    /// An open connection.
    Open(WorkerSocket),
    /// None: waiting to reconnect, or ended.
    None,
}

/// Where the worker is.
#[derive(Debug)]
pub(crate) enum Phase {
    /// Opening a connection; `retry` when it is not the first.
    Connecting {
        retry: bool,
    },
    Open(WorkerSocket),
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
    fn of(socket: &WorkerSocket) -> Last {
        Last {
            close: socket.close_info(),
            info: socket.info(),
        }
    }
}

impl WorkerShared {
    pub(crate) fn new(
        name: &str,
        id: SocketId,
        url: &str,
        handover: HandOver,
        phase: Phase,
        reconnect: Option<Reconnect>,
    ) -> WorkerShared {
        WorkerShared {
            name: name.to_owned(),
            id,
            url: url.to_owned(),
            handover,
            phase: Mutex::new(phase),
            previous: Mutex::new(None),
            failed_attempt: Mutex::new(None),
            worker: Mutex::new(None),
            reconnect,
            asked: Mutex::new(None),
            connecting: ConnectCancel::default(),
        }
    }

    /// `socket_close` was called with `code` and `reason`: the worker stops waiting and
    /// reconnecting, and a connect in progress is cut.
    pub(crate) fn begin_closing(&self, code: u16, reason: &str) {
        self.asked.lock().get_or_insert_with(|| CloseInfo {
            code,
            reason: reason.to_owned(),
        });
        self.handover.close();
        self.connecting.cancel();
    }

    /// The final Close of a socket closed while it had no connection to close: the code and
    /// reason asked for, or `situation` when no reason was given.
    pub(crate) fn asked_close(&self, situation: &str) -> CloseInfo {
        let asked = self.asked.lock().clone();
        let (code, reason) = asked.map_or((1000, String::new()), |a| (a.code, a.reason));
        CloseInfo {
            code,
            reason: if reason.is_empty() {
                situation.to_owned()
            } else {
                reason
            },
        }
    }

    /// Whether the worker will open a new connection now that `socket` has ended: the one
    /// decision behind both the worker's next step and what the state says meanwhile.
    pub(crate) fn reconnects_after(&self, socket: &WorkerSocket) -> bool {
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
    fn state_of(&self, socket: &WorkerSocket) -> State {
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

    /// What the socket has of a connection now, for a close.
    pub(crate) fn link(&self) -> Link {
        match &*self.phase.lock() {
            Phase::Connecting { .. } => Link::Connecting,
            Phase::Open(socket) => Link::Open(socket.clone()),
            Phase::Waiting | Phase::Ended(_) => Link::None,
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
    pub(crate) fn socket(&self) -> Result<WorkerSocket> {
        match &*self.phase.lock() {
            Phase::Open(socket) => match self.state_of(socket) {
                State::Reconnecting => Err(Error::NotOpen(State::Reconnecting)),
                _ => Ok(socket.clone()),
            },
            Phase::Ended(last) => Err(Error::Closed(Box::new(match last {
                Some(last) => last.close.clone(),
                None => self.never_opened(),
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
                info.close = Some(self.never_opened());
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
    pub(crate) fn remember(&self, socket: &WorkerSocket) {
        *self.previous.lock() = Some(Box::new(Last::of(socket)));
        *self.failed_attempt.lock() = None;
    }

    /// An attempt to connect failed with `reason`: should the socket give up now, it ended
    /// this way, whatever ended the connection before it.
    pub(crate) fn attempt_failed(&self, reason: &str) {
        let close = CloseInfo::abnormal(reason);
        if let Some(previous) = self.previous.lock().as_mut() {
            previous.close = close.clone();
            previous.info.close = Some(close.clone());
        }
        *self.failed_attempt.lock() = Some(close);
    }

    /// How a socket that never opened a connection ended.
    fn never_opened(&self) -> CloseInfo {
        self.failed_attempt
            .lock()
            .clone()
            .unwrap_or_else(|| CloseInfo::abnormal("the connection could not be opened"))
    }

    /// Hands an event over; see [`HandOver::post`].
    pub(crate) fn post(&self, event: Event, standing: Standing) {
        self.handover.post(event, standing);
    }

    /// Hands the Close of a connection or attempt over: the socket's final one, unless `again`
    /// (a new connection will be attempted).
    pub(crate) fn post_close(&self, close: CloseInfo, again: bool) {
        let event = Event::Close {
            code: close.code,
            reason: close.reason,
            ended: !again,
            socket: self.id,
        };
        if again {
            self.post(event, Standing::Transient);
        } else {
            self.post_last(event);
        }
    }

    /// Hands the socket's last event over: no other follows.
    fn post_last(&self, event: Event) {
        // Whoever sees the last event sees the socket ended, too.
        self.end_phase();
        self.handover.post(event, Standing::Last);
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
        self.post(Event::Error(error), Standing::Ordinary);
        let close = CloseInfo::abnormal("internal error: the socket's worker stopped");
        self.post_close(close, false);
    }

    /// No event will follow. Every way the worker ends posts the final Close; should one not,
    /// the socket still ends with one.
    pub(crate) fn finish(&self) {
        if !self.handover.last_posted() {
            let close = if self.closing() {
                self.asked_close("closed")
            } else {
                CloseInfo::abnormal("the socket's worker ended")
            };
            log::error!("{}: the worker ended without its final Close", self.name);
            self.post_close(close, false);
        }
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
