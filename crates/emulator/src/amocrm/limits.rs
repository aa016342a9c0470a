//! The API's request limit: 7 requests a second, 429 above it, and a block
//! (403 on everything) after repeated violations.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::leaky_bucket::LeakyBucket;
use crate::lock::lock;

/// Requests a second the API allows.
const PER_SECOND: f64 = 7.0;
/// A 429 this long after the previous one starts a new count: a client that
/// waits out `retry_after` (1 s) is never blocked, one that keeps pushing is.
const PAUSE: Duration = Duration::from_secs(1);

/// What the limit says about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Let it through.
    Admit,
    /// 429; a request would be admitted after this long.
    TooMany(Duration),
    /// 403: the API is blocked.
    Blocked,
}

/// The limiter and the block it leads to.
#[derive(Debug)]
pub(crate) struct Limits {
    bucket: Option<LeakyBucket>,
    block_after: u32,
    violations: Mutex<Violations>,
    blocked: AtomicBool,
}

/// 429s with no pause between them.
#[derive(Debug, Default)]
struct Violations {
    count: u32,
    last: Option<Instant>,
}

impl Limits {
    /// Enforced or not; blocks after `block_after` 429s, each less than a
    /// second after the one before (admitted requests between them do not
    /// break the run).
    pub fn new(enforce: bool, block_after: u32) -> Self {
        Limits {
            bucket: enforce.then(|| LeakyBucket::new(PER_SECOND, PER_SECOND)),
            block_after,
            violations: Mutex::new(Violations::default()),
            blocked: AtomicBool::new(false),
        }
    }

    /// Counts one request.
    pub fn admit(&self) -> Verdict {
        if self.blocked.load(Ordering::SeqCst) {
            return Verdict::Blocked;
        }
        let Some(bucket) = &self.bucket else {
            return Verdict::Admit;
        };
        let Err(wait) = bucket.try_admit() else {
            return Verdict::Admit;
        };
        let mut violations = lock(&self.violations);
        let now = Instant::now();
        if violations
            .last
            .is_some_and(|last| now.duration_since(last) >= PAUSE)
        {
            violations.count = 0;
        }
        violations.last = Some(now);
        if violations.count >= self.block_after {
            self.blocked.store(true, Ordering::SeqCst);
            return Verdict::Blocked;
        }
        violations.count += 1;
        Verdict::TooMany(wait)
    }

    /// Lifts the block and forgets the violations.
    pub fn unblock(&self) {
        *lock(&self.violations) = Violations::default();
        self.blocked.store(false, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn burst_then_429s_then_the_block() {
        let limits = Limits::new(true, 3);
        assert!((0..7).all(|_| limits.admit() == Verdict::Admit));
        for _ in 0..3 {
            assert!(matches!(limits.admit(), Verdict::TooMany(_)));
        }
        assert_eq!(limits.admit(), Verdict::Blocked);
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(limits.admit(), Verdict::Blocked, "a pause does not lift it");
        limits.unblock();
        assert_eq!(limits.admit(), Verdict::Admit);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_resets_the_count_and_admitted_requests_do_not() {
        let limits = Limits::new(true, 3);
        assert!((0..7).all(|_| limits.admit() == Verdict::Admit));
        assert!(matches!(limits.admit(), Verdict::TooMany(_)));
        assert!(matches!(limits.admit(), Verdict::TooMany(_)));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!((0..7).all(|_| limits.admit() == Verdict::Admit));
        assert!(matches!(limits.admit(), Verdict::TooMany(_)), "a new run");
        tokio::time::advance(Duration::from_millis(150)).await;
        assert_eq!(limits.admit(), Verdict::Admit);
        assert!(matches!(limits.admit(), Verdict::TooMany(_)));
        assert!(matches!(limits.admit(), Verdict::TooMany(_)));
        assert_eq!(limits.admit(), Verdict::Blocked);
    }

    #[test]
    fn off_means_off() {
        let limits = Limits::new(false, 0);
        assert!((0..100).all(|_| limits.admit() == Verdict::Admit));
    }
}
