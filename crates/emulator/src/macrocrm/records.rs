//! One заявка as the fake writes it: the field names the connector assumes,
//! its contacts inside it, and a naive local creation time.

use chrono::FixedOffset;
use serde_json::{Map, Value, json};

use super::company::Company;
use crate::data::FakeDeal;
use crate::data::store::Store;

/// The заявка `deal` as JSON, keys renamed as the company names them.
pub(crate) fn render(company: &Company, store: &Store, deal: &FakeDeal) -> Value {
    let zone: FixedOffset = company.options.timezone;
    let contacts: Vec<Value> = deal
        .contact_ids
        .iter()
        .filter_map(|id| store.contacts().get(id))
        .map(|stored| {
            let c = &stored.contact;
            let im = |kind: &str| {
                c.ims
                    .iter()
                    .find(|(k, _)| k == kind)
                    .map(|(_, v)| v.clone())
            };
            json!({
                "id": c.id,
                "name": c.display_name(),
                "phones": c.phones.iter().map(|(typed, _)| typed.clone()).collect::<Vec<_>>(),
                "telegram": im("TELEGRAM"),
                "vk": im("VK"),
            })
        })
        .collect();
    let fields = [
        ("id", json!(deal.id)),
        (
            "created_at",
            json!(
                deal.created
                    .with_timezone(&zone)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            ),
        ),
        ("title", json!(deal.title)),
        ("status_id", json!(deal.stage_id)),
        ("price", json!(deal.price())),
        ("utm_source", json!(deal.utm_source)),
        ("utm_campaign", json!(deal.utm_campaign)),
        ("contacts", Value::Array(contacts)),
    ];
    let record: Map<String, Value> = fields
        .into_iter()
        .map(|(key, value)| (company.key(key).to_owned(), value))
        .collect();
    Value::Object(record)
}
