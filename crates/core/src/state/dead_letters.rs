//! Dead letters: deals recorded `rejected` or `failed`, for `failed` and
//! `retry-failed`.

use super::deals::record;
use super::{DealRecord, StateStore};
use crate::{Error, Result};
use rusqlite::params;

/// A rejected or failed deal with the source it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The source's name.
    pub source: String,
    /// The deal's row.
    pub record: DealRecord,
}

impl StateStore {
    /// Every rejected or failed deal, of one source or of all, by source and
    /// then oldest change first.
    pub fn dead_letters(&self, source: Option<&str>) -> Result<Vec<DeadLetter>> {
        let conn = self.conn()?;
        // The columns `record` reads, then the source.
        let mut stmt = conn.prepare_cached(
            "SELECT deal_id, outcome, lead_id, attempts, last_error, deal_created_at, updated_at, source
             FROM deals WHERE outcome IN ('rejected', 'failed') AND (?1 IS NULL OR source = ?1)
             ORDER BY source, updated_at, deal_id",
        )?;
        let rows = stmt.query_map(params![source], |row| {
            let source: String = row.get(7)?;
            Ok(record(row)?.map(|record| DeadLetter { source, record }))
        })?;
        rows.map(|r| r.map_err(Error::from).and_then(|r| r))
            .collect()
    }
}
