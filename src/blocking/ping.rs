//! Pings whose answer is awaited: the round trip of the last one answered, for `socket_ping`
//! and for keepalive.
//!
//! Each ping carries a number as its payload. The peer may answer only the latest of several
//! pings (RFC 6455 §5.5.3), so an answer to ping `n` also answers every ping before it.

use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

#[derive(Debug, Default)]
pub(crate) struct Pings {
    state: Mutex<PingState>,
    answered: Condvar,
}

#[derive(Debug, Default)]
struct PingState {
    /// The number of the last ping sent (the first is 1).
    last_sent: u64,
    /// When each ping still unanswered was sent, oldest first.
    waiting: Vec<(u64, Instant)>,
    /// The number of the last ping answered, and when.
    last_answered: Option<(u64, Instant)>,
    last_round_trip: Option<Duration>,
}

/// Pings remembered at most: a peer that answers none cannot make the list grow.
const REMEMBERED: usize = 16;

impl Pings {
    /// A new ping: its number, the payload that carries it, and when it counts as sent.
    pub(crate) fn start(&self) -> (u64, [u8; 8], Instant) {
        let mut state = self.state.lock();
        state.last_sent += 1;
        let number = state.last_sent;
        if state.waiting.len() == REMEMBERED {
            state.waiting.remove(0);
        }
        let sent = Instant::now();
        state.waiting.push((number, sent));
        (number, number.to_be_bytes(), sent)
    }

    /// A pong came with `payload`: if it answers one of our pings, that ping and every one
    /// before it are answered.
    pub(crate) fn pong(&self, payload: &[u8]) {
        let Ok(bytes) = <[u8; 8]>::try_from(payload) else {
            return;
        };
        let number = u64::from_be_bytes(bytes);
        let now = Instant::now();
        let mut state = self.state.lock();
        let Some(&(_, sent)) = state.waiting.iter().find(|(n, _)| *n == number) else {
            return;
        };
        state.waiting.retain(|(n, _)| *n > number);
        state.last_answered = Some((number, now));
        state.last_round_trip = Some(now.saturating_duration_since(sent));
        drop(state);
        self.answered.notify_all();
    }

    /// The round trip of ping `number`, once it (or a later one) is answered.
    pub(crate) fn round_trip_of(&self, number: u64, sent: Instant) -> Option<Duration> {
        let state = self.state.lock();
        match state.last_answered {
            Some((answered, at)) if answered >= number => Some(at.saturating_duration_since(sent)),
            _ => None,
        }
    }

    /// Waits until ping `number`, sent at `sent`, is answered or `until` passes.
    pub(crate) fn wait(&self, number: u64, sent: Instant, until: Instant) -> Option<Duration> {
        let mut state = self.state.lock();
        loop {
            if let Some((answered, at)) = state.last_answered {
                if answered >= number {
                    return Some(at.saturating_duration_since(sent));
                }
            }
            if self.answered.wait_until(&mut state, until).timed_out() {
                return None;
            }
        }
    }

    /// The round trip of the last ping answered.
    pub(crate) fn last_round_trip(&self) -> Option<Duration> {
        self.state.lock().last_round_trip
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_to_a_later_ping_answers_the_earlier_ones() {
        let pings = Pings::default();
        let (first, _, sent) = pings.start();
        let (second, payload, _) = pings.start();
        assert_eq!((first, second), (1, 2));
        assert!(pings.round_trip_of(first, sent).is_none());
        pings.pong(b"not ours");
        assert!(pings.last_round_trip().is_none());
        pings.pong(&payload);
        assert!(pings.round_trip_of(first, sent).is_some());
        assert!(pings.last_round_trip().is_some());
        let soon = Instant::now();
        assert!(pings.wait(first, sent, soon).is_some());
        let (third, _, sent) = pings.start();
        assert!(pings.wait(third, sent, Instant::now()).is_none());
    }

    #[test]
    fn a_peer_that_never_answers_cannot_grow_the_list() {
        let pings = Pings::default();
        for _ in 0..1000 {
            pings.start();
        }
        assert_eq!(pings.state.lock().waiting.len(), REMEMBERED);
    }
}
