//! A small scripted Bitrix24 portal: deals, contacts and their bindings,
//! answering `crm.deal.list`, `crm.deal.get`, `crm.item.list`,
//! `crm.contact.list`, `batch` and `scope` the way Bitrix24 does (string
//! scalars in `crm.deal.*`, native numbers in `crm.item.list`, `[]` for empty
//! batch sections).

use liner_sync_bitrix24::{Bitrix24Config, Bitrix24Source};
use liner_sync_core::config::{HumanDuration, Rate, Secret};
use liner_sync_core::state::StateStore;
use liner_sync_core::{
    Continuation, CrmSource, Cursor, FetchRequest, Page, Result, SeenDeals, SourceContext,
};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{method, path_regex};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

/// The webhook code every test uses; it must never show up anywhere.
pub const CODE: &str = "zq8SECRETc0de4711";

/// The portal's data.
#[derive(Default, Clone)]
pub struct Portal {
    pub deals: BTreeMap<u64, Value>,
    pub contacts: BTreeMap<u64, Value>,
    /// Each deal's contact ids, primary first.
    pub links: BTreeMap<u64, Vec<u64>>,
}

/// A deal row as `crm.deal.list` sends it.
pub fn deal_row(id: u64, contact: Option<u64>) -> Value {
    json!({
        "ID": id.to_string(),
        "TITLE": format!("Квартира #{id}"),
        "DATE_CREATE": "2026-11-01T10:00:00+03:00",
        "CATEGORY_ID": "1",
        "STAGE_ID": "C1:NEW",
        "CONTACT_ID": contact.map(|c| c.to_string()),
        "ASSIGNED_BY_ID": "1",
        "UTM_SOURCE": "yandex",
        "UF_CRM_1721244482250": "Hello world!"
    })
}

/// A contact row with an optional phone (no `PHONE` key without one).
pub fn contact_row(id: u64, phone: Option<&str>) -> Value {
    let mut row = json!({"ID": id.to_string(), "NAME": "Иван", "SECOND_NAME": null, "LAST_NAME": format!("N{id}")});
    if let Some(phone) = phone {
        row["PHONE"] =
            json!([{"ID": "1", "VALUE_TYPE": "WORK", "VALUE": phone, "TYPE_ID": "PHONE"}]);
    }
    row
}

impl Portal {
    /// Deals `ids`, each with its own primary contact `id + 100000` that has a phone.
    pub fn with_deals(ids: impl IntoIterator<Item = u64>) -> Self {
        let mut portal = Portal::default();
        for id in ids {
            portal.add_deal(
                id,
                &[(
                    id + 100_000,
                    Some(&format!("+7 900 {:07}", id % 10_000_000)),
                )],
            );
        }
        portal
    }

    /// A deal with contacts (primary first), each with an optional phone.
    pub fn add_deal(&mut self, id: u64, contacts: &[(u64, Option<&str>)]) {
        self.deals
            .insert(id, deal_row(id, contacts.first().map(|c| c.0)));
        for (contact, phone) in contacts {
            self.contacts
                .insert(*contact, contact_row(*contact, *phone));
        }
        self.links
            .insert(id, contacts.iter().map(|(contact, _)| *contact).collect());
    }

    /// Answers one request: the method is the last path segment, the
    /// parameters are the JSON body.
    pub fn respond(&self, request: &Request) -> ResponseTemplate {
        let method = request
            .url
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let params: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let result = match method.as_str() {
            "batch" => self.batch(&params),
            other => match self.call(other, &params) {
                Ok(result) => result,
                Err((status, body)) => return ResponseTemplate::new(status).set_body_json(body),
            },
        };
        ResponseTemplate::new(200).set_body_json(json!({"result": result, "time": time()}))
    }

    fn call(&self, method: &str, params: &Value) -> Result<Value, (u16, Value)> {
        match method {
            "scope" => Ok(json!(["crm", "user_brief"])),
            "crm.deal.list" => Ok(self.list(params)),
            "crm.deal.get" => {
                let id = number(&params["id"]).unwrap_or_default();
                self.deals
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| (400, json!({"error": "", "error_description": "Not found"})))
            }
            "crm.contact.list" => {
                let ids: HashSet<u64> = params["filter"]["@ID"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().and_then(|s| s.parse().ok()).or(v.as_u64()))
                    .collect();
                Ok(Value::Array(
                    self.contacts
                        .iter()
                        .filter(|(id, _)| ids.contains(id))
                        .map(|(_, c)| c.clone())
                        .collect(),
                ))
            }
            "crm.item.list" => {
                if number(&params["entityTypeId"]) != Some(2) {
                    return Err((
                        400,
                        json!({"error": "NOT_FOUND", "error_description": "Smart process not found"}),
                    ));
                }
                Ok(json!({"items": self.items(params)}))
            }
            _ => Err((
                404,
                json!({"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}),
            )),
        }
    }

    fn list(&self, params: &Value) -> Value {
        let after = number(&params["filter"][">ID"]).unwrap_or(0);
        let only = number(&params["filter"]["ID"]);
        let desc = params["order"]["ID"] == "DESC";
        let mut rows: Vec<&Value> = self
            .deals
            .range(after + 1..)
            .filter(|(id, _)| only.is_none_or(|o| o == **id))
            .map(|(_, d)| d)
            .collect();
        if desc {
            rows.reverse();
        }
        Value::Array(rows.into_iter().take(50).cloned().collect())
    }

    /// `crm.item.list` items of deals: `id` and `contactIds` as numbers.
    fn items(&self, params: &Value) -> Vec<Value> {
        let after = number(&params["filter"][">id"]).unwrap_or(0);
        let only = number(&params["filter"]["=id"]);
        self.deals
            .range(after + 1..)
            .filter(|(id, _)| only.is_none_or(|o| o == **id))
            .take(50)
            .map(|(id, _)| {
                let contacts = self.links.get(id).cloned().unwrap_or_default();
                json!({"id": id, "contactIds": contacts})
            })
            .collect()
    }

    /// The outer `result` of a `batch` reply.
    pub fn batch(&self, params: &Value) -> Value {
        let mut results = Map::new();
        let mut errors = Map::new();
        for (key, cmd) in params["cmd"].as_object().into_iter().flatten() {
            let (method, query) = cmd
                .as_str()
                .unwrap_or_default()
                .split_once('?')
                .unwrap_or((cmd.as_str().unwrap_or_default(), ""));
            match self.call(method, &parse_query(query)) {
                Ok(result) => {
                    results.insert(key.clone(), result);
                }
                Err((_, error)) => {
                    errors.insert(key.clone(), error);
                }
            }
        }
        let section = |m: Map<String, Value>| {
            if m.is_empty() {
                json!([])
            } else {
                Value::Object(m)
            }
        };
        json!({"result": section(results), "result_error": section(errors),
               "result_total": [], "result_next": [], "result_time": []})
    }
}

/// A number sent as JSON (`50`) or inside a batch command (`"50"`).
fn number(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

/// The `time` block of a reply.
pub fn time() -> Value {
    json!({"start": 1_700_000_000.1, "finish": 1_700_000_000.2, "duration": 0.1, "processing": 0.05,
           "date_start": "2026-11-02T12:00:00+03:00", "date_finish": "2026-11-02T12:00:00+03:00",
           "operating_reset_at": 1_700_000_600, "operating": 0})
}

/// The method and parameters of sub-call `key` of a batch's `cmd`.
pub fn sub_call(cmd: &Map<String, Value>, key: &str) -> (String, Value) {
    let text = cmd[key].as_str().expect("a command string");
    let (method, query) = text.split_once('?').unwrap_or((text, ""));
    (method.to_owned(), parse_query(query))
}

/// Reads a PHP-style query (`filter[@ID][]=1&id=5`) back into JSON, enough
/// for the commands the source sends.
pub fn parse_query(query: &str) -> Value {
    let mut out = json!({});
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (key, value) = (decode(key), Value::String(decode(value)));
        let mut parts = key.split('[').map(|p| p.trim_end_matches(']'));
        let first = parts.next().unwrap_or_default().to_owned();
        let rest: Vec<&str> = parts.collect();
        match rest.as_slice() {
            [] => out[&first] = value,
            [""] => push(&mut out[&first], value),
            [sub] => out[&first][*sub] = value,
            [sub, ""] => push(&mut out[&first][*sub], value),
            _ => panic!("unexpected query key {key}"),
        }
    }
    out
}

fn push(slot: &mut Value, value: Value) {
    if !slot.is_array() {
        *slot = json!([]);
    }
    if let Some(items) = slot.as_array_mut() {
        items.push(value);
    }
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).expect("hex"));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).expect("utf-8")
}

/// A running portal and a source pointed at it.
pub struct Harness {
    pub server: MockServer,
    pub source: Bitrix24Source,
    pub portal: Arc<Portal>,
}

/// A context with a fresh in-memory state file as the token vault.
pub fn context() -> SourceContext {
    SourceContext {
        vault: Arc::new(StateStore::in_memory().expect("an in-memory state")),
    }
}

/// A config for the portal at `uri`: no client-side rate limit, quick failures.
pub fn config(uri: &str) -> Bitrix24Config {
    let mut config = Bitrix24Config::new(Secret::new(format!("{uri}/rest/1/{CODE}/")));
    config.rate_limit = Rate::Unlimited;
    config.max_attempts = 3;
    config.timeout = HumanDuration(Duration::from_secs(5));
    config
}

/// Serves `portal` (at a lower priority than any fault a test mounts).
pub async fn harness(portal: Portal) -> Harness {
    let server = MockServer::start().await;
    let portal = Arc::new(portal);
    let serving = portal.clone();
    Mock::given(method("POST"))
        .and(path_regex(format!("^/rest/1/{CODE}/")))
        .respond_with(move |request: &Request| serving.respond(request))
        .with_priority(10)
        .mount(&server)
        .await;
    let source =
        Bitrix24Source::new("b24", config(&server.uri()), &context()).expect("valid config");
    Harness {
        server,
        source,
        portal,
    }
}

impl Harness {
    /// The next `batch` holding every sub-call of `keys` is answered as
    /// usual, then its outer `result` is passed through `edit`.
    pub async fn edit_batch_once(
        &self,
        keys: &[&str],
        edit: impl Fn(&mut Value) + Send + Sync + 'static,
    ) {
        let portal = self.portal.clone();
        self.batch_once(keys, move |request: &Request| {
            let params: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            let mut result = portal.batch(&params);
            edit(&mut result);
            ResponseTemplate::new(200).set_body_json(json!({"result": result, "time": time()}))
        })
        .await;
    }

    /// The next `batch` holding every sub-call of `keys` gets `respond`'s
    /// answer.
    pub async fn batch_once(
        &self,
        keys: &[&str],
        respond: impl Fn(&Request) -> ResponseTemplate + Send + Sync + 'static,
    ) {
        Mock::given(method("POST"))
            .and(path_regex(format!("^/rest/1/{CODE}/batch$")))
            .and(HasSubCalls(keys.iter().map(|k| k.to_string()).collect()))
            .respond_with(respond)
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// The next `batch` holding every sub-call of `keys` is answered as
    /// usual, except that sub-call `failing` comes back as `error` in
    /// `result_error`.
    pub async fn fail_sub_call_once(&self, keys: &[&str], failing: &str, error: Value) {
        let key = failing.to_owned();
        self.edit_batch_once(keys, move |result| {
            if let Some(results) = result["result"].as_object_mut() {
                results.remove(&key);
            }
            if !result["result_error"].is_object() {
                result["result_error"] = json!({});
            }
            result["result_error"][&key] = error.clone();
        })
        .await;
    }

    /// The `cmd` maps of the batches the portal received, in order.
    pub async fn batch_commands(&self) -> Vec<Map<String, Value>> {
        self.bodies("batch")
            .await
            .into_iter()
            .map(|b| b["cmd"].as_object().cloned().unwrap_or_default())
            .collect()
    }

    /// The methods the portal received, in order.
    pub async fn calls(&self) -> Vec<String> {
        self.requests()
            .await
            .iter()
            .map(|r| {
                r.url
                    .path()
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    }

    /// Every request the portal received.
    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap_or_default()
    }

    /// The JSON bodies of the requests for `method`.
    pub async fn bodies(&self, method: &str) -> Vec<Value> {
        self.requests()
            .await
            .iter()
            .filter(|r| r.url.path().ends_with(&format!("/{method}")))
            .map(|r| r.body_json().expect("JSON body"))
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
            if done || pages.len() > 100 {
                return Ok(pages);
            }
        }
    }
}

/// Matches a `batch` whose `cmd` holds every one of the keys.
struct HasSubCalls(Vec<String>);

impl Match for HasSubCalls {
    fn matches(&self, request: &Request) -> bool {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        self.0.iter().all(|key| body["cmd"].get(key).is_some())
    }
}

/// Deals the state already has an outcome for.
pub struct Handled(pub HashSet<String>);

impl Handled {
    pub fn ids(ids: impl IntoIterator<Item = u64>) -> Self {
        Self(ids.into_iter().map(|i| i.to_string()).collect())
    }
}

impl SeenDeals for Handled {
    fn is_handled(&self, deal_id: &str) -> bool {
        self.0.contains(deal_id)
    }
}
