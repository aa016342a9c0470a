//! The company's HTTP surface: the заявки list, GET or POST.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use chrono::Utc;
use serde_json::{Value, json};

use super::company::Company;
use super::{MACRO_PATH, paging, records, signature};
use crate::params::read_params;

/// Every route; the path with or without its trailing slash.
pub(crate) fn router(company: Arc<Company>) -> Router {
    Router::new()
        .route(MACRO_PATH, any(list))
        .route(MACRO_PATH.trim_end_matches('/'), any(list))
        .fallback(not_found)
        .with_state(company)
}

/// `{"error": true, "message": …}` with `status`.
pub(crate) fn refusal(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"error": true, "message": message}))).into_response()
}

async fn list(State(company): State<Arc<Company>>, request: Request) -> Response {
    let params = match read_params(request).await {
        Ok(params) => params,
        Err(unreadable) => return refusal(StatusCode::OK, unreadable.0),
    };
    if let Err(why) = signature::check(&company, &params, Utc::now().timestamp()) {
        return refusal(StatusCode::OK, why);
    }
    let store = company.store();
    let options = &company.options;
    let deals = store.deals().values().collect();
    let page = match paging::select(options.paging, &params, options.timezone, deals) {
        Ok(page) => page,
        Err(why) => return refusal(StatusCode::OK, &why),
    };
    let items: Vec<Value> = page
        .iter()
        .map(|deal| records::render(&company, &store, deal))
        .collect();
    let mut body = serde_json::Map::new();
    body.insert("success".into(), json!(true));
    body.insert("total".into(), json!(store.deals().len()));
    body.insert(company.key("data").to_owned(), Value::Array(items));
    Json(Value::Object(body)).into_response()
}

async fn not_found() -> Response {
    refusal(StatusCode::NOT_FOUND, "Метод не найден")
}
