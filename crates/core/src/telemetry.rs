//! Metrics, through the `metrics` facade: nothing is recorded until a
//! program installs a recorder (the CLI does with `--metrics-addr`), and
//! then every HTTP request of every connector and of the Liner client is
//! counted here, in one place, by the system it went to.
//!
//! Every name starts with `liner_sync_`.

use crate::engine::{PassEvents, SourceReport};
use chrono::{DateTime, Utc};
use metrics::{counter, gauge, histogram};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Deals read from a CRM (`source`), already-handled ones included.
pub const DEALS_FETCHED: &str = "liner_sync_deals_fetched_total";
/// Deals skipped because the state already has them (`source`).
pub const DEALS_SKIPPED: &str = "liner_sync_deals_skipped_total";
/// Leads Liner accepted (`source`).
pub const LEADS_SENT: &str = "liner_sync_leads_sent_total";
/// Deals rejected: no valid phone, or Liner refused the lead (`source`).
pub const DEALS_REJECTED: &str = "liner_sync_deals_rejected_total";
/// Submissions that failed temporarily (`source`).
pub const DEALS_FAILED: &str = "liner_sync_deals_failed_total";
/// Finished passes (`source`, `result` = `complete` | `incomplete`).
pub const PASSES: &str = "liner_sync_passes_total";
/// HTTP requests (`target` = `liner`, `bitrix24`, …; `status` = `2xx` … `5xx`
/// or `error` when no reply came).
pub const HTTP_REQUESTS: &str = "liner_sync_http_requests_total";
/// Attempts retried after a temporary error (`target`).
pub const RETRIES: &str = "liner_sync_retries_total";
/// Requests that waited for the client-side rate limit (`target`).
pub const RATE_LIMIT_WAITS: &str = "liner_sync_rate_limit_waits_total";
/// How long requests waited for the client-side rate limit (`target`; a
/// summary: `_sum` is the time in all).
pub const RATE_LIMIT_WAIT_SECONDS: &str = "liner_sync_rate_limit_wait_seconds";
/// Unix time the last complete pass of a source finished (`source`).
pub const LAST_SUCCESS: &str = "liner_sync_last_success_timestamp_seconds";
/// Seconds since the start of the last complete pass (`source`): every deal
/// created before then has been read and has a final outcome.
pub const CURSOR_LAG: &str = "liner_sync_cursor_lag_seconds";

/// One HTTP exchange ended: `status` is `None` when no reply came.
pub(crate) fn http_request(target: &'static str, status: Option<u16>) {
    counter!(HTTP_REQUESTS, "target" => target, "status" => status_class(status)).increment(1);
}

/// `2xx` for 200 and the like; `error` when no (valid) status came back.
fn status_class(status: Option<u16>) -> &'static str {
    match status {
        Some(code @ 100..=599) => ["1xx", "2xx", "3xx", "4xx", "5xx"][usize::from(code / 100 - 1)],
        Some(_) | None => "error",
    }
}

/// An attempt is about to be retried.
pub(crate) fn retry(target: &'static str) {
    counter!(RETRIES, "target" => target).increment(1);
}

/// A request waited `waited` for a rate-limit token.
pub(crate) fn rate_limit_wait(target: &'static str, waited: Duration) {
    counter!(RATE_LIMIT_WAITS, "target" => target).increment(1);
    histogram!(RATE_LIMIT_WAIT_SECONDS, "target" => target).record(waited.as_secs_f64());
}

/// Pass events as metrics, and the cursor lag of every source.
#[derive(Default)]
pub struct MetricEvents {
    /// Per source, the start of its last complete live pass.
    caught_up: Mutex<BTreeMap<String, DateTime<Utc>>>,
}

impl MetricEvents {
    /// Sets every source's [`CURSOR_LAG`] to its age now (call before
    /// rendering, so the figure is current).
    pub fn refresh_lag(&self) {
        let now = Utc::now();
        if let Ok(caught_up) = self.caught_up.lock() {
            for (source, at) in caught_up.iter() {
                let lag = (now - *at).num_milliseconds().max(0) as f64 / 1000.0;
                gauge!(CURSOR_LAG, "source" => source.clone()).set(lag);
            }
        }
    }
}

impl PassEvents for MetricEvents {
    fn page_read(&self, source: &str, deals: usize) {
        counter!(DEALS_FETCHED, "source" => source.to_owned()).increment(deals as u64);
    }
    fn deals_skipped(&self, source: &str, count: usize) {
        counter!(DEALS_SKIPPED, "source" => source.to_owned()).increment(count as u64);
    }
    fn lead_sent(&self, source: &str, _deal_id: &str) {
        counter!(LEADS_SENT, "source" => source.to_owned()).increment(1);
    }
    fn deal_rejected(&self, source: &str, _deal_id: &str, _reason: &str) {
        counter!(DEALS_REJECTED, "source" => source.to_owned()).increment(1);
    }
    fn submission_failed(&self, source: &str, _deal_id: &str, _error: &str) {
        counter!(DEALS_FAILED, "source" => source.to_owned()).increment(1);
    }
    fn pass_finished(&self, key: &str, report: &SourceReport, complete: bool) {
        let result = if complete { "complete" } else { "incomplete" };
        counter!(PASSES, "source" => report.name.clone(), "result" => result).increment(1);
        if !complete || key != report.name {
            return;
        }
        gauge!(LAST_SUCCESS, "source" => report.name.clone()).set(Utc::now().timestamp() as f64);
        if let Ok(mut caught_up) = self.caught_up.lock() {
            caught_up.insert(report.name.clone(), report.started_at);
        }
        self.refresh_lag();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_fall_into_their_classes() {
        let cases = [
            (Some(200), "2xx"),
            (Some(204), "2xx"),
            (Some(302), "3xx"),
            (Some(429), "4xx"),
            (Some(503), "5xx"),
            (Some(101), "1xx"),
            (Some(600), "error"),
            (Some(42), "error"),
            (None, "error"),
        ];
        for (status, class) in cases {
            assert_eq!(status_class(status), class, "{status:?}");
        }
    }
}
