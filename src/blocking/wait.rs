//! How long a read may wait, and how a reader waits without keeping large buffers while idle.
//!
//! Both readers follow this policy: a connection's reader waiting in poll(2), and a blocking
//! read of a worker's inbox waiting on a condition variable. A reader whose queue still holds
//! large buffers (left by a burst) first waits briefly; if nothing came, it gives them back
//! and waits the rest of its time. A busy socket's short waits so keep their buffers (taking
//! them again each time would cost), and an idle socket stays small.

use std::time::{Duration, Instant};

use crate::blocking::event_queue::EventQueue;
use crate::deadline::deadline_after;

/// How long a read may wait for a message.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wait {
    Forever,
    Until(Instant),
    No,
}

impl Wait {
    /// At most `timeout`; a timeout too long to represent ends in a century.
    pub(crate) fn after(timeout: Duration) -> Wait {
        Wait::Until(deadline_after(timeout))
    }

    /// The reader's own deadline: `None` for no limit (and for `No`, which never waits).
    pub(crate) fn deadline(self) -> Option<Instant> {
        match self {
            Wait::Until(deadline) => Some(deadline),
            Wait::Forever | Wait::No => None,
        }
    }
}

/// How long a reader with large buffers waits before it gives them back.
const IDLE_AFTER: Duration = Duration::from_millis(20);

/// One reader's waits for data, from the moment it found nothing until it returns.
#[derive(Debug)]
pub(crate) struct IdleWait {
    deadline: Option<Instant>,
    /// The queue gave back its buffers during this read: no more brief waits.
    shrunk: bool,
}

impl IdleWait {
    pub(crate) fn new(wait: Wait) -> IdleWait {
        IdleWait {
            deadline: wait.deadline(),
            shrunk: false,
        }
    }

    /// Until when to wait next (`None`: no limit): briefly while `queue` holds more than an
    /// idle queue keeps, otherwise up to the reader's deadline.
    pub(crate) fn until(&self, queue: &EventQueue) -> Option<Instant> {
        if self.shrunk || !queue.holds_more_than_idle() {
            return self.deadline;
        }
        let brief = deadline_after(IDLE_AFTER);
        Some(self.deadline.map_or(brief, |deadline| deadline.min(brief)))
    }

    /// A wait ended with nothing: gives back the queue's large buffers. True when the reader's
    /// own deadline has passed, so the read times out.
    pub(crate) fn nothing_came(&mut self, queue: &mut EventQueue) -> bool {
        queue.shrink_while_idle();
        self.shrunk = true;
        self.deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// The answer of a reader that must not wait and found nothing: it keeps no large buffer.
    pub(crate) fn empty_handed(queue: &mut EventQueue) {
        queue.shrink_while_idle();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::message::Message;

    fn with_large_buffers() -> EventQueue {
        let mut queue = EventQueue::default();
        for _ in 0..10 {
            queue.push(Event::Message(Message::from(vec![1u8; 2048])));
        }
        while queue.pop_message().is_some() {}
        assert!(queue.holds_more_than_idle());
        queue
    }

    #[test]
    fn a_reader_with_large_buffers_waits_briefly_then_gives_them_back() {
        let mut queue = with_large_buffers();
        let far = Instant::now() + Duration::from_secs(60);
        let mut wait = IdleWait::new(Wait::Until(far));
        let first = wait.until(&queue).unwrap();
        assert!(first < far, "the first wait is brief");
        assert!(
            !wait.nothing_came(&mut queue),
            "the reader's deadline is not reached"
        );
        assert!(!queue.holds_more_than_idle(), "the buffers were given back");
        assert_eq!(wait.until(&queue), Some(far), "then it waits the rest");
    }

    #[test]
    fn a_reader_with_small_buffers_waits_its_whole_time_at_once() {
        let mut queue = EventQueue::default();
        assert_eq!(IdleWait::new(Wait::Forever).until(&queue), None);
        let soon = Instant::now();
        let mut wait = IdleWait::new(Wait::Until(soon));
        assert_eq!(wait.until(&queue), Some(soon));
        assert!(
            wait.nothing_came(&mut queue),
            "past its deadline: a timeout"
        );
    }

    #[test]
    fn an_empty_handed_reader_keeps_no_large_buffer() {
        let mut queue = with_large_buffers();
        IdleWait::empty_handed(&mut queue);
        assert!(!queue.holds_more_than_idle());
    }
}
