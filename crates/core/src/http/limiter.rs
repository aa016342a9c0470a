//! Client-side request-rate limits (GCRA via `governor`).

use crate::config::Rate;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How late a waiting request may be woken (the timer's resolution is a
/// millisecond, and a busy runtime adds to it) and still make up for it.
const LATE_WAKE_ALLOWANCE: Duration = Duration::from_millis(5);

/// The smallest burst for requests `period` apart: one, plus as many as fit
/// in [`LATE_WAKE_ALLOWANCE`]. With a burst of one, every late wake-up is
/// time lost for good, which at 1000/s costs over a tenth of the rate; this
/// lets the limiter catch up, and lets through at most 5 ms of requests early.
fn catch_up_burst(period: Duration) -> NonZeroU32 {
    let extra = LATE_WAKE_ALLOWANCE.as_nanos() / period.as_nanos().max(1);
    NonZeroU32::new(u32::try_from(extra).unwrap_or(u32::MAX).saturating_add(1))
        .unwrap_or(NonZeroU32::MIN)
}

/// A shared request-rate limit. Every attempt, retries included, takes a token.
#[derive(Clone)]
pub struct Limiter {
    inner: Option<Arc<DefaultDirectRateLimiter>>,
    target: &'static str,
    waits: Arc<AtomicU64>,
    waited_micros: Arc<AtomicU64>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("limited", &self.inner.is_some())
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Limiter {
    /// A limiter for `rate`, allowing `burst` requests at once (at least 1).
    /// Without a burst the limiter spaces requests evenly.
    pub fn new(rate: Rate, burst: Option<u32>) -> Self {
        let inner = match rate {
            Rate::Unlimited => None,
            Rate::Limited { count, per } => {
                let period = (per / count.get()).max(Duration::from_nanos(1));
                let burst = burst
                    .and_then(NonZeroU32::new)
                    .unwrap_or(NonZeroU32::MIN)
                    .max(catch_up_burst(period));
                Quota::with_period(period)
                    .map(|q| Arc::new(RateLimiter::direct(q.allow_burst(burst))))
            }
        };
        Self {
            inner,
            target: "unnamed",
            waits: Arc::default(),
            waited_micros: Arc::default(),
        }
    }

    /// Names the system the limit protects (`"liner"`, `"bitrix24"`), which
    /// labels its waits in the metrics.
    pub fn named(mut self, target: &'static str) -> Self {
        self.target = target;
        self
    }

    /// No limit at all.
    pub fn unlimited() -> Self {
        Self::new(Rate::Unlimited, None)
    }

    /// Waits until one more request is allowed.
    pub async fn acquire(&self) {
        let Some(limiter) = &self.inner else { return };
        if limiter.check().is_ok() {
            return;
        }
        let started = Instant::now();
        limiter.until_ready().await;
        let waited = started.elapsed();
        crate::telemetry::rate_limit_wait(self.target, waited);
        self.waits.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX);
        self.waited_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// How many requests had to wait for a token, and for how long in all.
    pub fn waits(&self) -> (u64, Duration) {
        (
            self.waits.load(Ordering::Relaxed),
            Duration::from_micros(self.waited_micros.load(Ordering::Relaxed)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spaces_requests_after_the_burst() {
        let limiter = Limiter::new(Rate::per_second(50).unwrap(), Some(5));
        let started = Instant::now();
        for _ in 0..15 {
            limiter.acquire().await;
        }
        // 5 at once, then 10 more at 50/s = 200 ms.
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(180), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
        assert_eq!(limiter.waits().0, 10);
    }

    #[test]
    fn fast_rates_get_a_burst_to_catch_up_late_wake_ups() {
        let burst_at =
            |per_second: u64| catch_up_burst(Duration::from_secs(1) / per_second as u32).get();
        assert_eq!(burst_at(2), 1);
        assert_eq!(burst_at(50), 1);
        assert_eq!(burst_at(199), 1);
        assert_eq!(burst_at(200), 2);
        assert_eq!(burst_at(1000), 6);
        assert_eq!(catch_up_burst(Duration::from_nanos(1)).get(), 5_000_001);
    }

    #[tokio::test]
    async fn unlimited_never_waits() {
        let limiter = Limiter::unlimited();
        for _ in 0..10_000 {
            limiter.acquire().await;
        }
        assert_eq!(limiter.waits().0, 0);
    }
}
