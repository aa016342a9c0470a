//! [`MacroSource`]: the заявки (or сделки) list of MACRO's company data
//! API, page by page in the configured style; newness decided by the state.

use crate::client::Client;
use crate::config::MacroConfig;
use crate::cursor::Position;
use crate::error::{self, TARGET};
use crate::page::{Rules, Sorted};
use crate::progress::Progress;
use async_trait::async_trait;
use chrono::{Duration, Utc};
use liner_sync_core::records::{FieldMap, JsonPath, Moments, Paging, for_each_record};
use liner_sync_core::{
    Capabilities, Continuation, CrmKind, CrmSource, Cursor, Deal, Error, FetchRequest, Page,
    Result, SeenDeals, SourceContext, StartFrom,
};
use std::fmt;
use tracing::{debug, warn};

/// Records per page assumed when the paging style names no limit.
const UNLIMITED_PAGE: usize = 1000;

/// A MACRO account read through its company data API.
pub struct MacroSource {
    name: String,
    config: MacroConfig,
    client: Client,
    fields: FieldMap,
    records: JsonPath,
    moments: Moments,
    lookback: Duration,
}

impl MacroSource {
    /// A source named `name`; fails when `config` does not validate. MACRO
    /// signs with a fixed secret, so the context's token vault is not used.
    pub fn new(name: &str, config: MacroConfig, _context: &SourceContext) -> Result<Self> {
        let invalid = |m: String| Error::config(format!("source {name}: {m}")).with_target(TARGET);
        config.validate().map_err(invalid)?;
        let records = config.records_path().map_err(invalid)?;
        let client = Client::new(name, &config)?;
        Ok(Self {
            name: name.to_owned(),
            fields: config.field_map(),
            records,
            moments: Moments::new(config.timezone.0),
            lookback: Duration::from_std(config.lookback.0).unwrap_or(Duration::MAX),
            client,
            config,
        })
    }

    #[cfg(test)]
    pub(crate) fn with_client(mut self, client: impl FnOnce(Client) -> Client) -> Self {
        self.client = client(self.client);
        self
    }

    fn failed(&self, err: Error) -> Error {
        err.context(format_args!("source {}", self.name))
    }
}

#[async_trait]
impl CrmSource for MacroSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> CrmKind {
        CrmKind::Macrocrm
    }

    fn capabilities(&self) -> Capabilities {
        let page_size = match &self.config.paging {
            Paging::PageLimit { limit, .. } | Paging::OffsetLimit { limit, .. } => *limit as usize,
            Paging::Since {
                limit: Some(limit), ..
            } => *limit as usize,
            _ => UNLIMITED_PAGE,
        };
        Capabilities {
            page_size,
            keyset_paging: false,
            fetch_by_id: false,
        }
    }

    async fn check(&self) -> Result<()> {
        self.check_access().await.map_err(|e| self.failed(e))
    }

    async fn initial_cursor(&self, start: StartFrom) -> Result<Cursor> {
        let at = match start {
            StartFrom::Date(at) => at,
            StartFrom::Now => Utc::now(),
        };
        Position::starting(at).to_cursor()
    }

    async fn fetch(&self, request: FetchRequest<'_>) -> Result<Page> {
        let FetchRequest {
            cursor,
            continuation,
            seen,
            ..
        } = request;
        self.fetch_at(cursor, continuation, seen)
            .await
            .map_err(|e| self.failed(e))
    }

    async fn deal(&self, id: &str) -> Result<Option<Deal>> {
        Err(self.failed(
            Error::config(format!(
                "cannot load заявка {id} alone: MACRO's data API has no known call for one record"
            ))
            .with_target(TARGET),
        ))
    }
}

impl MacroSource {
    /// [`CrmSource::fetch`] with the request taken apart.
    pub(crate) async fn fetch_at(
        &self,
        cursor: &Cursor,
        continuation: Option<&Continuation>,
        seen: &dyn SeenDeals,
    ) -> Result<Page> {
        let position = Position::from_cursor(cursor)?;
        let progress = match continuation {
            Some(c) => Progress::from_continuation(c)?,
            None => self.first_progress(&position),
        };
        self.read_page(&position, progress, seen).await
    }

    /// The first request of a pass: since style starts at the window.
    fn first_progress(&self, position: &Position) -> Progress {
        let since = matches!(self.config.paging, Paging::Since { .. })
            .then(|| position.window_start(self.lookback));
        Progress::first(self.config.paging.first(since))
    }

    /// The parameters of the request at `progress`.
    fn query(&self, position: &Position, progress: &Progress) -> Vec<(String, String)> {
        let mut query = self.config.paging.query(&progress.at, &self.moments);
        if let Some(param) = &self.config.created_from_param {
            let from = position.window_start(self.lookback);
            query.push((
                param.clone(),
                self.config.created_from_format.write(from, &self.moments),
            ));
        }
        query
    }

    async fn check_access(&self) -> Result<()> {
        let position = Position::starting(Utc::now());
        let progress = self.first_progress(&position);
        let reply = self
            .client
            .list(&self.query(&position, &progress), "first page")
            .await?;
        for_each_record(&reply.body, &self.records, |_| {})
            .map_err(|why| error::unreadable_records(&reply, self.records.as_str(), &why))?;
        Ok(())
    }

    async fn read_page(
        &self,
        position: &Position,
        progress: Progress,
        seen: &dyn SeenDeals,
    ) -> Result<Page> {
        let number = progress.pages + 1;
        let reply = self
            .client
            .list(&self.query(position, &progress), &format!("page {number}"))
            .await?;
        let boundary = progress
            .at
            .since
            .map(|since| (since, progress.boundary.as_slice()));
        let mut page = Sorted::new(Rules {
            source: &self.name,
            fields: &self.fields,
            moments: &self.moments,
            start: position.start,
            seen,
            boundary,
        });
        let listed = for_each_record(&reply.body, &self.records, |record| page.take(record))
            .map_err(|why| error::unreadable_records(&reply, self.records.as_str(), &why))?;
        let digest = page.digest();
        if listed > 0 && progress.previous == Some(digest) {
            return Err(Error::invalid_data(format!(
                "page {number} repeats the records of page {}: the API ignores the paging \
                 parameters; set paging: to the style it supports (style: none when one request \
                 returns everything)",
                progress.pages
            ))
            .with_target(TARGET));
        }
        let next_at = self
            .config
            .paging
            .next(&progress.at, listed, page.newest)
            .map_err(|why| Error::invalid_data(format!("paging: {why}")).with_target(TARGET))?;
        let newest = progress.newest.max(page.newest);
        let unreadable = progress.unreadable + page.unreadable;
        // `newest` is committed only with the last page: pages may come in any
        // order, and an earlier page's newest could pass a record of a later
        // page that is not delivered yet.
        let cursor = match next_at {
            Some(_) => position.clone(),
            None => position.saw(newest, Utc::now()),
        }
        .to_cursor()?;
        debug!(
            source = %self.name,
            page = number,
            listed,
            new = page.deals.len(),
            skipped_seen = page.skipped_seen,
            before_start = page.before_start,
            unreadable = page.unreadable,
            last = next_at.is_none(),
            "read a page of MACRO records"
        );
        if next_at.is_none() && unreadable > 0 {
            warn!(
                source = %self.name,
                unreadable,
                "records of this pass could not be read and were skipped; adjust fields:"
            );
        }
        let next = match next_at {
            Some(at) => Some(
                Progress {
                    at,
                    pages: number,
                    newest,
                    previous: Some(digest),
                    boundary: page.at_newest.clone(),
                    unreadable,
                }
                .into_continuation()?,
            ),
            None => None,
        };
        Ok(Page {
            deals: page.deals,
            skipped_seen: page.skipped_seen,
            cursor,
            next,
        })
    }
}

impl fmt::Debug for MacroSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MacroSource")
            .field("name", &self.name)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
