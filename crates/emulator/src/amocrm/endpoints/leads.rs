//! `GET /api/v4/leads` and `GET /api/v4/leads/{id}`.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};

use crate::amocrm::account::Account;
use crate::amocrm::entities::lead::{LeadRow, ORDER_FIELDS, render};
use crate::amocrm::hal::{self, Listing};
use crate::amocrm::problem::Problem;
use crate::amocrm::query::filter::LeadFilter;
use crate::amocrm::query::order::Order;
use crate::amocrm::query::paging::Paging;
use crate::amocrm::query::{no_search, parse, wants};

const PATH: &str = "/api/v4/leads";

/// One page of leads, `with=contacts` adding their contact ids.
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
    let filter = LeadFilter::parse(params.get("filter"))?;
    let with_contacts = wants(&params, "contacts");
    let store = account.store();
    let mut rows: Vec<LeadRow<'_>> = store
        .deals()
        .values()
        .map(LeadRow::of)
        .filter(|row| filter.matches(row))
        .collect();
    order.sort(&mut rows);
    let (rows, has_next) = paging.cut(rows);
    let items = rows
        .iter()
        .map(|row| render(row, &account.base_url, with_contacts))
        .collect();
    let listing = Listing {
        base: &account.base_url,
        path: PATH,
        query,
    };
    Ok(hal::page(listing, paging.page, has_next, "leads", items))
}

/// One lead; 204 when there is none with that id.
pub(crate) async fn one(
    State(account): State<Arc<Account>>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Ok(number) = id.parse::<u64>() else {
        return Problem::not_found(&account.url(&format!("{PATH}/{id}"))).into_response();
    };
    let with_contacts = wants(&parse(query.as_deref()), "contacts");
    let store = account.store();
    match store.deals().get(&number) {
        Some(deal) => hal::hal(render(&LeadRow::of(deal), &account.base_url, with_contacts)),
        None => hal::no_content(),
    }
}
