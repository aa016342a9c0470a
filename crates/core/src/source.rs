//! The trait every CRM connector implements.

use crate::auth::TokenVault;
use crate::{Continuation, CrmKind, Cursor, Deal, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// What every connector is given besides its own configuration.
#[derive(Clone)]
pub struct SourceContext {
    /// Where rotated OAuth tokens are saved (the state file).
    pub vault: Arc<dyn TokenVault>,
}

/// Where a source starts on its very first pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartFrom {
    /// Deals created at or after this instant are new.
    Date(DateTime<Utc>),
    /// Only deals created after the first pass are new; the first pass
    /// records the current position and sends nothing.
    Now,
}

/// What the engine should know about a source to drive it well.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Deals per page the CRM returns at most (Bitrix24: 50).
    pub page_size: usize,
    /// Pages are read by a monotonic key (an id), so a deal never moves
    /// between pages while a pass runs.
    pub keyset_paging: bool,
    /// [`CrmSource::deal`] can load one deal by id.
    pub fetch_by_id: bool,
}

/// Answers "has this deal already reached a final outcome?" from the state, so
/// a source can skip the extra requests (contacts, phones) for deals the
/// engine will skip anyway.
pub trait SeenDeals: Send + Sync {
    /// True when the deal needs no more work.
    fn is_handled(&self, deal_id: &str) -> bool;
}

/// A [`SeenDeals`] that knows nothing: every deal is new.
pub struct NothingSeen;

impl SeenDeals for NothingSeen {
    fn is_handled(&self, _deal_id: &str) -> bool {
        false
    }
}

/// One call to [`CrmSource::fetch`].
pub struct FetchRequest<'a> {
    /// The committed cursor this pass started from.
    pub cursor: &'a Cursor,
    /// `None` for the first page of a pass, else the previous page's `next`.
    pub continuation: Option<&'a Continuation>,
    /// Which deals are already handled.
    pub seen: &'a dyn SeenDeals,
    /// Deals created at or after this instant are outside the pass (a
    /// backfill window's end). Sources filter on it on the server when their
    /// API allows and may stop paging past it; the engine drops such deals
    /// either way.
    pub until: Option<DateTime<Utc>>,
}

/// One page of deals and where reading goes on from.
#[derive(Debug, Clone)]
pub struct Page {
    /// New deals, in the CRM's order. Deals `seen` reported handled may be left out.
    pub deals: Vec<Deal>,
    /// How many deals the source left out because `seen` reported them handled.
    pub skipped_seen: usize,
    /// The cursor to commit once every deal of this page, and of all pages
    /// before it in this pass, has a final outcome.
    pub cursor: Cursor,
    /// Where the next page starts; `None` when the pass has read everything.
    pub next: Option<Continuation>,
}

/// A CRM connector. Implementations own their API's auth, paging, rate limit,
/// retries and quirks; the engine sees only [`Deal`]s.
#[async_trait]
pub trait CrmSource: Send + Sync {
    /// The source's unique name from the configuration (`b24`).
    fn name(&self) -> &str;

    /// Which CRM this is; decides the lead's `externalId*` field.
    fn kind(&self) -> CrmKind;

    /// Paging and fetching facts the engine plans with.
    fn capabilities(&self) -> Capabilities;

    /// Checks that the CRM is reachable and the credentials work.
    async fn check(&self) -> Result<()>;

    /// The cursor a source starts from when the state has none.
    async fn initial_cursor(&self, start: StartFrom) -> Result<Cursor>;

    /// Reads the next page of deals after `request.cursor` / `request.continuation`.
    async fn fetch(&self, request: FetchRequest<'_>) -> Result<Page>;

    /// Loads one deal by id; `Ok(None)` when the CRM does not have it.
    async fn deal(&self, id: &str) -> Result<Option<Deal>>;
}
