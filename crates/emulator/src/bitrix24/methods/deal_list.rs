//! `crm.deal.list`.

use super::MethodReply;
use super::listing::list;
use crate::bitrix24::error::ApiError;
use crate::bitrix24::fields::deal::render;
use crate::data::store::Store;
use crate::params::Param;

/// One page of deals; `UF_*` custom fields by default, "multiple" ones only
/// when named.
pub(super) fn run(store: &Store, params: &Param) -> Result<MethodReply, ApiError> {
    list(
        store.deals(),
        |deal| deal,
        params,
        |deal, selection| render(deal, selection, store.custom_fields()),
    )
}
