//! A fake CRM's deals and contacts, kept in id order.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};

use crate::data::{DataSet, FakeContact, FakeDeal, PORTAL_OFFSET};

/// A contact with the creation time the CRM shows for it.
#[derive(Debug, Clone)]
pub(crate) struct StoredContact {
    pub contact: FakeContact,
    pub created: DateTime<FixedOffset>,
}

/// Everything a fake CRM holds.
#[derive(Debug, Default)]
pub(crate) struct Store {
    deals: BTreeMap<u64, FakeDeal>,
    contacts: BTreeMap<u64, StoredContact>,
    /// Every custom field name seen, and whether it is a "multiple" field.
    custom_fields: BTreeMap<String, bool>,
}

impl Store {
    /// Adds (or replaces, by id) deals and contacts. A contact shows the
    /// creation time of the earliest deal in `data` that names it.
    pub fn add(&mut self, data: DataSet) {
        let mut first_seen: BTreeMap<u64, DateTime<FixedOffset>> = BTreeMap::new();
        for deal in &data.deals {
            for id in &deal.contact_ids {
                let at = first_seen.entry(*id).or_insert(deal.created);
                *at = (*at).min(deal.created);
            }
        }
        for contact in data.contacts {
            let created = first_seen
                .get(&contact.id)
                .copied()
                .unwrap_or_else(|| Utc::now().with_timezone(&PORTAL_OFFSET));
            self.contacts
                .insert(contact.id, StoredContact { contact, created });
        }
        for deal in data.deals {
            for (name, value) in &deal.custom {
                let multiple = self.custom_fields.entry(name.clone()).or_insert(false);
                *multiple |= value.is_array();
            }
            self.deals.insert(deal.id, deal);
        }
    }

    /// All deals by id.
    pub fn deals(&self) -> &BTreeMap<u64, FakeDeal> {
        &self.deals
    }

    /// All contacts by id.
    pub fn contacts(&self) -> &BTreeMap<u64, StoredContact> {
        &self.contacts
    }

    /// Custom field names, each with whether it is a "multiple" field.
    pub fn custom_fields(&self) -> &BTreeMap<String, bool> {
        &self.custom_fields
    }
}
