//! Deadlines that never overflow: a timeout of `Duration::MAX` means "no limit".
//!
//! The one rule for every timeout: `now + timeout`, with a timeout too large to represent cut to
//! a century (no limit, in practice). Whatever waits on such a deadline waits in slices the
//! operating system takes (see `transport::stream`), never in one call that could overflow.

use std::time::{Duration, Instant};

/// The instant `timeout` from now; a timeout too large to represent (such as `Duration::MAX`,
/// meaning "no limit") gives an instant decades away instead of overflowing.
pub(crate) fn deadline_after(timeout: Duration) -> Instant {
    later(Instant::now(), timeout)
}

/// `start + duration`, with durations too large to represent cut to a century.
pub(crate) fn later(start: Instant, duration: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    start.checked_add(duration.min(FAR)).unwrap_or(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_durations_give_a_far_instant_instead_of_overflowing() {
        let now = Instant::now();
        assert!(later(now, Duration::MAX) > now + Duration::from_secs(365 * 24 * 3600));
        assert_eq!(
            later(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
        assert!(deadline_after(Duration::MAX) > Instant::now());
    }
}
