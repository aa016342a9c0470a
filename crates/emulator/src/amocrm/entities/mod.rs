//! How leads, contacts and the account look in API v4: native JSON types,
//! Unix seconds, `custom_fields_values` as `null` or an array, HAL links.
//! Values the fake does not model derive from ids so they stay stable.

pub(crate) mod account;
pub(crate) mod contact;
pub(crate) mod custom_fields;
pub(crate) mod lead;
pub(crate) mod pipeline;

use serde_json::{Value, json};

/// The account every entity belongs to.
pub(crate) const ACCOUNT_ID: u64 = 31_415_926;

/// The users leads and contacts are assigned to.
const USERS: [u64; 3] = [8_000_001, 8_000_006, 8_000_008];

/// The user an entity is assigned to.
pub(crate) fn responsible_user(id: u64) -> u64 {
    USERS[(id % USERS.len() as u64) as usize]
}

/// `{"self": {"href": "{base}{path}"}}`.
pub(crate) fn self_link(base: &str, path: &str) -> Value {
    json!({"self": {"href": format!("{base}{path}")}})
}

/// An id in `[base, base + 1_000_000)` derived from `text` (FNV-1a), for
/// tags, fields and enums that have a name but no id in the data.
pub(crate) fn stable_id(text: &str, base: u64) -> u64 {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    base + hash % 1_000_000
}
