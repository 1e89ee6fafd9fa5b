//! Which socket an event or a name refers to: names are reused, sockets are not.

use std::fmt;

/// One socket, among every socket this process opens: each connect call that takes a name
/// gets a new one, so two sockets opened one after the other under the same name have
/// different ids.
///
/// A name is free as soon as [`socket_close`](crate::socket_close) returns, while the old
/// socket's final [`Event::Close`](crate::Event::Close) may still be on its way; compare the
/// event's `socket` with [`socket_id`](crate::socket_id)`(name)` before acting on the name.
///
/// # Examples
/// ```no_run
/// use named_websocket::{socket_id, websocket_client_connect_async_url, Event};
///
/// websocket_client_connect_async_url("chat", |name, event| {
///     if let Event::Close { ended: true, socket, .. } = event {
///         if socket_id(name).ok() == Some(socket) {
///             println!("{name} has ended; its name is still taken");
///         } else {
///             println!("an earlier socket named {name} has ended");
///         }
///     }
/// }, "ws://127.0.0.1:9001/")?;
/// # Ok::<(), named_websocket::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId(u64);

impl SocketId {
    pub(crate) fn new(number: u64) -> SocketId {
        SocketId(number)
    }
}

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}
