//! The life cycle of a connection.

use std::fmt;

/// Where a socket is in its life cycle, as [`socket_state`](crate::socket_state) reports it.
///
/// As in WLanguage, a socket's name stays taken after the connection ends, until
/// `socket_close`: the state is how a caller tells a live socket from a dead one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// The connect is in progress.
    Connecting,
    /// The connection is open: messages can be written and read.
    Open,
    /// We sent a Close frame and wait for the peer's answer.
    Closing,
    /// The connection is over: closed by either side, or lost.
    Closed,
    /// The connection was lost and a new one is being attempted.
    Reconnecting,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Connecting => "connecting",
            State::Open => "open",
            State::Closing => "closing",
            State::Closed => "closed",
            State::Reconnecting => "reconnecting",
        })
    }
}
