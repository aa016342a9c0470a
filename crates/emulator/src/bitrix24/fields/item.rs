//! A deal as `crm.item.*` (`entityTypeId` 2) shows it: camelCase names and
//! native JSON types (`"id": 253`), `contactIds` with every contact of the
//! deal. Values come from the same place as `crm.deal.*`'s, so the two never
//! disagree. Custom fields are not modelled here.

use serde_json::{Map, Value, json};

use super::{FieldKind, FieldValue, Filterable, Naming, text_value};
use crate::bitrix24::query::select::Selection;
use crate::data::FakeDeal;

/// A deal seen through `crm.item.list`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DealItem<'a>(pub &'a FakeDeal);

/// How a `crm.deal.*` string becomes a native value.
#[derive(Clone, Copy)]
enum Native {
    Text,
    Integer,
    Number,
}

/// The item fields that mirror a `crm.deal.*` field: (item name, deal name,
/// type), in the portal's order.
const MIRRORED: &[(&str, &str, Native)] = &[
    ("id", "ID", Native::Integer),
    ("title", "TITLE", Native::Text),
    ("createdTime", "DATE_CREATE", Native::Text),
    ("updatedTime", "DATE_MODIFY", Native::Text),
    ("createdBy", "CREATED_BY_ID", Native::Integer),
    ("updatedBy", "MODIFY_BY_ID", Native::Integer),
    ("assignedById", "ASSIGNED_BY_ID", Native::Integer),
    ("opened", "OPENED", Native::Text),
    ("closed", "CLOSED", Native::Text),
    ("companyId", "COMPANY_ID", Native::Integer),
    ("contactId", "CONTACT_ID", Native::Integer),
    ("categoryId", "CATEGORY_ID", Native::Integer),
    ("stageId", "STAGE_ID", Native::Text),
    ("stageSemanticId", "STAGE_SEMANTIC_ID", Native::Text),
    ("isNew", "IS_NEW", Native::Text),
    ("opportunity", "OPPORTUNITY", Native::Number),
    ("currencyId", "CURRENCY_ID", Native::Text),
    ("sourceId", "SOURCE_ID", Native::Text),
    ("sourceDescription", "SOURCE_DESCRIPTION", Native::Text),
    ("movedBy", "MOVED_BY_ID", Native::Integer),
    ("movedTime", "MOVED_TIME", Native::Text),
    ("lastActivityBy", "LAST_ACTIVITY_BY", Native::Integer),
    ("lastActivityTime", "LAST_ACTIVITY_TIME", Native::Text),
    ("utmSource", "UTM_SOURCE", Native::Text),
    ("utmMedium", "UTM_MEDIUM", Native::Text),
    ("utmCampaign", "UTM_CAMPAIGN", Native::Text),
    ("utmContent", "UTM_CONTENT", Native::Text),
    ("utmTerm", "UTM_TERM", Native::Text),
];

/// Every field of the item, in the portal's order.
pub(crate) fn fields(deal: &FakeDeal) -> Vec<(&'static str, Value)> {
    let legacy: Map<String, Value> = super::deal::standard_fields(deal)
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    let mut out: Vec<(&'static str, Value)> = MIRRORED
        .iter()
        .map(|(name, from, native)| {
            let value = legacy.get(*from).cloned().unwrap_or(Value::Null);
            (*name, convert(value, *native))
        })
        .collect();
    out.push(("observers", json!([])));
    out.push(("contactIds", json!(deal.contact_ids)));
    out.push(("entityTypeId", json!(2)));
    out
}

/// `"410"` → `410`, `"3000000.00"` → `3000000.0`; an integer field without a
/// value is `0`, as `crm.item.*` shows a missing `contactId`.
fn convert(value: Value, native: Native) -> Value {
    let text = value.as_str().map(str::trim);
    match native {
        Native::Text => value,
        Native::Integer => json!(text.and_then(|t| t.parse::<i64>().ok()).unwrap_or(0)),
        Native::Number => text
            .and_then(|t| t.parse::<f64>().ok())
            .map_or(Value::Null, |n| json!(n)),
    }
}

/// The item with the fields `selection` asks for: `id` always,
/// `entityTypeId` only with every field.
pub(crate) fn render(item: &DealItem<'_>, selection: &Selection) -> Value {
    let wanted = |name: &str| match name {
        "id" => true,
        "entityTypeId" => selection.all_standard(),
        other => selection.wants_standard(&other.to_uppercase()),
    };
    let out: Map<String, Value> = fields(item.0)
        .into_iter()
        .filter(|(name, _)| wanted(name))
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    Value::Object(out)
}

impl Filterable for DealItem<'_> {
    const NAMING: Naming = Naming::Item;
    const ID: &'static str = "id";

    fn field_kind(name: &str) -> Option<FieldKind> {
        match name {
            "id" | "categoryId" | "contactId" | "assignedById" => Some(FieldKind::Integer),
            "createdTime" | "updatedTime" => Some(FieldKind::DateTime),
            "title" | "stageId" | "utmSource" | "utmCampaign" => Some(FieldKind::Text),
            _ => None,
        }
    }

    fn field_value(&self, name: &str) -> FieldValue {
        let deal = self.0;
        match name {
            "id" => deal.field_value("ID"),
            "categoryId" => deal.field_value("CATEGORY_ID"),
            "contactId" => deal.field_value("CONTACT_ID"),
            "assignedById" => deal.field_value("ASSIGNED_BY_ID"),
            "createdTime" | "updatedTime" => deal.field_value("DATE_CREATE"),
            "title" => deal.field_value("TITLE"),
            "stageId" => deal.field_value("STAGE_ID"),
            "utmSource" => text_value(deal.utm_source.as_ref()),
            "utmCampaign" => text_value(deal.utm_campaign.as_ref()),
            _ => FieldValue::Null,
        }
    }

    fn id(&self) -> u64 {
        self.0.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::parse_php_query;

    fn deal(contacts: Vec<u64>) -> FakeDeal {
        FakeDeal {
            id: 253,
            title: "Заявка".into(),
            created: chrono::DateTime::parse_from_rfc3339("2026-11-02T10:15:00+03:00").unwrap(),
            category_id: 1,
            stage_id: "C1:NEW".into(),
            contact_ids: contacts,
            utm_source: Some("yandex".into()),
            utm_campaign: None,
            custom: Default::default(),
            expected: Default::default(),
        }
    }

    #[test]
    fn native_types_in_camel_case() {
        let d = deal(vec![55, 54]);
        let all = render(&DealItem(&d), &Selection::parse(None));
        assert_eq!(all["id"], 253);
        assert_eq!(all["contactId"], 55);
        assert_eq!(all["contactIds"], json!([55, 54]));
        assert_eq!(all["categoryId"], 1);
        assert_eq!(all["stageId"], "C1:NEW");
        assert_eq!(all["createdTime"], "2026-11-02T10:15:00+03:00");
        assert_eq!(all["companyId"], 0);
        assert!(all["opportunity"].is_f64());
        assert_eq!(all["utmCampaign"], Value::Null);
        assert_eq!(all["entityTypeId"], 2);
        let legacy = super::super::deal::standard_fields(&d);
        assert_eq!(all.as_object().unwrap().len(), MIRRORED.len() + 3);
        assert!(legacy.iter().any(|(n, _)| *n == "DATE_MODIFY"));

        let none = render(&DealItem(&deal(vec![])), &Selection::parse(None));
        assert_eq!(
            (none["contactId"].clone(), none["contactIds"].clone()),
            (json!(0), json!([]))
        );
    }

    #[test]
    fn select_names_fields_and_id_always_comes() {
        let d = deal(vec![55, 54]);
        let p = parse_php_query("select[]=contactIds");
        let row = render(&DealItem(&d), &Selection::parse(p.get("select")));
        assert_eq!(row, json!({"id": 253, "contactIds": [55, 54]}));
        let p = parse_php_query("select[]=*");
        let row = render(&DealItem(&d), &Selection::parse(p.get("select")));
        assert!(row.get("title").is_some() && row.get("contactIds").is_some());
        assert_eq!(row["entityTypeId"], 2);
        let p = parse_php_query("select[]=title&select[]=entityTypeId");
        let row = render(&DealItem(&d), &Selection::parse(p.get("select")));
        assert_eq!(
            row,
            json!({"id": 253, "title": "Заявка"}),
            "entityTypeId is dropped"
        );
    }
}
