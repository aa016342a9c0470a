//! Client-side request-rate limits (GCRA via `governor`).

use crate::config::Rate;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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
                let period = per / count.get();
                let burst = burst.and_then(NonZeroU32::new).unwrap_or(NonZeroU32::MIN);
                Quota::with_period(period.max(Duration::from_nanos(1)))
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

    #[tokio::test]
    async fn unlimited_never_waits() {
        let limiter = Limiter::unlimited();
        for _ in 0..10_000 {
            limiter.acquire().await;
        }
        assert_eq!(limiter.waits().0, 0);
    }
}
