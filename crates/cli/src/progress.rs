//! Progress of a long pass (a backfill): a bar with counts, rate and ETA on a
//! terminal, a plain log line every few seconds otherwise.
//!
//! How far a backfill has got is measured in the window's time: deals come
//! oldest first, so the creation time of the newest deal read, against the
//! window, is the share done. CRMs give no total count to measure by.

use crate::logging;
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use liner_sync_core::engine::PassEvents;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How often the plain form logs a line.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// Counts of a pass as it goes, shown as a bar or as log lines.
pub struct Progress {
    from: i64,
    until: i64,
    started: Instant,
    newest: AtomicI64,
    fetched: AtomicU64,
    sent: AtomicU64,
    skipped: AtomicU64,
    rejected: AtomicU64,
    failed: AtomicU64,
    bar: Option<ProgressBar>,
    last_line: Mutex<Instant>,
}

impl Progress {
    /// Progress over `[from, until)`; a bar when `bar` (stderr is a terminal).
    pub fn new(from: DateTime<Utc>, until: DateTime<Utc>, bar: bool) -> Self {
        let (from, until) = (
            from.timestamp(),
            until.timestamp().max(from.timestamp() + 1),
        );
        let bar = bar.then(|| {
            let bar = ProgressBar::new(u64::try_from(until - from).unwrap_or(1));
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% eta {eta} {msg}",
            ) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            logging::show_progress_bar(Some(bar.clone()));
            bar
        });
        Self {
            from,
            until,
            started: Instant::now(),
            newest: AtomicI64::new(from),
            fetched: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            bar,
            last_line: Mutex::new(Instant::now()),
        }
    }

    /// Removes the bar (the summary follows).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
            logging::show_progress_bar(None);
        }
    }

    fn counts(&self) -> String {
        let fetched = self.fetched.load(Ordering::Relaxed);
        let rate = fetched as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        format!(
            "fetched {fetched} ({rate:.1}/s) · sent {} · skipped {} · rejected {} · failed {}",
            self.sent.load(Ordering::Relaxed),
            self.skipped.load(Ordering::Relaxed),
            self.rejected.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }

    /// The share of the window done, 0 to 1.
    fn done(&self) -> f64 {
        let newest = self.newest.load(Ordering::Relaxed);
        ((newest - self.from) as f64 / (self.until - self.from) as f64).clamp(0.0, 1.0)
    }

    fn show(&self) {
        if let Some(bar) = &self.bar {
            let newest = self.newest.load(Ordering::Relaxed);
            bar.set_position(u64::try_from(newest - self.from).unwrap_or(0));
            bar.set_message(self.counts());
            return;
        }
        let Ok(mut last) = self.last_line.lock() else {
            return;
        };
        if last.elapsed() < LOG_EVERY {
            return;
        }
        *last = Instant::now();
        let done = self.done();
        let elapsed = self.started.elapsed().as_secs_f64();
        let eta = (done > 0.0).then(|| Duration::from_secs_f64(elapsed * (1.0 - done) / done));
        tracing::info!(
            percent = format!("{:.1}", done * 100.0),
            eta_secs = eta.map(|e| e.as_secs()),
            "backfill progress: {}",
            self.counts()
        );
    }

    fn add(&self, counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
        self.show();
    }
}

impl PassEvents for Progress {
    fn page_read(&self, _source: &str, deals: usize) {
        self.add(&self.fetched, deals);
    }
    fn deal_read(&self, _source: &str, created_at: DateTime<Utc>) {
        self.newest
            .fetch_max(created_at.timestamp(), Ordering::Relaxed);
    }
    fn deals_skipped(&self, _source: &str, count: usize) {
        self.add(&self.skipped, count);
    }
    fn lead_sent(&self, _source: &str, _deal_id: &str) {
        self.add(&self.sent, 1);
    }
    fn deal_rejected(&self, _source: &str, _deal_id: &str, _reason: &str) {
        self.add(&self.rejected, 1);
    }
    fn submission_failed(&self, _source: &str, _deal_id: &str, _error: &str) {
        self.add(&self.failed, 1);
    }
}
