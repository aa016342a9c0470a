//! The portal's HTTP surface: webhook calls at
//! `/rest/{user}/{code}/{method}[.json]`, OAuth calls at `/rest/{method}`
//! with `auth=<access_token>`, and the OAuth token endpoint.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, http::Uri};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::batch;
use super::error::ApiError;
use super::methods::{self, MethodReply, method_name};
use super::oauth::{token_endpoint, wrong_method};
use super::portal::Portal;
use super::time::time_object;
use crate::params::{Param, read_params};
use crate::record::SubCalls;

/// The portal's routes; GET and POST alike for REST calls.
pub(crate) fn router(portal: Arc<Portal>) -> Router {
    let tokens = || get(token_endpoint).fallback(wrong_method);
    Router::new()
        .route("/rest/{user}/{code}/{method}", any(webhook_call))
        .route("/rest/{user}/{code}/{method}/", any(webhook_call))
        .route("/rest/{method}", any(oauth_call))
        .route("/oauth/token/", tokens())
        .route("/oauth/token", tokens())
        .fallback(unknown_path)
        .with_state(portal)
}

async fn webhook_call(
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
    match read_params(request).await {
        Ok(params) => run(&portal, &method, &params, started),
        Err(unreadable) => ApiError::invalid_request(unreadable.0).into_response(),
    }
}

async fn oauth_call(
    State(portal): State<Arc<Portal>>,
    Path(method): Path<String>,
    request: Request,
) -> Response {
    let started = Utc::now();
    let params = match read_params(request).await {
        Ok(params) => params,
        Err(unreadable) => return ApiError::invalid_request(unreadable.0).into_response(),
    };
    if let Err(refusal) = portal.authenticate(&params) {
        return refusal.into_response();
    }
    if !portal.admit() {
        return ApiError::query_limit().into_response();
    }
    run(&portal, &method, &params, started)
}

/// Runs an authorised call: one method or a `batch`.
fn run(portal: &Portal, method: &str, params: &Param, started: DateTime<Utc>) -> Response {
    let method = method_name(method);
    let store = portal.store();
    if method == "batch" {
        let outcome = batch::run(&store, params);
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
    match methods::call(&store, &method, params) {
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
        ApiError::path_not_found().into_response()
    }
}
