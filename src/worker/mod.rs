//! Sockets run by a worker thread: the asynchronous sockets, and blocking ones with keepalive
//! or reconnect.
//!
//! One worker thread per socket connects, reads, keeps alive and reconnects; each event is
//! counted in the socket's backlog and handed over to the application (a callback through the
//! dispatch queue, a polled mailbox, or the inbox `socket_read` takes from). The background
//! thread sends queued output and enforces the write and close timeouts.
//!
//! May depend on: `blocking` and every layer below it; never on the named API above it.

pub(crate) mod background;
pub(crate) mod backlog;
pub(crate) mod callback;
pub(crate) mod dispatch;
pub(crate) mod handle;
pub(crate) mod handover;
pub(crate) mod keepalive;
pub(crate) mod pull_queue;
pub(crate) mod shared;
pub(crate) mod worker_pool;
pub(crate) mod worker_socket;
pub(crate) mod worker_thread;
