//! `crm.contact.list`.

use super::MethodReply;
use super::deal_list::list_reply;
use crate::bitrix24::error::ApiError;
use crate::bitrix24::fields::contact::render;
use crate::bitrix24::query::filter::Filter;
use crate::bitrix24::query::order::{Direction, Order};
use crate::bitrix24::query::page::{paginate, parse_start};
use crate::bitrix24::query::select::Selection;
use crate::bitrix24::store::{Store, StoredContact};
use crate::params::Param;

/// One page of contacts; `PHONE`/`IM` only when named in `select`.
pub(super) fn run(store: &Store, params: &Param) -> Result<MethodReply, ApiError> {
    let filter = Filter::parse::<StoredContact>(params.get("filter"))?;
    let order = Order::parse::<StoredContact>(params.get("order"))?;
    let selection = Selection::parse(params.get("select"));
    let start = parse_start(params.get("start"));
    let Some(range) = filter.id_range() else {
        return Ok(list_reply(Vec::new(), 0, None));
    };
    let contacts = store.contacts().range(range).map(|(_, contact)| contact);
    let page = match order.by_id() {
        Some(Direction::Asc) => paginate(contacts, true, &filter, &order, start),
        Some(Direction::Desc) => paginate(contacts.rev(), true, &filter, &order, start),
        None => paginate(contacts, false, &filter, &order, start),
    };
    let rows = page
        .rows
        .iter()
        .map(|contact| render(contact, &selection, false))
        .collect();
    Ok(list_reply(rows, page.total, page.next))
}
