//! `crm.contact.list`.

use super::MethodReply;
use super::listing::list;
use crate::bitrix24::error::ApiError;
use crate::bitrix24::fields::contact::render;
use crate::data::store::Store;
use crate::params::Param;

/// One page of contacts; `PHONE`/`IM` only when named in `select`.
pub(super) fn run(store: &Store, params: &Param) -> Result<MethodReply, ApiError> {
    list(
        store.contacts(),
        |contact| contact,
        params,
        |contact, selection| render(contact, selection, false),
    )
}
