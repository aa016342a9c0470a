//! [`Bitrix24Source`]: new deals by keyset paging over `crm.deal.list`, each
//! page listed together with its deals' contact ids (`crm.item.list`), and
//! their contacts from one `batch` per page that also lists the next page.

use crate::batch::{Batch, BatchReply, Command, Outcome};
use crate::client::Client;
use crate::config::Bitrix24Config;
use crate::contacts;
use crate::cursor::Position;
use crate::deal_list::{self, PAGE_SIZE, rows_with_ids};
use crate::error::{self, TARGET};
use crate::links::{self, Links};
use crate::listed::{self, Listed};
use crate::mapping;
use crate::next_page::NextPage;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use liner_sync_core::{
    Capabilities, CrmKind, CrmSource, Cursor, Deal, Error, FetchRequest, Page, Result,
    SourceContext, StartFrom,
};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::fmt;
use tracing::{debug, warn};

/// A Bitrix24 portal read through an incoming webhook or as an OAuth
/// application.
pub struct Bitrix24Source {
    name: String,
    config: Bitrix24Config,
    client: Client,
}

impl Bitrix24Source {
    /// A source named `name`; fails when `config` does not validate. An
    /// OAuth source keeps its rotated tokens in `context.vault` (the state
    /// file); a webhook source does not use `context`. Nothing is sent yet.
    pub fn new(name: &str, config: Bitrix24Config, context: &SourceContext) -> Result<Self> {
        config
            .validate()
            .map_err(|m| Error::config(format!("source {name}: {m}")).with_target(TARGET))?;
        let client = Client::new(name, &config, context)?;
        Ok(Self {
            name: name.to_owned(),
            config,
            client,
        })
    }

    /// Deals of `rows` mapped, with their contacts (primary first, then as
    /// `links` list them), and the rest of the first contacts batch's reply,
    /// where `extra` rode along (`None`: no batch was sent).
    async fn deals(
        &self,
        rows: &[(u64, Value)],
        links: Option<&Links>,
        extra: &[Command],
    ) -> Result<(Vec<Deal>, Option<BatchReply>)> {
        let now = Utc::now();
        let wanted: Vec<Vec<u64>> = rows
            .iter()
            .map(|(id, row)| {
                links::contact_ids(&self.name, *id, mapping::primary_contact(row), links)
            })
            .collect();
        let ids: BTreeSet<u64> = wanted.iter().flatten().copied().collect();
        let loaded = contacts::load(&self.client, &self.name, &ids, extra).await?;
        let deals = rows
            .iter()
            .zip(wanted)
            .map(|((id, row), contact_ids)| {
                if mapping::created_at(row).is_none() {
                    warn!(source = %self.name, deal = id, "deal without a readable DATE_CREATE; using the current time");
                }
                let mut deal = mapping::deal(*id, row, now);
                deal.contacts = contact_ids
                    .iter()
                    .filter_map(|c| loaded.contacts.get(c).cloned())
                    .collect();
                deal
            })
            .collect();
        Ok((deals, loaded.extra))
    }

    /// Lists the page after `after` with its contact ids: one batch.
    async fn list(
        &self,
        after: u64,
        position: &Position,
        until: Option<DateTime<Utc>>,
    ) -> Result<Listed> {
        let mut batch = Batch::default();
        for command in &listed::commands(after, position, until) {
            batch.push_command(command);
        }
        let mut reply = self.client.batch(&batch).await?;
        Listed::take(&self.name, after, &mut reply, self.client.mode())
    }

    fn failed(&self, err: Error) -> Error {
        err.context(format_args!("source {}", self.name))
    }
}

#[async_trait]
impl CrmSource for Bitrix24Source {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> CrmKind {
        CrmKind::Bitrix24
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            page_size: PAGE_SIZE,
            keyset_paging: true,
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

impl Bitrix24Source {
    async fn check_access(&self) -> Result<()> {
        let scope = self.client.call("scope", &json!({})).await?;
        let scopes = mapping::rows(Some(&scope.result)).unwrap_or_default();
        if !scopes.iter().any(|s| s.as_str() == Some("crm")) {
            return Err(Error::auth(self.client.mode().no_crm_scope()).with_target(TARGET));
        }
        let probe = json!({"filter": {"ID": 0}, "select": ["ID"], "start": -1});
        self.client.call(deal_list::METHOD, &probe).await?;
        Ok(())
    }

    async fn start_position(&self, start: StartFrom) -> Result<Cursor> {
        let position = match start {
            StartFrom::Date(from) => Position {
                last_id: None,
                created_from: Some(from),
            },
            StartFrom::Now => {
                let params = json!({"order": {"ID": "DESC"}, "select": ["ID"], "start": -1});
                let reply = self.client.call(deal_list::METHOD, &params).await?;
                let (_, rows) = rows_with_ids(&self.name, &reply.result)?;
                // The portal's clock, so a deal created right after this
                // call is never older than the start.
                let portal_now = reply
                    .time
                    .get("date_start")
                    .and_then(Value::as_str)
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.with_timezone(&Utc));
                Position {
                    last_id: Some(rows.iter().map(|(id, _)| *id).max().unwrap_or(0)),
                    created_from: Some(portal_now.unwrap_or_else(Utc::now)),
                }
            }
        };
        position.to_cursor()
    }

    async fn read_page(&self, request: FetchRequest<'_>) -> Result<Page> {
        let position = Position::from_cursor(request.cursor)?;
        let (after, prefetched) = match request.continuation {
            None => (position.first_page_after(self.config.rescan_ids), None),
            Some(next) => {
                let next = NextPage::from_continuation(next)?;
                (next.after, next.listed)
            }
        };
        let was_prefetched = prefetched.is_some();
        let page = match prefetched {
            Some(listed) => listed,
            None => self.list(after, &position, request.until).await?,
        };
        let (raw_count, rows) = rows_with_ids(&self.name, &page.rows)?;
        let highest = rows.last().map(|(id, _)| *id);
        let full = raw_count >= PAGE_SIZE;
        // A later page has read everything up to its continuation even when
        // it is empty; its cursor must not fall back to the pass's start.
        let read_up_to = match request.continuation {
            Some(_) => Some(highest.map_or(after, |h| h.max(after))),
            None => highest,
        };
        let next_after = match highest {
            Some(last) if full && last > after => Some(last),
            _ if full => {
                return Err(Error::invalid_data(format!(
                    "crm.deal.list returned a full page with no id above {after}; \
                     the >ID filter was ignored, so paging cannot go on"
                ))
                .with_target(TARGET));
            }
            _ => None,
        };

        let mut skipped_seen = 0;
        let fresh: Vec<(u64, Value)> = rows
            .into_iter()
            .filter(|(_, row)| {
                mapping::created_at(row).is_none_or(|created| {
                    position.admits(created) && request.until.is_none_or(|until| created < until)
                })
            })
            .filter(|(id, _)| {
                let handled = request.seen.is_handled(&id.to_string());
                skipped_seen += usize::from(handled);
                !handled
            })
            .collect();
        let prefetch = next_after.map(|a| listed::commands(a, &position, request.until));
        let (deals, rest) = self
            .deals(
                &fresh,
                page.links.as_ref(),
                prefetch.as_ref().map_or(&[], |c| &c[..]),
            )
            .await?;
        let next = next_after.map(|a| {
            let listed =
                rest.map(|mut reply| Listed::take(&self.name, a, &mut reply, self.client.mode()));
            NextPage::prefetched(&self.name, a, listed)
        });
        debug!(
            source = %self.name,
            after,
            rows = raw_count,
            linked = page.links.as_ref().map(Links::len),
            prefetched = was_prefetched,
            new = deals.len(),
            skipped_seen,
            next_prefetched = next.as_ref().is_some_and(|n| n.listed.is_some()),
            "read a page of Bitrix24 deals"
        );
        Ok(Page {
            deals,
            skipped_seen,
            cursor: position.advanced(read_up_to).to_cursor()?,
            next: next.map(NextPage::into_continuation),
        })
    }

    /// `crm.deal.get` and the deal's contact ids in one batch, then its
    /// contacts in another.
    async fn read_deal(&self, id: &str) -> Result<Option<Deal>> {
        let Some(deal_id) = mapping::parse_id(&json!(id)) else {
            return Ok(None);
        };
        let mut batch = Batch::default();
        batch.push("deal".into(), "crm.deal.get", &json!({"id": deal_id}));
        batch.push("links".into(), links::METHOD, &links::params_for(deal_id));
        let mut reply = self.client.batch(&batch).await?;
        let row = match reply.take("deal") {
            Outcome::Done(row) if row.is_object() => row,
            Outcome::Done(_) => return Ok(None),
            Outcome::Failed(api) if api.is_not_found() => return Ok(None),
            Outcome::Failed(api) => {
                return Err(error::classify(None, &api, self.client.mode()).context("batch deal"));
            }
            Outcome::Missing => {
                return Err(Error::invalid_data(
                    "batch deal: the reply has neither a result nor an error for crm.deal.get",
                )
                .with_target(TARGET));
            }
        };
        let links = match reply.take("links") {
            Outcome::Done(result) => Links::parse(&result),
            _ => None,
        };
        if links.is_none() {
            warn!(source = %self.name, deal = deal_id, "crm.item.list did not answer; the deal gets its primary contact only");
        }
        let (mut deals, _) = self.deals(&[(deal_id, row)], links.as_ref(), &[]).await?;
        Ok(deals.pop())
    }
}

impl fmt::Debug for Bitrix24Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bitrix24Source")
            .field("name", &self.name)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
