//! `crm.item.list`: the universal list method, here for deals
//! (`entityTypeId` 2) only.

use serde_json::json;

use super::MethodReply;
use super::listing::list;
use crate::bitrix24::error::ApiError;
use crate::bitrix24::fields::item::{DealItem, render};
use crate::data::store::Store;
use crate::params::Param;

/// `entityTypeId` of deals.
const DEALS: i64 = 2;

/// One page of deals as items, `{"items": […]}`: camelCase fields with
/// native types. Any other (or no) `entityTypeId` is `NOT_FOUND`, as for a
/// smart process the portal does not have.
pub(super) fn run(store: &Store, params: &Param) -> Result<MethodReply, ApiError> {
    let entity_type = params.get("entityTypeId").and_then(Param::integer);
    if entity_type != Some(DEALS) {
        return Err(ApiError::entity_type_not_found());
    }
    let mut reply = list(store.deals(), DealItem, params, render)?;
    reply.result = json!({ "items": reply.result });
    Ok(reply)
}
