//! What every `*.list` method does: filter, order, page, render.

use std::collections::BTreeMap;

use serde_json::Value;

use super::MethodReply;
use crate::bitrix24::error::ApiError;
use crate::bitrix24::fields::Filterable;
use crate::bitrix24::query::filter::Filter;
use crate::bitrix24::query::order::{Direction, Order};
use crate::bitrix24::query::page::{paginate, parse_start};
use crate::bitrix24::query::select::Selection;
use crate::params::Param;

/// One page of `rows` as `params` ask, each row seen through `view` (the
/// row itself, or a method's own view of it). Scans only the id range the
/// filter allows and, when the order is by id, stops after the page when
/// counting is off — so keyset paging stays cheap on a big portal, as on the
/// real one.
pub(super) fn list<'a, T, R: Filterable>(
    rows: &'a BTreeMap<u64, T>,
    view: impl Fn(&'a T) -> R,
    params: &Param,
    render: impl Fn(&R, &Selection) -> Value,
) -> Result<MethodReply, ApiError> {
    let filter = Filter::parse::<R>(params.get("filter"))?;
    let order = Order::parse::<R>(params.get("order"))?;
    let selection = Selection::parse(params.get("select"));
    let start = parse_start(params.get("start"));
    let Some(range) = filter.id_range() else {
        return Ok(reply(Vec::new(), 0, None));
    };
    let candidates = rows.range(range).map(|(_, row)| view(row));
    let page = match order.by_id() {
        Some(Direction::Asc) => paginate(candidates, true, &filter, &order, start),
        Some(Direction::Desc) => paginate(candidates.rev(), true, &filter, &order, start),
        None => paginate(candidates, false, &filter, &order, start),
    };
    let rendered = page
        .rows
        .iter()
        .map(|row| render(row, &selection))
        .collect();
    Ok(reply(rendered, page.total, page.next))
}

fn reply(rows: Vec<Value>, total: u64, next: Option<u64>) -> MethodReply {
    MethodReply {
        result: Value::Array(rows),
        total: Some(total),
        next,
    }
}
