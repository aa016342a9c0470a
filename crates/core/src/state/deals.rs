//! Per-deal outcomes.

use super::{StateStore, now};
use crate::{Error, Result, SeenDeals};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use std::fmt;

/// Where a deal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Submission started but not confirmed, or it failed temporarily and the
    /// next pass sends it again.
    Pending,
    /// Liner accepted the lead.
    Sent,
    /// The deal cannot become a lead (no valid phone) or Liner refused it.
    Rejected,
    /// Submission kept failing temporarily across passes and was given up;
    /// `retry-failed` re-sends it.
    Failed,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Sent => "sent",
            Outcome::Rejected => "rejected",
            Outcome::Failed => "failed",
        }
    }

    /// True when the deal needs no more work from a normal pass.
    pub fn is_final(self) -> bool {
        !matches!(self, Outcome::Pending)
    }

    fn parse(text: &str) -> Result<Self> {
        Ok(match text {
            "pending" => Outcome::Pending,
            "sent" => Outcome::Sent,
            "rejected" => Outcome::Rejected,
            "failed" => Outcome::Failed,
            other => {
                return Err(Error::state(format!(
                    "unknown outcome '{other}' in the state file"
                )));
            }
        })
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One deal's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealRecord {
    /// The deal id in the CRM.
    pub deal_id: String,
    /// Where it stands.
    pub outcome: Outcome,
    /// Liner's lead id (sync mode).
    pub lead_id: Option<String>,
    /// Submissions started so far.
    pub attempts: u32,
    /// Why it was rejected, or the last temporary error.
    pub last_error: Option<String>,
    /// When the deal was created in the CRM.
    pub deal_created_at: Option<String>,
    /// When this row was last written.
    pub updated_at: String,
}

/// Deals per outcome for one source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutcomeCounts {
    /// `pending` rows.
    pub pending: u64,
    /// `sent` rows.
    pub sent: u64,
    /// `rejected` rows.
    pub rejected: u64,
    /// `failed` rows.
    pub failed: u64,
}

impl StateStore {
    /// The outcome of one deal, if the state has it.
    pub fn outcome(&self, source: &str, deal_id: &str) -> Result<Option<Outcome>> {
        let text: Option<String> = self
            .conn()?
            .prepare_cached("SELECT outcome FROM deals WHERE source = ?1 AND deal_id = ?2")?
            .query_row(params![source, deal_id], |row| row.get(0))
            .optional()?;
        text.as_deref().map(Outcome::parse).transpose()
    }

    /// One deal's full row.
    pub fn deal(&self, source: &str, deal_id: &str) -> Result<Option<DealRecord>> {
        self.conn()?
            .prepare_cached(&format!(
                "{SELECT_RECORD} WHERE source = ?1 AND deal_id = ?2"
            ))?
            .query_row(params![source, deal_id], record)
            .optional()?
            .transpose()
    }

    /// Records that a submission is about to start. Returns true when the
    /// deal had no row before (so an auth failure can [`forget`](Self::forget) it).
    pub fn mark_pending(
        &self,
        source: &str,
        deal_id: &str,
        created_at: DateTime<Utc>,
    ) -> Result<bool> {
        let now = now();
        let created = created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let conn = self.conn()?;
        let inserted = conn
            .prepare_cached(
                "INSERT INTO deals (source, deal_id, outcome, attempts, deal_created_at, first_seen_at, updated_at)
                 VALUES (?1, ?2, 'pending', 1, ?3, ?4, ?4) ON CONFLICT DO NOTHING",
            )?
            .execute(params![source, deal_id, created, now])?;
        if inserted == 0 {
            conn.prepare_cached(
                "UPDATE deals SET outcome = 'pending', attempts = attempts + 1, updated_at = ?3
                 WHERE source = ?1 AND deal_id = ?2",
            )?
            .execute(params![source, deal_id, now])?;
        }
        Ok(inserted == 1)
    }

    /// Liner accepted the lead.
    pub fn mark_sent(&self, source: &str, deal_id: &str, lead_id: Option<&str>) -> Result<()> {
        self.conn()?
            .prepare_cached(
                "UPDATE deals SET outcome = 'sent', lead_id = ?3, last_error = NULL, updated_at = ?4
                 WHERE source = ?1 AND deal_id = ?2",
            )?
            .execute(params![source, deal_id, lead_id, now()])?;
        Ok(())
    }

    /// The deal cannot become a lead, or Liner refused it: final, with the reason.
    pub fn mark_rejected(
        &self,
        source: &str,
        deal_id: &str,
        created_at: DateTime<Utc>,
        reason: &str,
    ) -> Result<()> {
        let now = now();
        let created = created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        self.conn()?
            .prepare_cached(
                "INSERT INTO deals (source, deal_id, outcome, attempts, last_error, deal_created_at, first_seen_at, updated_at)
                 VALUES (?1, ?2, 'rejected', 0, ?3, ?4, ?5, ?5)
                 ON CONFLICT DO UPDATE SET outcome = 'rejected', last_error = excluded.last_error, updated_at = excluded.updated_at",
            )?
            .execute(params![source, deal_id, reason, created, now])?;
        Ok(())
    }

    /// A submission failed temporarily. The deal stays `pending` for the next
    /// pass, or becomes `failed` once `give_up_after` submissions have failed.
    pub fn mark_attempt_failed(
        &self,
        source: &str,
        deal_id: &str,
        error: &str,
        give_up_after: u32,
    ) -> Result<Outcome> {
        let outcome: String = self
            .conn()?
            .prepare_cached(
                "UPDATE deals SET last_error = ?3, updated_at = ?4,
                    outcome = CASE WHEN attempts >= ?5 THEN 'failed' ELSE 'pending' END
                 WHERE source = ?1 AND deal_id = ?2 RETURNING outcome",
            )?
            .query_row(
                params![source, deal_id, error, now(), give_up_after],
                |row| row.get(0),
            )?;
        Outcome::parse(&outcome)
    }

    /// Removes a row written by [`mark_pending`](Self::mark_pending) whose
    /// submission never got an answer that counts (bad credentials).
    pub fn forget(&self, source: &str, deal_id: &str) -> Result<()> {
        self.conn()?
            .prepare_cached(
                "DELETE FROM deals WHERE source = ?1 AND deal_id = ?2 AND outcome = 'pending'",
            )?
            .execute(params![source, deal_id])?;
        Ok(())
    }

    /// Undoes the attempt count of a submission that never got an answer that
    /// counts, leaving an older `pending` row as it was.
    pub fn undo_attempt(&self, source: &str, deal_id: &str) -> Result<()> {
        self.conn()?
            .prepare_cached(
                "UPDATE deals SET attempts = max(attempts - 1, 0) WHERE source = ?1 AND deal_id = ?2 AND outcome = 'pending'",
            )?
            .execute(params![source, deal_id])?;
        Ok(())
    }

    /// Deals per outcome for `source`.
    pub fn counts(&self, source: &str) -> Result<OutcomeCounts> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT outcome, count(*) FROM deals WHERE source = ?1 GROUP BY outcome",
        )?;
        let mut counts = OutcomeCounts::default();
        for row in stmt.query_map(params![source], |row| {
            Ok((row.get::<_, String>(0)?, super::count(row, 1)?))
        })? {
            let (outcome, n) = row?;
            match Outcome::parse(&outcome)? {
                Outcome::Pending => counts.pending = n,
                Outcome::Sent => counts.sent = n,
                Outcome::Rejected => counts.rejected = n,
                Outcome::Failed => counts.failed = n,
            }
        }
        Ok(counts)
    }

    /// The most recent deals of `source` with one of `outcomes`, newest first.
    pub fn recent(
        &self,
        source: &str,
        outcomes: &[Outcome],
        limit: usize,
    ) -> Result<Vec<DealRecord>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(&format!(
            "{SELECT_RECORD} WHERE source = ?1 AND instr(?2, ',' || outcome || ',') > 0
             ORDER BY updated_at DESC, deal_id DESC LIMIT ?3"
        ))?;
        let wanted = format!(
            ",{},",
            outcomes
                .iter()
                .map(|o| o.as_str())
                .collect::<Vec<_>>()
                .join(",")
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![source, wanted, limit], record)?;
        rows.map(|r| r.map_err(Error::from).and_then(|r| r))
            .collect()
    }

    /// A [`SeenDeals`] view of `source` for connectors.
    pub fn seen<'a>(&'a self, source: &'a str) -> SeenInState<'a> {
        SeenInState {
            store: self,
            source,
        }
    }
}

/// [`SeenDeals`] backed by the state file: a deal is handled once its outcome
/// is final. A read error counts as "not handled" (the engine re-checks).
pub struct SeenInState<'a> {
    store: &'a StateStore,
    source: &'a str,
}

impl SeenDeals for SeenInState<'_> {
    fn is_handled(&self, deal_id: &str) -> bool {
        matches!(self.store.outcome(self.source, deal_id), Ok(Some(o)) if o.is_final())
    }
}

const SELECT_RECORD: &str = "SELECT deal_id, outcome, lead_id, attempts, last_error, deal_created_at, updated_at FROM deals";

pub(super) fn record(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<DealRecord>> {
    let outcome: String = row.get(1)?;
    let deal_id = row.get(0)?;
    let lead_id = row.get(2)?;
    let attempts = row.get(3)?;
    let last_error = row.get(4)?;
    let deal_created_at = row.get(5)?;
    let updated_at = row.get(6)?;
    Ok(Outcome::parse(&outcome).map(|outcome| DealRecord {
        deal_id,
        outcome,
        lead_id,
        attempts,
        last_error,
        deal_created_at,
        updated_at,
    }))
}
