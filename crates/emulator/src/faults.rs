//! Fault knobs shared by every fake, and the per-request decision they lead to.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::lock::lock;
use crate::rng::SplitMix64;

/// Fault knobs, shared by every fake. All setters take `&self`, so a test can
/// flip them while the fake is serving.
#[derive(Debug)]
pub struct Faults {
    rng: Mutex<SplitMix64>,
    rates: Mutex<Rates>,
    latency: Mutex<Duration>,
    auth_broken: AtomicBool,
    forced: Mutex<VecDeque<u16>>,
    slow: Mutex<VecDeque<Duration>>,
    reject_with_200: AtomicBool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Rates {
    error: f64,
    html: f64,
    malformed: f64,
}

/// What the fault knobs decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// The system's authorisation error.
    AuthBroken,
    /// A status forced by [`Faults::fail_next`], with the system's matching body.
    Status(u16),
    /// The system's temporary error; `pick` chooses among its variants.
    Temporary {
        /// Random bits for choosing a variant.
        pick: u64,
    },
    /// An nginx-style HTML error page; `pick` chooses the status.
    Html {
        /// Random bits for choosing a status.
        pick: u64,
    },
    /// HTTP 200 with JSON cut short; `cut` chooses where.
    Malformed {
        /// Random bits for choosing the cut.
        cut: u64,
    },
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            rng: Mutex::new(SplitMix64::new(0)),
            rates: Mutex::new(Rates::default()),
            latency: Mutex::new(Duration::ZERO),
            auth_broken: AtomicBool::new(false),
            forced: Mutex::new(VecDeque::new()),
            slow: Mutex::new(VecDeque::new()),
            reject_with_200: AtomicBool::new(false),
        }
    }
}

impl Faults {
    /// Restarts the fault decisions from `seed`, so a run repeats exactly.
    pub fn set_seed(&self, seed: u64) {
        *lock(&self.rng) = SplitMix64::new(seed);
    }

    /// Fraction of requests that get the system's temporary error (Bitrix24:
    /// 503 `QUERY_LIMIT_EXCEEDED` or 500 `INTERNAL_SERVER_ERROR`; Liner: a
    /// 500/502/503 JSON envelope).
    pub fn set_error_rate(&self, rate: f64) {
        lock(&self.rates).error = clamp_rate(rate);
    }

    /// Fraction of requests answered with an nginx-style HTML error page.
    pub fn set_html_rate(&self, rate: f64) {
        lock(&self.rates).html = clamp_rate(rate);
    }

    /// Fraction of requests answered 200 with truncated, malformed JSON.
    pub fn set_malformed_rate(&self, rate: f64) {
        lock(&self.rates).malformed = clamp_rate(rate);
    }

    /// Delay added before every reply.
    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.latency) = latency;
    }

    /// When on, every request gets the system's authorisation error.
    pub fn set_auth_broken(&self, broken: bool) {
        self.auth_broken.store(broken, Ordering::SeqCst);
    }

    /// The next `n` requests get `status` with the system's matching error
    /// body. Calls queue up: `fail_next(1, 503)` then `fail_next(1, 429)`
    /// fails the next request with 503 and the one after with 429.
    pub fn fail_next(&self, n: usize, status: u16) {
        lock(&self.forced).extend(std::iter::repeat_n(status, n));
    }

    /// Liner only: the next `n` leads are accepted and then answered after
    /// `delay`, as when Liner stores a lead but its reply comes too late for
    /// the client's timeout. Calls queue up like [`Faults::fail_next`].
    pub fn slow_next(&self, n: usize, delay: Duration) {
        lock(&self.slow).extend(std::iter::repeat_n(delay, n));
    }

    /// The delay before the reply to the lead just accepted (zero when no
    /// [`Faults::slow_next`] is queued).
    pub(crate) fn take_slow(&self) -> Duration {
        lock(&self.slow).pop_front().unwrap_or_default()
    }

    /// Liner only: answer validation failures with HTTP 200 and
    /// `{"success":false,…}` instead of 400.
    pub fn set_reject_with_200(&self, on: bool) {
        self.reject_with_200.store(on, Ordering::SeqCst);
    }

    /// Whether validation failures are answered with HTTP 200.
    pub fn reject_with_200(&self) -> bool {
        self.reject_with_200.load(Ordering::SeqCst)
    }

    /// The delay to add before the next reply.
    pub fn latency(&self) -> Duration {
        *lock(&self.latency)
    }

    /// Decides the fate of one request: `None` lets it through. Broken auth
    /// wins over forced statuses, which win over the random rates.
    pub(crate) fn decide(&self) -> Option<Fault> {
        if self.auth_broken.load(Ordering::SeqCst) {
            return Some(Fault::AuthBroken);
        }
        if let Some(status) = lock(&self.forced).pop_front() {
            return Some(Fault::Status(status));
        }
        let rates = *lock(&self.rates);
        if rates.error + rates.html + rates.malformed <= 0.0 {
            return None;
        }
        let mut rng = lock(&self.rng);
        let roll = rng.next_f64();
        let pick = rng.next_u64();
        if roll < rates.error {
            Some(Fault::Temporary { pick })
        } else if roll < rates.error + rates.html {
            Some(Fault::Html { pick })
        } else if roll < rates.error + rates.html + rates.malformed {
            Some(Fault::Malformed { cut: pick })
        } else {
            None
        }
    }
}

fn clamp_rate(rate: f64) -> f64 {
    if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_by_default() {
        let f = Faults::default();
        assert!((0..100).all(|_| f.decide().is_none()));
    }

    #[test]
    fn forced_statuses_queue_in_order() {
        let f = Faults::default();
        f.fail_next(2, 503);
        f.fail_next(1, 429);
        assert_eq!(f.decide(), Some(Fault::Status(503)));
        assert_eq!(f.decide(), Some(Fault::Status(503)));
        assert_eq!(f.decide(), Some(Fault::Status(429)));
        assert_eq!(f.decide(), None);
    }

    #[test]
    fn slow_replies_queue_in_order_then_stop() {
        let f = Faults::default();
        f.slow_next(2, Duration::from_millis(5));
        f.slow_next(1, Duration::from_millis(7));
        let taken: Vec<_> = (0..4).map(|_| f.take_slow().as_millis()).collect();
        assert_eq!(taken, [5, 5, 7, 0]);
    }

    #[test]
    fn auth_beats_everything() {
        let f = Faults::default();
        f.fail_next(1, 503);
        f.set_auth_broken(true);
        assert_eq!(f.decide(), Some(Fault::AuthBroken));
        f.set_auth_broken(false);
        assert_eq!(f.decide(), Some(Fault::Status(503)));
    }

    #[test]
    fn rates_are_seeded_and_roughly_right() {
        let decide_all = |seed| {
            let f = Faults::default();
            f.set_seed(seed);
            f.set_error_rate(0.3);
            (0..1000).map(|_| f.decide()).collect::<Vec<_>>()
        };
        let a = decide_all(5);
        assert_eq!(a, decide_all(5));
        let errors = a.iter().filter(|d| d.is_some()).count();
        assert!((200..400).contains(&errors), "{errors}");
    }
}
