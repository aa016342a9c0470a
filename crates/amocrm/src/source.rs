//! [`AmoSource`]: new leads in `created_at` order, and one contacts request
//! per page for the contacts its leads and the leads carried to it need.

use crate::api::{Api, leads_of};
use crate::backlog::Backlog;
use crate::client::Client;
use crate::config::AmoConfig;
use crate::contacts;
use crate::cursor::Position;
use crate::error::TARGET;
use crate::mapping::{self, MAX_TIME};
use crate::next_page::NextPage;
use crate::page::{Emitting, all_ids, assemble};
use crate::waiting::Waiting;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use liner_sync_core::{
    Capabilities, CrmKind, CrmSource, Cursor, Deal, Error, FetchRequest, Page, Result,
    SourceContext, StartFrom,
};
use serde_json::Value;
use std::collections::HashSet;
use std::fmt;
use tracing::debug;

/// The server's clock is trusted for the start of a source when it is within
/// this of the local one.
const CLOCK_TRUST_SECS: i64 = 86_400;

/// An amoCRM (Kommo) account read through its REST API v4.
pub struct AmoSource {
    name: String,
    config: AmoConfig,
    api: Api,
    client: Client,
}

impl AmoSource {
    /// A source named `name`; fails when `config` does not validate. OAuth
    /// tokens are kept in `context.vault`.
    pub fn new(name: &str, config: AmoConfig, context: &SourceContext) -> Result<Self> {
        let invalid = |m: String| Error::config(format!("source {name}: {m}")).with_target(TARGET);
        config.validate().map_err(invalid)?;
        let api = Api::new(config.origin().map_err(invalid)?);
        let client = Client::new(name, &config, &api, context)?;
        Ok(Self {
            name: name.to_owned(),
            config,
            api,
            client,
        })
    }

    fn failed(&self, err: Error) -> Error {
        err.context(format_args!("source {}", self.name))
    }

    /// True when the lead is in a configured pipeline and status.
    fn wanted(&self, lead: &Value) -> bool {
        let within = |list: &[u64], id: Option<u64>| {
            list.is_empty() || id.is_some_and(|id| list.contains(&id))
        };
        within(&self.config.pipelines, mapping::pipeline_id(lead))
            && within(&self.config.statuses, mapping::status_id(lead))
    }

    fn lookback_secs(&self) -> i64 {
        i64::try_from(self.config.lookback.0.as_secs()).unwrap_or(i64::MAX)
    }
}

#[async_trait]
impl CrmSource for AmoSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> CrmKind {
        CrmKind::Amocrm
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            page_size: self.config.page_size as usize,
            keyset_paging: false,
            fetch_by_id: true,
        }
    }

    async fn check(&self) -> Result<()> {
        self.check_access().await.map_err(|e| self.failed(e))
    }

    async fn initial_cursor(&self, start: StartFrom) -> Result<Cursor> {
        self.start_position(start).await.map_err(|e| self.failed(e))
    }

    async fn fetch(&self, request: FetchRequest<'_>) -> Result<Page> {
        self.read_page(request).await.map_err(|e| self.failed(e))
    }

    async fn deal(&self, id: &str) -> Result<Option<Deal>> {
        self.read_deal(id).await.map_err(|e| self.failed(e))
    }
}

impl AmoSource {
    async fn check_access(&self) -> Result<()> {
        let reply = self.client.get(&self.api.account(), "account").await?;
        match reply.body {
            Some(Value::Object(_)) => Ok(()),
            _ => Err(Error::invalid_data(
                "GET /api/v4/account did not return an account: check base_url",
            )
            .with_target(TARGET)),
        }
    }

    async fn start_position(&self, start: StartFrom) -> Result<Cursor> {
        let at = match start {
            StartFrom::Date(from) => from.timestamp(),
            StartFrom::Now => {
                let reply = self.client.get(&self.api.account(), "account").await?;
                let local = Utc::now();
                match reply.date {
                    Some(server) if (server - local).num_seconds().abs() <= CLOCK_TRUST_SECS => {
                        server.timestamp()
                    }
                    _ => local.timestamp(),
                }
            }
        };
        Position::starting(at.clamp(0, MAX_TIME)).to_cursor()
    }

    async fn read_page(&self, request: FetchRequest<'_>) -> Result<Page> {
        let position = Position::from_cursor(request.cursor)?;
        let from = position.window_start(self.lookback_secs());
        let (url, read_before, carried) = match request.continuation {
            None => (
                self.api.first_leads_page(
                    self.config.page_size,
                    from,
                    request.until.map(last_second_before),
                    &self.config.pipelines,
                ),
                None,
                Vec::new(),
            ),
            Some(continuation) => {
                let next = NextPage::from_continuation(continuation)?;
                (next.next, next.read, next.carried)
            }
        };

        let reply = self.client.get(&url, "leads").await?;
        let (leads, next_url) = match &reply.body {
            None => (Vec::new(), None),
            Some(body) => {
                let leads = leads_of(body)?;
                let next = if leads.is_empty() {
                    None
                } else {
                    self.api.next_page(&url, body)?
                };
                (leads, next)
            }
        };
        let listed = leads.len();
        let last = next_url.is_none();

        let mut out = Emitting::new(&self.name);
        let carried_in = carried.len();
        let mut backlog = Backlog::new(
            carried
                .into_iter()
                .enumerate()
                .filter_map(|(place, c)| Waiting::carried(place, c))
                .collect(),
        );
        let mut taken: HashSet<u64> = backlog.ids().collect();
        let fresh = out.sort(
            leads,
            &position,
            from,
            &mut taken,
            |lead| self.wanted(lead),
            request.seen,
        );
        for f in fresh {
            backlog.push(Waiting::fresh(f));
        }

        // One contacts request per page; more only on the last page, or
        // while the backlog is over its bound.
        let mut ready = backlog.take_ready();
        let mut calls = 0;
        let mut asked = 0;
        while let Some(ids) = backlog.next_call(calls, last) {
            let loaded = contacts::load(&self.client, &self.api, &self.name, &ids).await?;
            ready.extend(backlog.settle(&ids, &loaded));
            calls += 1;
            asked += ids.len();
        }
        if last {
            ready.extend(backlog.give_up());
        }
        for r in ready {
            out.emit(r.place, r.id, r.at, &r.lead, r.contacts);
        }

        let (reached, cursor) = out.cursor(&position, read_before.as_ref(), backlog.created());
        let cursor = cursor.to_cursor()?;

        debug!(
            source = %self.name,
            listed,
            carried_in,
            carried_out = backlog.len(),
            owed = backlog.owed(),
            contacts_requests = calls,
            contacts_asked = asked,
            new = out.emitted(),
            skipped_seen = out.skipped_seen,
            last,
            "read a page of amoCRM leads"
        );
        let next = match next_url {
            Some(next) => Some(
                NextPage {
                    next,
                    read: reached,
                    carried: backlog.into_carried(),
                }
                .into_continuation()?,
            ),
            None => None,
        };
        Ok(Page {
            skipped_seen: out.skipped_seen,
            deals: out.into_deals(),
            cursor,
            next,
        })
    }

    /// The lead with all its contacts: two requests.
    async fn read_deal(&self, id: &str) -> Result<Option<Deal>> {
        let Some(id) = mapping::parse_id(&Value::String(id.to_owned())) else {
            return Ok(None);
        };
        let reply = self.client.get_entity(&self.api.lead(id), "lead").await?;
        let Some(lead) = reply.body else {
            return Ok(None);
        };
        if mapping::id_of(&lead) != Some(id) {
            return Err(Error::invalid_data(format!(
                "GET /api/v4/leads/{id} returned something else than lead {id}"
            ))
            .with_target(TARGET));
        }
        let links = mapping::contact_links(&lead);
        let ids: Vec<u64> = all_ids(&links).collect();
        let loaded = contacts::load(&self.client, &self.api, &self.name, &ids).await?;
        let at = mapping::created_at(&lead);
        let created = at.and_then(mapping::to_time).unwrap_or_else(Utc::now);
        let contacts = assemble(ids, |i| loaded.get(&i));
        Ok(Some(mapping::deal(id, &lead, created, contacts)))
    }
}

/// The last whole second before `until`: amoCRM's `filter[created_at][to]`
/// is inclusive and in seconds.
fn last_second_before(until: DateTime<Utc>) -> i64 {
    let ceiling = until.timestamp() + i64::from(until.timestamp_subsec_nanos() > 0);
    ceiling.saturating_sub(1).clamp(0, MAX_TIME)
}

impl fmt::Debug for AmoSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmoSource")
            .field("name", &self.name)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
