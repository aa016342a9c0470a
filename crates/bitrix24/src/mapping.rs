//! Bitrix24 wire JSON → core [`Deal`] and [`Contact`]. Pure functions.
//!
//! `crm.deal.*` and `crm.contact.*` send every scalar as a string or `null`;
//! `crm.item.list` sends integers. Both are accepted everywhere, and anything
//! else (objects, arrays, absurd numbers) reads as absent.

use chrono::{DateTime, Utc};
use liner_sync_core::{Contact, Deal, Utm};
use serde_json::Value;

/// The largest id accepted: 2^53 − 1, the largest integer every JSON reader
/// keeps exactly. A larger "id" is garbage, and taking it would push the
/// cursor past every real deal.
pub(crate) const MAX_ID: u64 = (1 << 53) - 1;

/// A positive integer id from `"410"` or `410`.
pub(crate) fn parse_id(value: &Value) -> Option<u64> {
    let id = match value {
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()?
        }
        Value::Number(n) => n.as_u64()?,
        _ => return None,
    };
    (1..=MAX_ID).contains(&id).then_some(id)
}

/// The row's `ID`.
pub(crate) fn row_id(row: &Value) -> Option<u64> {
    parse_id(row.get("ID")?)
}

/// The deal's primary contact; `null`, `"0"` and `""` mean none.
pub(crate) fn primary_contact(row: &Value) -> Option<u64> {
    parse_id(row.get("CONTACT_ID")?)
}

/// When the deal was created, from `DATE_CREATE` (ISO 8601 with the portal's
/// offset).
pub(crate) fn created_at(row: &Value) -> Option<DateTime<Utc>> {
    let raw = row.get("DATE_CREATE")?.as_str()?.trim();
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A non-empty text value; numbers are written out.
fn text(row: &Value, key: &str) -> Option<String> {
    match row.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A `crm.deal.list` / `crm.deal.get` row as a [`Deal`] without contacts.
/// `created_at` comes from `DATE_CREATE`, or `fallback` when it is missing or
/// unreadable (the caller logs that).
pub(crate) fn deal(id: u64, row: &Value, fallback: DateTime<Utc>) -> Deal {
    let mut deal = Deal::new(id.to_string(), created_at(row).unwrap_or(fallback));
    deal.title = text(row, "TITLE");
    deal.pipeline_id = text(row, "CATEGORY_ID");
    deal.stage_id = text(row, "STAGE_ID");
    deal.utm = Utm {
        source: text(row, "UTM_SOURCE"),
        medium: text(row, "UTM_MEDIUM"),
        campaign: text(row, "UTM_CAMPAIGN"),
        content: text(row, "UTM_CONTENT"),
        term: text(row, "UTM_TERM"),
    };
    if let Some(fields) = row.as_object() {
        deal.custom_fields = fields
            .iter()
            .filter(|(key, _)| key.starts_with("UF_CRM_"))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
    }
    deal.raw = row.clone();
    deal
}

/// A `crm.contact.list` row as its id and a [`Contact`].
pub(crate) fn contact(row: &Value) -> Option<(u64, Contact)> {
    let id = row_id(row)?;
    let name = [text(row, "NAME"), text(row, "LAST_NAME")]
        .into_iter()
        .flatten()
        .map(|part| part.trim().to_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let name = if name.is_empty() {
        text(row, "SECOND_NAME").map(|s| s.trim().to_owned())
    } else {
        Some(name)
    };
    let phones = multifield(row, "PHONE")
        .filter_map(|item| text(item, "VALUE"))
        .collect();
    let im = |kind: &str| {
        multifield(row, "IM")
            .filter(|item| {
                item.get("VALUE_TYPE")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case(kind))
            })
            .find_map(|item| text(item, "VALUE").map(|v| v.trim().to_owned()))
    };
    let contact = Contact {
        name,
        phones,
        telegram: im("TELEGRAM"),
        vk: im("VK"),
        instagram: im("INSTAGRAM"),
    };
    Some((id, contact))
}

/// The items of a multifield (`PHONE`, `IM`); absent when the contact has none.
fn multifield<'a>(row: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    rows(row.get(key)).into_iter().flatten()
}

/// A list as Bitrix24 sends it: an array, or an object keyed by position (PHP
/// arrays with gaps), or nothing.
pub(crate) fn rows(value: Option<&Value>) -> Option<Vec<&Value>> {
    match value? {
        Value::Array(items) => Some(items.iter().collect()),
        Value::Object(items) => Some(items.values().collect()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn sample(name: &str) -> Value {
        let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn epoch() -> DateTime<Utc> {
        Utc.timestamp_opt(0, 0).unwrap()
    }

    #[test]
    fn maps_the_crm_deal_get_sample() {
        let row = sample("crm.deal.get_response.json")["result"].clone();
        let d = deal(row_id(&row).unwrap(), &row, epoch());
        assert_eq!(d.id, "410");
        assert_eq!(d.title.as_deref(), Some("New Deal #1"));
        // 14:29 at +02:00 is 12:29 UTC.
        assert_eq!(
            d.created_at,
            Utc.with_ymd_and_hms(2024, 8, 30, 12, 29, 0).unwrap()
        );
        assert_eq!(d.pipeline_id.as_deref(), Some("0"));
        assert_eq!(d.stage_id.as_deref(), Some("PREPARATION"));
        assert_eq!(d.utm.source.as_deref(), Some("google"));
        assert_eq!(d.utm.medium.as_deref(), Some("CPC"));
        assert_eq!(d.utm.campaign, None);
        assert_eq!(d.custom_fields.len(), 1);
        assert_eq!(
            d.custom_fields["UF_CRM_1721244482250"],
            json!("Hello world!")
        );
        assert_eq!(d.raw, row);
        assert_eq!(primary_contact(&row), Some(84));
        assert!(d.contacts.is_empty());
    }

    #[test]
    fn maps_every_row_of_the_list_sample() {
        let page = sample("crm.deal.list_page_response.json");
        let rows = rows(page.get("result")).unwrap();
        let ids: Vec<u64> = rows.iter().filter_map(|r| row_id(r)).collect();
        assert_eq!(ids, [37, 38, 39, 40, 41, 42]);
        let d = deal(39, rows[2], epoch());
        assert_eq!(d.pipeline_id.as_deref(), Some("1"));
        assert_eq!(d.stage_id.as_deref(), Some("C1:NEW"));
        assert_eq!(
            d.created_at,
            Utc.with_ymd_and_hms(2024, 4, 9, 21, 11, 1).unwrap()
        );
        assert_eq!(primary_contact(rows[2]), None);
    }

    #[test]
    fn ids_are_numbers_whatever_their_wire_form() {
        let cases = [
            (json!("410"), Some(410)),
            (json!(" 7 "), Some(7)),
            (json!(410), Some(410)),
            (json!("0"), None),
            (json!(""), None),
            (json!(null), None),
            (json!("-5"), None),
            (json!(-5), None),
            (json!("1e5"), None),
            (json!(4.5), None),
            (json!("99999999999999999999999"), None),
            (json!(u64::MAX), None),
            (json!({"ID": 1}), None),
            (json!(["1"]), None),
        ];
        for (value, want) in cases {
            assert_eq!(parse_id(&value), want, "{value}");
        }
        assert!(parse_id(&json!("100")) > parse_id(&json!("99")));
    }

    #[test]
    fn missing_or_odd_deal_fields_read_as_absent() {
        let row = json!({"ID": "5", "TITLE": "", "CATEGORY_ID": 3, "STAGE_ID": null,
                         "DATE_CREATE": "yesterday", "UTM_SOURCE": ["x"], "CONTACT_ID": "0"});
        let d = deal(5, &row, epoch());
        assert_eq!(d.title, None);
        assert_eq!(d.pipeline_id.as_deref(), Some("3"));
        assert_eq!(d.stage_id, None);
        assert_eq!(d.created_at, epoch());
        assert_eq!(d.utm.source, None);
        assert_eq!(primary_contact(&row), None);
        assert_eq!(created_at(&row), None);
        assert_eq!(primary_contact(&json!({"CONTACT_ID": ""})), None);
        assert_eq!(primary_contact(&json!({"CONTACT_ID": null})), None);
    }

    #[test]
    fn maps_the_contact_sample() {
        let row = sample("crm.contact.get_response.json")["result"].clone();
        let (id, c) = contact(&row).unwrap();
        assert_eq!(id, 43);
        assert_eq!(c.name.as_deref(), Some("John Smith"));
        assert_eq!(c.phones, ["+13333333555", "+15599888666"]);
        assert_eq!((c.telegram, c.vk), (None, None));
    }

    #[test]
    fn contacts_without_phone_key_and_with_messengers() {
        let row = json!({
            "ID": "12", "NAME": "  Иван ", "SECOND_NAME": "Петрович", "LAST_NAME": null,
            "IM": [
                {"ID": "1", "VALUE_TYPE": "OPENLINE", "VALUE": "imol|livechat|1|67|21", "TYPE_ID": "IM"},
                {"ID": "2", "VALUE_TYPE": "TELEGRAM", "VALUE": " @ivan_petrov ", "TYPE_ID": "IM"},
                {"ID": "3", "VALUE_TYPE": "VK", "VALUE": "id12345", "TYPE_ID": "IM"}
            ]
        });
        let (_, c) = contact(&row).unwrap();
        assert_eq!(c.name.as_deref(), Some("Иван"));
        assert!(c.phones.is_empty());
        assert_eq!(c.telegram.as_deref(), Some("@ivan_petrov"));
        assert_eq!(c.vk.as_deref(), Some("id12345"));

        let odd = json!({"ID": 9, "LAST_NAME": "Smith", "PHONE": {"0": {"VALUE": "8 900 123-45-67"}},
                         "IM": "nonsense"});
        let (_, c) = contact(&odd).unwrap();
        assert_eq!(c.name.as_deref(), Some("Smith"));
        assert_eq!(c.phones, ["8 900 123-45-67"]);
        assert_eq!(contact(&json!({"NAME": "no id"})), None);
        assert_eq!(
            contact(&json!({"ID": "3", "SECOND_NAME": "Only"}))
                .unwrap()
                .1
                .name
                .as_deref(),
            Some("Only")
        );
    }

    proptest::proptest! {
        #[test]
        fn any_json_maps_without_panicking(row in crate::testing::json()) {
            let _ = row_id(&row);
            let _ = primary_contact(&row);
            let _ = created_at(&row);
            let _ = deal(1, &row, epoch());
            let _ = contact(&row);
            let _ = rows(Some(&row));
        }

        #[test]
        fn parsed_ids_are_positive_and_safe(value in crate::testing::json()) {
            if let Some(id) = parse_id(&value) {
                proptest::prop_assert!((1..=MAX_ID).contains(&id));
            }
        }
    }
}
