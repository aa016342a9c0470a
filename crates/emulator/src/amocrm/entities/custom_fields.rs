//! `custom_fields_values`: `null` when empty, else
//! `[{field_id, field_name, field_code, field_type, values: […]}]`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::stable_id;
use crate::data::FakeContact;

/// The contacts' phone field.
pub(crate) const PHONE_FIELD_ID: u64 = 264_911;
/// The contacts' messenger field.
pub(crate) const IM_FIELD_ID: u64 = 264_915;

/// PHONE enum codes and their ids.
const PHONE_ENUMS: &[(&str, u64)] = &[
    ("WORK", 519_461),
    ("WORKDD", 519_463),
    ("MOB", 519_465),
    ("FAX", 519_467),
    ("HOME", 519_469),
    ("OTHER", 519_471),
];
/// IM enum codes and their ids.
const IM_ENUMS: &[(&str, u64)] = &[("TELEGRAM", 519_481), ("OTHER", 519_489)];

/// A lead's custom fields: a scalar is a `text` field, a list a
/// `multiselect` one; ids derive from the field names.
pub(crate) fn lead_fields(custom: &BTreeMap<String, Value>) -> Value {
    let fields: Vec<Value> = custom
        .iter()
        .map(|(name, value)| {
            let field_id = stable_id(name, 1_000_000);
            match value {
                Value::Array(items) => field(
                    field_id,
                    name,
                    Value::Null,
                    "multiselect",
                    items
                        .iter()
                        .map(|item| {
                            let text = item
                                .as_str()
                                .map_or_else(|| item.to_string(), str::to_owned);
                            json!({"value": item, "enum_id": stable_id(&text, 2_000_000)})
                        })
                        .collect(),
                ),
                scalar => field(
                    field_id,
                    name,
                    Value::Null,
                    "text",
                    vec![json!({"value": scalar})],
                ),
            }
        })
        .collect();
    or_null(fields)
}

/// A contact's PHONE and IM `multitext` fields, when it has any. About a
/// third of contacts name the enum `"enum"` instead of `"enum_code"`, as the
/// official contact example does.
pub(crate) fn contact_fields(contact: &FakeContact) -> Value {
    let enum_key = if contact.id.is_multiple_of(3) {
        "enum"
    } else {
        "enum_code"
    };
    let entry = |value: &str, enums: &[(&'static str, u64)], code: &str| {
        let (code, enum_id) = enums
            .iter()
            .find(|(c, _)| *c == code)
            .or_else(|| enums.iter().find(|(c, _)| *c == "OTHER"))
            .copied()
            .unwrap_or(("OTHER", 0));
        let mut value = json!({"value": value, "enum_id": enum_id});
        value[enum_key] = json!(code);
        value
    };
    let phones: Vec<Value> = contact
        .phones
        .iter()
        .map(|(typed, kind)| entry(typed, PHONE_ENUMS, phone_enum(kind)))
        .collect();
    let ims: Vec<Value> = contact
        .ims
        .iter()
        .filter(|(kind, _)| kind != "OPENLINE" && kind != "IMOL")
        .map(|(kind, handle)| entry(handle, IM_ENUMS, kind))
        .collect();
    let mut fields = Vec::new();
    if !phones.is_empty() {
        fields.push(field(
            PHONE_FIELD_ID,
            "Телефон",
            json!("PHONE"),
            "multitext",
            phones,
        ));
    }
    if !ims.is_empty() {
        fields.push(field(
            IM_FIELD_ID,
            "Мгн. сообщения",
            json!("IM"),
            "multitext",
            ims,
        ));
    }
    or_null(fields)
}

/// A Bitrix24 phone `VALUE_TYPE` as an amoCRM PHONE enum code.
fn phone_enum(value_type: &str) -> &'static str {
    match value_type {
        "WORK" => "WORK",
        "MOBILE" => "MOB",
        "HOME" => "HOME",
        "FAX" => "FAX",
        _ => "OTHER",
    }
}

fn field(id: u64, name: &str, code: Value, kind: &str, values: Vec<Value>) -> Value {
    json!({
        "field_id": id,
        "field_name": name,
        "field_code": code,
        "field_type": kind,
        "values": values,
    })
}

fn or_null(fields: Vec<Value>) -> Value {
    if fields.is_empty() {
        Value::Null
    } else {
        Value::Array(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(id: u64, phones: &[(&str, &str)], ims: &[(&str, &str)]) -> FakeContact {
        let pairs = |list: &[(&str, &str)]| {
            list.iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect()
        };
        FakeContact {
            id,
            name: Some("Анна".into()),
            second_name: None,
            last_name: None,
            phones: pairs(phones),
            ims: pairs(ims),
        }
    }

    #[test]
    fn phones_and_telegram_with_both_enum_keys() {
        let c = contact(
            4,
            &[("8 900 123-45-67", "MOBILE"), ("нет", "WORK")],
            &[("TELEGRAM", "@anna_k123"), ("OPENLINE", "imol|x")],
        );
        let fields = contact_fields(&c);
        assert_eq!(fields[0]["field_code"], "PHONE");
        assert_eq!(fields[0]["values"][0]["value"], "8 900 123-45-67");
        assert_eq!(fields[0]["values"][0]["enum_code"], "MOB");
        assert_eq!(fields[0]["values"][1]["enum_code"], "WORK");
        assert_eq!(fields[1]["field_code"], "IM");
        assert_eq!(fields[1]["values"].as_array().unwrap().len(), 1);
        assert_eq!(fields[1]["values"][0]["enum_code"], "TELEGRAM");
        let quirk = contact_fields(&contact(3, &[("+79001234567", "WORK")], &[]));
        assert_eq!(quirk[0]["values"][0]["enum"], "WORK");
        assert!(quirk[0]["values"][0].get("enum_code").is_none());
        assert_eq!(contact_fields(&contact(5, &[], &[])), Value::Null);
    }

    #[test]
    fn lead_fields_are_null_or_typed() {
        assert_eq!(lead_fields(&BTreeMap::new()), Value::Null);
        let mut custom = BTreeMap::new();
        custom.insert("UF_CRM_1".to_owned(), json!("ЖК «Северный»"));
        custom.insert("UF_CRM_2".to_owned(), json!(["1к", "2к"]));
        let fields = lead_fields(&custom);
        assert_eq!(fields[0]["field_type"], "text");
        assert_eq!(fields[0]["values"][0]["value"], "ЖК «Северный»");
        assert_eq!(fields[1]["field_type"], "multiselect");
        assert_eq!(fields[1]["values"].as_array().unwrap().len(), 2);
        assert!(fields[1]["field_id"].is_u64());
    }
}
