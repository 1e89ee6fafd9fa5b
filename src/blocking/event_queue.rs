//! A first-in first-out queue of events that packs small messages into two shared buffers.
//!
//! Why: a fast sender's small messages would otherwise cost one allocation each when read and
//! one free when the application drops them. In asynchronous mode the free happens on another
//! thread than the allocation, where glibc's allocator is at its slowest (the freeing thread's
//! cache fills at once and each free then takes the allocating thread's arena lock; see
//! docs/performance.md for the measured share). Packed, a message gets
//! its own allocation only when it is taken out, on the thread that will drop it, which then
//! reuses the memory it has just freed. Larger messages are queued as they are: for them the
//! allocation is cheap next to the copy that packing would add.

use std::collections::VecDeque;

use crate::event::Event;
use crate::message::Message;

/// Messages up to this size are packed; larger ones are queued as their own allocation.
const PACK_LIMIT: usize = 2048;

/// A consumed prefix of a buffer longer than this is given back as soon as it is more than
/// half the buffer, so a queue that never empties does not grow without bound.
const COMPACT_AFTER: usize = 64 * 1024;

/// An emptied queue keeps buffers up to this size for the next messages, while messages keep
/// coming; larger ones (left by a burst of large messages) are given back.
const KEEP_CAPACITY: usize = 64 * 1024;

/// What an empty queue keeps once its reader has waited a while (see [`crate::blocking::wait`]): an idle
/// socket stays small.
const IDLE_CAPACITY: usize = 4 * 1024;

/// Events in order; see the module documentation.
#[derive(Default)]
pub(crate) struct EventQueue {
    items: VecDeque<Item>,
    /// The packed text messages, back to back; those before `text_taken` are gone.
    text: String,
    text_taken: usize,
    /// The packed binary messages, back to back; those before `binary_taken` are gone.
    binary: Vec<u8>,
    binary_taken: usize,
    /// Bytes of all the messages queued, packed or not: what the read-ahead budgets count.
    bytes: usize,
}

enum Item {
    /// A packed text message of this many bytes, next in `text`.
    Text(usize),
    /// A packed binary message of this many bytes, next in `binary`.
    Binary(usize),
    /// Any other event, or a message too large to pack. Boxed: these are rare, and small
    /// items keep the queue compact.
    Event(Box<Event>),
}

impl Item {
    /// The bytes of its message, if it is one.
    fn size(&self) -> usize {
        match self {
            Item::Text(len) | Item::Binary(len) => *len,
            Item::Event(event) => event.size(),
        }
    }
}

impl EventQueue {
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(crate) fn push(&mut self, event: Event) {
        match event {
            Event::Message(Message::Text(text)) if text.len() <= PACK_LIMIT => {
                self.push_text(&text)
            }
            Event::Message(Message::Binary(bytes)) if bytes.len() <= PACK_LIMIT => {
                self.push_binary(&bytes)
            }
            other => {
                self.bytes += other.size();
                self.items.push_back(Item::Event(Box::new(other)));
            }
        }
    }

    /// Queues a received data frame as a message; a control frame is not queued (false).
    pub(crate) fn push_frame(&mut self, frame: tungstenite::Message) -> bool {
        match frame {
            tungstenite::Message::Text(text) if text.len() <= PACK_LIMIT => {
                // Validated by tungstenite already: no second pass over the text.
                self.push_text(text.as_str())
            }
            tungstenite::Message::Binary(bytes) if bytes.len() <= PACK_LIMIT => {
                self.push_binary(&bytes)
            }
            other => match Message::from_frame(other) {
                Some(message) => {
                    self.bytes += message.len();
                    self.items
                        .push_back(Item::Event(Box::new(Event::Message(message))));
                }
                None => return false,
            },
        }
        true
    }

    fn push_text(&mut self, text: &str) {
        self.text.push_str(text);
        self.bytes += text.len();
        self.items.push_back(Item::Text(text.len()));
    }

    fn push_binary(&mut self, bytes: &[u8]) {
        self.binary.extend_from_slice(bytes);
        self.bytes += bytes.len();
        self.items.push_back(Item::Binary(bytes.len()));
    }

    /// The first event, taken out.
    pub(crate) fn pop(&mut self) -> Option<Event> {
        let item = self.items.pop_front()?;
        self.bytes -= item.size();
        Some(self.unpack(item))
    }

    /// The first event if it is a message, taken out; otherwise the queue is left as it is.
    #[inline]
    pub(crate) fn pop_message(&mut self) -> Option<Message> {
        // The hot path of blocking reads: straight to the message, no `Event` in between.
        let message = match *self.items.front()? {
            Item::Text(len) => {
                self.items.pop_front();
                self.bytes -= len;
                Message::Text(self.take_text(len).to_owned())
            }
            Item::Binary(len) => {
                self.items.pop_front();
                self.bytes -= len;
                Message::Binary(self.take_binary(len).to_vec())
            }
            Item::Event(ref event) => {
                if !matches!(**event, Event::Message(_)) {
                    return None;
                }
                return match self.pop() {
                    Some(Event::Message(message)) => Some(message),
                    _ => None,
                };
            }
        };
        self.settle();
        Some(message)
    }

    /// Moves every event of `other` to the back of this queue.
    pub(crate) fn append(&mut self, other: &mut EventQueue) {
        if self.is_empty() && self.text.is_empty() && self.binary.is_empty() {
            // Nothing to keep here: take the other's buffers as they are.
            std::mem::swap(self, other);
            return;
        }
        self.text.push_str(&other.text[other.text_taken..]);
        self.binary
            .extend_from_slice(&other.binary[other.binary_taken..]);
        self.items.append(&mut other.items);
        self.bytes += std::mem::take(&mut other.bytes);
        other.clear_buffers();
    }

    /// Moves every event out into a new queue, copying the packed bytes in one go, and keeps
    /// this queue's buffers for the next events.
    ///
    /// For a worker handing messages to another thread: it keeps packing into memory that
    /// stays in its own cache, instead of into fresh memory the other thread has just read
    /// (each such write waits for the other core, and tungstenite's atomic reference count
    /// drop after every message waits for those writes).
    pub(crate) fn take_copy(&mut self) -> EventQueue {
        let out = EventQueue {
            items: self.items.drain(..).collect(),
            text: self.text[self.text_taken..].to_owned(),
            binary: self.binary[self.binary_taken..].to_vec(),
            bytes: std::mem::take(&mut self.bytes),
            ..EventQueue::default()
        };
        self.clear_buffers();
        out
    }

    /// Bytes of all the messages in the queue.
    pub(crate) fn message_bytes(&self) -> usize {
        self.bytes
    }

    /// Takes the front events out as a queue of their own: at most `max_events`, and no more
    /// than `max_bytes` of messages, except that the first is always taken. Returns them and
    /// the bytes of their messages.
    pub(crate) fn split_within(
        &mut self,
        max_events: usize,
        max_bytes: usize,
    ) -> (EventQueue, usize) {
        let mut count = 0;
        let mut bytes = 0usize;
        for item in &self.items {
            let size = item.size();
            if count == max_events || (count > 0 && bytes.saturating_add(size) > max_bytes) {
                break;
            }
            count += 1;
            bytes += size;
        }
        (self.split_front(count), bytes)
    }

    /// Takes the first `count` events (all if there are fewer) out as a queue of their own.
    pub(crate) fn split_front(&mut self, count: usize) -> EventQueue {
        if count >= self.len() {
            return std::mem::take(self);
        }
        let mut front = EventQueue::default();
        for _ in 0..count {
            let Some(item) = self.items.pop_front() else {
                break;
            };
            match item {
                Item::Text(len) => {
                    self.bytes -= len;
                    front.push_text(self.take_text(len));
                }
                Item::Binary(len) => {
                    self.bytes -= len;
                    front.push_binary(self.take_binary(len));
                }
                event @ Item::Event(_) => {
                    let size = event.size();
                    self.bytes -= size;
                    front.bytes += size;
                    front.items.push_back(event);
                }
            }
        }
        self.settle();
        front
    }

    /// Turns an item just taken off the front into its event.
    fn unpack(&mut self, item: Item) -> Event {
        let event = match item {
            Item::Text(len) => Event::Message(Message::Text(self.take_text(len).to_owned())),
            Item::Binary(len) => Event::Message(Message::Binary(self.take_binary(len).to_vec())),
            Item::Event(event) => *event,
        };
        self.settle();
        event
    }

    /// The next packed text message, of `len` bytes; its item is already off the queue.
    fn take_text(&mut self, len: usize) -> &str {
        let start = self.text_taken;
        self.text_taken += len;
        &self.text[start..self.text_taken]
    }

    /// The next packed binary message, of `len` bytes; its item is already off the queue.
    fn take_binary(&mut self, len: usize) -> &[u8] {
        let start = self.binary_taken;
        self.binary_taken += len;
        &self.binary[start..self.binary_taken]
    }

    /// Forgets the packed bytes already taken: all of them once the queue is empty (keeping
    /// the capacity), or the consumed prefix once it is large.
    fn settle(&mut self) {
        if self.items.is_empty() {
            self.clear_buffers();
            return;
        }
        if self.text_taken > COMPACT_AFTER && self.text_taken * 2 > self.text.len() {
            self.text.drain(..self.text_taken);
            self.text_taken = 0;
        }
        if self.binary_taken > COMPACT_AFTER && self.binary_taken * 2 > self.binary.len() {
            self.binary.drain(..self.binary_taken);
            self.binary_taken = 0;
        }
    }

    fn clear_buffers(&mut self) {
        self.text.clear();
        self.text_taken = 0;
        self.binary.clear();
        self.binary_taken = 0;
        self.give_back_beyond(KEEP_CAPACITY);
    }

    /// True when an empty queue still holds more than an idle one keeps.
    pub(crate) fn holds_more_than_idle(&self) -> bool {
        self.is_empty()
            && (self.text.capacity() > IDLE_CAPACITY
                || self.binary.capacity() > IDLE_CAPACITY
                || self.items.capacity() > IDLE_CAPACITY / std::mem::size_of::<Item>())
    }

    /// Gives back large buffers of an empty queue, for a reader that has waited a while.
    pub(crate) fn shrink_while_idle(&mut self) {
        if self.is_empty() {
            self.clear_buffers();
            self.give_back_beyond(IDLE_CAPACITY);
        }
    }

    /// Gives back the buffers larger than `bytes`; the queue must hold no packed bytes.
    fn give_back_beyond(&mut self, bytes: usize) {
        if self.text.capacity() > bytes {
            self.text = String::new();
        }
        if self.binary.capacity() > bytes {
            self.binary = Vec::new();
        }
        if self.items.is_empty() && self.items.capacity() > bytes / std::mem::size_of::<Item>() {
            self.items = VecDeque::new();
        }
    }
}

impl std::fmt::Debug for EventQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventQueue")
            .field("events", &self.items.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes of the packed messages waiting in the queue.
    fn packed_bytes(queue: &EventQueue) -> usize {
        (queue.text.len() - queue.text_taken) + (queue.binary.len() - queue.binary_taken)
    }

    fn messages(queue: &mut EventQueue) -> Vec<Message> {
        std::iter::from_fn(|| queue.pop_message()).collect()
    }

    #[test]
    fn keeps_the_order_of_packed_and_unpacked_events() {
        let big = "x".repeat(PACK_LIMIT + 1);
        let mut queue = EventQueue::default();
        queue.push(Event::Open { protocol: None });
        queue.push(Event::Message("é1".into()));
        assert!(queue.push_frame(tungstenite::Message::binary(vec![1u8, 2])));
        assert!(!queue.push_frame(tungstenite::Message::Ping(Default::default())));
        queue.push(Event::Message(big.clone().into()));
        assert!(queue.push_frame(tungstenite::Message::text("")));
        queue.push(Event::Message(vec![3u8].into()));
        queue.push(Event::Close {
            code: 1000,
            reason: String::new(),
            ended: true,
            socket: crate::socket_id::SocketId::new(1),
        });
        assert_eq!(queue.len(), 7);

        assert!(queue.pop_message().is_none(), "Open is not a message");
        assert!(matches!(queue.pop(), Some(Event::Open { .. })));
        assert_eq!(
            messages(&mut queue),
            vec![
                Message::from("é1"),
                Message::from(vec![1u8, 2]),
                Message::from(big),
                Message::from(""),
                Message::from(vec![3u8]),
            ]
        );
        assert!(matches!(queue.pop(), Some(Event::Close { code: 1000, .. })));
        assert!(queue.pop().is_none());
        assert!(queue.text.is_empty() && queue.binary.is_empty());
    }

    #[test]
    fn split_front_and_append_move_events_in_order() {
        let mut queue = EventQueue::default();
        for i in 0..10u8 {
            queue.push(Event::Message(vec![i].into()));
            queue.push(Event::Message(i.to_string().into()));
        }
        assert_eq!(queue.pop_message(), Some(Message::from(vec![0u8])));
        let mut front = queue.split_front(5);
        assert_eq!((front.len(), queue.len()), (5, 14));

        let mut joined = EventQueue::default();
        joined.push(Event::Message("first".into()));
        joined.append(&mut front);
        joined.append(&mut queue);
        assert!(queue.is_empty() && front.is_empty());
        let mut expected = vec![Message::from("first"), Message::from("0")];
        for i in 1..10u8 {
            expected.push(Message::from(vec![i]));
            expected.push(Message::from(i.to_string()));
        }
        assert_eq!(messages(&mut joined), expected);

        let mut all = EventQueue::default();
        all.push(Event::Message("a".into()));
        let taken = all.split_front(1);
        assert_eq!((taken.len(), all.len()), (1, 0));
    }

    #[test]
    fn packed_bytes_count_what_waits_and_message_bytes_everything() {
        let mut queue = EventQueue::default();
        queue.push(Event::Message(vec![1u8; 100].into()));
        queue.push(Event::Message("é".repeat(50).into()));
        queue.push(Event::Message(vec![1u8; PACK_LIMIT + 1].into()));
        queue.push(Event::Open { protocol: None });
        assert_eq!(packed_bytes(&queue), 200, "the large one is not packed");
        assert_eq!(queue.message_bytes(), 200 + PACK_LIMIT + 1);
        assert!(queue.pop_message().is_some());
        assert_eq!(packed_bytes(&queue), 100);
        assert_eq!(queue.message_bytes(), 100 + PACK_LIMIT + 1);
        let (mut front, bytes) = queue.split_within(10, 50);
        assert_eq!((front.len(), bytes), (1, 100), "the first is always taken");
        assert_eq!(queue.message_bytes(), PACK_LIMIT + 1);
        queue.append(&mut front);
        assert_eq!(queue.message_bytes(), 100 + PACK_LIMIT + 1);
        let taken = queue.take_copy();
        assert_eq!(
            (taken.message_bytes(), queue.message_bytes()),
            (100 + PACK_LIMIT + 1, 0)
        );
    }

    #[test]
    fn a_queue_that_never_empties_gives_back_what_was_taken() {
        let mut queue = EventQueue::default();
        let payload = vec![7u8; 1000];
        for _ in 0..10 {
            queue.push(Event::Message(payload.clone().into()));
        }
        // 10 MB go through a queue that always holds 10 kB.
        for _ in 0..10_000 {
            queue.push(Event::Message(payload.clone().into()));
            assert_eq!(queue.pop_message(), Some(Message::from(payload.clone())));
        }
        assert_eq!(queue.len(), 10);
        assert!(queue.binary.len() <= 2 * COMPACT_AFTER + 11 * 1000);
        let mut taken = queue.take_copy();
        assert_eq!(messages(&mut taken).len(), 10);
        assert!(queue.is_empty());
    }

    #[test]
    fn an_emptied_queue_gives_back_large_buffers() {
        let mut queue = EventQueue::default();
        for _ in 0..64 {
            queue.push(Event::Message(vec![1u8; PACK_LIMIT].into()));
            queue.push(Event::Message("é".repeat(PACK_LIMIT / 2).into()));
        }
        let mut taken = queue.take_copy();
        assert_eq!(taken.len(), 128);
        assert!(queue.binary.capacity() == 0 && queue.text.capacity() == 0);
        while taken.pop().is_some() {}
        assert!(taken.binary.capacity() == 0 && taken.text.capacity() == 0);

        queue.push(Event::Message(vec![1u8; 100].into()));
        assert!(queue.pop_message().is_some());
        assert!(
            queue.binary.capacity() >= 100,
            "small buffers are kept for next time"
        );

        // 20 KiB: kept while messages keep coming, given back when the reader waits.
        for _ in 0..10 {
            queue.push(Event::Message(vec![1u8; PACK_LIMIT].into()));
        }
        while queue.pop_message().is_some() {}
        assert!(queue.binary.capacity() >= 10 * PACK_LIMIT);
        queue.shrink_while_idle();
        assert!(queue.binary.capacity() <= IDLE_CAPACITY);
    }
}
