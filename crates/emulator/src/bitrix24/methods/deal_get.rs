//! `crm.deal.get`.

use super::{MethodReply, id_param};
use crate::bitrix24::error::ApiError;
use crate::bitrix24::fields::deal::render;
use crate::bitrix24::query::select::Selection;
use crate::data::store::Store;
use crate::params::Param;

/// One deal with every field, custom "multiple" fields included.
pub(super) fn run(store: &Store, params: &Param) -> Result<MethodReply, ApiError> {
    let id = id_param(params).ok_or_else(|| ApiError::crm("ID is not defined or invalid."))?;
    let deal = store
        .deals()
        .get(&id)
        .ok_or_else(|| ApiError::crm("Not found"))?;
    let mut everything = Selection::parse(None);
    for name in store.custom_fields().keys() {
        everything = everything.with_name(name);
    }
    Ok(MethodReply::result(render(
        deal,
        &everything,
        store.custom_fields(),
    )))
}
