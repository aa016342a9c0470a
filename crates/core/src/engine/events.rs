//! Hooks for whoever watches a pass: the CLI's dry-run printer, progress, metrics.

use super::SourceReport;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// Called as a pass goes. Every method has an empty default.
pub trait PassEvents: Send + Sync {
    /// A page was read from `source`: `deals` deals, the ones the source left
    /// out as already handled included.
    fn page_read(&self, _source: &str, _deals: usize) {}
    /// A deal created at `created_at` is being handled (for progress by time).
    fn deal_read(&self, _source: &str, _created_at: DateTime<Utc>) {}
    /// `count` deals were skipped because the state already has them.
    fn deals_skipped(&self, _source: &str, _count: usize) {}
    /// Liner accepted the lead of a deal.
    fn lead_sent(&self, _source: &str, _deal_id: &str) {}
    /// A deal was rejected, with the reason.
    fn deal_rejected(&self, _source: &str, _deal_id: &str, _reason: &str) {}
    /// A submission failed temporarily.
    fn submission_failed(&self, _source: &str, _deal_id: &str, _error: &str) {}
    /// A pass over one source ended; `key` is where it keeps its cursor (the
    /// source's name, or a backfill's key). `complete`: it read everything
    /// and every deal it read has a final outcome.
    fn pass_finished(&self, _key: &str, _report: &SourceReport, _complete: bool) {}
}

/// Watches nothing.
pub struct NoEvents;

impl PassEvents for NoEvents {}

/// Hands every event to each of several watchers, in order.
pub struct AllEvents(pub Vec<Arc<dyn PassEvents>>);

impl PassEvents for AllEvents {
    fn page_read(&self, source: &str, deals: usize) {
        self.0.iter().for_each(|e| e.page_read(source, deals));
    }
    fn deal_read(&self, source: &str, created_at: DateTime<Utc>) {
        self.0.iter().for_each(|e| e.deal_read(source, created_at));
    }
    fn deals_skipped(&self, source: &str, count: usize) {
        self.0.iter().for_each(|e| e.deals_skipped(source, count));
    }
    fn lead_sent(&self, source: &str, deal_id: &str) {
        self.0.iter().for_each(|e| e.lead_sent(source, deal_id));
    }
    fn deal_rejected(&self, source: &str, deal_id: &str, reason: &str) {
        self.0
            .iter()
            .for_each(|e| e.deal_rejected(source, deal_id, reason));
    }
    fn submission_failed(&self, source: &str, deal_id: &str, error: &str) {
        self.0
            .iter()
            .for_each(|e| e.submission_failed(source, deal_id, error));
    }
    fn pass_finished(&self, key: &str, report: &SourceReport, complete: bool) {
        self.0
            .iter()
            .for_each(|e| e.pass_finished(key, report, complete));
    }
}
