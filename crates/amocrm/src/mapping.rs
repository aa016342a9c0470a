//! amoCRM wire JSON → core [`Deal`] and [`Contact`]. Pure functions.
//!
//! Leads and contacts carry integers, Unix seconds and `custom_fields_values`
//! (an array, or `null` when empty). Anything of another shape (strings for
//! numbers are accepted, objects, absurd numbers) reads as absent.

use chrono::{DateTime, TimeZone, Utc};
use liner_sync_core::phone::{normalize_phone, phone_candidates};
use liner_sync_core::{Contact, Deal, Utm};
use serde_json::Value;

/// The largest id accepted: 2^53 − 1, the largest integer every JSON reader
/// keeps exactly. A larger "id" is garbage.
pub(crate) const MAX_ID: u64 = (1 << 53) - 1;

/// The latest Unix time accepted (9999-12-31T23:59:59Z).
pub(crate) const MAX_TIME: i64 = 253_402_300_799;

/// A positive integer id from `19619` or `"19619"`.
pub(crate) fn parse_id(value: &Value) -> Option<u64> {
    let id = match value {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            s.parse().ok()?
        }
        _ => return None,
    };
    (1..=MAX_ID).contains(&id).then_some(id)
}

/// Unix seconds from `1453279607` or `"1453279607"`, within 1970..=9999.
pub(crate) fn unix_time(value: &Value) -> Option<i64> {
    let secs = match value {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (0..=MAX_TIME).contains(&secs).then_some(secs)
}

/// Unix seconds as a UTC instant.
pub(crate) fn to_time(secs: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(secs, 0).single()
}

/// The lead's (or contact's) `id`.
pub(crate) fn id_of(raw: &Value) -> Option<u64> {
    parse_id(raw.get("id")?)
}

/// The lead's `created_at`.
pub(crate) fn created_at(lead: &Value) -> Option<i64> {
    unix_time(lead.get("created_at")?)
}

/// The lead's `pipeline_id`.
pub(crate) fn pipeline_id(lead: &Value) -> Option<u64> {
    parse_id(lead.get("pipeline_id")?)
}

/// The lead's `status_id`.
pub(crate) fn status_id(lead: &Value) -> Option<u64> {
    parse_id(lead.get("status_id")?)
}

/// A lead's contacts as `_embedded.contacts` lists them (`with=contacts`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ContactLinks {
    /// The main contact (`is_main: true`; the first listed when none is
    /// marked).
    pub main: Option<u64>,
    /// The other contacts, in their order.
    pub others: Vec<u64>,
}

fn is_true(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_u64() == Some(1),
        Some(Value::String(s)) => matches!(s.trim(), "1" | "true"),
        _ => false,
    }
}

/// The lead's contact ids, main first.
pub(crate) fn contact_links(lead: &Value) -> ContactLinks {
    let mut ids: Vec<(u64, bool)> = Vec::new();
    for entry in items(lead.get("_embedded").and_then(|e| e.get("contacts"))) {
        let Some(id) = entry.get("id").and_then(parse_id) else {
            continue;
        };
        if !ids.iter().any(|(seen, _)| *seen == id) {
            ids.push((id, is_true(entry.get("is_main"))));
        }
    }
    let main_at = ids.iter().position(|(_, main)| *main).unwrap_or(0);
    if ids.is_empty() {
        return ContactLinks::default();
    }
    let (main, _) = ids.remove(main_at);
    ContactLinks {
        main: Some(main),
        others: ids.into_iter().map(|(id, _)| id).collect(),
    }
}

/// A list as amoCRM may send it: an array, an object keyed by position, or
/// `null` / nothing.
pub(crate) fn items(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(items)) => items.values().collect(),
        _ => Vec::new(),
    }
}

/// A non-empty text value; numbers are written out.
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The `value`s of one custom field entry, in order. A bare value (as
/// webhooks send dates) counts as its own value.
fn field_values(field: &Value) -> Vec<Value> {
    items(field.get("values"))
        .into_iter()
        .filter_map(|item| match item {
            Value::Object(o) => o.get("value").filter(|v| !v.is_null()).cloned(),
            Value::Null => None,
            other => Some(other.clone()),
        })
        .collect()
}

/// The entries of `custom_fields_values` whose `field_code` is `code`.
fn fields_with_code<'a>(raw: &'a Value, code: &'a str) -> impl Iterator<Item = &'a Value> {
    items(raw.get("custom_fields_values"))
        .into_iter()
        .filter(move |field| {
            field
                .get("field_code")
                .and_then(Value::as_str)
                .is_some_and(|c| c.trim().eq_ignore_ascii_case(code))
        })
}

/// A lead as a [`Deal`] with `contacts` (main first).
pub(crate) fn deal(
    id: u64,
    lead: &Value,
    created_at: DateTime<Utc>,
    contacts: Vec<Contact>,
) -> Deal {
    let mut deal = Deal::new(id.to_string(), created_at);
    deal.title = text(lead.get("name"));
    deal.pipeline_id = pipeline_id(lead).map(|p| p.to_string());
    deal.stage_id = status_id(lead).map(|s| s.to_string());
    deal.contacts = contacts;
    for field in items(lead.get("custom_fields_values")) {
        let mut values = field_values(field);
        let value = match values.len() {
            0 => continue,
            1 => values.remove(0),
            _ => Value::Array(values),
        };
        if let Some(field_id) = field.get("field_id").and_then(parse_id) {
            deal.custom_fields
                .insert(field_id.to_string(), value.clone());
        }
        if let Some(code) = text(field.get("field_code")) {
            deal.custom_fields.insert(code, value);
        }
    }
    let utm = |code: &str| text(deal.custom_fields.get(code));
    deal.utm = Utm {
        source: utm("UTM_SOURCE"),
        medium: utm("UTM_MEDIUM"),
        campaign: utm("UTM_CAMPAIGN"),
        content: utm("UTM_CONTENT"),
        term: utm("UTM_TERM"),
    };
    deal.raw = lead.clone();
    deal
}

/// The enum of a multitext value: `enum_code`, or the older `enum`.
fn enum_code(value: &Value) -> Option<&str> {
    ["enum_code", "enum"]
        .iter()
        .find_map(|k| value.get(*k).and_then(Value::as_str))
        .map(str::trim)
}

/// A contact as its id and a [`Contact`].
pub(crate) fn contact(raw: &Value) -> Option<(u64, Contact)> {
    let id = id_of(raw)?;
    let name = text(raw.get("name")).or_else(|| {
        let full = [text(raw.get("first_name")), text(raw.get("last_name"))]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!full.is_empty()).then_some(full)
    });
    let phones = fields_with_code(raw, "PHONE")
        .flat_map(|field| items(field.get("values")))
        .filter_map(|value| text(value.get("value")))
        .collect();
    let im = |kind: &str| {
        fields_with_code(raw, "IM")
            .flat_map(|field| items(field.get("values")))
            .filter(|value| enum_code(value).is_some_and(|e| e.eq_ignore_ascii_case(kind)))
            .find_map(|value| text(value.get("value")))
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

/// True when one of the contact's phones is callable, by the same rule the
/// mapper uses to pick the lead's phone.
pub(crate) fn has_callable_phone(contact: &Contact) -> bool {
    contact
        .phones
        .iter()
        .flat_map(|p| phone_candidates(p))
        .any(|p| normalize_phone(p).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample(name: &str) -> Value {
        let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn at(secs: i64) -> DateTime<Utc> {
        to_time(secs).unwrap()
    }

    #[test]
    fn maps_the_official_leads_page() {
        let page = sample("leads_list_page_official.json");
        let leads = items(page["_embedded"].get("leads"));
        assert_eq!(leads.len(), 2);
        let lead = leads[0];
        assert_eq!(
            (id_of(lead), created_at(lead)),
            (Some(19619), Some(1_453_279_607))
        );
        let d = deal(19619, lead, at(1_453_279_607), Vec::new());
        assert_eq!(d.id, "19619");
        assert_eq!(d.title.as_deref(), Some("Сделка для примера"));
        assert_eq!(d.created_at.to_rfc3339(), "2016-01-20T08:46:47+00:00");
        assert_eq!(d.pipeline_id.as_deref(), Some("1300"));
        assert_eq!(d.stage_id.as_deref(), Some("142"));
        assert!(d.custom_fields.is_empty(), "custom_fields_values is null");
        assert_eq!(d.raw, *lead);
        assert_eq!(
            contact_links(lead),
            ContactLinks::default(),
            "made without with=contacts"
        );
        assert_eq!(id_of(leads[1]), Some(14460));
    }

    #[test]
    fn maps_the_official_contact_with_the_enum_quirk() {
        let raw = sample("contact_with_phone_official.json");
        let (id, c) = contact(&raw).unwrap();
        assert_eq!(id, 3);
        assert_eq!(c.name.as_deref(), Some("Иван Иванов"));
        assert_eq!(c.phones, ["+79123"]);
        assert!(!has_callable_phone(&c), "+79123 is too short to call");
        assert_eq!(c.telegram, None);
    }

    #[test]
    fn enum_and_enum_code_both_name_a_messenger() {
        let raw = json!({
            "id": 7, "name": null, "first_name": "Anna", "last_name": "Lee",
            "custom_fields_values": [
                {"field_id": 3, "field_code": "PHONE", "field_type": "multitext",
                 "values": [{"value": "8 (999) 123-45-67", "enum_id": 1, "enum_code": "MOB"},
                            {"value": "+7 812 555-35-35", "enum_id": 2, "enum": "WORK"}]},
                {"field_id": 5, "field_code": "IM", "field_type": "multitext",
                 "values": [{"value": "skype.anna", "enum": "SKYPE"},
                            {"value": "@anna_lee", "enum": "TELEGRAM"}]},
                {"field_id": 6, "field_code": "im", "values": [{"value": "id42", "enum_code": "vk"}]}
            ]
        });
        let (_, c) = contact(&raw).unwrap();
        assert_eq!(c.name.as_deref(), Some("Anna Lee"));
        assert_eq!(c.phones, ["8 (999) 123-45-67", "+7 812 555-35-35"]);
        assert!(has_callable_phone(&c));
        assert_eq!(c.telegram.as_deref(), Some("@anna_lee"));
        assert_eq!(c.vk.as_deref(), Some("id42"));

        let raw = json!({"id": "8", "custom_fields_values": [
            {"field_code": "IM", "values": [{"value": "@bob", "enum_code": "TELEGRAM"}]}]});
        assert_eq!(contact(&raw).unwrap().1.telegram.as_deref(), Some("@bob"));
    }

    #[test]
    fn null_and_odd_custom_fields_read_as_absent() {
        for odd in [
            json!(null),
            json!("x"),
            json!(5),
            json!([null, 1, {"field_code": "PHONE"}]),
        ] {
            let raw = json!({"id": 9, "name": " ", "custom_fields_values": odd});
            let (_, c) = contact(&raw).unwrap();
            assert_eq!(c, Contact::default(), "{raw}");
        }
        let raw = json!({"id": 9, "custom_fields_values": [
            {"field_code": "PHONE", "values": null},
            {"field_code": "PHONE", "values": [{"value": null}, {"value": 79001234567u64}, "89001234567"]}]});
        assert_eq!(contact(&raw).unwrap().1.phones, ["79001234567"]);
        assert_eq!(contact(&json!({"name": "no id"})), None);
        assert_eq!(contact(&json!({"id": 0})), None);
    }

    #[test]
    fn custom_fields_by_id_and_code_with_utm() {
        let lead = json!({
            "id": 5, "name": "Квартира", "created_at": 1_700_000_000, "pipeline_id": 33, "status_id": "44",
            "custom_fields_values": [
                {"field_id": 101, "field_name": "Бюджет", "field_code": null, "field_type": "numeric",
                 "values": [{"value": "5000000"}]},
                {"field_id": 102, "field_code": "UTM_SOURCE", "field_type": "tracking_data",
                 "values": [{"value": "yandex"}]},
                {"field_id": 103, "field_type": "multiselect",
                 "values": [{"value": "A", "enum_id": 1}, {"value": "B", "enum_id": 2}]},
                {"field_id": 104, "values": []},
                {"field_id": 105, "values": ["1729717200"]},
                {"field_code": "UTM_CAMPAIGN", "values": [{"value": "spring"}]},
                {"field_id": "bad", "values": [{"value": 1}]}
            ]
        });
        let d = deal(5, &lead, at(1_700_000_000), Vec::new());
        assert_eq!(d.pipeline_id.as_deref(), Some("33"));
        assert_eq!(d.stage_id.as_deref(), Some("44"));
        assert_eq!(d.custom_fields["101"], json!("5000000"));
        assert_eq!(d.custom_fields["102"], json!("yandex"));
        assert_eq!(d.custom_fields["UTM_SOURCE"], json!("yandex"));
        assert_eq!(d.custom_fields["103"], json!(["A", "B"]));
        assert!(!d.custom_fields.contains_key("104"));
        assert_eq!(d.custom_fields["105"], json!("1729717200"));
        assert_eq!(d.custom_fields["UTM_CAMPAIGN"], json!("spring"));
        assert_eq!(d.custom_fields.len(), 6);
        assert_eq!(d.utm.source.as_deref(), Some("yandex"));
        assert_eq!(d.utm.campaign.as_deref(), Some("spring"));
        assert_eq!(d.utm.medium, None);
    }

    #[test]
    fn the_main_contact_comes_first() {
        let lead = |contacts: Value| json!({"id": 1, "_embedded": {"contacts": contacts}});
        let cases = [
            (
                json!([{"id": 11, "is_main": false}, {"id": 12, "is_main": true}, {"id": 13, "is_main": false}]),
                ContactLinks {
                    main: Some(12),
                    others: vec![11, 13],
                },
            ),
            (
                json!([{"id": 11, "is_main": false}, {"id": 13}]),
                ContactLinks {
                    main: Some(11),
                    others: vec![13],
                },
            ),
            (
                json!([{"id": 11, "is_main": 1}, {"id": 11, "is_main": false}, {"id": "x"}, null]),
                ContactLinks {
                    main: Some(11),
                    others: vec![],
                },
            ),
            (json!(null), ContactLinks::default()),
            (
                json!({"0": {"id": 4, "is_main": "true"}}),
                ContactLinks {
                    main: Some(4),
                    others: vec![],
                },
            ),
        ];
        for (contacts, want) in cases {
            assert_eq!(contact_links(&lead(contacts.clone())), want, "{contacts}");
        }
    }

    #[test]
    fn ids_and_times_are_numbers_whatever_their_wire_form() {
        let ids = [
            (json!(19619), Some(19619)),
            (json!(" 7 "), Some(7)),
            (json!(0), None),
            (json!(-5), None),
            (json!(4.5), None),
            (json!("1e5"), None),
            (json!(u64::MAX), None),
            (json!(null), None),
        ];
        for (value, want) in ids {
            assert_eq!(parse_id(&value), want, "{value}");
        }
        let times = [
            (json!(1_453_279_607), Some(1_453_279_607)),
            (json!("1453279607"), Some(1_453_279_607)),
            (json!(0), Some(0)),
            (json!(-1), None),
            (json!(1e300), None),
            (json!(MAX_TIME + 1), None),
            (json!(i64::MAX), None),
            (json!("soon"), None),
        ];
        for (value, want) in times {
            assert_eq!(unix_time(&value), want, "{value}");
        }
        assert!(to_time(MAX_TIME).is_some());
    }

    proptest::proptest! {
        #[test]
        fn any_json_maps_without_panicking(raw in crate::testing::json()) {
            let _ = id_of(&raw);
            let _ = created_at(&raw);
            let _ = contact_links(&raw);
            let _ = deal(1, &raw, at(0), Vec::new());
            if let Some((_, c)) = contact(&raw) {
                let _ = has_callable_phone(&c);
            }
        }
    }
}
