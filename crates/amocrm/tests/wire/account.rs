//! A small scripted amoCRM account: leads and contacts answering
//! `GET /api/v4/leads` (filtered, ordered by `created_at`, paged with
//! `_links.next`), `/api/v4/leads/{id}`, `/api/v4/contacts?filter[id][]=…`
//! and `/api/v4/account` the way amoCRM does (HAL JSON, 204 when empty,
//! problem+json 401 for a wrong token).

use liner_sync_amocrm::{AmoConfig, AmoSource};
use liner_sync_core::config::{HumanDuration, Rate, Secret};
use liner_sync_core::state::StateStore;
use liner_sync_core::{
    Continuation, CrmSource, Cursor, FetchRequest, Page, Result, SeenDeals, SourceContext,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The long-lived token every test uses; it must never show up anywhere.
pub const TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.LongLivedSECRET.sig4711";

/// The pipeline and status every lead is in unless a test says otherwise.
pub const PIPELINE: u64 = 3_300_000;
pub const STATUS: u64 = 3_300_001;

/// The account's data and the tokens it accepts.
#[derive(Default)]
pub struct Account {
    pub leads: Vec<Value>,
    pub contacts: BTreeMap<u64, Value>,
    pub tokens: Mutex<HashSet<String>>,
    /// The server's address, for `_links`.
    pub base: std::sync::OnceLock<String>,
}

/// A lead as amoCRM sends it, with its contacts (the first is main).
pub fn lead(id: u64, created_at: i64, contacts: &[u64]) -> Value {
    let links: Vec<Value> = contacts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({"id": c, "is_main": i == 0,
                   "_links": {"self": {"href": format!("https://example.amocrm.ru/api/v4/contacts/{c}")}}})
        })
        .collect();
    json!({
        "id": id, "name": format!("Сделка #{id}"), "price": 0, "responsible_user_id": 1, "group_id": 0,
        "status_id": STATUS, "pipeline_id": PIPELINE, "loss_reason_id": null, "created_by": 1,
        "updated_by": 1, "created_at": created_at, "updated_at": created_at, "closed_at": null,
        "closest_task_at": null, "is_deleted": false, "custom_fields_values": null, "score": null,
        "account_id": 28805383,
        "_links": {"self": {"href": format!("https://example.amocrm.ru/api/v4/leads/{id}")}},
        "_embedded": {"tags": [], "companies": [], "contacts": links}
    })
}

/// A contact with an optional phone (`custom_fields_values: null` without).
pub fn contact(id: u64, phone: Option<&str>) -> Value {
    let fields = match phone {
        Some(phone) => json!([{"field_id": 3, "field_name": "Телефон", "field_code": "PHONE",
                               "field_type": "multitext",
                               "values": [{"value": phone, "enum_id": 1, "enum_code": "WORK"}]}]),
        None => Value::Null,
    };
    json!({"id": id, "name": format!("Контакт {id}"), "first_name": "", "last_name": "",
           "custom_fields_values": fields, "account_id": 28805383})
}

/// A phone that normalises, different for every id.
pub fn phone(id: u64) -> String {
    format!("+7 900 {:07}", id % 10_000_000)
}

impl Account {
    /// An account accepting [`TOKEN`].
    pub fn new() -> Self {
        let account = Self::default();
        account.accept(TOKEN);
        account
    }

    /// Leads `ids`, lead `id` created at `created_at(id)`, each with its own
    /// main contact `id + 100000` that has a phone.
    pub fn with_leads(ids: impl IntoIterator<Item = u64>, created_at: impl Fn(u64) -> i64) -> Self {
        let mut account = Self::new();
        for id in ids {
            let c = id + 100_000;
            account.add(id, created_at(id), &[(c, Some(&phone(c)))]);
        }
        account
    }

    /// A lead with contacts (main first), each with an optional phone.
    pub fn add(&mut self, id: u64, created_at: i64, contacts: &[(u64, Option<&str>)]) {
        let ids: Vec<u64> = contacts.iter().map(|c| c.0).collect();
        self.leads.push(lead(id, created_at, &ids));
        for (c, phone) in contacts {
            self.contacts.insert(*c, contact(*c, *phone));
        }
    }

    /// Adds a token the account accepts.
    pub fn accept(&self, token: &str) {
        self.tokens.lock().unwrap().insert(token.to_owned());
    }

    /// Stops accepting a token.
    pub fn revoke(&self, token: &str) {
        self.tokens.lock().unwrap().remove(token);
    }

    pub fn respond(&self, request: &Request) -> ResponseTemplate {
        let bearer = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !self.tokens.lock().unwrap().contains(bearer) {
            return ResponseTemplate::new(401).set_body_raw(
                include_str!("../../testdata/error_401_unauthorized.json"),
                "application/problem+json",
            );
        }
        let path = request.url.path().trim_start_matches("/api/v4/");
        let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let one = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let many = |key: &str| -> Vec<u64> {
            query
                .iter()
                .filter(|(k, _)| k == key)
                .filter_map(|(_, v)| v.parse().ok())
                .collect()
        };
        let with_contacts = one("with").is_some_and(|w| w.split(',').any(|x| x == "contacts"));
        match path.split('/').collect::<Vec<_>>().as_slice() {
            ["account"] => hal(json!({"id": 28805383, "name": "Acme", "subdomain": "acme"})),
            ["leads"] => {
                let limit: usize = one("limit").and_then(|l| l.parse().ok()).unwrap_or(50);
                if limit > 250 {
                    return problem(422, "Unprocessable Entity", "Limit 250 per page");
                }
                let page: usize = one("page").and_then(|p| p.parse().ok()).unwrap_or(1);
                let from: i64 = one("filter[created_at][from]")
                    .and_then(|f| f.parse().ok())
                    .unwrap_or(0);
                let to: i64 = one("filter[created_at][to]")
                    .and_then(|f| f.parse().ok())
                    .unwrap_or(i64::MAX);
                let pipelines = many("filter[pipeline_id][]");
                let mut leads: Vec<&Value> = self
                    .leads
                    .iter()
                    .filter(|l| {
                        l["created_at"]
                            .as_i64()
                            .is_none_or(|t| (from..=to).contains(&t))
                    })
                    .filter(|l| {
                        pipelines.is_empty()
                            || pipelines.contains(&l["pipeline_id"].as_u64().unwrap_or(0))
                    })
                    .collect();
                leads.sort_by_key(|l| (l["created_at"].as_i64(), l["id"].as_u64()));
                let rows: Vec<Value> = leads
                    .into_iter()
                    .skip((page - 1) * limit)
                    .take(limit)
                    .map(|l| shown(l, with_contacts))
                    .collect();
                if rows.is_empty() {
                    return ResponseTemplate::new(204);
                }
                let base = self.base.get().cloned().unwrap_or_default();
                let mut links = json!({"self": {"href": link(&base, request, page)}});
                // Like amoCRM, a full page links to the next even when it is
                // the last one; the next then answers 204.
                if rows.len() == limit {
                    links["next"] = json!({"href": link(&base, request, page + 1)});
                }
                hal(json!({"_page": page, "_links": links, "_embedded": {"leads": rows}}))
            }
            ["leads", id] => {
                let id: u64 = id.parse().unwrap_or(0);
                match self.leads.iter().find(|l| l["id"] == id) {
                    Some(l) => hal(shown(l, with_contacts)),
                    None => ResponseTemplate::new(204),
                }
            }
            ["contacts"] => {
                let ids = many("filter[id][]");
                let rows: Vec<Value> = self
                    .contacts
                    .iter()
                    .filter(|(id, _)| ids.contains(id))
                    .map(|(_, c)| c.clone())
                    .collect();
                if rows.is_empty() {
                    return ResponseTemplate::new(204);
                }
                hal(
                    json!({"_page": 1, "_links": {"self": {"href": request.url.to_string()}},
                           "_embedded": {"contacts": rows}}),
                )
            }
            _ => problem(
                404,
                "Not Found",
                &format!("Cannot GET {}", request.url.path()),
            ),
        }
    }
}

fn shown(lead: &Value, with_contacts: bool) -> Value {
    let mut lead = lead.clone();
    if !with_contacts && let Some(e) = lead["_embedded"].as_object_mut() {
        e.remove("contacts");
    }
    lead
}

/// The request's URL on `base` with `page` set, as amoCRM builds `_links`
/// (brackets percent-encoded).
fn link(base: &str, request: &Request, page: usize) -> String {
    let mut url = request.url.clone();
    if let Ok(base) = wiremock::http::Url::parse(base) {
        let _ = url.set_host(base.host_str());
        let _ = url.set_port(base.port());
    }
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != "page")
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair("page", &page.to_string());
    url.to_string()
}

pub fn hal(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/hal+json")
}

pub fn problem(status: u16, title: &str, detail: &str) -> ResponseTemplate {
    let body = json!({"title": title, "type": format!("https://httpstatus.es/{status}"),
                      "status": status, "detail": detail});
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/problem+json")
}

/// A running account and a source pointed at it.
pub struct Harness {
    pub server: MockServer,
    pub source: AmoSource,
    pub account: Arc<Account>,
}

/// A long-lived-token config for the account at `uri`: no client-side rate
/// limit, quick failures.
pub fn config(uri: &str) -> AmoConfig {
    let mut config = AmoConfig::long_lived(uri, Secret::new(TOKEN));
    config.rate_limit = Rate::Unlimited;
    config.max_attempts = 3;
    config.timeout = HumanDuration(Duration::from_secs(5));
    config
}

/// The context every source gets: an in-memory state as the token vault.
pub fn context(vault: &Arc<StateStore>) -> SourceContext {
    SourceContext {
        vault: vault.clone(),
    }
}

/// Serves `account` (at a lower priority than any fault a test mounts).
pub async fn serve(account: Account) -> (MockServer, Arc<Account>) {
    let server = MockServer::start().await;
    let _ = account.base.set(server.uri());
    let account = Arc::new(account);
    let serving = account.clone();
    Mock::given(method("GET"))
        .and(path_regex("^/api/v4/"))
        .respond_with(move |request: &Request| serving.respond(request))
        .with_priority(10)
        .mount(&server)
        .await;
    (server, account)
}

/// A source with the default test config.
pub async fn harness(account: Account) -> Harness {
    harness_with(account, |_| {}).await
}

/// A source whose config `edit` adjusts.
pub async fn harness_with(account: Account, edit: impl FnOnce(&mut AmoConfig)) -> Harness {
    let (server, account) = serve(account).await;
    let mut config = config(&server.uri());
    edit(&mut config);
    let vault = Arc::new(StateStore::in_memory().expect("in-memory state"));
    let source = AmoSource::new("amo", config, &context(&vault)).expect("valid config");
    Harness {
        server,
        source,
        account,
    }
}

/// Deals a test marks as handled.
#[derive(Default)]
pub struct Handled {
    pub ids: HashSet<String>,
    pub asked: Mutex<Vec<String>>,
}

impl Handled {
    pub fn of(ids: impl IntoIterator<Item = u64>) -> Self {
        Self {
            ids: ids.into_iter().map(|i| i.to_string()).collect(),
            asked: Mutex::default(),
        }
    }
}

impl SeenDeals for Handled {
    fn is_handled(&self, deal_id: &str) -> bool {
        self.asked.lock().unwrap().push(deal_id.to_owned());
        self.ids.contains(deal_id)
    }
}

impl Harness {
    /// Every request the account received.
    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }

    /// The paths the account received, without `/api/v4/` (`leads`,
    /// `contacts`, `leads/5`, `oauth2/access_token`).
    pub async fn calls(&self) -> Vec<String> {
        self.requests()
            .await
            .iter()
            .map(|r| {
                let p = r.url.path().trim_start_matches('/');
                p.strip_prefix("api/v4/").unwrap_or(p).to_owned()
            })
            .collect()
    }

    /// The contact ids of every contacts request, in order.
    pub async fn contact_calls(&self) -> Vec<Vec<u64>> {
        self.requests()
            .await
            .iter()
            .filter(|r| r.url.path() == "/api/v4/contacts")
            .map(|r| {
                r.url
                    .query_pairs()
                    .filter(|(k, _)| k == "filter[id][]")
                    .map(|(_, v)| v.parse().unwrap())
                    .collect()
            })
            .collect()
    }

    /// One page.
    pub async fn fetch(
        &self,
        cursor: &Cursor,
        continuation: Option<&Continuation>,
        seen: &dyn SeenDeals,
    ) -> Result<Page> {
        self.fetch_until(cursor, continuation, seen, None).await
    }

    /// One page of a pass that ends at `until`.
    pub async fn fetch_until(
        &self,
        cursor: &Cursor,
        continuation: Option<&Continuation>,
        seen: &dyn SeenDeals,
        until: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Page> {
        self.source
            .fetch(FetchRequest {
                cursor,
                continuation,
                seen,
                until,
            })
            .await
    }

    /// A whole pass: every page until `next` is `None`.
    pub async fn pass(&self, cursor: &Cursor, seen: &dyn SeenDeals) -> Result<Vec<Page>> {
        let mut pages: Vec<Page> = Vec::new();
        loop {
            let continuation = pages.last().and_then(|p| p.next.clone());
            let page = self.fetch(cursor, continuation.as_ref(), seen).await?;
            let done = page.next.is_none();
            pages.push(page);
            assert!(pages.len() < 100, "runaway pass");
            if done {
                return Ok(pages);
            }
        }
    }
}

/// The ids of every deal of `pages`, in order.
pub fn ids(pages: &[Page]) -> Vec<u64> {
    pages
        .iter()
        .flat_map(|p| p.deals.iter().map(|d| d.id.parse::<u64>().unwrap()))
        .collect()
}

/// A cursor.
pub fn cursor(at: i64, ids: &[u64]) -> Cursor {
    Cursor(json!({"created_at": at, "ids": ids}))
}
