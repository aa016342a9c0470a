//! A contact as `crm.contact.*` shows it, multifields (`PHONE`, `IM`) only
//! when they hold something.

use serde_json::{Map, Value, json};

use super::{FieldKind, FieldValue, Filterable, assigned_by, text_or_null, text_value};
use crate::bitrix24::query::select::Selection;
use crate::bitrix24::time::portal_date;
use crate::data::store::StoredContact;

/// The standard (`*`) fields of a contact, in the portal's order.
pub(crate) fn standard_fields(stored: &StoredContact) -> Vec<(&'static str, Value)> {
    let c = &stored.contact;
    let assigned = &assigned_by(c.id).to_string();
    let created = portal_date(stored.created);
    let yes_no = |b: bool| json!(if b { "Y" } else { "N" });
    let has_imol = c
        .ims
        .iter()
        .any(|(kind, _)| kind == "OPENLINE" || kind == "IMOL");
    let s = |v: &str| Value::String(v.to_owned());
    vec![
        ("ID", s(&c.id.to_string())),
        ("POST", Value::Null),
        ("COMMENTS", Value::Null),
        ("HONORIFIC", Value::Null),
        ("NAME", text_or_null(c.name.as_deref())),
        ("SECOND_NAME", text_or_null(c.second_name.as_deref())),
        ("LAST_NAME", text_or_null(c.last_name.as_deref())),
        ("PHOTO", Value::Null),
        ("LEAD_ID", Value::Null),
        ("TYPE_ID", s("CLIENT")),
        ("SOURCE_ID", s("WEB")),
        ("SOURCE_DESCRIPTION", Value::Null),
        ("COMPANY_ID", Value::Null),
        ("BIRTHDATE", s("")),
        ("EXPORT", s("Y")),
        ("HAS_PHONE", yes_no(!c.phones.is_empty())),
        ("HAS_EMAIL", yes_no(false)),
        ("HAS_IMOL", yes_no(has_imol)),
        ("DATE_CREATE", s(&created)),
        ("DATE_MODIFY", s(&created)),
        ("ASSIGNED_BY_ID", s(assigned)),
        ("CREATED_BY_ID", s(assigned)),
        ("MODIFY_BY_ID", s(assigned)),
        ("OPENED", s("Y")),
        ("ORIGINATOR_ID", Value::Null),
        ("ORIGIN_ID", Value::Null),
        ("ORIGIN_VERSION", Value::Null),
        ("FACE_ID", Value::Null),
        ("LAST_ACTIVITY_TIME", s(&created)),
        ("ADDRESS", Value::Null),
        ("ADDRESS_2", Value::Null),
        ("ADDRESS_CITY", Value::Null),
        ("ADDRESS_POSTAL_CODE", Value::Null),
        ("ADDRESS_REGION", Value::Null),
        ("ADDRESS_PROVINCE", Value::Null),
        ("ADDRESS_COUNTRY", Value::Null),
        ("ADDRESS_LOC_ADDR_ID", Value::Null),
        ("UTM_SOURCE", Value::Null),
        ("UTM_MEDIUM", Value::Null),
        ("UTM_CAMPAIGN", Value::Null),
        ("UTM_CONTENT", Value::Null),
        ("UTM_TERM", Value::Null),
        ("LAST_ACTIVITY_BY", s(assigned)),
    ]
}

/// The non-empty multifields of a contact, as `crm_multifield` arrays.
/// Entry ids derive from the contact id so they stay stable.
pub(crate) fn multifields(stored: &StoredContact) -> Vec<(&'static str, Value)> {
    let c = &stored.contact;
    let entry = |index: usize, type_id: &str, value_type: &str, value: &str| {
        json!({
            "ID": c.id.wrapping_mul(100).wrapping_add(index as u64).to_string(),
            "VALUE_TYPE": value_type,
            "VALUE": value,
            "TYPE_ID": type_id,
        })
    };
    let phones: Vec<Value> = c
        .phones
        .iter()
        .enumerate()
        .map(|(i, (value, kind))| entry(i, "PHONE", kind, value))
        .collect();
    let ims: Vec<Value> = c
        .ims
        .iter()
        .enumerate()
        .map(|(i, (kind, value))| entry(50 + i, "IM", kind, value))
        .collect();
    [("PHONE", phones), ("IM", ims)]
        .into_iter()
        .filter(|(_, entries)| !entries.is_empty())
        .map(|(name, entries)| (name, Value::Array(entries)))
        .collect()
}

/// The contact with the fields `selection` asks for; multifields only when
/// named (or `everything`, as `crm.contact.get` shows them) and non-empty.
pub(crate) fn render(stored: &StoredContact, selection: &Selection, everything: bool) -> Value {
    let mut out = Map::new();
    for (name, value) in standard_fields(stored) {
        if everything || name == "ID" || selection.wants_standard(name) {
            out.insert(name.to_owned(), value);
        }
    }
    for (name, value) in multifields(stored) {
        if everything || selection.names(name) {
            out.insert(name.to_owned(), value);
        }
    }
    Value::Object(out)
}

impl Filterable for StoredContact {
    fn field_kind(name: &str) -> Option<FieldKind> {
        match name {
            "ID" | "ASSIGNED_BY_ID" => Some(FieldKind::Integer),
            "DATE_CREATE" | "DATE_MODIFY" => Some(FieldKind::DateTime),
            "NAME" | "SECOND_NAME" | "LAST_NAME" | "HAS_PHONE" | "TYPE_ID" => Some(FieldKind::Text),
            _ => None,
        }
    }

    fn field_value(&self, name: &str) -> FieldValue {
        let c = &self.contact;
        match name {
            "ID" => FieldValue::Integer(c.id as i64),
            "ASSIGNED_BY_ID" => FieldValue::Integer(assigned_by(c.id)),
            "DATE_CREATE" | "DATE_MODIFY" => FieldValue::DateTime(self.created),
            "NAME" => text_value(c.name.as_ref()),
            "SECOND_NAME" => text_value(c.second_name.as_ref()),
            "LAST_NAME" => text_value(c.last_name.as_ref()),
            "HAS_PHONE" => FieldValue::Text(if c.phones.is_empty() { "N" } else { "Y" }.into()),
            "TYPE_ID" => FieldValue::Text("CLIENT".into()),
            _ => FieldValue::Null,
        }
    }

    fn id(&self) -> u64 {
        self.contact.id
    }
}
