//! A deal as `crm.deal.*` shows it: every scalar a string or null.

use serde_json::{Map, Value};

use super::{FieldKind, FieldValue, Filterable, assigned_by, text_or_null, text_value};
use crate::bitrix24::query::select::Selection;
use crate::bitrix24::time::portal_date;
use crate::data::{FakeDeal, PORTAL_OFFSET};

/// The standard (`*`) fields of a deal, in the portal's order. Values the
/// fake does not model are derived from the id so they stay stable.
pub(crate) fn standard_fields(deal: &FakeDeal) -> Vec<(&'static str, Value)> {
    let id = deal.id.to_string();
    let assigned = &assigned_by(deal.id).to_string();
    let created = portal_date(deal.created);
    let day = format!(
        "{}T00:00:00+03:00",
        deal.created
            .with_timezone(&PORTAL_OFFSET)
            .format("%Y-%m-%d")
    );
    let price = deal.price();
    let stage_is_new = deal.stage_id.ends_with("NEW");
    let source = ["WEB", "CALL", "ADVERTISING"][(deal.id % 3) as usize];
    let utm_medium = match deal.utm_source.as_deref() {
        Some("yandex" | "google") => Some("cpc"),
        Some(_) => Some("social"),
        None => None,
    };
    let s = |v: &str| Value::String(v.to_owned());
    vec![
        ("ID", s(&id)),
        ("TITLE", s(&deal.title)),
        ("TYPE_ID", s("SALE")),
        ("STAGE_ID", s(&deal.stage_id)),
        ("PROBABILITY", Value::Null),
        ("CURRENCY_ID", s("RUB")),
        ("OPPORTUNITY", s(&format!("{price}.00"))),
        ("IS_MANUAL_OPPORTUNITY", s("N")),
        ("TAX_VALUE", s("0.00")),
        ("LEAD_ID", Value::Null),
        ("COMPANY_ID", s("0")),
        (
            "CONTACT_ID",
            text_or_null(deal.contact_ids.first().map(u64::to_string).as_deref()),
        ),
        ("QUOTE_ID", Value::Null),
        ("BEGINDATE", s(&day)),
        ("CLOSEDATE", s(&day)),
        ("ASSIGNED_BY_ID", s(assigned)),
        ("CREATED_BY_ID", s(assigned)),
        ("MODIFY_BY_ID", s(assigned)),
        ("DATE_CREATE", s(&created)),
        ("DATE_MODIFY", s(&created)),
        ("OPENED", s("Y")),
        ("CLOSED", s("N")),
        ("COMMENTS", Value::Null),
        ("ADDITIONAL_INFO", Value::Null),
        ("LOCATION_ID", Value::Null),
        ("CATEGORY_ID", s(&deal.category_id.to_string())),
        ("STAGE_SEMANTIC_ID", s("P")),
        ("IS_NEW", s(if stage_is_new { "Y" } else { "N" })),
        ("IS_RECURRING", s("N")),
        ("IS_RETURN_CUSTOMER", s("N")),
        ("IS_REPEATED_APPROACH", s("N")),
        ("SOURCE_ID", s(source)),
        ("SOURCE_DESCRIPTION", Value::Null),
        ("ORIGINATOR_ID", Value::Null),
        ("ORIGIN_ID", Value::Null),
        ("MOVED_BY_ID", s(assigned)),
        ("MOVED_TIME", s(&created)),
        ("LAST_ACTIVITY_TIME", s(&created)),
        ("UTM_SOURCE", text_or_null(deal.utm_source.as_deref())),
        ("UTM_MEDIUM", text_or_null(utm_medium)),
        ("UTM_CAMPAIGN", text_or_null(deal.utm_campaign.as_deref())),
        ("UTM_CONTENT", Value::Null),
        ("UTM_TERM", Value::Null),
        ("LAST_ACTIVITY_BY", s(assigned)),
    ]
}

/// The deal with the fields `selection` asks for. `catalog` lists every
/// custom field of the portal (name → multiple?); a deal without a value
/// shows `null` (or `[]` for a multiple field).
pub(crate) fn render(
    deal: &FakeDeal,
    selection: &Selection,
    catalog: &std::collections::BTreeMap<String, bool>,
) -> Value {
    let mut out = Map::new();
    for (name, value) in standard_fields(deal) {
        if name == "ID" || selection.wants_standard(name) {
            out.insert(name.to_owned(), value);
        }
    }
    for (name, multiple) in catalog {
        if selection.wants_custom(name, *multiple) {
            let value = deal.custom.get(name).cloned().unwrap_or(if *multiple {
                Value::Array(Vec::new())
            } else {
                Value::Null
            });
            out.insert(name.clone(), value);
        }
    }
    Value::Object(out)
}

impl Filterable for FakeDeal {
    fn field_kind(name: &str) -> Option<FieldKind> {
        match name {
            "ID" | "CATEGORY_ID" | "CONTACT_ID" | "ASSIGNED_BY_ID" => Some(FieldKind::Integer),
            "DATE_CREATE" | "DATE_MODIFY" => Some(FieldKind::DateTime),
            "TITLE" | "STAGE_ID" | "TYPE_ID" | "UTM_SOURCE" | "UTM_CAMPAIGN" => {
                Some(FieldKind::Text)
            }
            _ => None,
        }
    }

    fn field_value(&self, name: &str) -> FieldValue {
        match name {
            "ID" => FieldValue::Integer(self.id as i64),
            "CATEGORY_ID" => FieldValue::Integer(i64::from(self.category_id)),
            "CONTACT_ID" => self
                .contact_ids
                .first()
                .map_or(FieldValue::Null, |id| FieldValue::Integer(*id as i64)),
            "ASSIGNED_BY_ID" => FieldValue::Integer(assigned_by(self.id)),
            "DATE_CREATE" | "DATE_MODIFY" => FieldValue::DateTime(self.created),
            "TITLE" => FieldValue::Text(self.title.clone()),
            "STAGE_ID" => FieldValue::Text(self.stage_id.clone()),
            "TYPE_ID" => FieldValue::Text("SALE".into()),
            "UTM_SOURCE" => text_value(self.utm_source.as_ref()),
            "UTM_CAMPAIGN" => text_value(self.utm_campaign.as_ref()),
            _ => FieldValue::Null,
        }
    }

    fn id(&self) -> u64 {
        self.id
    }
}
