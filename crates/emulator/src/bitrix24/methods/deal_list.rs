//! `crm.deal.list`.

use serde_json::Value;

use super::MethodReply;
use crate::bitrix24::error::ApiError;
use crate::bitrix24::fields::deal::render;
use crate::bitrix24::query::filter::Filter;
use crate::bitrix24::query::order::{Direction, Order};
use crate::bitrix24::query::page::{paginate, parse_start};
use crate::bitrix24::query::select::Selection;
use crate::bitrix24::store::Store;
use crate::data::FakeDeal;
use crate::params::Param;

/// One page of deals. Scans only the id range the filter allows and, when the
/// order is by id, stops after the page when counting is off — so keyset
/// paging stays cheap on a big portal, as on the real one.
pub(super) fn run(store: &Store, params: &Param) -> Result<MethodReply, ApiError> {
    let filter = Filter::parse::<FakeDeal>(params.get("filter"))?;
    let order = Order::parse::<FakeDeal>(params.get("order"))?;
    let selection = Selection::parse(params.get("select"));
    let start = parse_start(params.get("start"));
    let Some(range) = filter.id_range() else {
        return Ok(list_reply(Vec::new(), 0, None));
    };
    let deals = store.deals().range(range).map(|(_, deal)| deal);
    let page = match order.by_id() {
        Some(Direction::Asc) => paginate(deals, true, &filter, &order, start),
        Some(Direction::Desc) => paginate(deals.rev(), true, &filter, &order, start),
        None => paginate(deals, false, &filter, &order, start),
    };
    let rows = page
        .rows
        .iter()
        .map(|deal| render(deal, &selection, store.custom_fields()))
        .collect();
    Ok(list_reply(rows, page.total, page.next))
}

/// A list method's reply: rows, `total` and maybe `next`.
pub(super) fn list_reply(rows: Vec<Value>, total: u64, next: Option<u64>) -> MethodReply {
    MethodReply {
        result: Value::Array(rows),
        total: Some(total),
        next,
    }
}
