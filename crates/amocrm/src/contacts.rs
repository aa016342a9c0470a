//! Loads contacts by id: `GET /api/v4/contacts?filter[id][]=…`, up to 250
//! ids (one page) per request, in the order given.

use crate::api::{Api, contacts_of};
use crate::client::Client;
use crate::mapping::id_of;
use liner_sync_core::Result;
use serde_json::Value;
use std::collections::HashMap;
use tracing::debug;

/// Ids per contacts request: one page of amoCRM's.
pub(crate) const IDS_PER_CALL: usize = 250;

/// Contact id → the contact as amoCRM sent it. Ids that did not come back
/// (deleted contacts: a 204) are absent.
pub(crate) type Loaded = HashMap<u64, Value>;

/// Loads `ids` (distinct, most needed first); no ids, no request.
pub(crate) async fn load(client: &Client, api: &Api, source: &str, ids: &[u64]) -> Result<Loaded> {
    let mut loaded = Loaded::new();
    for chunk in ids.chunks(IDS_PER_CALL) {
        let reply = client.get(&api.contacts(chunk), "contacts").await?;
        let Some(body) = reply.body else {
            debug!(
                source,
                asked = chunk.len(),
                "amoCRM has none of these contacts (204)"
            );
            continue;
        };
        for contact in contacts_of(&body)? {
            if let Some(id) = id_of(&contact)
                && chunk.contains(&id)
            {
                loaded.insert(id, contact);
            }
        }
    }
    Ok(loaded)
}

/// Appends `id` to `ids` unless it is there already.
pub(crate) fn push_unique(ids: &mut Vec<u64>, seen: &mut std::collections::HashSet<u64>, id: u64) {
    if seen.insert(id) {
        ids.push(id);
    }
}
