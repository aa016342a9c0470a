//! A lead (a deal) as `GET /api/v4/leads` shows it.

use serde_json::{Value, json};

use super::custom_fields::lead_fields;
use super::pipeline::{LOST, WON, pipeline_id, status_id};
use super::{ACCOUNT_ID, responsible_user, self_link, stable_id};
use crate::amocrm::query::order::Sortable;
use crate::data::FakeDeal;

/// The fields `order[…]` may name.
pub(crate) const ORDER_FIELDS: &[&str] = &["created_at", "updated_at", "id"];

/// A deal with the values the leads list filters and sorts on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LeadRow<'a> {
    /// The deal.
    pub deal: &'a FakeDeal,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; a few minutes after creation, by id.
    pub updated_at: i64,
    /// The pipeline of the deal's category.
    pub pipeline_id: u64,
    /// The status of the deal's stage.
    pub status_id: u64,
}

impl<'a> LeadRow<'a> {
    /// The row of `deal`.
    pub fn of(deal: &'a FakeDeal) -> Self {
        let created_at = deal.created.timestamp();
        LeadRow {
            deal,
            created_at,
            updated_at: created_at + (deal.id % 5) as i64 * 60,
            pipeline_id: pipeline_id(deal.category_id),
            status_id: status_id(deal),
        }
    }

    /// The lead's id (the deal's).
    pub fn id(&self) -> u64 {
        self.deal.id
    }
}

impl Sortable for LeadRow<'_> {
    fn sort_value(&self, field: &str) -> i64 {
        match field {
            "created_at" => self.created_at,
            "updated_at" => self.updated_at,
            _ => self.deal.id as i64,
        }
    }

    fn id(&self) -> u64 {
        self.deal.id
    }
}

/// The lead with every field of the official example; `_embedded.contacts`
/// (main contact first) only `with=contacts`.
pub(crate) fn render(row: &LeadRow<'_>, base: &str, with_contacts: bool) -> Value {
    let deal = row.deal;
    let user = responsible_user(deal.id);
    let closed_at = matches!(row.status_id, WON | LOST).then_some(row.updated_at);
    let tags: Vec<Value> = deal
        .utm_source
        .iter()
        .map(|source| json!({"id": stable_id(source, 300_000), "name": source, "color": null}))
        .collect();
    let mut embedded = json!({"tags": tags, "companies": []});
    if with_contacts {
        let contacts: Vec<Value> = deal
            .contact_ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                json!({
                    "id": id,
                    "is_main": i == 0,
                    "_links": self_link(base, &format!("/api/v4/contacts/{id}")),
                })
            })
            .collect();
        embedded["contacts"] = Value::Array(contacts);
    }
    json!({
        "id": deal.id,
        "name": deal.title,
        "price": deal.price(),
        "responsible_user_id": user,
        "group_id": 0,
        "status_id": row.status_id,
        "pipeline_id": row.pipeline_id,
        "loss_reason_id": null,
        "source_id": null,
        "created_by": user,
        "updated_by": user,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "closed_at": closed_at,
        "closest_task_at": null,
        "is_deleted": false,
        "custom_fields_values": lead_fields(&deal.custom),
        "score": null,
        "account_id": ACCOUNT_ID,
        "_links": self_link(base, &format!("/api/v4/leads/{}", deal.id)),
        "_embedded": embedded,
    })
}
