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
use liner_sync_core::http::Reply;
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
        self.page(&reply, position, progress, seen)
    }

    /// The page a list reply (one that carries no error) holds: its new
    /// deals, the cursor, and where the next request starts.
    fn page(
        &self,
        reply: &Reply,
        position: &Position,
        progress: Progress,
        seen: &dyn SeenDeals,
    ) -> Result<Page> {
        let number = progress.pages + 1;
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
            .map_err(|why| error::unreadable_records(reply, self.records.as_str(), &why))?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MacroConfig;
    use chrono::DateTime;
    use liner_sync_core::config::Secret;
    use liner_sync_core::records::{PageState, SinceFormat};
    use liner_sync_core::{NothingSeen, SourceContext};
    use proptest::prelude::*;
    use serde_json::json;

    /// One source per paging style (and a created-from filter), built once.
    fn sources() -> &'static [MacroSource] {
        static SOURCES: std::sync::OnceLock<Vec<MacroSource>> = std::sync::OnceLock::new();
        SOURCES.get_or_init(|| {
            let styles = [
                json!({"style": "none"}),
                json!({"style": "page_limit", "limit": 2}),
                json!({"style": "offset_limit", "limit": 2}),
                json!({"style": "since", "param": "from", "limit_param": "limit", "limit": 2}),
                json!({"style": "since", "param": "from", "format": "local"}),
                json!({"style": "since", "param": "from", "format": "rfc3339", "limit_param": "n", "limit": 1}),
                json!({"style": "page_limit", "limit": 1, "first_page": 0}),
            ];
            let context = SourceContext {
                vault: std::sync::Arc::new(
                    liner_sync_core::state::StateStore::in_memory().unwrap(),
                ),
            };
            styles
                .into_iter()
                .enumerate()
                .map(|(i, paging)| {
                    let mut c = MacroConfig::new("https://api.macroserver.ru", "вашсайт.рф", Secret::new("s3cret"));
                    c.paging = serde_json::from_value(paging).unwrap();
                    if i == 6 {
                        c.created_from_param = Some("created_from".into());
                        c.created_from_format = SinceFormat::Unix;
                    }
                    MacroSource::new("macro", c, &context).unwrap()
                })
                .collect()
        })
    }

    /// A list reply as the assumed API sends it, with wrong types in it.
    fn list_reply() -> impl Strategy<Value = Vec<u8>> {
        let template = json!({"success": true, "data": [
            {"id": 1, "created_at": "2026-11-02 09:00:00", "title": "2к", "status_id": 5,
             "contacts": [{"name": "Иван", "phones": ["8 900 123-45-67"], "telegram": "@ivan"}]},
            {"id": "2", "created_at": 1_793_599_200, "phones": "8 900 000-00-01"},
            {"id": 3, "created_at": "2026-11-02T06:00:00Z", "utm_source": "yandex"},
            {"id": 4, "created_at": "2026-11-02 09:00:00"}
        ]});
        prop_oneof![
            3 => crate::testing::mutated(template)
                .prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
            1 => crate::testing::body(),
        ]
    }

    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        prop_oneof![
            3 => (1_700_000_000i64..1_900_000_000)
                .prop_map(|s| DateTime::from_timestamp(s, 0).unwrap_or_default()),
            1 => Just(DateTime::<Utc>::MIN_UTC),
            1 => Just(DateTime::<Utc>::MAX_UTC),
        ]
    }

    /// Where a pass may be: its first page, or any later one.
    fn progress() -> impl Strategy<Value = Option<Progress>> {
        let later = (
            (any::<u64>(), any::<u64>(), proptest::option::of(instant())),
            0u64..5,
            proptest::option::of(instant()),
            proptest::option::of(any::<u64>()),
            proptest::collection::vec("[1-4]", 0..3),
        )
            .prop_map(
                |((page, offset, since), pages, newest, previous, boundary)| Progress {
                    at: PageState {
                        page,
                        offset,
                        since,
                    },
                    pages,
                    newest,
                    previous,
                    boundary,
                    unreadable: 0,
                },
            );
        proptest::option::of(later)
    }

    proptest! {
        #[test]
        fn any_reply_in_any_paging_style_is_a_page_or_an_error(
            which in any::<proptest::sample::Index>(),
            status in liner_sync_core::testing::status(),
            body in list_reply(),
            start in instant(),
            newest in proptest::option::of(instant()),
            progress in progress(),
        ) {
            let source = which.get(sources());
            let position = Position { start, newest };
            let progress = progress.unwrap_or_else(|| source.first_progress(&position));
            let pages = progress.pages;
            let _ = source.query(&position, &progress);
            // What the client does first: a reply that is an error never
            // reaches the records.
            let reply = liner_sync_core::testing::reply(status, body);
            let outcome = match error::parse_error(reply.status, &reply.body) {
                Some(e) => Err(e),
                None => source.page(&reply, &position, progress, &NothingSeen),
            };
            match outcome {
                Ok(page) => {
                    let cursor = Position::from_cursor(&page.cursor).unwrap();
                    prop_assert_eq!(cursor.start, position.start);
                    prop_assert!(cursor.newest >= position.newest);
                    prop_assert!(page.deals.iter().all(|d| d.created_at >= position.start));
                    if let Some(next) = &page.next {
                        let next = Progress::from_continuation(next).unwrap();
                        prop_assert_eq!(next.pages, pages + 1);
                        let _ = source.query(&position, &next);
                    }
                }
                Err(e) => {
                    prop_assert_eq!(e.target(), Some(TARGET));
                    prop_assert!(!e.message().is_empty() && !e.message().contains('\n'), "{}", e);
                }
            }
        }
    }
}
