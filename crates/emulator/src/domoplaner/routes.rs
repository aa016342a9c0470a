//! The account's HTTP surface: the feed, the leads API, and a site's 404
//! page for everything else (a wrong feed token included).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use super::account::Account;
use super::records;
use crate::html::nginx_error_page;

/// Every route; paths are exact.
pub(crate) fn router(state: Arc<Account>) -> Router {
    Router::new()
        .route("/feeds/{file}", get(feed))
        .route("/api/leads/get-by-id", get(lead))
        .fallback(not_found)
        .with_state(state)
}

/// The site's answer to an address it does not have.
pub(crate) fn not_found_page() -> Response {
    nginx_error_page(404)
}

async fn not_found() -> Response {
    not_found_page()
}

async fn feed(State(account): State<Arc<Account>>, Path(file): Path<String>) -> Response {
    if file != format!("{}.json", account.options.feed_token) {
        return not_found_page();
    }
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        records::feed(&account),
    )
        .into_response()
}

#[derive(Deserialize)]
struct ById {
    id: Option<String>,
}

async fn lead(
    State(account): State<Arc<Account>>,
    headers: HeaderMap,
    Query(query): Query<ById>,
) -> Response {
    let Some(token) = &account.options.api_token else {
        return not_found_page();
    };
    let bearer = format!("Bearer {token}");
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(bearer.as_str())
    {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"status": "error", "text": "Unauthorized"})),
        )
            .into_response();
    }
    let card = query
        .id
        .and_then(|id| id.trim().parse::<u64>().ok())
        .and_then(|id| records::card(&account.store(), id));
    match card {
        Some(card) => axum::Json(card).into_response(),
        None => axum::Json(json!({"status": "error", "text": "Клиента с таким ID не найдено"}))
            .into_response(),
    }
}
