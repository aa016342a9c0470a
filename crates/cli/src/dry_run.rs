//! `--dry-run`: leads printed as JSON lines instead of sent.

use async_trait::async_trait;
use liner_sync_core::engine::PassEvents;
use liner_sync_core::{Error, Lead, LeadSink, Receipt, Result};
use std::io::Write;

/// A sink that prints each lead body as one JSON line on stdout.
pub struct PrintLeads;

#[async_trait]
impl LeadSink for PrintLeads {
    async fn submit(&self, lead: &Lead) -> Result<Receipt> {
        let line = serde_json::to_string(lead)
            .map_err(|e| Error::internal(format!("cannot print a lead: {e}")))?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "{line}")
            .map_err(|e| Error::internal(format!("cannot write to stdout: {e}")))?;
        Ok(Receipt::default())
    }
}

/// Tells on stderr which deals a real run would reject.
pub struct ReportRejections;

impl PassEvents for ReportRejections {
    fn deal_rejected(&self, source: &str, deal_id: &str, reason: &str) {
        eprintln!("{source}: deal {deal_id} would be rejected: {reason}");
    }
}
