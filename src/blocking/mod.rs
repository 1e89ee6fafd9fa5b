//! The blocking connection: one open WebSocket and the threads that use it.
//!
//! `Socket` (the public handle) over `Connection` (the engine, its state, the lock discipline,
//! the write path), the read path with its read-ahead, the close handshake, how a reader
//! waits, pings, and the queue that packs small messages read ahead.
//!
//! May depend on: `transport`, `deflate`, `settings` and the shared types; never on the
//! worker machinery or the named API above it. A connection whose output a worker-layer thread
//! sends is told so through `Connection::queue_writes`, not by calling up.

pub(crate) mod close;
pub(crate) mod connection;
pub(crate) mod event_queue;
pub(crate) mod ping;
pub(crate) mod reader;
pub(crate) mod socket;
pub(crate) mod wait;
