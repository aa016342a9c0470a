//! One lead's trip to the sink, with its state rows written around it.

use super::{PassEvents, SourceReport, Stop, StopReason};
use crate::state::{Outcome, StateStore};
use crate::{Deal, ErrorKind, Lead, LeadSink};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// What every submission of a pass shares.
pub(crate) struct Submitter {
    pub store: Arc<StateStore>,
    pub sink: Arc<dyn LeadSink>,
    pub events: Arc<dyn PassEvents>,
    pub stop: Stop,
    pub dry_run: bool,
    pub give_up_after: u32,
    pub failure_limit: u32,
    pub consecutive_failures: AtomicU32,
}

/// How one submission ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Submitted {
    Sent,
    Rejected(String),
    /// Failed temporarily; `Outcome::Pending` (tried again next pass) or
    /// `Outcome::Failed` (given up).
    Failed(Outcome),
    /// Not attempted, or its answer does not count (stop requested, bad
    /// credentials); nothing was recorded for it.
    Aborted,
}

impl Submitted {
    /// Adds this outcome to `report`; true when the deal's outcome is final.
    pub fn tally(&self, report: &mut SourceReport) -> bool {
        match self {
            Submitted::Sent => {
                report.sent += 1;
                true
            }
            Submitted::Rejected(reason) => {
                report.count_rejection(reason);
                true
            }
            Submitted::Failed(outcome) => {
                report.failed += 1;
                outcome.is_final()
            }
            Submitted::Aborted => false,
        }
    }
}

/// A deal whose lead is ready to go.
pub(crate) struct Ready {
    pub source: Arc<str>,
    pub deal_id: String,
    pub created_at: DateTime<Utc>,
    pub lead: Lead,
}

impl Submitter {
    /// Records a deal that cannot become a lead (no valid phone): final.
    pub fn reject(&self, source: &str, deal: &Deal, reason: &str) -> crate::Result<()> {
        if !self.dry_run {
            self.store
                .mark_rejected(source, &deal.id, deal.created_at, reason)?;
        }
        self.events.deal_rejected(source, &deal.id, reason);
        Ok(())
    }

    pub async fn submit(&self, ready: Ready) -> Submitted {
        if let Some(limiter) = self.sink.admission() {
            tokio::select! {
                biased;
                () = self.stop.stopped() => return Submitted::Aborted,
                () = limiter.acquire() => {}
            }
        }
        if self.stop.is_stopped() {
            return Submitted::Aborted;
        }
        let (source, id) = (&*ready.source, ready.deal_id.as_str());
        let first_attempt = if self.dry_run {
            true
        } else {
            match self.store.mark_pending(source, id, ready.created_at) {
                Ok(first) => first,
                Err(e) => {
                    self.stop
                        .stop(StopReason::State(self.store.explain(e).to_string()));
                    return Submitted::Aborted;
                }
            }
        };
        let result = self.sink.submit(&ready.lead).await;
        let recorded = match &result {
            Ok(receipt) => {
                self.consecutive_failures.store(0, Ordering::SeqCst);
                self.record(|s| s.mark_sent(source, id, receipt.lead_id.as_deref()))
                    .map(|()| Submitted::Sent)
            }
            Err(e) if e.kind() == ErrorKind::Rejected => {
                self.consecutive_failures.store(0, Ordering::SeqCst);
                let reason = e.to_string();
                self.record(|s| s.mark_rejected(source, id, ready.created_at, &reason))
                    .map(|()| Submitted::Rejected(reason))
            }
            Err(e) if e.stops_run() => {
                self.stop.stop(StopReason::from_fatal(e));
                self.record(|s| {
                    if first_attempt {
                        s.forget(source, id)
                    } else {
                        s.undo_attempt(source, id)
                    }
                })
                .map(|()| Submitted::Aborted)
            }
            Err(e) => {
                let failures = self.consecutive_failures.fetch_add(1, Ordering::SeqCst) + 1;
                if failures >= self.failure_limit {
                    self.stop.stop(StopReason::SinkUnavailable(format!(
                        "{failures} submissions in a row failed; last: {e}"
                    )));
                }
                let message = e.to_string();
                let outcome = if self.dry_run {
                    Ok(Outcome::Pending)
                } else {
                    self.store
                        .mark_attempt_failed(source, id, &message, self.give_up_after)
                };
                outcome
                    .map(Submitted::Failed)
                    .map_err(|e| self.store.explain(e).to_string())
            }
        };
        match recorded {
            Ok(submitted) => {
                match &submitted {
                    Submitted::Sent => self.events.lead_sent(source, id),
                    Submitted::Rejected(reason) => self.events.deal_rejected(source, id, reason),
                    Submitted::Failed(_) => {
                        if let Err(e) = &result {
                            self.events.submission_failed(source, id, &e.to_string());
                        }
                    }
                    Submitted::Aborted => {}
                }
                submitted
            }
            Err(why) => {
                self.stop.stop(StopReason::State(why));
                Submitted::Aborted
            }
        }
    }

    fn record(&self, write: impl FnOnce(&StateStore) -> crate::Result<()>) -> Result<(), String> {
        if self.dry_run {
            return Ok(());
        }
        write(&self.store).map_err(|e| self.store.explain(e).to_string())
    }
}
