//! Liner's HTTP surface: lead create (sync and async) and the order list.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::{any, get, post};
use serde_json::{Value, json};

use super::SyncIdFormat;
use super::account::Account;
use super::envelope::{failure, invalid_api_key, success, too_many_requests};
use super::orders::order_page;
use super::validate::validate_lead;
use crate::params::{Param, parse_php_query};

/// The API's routes; the trailing slash is optional.
pub(crate) fn router(account: Arc<Account>) -> Router {
    let create_async = || post(create_async).fallback(method_not_allowed);
    let create_sync = || post(create_sync).fallback(method_not_allowed);
    let orders = || get(order_list).fallback(method_not_allowed);
    Router::new()
        .route("/v2/lead/create-async/", create_async())
        .route("/v2/lead/create-async", create_async())
        .route("/v2/lead/create/", create_sync())
        .route("/v2/lead/create", create_sync())
        .route("/v2/order/", orders())
        .route("/v2/order", orders())
        .fallback(any(not_found))
        .with_state(account)
}

async fn create_async(
    State(account): State<Arc<Account>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(&account, create(&account, &headers, &body, false)).await
}

async fn create_sync(
    State(account): State<Arc<Account>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(&account, create(&account, &headers, &body, true)).await
}

/// The reply to a create: late, when the lead was accepted and a slow reply
/// is queued ([`crate::Faults::slow_next`]): the lead stays accepted even if
/// the client gives up waiting.
async fn answer(account: &Account, (reply, accepted): (Response, bool)) -> Response {
    if accepted {
        let delay = account.faults.take_slow();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
    reply
}

/// Handles one create; the reply and whether the lead was accepted.
fn create(account: &Account, headers: &HeaderMap, body: &[u8], sync: bool) -> (Response, bool) {
    if let Some(refusal) = refusal(account, headers) {
        return (refusal, false);
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    if !is_json {
        return (
            reject(account, "Content-Type: must be application/json"),
            false,
        );
    }
    let lead: Value = match serde_json::from_slice(body) {
        Ok(lead) => lead,
        Err(_) => return (reject(account, "body: invalid JSON"), false),
    };
    if let Err(message) = validate_lead(&lead, &account.orders) {
        return (reject(account, &message), false);
    }
    let id = account.accept(lead, sync);
    let reply = match (sync, account.sync_id_format) {
        (false, _) => success(json!([])),
        (true, SyncIdFormat::Number) => success(json!(id)),
        (true, SyncIdFormat::Object) => success(json!({ "id": id })),
    };
    (reply, true)
}

async fn order_list(
    State(account): State<Arc<Account>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    if let Some(refusal) = refusal(&account, &headers) {
        return refusal;
    }
    let query = query
        .as_deref()
        .map_or_else(Param::empty_map, parse_php_query);
    match order_page(&account.orders, &query) {
        Ok(page) => success(page),
        Err(message) => failure(400, &message),
    }
}

/// The reply for a request refused by the API key check, then by the rate
/// limit; `None` lets it through.
fn refusal(account: &Account, headers: &HeaderMap) -> Option<Response> {
    let key = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    if !account.key_matches(key) {
        return Some(invalid_api_key());
    }
    account
        .admit()
        .err()
        .map(|wait| too_many_requests(wait.as_secs_f64().ceil() as u64))
}

/// A validation failure: 400, or 200 when the fault knob says so.
fn reject(account: &Account, message: &str) -> Response {
    let status = if account.faults.reject_with_200() {
        200
    } else {
        400
    };
    failure(status, message)
}

async fn method_not_allowed() -> Response {
    failure(405, "Method not allowed")
}

async fn not_found() -> Response {
    failure(404, "Not found")
}
