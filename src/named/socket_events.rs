//! The events of a socket opened without a callback, as a handle the application keeps.

use std::fmt;

use crate::event::Event;
use crate::socket_id::SocketId;
use crate::worker::handle::WorkerHandle;

/// The events of a socket opened with
/// [`websocket_client_connect_polled`](crate::websocket_client_connect_polled): what has
/// arrived, taken one by one without waiting, on any thread.
///
/// A cheap handle: clones share one queue. It outlives the socket's name, so the final
/// [`Event::Close`] of a [`socket_close`](crate::socket_close) (our code when the server
/// answered, 1006 when it did not within the close timeout) can still be taken after the name
/// is gone. [`socket_next_event`](crate::socket_next_event) takes from the same queue by name.
///
/// The socket ends with exactly one final Close (`ended: true`, see [`Event::is_final`]);
/// after it, [`next`](Self::next) only ever returns `None`. After `socket_close`, that final
/// Close is the only event still taken: events that waited are dropped, as for a callback.
///
/// # Examples
/// ```no_run
/// use named_websocket::{websocket_client_connect_polled, ConnectOptions, Event};
///
/// let events = websocket_client_connect_polled("feed", "wss://example.com/feed", &ConnectOptions::new())?;
/// // Each frame:
/// while let Some(event) = events.next() {
///     if let Event::Message(message) = event {
///         println!("{message:?}");
///     }
/// }
/// # Ok::<(), named_websocket::Error>(())
/// ```
#[derive(Clone)]
pub struct SocketEvents {
    socket: WorkerHandle,
    name: String,
}

impl SocketEvents {
    pub(crate) fn new(name: &str, socket: WorkerHandle) -> SocketEvents {
        SocketEvents {
            socket,
            name: name.to_owned(),
        }
    }

    /// The next event, or `None` when none is waiting. Never blocks.
    ///
    /// # Examples
    /// ```no_run
    /// # let events = named_websocket::websocket_client_connect_polled(
    /// #     "feed", "ws://127.0.0.1:9001/", &named_websocket::ConnectOptions::new())?;
    /// if let Some(event) = events.next() {
    ///     println!("{event:?}");
    /// }
    /// # Ok::<(), named_websocket::Error>(())
    /// ```
    #[allow(clippy::should_implement_trait)] // an iterator would end at the first gap
    pub fn next(&self) -> Option<Event> {
        self.socket.next_event().unwrap_or(None)
    }

    /// The socket's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Which socket these events are of; the `socket` of its [`Event::Close`] events. Once the
    /// socket is closed, its name may belong to a newer socket, with another id.
    ///
    /// # Examples
    /// ```no_run
    /// # let events = named_websocket::websocket_client_connect_polled(
    /// #     "feed", "ws://127.0.0.1:9001/", &named_websocket::ConnectOptions::new())?;
    /// assert_eq!(named_websocket::socket_id("feed")?, events.id());
    /// # Ok::<(), named_websocket::Error>(())
    /// ```
    pub fn id(&self) -> SocketId {
        self.socket.id()
    }
}

impl fmt::Debug for SocketEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketEvents")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
