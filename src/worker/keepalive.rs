//! Keepalive pings and the idle timeout: when to ping, and when a silent peer counts as dead.
//!
//! Pure timekeeping: the worker asks what is due, sends the pings and fails the connection.

use std::time::{Duration, Instant};

use crate::deadline::later;
use crate::error::Timeout;
use crate::settings::options::ConnectOptions;

/// The keepalive settings of one connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Keepalive {
    pub(crate) ping_interval: Option<Duration>,
    pub(crate) ping_timeout: Duration,
    pub(crate) idle_timeout: Option<Duration>,
}

/// The keepalive state of one connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    next_ping: Option<Instant>,
    /// When the oldest ping that no traffic has answered yet was sent.
    unanswered_since: Option<Instant>,
}

/// What the worker must do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    Nothing,
    Ping,
    /// The peer is silent for too long: fail the connection with this timeout.
    Dead(Timeout),
}

impl Keepalive {
    /// The keepalive the options ask for.
    pub(crate) fn for_options(options: &ConnectOptions) -> Keepalive {
        Keepalive {
            ping_interval: options.ping_interval,
            ping_timeout: options.ping_timeout,
            idle_timeout: options.idle_timeout,
        }
    }

    pub(crate) fn start(&self, now: Instant) -> Clock {
        Clock {
            next_ping: self.ping_interval.map(|interval| later(now, interval)),
            unanswered_since: None,
        }
    }

    /// What is due at `now`, given when the last byte arrived. Any traffic answers a ping.
    pub(crate) fn check(&self, clock: &mut Clock, now: Instant, last_received: Instant) -> Due {
        if let Some(idle) = self.idle_timeout {
            if now >= later(last_received, idle) {
                return Due::Dead(Timeout::Idle);
            }
        }
        if let Some(sent) = clock.unanswered_since {
            if last_received >= sent {
                clock.unanswered_since = None;
            } else if now >= later(sent, self.ping_timeout) {
                return Due::Dead(Timeout::Pong);
            }
        }
        match (clock.next_ping, self.ping_interval) {
            (Some(next), Some(interval)) if now >= next => {
                clock.next_ping = Some(later(now, interval));
                clock.unanswered_since.get_or_insert(now);
                Due::Ping
            }
            _ => Due::Nothing,
        }
    }

    /// When something may next be due; `None` when keepalive is off.
    pub(crate) fn next_deadline(&self, clock: &Clock, last_received: Instant) -> Option<Instant> {
        [
            self.idle_timeout.map(|idle| later(last_received, idle)),
            clock
                .unanswered_since
                .map(|sent| later(sent, self.ping_timeout)),
            clock.next_ping,
        ]
        .into_iter()
        .flatten()
        .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn pinging() -> Keepalive {
        Keepalive {
            ping_interval: Some(100 * MS),
            ping_timeout: 50 * MS,
            idle_timeout: None,
        }
    }

    #[test]
    fn pings_every_interval_and_any_traffic_answers() {
        let keepalive = pinging();
        let t0 = Instant::now();
        let mut clock = keepalive.start(t0);
        assert_eq!(keepalive.next_deadline(&clock, t0), Some(t0 + 100 * MS));
        assert_eq!(keepalive.check(&mut clock, t0 + 99 * MS, t0), Due::Nothing);
        assert_eq!(keepalive.check(&mut clock, t0 + 100 * MS, t0), Due::Ping);
        // The pong deadline comes before the next ping.
        assert_eq!(keepalive.next_deadline(&clock, t0), Some(t0 + 150 * MS));
        // A byte arrived after the ping: answered.
        let heard = t0 + 120 * MS;
        assert_eq!(
            keepalive.check(&mut clock, t0 + 160 * MS, heard),
            Due::Nothing
        );
        assert_eq!(keepalive.check(&mut clock, t0 + 200 * MS, heard), Due::Ping);
    }

    #[test]
    fn a_silent_peer_is_dead_after_the_ping_timeout() {
        let keepalive = pinging();
        let t0 = Instant::now();
        let mut clock = keepalive.start(t0);
        assert_eq!(keepalive.check(&mut clock, t0 + 100 * MS, t0), Due::Ping);
        assert_eq!(keepalive.check(&mut clock, t0 + 149 * MS, t0), Due::Nothing);
        assert_eq!(
            keepalive.check(&mut clock, t0 + 150 * MS, t0),
            Due::Dead(Timeout::Pong)
        );
    }

    #[test]
    fn the_idle_timeout_counts_from_the_last_byte_received() {
        let keepalive = Keepalive {
            ping_interval: None,
            ping_timeout: 50 * MS,
            idle_timeout: Some(300 * MS),
        };
        let t0 = Instant::now();
        let mut clock = keepalive.start(t0);
        let heard = t0 + 200 * MS;
        assert_eq!(keepalive.next_deadline(&clock, heard), Some(t0 + 500 * MS));
        assert_eq!(
            keepalive.check(&mut clock, t0 + 499 * MS, heard),
            Due::Nothing
        );
        assert_eq!(
            keepalive.check(&mut clock, t0 + 500 * MS, heard),
            Due::Dead(Timeout::Idle)
        );
    }

    #[test]
    fn huge_durations_mean_never_and_do_not_overflow() {
        let forever = Keepalive {
            ping_interval: Some(Duration::MAX),
            ping_timeout: Duration::MAX,
            idle_timeout: Some(Duration::MAX),
        };
        let t0 = Instant::now();
        let mut clock = forever.start(t0);
        assert!(forever.next_deadline(&clock, t0).is_some());
        assert_eq!(forever.check(&mut clock, t0 + 1000 * MS, t0), Due::Nothing);
    }

    #[test]
    fn off_means_never_due() {
        let off = Keepalive {
            ping_interval: None,
            ping_timeout: 50 * MS,
            idle_timeout: None,
        };
        let t0 = Instant::now();
        let mut clock = off.start(t0);
        assert_eq!(off.next_deadline(&clock, t0), None);
        assert_eq!(
            off.check(&mut clock, t0 + 3600 * 1000 * MS, t0),
            Due::Nothing
        );
    }
}
