//! The callback of an asynchronous socket, and running it for the events the dispatcher takes.
//!
//! The callback lives in a slot and is taken out while it runs, so that no lock is held during
//! user code: a callback may call any function of the library, its own socket's included.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::blocking::event_queue::EventQueue;
use crate::event::Event;
use crate::worker::backlog::{Backlog, Count};

/// The callback of an asynchronous socket: its name and the event.
pub(crate) type Callback = Box<dyn FnMut(&str, Event) + Send>;

/// Where a socket's callback waits between events: what the dispatcher delivers to.
pub(crate) struct CallbackSlot {
    name: String,
    callback: Mutex<Option<Callback>>,
    /// The socket's backlog: events count out of it once their callbacks have returned.
    backlog: Arc<Backlog>,
    /// `socket_close` was called: from then on the callback gets only the final Close.
    closed: AtomicBool,
}

/// What a delivery did: callbacks run, and events taken off the queue (run, or dropped
/// because the socket was closed).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Progress {
    pub(crate) ran: usize,
    pub(crate) taken: usize,
}

impl std::fmt::Debug for CallbackSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackSlot")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl CallbackSlot {
    pub(crate) fn new(name: &str, callback: Callback, backlog: Arc<Backlog>) -> CallbackSlot {
        CallbackSlot {
            name: name.to_owned(),
            callback: Mutex::new(Some(callback)),
            backlog,
            closed: AtomicBool::new(false),
        }
    }

    /// `socket_close` was called: events not yet run are dropped, except the final Close.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    /// Runs the callback for the events, in order, until `stop()` holds after one; counts them
    /// in `progress`. `last`: these are the socket's last events. Once the socket is closed,
    /// events are dropped unrun, except the final Close. Only the dispatcher calls it, never a
    /// worker. What a panicking callback leaves behind stays in `events`, and the callback
    /// goes back into its slot.
    pub(crate) fn deliver(
        &self,
        events: &mut EventQueue,
        last: bool,
        progress: &mut Progress,
        stop: &mut dyn FnMut() -> bool,
    ) {
        // Counted as taken only once the callbacks have returned (or one panicked): a worker
        // waiting for the backlog to drain must see the application's answers go out first.
        let mut taken = Taken {
            backlog: &self.backlog,
            count: Count::default(),
        };
        let Some(callback) = self.callback.lock().take() else {
            // Only one thread dispatches and it does not re-enter, so the callback is home.
            log::error!("{}: callback missing", self.name);
            return;
        };
        let mut home = Home {
            slot: &self.callback,
            callback: Some(callback),
        };
        while let (Some(callback), Some(event)) = (home.callback.as_mut(), events.pop()) {
            progress.taken += 1;
            taken.count.events += 1;
            taken.count.bytes += event.size();
            let is_final = last && events.is_empty();
            if self.closed.load(Ordering::SeqCst) && !is_final {
                continue;
            }
            progress.ran += 1;
            callback(&self.name, event);
            if stop() {
                break;
            }
        }
    }
}

/// Counts events out of the backlog when dropped, even during a panic.
struct Taken<'a> {
    backlog: &'a Backlog,
    count: Count,
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        if self.count.events > 0 {
            self.backlog.taken(self.count);
        }
    }
}

/// Puts the callback back into its slot when dropped, even during a panic. (Moving a value
/// runs no user code: the callback's destructor does not run here.)
struct Home<'a> {
    slot: &'a Mutex<Option<Callback>>,
    callback: Option<Callback>,
}

impl Drop for Home<'_> {
    fn drop(&mut self) {
        *self.slot.lock() = self.callback.take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::sync::mpsc;

    fn messages(count: u8) -> EventQueue {
        let mut events = EventQueue::default();
        for i in 0..count {
            events.push(Event::Message(Message::from(vec![i])));
        }
        events
    }

    #[test]
    fn runs_events_in_order_and_counts_them_out_of_the_backlog() {
        let backlog = Arc::new(Backlog::new(10, usize::MAX));
        assert_eq!(backlog.admit(&mut messages(5)).len(), 5);
        let (seen, received) = mpsc::channel();
        let callback: Callback = Box::new(move |name: &str, event: Event| {
            assert_eq!(name, "slot-order");
            let _ = seen.send(event.message().map(|m| m.as_bytes()[0]));
        });
        let slot = CallbackSlot::new("slot-order", callback, Arc::clone(&backlog));
        let mut events = messages(5);
        let mut progress = Progress::default();
        let mut calls = 0;
        slot.deliver(&mut events, false, &mut progress, &mut || {
            calls += 1;
            calls == 3
        });
        assert_eq!(
            (progress.ran, events.len()),
            (3, 2),
            "stopped after the third"
        );
        slot.deliver(&mut events, false, &mut progress, &mut || false);
        assert_eq!(progress.ran, 5);
        let order: Vec<_> = received.try_iter().flatten().collect();
        assert_eq!(order, [0, 1, 2, 3, 4]);
        assert_eq!(
            backlog.admit(&mut messages(10)).len(),
            10,
            "all five were counted out"
        );
    }

    #[test]
    fn once_closed_only_the_final_close_is_run() {
        let backlog = Arc::new(Backlog::new(10, usize::MAX));
        let mut events = messages(3);
        events.push(Event::Close {
            code: 1000,
            reason: String::new(),
            ended: true,
            socket: crate::socket_id::SocketId::new(1),
        });
        assert_eq!(backlog.admit(&mut messages(4)).len(), 4);
        let (seen, received) = mpsc::channel();
        let callback: Callback = Box::new(move |_: &str, event: Event| {
            let _ = seen.send(matches!(event, Event::Close { .. }));
        });
        let slot = CallbackSlot::new("slot-closed", callback, Arc::clone(&backlog));
        slot.close();
        let mut progress = Progress::default();
        slot.deliver(&mut events, true, &mut progress, &mut || false);
        assert_eq!((progress.ran, progress.taken), (1, 4));
        assert_eq!(received.try_iter().collect::<Vec<_>>(), [true]);
    }

    #[test]
    fn a_panicking_callback_goes_back_home_and_its_event_counts_as_taken() {
        let backlog = Arc::new(Backlog::new(3, usize::MAX));
        assert_eq!(backlog.admit(&mut messages(3)).len(), 3);
        let mut calls = 0;
        let callback: Callback = Box::new(move |_: &str, _: Event| {
            calls += 1;
            if calls == 1 {
                panic!("user code fails");
            }
        });
        let slot = CallbackSlot::new("slot-panic", callback, Arc::clone(&backlog));
        let mut events = messages(3);
        let mut progress = Progress::default();
        let result = catch_unwind(AssertUnwindSafe(|| {
            slot.deliver(&mut events, false, &mut progress, &mut || false)
        }));
        assert!(result.is_err());
        assert_eq!(
            (progress.ran, events.len()),
            (1, 2),
            "the rest is left for later"
        );
        slot.deliver(&mut events, false, &mut progress, &mut || false);
        assert_eq!(progress.ran, 3, "the callback is home again");
        assert_eq!(
            backlog.admit(&mut messages(3)).len(),
            3,
            "every event was counted out"
        );
    }
}
