//! Sending deals again that the state holds as rejected or failed (dead
//! letters), after reading them afresh from the CRM: the same mapping and
//! submission path as a pass, so state rows go `pending` → final as usual.

use super::submit::Ready;
use super::{Engine, PassReport, SourceJob, SourceReport, StopReason};
use crate::Deal;
use crate::mapping::Mapped;
use std::sync::Arc;

impl Engine {
    /// Maps each of `deals` (read again from `job`'s CRM) and submits its
    /// lead, one at a time. A deal that still cannot become a lead is
    /// recorded rejected with its new reason. The cursor is not touched.
    pub async fn redrive(&self, job: &SourceJob, deals: Vec<Deal>) -> PassReport {
        let stop = self.stop.child();
        let submitter = self.submitter(&stop);
        let name = job.source.name();
        let mut report = SourceReport::new(name, job.source.kind());
        for deal in deals {
            if stop.is_stopped() {
                break;
            }
            report.fetched += 1;
            match job.mapper.map(&deal) {
                Mapped::Rejected(reason) => {
                    if let Err(e) = submitter.reject(name, &deal, &reason) {
                        stop.stop(StopReason::State(e.to_string()));
                        break;
                    }
                    report.count_rejection(&reason);
                }
                Mapped::Lead(lead) => {
                    let ready = Ready {
                        source: Arc::from(name),
                        deal_id: deal.id,
                        created_at: deal.created_at,
                        lead: *lead,
                    };
                    submitter.submit(ready).await.tally(&mut report);
                }
            }
        }
        PassReport {
            sources: vec![report],
            stop: stop.reason(),
        }
    }
}
