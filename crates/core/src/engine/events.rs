//! Hooks for whoever watches a pass: the CLI's dry-run printer, progress, metrics.

/// Called as a pass goes. Every method has an empty default.
pub trait PassEvents: Send + Sync {
    /// A page of `deals` deals was read from `source`.
    fn page_read(&self, _source: &str, _deals: usize) {}
    /// Liner accepted the lead of a deal.
    fn lead_sent(&self, _source: &str, _deal_id: &str) {}
    /// A deal was rejected, with the reason.
    fn deal_rejected(&self, _source: &str, _deal_id: &str, _reason: &str) {}
    /// A submission failed temporarily.
    fn submission_failed(&self, _source: &str, _deal_id: &str, _error: &str) {}
}

/// Watches nothing.
pub struct NoEvents;

impl PassEvents for NoEvents {}
