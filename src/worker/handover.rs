//! The hand-over from a worker to the application: each event goes to the socket's sink (its
//! callback, through the dispatch queue, or its inbox), counted in the socket's backlog.
//!
//! Back-pressure: at most `event_queue_limit` events, and `event_queue_bytes` bytes of
//! messages, wait for a socket; past that its worker waits for room instead of reading, so TCP
//! flow control slows the server and memory stays bounded. No event is dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::blocking::event_queue::EventQueue;
use crate::error::CloseInfo;
use crate::event::Event;
use crate::worker::backlog::Backlog;
use crate::worker::callback::{Callback, CallbackSlot};
use crate::worker::dispatch::{self, Delivery};
use crate::worker::pull_queue::PullQueue;

/// Where a socket's events go.
#[derive(Debug)]
enum Sink {
    /// Asynchronous mode: the callback, run by the dispatcher.
    Callback(Arc<CallbackSlot>),
    /// Blocking mode: messages wait for `socket_read`.
    Inbox(PullQueue),
    /// Asynchronous mode without a callback: every event waits for `socket_next_event`.
    Mailbox(PullQueue),
}

/// Where an event stands in the socket's life, for its hand-over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    /// An event like the others.
    Ordinary,
    /// The Error or Close of a connection that will be opened again: an inbox skips it
    /// (blocking reads wait across the reconnect), a callback or mailbox sees it.
    Transient,
    /// The socket's last event: none follows.
    Last,
}

impl Standing {
    /// The Error or Close of a connection: transient when another will be attempted.
    pub(crate) fn of_end(again: bool) -> Standing {
        if again {
            Standing::Transient
        } else {
            Standing::Ordinary
        }
    }
}

#[derive(Debug)]
pub(crate) struct HandOver {
    name: String,
    sink: Sink,
    backlog: Arc<Backlog>,
    /// The socket's last event was handed over: [`finish`](Self::finish) has no mark to add.
    last_posted: AtomicBool,
}

impl HandOver {
    /// Events go to `callback`, run by the dispatcher.
    pub(crate) fn to_callback(name: &str, callback: Callback, backlog: Backlog) -> HandOver {
        let backlog = Arc::new(backlog);
        let slot = CallbackSlot::new(name, callback, Arc::clone(&backlog));
        HandOver::new(name, Sink::Callback(Arc::new(slot)), backlog)
    }

    /// Messages go to an inbox that blocking reads take them from.
    pub(crate) fn to_inbox(name: &str, backlog: Backlog) -> HandOver {
        let backlog = Arc::new(backlog);
        let inbox = PullQueue::new(Arc::clone(&backlog));
        HandOver::new(name, Sink::Inbox(inbox), backlog)
    }

    /// Every event waits in a queue of the socket's own, for `socket_next_event`.
    pub(crate) fn to_mailbox(name: &str, backlog: Backlog) -> HandOver {
        let backlog = Arc::new(backlog);
        let mailbox = PullQueue::new(Arc::clone(&backlog));
        HandOver::new(name, Sink::Mailbox(mailbox), backlog)
    }

    fn new(name: &str, sink: Sink, backlog: Arc<Backlog>) -> HandOver {
        HandOver {
            name: name.to_owned(),
            sink,
            backlog,
            last_posted: AtomicBool::new(false),
        }
    }

    /// The socket's last event has been handed over.
    pub(crate) fn last_posted(&self) -> bool {
        self.last_posted.load(Ordering::SeqCst)
    }

    pub(crate) fn backlog(&self) -> &Backlog {
        &self.backlog
    }

    /// The inbox, for a blocking socket; `None` for an asynchronous one.
    pub(crate) fn inbox(&self) -> Option<&PullQueue> {
        match &self.sink {
            Sink::Inbox(inbox) => Some(inbox),
            Sink::Callback(_) | Sink::Mailbox(_) => None,
        }
    }

    /// The mailbox, for an asynchronous socket without a callback.
    pub(crate) fn mailbox(&self) -> Option<&PullQueue> {
        match &self.sink {
            Sink::Mailbox(mailbox) => Some(mailbox),
            Sink::Callback(_) | Sink::Inbox(_) => None,
        }
    }

    /// The socket is asynchronous: its events go to a callback or a mailbox, and nothing its
    /// application's threads do waits on the network.
    pub(crate) fn is_asynchronous(&self) -> bool {
        !matches!(self.sink, Sink::Inbox(_))
    }

    /// Hands an event over, waiting for room unless the socket is closing; `standing` says
    /// where it stands in the socket's life.
    pub(crate) fn post(&self, event: Event, standing: Standing) {
        let transient = standing == Standing::Transient;
        if standing == Standing::Last {
            self.last_posted.store(true, Ordering::SeqCst);
        }
        if let Sink::Inbox(_) = self.sink {
            if transient || matches!(event, Event::Open { .. } | Event::Reconnecting { .. }) {
                // Open and Reconnecting are logged where they happen; a transient end is
                // logged here, since no read will report it.
                if transient {
                    log::debug!("{}: {event:?}", self.name);
                }
                return;
            }
        }
        let mut events = EventQueue::default();
        events.push(event);
        let events = self.backlog.admit(&mut events);
        self.give(events, standing == Standing::Last);
    }

    /// Hands messages over in as few goes as the limit allows: one delivery, one wake-up and
    /// one lock of the backlog for as many as there is room for.
    pub(crate) fn post_messages(&self, mut messages: EventQueue) {
        while !messages.is_empty() {
            let front = self.backlog.admit(&mut messages);
            self.give(front, false);
        }
    }

    /// Gives events already counted in the backlog to the sink.
    fn give(&self, events: EventQueue, last: bool) {
        match &self.sink {
            Sink::Callback(slot) => dispatch::post(Delivery {
                target: Arc::clone(slot),
                events,
                last,
            }),
            Sink::Inbox(inbox) => {
                inbox.put(events, last);
            }
            Sink::Mailbox(mailbox) => {
                if mailbox.put(events, last) {
                    // Now something to take: the host loop polls again.
                    dispatch::wake_hook_now();
                }
            }
        }
    }

    /// No event will follow: the socket leaves the dispatcher's live count (unless its last
    /// event did that already), blocked readers learn the end.
    pub(crate) fn finish(&self) {
        match &self.sink {
            Sink::Callback(_) if self.last_posted.load(Ordering::SeqCst) => {}
            Sink::Callback(_) => self.give(EventQueue::default(), true),
            Sink::Inbox(inbox) | Sink::Mailbox(inbox) => inbox.finish(None),
        }
    }

    /// `socket_close` was called: nobody waits for room any more, and the application gets
    /// nothing but the final Close, from a callback or a mailbox alike.
    pub(crate) fn close(&self) {
        self.backlog.close();
        match &self.sink {
            Sink::Callback(slot) => slot.close(),
            Sink::Mailbox(mailbox) => mailbox.close_mailbox(),
            Sink::Inbox(_) => {}
        }
    }

    /// Ends a blocking socket's inbox now with `close`, for `socket_close` during a connect:
    /// blocked readers learn of the close now, not when that connect gives up.
    pub(crate) fn end_inbox(&self, close: CloseInfo) {
        // A mailbox keeps taking events: its final Close comes from the worker.
        if let Sink::Inbox(inbox) = &self.sink {
            inbox.finish(Some(close));
        }
    }
}
