//! [`DomoplanerSource`]: the deals feed read once per pass, its new deals
//! handed out 500 at a time, phones from the leads API where the feed has
//! none.

use crate::config::DomoplanerConfig;
use crate::cursor::Start;
use crate::enrich::Enricher;
use crate::error::TARGET;
use crate::feed::Feed;
use crate::held::Held;
use crate::reader::{Fresh, Reader, Window};
use crate::scan::{self, Tally};
use async_trait::async_trait;
use chrono::Utc;
use liner_sync_core::{
    Capabilities, CrmKind, CrmSource, Cursor, Deal, Error, FetchRequest, Page, Result,
    SourceContext, StartFrom,
};
use std::fmt;
use tracing::{debug, info, warn};

/// New deals per page handed to the engine.
pub(crate) const PAGE_SIZE: usize = 500;

/// A Domoplaner account read through its deals feed.
pub struct DomoplanerSource {
    name: String,
    config: DomoplanerConfig,
    reader: Reader,
    feed: Feed,
    enricher: Option<Enricher>,
    held: Held,
}

impl DomoplanerSource {
    /// A source named `name`; fails when `config` does not validate. The
    /// feed needs no token vault, so `_context` is unused.
    pub fn new(name: &str, config: DomoplanerConfig, _context: &SourceContext) -> Result<Self> {
        let invalid = |m: String| Error::config(format!("source {name}: {m}")).with_target(TARGET);
        config.validate().map_err(invalid)?;
        let reader = Reader::new(&config).map_err(invalid)?;
        let feed = Feed::new(name, &config)?;
        let enricher = match &config.enrich {
            Some(enrich) => Some(Enricher::new(
                name,
                enrich,
                config.timeout.0,
                config.max_attempts,
            )?),
            None => None,
        };
        Ok(Self {
            name: name.to_owned(),
            config,
            reader,
            feed,
            enricher,
            held: Held::default(),
        })
    }

    fn failed(&self, err: Error) -> Error {
        err.context(format_args!("source {}", self.name))
    }

    fn records(&self) -> &str {
        self.reader.records.as_str()
    }

    /// Logs what a walk found, the unreadable records with their reasons.
    fn report(&self, tally: &Tally) {
        for reason in &tally.reasons {
            warn!(source = %self.name, "a feed record is not a deal, skipped: {reason}");
        }
        if tally.unreadable > tally.reasons.len() {
            warn!(
                source = %self.name,
                unreadable = tally.unreadable,
                "{} more feed records are not deals (reasons of the first {} above); check fields:",
                tally.unreadable - tally.reasons.len(),
                tally.reasons.len()
            );
        }
        debug!(
            source = %self.name,
            read = tally.read,
            outside_window = tally.outside,
            handled = tally.handled,
            unreadable = tally.unreadable,
            new = tally.fresh.len(),
            "walked the Domoplaner feed"
        );
    }

    /// Phones for the page's deals that have none, when `enrich:` is set.
    async fn enrich(&self, page: &mut [Fresh]) -> Result<()> {
        if let Some(enricher) = &self.enricher {
            let asked = enricher.fill(page).await?;
            debug!(source = %self.name, asked, "asked the leads API for phones");
        }
        Ok(())
    }
}

#[async_trait]
impl CrmSource for DomoplanerSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> CrmKind {
        CrmKind::Domoplaner
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            page_size: PAGE_SIZE,
            keyset_paging: false,
            // `deal` works, but reads the whole feed for one deal.
            fetch_by_id: false,
        }
    }

    async fn check(&self) -> Result<()> {
        self.check_feed().await.map_err(|e| self.failed(e))
    }

    async fn initial_cursor(&self, start: StartFrom) -> Result<Cursor> {
        let start = match start {
            StartFrom::Date(at) => at,
            StartFrom::Now => Utc::now(),
        };
        Start { start }.to_cursor().map_err(|e| self.failed(e))
    }

    async fn fetch(&self, request: FetchRequest<'_>) -> Result<Page> {
        self.read_page(request).await.map_err(|e| self.failed(e))
    }

    async fn deal(&self, id: &str) -> Result<Option<Deal>> {
        self.read_deal(id).await.map_err(|e| self.failed(e))
    }
}

impl DomoplanerSource {
    async fn read_page(&self, request: FetchRequest<'_>) -> Result<Page> {
        let window = Window {
            start: Start::from_cursor(request.cursor)?.start,
            until: request.until,
        };
        let (mut page, next, skipped_seen) = match request.continuation {
            None => {
                let seen = request.seen;
                let tally = self
                    .feed
                    .read(self.records(), |body| {
                        scan::new_deals(&self.reader, body, window, seen)
                    })
                    .await?;
                self.report(&tally);
                let (page, next) = self.held.start(tally.fresh, PAGE_SIZE)?;
                (page, next, tally.handled)
            }
            Some(continuation) => {
                let (page, next) = self.held.next(continuation, PAGE_SIZE)?;
                (page, next, 0)
            }
        };
        self.enrich(&mut page).await?;
        Ok(Page {
            deals: page.into_iter().map(|f| f.deal).collect(),
            skipped_seen,
            cursor: request.cursor.clone(),
            next,
        })
    }

    async fn check_feed(&self) -> Result<()> {
        let tally = self
            .feed
            .read(self.records(), |body| scan::census(&self.reader, body))
            .await?;
        self.report(&tally);
        if tally.read > 0 && tally.mapped() == 0 {
            let first = tally.reasons.first().map_or("", String::as_str);
            return Err(Error::invalid_data(format!(
                "the feed has {} records at '{}' and none of them is a deal ({first}); set \
                 fields: to the paths the feed really uses",
                tally.read,
                self.records()
            ))
            .with_target(TARGET));
        }
        info!(
            source = %self.name,
            read = tally.read,
            deals = tally.mapped(),
            unreadable = tally.unreadable,
            "the Domoplaner feed is readable"
        );
        if let (Some(enricher), Some(id)) = (&self.enricher, &tally.first_client) {
            enricher.card(id).await?;
        }
        Ok(())
    }

    /// The deal keyed `id`: one whole feed, plus the leads API if needed.
    async fn read_deal(&self, id: &str) -> Result<Option<Deal>> {
        let found = self
            .feed
            .read(self.records(), |body| scan::find(&self.reader, body, id))
            .await?;
        let Some(fresh) = found else {
            return Ok(None);
        };
        let mut one = [fresh];
        self.enrich(&mut one).await?;
        let [fresh] = one;
        Ok(Some(fresh.deal))
    }
}

impl fmt::Debug for DomoplanerSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DomoplanerSource")
            .field("name", &self.name)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
