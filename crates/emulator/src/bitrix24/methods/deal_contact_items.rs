//! `crm.deal.contact.items.get`: every contact bound to a deal.

use serde_json::{Value, json};

use super::{MethodReply, id_param};
use crate::bitrix24::error::ApiError;
use crate::data::store::Store;
use crate::params::Param;

/// The bindings, primary first. Unlike `crm.deal.*`, the numbers here are
/// JSON integers.
pub(super) fn run(store: &Store, params: &Param) -> Result<MethodReply, ApiError> {
    let id = id_param(params)
        .ok_or_else(|| ApiError::crm("The parameter ownerEntityID is invalid or not defined."))?;
    let deal = store
        .deals()
        .get(&id)
        .ok_or_else(|| ApiError::crm("Not found."))?;
    let items = deal
        .contact_ids
        .iter()
        .enumerate()
        .map(|(i, contact_id)| {
            json!({
                "CONTACT_ID": contact_id,
                "SORT": (i + 1) * 10,
                "ROLE_ID": 0,
                "IS_PRIMARY": if i == 0 { "Y" } else { "N" },
            })
        })
        .collect();
    Ok(MethodReply::result(Value::Array(items)))
}
