//! The inbox of a socket run by a worker: the worker puts events in, and the application takes
//! them out. A blocking socket (one with keepalive, an idle timeout or reconnect) reads its
//! messages with `socket_read`; an asynchronous socket without a callback takes every event
//! with `socket_next_event` (its "mailbox").

use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use crate::blocking::event_queue::EventQueue;
use crate::blocking::wait::{IdleWait, Wait};
use crate::error::{CloseInfo, Error, Result, Timeout};
use crate::event::Event;
use crate::message::Message;
use crate::worker::backlog::{Backlog, Count};

#[derive(Debug)]
pub(crate) struct PullQueue {
    state: Mutex<PullQueueState>,
    ready: Condvar,
    /// The socket's backlog: each event read counts out of it.
    backlog: Arc<Backlog>,
}

#[derive(Debug, Default)]
struct PullQueueState {
    events: EventQueue,
    /// No event will come any more.
    finished: bool,
    /// A mailbox whose socket `socket_close` closed: only its final event is still taken.
    only_last: bool,
    /// The last connection's end, repeated to every read once the inbox is empty.
    closed: Option<CloseInfo>,
}

impl PullQueue {
    pub(crate) fn new(backlog: Arc<Backlog>) -> PullQueue {
        PullQueue {
            state: Mutex::new(PullQueueState::default()),
            ready: Condvar::new(),
            backlog,
        }
    }

    /// Puts events already counted in the backlog; with `last`, no other follows. An inbox
    /// that `socket_close` already ended counts them out at once: nobody will read them.
    /// Returns true when the inbox was empty and now holds events.
    pub(crate) fn put(&self, mut events: EventQueue, last: bool) -> bool {
        let mut state = self.state.lock();
        if state.finished || (state.only_last && !last) {
            drop(state);
            self.backlog.taken(Count {
                events: events.len(),
                bytes: events.message_bytes(),
            });
            return false;
        }
        let was_empty = state.events.is_empty();
        let arrived = !events.is_empty();
        state.events.append(&mut events);
        // In the same lock section as the last event, so that no read sees the last event
        // and then an inbox that is not finished.
        state.finished |= last;
        drop(state);
        self.ready.notify_all();
        was_empty && arrived
    }

    /// A mailbox's socket was closed: the events that wait are dropped, and so is every later
    /// one but the last (the final Close), as a callback socket's are.
    pub(crate) fn close_mailbox(&self) {
        let mut state = self.state.lock();
        state.only_last = true;
        let mut dropped = Count::default();
        let mut kept = EventQueue::default();
        while let Some(event) = state.events.pop() {
            // Once finished, the queue ends with the final event: it stays.
            if state.finished && state.events.is_empty() {
                kept.push(event);
                break;
            }
            dropped.events += 1;
            dropped.bytes += event.size();
        }
        state.events = kept;
        drop(state);
        if dropped.events > 0 {
            self.backlog.taken(dropped);
        }
    }

    /// The next event, any kind, without waiting (for a mailbox).
    pub(crate) fn next_event(&self) -> Option<Event> {
        let event = self.state.lock().events.pop()?;
        self.backlog.taken(Count {
            events: 1,
            bytes: event.size(),
        });
        Some(event)
    }

    /// No event will come: blocked readers learn the end. With `close`, that is the end they
    /// report unless the worker already put one (for `socket_close` during a connect).
    pub(crate) fn finish(&self, close: Option<CloseInfo>) {
        let mut state = self.state.lock();
        if let Some(close) = close {
            state.closed.get_or_insert(close);
        }
        state.finished = true;
        drop(state);
        self.ready.notify_all();
    }

    /// The next message, waiting as `wait` allows (`None` only for [`Wait::No`]); once the
    /// messages are read, how the connection ended. Errors and closes of a connection that is
    /// being reopened are not put here: a read waits across the reconnect.
    pub(crate) fn read(&self, wait: Wait) -> Result<Option<Message>> {
        let mut state = self.state.lock();
        let mut idle = IdleWait::new(wait);
        loop {
            if let Some(event) = state.events.pop() {
                self.backlog.taken(Count {
                    events: 1,
                    bytes: event.size(),
                });
                match event {
                    Event::Message(message) => return Ok(Some(message)),
                    Event::Error(error) => return Err(error),
                    Event::Close { code, reason, .. } => {
                        let info = CloseInfo { code, reason };
                        state.closed = Some(info.clone());
                        return Err(Error::Closed(Box::new(info)));
                    }
                    _ => continue,
                }
            }
            if state.finished {
                let info = state
                    .closed
                    .clone()
                    .unwrap_or_else(|| CloseInfo::abnormal("connection closed"));
                return Err(Error::Closed(Box::new(info)));
            }
            if let Wait::No = wait {
                IdleWait::empty_handed(&mut state.events);
                return Ok(None);
            }
            let timed_out = match idle.until(&state.events) {
                Some(until) => self.ready.wait_until(&mut state, until).timed_out(),
                None => {
                    self.ready.wait(&mut state);
                    false
                }
            };
            if timed_out
                && state.events.is_empty()
                && !state.finished
                && idle.nothing_came(&mut state.events)
            {
                return Err(Error::Timeout(Timeout::Read));
            }
        }
    }
}
