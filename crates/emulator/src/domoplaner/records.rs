//! The feed's deals and the leads API's cards as the fake writes them: the
//! field names the connector assumes, a deal's one client inside it, and
//! naive local datetimes.

use chrono::{DateTime, FixedOffset};
use serde_json::{Value, json};

use super::account::Account;
use crate::data::FakeDeal;
use crate::data::store::{Store, StoredContact};

/// The status id of a deal in its first stage; later stages get the next id.
const STATUS_NEW: u32 = 101;

/// The whole feed: `{"deals": [...]}`, every deal the account holds, in id
/// order, written one deal at a time.
pub(crate) fn feed(account: &Account) -> Vec<u8> {
    let store = account.store();
    let mut body = Vec::with_capacity(store.deals().len() * 512 + 16);
    body.extend_from_slice(b"{");
    if serde_json::to_writer(&mut body, account.key("deals")).is_err() {
        body.extend_from_slice(b"\"deals\"");
    }
    body.extend_from_slice(b":[");
    for (i, deal) in store.deals().values().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        if serde_json::to_writer(&mut body, &deal_record(account, &store, deal)).is_err() {
            tracing::warn!(
                deal = deal.id,
                "a fake Domoplaner deal could not be written"
            );
        }
    }
    body.extend_from_slice(b"]}");
    body
}

/// One deal of the feed.
pub(crate) fn deal_record(account: &Account, store: &Store, deal: &FakeDeal) -> Value {
    let status = if deal.stage_id.ends_with("NEW") {
        STATUS_NEW
    } else {
        STATUS_NEW + 1
    };
    let client = client_of(store, deal).map(|stored| {
        let c = &stored.contact;
        let im = |kind: &str| c.ims.iter().find(|(k, _)| k == kind).map(|(_, v)| v);
        let mut client = json!({
            "id": c.id,
            "name": c.display_name(),
            "dt_create": local(account, stored.created),
            "telegram": im("TELEGRAM"),
            "vk": im("VK"),
        });
        if account.options.include_phones {
            client["phones"] = phones(stored);
        }
        renamed(account, client)
    });
    let record = json!({
        "id": deal.id,
        "dt_create": local(account, deal.created),
        "title": deal.title,
        "status_id": status,
        "price": deal.price(),
        "utm_source": deal.utm_source,
        "utm_campaign": deal.utm_campaign,
        "client": client,
    });
    renamed(account, record)
}

/// `value`'s own keys as the account names them.
fn renamed(account: &Account, value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (account.key(&k).to_owned(), v))
                .collect(),
        ),
        other => other,
    }
}

/// The leads API's card of client `id`: `{"lead": {…}, "phones": [...]}`.
pub(crate) fn card(store: &Store, id: u64) -> Option<Value> {
    let stored = store.contacts().get(&id)?;
    Some(json!({
        "lead": {"id": id, "name": stored.contact.display_name(), "status": STATUS_NEW},
        "phones": phones(stored),
    }))
}

/// A deal's one client: its first contact with a phone, else its first.
fn client_of<'a>(store: &'a Store, deal: &FakeDeal) -> Option<&'a StoredContact> {
    let contacts: Vec<&StoredContact> = deal
        .contact_ids
        .iter()
        .filter_map(|id| store.contacts().get(id))
        .collect();
    contacts
        .iter()
        .find(|c| !c.contact.phones.is_empty())
        .or(contacts.first())
        .copied()
}

/// Phones in the leads API's shape, as typed.
fn phones(stored: &StoredContact) -> Value {
    stored
        .contact
        .phones
        .iter()
        .enumerate()
        .map(|(i, (typed, _))| {
            json!({"id": i + 1, "type": 1, "value": typed, "tg_chat_id": null,
                   "max_chat_id": null, "comment": ""})
        })
        .collect()
}

/// `at` as the account writes datetimes: `YYYY-MM-DD HH:mm:ss`, local, no offset.
fn local(account: &Account, at: DateTime<FixedOffset>) -> String {
    at.with_timezone(&account.zone)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}
