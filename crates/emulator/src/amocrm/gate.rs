//! What every request meets before its handler: the block, the rate limit,
//! the Bearer token (API paths only) and the payment check.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::account::Account;
use super::limits::Verdict;
use super::problem::{Problem, blocked};

/// Refuses the request with the account's error, or passes it on.
pub(crate) async fn gate(
    State(account): State<Arc<Account>>,
    request: Request,
    next: Next,
) -> Response {
    match account.limits.admit() {
        Verdict::Admit => {}
        Verdict::Blocked => return blocked(),
        Verdict::TooMany(wait) => {
            return Problem::too_many_requests(wait.as_secs_f64().ceil() as u64).into_response();
        }
    }
    if request.uri().path().starts_with("/api/") && !account.credentials.accepts(request.headers())
    {
        return Problem::unauthorized().into_response();
    }
    if account.unpaid() {
        return Problem::payment_required().into_response();
    }
    next.run(request).await
}
