//! The auto-reconnect policy: which losses are retried, how long to wait, how often.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use crate::error::{Error, Result};

/// When and how often a named socket opens its connection again after losing it.
///
/// Given to [`ConnectOptions::reconnect`](crate::ConnectOptions::reconnect). After an
/// unexpected loss — the link broke, the peer vanished or broke the protocol, a keepalive
/// timeout, or a close by the server with a code other than 1000 (or 1005, no code) — the
/// socket reconnects to the same URL with the same options, under the same name and callback.
/// The delay before attempt `n` is `min_delay × factor^(n-1)`, at most `max_delay`, minus a
/// random part of up to `jitter` of it, so that many clients do not come back at the same
/// instant. The delay keeps growing across connections that drop again quickly, and starts
/// again from `min_delay` once a connection has stayed up for `max_delay`. No delay is shorter
/// than 10 ms, whatever the settings: a policy of zero delays would otherwise hammer the
/// server with thousands of attempts a second.
///
/// Never retried: `socket_close`, a refusal by the access policy, a TLS failure (an untrusted
/// certificate stays untrusted), an HTTP 4xx answer to the upgrade other than 408 and 429
/// (which mean "try later"), a rejected subprotocol. When a refusal carries `Retry-After`
/// (429 or 503, typically), the next attempt waits at least that long, at most `max_delay`. A
/// normal close (1000) by the server is retried only with
/// [`after_normal_close(true)`](Self::after_normal_close).
///
/// The first connect: an asynchronous connect returns before connecting, so a first attempt
/// that fails (refused, say) is retried by this policy like a lost connection, and the
/// callback sees `Error`, `Close`, `Reconnecting`. A blocking connect reports its failure to
/// the caller at once and takes no name: the caller decides whether to try again. The policy
/// applies once the blocking connect has succeeded.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use named_websocket::{ConnectOptions, Reconnect};
///
/// let options = ConnectOptions::new().reconnect(
///     Reconnect::new()
///         .min_delay(Duration::from_millis(200))
///         .max_delay(Duration::from_secs(10))
///         .max_attempts(Some(20)),
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Reconnect {
    min_delay: Duration,
    max_delay: Duration,
    factor: f64,
    jitter: f64,
    max_attempts: Option<u32>,
    after_normal_close: bool,
}

/// The shortest delay between two attempts, whatever the policy says.
const MIN_DELAY: Duration = Duration::from_millis(10);

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect {
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            factor: 2.0,
            jitter: 0.2,
            max_attempts: None,
            after_normal_close: false,
        }
    }
}

impl Reconnect {
    /// The defaults, as each setter documents them.
    pub fn new() -> Reconnect {
        Reconnect::default()
    }

    /// The delay before the first attempt after a loss. Delays shorter than 10 ms count as
    /// 10 ms.
    ///
    /// Defaults to 500 ms.
    pub fn min_delay(mut self, delay: Duration) -> Self {
        self.min_delay = delay;
        self
    }

    /// The longest delay between two attempts.
    ///
    /// Defaults to 30 seconds.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// How much the delay grows from one failed attempt to the next (at least 1).
    ///
    /// Defaults to 2.
    pub fn factor(mut self, factor: f64) -> Self {
        self.factor = factor;
        self
    }

    /// The largest fraction (0 to 1) taken off each delay at random.
    ///
    /// Defaults to 0.2.
    pub fn jitter(mut self, jitter: f64) -> Self {
        self.jitter = jitter;
        self
    }

    /// How many attempts in a row may fail before the socket gives up; `None` never gives up.
    /// The count starts again after each successful reconnect.
    ///
    /// Defaults to `None`.
    pub fn max_attempts(mut self, attempts: Option<u32>) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// Whether a normal close (code 1000) by the server is followed by a reconnect.
    ///
    /// Defaults to `false`.
    pub fn after_normal_close(mut self, reconnect: bool) -> Self {
        self.after_normal_close = reconnect;
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.min_delay > self.max_delay {
            return Err(Error::invalid(
                "reconnect min_delay is longer than max_delay",
            ));
        }
        if !(self.factor.is_finite() && self.factor >= 1.0) {
            return Err(Error::invalid("reconnect factor must be at least 1"));
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err(Error::invalid("reconnect jitter must be between 0 and 1"));
        }
        if self.max_attempts == Some(0) {
            return Err(Error::invalid(
                "reconnect max_attempts must be at least 1 (or None)",
            ));
        }
        Ok(())
    }

    /// How long a connection must stay up for the backoff to start again from `min_delay`.
    pub(crate) fn steady_after(&self) -> Duration {
        self.max_delay
    }

    /// Whether attempt number `attempt` (1 for the first after a loss) may be made.
    pub(crate) fn allows(&self, attempt: u32) -> bool {
        self.max_attempts.is_none_or(|max| attempt <= max)
    }

    /// The delay before attempt `attempt`, with `random` in [0, 1) for the jitter; never
    /// shorter than [`MIN_DELAY`].
    pub(crate) fn delay(&self, attempt: u32, random: f64) -> Duration {
        let exponent = attempt.saturating_sub(1).min(64) as i32;
        let grown = self.min_delay.as_secs_f64() * self.factor.powi(exponent);
        let capped = grown.min(self.max_delay.as_secs_f64());
        let delay = Duration::try_from_secs_f64(capped * (1.0 - self.jitter * random))
            .unwrap_or(self.max_delay);
        delay.max(MIN_DELAY)
    }

    /// The delay before attempt `attempt` after a refusal whose `Retry-After` asked for
    /// `asked`: the longer of the two, but never longer than `max_delay`.
    pub(crate) fn delay_after(
        &self,
        attempt: u32,
        random: f64,
        asked: Option<Duration>,
    ) -> Duration {
        let delay = self.delay(attempt, random);
        match asked {
            Some(asked) => delay.max(asked.min(self.max_delay)),
            None => delay,
        }
    }

    /// Whether a connection that the server closed with `code` is opened again: a normal
    /// close (1000, or a Close frame without a code, 1005) only when asked.
    pub(crate) fn retries_close(&self, code: u16) -> bool {
        !matches!(code, 1000 | 1005) || self.after_normal_close
    }
}

/// Whether a failure may go away by trying again: refusals are final.
pub(crate) fn is_retryable(error: &Error) -> bool {
    match error {
        Error::AccessDenied(_)
        | Error::Tls(_)
        | Error::Subprotocol(_)
        | Error::InvalidArgument(_)
        | Error::NameInUse(_)
        | Error::NotFound(_)
        | Error::WrongMode(_) => false,
        // 408 Request Timeout and 429 Too Many Requests mean "try later".
        Error::Handshake(failure) => match failure.status {
            Some(408 | 429) => true,
            Some(status) => !(400..=499).contains(&status),
            None => true,
        },
        _ => true,
    }
}

/// A number in [0, 1) that differs from call to call, for the jitter.
pub(crate) fn random_unit() -> f64 {
    // std's hasher keys are random per process and change with each RandomState.
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0x9e37_79b9_7f4a_7c15);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{HandshakeFailure, Timeout};

    #[test]
    fn delays_grow_by_the_factor_up_to_the_maximum() {
        let policy = Reconnect::new()
            .min_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(1000))
            .jitter(0.0);
        let delays: Vec<u128> = (1..=6).map(|n| policy.delay(n, 0.5).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
        assert!(policy.delay(u32::MAX, 0.0) <= Duration::from_millis(1000));
        let forever = Reconnect::new()
            .min_delay(Duration::MAX)
            .max_delay(Duration::MAX)
            .jitter(0.0);
        assert_eq!(forever.delay(3, 0.0), Duration::MAX);
    }

    #[test]
    fn no_delay_is_shorter_than_the_floor() {
        let zero = Reconnect::new()
            .min_delay(Duration::ZERO)
            .max_delay(Duration::ZERO);
        assert!(zero.validate().is_ok());
        for attempt in [1, 2, 100] {
            assert_eq!(zero.delay(attempt, 0.99), MIN_DELAY);
        }
        let jittered = Reconnect::new()
            .min_delay(Duration::from_millis(11))
            .jitter(1.0);
        assert_eq!(jittered.delay(1, 0.99), MIN_DELAY);
    }

    #[test]
    fn jitter_takes_off_at_most_its_fraction() {
        let policy = Reconnect::new()
            .min_delay(Duration::from_secs(1))
            .jitter(0.5);
        assert_eq!(policy.delay(1, 0.0), Duration::from_secs(1));
        assert_eq!(
            policy.delay(1, 0.999_999),
            Duration::from_secs_f64(0.5000005)
        );
        for _ in 0..100 {
            let r = random_unit();
            assert!((0.0..1.0).contains(&r));
        }
    }

    #[test]
    fn retry_after_lengthens_the_delay_up_to_the_maximum() {
        let policy = Reconnect::new()
            .min_delay(Duration::from_millis(100))
            .max_delay(Duration::from_secs(10))
            .jitter(0.0);
        let asked = |secs| Some(Duration::from_secs(secs));
        assert_eq!(policy.delay_after(1, 0.0, asked(2)), Duration::from_secs(2));
        assert_eq!(
            policy.delay_after(1, 0.0, asked(60)),
            Duration::from_secs(10)
        );
        assert_eq!(
            policy.delay_after(1, 0.0, asked(0)),
            Duration::from_millis(100)
        );
        assert_eq!(policy.delay_after(1, 0.0, None), Duration::from_millis(100));
    }

    #[test]
    fn attempts_are_bounded_when_asked() {
        assert!(Reconnect::new().allows(1_000_000));
        let three = Reconnect::new().max_attempts(Some(3));
        assert!(three.allows(3) && !three.allows(4));
    }

    #[test]
    fn bad_policies_are_invalid() {
        for policy in [
            Reconnect::new()
                .min_delay(Duration::from_secs(2))
                .max_delay(Duration::from_secs(1)),
            Reconnect::new().factor(0.5),
            Reconnect::new().factor(f64::NAN),
            Reconnect::new().jitter(1.5),
            Reconnect::new().max_attempts(Some(0)),
        ] {
            assert!(policy.validate().is_err(), "{policy:?}");
        }
        assert!(Reconnect::new().validate().is_ok());
    }

    #[test]
    fn refusals_are_final_and_losses_are_retried() {
        let refused = |status| Error::Handshake(Box::new(HandshakeFailure::new(Some(status), "")));
        assert!(!is_retryable(&refused(404)));
        assert!(!is_retryable(&Error::Tls(crate::error::detail(
            "untrusted"
        ))));
        assert!(!is_retryable(&Error::AccessDenied("no".into())));
        assert!(is_retryable(&refused(503)));
        assert!(is_retryable(&refused(429)), "too many requests: try later");
        assert!(is_retryable(&refused(408)), "request timeout: try later");
        assert!(is_retryable(&Error::ConnectRefused("x".into())));
        assert!(is_retryable(&Error::Timeout(Timeout::Pong)));
        assert!(is_retryable(&Error::closed(1006, "lost")));
        assert!(!Reconnect::new().retries_close(1000));
        assert!(!Reconnect::new().retries_close(1005));
        assert!(Reconnect::new().retries_close(1001));
        assert!(Reconnect::new()
            .after_normal_close(true)
            .retries_close(1000));
    }
}
