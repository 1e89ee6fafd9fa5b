//! The process-wide map from socket names to sockets.
//!
//! Map operations only: the lock is held for a lookup, an insert or a removal, never across
//! network I/O, so one slow server cannot stall the other sockets.
//!
//! A thread that uses one name again and again (a read loop) finds it in a per-thread cache,
//! without hashing the name or taking the lock: every change to the map bumps a generation
//! counter, and a cached entry is used only while the generation has not moved.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use once_cell::sync::Lazy;
use parking_lot::Mutex;

use crate::blocking::socket::{Socket, WeakSocket};
use crate::error::{Error, Result};
use crate::socket_id::SocketId;
use crate::worker::handle::{WeakWorkerHandle, WorkerHandle};

static SOCKETS: Lazy<Mutex<HashMap<String, Slot>>> = Lazy::new(Default::default);
static NEXT_TICKET: AtomicU64 = AtomicU64::new(1);
/// Bumped under the map's lock by every change to the map.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The last name this thread looked up, with the generation it was valid at. It holds weak
/// references: a cache must not keep a closed socket (and its descriptors) alive.
struct Cached {
    generation: u64,
    name: String,
    ticket: u64,
    entry: WeakEntry,
}

enum WeakEntry {
    Connecting(Arc<str>),
    Blocking(WeakSocket),
    Worker(WeakWorkerHandle),
}

impl Entry {
    fn downgrade(&self) -> WeakEntry {
        match self {
            Entry::Connecting(url) => WeakEntry::Connecting(Arc::clone(url)),
            Entry::Blocking(socket) => WeakEntry::Blocking(socket.downgrade()),
            Entry::Worker(socket) => WeakEntry::Worker(socket.downgrade()),
        }
    }
}

impl WeakEntry {
    fn upgrade(&self) -> Option<Entry> {
        Some(match self {
            WeakEntry::Connecting(url) => Entry::Connecting(Arc::clone(url)),
            WeakEntry::Blocking(socket) => Entry::Blocking(socket.upgrade()?),
            WeakEntry::Worker(socket) => Entry::Worker(socket.upgrade()?),
        })
    }
}

thread_local! {
    static LAST_LOOKUP: RefCell<Option<Cached>> = const { RefCell::new(None) };
}

/// Records a change to the map; call with its lock held.
fn changed() {
    GENERATION.fetch_add(1, Ordering::Release);
}

/// An entry, with the ticket of the connect call that created it: a later entry under the
/// same name has another ticket, so a stale reservation or release cannot touch it.
struct Slot {
    ticket: u64,
    entry: Entry,
}

/// What a name refers to.
#[derive(Debug, Clone)]
pub(crate) enum Entry {
    /// A blocking connect to this URL holds the name while it runs.
    Connecting(Arc<str>),
    /// A blocking socket read directly by the caller.
    Blocking(Socket),
    /// A socket run by a worker: asynchronous, or blocking with keepalive or reconnect.
    Worker(WorkerHandle),
}

/// A name taken for a connect in progress. Dropping it without [`fill`](Self::fill) frees
/// the name, so a failed connect leaves nothing behind.
#[derive(Debug)]
pub(crate) struct Reservation {
    name: String,
    ticket: u64,
    filled: bool,
}

/// Checks a socket name: not empty, no control characters.
pub(crate) fn check_name(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::invalid("socket name is empty"));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid(format!(
            "socket name {name:?} contains a control character"
        )));
    }
    Ok(())
}

/// Takes `name` for a connect to `url`, or fails with [`Error::NameInUse`].
pub(crate) fn reserve(name: &str, url: &str) -> Result<Reservation> {
    let mut sockets = SOCKETS.lock();
    if sockets.contains_key(name) {
        return Err(Error::NameInUse(name.into()));
    }
    let ticket = NEXT_TICKET.fetch_add(1, Ordering::Relaxed);
    let entry = Entry::Connecting(url.into());
    sockets.insert(name.to_owned(), Slot { ticket, entry });
    changed();
    Ok(Reservation {
        name: name.to_owned(),
        ticket,
        filled: false,
    })
}

impl Reservation {
    /// The id of the socket this reservation is for.
    pub(crate) fn id(&self) -> SocketId {
        SocketId::new(self.ticket)
    }

    /// Puts the socket under the name. Gives the entry back when `socket_close` cancelled the
    /// reservation meanwhile.
    pub(crate) fn fill(mut self, entry: Entry) -> std::result::Result<(), Entry> {
        let mut sockets = SOCKETS.lock();
        match sockets.get_mut(&self.name) {
            Some(slot) if slot.ticket == self.ticket => {
                slot.entry = entry;
                self.filled = true;
                changed();
                Ok(())
            }
            _ => Err(entry),
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if !self.filled {
            release(&self.name, self.ticket);
        }
    }
}

/// What `name` refers to and its ticket, or [`Error::NotFound`].
pub(crate) fn lookup(name: &str) -> Result<(u64, Entry)> {
    // No change since the cached lookup means the same answer as the map would give now.
    let generation = GENERATION.load(Ordering::Acquire);
    let hit = LAST_LOOKUP.with(|last| match &*last.borrow() {
        Some(cached) if cached.generation == generation && cached.name == name => {
            cached.entry.upgrade().map(|entry| (cached.ticket, entry))
        }
        _ => None,
    });
    if let Some(hit) = hit {
        return Ok(hit);
    }
    let sockets = SOCKETS.lock();
    let generation = GENERATION.load(Ordering::Acquire);
    let slot = sockets
        .get(name)
        .ok_or_else(|| Error::NotFound(name.into()))?;
    let found = (slot.ticket, slot.entry.clone());
    drop(sockets);
    LAST_LOOKUP.with(|last| {
        *last.borrow_mut() = Some(Cached {
            generation,
            name: name.to_owned(),
            ticket: found.0,
            entry: found.1.downgrade(),
        });
    });
    Ok(found)
}

/// True when `name` is taken.
pub(crate) fn contains(name: &str) -> bool {
    SOCKETS.lock().contains_key(name)
}

/// Frees `name` if a blocking connect still holds it with this ticket; false when the connect
/// has put its socket there meanwhile (or failed and left).
pub(crate) fn cancel_connect(name: &str, ticket: u64) -> bool {
    let mut sockets = SOCKETS.lock();
    let connecting = sockets
        .get(name)
        .is_some_and(|slot| slot.ticket == ticket && matches!(slot.entry, Entry::Connecting(_)));
    if connecting {
        // A reservation holds no socket: nothing of the user's is dropped under the lock.
        sockets.remove(name);
        changed();
    }
    connecting
}

/// Frees `name` if it still holds the entry with this ticket.
pub(crate) fn release(name: &str, ticket: u64) {
    let mut sockets = SOCKETS.lock();
    let removed = if sockets.get(name).is_some_and(|slot| slot.ticket == ticket) {
        changed();
        sockets.remove(name)
    } else {
        None
    };
    // The entry may be a socket's last handle, whose callback's destructor is user code that
    // may call the library: it runs after the lock is released.
    drop(sockets);
    drop(removed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_printable_and_non_empty() {
        assert!(check_name("chat").is_ok());
        assert!(check_name("Chat 2 é").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a\nb").is_err());
    }

    #[test]
    fn a_reservation_holds_the_name_until_dropped() {
        let name = "registry-unit-reservation";
        let reservation = reserve(name, "ws://x/").unwrap();
        assert!(contains(name));
        assert!(matches!(reserve(name, "ws://x/"), Err(Error::NameInUse(_))));
        assert!(matches!(lookup(name), Ok((_, Entry::Connecting(_)))));
        drop(reservation);
        assert!(!contains(name));
        assert!(matches!(lookup(name), Err(Error::NotFound(_))));
    }

    #[test]
    fn a_released_reservation_does_not_free_a_later_holder() {
        let name = "registry-unit-cancel";
        let reservation = reserve(name, "ws://x/").unwrap();
        let (ticket, _) = lookup(name).unwrap();
        release(name, ticket); // socket_close during the connect
        let again = reserve(name, "ws://x/").unwrap();
        assert!(reservation
            .fill(Entry::Connecting("ws://x/".into()))
            .is_err());
        assert!(
            contains(name),
            "the stale reservation left the new holder alone"
        );
        drop(again);
        assert!(!contains(name));
    }
}
