//! When `watch` runs a source's next pass: every `poll_interval`, or at the
//! times a `schedule:` cron expression names; later after failures.

use crate::config::SourceEntry;
use chrono::{DateTime, Local, Utc};
use std::time::Duration;

/// The longest backoff, as a multiple of the poll interval.
const BACKOFF_CAP: u32 = 10;

/// The wait after a failed pass of a cron-scheduled source, doubled per
/// failure in a row, before the next occurrence is looked up.
const CRON_BACKOFF: Duration = Duration::from_secs(60);

/// A source's timing.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// A pass this long after the previous one ended.
    Every(Duration),
    /// A pass at each time the expression names (local time).
    Cron(Box<croner::Cron>),
}

impl Schedule {
    /// The timing of a configured source.
    pub fn of(entry: &SourceEntry) -> Self {
        match &entry.schedule {
            Some(cron) => Schedule::Cron(Box::new(cron.clone())),
            None => Schedule::Every(entry.poll_interval),
        }
    }

    /// How long to wait before the first pass: none for an interval, the next
    /// occurrence for a cron expression.
    pub fn first(&self, now: DateTime<Utc>) -> Duration {
        match self {
            Schedule::Every(_) => Duration::ZERO,
            Schedule::Cron(cron) => until_next(cron, now, Duration::ZERO),
        }
    }

    /// How long to wait after a pass that ended at `now`, `failures` being
    /// the failed passes in a row (0 after a good one). Failures back off
    /// exponentially, up to ten poll intervals.
    pub fn next(&self, now: DateTime<Utc>, failures: u32) -> Duration {
        let doubled = |base: Duration| {
            let factor = 1u32 << failures.min(BACKOFF_CAP);
            base.saturating_mul(factor).min(base * BACKOFF_CAP)
        };
        match self {
            Schedule::Every(every) if failures == 0 => *every,
            Schedule::Every(every) => doubled(*every),
            Schedule::Cron(cron) if failures == 0 => until_next(cron, now, Duration::ZERO),
            Schedule::Cron(cron) => until_next(cron, now, doubled(CRON_BACKOFF / 2)),
        }
    }
}

/// The time from `now` to the first occurrence after `now + not_before`.
fn until_next(cron: &croner::Cron, now: DateTime<Utc>, not_before: Duration) -> Duration {
    let earliest = now + chrono::Duration::from_std(not_before).unwrap_or_default();
    let next = cron
        .find_next_occurrence(&earliest.with_timezone(&Local), false)
        .map(|t| t.with_timezone(&Utc));
    match next {
        Ok(next) => (next - now).to_std().unwrap_or_default(),
        // No occurrence (an impossible date): check again in a day.
        Err(_) => Duration::from_secs(24 * 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_back_off_exponentially_up_to_ten_times() {
        let every = Schedule::Every(Duration::from_secs(60));
        let now = Utc::now();
        let waits: Vec<u64> = (0..6).map(|f| every.next(now, f).as_secs()).collect();
        assert_eq!(waits, [60, 120, 240, 480, 600, 600]);
        assert_eq!(every.first(now), Duration::ZERO);
        assert_eq!(every.next(now, 40).as_secs(), 600, "no overflow");
    }

    #[test]
    fn cron_waits_for_the_next_occurrence_and_skips_some_after_failures() {
        let cron: croner::Cron = "*/5 * * * *".parse().unwrap();
        let schedule = Schedule::Cron(Box::new(cron));
        let now = Utc::now();
        let first = schedule.first(now);
        assert!(first <= Duration::from_secs(300), "{first:?}");
        let later = schedule.next(now, 3);
        assert!(later >= Duration::from_secs(240), "{later:?}");
        assert!(later <= Duration::from_secs(600), "{later:?}");
    }
}
