//! Paging: 50 rows a page; `start` is an offset, `-1` turns counting off.

use super::filter::Filter;
use super::order::Order;
use crate::bitrix24::fields::Filterable;
use crate::params::Param;

/// Rows per page; the portal does not let it change.
pub(crate) const PAGE_SIZE: usize = 50;

/// One page of a list.
#[derive(Debug)]
pub(crate) struct Page<R> {
    /// The page's rows.
    pub rows: Vec<R>,
    /// All matches (0 when counting is off).
    pub total: u64,
    /// The `start` of the next page, when there is one and counting is on.
    pub next: Option<u64>,
}

/// Reads `start`: `None` for `-1` (no count, no `next`), else an offset.
pub(crate) fn parse_start(param: Option<&Param>) -> Option<usize> {
    match param.and_then(Param::integer) {
        Some(-1) => None,
        Some(n) if n > 0 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Some(0),
    }
}

/// Filters `rows`, orders them (unless `in_order` says they already come in
/// `order`) and cuts the page at `start`.
pub(crate) fn paginate<R: Filterable>(
    rows: impl Iterator<Item = R>,
    in_order: bool,
    filter: &Filter,
    order: &Order,
    start: Option<usize>,
) -> Page<R> {
    let matching = rows.filter(|row| filter.matches(row));
    if in_order {
        return cut(matching, start);
    }
    let mut all: Vec<R> = matching.collect();
    all.sort_by(|a, b| order.compare(a, b));
    cut(all.into_iter(), start)
}

fn cut<R>(mut matching: impl Iterator<Item = R>, start: Option<usize>) -> Page<R> {
    let Some(offset) = start else {
        return Page {
            rows: matching.by_ref().take(PAGE_SIZE).collect(),
            total: 0,
            next: None,
        };
    };
    let mut rows = Vec::new();
    let mut total: usize = 0;
    for row in matching {
        if total >= offset && rows.len() < PAGE_SIZE {
            rows.push(row);
        }
        total += 1;
    }
    let after = offset.saturating_add(PAGE_SIZE);
    Page {
        rows,
        total: total as u64,
        next: (total > after).then_some(after as u64),
    }
}
