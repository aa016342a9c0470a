//! The portal's HTTP surface: `/rest/{user}/{code}/{method}[.json]`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::{Json, http::Uri};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::batch;
use super::error::ApiError;
use super::methods::{self, MethodReply, method_name};
use super::portal::Portal;
use super::request::read_params;
use super::time::time_object;
use crate::record::SubCalls;

/// The portal's routes; GET and POST alike.
pub(crate) fn router(portal: Arc<Portal>) -> Router {
    Router::new()
        .route("/rest/{user}/{code}/{method}", any(call))
        .route("/rest/{user}/{code}/{method}/", any(call))
        .fallback(unknown_path)
        .with_state(portal)
}

async fn call(
    State(portal): State<Arc<Portal>>,
    Path((user, code, method)): Path<(String, String, String)>,
    request: Request,
) -> Response {
    let started = Utc::now();
    if !portal.authorised(&user, &code) {
        return ApiError::no_auth().into_response();
    }
    if !portal.admit() {
        return ApiError::query_limit().into_response();
    }
    let method = method_name(&method);
    let params = match read_params(request).await {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let store = portal.store();
    if method == "batch" {
        let outcome = batch::run(&store, &params);
        drop(store);
        let mut response = match outcome.result {
            Ok(result) => success(MethodReply::result(result), started),
            Err(error) => error.into_response(),
        };
        response
            .extensions_mut()
            .insert(SubCalls(outcome.sub_calls));
        return response;
    }
    match methods::call(&store, &method, &params) {
        Ok(reply) => success(reply, started),
        Err(error) => error.into_response(),
    }
}

/// `{"result": …, "next"?: n, "total"?: n, "time": {…}}`.
fn success(reply: MethodReply, started: DateTime<Utc>) -> Response {
    let mut body = Map::new();
    body.insert("result".into(), reply.result);
    if let Some(next) = reply.next {
        body.insert("next".into(), json!(next));
    }
    if let Some(total) = reply.total {
        body.insert("total".into(), json!(total));
    }
    body.insert("time".into(), time_object(started, true));
    (StatusCode::OK, Json(Value::Object(body))).into_response()
}

/// A `/rest/` path of the wrong shape is an authorisation failure (a missing
/// user id segment is the classic); anything else does not exist.
async fn unknown_path(uri: Uri) -> Response {
    if uri.path().starts_with("/rest/") {
        ApiError::no_auth().into_response()
    } else {
        (
            StatusCode::NOT_FOUND,
            Json(json!({"error": "NOT_FOUND", "error_description": "Not found"})),
        )
            .into_response()
    }
}
