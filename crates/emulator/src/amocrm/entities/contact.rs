//! A contact as `GET /api/v4/contacts` shows it.

use serde_json::{Value, json};

use super::custom_fields::contact_fields;
use super::{ACCOUNT_ID, responsible_user, self_link};
use crate::amocrm::query::order::Sortable;
use crate::data::store::StoredContact;

/// The fields `order[…]` may name.
pub(crate) const ORDER_FIELDS: &[&str] = &["updated_at", "id"];

/// A stored contact with its times in Unix seconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContactRow<'a> {
    /// The contact.
    pub stored: &'a StoredContact,
    /// When it was created, Unix seconds.
    pub created_at: i64,
}

impl<'a> ContactRow<'a> {
    /// The row of `stored`.
    pub fn of(stored: &'a StoredContact) -> Self {
        ContactRow {
            stored,
            created_at: stored.created.timestamp(),
        }
    }
}

impl Sortable for ContactRow<'_> {
    fn sort_value(&self, field: &str) -> i64 {
        match field {
            "updated_at" => self.created_at,
            _ => self.stored.contact.id as i64,
        }
    }

    fn id(&self) -> u64 {
        self.stored.contact.id
    }
}

/// The contact: `name` is `"first last"` as the data set names it (empty
/// when it has no name), phones and messengers in `custom_fields_values`.
pub(crate) fn render(row: &ContactRow<'_>, base: &str) -> Value {
    let c = &row.stored.contact;
    let user = responsible_user(c.id);
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    json!({
        "id": c.id,
        "name": c.display_name().unwrap_or_default(),
        "first_name": text(&c.name),
        "last_name": text(&c.last_name),
        "responsible_user_id": user,
        "group_id": 0,
        "created_by": user,
        "updated_by": user,
        "created_at": row.created_at,
        "updated_at": row.created_at,
        "closest_task_at": null,
        "is_deleted": false,
        "is_unsorted": false,
        "custom_fields_values": contact_fields(c),
        "account_id": ACCOUNT_ID,
        "_links": self_link(base, &format!("/api/v4/contacts/{}", c.id)),
        "_embedded": {"tags": [], "companies": []},
    })
}
