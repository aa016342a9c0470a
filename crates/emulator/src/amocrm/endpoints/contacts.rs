//! `GET /api/v4/contacts` and `GET /api/v4/contacts/{id}`.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};

use crate::amocrm::account::Account;
use crate::amocrm::entities::contact::{ContactRow, ORDER_FIELDS, render};
use crate::amocrm::hal::{self, Listing};
use crate::amocrm::problem::Problem;
use crate::amocrm::query::filter::ContactFilter;
use crate::amocrm::query::order::Order;
use crate::amocrm::query::paging::Paging;
use crate::amocrm::query::{no_search, parse};

const PATH: &str = "/api/v4/contacts";

/// One page of contacts, usually `filter[id][]=…` for a page of leads.
pub(crate) async fn list(
    State(account): State<Arc<Account>>,
    RawQuery(query): RawQuery,
) -> Response {
    page(&account, query.as_deref()).unwrap_or_else(IntoResponse::into_response)
}

fn page(account: &Account, query: Option<&str>) -> Result<Response, Problem> {
    let params = parse(query);
    no_search(&params)?;
    let paging = Paging::parse(&params)?;
    let order = Order::parse(params.get("order"), ORDER_FIELDS)?;
    let filter = ContactFilter::parse(params.get("filter"))?;
    let store = account.store();
    let mut rows: Vec<ContactRow<'_>> = store
        .contacts()
        .values()
        .filter(|stored| filter.matches(stored.contact.id))
        .map(ContactRow::of)
        .collect();
    order.sort(&mut rows);
    let (rows, has_next) = paging.cut(rows);
    let items = rows
        .iter()
        .map(|row| render(row, &account.base_url))
        .collect();
    let listing = Listing {
        base: &account.base_url,
        path: PATH,
        query,
    };
    Ok(hal::page(listing, paging.page, has_next, "contacts", items))
}

/// One contact; 204 when there is none with that id.
pub(crate) async fn one(State(account): State<Arc<Account>>, Path(id): Path<String>) -> Response {
    let Ok(number) = id.parse::<u64>() else {
        return Problem::not_found(&account.url(&format!("{PATH}/{id}"))).into_response();
    };
    let store = account.store();
    match store.contacts().get(&number) {
        Some(stored) => hal::hal(render(&ContactRow::of(stored), &account.base_url)),
        None => hal::no_content(),
    }
}
