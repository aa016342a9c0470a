//! `GET /api/v4/account`.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;

use crate::amocrm::account::Account;
use crate::amocrm::entities::account::render;
use crate::amocrm::hal::hal;

/// The account object.
pub(crate) async fn show(State(account): State<Arc<Account>>) -> Response {
    hal(render(&account.base_url))
}
