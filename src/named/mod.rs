//! The named API: the WLanguage-style functions, and the process-wide registry of names.
//!
//! Each function checks its arguments, looks the name up, releases the registry's lock, then
//! works on the socket it found (`blocking::Socket` or a worker-run socket). `SocketEvents`
//! is the polled style's handle on a name.
//!
//! May depend on: every layer below it. Nothing depends on it but the crate root's `pub use`
//! list.

pub(crate) mod functions;
pub(crate) mod registry;
pub(crate) mod socket_events;
