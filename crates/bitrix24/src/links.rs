//! `crm.item.list` for deals (`entityTypeId` 2) as the source uses it: every
//! contact of each deal (`contactIds`), which `crm.deal.list` cannot give (its
//! `CONTACT_ID` is the primary contact only).

use crate::cursor::Position;
use crate::deal_list;
use crate::mapping::{self, parse_id};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use tracing::debug;

/// The method.
pub(crate) const METHOD: &str = "crm.item.list";

/// `entityTypeId` of deals.
const DEALS: u64 = 2;

/// The `crm.item.list` twin of [`deal_list::params`]: the same deals (ids
/// above `after`, the same date filter, ascending id, no count) in
/// `crm.item.list`'s field names, with only their contact ids.
pub(crate) fn params(after: u64, position: &Position, until: Option<DateTime<Utc>>) -> Value {
    let mut filter = json!({">id": after});
    if let Some(from) = deal_list::server_date_from(position) {
        filter[">=createdTime"] = json!(from);
    }
    if let Some(until) = deal_list::server_date_until(until) {
        filter["<createdTime"] = json!(until);
    }
    json!({
        "entityTypeId": DEALS,
        "order": {"id": "ASC"},
        "filter": filter,
        "select": ["id", "contactIds"],
        "start": -1,
    })
}

/// The contact ids of the one deal `id`.
pub(crate) fn params_for(id: u64) -> Value {
    json!({
        "entityTypeId": DEALS,
        "filter": {"=id": id},
        "select": ["id", "contactIds"],
        "start": -1,
    })
}

/// Deal id → its contact ids, in the order `contactIds` lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Links(BTreeMap<u64, Vec<u64>>);

impl Links {
    /// Reads a `crm.item.list` result, `{"items": [{"id": 7, "contactIds":
    /// [55, 54]}]}`; `None` when it has no list of items. Items without a
    /// usable id are left out, as are contact ids that are not ids.
    pub fn parse(result: &Value) -> Option<Self> {
        let items = mapping::rows(result.get("items"))?;
        let links = items
            .into_iter()
            .filter_map(|item| {
                let id = parse_id(item.get("id")?)?;
                let contacts = mapping::rows(item.get("contactIds"))
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(parse_id)
                    .collect();
                Some((id, contacts))
            })
            .collect();
        Some(Self(links))
    }

    /// The links in the shape [`Links::parse`] reads.
    pub fn to_value(&self) -> Value {
        let items: Vec<Value> = self
            .0
            .iter()
            .map(|(id, contacts)| json!({"id": id, "contactIds": contacts}))
            .collect();
        json!({ "items": items })
    }

    /// How many deals the links cover.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// The contacts of deal `deal` to load: the primary (`CONTACT_ID`) first,
/// then the others in `contactIds` order, each once. A deal the links do not
/// cover keeps its primary contact only; `links` is `None` when they could not
/// be read at all (the caller has said so already).
pub(crate) fn contact_ids(
    source: &str,
    deal: u64,
    primary: Option<u64>,
    links: Option<&Links>,
) -> Vec<u64> {
    let all = links.and_then(|l| l.0.get(&deal));
    if all.is_none() && links.is_some() {
        debug!(
            source,
            deal, "deal not among the crm.item.list rows; only its primary contact is loaded"
        );
    }
    let mut seen = HashSet::new();
    primary
        .into_iter()
        .chain(all.into_iter().flatten().copied())
        .filter(|id| seen.insert(*id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_same_page_in_crm_item_list_names() {
        let by_id = Position {
            last_id: Some(1000),
            created_from: None,
        };
        assert_eq!(
            params(900, &by_id, None),
            json!({"entityTypeId": 2, "order": {"id": "ASC"}, "filter": {">id": 900},
                   "select": ["id", "contactIds"], "start": -1})
        );
        let started = Position {
            last_id: None,
            created_from: Some(
                chrono::Utc
                    .with_ymd_and_hms(2026, 10, 31, 21, 0, 0)
                    .unwrap(),
            ),
        };
        let list = deal_list::params(0, &started, None);
        let links = params(0, &started, None);
        assert_eq!(
            links["filter"],
            json!({">id": 0, ">=createdTime": "2026-10-30T21:00:00+00:00"})
        );
        assert_eq!(
            links["filter"][">=createdTime"],
            list["filter"][">=DATE_CREATE"]
        );
        let until = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let list = deal_list::params(0, &started, Some(until));
        let links = params(0, &started, Some(until));
        assert_eq!(
            list["filter"]["<DATE_CREATE"],
            json!("2026-12-02T00:00:00+00:00"),
            "a day of slack past the end; the exact cut is made on DATE_CREATE"
        );
        assert_eq!(
            links["filter"]["<createdTime"],
            list["filter"]["<DATE_CREATE"]
        );
        assert_eq!(params_for(7)["filter"], json!({"=id": 7}));
    }

    #[test]
    fn reads_items_with_native_or_string_ids() {
        let links = Links::parse(&json!({"items": [
            {"id": 253, "contactIds": [55, 54]},
            {"id": "254", "contactIds": ["7", 0, "x", 8]},
            {"id": 255, "contactIds": []},
            {"id": 256},
            {"id": null, "contactIds": [1]},
            "garbage"
        ]}))
        .unwrap();
        assert_eq!(links.len(), 4);
        assert_eq!(links.0[&253], [55, 54]);
        assert_eq!(links.0[&254], [7, 8]);
        assert!(links.0[&255].is_empty() && links.0[&256].is_empty());
        assert_eq!(Links::parse(&links.to_value()), Some(links));
        assert_eq!(
            Links::parse(&json!({"items": {"0": {"id": 1, "contactIds": [2]}}})).map(|l| l.0),
            Some([(1, vec![2])].into())
        );
        for bad in [json!([]), json!({}), json!({"items": 5}), json!("x")] {
            assert_eq!(Links::parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn the_primary_comes_first_then_contact_ids_in_order() {
        let links = Links::parse(&json!({"items": [
            {"id": 1, "contactIds": [5, 7, 6]},
            {"id": 2, "contactIds": [7, 5, 7]},
            {"id": 3, "contactIds": [9]}
        ]}))
        .unwrap();
        let links = Some(&links);
        assert_eq!(contact_ids("b24", 1, Some(5), links), [5, 7, 6]);
        assert_eq!(contact_ids("b24", 2, Some(5), links), [5, 7]);
        assert_eq!(
            contact_ids("b24", 3, None, links),
            [9],
            "no CONTACT_ID but contacts"
        );
        assert_eq!(contact_ids("b24", 4, Some(40), links), [40], "not covered");
        assert_eq!(contact_ids("b24", 4, None, links), Vec::<u64>::new());
        assert_eq!(contact_ids("b24", 1, Some(5), None), [5], "no links at all");
    }

    proptest::proptest! {
        #[test]
        fn any_result_is_read_without_panicking(value in crate::testing::json()) {
            if let Some(links) = Links::parse(&value) {
                let _ = contact_ids("b24", 1, Some(2), Some(&links));
                proptest::prop_assert_eq!(Links::parse(&links.to_value()), Some(links));
            }
        }
    }
}
