//! [`Bitrix24Source`]: new deals by keyset paging over `crm.deal.list`, with
//! their contacts from one `batch` per page.

use crate::client::Client;
use crate::config::Bitrix24Config;
use crate::contacts;
use crate::cursor::{Position, continuation, continuation_after};
use crate::error::{NO_CRM_SCOPE, TARGET};
use crate::mapping;
use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use liner_sync_core::{
    Capabilities, CrmKind, CrmSource, Cursor, Deal, Error, FetchRequest, Page, Result, StartFrom,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt;
use tracing::{debug, warn};

/// Rows per `crm.deal.list` page; fixed by Bitrix24.
const PAGE_SIZE: usize = 50;

/// The deal fields read; `UF_*` adds the custom fields.
const DEAL_SELECT: [&str; 15] = [
    "ID",
    "TITLE",
    "DATE_CREATE",
    "CATEGORY_ID",
    "STAGE_ID",
    "CONTACT_ID",
    "SOURCE_ID",
    "ASSIGNED_BY_ID",
    "COMMENTS",
    "UTM_SOURCE",
    "UTM_MEDIUM",
    "UTM_CAMPAIGN",
    "UTM_CONTENT",
    "UTM_TERM",
    "UF_*",
];

/// How far back the server-side date filter reaches before the start date.
/// The filter's time zone handling is undocumented, so it only narrows the
/// read; the exact comparison happens here, on `DATE_CREATE` with its offset.
const DATE_FILTER_SLACK: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// A Bitrix24 portal read through an incoming webhook.
pub struct Bitrix24Source {
    name: String,
    config: Bitrix24Config,
    client: Client,
}

impl Bitrix24Source {
    /// A source named `name`; fails when `config` does not validate.
    pub fn new(name: &str, config: Bitrix24Config) -> Result<Self> {
        config
            .validate()
            .map_err(|m| Error::config(format!("source {name}: {m}")).with_target(TARGET))?;
        let client = Client::new(name, &config)?;
        Ok(Self {
            name: name.to_owned(),
            config,
            client,
        })
    }

    fn list_params(&self, after: u64, position: &Position) -> Value {
        let mut filter = json!({">ID": after});
        if let Some(from) = position.date_filter() {
            filter[">=DATE_CREATE"] =
                json!((from - DATE_FILTER_SLACK).to_rfc3339_opts(SecondsFormat::Secs, false));
        }
        json!({
            "order": {"ID": "ASC"},
            "filter": filter,
            "select": DEAL_SELECT,
            "start": -1,
        })
    }

    /// Deals of `rows` that are new, mapped, with their contacts.
    async fn deals(&self, rows: &[(u64, Value)]) -> Result<Vec<Deal>> {
        let now = Utc::now();
        let primaries: BTreeMap<u64, u64> = rows
            .iter()
            .filter_map(|(id, row)| Some((*id, mapping::primary_contact(row)?)))
            .collect();
        let mut contacts = if primaries.is_empty() {
            Default::default()
        } else {
            contacts::load(&self.client, &self.name, &primaries).await?
        };
        Ok(rows
            .iter()
            .map(|(id, row)| {
                if mapping::created_at(row).is_none() {
                    warn!(source = %self.name, deal = id, "deal without a readable DATE_CREATE; using the current time");
                }
                let mut deal = mapping::deal(*id, row, now);
                deal.contacts = contacts.remove(id).unwrap_or_default();
                deal
            })
            .collect())
    }

    fn failed(&self, err: Error) -> Error {
        err.context(format_args!("source {}", self.name))
    }
}

/// The rows of a `crm.deal.list` result with their ids, sorted by id. Rows
/// without a usable id are logged and left out.
fn rows_with_ids(source: &str, result: &Value) -> Result<(usize, Vec<(u64, Value)>)> {
    let rows = mapping::rows(Some(result)).ok_or_else(|| {
        Error::invalid_data("crm.deal.list: result is not a list").with_target(TARGET)
    })?;
    let count = rows.len();
    let mut with_ids: Vec<(u64, Value)> = rows
        .into_iter()
        .filter_map(|row| match mapping::row_id(row) {
            Some(id) => Some((id, row.clone())),
            None => {
                let id = row.get("ID").map(Value::to_string).unwrap_or_default();
                warn!(source, id = %id.chars().take(40).collect::<String>(), "skipping a deal row without a usable ID");
                None
            }
        })
        .collect();
    with_ids.sort_by_key(|(id, _)| *id);
    with_ids.dedup_by_key(|(id, _)| *id);
    Ok((count, with_ids))
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
            return Err(Error::auth(NO_CRM_SCOPE).with_target(TARGET));
        }
        let probe = json!({"filter": {"ID": 0}, "select": ["ID"], "start": -1});
        self.client.call("crm.deal.list", &probe).await?;
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
                let reply = self.client.call("crm.deal.list", &params).await?;
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
        let after = match request.continuation {
            None => position.first_page_after(self.config.rescan_ids),
            Some(next) => continuation_after(next)?,
        };
        let reply = self
            .client
            .call("crm.deal.list", &self.list_params(after, &position))
            .await?;
        let (raw_count, rows) = rows_with_ids(&self.name, &reply.result)?;
        let highest = rows.last().map(|(id, _)| *id);
        let full = raw_count >= PAGE_SIZE;
        // A later page has read everything up to its continuation even when
        // it is empty; its cursor must not fall back to the pass's start.
        let read_up_to = match request.continuation {
            Some(_) => Some(highest.map_or(after, |h| h.max(after))),
            None => highest,
        };
        let next = match highest {
            Some(last) if full && last > after => Some(continuation(last)),
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
                mapping::created_at(row).is_none_or(|created| position.admits(created))
            })
            .filter(|(id, _)| {
                let handled = request.seen.is_handled(&id.to_string());
                skipped_seen += usize::from(handled);
                !handled
            })
            .collect();
        let deals = self.deals(&fresh).await?;
        debug!(
            source = %self.name,
            after,
            rows = raw_count,
            new = deals.len(),
            skipped_seen,
            "read a page of Bitrix24 deals"
        );
        Ok(Page {
            deals,
            skipped_seen,
            cursor: position.advanced(read_up_to).to_cursor()?,
            next,
        })
    }

    async fn read_deal(&self, id: &str) -> Result<Option<Deal>> {
        let Some(deal_id) = mapping::parse_id(&json!(id)) else {
            return Ok(None);
        };
        let Some(reply) = self
            .client
            .get("crm.deal.get", &json!({"id": deal_id}))
            .await?
        else {
            return Ok(None);
        };
        if !reply.result.is_object() {
            return Ok(None);
        }
        let mut deals = self.deals(&[(deal_id, reply.result)]).await?;
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
