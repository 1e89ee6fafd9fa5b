//! What an asynchronous socket tells its callback.

use std::time::Duration;

use crate::error::Error;
use crate::message::Message;
use crate::socket_id::SocketId;

/// An event of an asynchronous socket, passed to its callback with the socket's name
/// (WLanguage's `SocketOpening`, `SocketMessage`, `SocketClosing`, `SocketError`).
///
/// For each connection attempt: [`Open`](Event::Open) comes first (unless the attempt failed),
/// then every [`Message`](Event::Message) in arrival order, and the attempt ends with exactly
/// one [`Close`](Event::Close), preceded by an [`Error`](Event::Error) when the cause was
/// abnormal. A [`Reconnecting`](Event::Reconnecting) event announces a new attempt.
///
/// **Every asynchronous socket ends with exactly one final Close**, the one with
/// `ended: true`, whatever state [`socket_close`](crate::socket_close) finds it in
/// (connecting, open, waiting to reconnect, reconnecting, closing), and whether it gave up
/// by itself; no event of that socket follows it. With a reconnect policy, the Close of each
/// lost connection or failed attempt has `ended: false`: a Reconnecting follows.
///
/// After `socket_close` returns, the socket's only event left is its final Close: events
/// that waited to be taken are dropped, in both styles (callback and polled). On a callback
/// socket closed from another thread while the dispatching thread runs its callbacks, at most
/// one of them may still run after `socket_close` returns: the one running, or just starting,
/// at that moment; after it, only the final Close's.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// The connection is open (WLanguage `SocketOpening`); carries the subprotocol the server
    /// selected, if any.
    Open {
        /// The selected subprotocol.
        protocol: Option<String>,
    },
    /// A complete message arrived (WLanguage `SocketMessage`).
    Message(Message),
    /// A connection, or a connection attempt, is over (WLanguage `SocketClosing`): the peer's
    /// close code and reason, ours after `socket_close`, or 1006 when it was lost without a
    /// Close frame.
    ///
    /// `ended` says whether the socket itself has ended: true on its final Close, after which
    /// nothing follows (a UI shows "closed" and offers Connect again); false when a reconnect
    /// follows (a UI keeps showing "reconnecting").
    ///
    /// The variant is `#[non_exhaustive]`: match it with `..`, as in
    /// `Event::Close { code, ended: true, .. }`.
    #[non_exhaustive]
    Close {
        /// The close code.
        code: u16,
        /// The close reason (may be empty).
        reason: String,
        /// This is the socket's final Close: no event follows.
        ended: bool,
        /// The socket this Close is of. Its name may already belong to another socket: see
        /// [`SocketId`].
        socket: SocketId,
    },
    /// Something went wrong (WLanguage `SocketError`): the connect failed, the peer broke the
    /// protocol, or the link broke. A [`Close`](Event::Close) follows.
    Error(Error),
    /// The connection was lost and will be attempted again after `delay`.
    Reconnecting {
        /// 1 for the first new attempt after a loss.
        attempt: u32,
        /// How long until the attempt starts.
        delay: Duration,
    },
}

impl Event {
    /// The bytes of its message, if it is one: what it weighs in a socket's backlog.
    pub(crate) fn size(&self) -> usize {
        match self {
            Event::Message(message) => message.len(),
            _ => 0,
        }
    }

    /// True for the socket's final [`Close`](Event::Close) (`ended: true`): no event follows.
    ///
    /// # Examples
    /// ```no_run
    /// # let events = named_websocket::websocket_client_connect_polled(
    /// #     "feed", "ws://127.0.0.1:9001/", &named_websocket::ConnectOptions::new())?;
    /// while let Some(event) = events.next() {
    ///     if event.is_final() {
    ///         println!("feed has ended: {event:?}");
    ///     }
    /// }
    /// # Ok::<(), named_websocket::Error>(())
    /// ```
    pub fn is_final(&self) -> bool {
        matches!(self, Event::Close { ended: true, .. })
    }

    /// The message, when this is a [`Message`](Event::Message) event.
    pub fn message(&self) -> Option<&Message> {
        match self {
            Event::Message(message) => Some(message),
            _ => None,
        }
    }
}
