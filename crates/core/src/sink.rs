//! Where leads go: Liner in production, anything in tests.

use crate::{Lead, Result};
use async_trait::async_trait;

/// What the sink reports for an accepted lead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Receipt {
    /// The lead id, when the sink returns one (Liner `mode: sync`).
    pub lead_id: Option<String>,
}

/// Delivers leads. Implementations own their own rate limit, retries and
/// timeouts; an `Err` is final for this attempt and its kind decides what the
/// engine records: `Rejected` → rejected, `Auth` → stop the run, temporary →
/// left for the next pass.
#[async_trait]
pub trait LeadSink: Send + Sync {
    /// Submits one lead.
    async fn submit(&self, lead: &Lead) -> Result<Receipt>;

    /// The rate limit a submission waits for before it starts, if the sink has
    /// one. The engine takes this token itself, before it records the deal
    /// `pending`, so a stop cancels submissions still waiting for their turn
    /// without recording or sending anything; `submit` then must not charge
    /// its first attempt again (see `RetryPolicy::run_admitted`).
    fn admission(&self) -> Option<&crate::http::Limiter> {
        None
    }
}
