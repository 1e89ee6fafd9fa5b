//! What an asynchronous socket tells its callback.

use std::time::Duration;

use crate::error::Error;
use crate::message::Message;

/// An event of an asynchronous socket, passed to its callback with the socket's name
/// (WLanguage's `SocketOpening`, `SocketMessage`, `SocketClosing`, `SocketError`).
///
/// For each connection attempt: [`Open`](Event::Open) comes first (unless the attempt failed),
/// then every [`Message`](Event::Message) in arrival order, and the attempt ends with exactly
/// one [`Close`](Event::Close), preceded by an [`Error`](Event::Error) when the cause was
/// abnormal. A [`Reconnecting`](Event::Reconnecting) event announces a new attempt.
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
    /// The connection is over (WLanguage `SocketClosing`): the peer's close code and reason,
    /// ours after `socket_close`, or 1006 when it was lost without a Close frame.
    Close {
        /// The close code.
        code: u16,
        /// The close reason (may be empty).
        reason: String,
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

    /// The message, when this is a [`Message`](Event::Message) event.
    pub fn message(&self) -> Option<&Message> {
        match self {
            Event::Message(message) => Some(message),
            _ => None,
        }
    }
}
