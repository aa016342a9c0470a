//! The REST methods the fake portal implements (all but `batch`, which calls
//! these).

mod contact_get;
mod contact_list;
mod deal_contact_items;
mod deal_get;
mod deal_list;
mod item_list;
mod listing;
mod scope;

use serde_json::Value;

use super::error::ApiError;
use crate::data::store::Store;
use crate::params::Param;

/// A method's successful answer, before the `time` object is added.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MethodReply {
    /// `result`.
    pub result: Value,
    /// `total`, for list methods.
    pub total: Option<u64>,
    /// `next`, for list methods with more pages.
    pub next: Option<u64>,
}

impl MethodReply {
    /// A reply with only a `result`.
    pub fn result(result: Value) -> Self {
        MethodReply {
            result,
            total: None,
            next: None,
        }
    }
}

/// Runs one method (lower-case name, no `.json`) against the store.
pub(crate) fn call(store: &Store, method: &str, params: &Param) -> Result<MethodReply, ApiError> {
    match method {
        "crm.deal.list" => deal_list::run(store, params),
        "crm.deal.get" => deal_get::run(store, params),
        "crm.deal.contact.items.get" => deal_contact_items::run(store, params),
        "crm.item.list" => item_list::run(store, params),
        "crm.contact.list" => contact_list::run(store, params),
        "crm.contact.get" => contact_get::run(store, params),
        "scope" => Ok(scope::run()),
        _ => Err(ApiError::method_not_found()),
    }
}

/// A method name as the portal matches it: trimmed, lower-case, no `.json`.
pub(crate) fn method_name(raw: &str) -> String {
    let lower = raw.trim().to_lowercase();
    lower.strip_suffix(".json").unwrap_or(&lower).to_owned()
}

/// The positive integer `id` (any case) a get method needs.
fn id_param(params: &Param) -> Option<u64> {
    params
        .get("id")
        .and_then(Param::integer)
        .filter(|id| *id > 0)
        .map(|id| id as u64)
}
