//! Retrying temporary failures with exponential backoff, jitter and the
//! server's own `Retry-After`.
//!
//! Layer order, outermost first: rate limit → concurrency → retry → timeout →
//! HTTP. [`RetryPolicy::run`] takes a limiter token before every attempt, so
//! retries count against the rate limit, and callers put the timeout inside
//! `attempt`.

use super::Limiter;
use crate::{Error, Result};
use backon::{BackoffBuilder, ExponentialBuilder};
use std::future::Future;
use std::time::{Duration, Instant};

/// Whole milliseconds of `d`, for log fields.
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The `on_retry` every client passes to [`RetryPolicy::run`]: a warning that
/// `what` failed for `source` and how long the next try waits.
pub fn log_retry<'a>(source: &'a str, what: &'a str) -> impl FnMut(&Error, Duration) + 'a {
    move |err, wait| {
        tracing::warn!(source = %source, wait_ms = millis(wait), error = %err, "{what} failed, retrying");
    }
}

/// How long and how often to retry temporary errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included (at least 1).
    pub max_attempts: u32,
    /// The first backoff delay.
    pub min_delay: Duration,
    /// The longest backoff delay (a server's `Retry-After` may be longer).
    pub max_delay: Duration,
    /// No new attempt starts once this much time has passed since the first.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            min_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(15),
            max_elapsed: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or the policy is spent.
    /// `on_retry` sees each temporary error and the delay before the next try.
    pub async fn run<T, F, Fut>(
        &self,
        limiter: &Limiter,
        attempt: F,
        on_retry: impl FnMut(&Error, Duration),
    ) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.run_from(limiter, false, attempt, on_retry).await
    }

    /// Like [`run`](Self::run) for a caller that already took the limiter's
    /// token for the first attempt (the engine does, so that a stop can cancel
    /// a submission still waiting for its turn); retries take their own.
    pub async fn run_admitted<T, F, Fut>(
        &self,
        limiter: &Limiter,
        attempt: F,
        on_retry: impl FnMut(&Error, Duration),
    ) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        self.run_from(limiter, true, attempt, on_retry).await
    }

    async fn run_from<T, F, Fut>(
        &self,
        limiter: &Limiter,
        first_paid: bool,
        mut attempt: F,
        mut on_retry: impl FnMut(&Error, Duration),
    ) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let started = Instant::now();
        let mut backoff = ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_jitter()
            .without_max_times()
            .build();
        let mut number = 0;
        loop {
            number += 1;
            if number > 1 || !first_paid {
                limiter.acquire().await;
            }
            let err = match attempt(number).await {
                Ok(value) => return Ok(value),
                Err(err) if !err.is_temporary() => return Err(err),
                Err(err) => err,
            };
            let delay = backoff
                .next()
                .unwrap_or(self.max_delay)
                .max(err.retry_after().unwrap_or_default());
            if number >= self.max_attempts.max(1) || started.elapsed() + delay > self.max_elapsed {
                let spent = started.elapsed().as_secs();
                return Err(
                    err.context(format_args!("gave up after {number} attempts in {spent}s"))
                );
            }
            crate::telemetry::retry(err.target().unwrap_or("unknown"));
            on_retry(&err, delay);
            tokio::time::sleep(delay).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            min_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_elapsed: Duration::from_secs(10),
        }
    }

    #[tokio::test]
    async fn retries_temporary_errors_until_success() {
        let calls = AtomicU32::new(0);
        let mut retries = 0;
        let got = fast()
            .run(
                &Limiter::unlimited(),
                |n| {
                    calls.fetch_add(1, Ordering::SeqCst);
                    async move {
                        if n < 3 {
                            Err(Error::temporary("503"))
                        } else {
                            Ok(n)
                        }
                    }
                },
                |_, _| retries += 1,
            )
            .await;
        assert_eq!(got.unwrap(), 3);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(retries, 2);
    }

    #[tokio::test]
    async fn an_admitted_first_attempt_takes_no_second_token() {
        let limiter = Limiter::new(crate::config::Rate::per_second(1).unwrap(), Some(1));
        limiter.acquire().await;
        let got = fast()
            .run_admitted(&limiter, |n| async move { Ok::<_, Error>(n) }, |_, _| {})
            .await;
        assert_eq!(got.unwrap(), 1);
        assert_eq!(
            limiter.waits().0,
            0,
            "the first attempt was already paid for"
        );
    }

    #[tokio::test]
    async fn does_not_retry_permanent_errors() {
        let calls = AtomicU32::new(0);
        let err = fast()
            .run(
                &Limiter::unlimited(),
                |_| {
                    calls.fetch_add(1, Ordering::SeqCst);
                    async { Err::<(), _>(Error::rejected("bad phone")) }
                },
                |_, _| {},
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Rejected);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn gives_up_after_max_attempts_keeping_the_kind() {
        let err = fast()
            .run(
                &Limiter::unlimited(),
                |_| async { Err::<(), _>(Error::rate_limited("429")) },
                |_, _| {},
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert!(
            err.message().starts_with("gave up after 4 attempts"),
            "{err}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn honours_retry_after_longer_than_the_backoff() {
        let mut delays = Vec::new();
        let _ = fast()
            .run(
                &Limiter::unlimited(),
                |n| async move {
                    if n == 1 {
                        Err(Error::rate_limited("429").with_retry_after(Duration::from_secs(7)))
                    } else {
                        Ok(())
                    }
                },
                |_, d| delays.push(d),
            )
            .await;
        assert_eq!(delays, vec![Duration::from_secs(7)]);
    }

    #[tokio::test(start_paused = true)]
    async fn stops_when_the_next_wait_would_pass_max_elapsed() {
        let policy = RetryPolicy {
            max_elapsed: Duration::from_secs(5),
            ..fast()
        };
        let calls = AtomicU32::new(0);
        let err = policy
            .run(
                &Limiter::unlimited(),
                |_| {
                    calls.fetch_add(1, Ordering::SeqCst);
                    async {
                        Err::<(), _>(
                            Error::temporary("down").with_retry_after(Duration::from_secs(60)),
                        )
                    }
                },
                |_, _| {},
            )
            .await
            .unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(err.is_temporary());
    }
}
