//! A short history of passes per source, for `status` and metrics.

use super::{StateStore, now};
use crate::Result;
use rusqlite::{OptionalExtension, params};

/// Passes kept per source; older ones are deleted.
const KEEP_PER_SOURCE: i64 = 200;

/// One finished pass over one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassRecord {
    /// When it started (RFC 3339 UTC).
    pub started_at: String,
    /// When it ended.
    pub finished_at: String,
    /// Deals read from the CRM.
    pub fetched: u64,
    /// Leads Liner accepted.
    pub sent: u64,
    /// Deals rejected.
    pub rejected: u64,
    /// Deals whose submission failed.
    pub failed: u64,
    /// Deals skipped as already handled.
    pub skipped: u64,
    /// Why the pass stopped early, if it did.
    pub error: Option<String>,
}

impl StateStore {
    /// Appends a finished pass (and trims the history).
    pub fn record_pass(&self, source: &str, pass: &PassRecord) -> Result<()> {
        let conn = self.conn()?;
        let as_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        conn.prepare_cached(
            "INSERT INTO passes (source, started_at, finished_at, fetched, sent, rejected, failed, skipped, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            source,
            pass.started_at,
            if pass.finished_at.is_empty() { now() } else { pass.finished_at.clone() },
            as_i64(pass.fetched),
            as_i64(pass.sent),
            as_i64(pass.rejected),
            as_i64(pass.failed),
            as_i64(pass.skipped),
            pass.error
        ])?;
        conn.prepare_cached(
            "DELETE FROM passes WHERE source = ?1 AND id <= (SELECT id FROM passes WHERE source = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
        )?
        .execute(params![source, KEEP_PER_SOURCE])?;
        Ok(())
    }

    /// The latest passes of `source`, newest first.
    pub fn passes(&self, source: &str, limit: usize) -> Result<Vec<PassRecord>> {
        self.passes_where(source, "", limit)
    }

    fn passes_where(&self, source: &str, condition: &str, limit: usize) -> Result<Vec<PassRecord>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT started_at, finished_at, fetched, sent, rejected, failed, skipped, error
             FROM passes WHERE source = ?1 {condition} ORDER BY id DESC LIMIT ?2"
        ))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![source, limit], |row| {
            Ok(PassRecord {
                started_at: row.get(0)?,
                finished_at: row.get(1)?,
                fetched: super::count(row, 2)?,
                sent: super::count(row, 3)?,
                rejected: super::count(row, 4)?,
                failed: super::count(row, 5)?,
                skipped: super::count(row, 6)?,
                error: row.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The latest complete pass of `key`: no error, no failed submission, so
    /// every deal created before it started had been read and settled.
    pub fn last_complete_pass(&self, key: &str) -> Result<Option<PassRecord>> {
        Ok(self
            .passes_where(key, "AND error IS NULL AND failed = 0", 1)?
            .pop())
    }

    /// When `source` last finished a pass without an error.
    pub fn last_clean_pass(&self, source: &str) -> Result<Option<String>> {
        Ok(self
            .conn()?
            .prepare_cached(
                "SELECT finished_at FROM passes WHERE source = ?1 AND error IS NULL ORDER BY id DESC LIMIT 1",
            )?
            .query_row(params![source], |row| row.get(0))
            .optional()?)
    }
}
