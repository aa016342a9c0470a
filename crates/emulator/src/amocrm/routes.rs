//! The account's HTTP surface: API v4 under `/api/v4/`, the OAuth token
//! endpoint, and the gate in front of both.

use std::sync::Arc;

use axum::extract::State;
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Router, middleware};

use super::account::Account;
use super::endpoints::{account, contacts, leads, oauth};
use super::gate::gate;
use super::problem::Problem;

/// Every route; paths are exact (no trailing slash).
pub(crate) fn router(state: Arc<Account>) -> Router {
    Router::new()
        .route("/api/v4/leads", get(leads::list).fallback(wrong_method))
        .route("/api/v4/leads/{id}", get(leads::one).fallback(wrong_method))
        .route(
            "/api/v4/contacts",
            get(contacts::list).fallback(wrong_method),
        )
        .route(
            "/api/v4/contacts/{id}",
            get(contacts::one).fallback(wrong_method),
        )
        .route("/api/v4/account", get(account::show).fallback(wrong_method))
        .route(
            "/oauth2/access_token",
            post(oauth::access_token).fallback(wrong_method),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

async fn wrong_method() -> Response {
    Problem::method_not_allowed().into_response()
}

/// 404 `Cannot GET <url>`, as for a filter put in the path.
async fn not_found(State(account): State<Arc<Account>>, uri: Uri) -> Response {
    Problem::not_found(&account.url(&uri.to_string())).into_response()
}
