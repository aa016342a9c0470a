//! Everything this connector assumes about MACRO's data API, in one place.
//!
//! MACRO documents only its write API (site → CRM заявки, `POST
//! /estate/request/`, signed with `domain`, `time` and `token`). The API that
//! lists заявки and сделки is issued by MACRO support together with a
//! company token, and its spec is not public. So the path, paging style,
//! record path and field names below are assumptions; each one is a
//! configuration key, and the crate README says which to change once the
//! vendor has given the real ones.

use liner_sync_core::records::{FieldMap, Paging, SinceFormat};
use serde_json::Value;

/// The API host of accounts on macroserver.ru (vendor docs).
pub(crate) const MACROSERVER: &str = "https://api.macroserver.ru";

/// The API host of accounts on macro.sbercrm.com (vendor docs).
pub(crate) const SBERCRM: &str = "https://api.macro.sbercrm.com";

/// Hosts of MACRO's web interface, which people paste instead of an API host,
/// with the API host to use instead.
pub(crate) const WEB_HOSTS: &[(&str, &str)] = &[
    ("macroserver.ru", MACROSERVER),
    ("www.macroserver.ru", MACROSERVER),
    ("app.macroserver.ru", MACROSERVER),
    ("macro.sbercrm.com", SBERCRM),
    ("sbercrm.com", SBERCRM),
    ("www.sbercrm.com", SBERCRM),
];

/// Assumed: the заявки list, by analogy with the documented
/// `/estate/request/` (create a заявка) and the third-party `/estate/get/`
/// (list objects).
pub(crate) const PATH: &str = "/estate/request/get/";

/// Assumed: `?page=N&limit=100`, pages from 1.
pub(crate) fn paging() -> Paging {
    Paging::PageLimit {
        page_param: "page".into(),
        limit_param: "limit".into(),
        limit: 100,
        first_page: 1,
    }
}

/// Assumed: the records are the `data` list of the reply.
pub(crate) const RECORDS: &str = "data";

/// Assumed: a created-from filter writes naive local time, as MACRO writes
/// its dates.
pub(crate) const CREATED_FROM_FORMAT: SinceFormat = SinceFormat::Local;

/// Assumed field paths of one заявка. The names follow the documented write
/// API's parameters where there is one (`name`, `phone`, `utm_*`); a заявка's
/// contacts (good.bi lists "Контакты у заявок") are a `contacts` list.
pub(crate) const FIELDS: &[(&str, &str)] = &[
    ("id", "id"),
    ("created_at", "created_at"),
    ("title", "title"),
    ("contacts", "contacts"),
    ("name", "name"),
    ("phones", "phones"),
    ("telegram", "telegram"),
    ("vk", "vk"),
    ("stage", "status_id"),
    ("utm_source", "utm_source"),
    ("utm_medium", "utm_medium"),
    ("utm_campaign", "utm_campaign"),
    ("utm_content", "utm_content"),
    ("utm_term", "utm_term"),
];

/// [`FIELDS`] as a field map (empty if they did not parse, which the tests
/// rule out and validation would report).
pub(crate) fn fields() -> FieldMap {
    let map = FIELDS
        .iter()
        .map(|(field, path)| ((*field).to_owned(), Value::from(*path)))
        .collect();
    serde_json::from_value(Value::Object(map)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_parses_and_is_set() {
        let map = fields();
        assert!(map.validate().is_ok());
        let shown = format!("{map:?}");
        for (field, path) in FIELDS {
            assert!(
                shown.contains(&format!("{field}: Some(JsonPath({path:?}))")),
                "{field}: {shown}"
            );
        }
        assert!(liner_sync_core::records::JsonPath::parse(RECORDS).is_ok());
    }
}
