//! Resolving host names under the connect deadline, with a bounded number of lookups at once.
//!
//! The system resolver has no timeout of its own, so each lookup runs on a short-lived thread
//! that the caller stops waiting for at its deadline. A resolver that hangs would leave those
//! threads behind, one per attempt: at most [`MAX_LOOKUPS`] run at once in the process, and a
//! connect that finds them all busy waits for one to end, within its deadline, and otherwise
//! fails with the DNS timeout.

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::thread;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use crate::error::{Error, Result, Timeout};
use crate::transport::classify;

/// The most lookup threads alive at once in the process.
pub(crate) const MAX_LOOKUPS: usize = 16;

/// Lookup threads alive now, and the signal that one ended.
static IN_FLIGHT: Mutex<usize> = Mutex::new(0);
static ONE_ENDED: Condvar = Condvar::new();

/// The addresses of `host` (an IP address is returned as it is), by `deadline`.
pub(crate) fn resolve(host: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>> {
    resolve_with(host, port, deadline, |name, port| {
        (name, port).to_socket_addrs().map(Iterator::collect)
    })
}

/// [`resolve`] with the system resolver replaced by `lookup` (for tests).
fn resolve_with(
    host: &str,
    port: u16,
    deadline: Instant,
    lookup: impl FnOnce(&str, u16) -> io::Result<Vec<SocketAddr>> + Send + 'static,
) -> Result<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let slot = Slot::take(deadline).ok_or(Error::Timeout(Timeout::Dns))?;
    let (sender, receiver) = crossbeam_channel::bounded(1);
    let name = host.to_owned();
    thread::Builder::new()
        .name("named-websocket-dns".into())
        .spawn(move || {
            // The slot is given back when this thread ends, not when the caller gives up.
            let _slot = slot;
            let _ = sender.send(lookup(&name, port));
        })
        .map_err(Error::Io)?;
    match receiver.recv_deadline(deadline) {
        Ok(Ok(addresses)) if !addresses.is_empty() => Ok(addresses),
        Ok(Ok(_)) => Err(classify::no_address(host)),
        Ok(Err(e)) => Err(classify::dns(host, e)),
        Err(_) => Err(Error::Timeout(Timeout::Dns)),
    }
}

/// One of the [`MAX_LOOKUPS`] places for a lookup thread; given back when dropped.
struct Slot;

impl Slot {
    /// Waits for a free place until `deadline`; `None` if none came free in time.
    fn take(deadline: Instant) -> Option<Slot> {
        let mut in_flight = IN_FLIGHT.lock();
        while *in_flight >= MAX_LOOKUPS {
            if ONE_ENDED.wait_until(&mut in_flight, deadline).timed_out()
                && *in_flight >= MAX_LOOKUPS
            {
                log::debug!("{MAX_LOOKUPS} DNS lookups already running: none came free in time");
                return None;
            }
        }
        *in_flight += 1;
        Some(Slot)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        *IN_FLIGHT.lock() -= 1;
        ONE_ENDED.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Barrier};
    use std::time::Duration;

    #[test]
    fn a_hanging_resolver_leaves_at_most_the_bound_of_threads_and_calls_stay_bounded() {
        let release = Arc::new(Barrier::new(MAX_LOOKUPS + 1));
        let mut timed_out = 0;
        let started = Instant::now();
        for i in 0..200 {
            let release = Arc::clone(&release);
            let deadline = Instant::now() + Duration::from_millis(5);
            let result = resolve_with(&format!("hangs-{i}.test"), 80, deadline, move |_, _| {
                release.wait(); // a resolver that answers only when the test says so
                Ok(Vec::new())
            });
            timed_out += usize::from(matches!(result, Err(Error::Timeout(Timeout::Dns))));
            assert!(*IN_FLIGHT.lock() <= MAX_LOOKUPS);
        }
        assert_eq!(timed_out, 200);
        assert_eq!(
            *IN_FLIGHT.lock(),
            MAX_LOOKUPS,
            "the first ones are still hanging"
        );
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "each call kept its deadline"
        );
        // The resolver comes back: the threads end and give their places back.
        release.wait();
        let deadline = Instant::now() + Duration::from_secs(20);
        let answer = resolve_with("answers.test", 80, deadline, |_, port| {
            Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))])
        });
        assert_eq!(answer.unwrap(), [SocketAddr::from(([127, 0, 0, 1], 80))]);
    }

    #[test]
    fn ip_addresses_need_no_lookup() {
        let deadline = Instant::now();
        let addresses = resolve_with("::1", 443, deadline, |_, _| unreachable!()).unwrap();
        assert_eq!(
            addresses,
            [SocketAddr::from(([0u16, 0, 0, 0, 0, 0, 0, 1], 443))]
        );
    }
}
