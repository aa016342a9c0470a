//! What a pass did, per source.

use super::StopReason;
use crate::{CrmKind, Cursor, Error, ErrorKind};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Counts and outcome of one pass over one source.
#[derive(Debug, Clone)]
pub struct SourceReport {
    /// The source's name.
    pub name: String,
    /// Its CRM.
    pub kind: CrmKind,
    /// Deals the CRM returned (already-handled ones included).
    pub fetched: u64,
    /// Deals skipped because the state already has a final outcome for them.
    pub skipped: u64,
    /// Leads Liner accepted.
    pub sent: u64,
    /// Deals rejected (no valid phone, or Liner refused the lead).
    pub rejected: u64,
    /// Submissions that failed temporarily; the deals are tried again.
    pub failed: u64,
    /// Deals found `pending` (a crash or a failure in an earlier pass) and sent again.
    pub resent: u64,
    /// Rejections by reason.
    pub rejections: BTreeMap<String, u64>,
    /// The cursor the pass started from.
    pub cursor_before: Option<Cursor>,
    /// The cursor committed at the end (`None`: unchanged).
    pub cursor_after: Option<Cursor>,
    /// First pass without `start_from`: the current position was recorded and nothing sent.
    pub started_from_now: bool,
    /// Why this source's pass ended early, if it did.
    pub error: Option<(ErrorKind, String)>,
    /// When the pass started.
    pub started_at: DateTime<Utc>,
}

impl SourceReport {
    /// An empty report for `name`.
    pub fn new(name: &str, kind: CrmKind) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            fetched: 0,
            skipped: 0,
            sent: 0,
            rejected: 0,
            failed: 0,
            resent: 0,
            rejections: BTreeMap::new(),
            cursor_before: None,
            cursor_after: None,
            started_from_now: false,
            error: None,
            started_at: Utc::now(),
        }
    }

    /// The one log line of a finished pass, with every count and the cursor
    /// it left (`key` names a backfill's window).
    pub fn log_finished(&self, key: &str) {
        let cursor = self.cursor_after.as_ref().or(self.cursor_before.as_ref());
        let cursor = cursor.map(ToString::to_string).unwrap_or_default();
        let rejections = self
            .rejections
            .iter()
            .map(|(reason, n)| format!("{reason}: {n}"))
            .collect::<Vec<_>>()
            .join("; ");
        let error = self.error.as_ref().map(|(_, m)| m.as_str());
        tracing::info!(
            source = %self.name,
            pass = %key,
            fetched = self.fetched,
            sent = self.sent,
            rejected = self.rejected,
            failed = self.failed,
            skipped = self.skipped,
            resent = self.resent,
            rejections = %rejections,
            cursor = %cursor,
            cursor_moved = self.cursor_after.is_some() && self.cursor_after != self.cursor_before,
            error = error,
            "pass finished"
        );
    }

    /// Records the error that ended this source's pass (the first one wins).
    pub fn fail(&mut self, error: &Error) {
        self.error
            .get_or_insert_with(|| (error.kind(), error.to_string()));
    }

    pub(crate) fn count_rejection(&mut self, reason: &str) {
        self.rejected += 1;
        *self.rejections.entry(reason_category(reason)).or_default() += 1;
    }
}

/// The part of a rejection reason that groups like ones: the text before the
/// first quoted value (`no valid phone: "8 900": too few digits` → `no valid phone`).
pub fn reason_category(reason: &str) -> String {
    let cut = reason.find(": \"").unwrap_or(reason.len());
    let category: String = reason[..cut].chars().take(120).collect();
    category
}

/// What a whole pass did.
#[derive(Debug, Clone)]
pub struct PassReport {
    /// One report per source, in configuration order.
    pub sources: Vec<SourceReport>,
    /// Why the whole pass stopped early, if it did.
    pub stop: Option<StopReason>,
}

impl PassReport {
    /// Deals left for the next pass because a source or Liner failed.
    pub fn incomplete(&self) -> bool {
        self.stop.is_some()
            || self
                .sources
                .iter()
                .any(|s| s.error.is_some() || s.failed > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_reasons_group_without_their_values() {
        assert_eq!(
            reason_category("no valid phone: \"8 900\": too few digits (4)"),
            "no valid phone"
        );
        assert_eq!(
            reason_category("no valid phone: the deal has no contact"),
            "no valid phone: the deal has no contact"
        );
        assert_eq!(
            reason_category("liner: phone: invalid format"),
            "liner: phone: invalid format"
        );
    }
}
