//! The process-wide map from socket names to sockets.
//!
//! Map operations only: the lock is held for a lookup, an insert or a removal, never across
//! network I/O, so one slow server cannot stall the other sockets.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use once_cell::sync::Lazy;
use parking_lot::Mutex;

use crate::error::{Error, Result};
use crate::socket::Socket;

static SOCKETS: Lazy<Mutex<HashMap<String, Slot>>> = Lazy::new(Default::default);
static NEXT_TICKET: AtomicU64 = AtomicU64::new(1);

enum Slot {
    /// A blocking connect holds the name while it runs; the ticket tells reservations apart.
    Connecting(u64),
    Ready(Socket),
}

/// What a name refers to.
#[derive(Debug)]
pub(crate) enum Entry {
    Connecting,
    Ready(Socket),
}

/// A name taken for a connect in progress. Dropping it without [`fill`](Self::fill) frees
/// the name, so a failed connect leaves nothing behind.
#[derive(Debug)]
pub(crate) struct Reservation {
    name: String,
    ticket: u64,
    filled: bool,
}

/// Takes `name`, or fails with [`Error::NameInUse`].
pub(crate) fn reserve(name: &str) -> Result<Reservation> {
    let mut sockets = SOCKETS.lock();
    if sockets.contains_key(name) {
        return Err(Error::NameInUse(name.into()));
    }
    let ticket = NEXT_TICKET.fetch_add(1, Ordering::Relaxed);
    sockets.insert(name.to_owned(), Slot::Connecting(ticket));
    Ok(Reservation {
        name: name.to_owned(),
        ticket,
        filled: false,
    })
}

impl Reservation {
    /// Puts the connected socket under the name. Gives the socket back when `socket_close`
    /// cancelled the reservation meanwhile.
    pub(crate) fn fill(mut self, socket: Socket) -> std::result::Result<(), Socket> {
        let mut sockets = SOCKETS.lock();
        match sockets.get_mut(&self.name) {
            Some(slot) if matches!(*slot, Slot::Connecting(t) if t == self.ticket) => {
                *slot = Slot::Ready(socket);
                self.filled = true;
                Ok(())
            }
            _ => Err(socket),
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if !self.filled {
            let mut sockets = SOCKETS.lock();
            if matches!(sockets.get(&self.name), Some(Slot::Connecting(t)) if *t == self.ticket) {
                sockets.remove(&self.name);
            }
        }
    }
}

/// What `name` refers to, or [`Error::NotFound`].
pub(crate) fn lookup(name: &str) -> Result<Entry> {
    match SOCKETS.lock().get(name) {
        Some(Slot::Connecting(_)) => Ok(Entry::Connecting),
        Some(Slot::Ready(socket)) => Ok(Entry::Ready(socket.clone())),
        None => Err(Error::NotFound(name.into())),
    }
}

/// The socket under `name`, or [`Error::NotFound`], or [`Error::NotOpen`] while it connects.
pub(crate) fn socket(name: &str) -> Result<Socket> {
    match lookup(name)? {
        Entry::Ready(socket) => Ok(socket),
        Entry::Connecting => Err(Error::NotOpen(crate::State::Connecting)),
    }
}

/// True when `name` is taken.
pub(crate) fn contains(name: &str) -> bool {
    SOCKETS.lock().contains_key(name)
}

/// Frees `name` if it still refers to `socket`.
pub(crate) fn release(name: &str, socket: &Socket) {
    let mut sockets = SOCKETS.lock();
    if matches!(sockets.get(name), Some(Slot::Ready(s)) if s.same_as(socket)) {
        sockets.remove(name);
    }
}

/// Frees `name` if a connect holds it; that connect then closes what it opens.
pub(crate) fn cancel_connect(name: &str) -> bool {
    let mut sockets = SOCKETS.lock();
    if matches!(sockets.get(name), Some(Slot::Connecting(_))) {
        sockets.remove(name);
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reservation_holds_the_name_until_dropped() {
        let name = "registry-unit-reservation";
        let reservation = reserve(name).unwrap();
        assert!(contains(name));
        assert!(matches!(reserve(name), Err(Error::NameInUse(_))));
        assert!(matches!(lookup(name), Ok(Entry::Connecting)));
        drop(reservation);
        assert!(!contains(name));
        assert!(matches!(lookup(name), Err(Error::NotFound(_))));
    }

    #[test]
    fn a_cancelled_reservation_does_not_come_back() {
        let name = "registry-unit-cancel";
        let reservation = reserve(name).unwrap();
        assert!(cancel_connect(name));
        let again = reserve(name).unwrap();
        drop(reservation); // must not free the new holder's name
        assert!(contains(name));
        drop(again);
        assert!(!contains(name));
    }
}
