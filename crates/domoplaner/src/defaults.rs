//! Where the deals feed is assumed to keep each field.
//!
//! Domoplaner does not publish the field list of its "Полный от сделок"
//! feed, so every path here is an assumption (see the README's table); the
//! configuration's `records:`, `fields:` and `client_id:` override them. The
//! reasoning behind each guess:
//!
//! * `deals`: the feed is "full by deals", so a list of deals under that key;
//! * `dt_create`: the vendor's known APIs prefix datetimes with `dt_`
//!   (`dt_message`, `dt_movement_from`), and the feed writes them as
//!   `YYYY-MM-DD HH:mm:ss` in the account's time zone (that much is documented);
//! * `client.*`: a Domoplaner deal belongs to a client (a "lead"), and the
//!   leads API returns phones as `phones[].value` (seen in third-party code);
//! * `status_id`, `source_id`: the names the leads API uses for a lead's
//!   status and source.

use liner_sync_core::records::{FieldMap, JsonPath};
use std::collections::BTreeMap;

/// Where the deals are in the feed.
pub(crate) const RECORDS: &str = "deals";

/// Where a deal keeps its client's id (for `external_id: client` and the
/// leads API).
pub(crate) const CLIENT_ID: &str = "client.id";

/// Custom values every deal offers to `custom_values:` mappings, by name.
const CUSTOM: &[(&str, &str)] = &[("price", "price"), ("source_id", "source_id")];

/// A path written in this file; every one is tested to parse.
pub(crate) fn path(text: &str) -> Option<JsonPath> {
    JsonPath::parse(text).ok()
}

/// The assumed place of every deal field.
pub(crate) fn fields() -> FieldMap {
    FieldMap {
        id: path("id"),
        created_at: path("dt_create"),
        title: path("title"),
        name: path("client.name"),
        phones: path("client.phones[].value"),
        telegram: path("client.telegram"),
        vk: path("client.vk"),
        instagram: path("client.instagram"),
        stage: path("status_id"),
        utm_source: path("utm_source"),
        utm_medium: path("utm_medium"),
        utm_campaign: path("utm_campaign"),
        utm_content: path("utm_content"),
        utm_term: path("utm_term"),
        custom: CUSTOM
            .iter()
            .filter_map(|(name, at)| path(at).map(|p| ((*name).to_owned(), p)))
            .collect::<BTreeMap<_, _>>(),
        ..FieldMap::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_path_parses() {
        for text in [RECORDS, CLIENT_ID] {
            assert!(JsonPath::parse(text).is_ok(), "{text}");
        }
        let fields = fields();
        assert!(fields.validate().is_ok());
        assert_eq!(fields.custom.len(), CUSTOM.len());
        let shown = format!("{fields:?}");
        for at in [
            "dt_create",
            "client.name",
            "client.phones[].value",
            "client.telegram",
            "client.vk",
            "client.instagram",
            "status_id",
            "utm_term",
        ] {
            assert!(shown.contains(at), "{at} missing: {shown}");
        }
    }
}
