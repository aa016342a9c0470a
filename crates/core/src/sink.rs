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
}
