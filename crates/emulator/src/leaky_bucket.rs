//! A leaky-bucket request limiter, the algorithm Bitrix24 documents and a
//! reasonable model of any server-side rate limit.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::lock::lock;

/// Each request adds one unit; the level drains at a constant rate; a request
/// that would overflow the capacity is refused and adds nothing.
#[derive(Debug)]
pub(crate) struct LeakyBucket {
    capacity: f64,
    drain_per_second: f64,
    state: Mutex<Level>,
}

#[derive(Debug)]
struct Level {
    units: f64,
    at: Instant,
}

impl LeakyBucket {
    /// A bucket holding `capacity` requests that drains `drain_per_second`.
    pub fn new(capacity: f64, drain_per_second: f64) -> Self {
        LeakyBucket {
            capacity: capacity.max(1.0),
            drain_per_second: drain_per_second.max(0.0),
            state: Mutex::new(Level {
                units: 0.0,
                at: Instant::now(),
            }),
        }
    }

    /// Admits one request, or says how long until one would be admitted.
    pub fn try_admit(&self) -> Result<(), Duration> {
        let mut level = lock(&self.state);
        let now = Instant::now();
        let drained = now.duration_since(level.at).as_secs_f64() * self.drain_per_second;
        level.units = (level.units - drained).max(0.0);
        level.at = now;
        if level.units + 1.0 <= self.capacity {
            level.units += 1.0;
            return Ok(());
        }
        let excess = level.units + 1.0 - self.capacity;
        if self.drain_per_second > 0.0 {
            Err(Duration::try_from_secs_f64(excess / self.drain_per_second)
                .unwrap_or(Duration::MAX))
        } else {
            Err(Duration::from_secs(3600))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn burst_then_drain() {
        let bucket = LeakyBucket::new(3.0, 2.0);
        assert!((0..3).all(|_| bucket.try_admit().is_ok()));
        let wait = bucket.try_admit().unwrap_err();
        assert_eq!(wait, Duration::from_millis(500));
        tokio::time::advance(Duration::from_millis(500)).await;
        assert!(bucket.try_admit().is_ok());
        assert!(bucket.try_admit().is_err());
    }
}
