//! `crm.contact.get`.

use super::{MethodReply, id_param};
use crate::bitrix24::error::ApiError;
use crate::bitrix24::fields::contact::render;
use crate::bitrix24::query::select::Selection;
use crate::data::store::Store;
use crate::params::Param;

/// One contact with every field; multifields only when non-empty.
pub(super) fn run(store: &Store, params: &Param) -> Result<MethodReply, ApiError> {
    let id = id_param(params).ok_or_else(|| ApiError::crm("ID is not defined or invalid."))?;
    let contact = store
        .contacts()
        .get(&id)
        .ok_or_else(|| ApiError::crm("Not found"))?;
    Ok(MethodReply::result(render(
        contact,
        &Selection::parse(None),
        true,
    )))
}
