//! The deals and contacts a fake CRM serves, and what a correct pipeline must
//! make of each deal.

mod generate;
mod names;
mod phones;
pub(crate) mod store;

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};

/// Moscow time (+03:00): the offset generated data and the fake portals use.
pub(crate) const PORTAL_OFFSET: FixedOffset = match FixedOffset::east_opt(3 * 3600) {
    Some(offset) => offset,
    None => panic!("+03:00 is a valid offset"),
};

/// Deals and the contacts they point at. Build one by hand (the fields are
/// public) or with [`DataSet::generate`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataSet {
    /// The deals, in any order.
    pub deals: Vec<FakeDeal>,
    /// The contacts the deals refer to.
    pub contacts: Vec<FakeContact>,
}

impl DataSet {
    /// No deals, no contacts.
    pub fn empty() -> DataSet {
        DataSet::default()
    }
}

/// A CRM deal, CRM-neutral enough for every fake.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeDeal {
    /// The deal's id.
    pub id: u64,
    /// The deal's title.
    pub title: String,
    /// When it was created, in the portal's offset.
    pub created: DateTime<FixedOffset>,
    /// Pipeline (Bitrix24 `CATEGORY_ID`; 0 = general).
    pub category_id: u32,
    /// Stage (`NEW` in pipeline 0, `C{category}:NEW` elsewhere).
    pub stage_id: String,
    /// Bound contacts, primary first; may be empty.
    pub contact_ids: Vec<u64>,
    /// `UTM_SOURCE`.
    pub utm_source: Option<String>,
    /// `UTM_CAMPAIGN`.
    pub utm_campaign: Option<String>,
    /// Custom fields (`UF_CRM_*`). An array value makes that field a
    /// "multiple" field, which Bitrix24 returns only when named.
    pub custom: BTreeMap<String, serde_json::Value>,
    /// What a correct pipeline must send for this deal.
    pub expected: Expected,
}

/// A CRM contact.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeContact {
    /// The contact's id.
    pub id: u64,
    /// First name (`NAME`).
    pub name: Option<String>,
    /// Middle name / patronymic (`SECOND_NAME`).
    pub second_name: Option<String>,
    /// Surname (`LAST_NAME`).
    pub last_name: Option<String>,
    /// Phones as `(VALUE as typed, VALUE_TYPE)`, in order.
    pub phones: Vec<(String, String)>,
    /// Messenger handles as `(VALUE_TYPE, VALUE)`: `TELEGRAM`, `VK`, …
    pub ims: Vec<(String, String)>,
}

/// What a correct pipeline must send for a deal. Computed by the generator
/// from the number it formatted, not by normalising the string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expected {
    /// `"79001234567"`; `None` = the deal must be rejected (no contact or no
    /// valid phone).
    pub phone: Option<String>,
    /// The name of the contact whose phone is used: `"NAME LAST_NAME"`
    /// trimmed, as Bitrix24 shows it (and as amoCRM's contact `name`).
    pub name: Option<String>,
    /// The Telegram handle without `@`, from the contact's `TELEGRAM`
    /// messenger (Bitrix24 `IM` multifield, amoCRM `IM` field).
    pub telegram: Option<String>,
}

impl FakeDeal {
    /// The deal's amount in roubles, derived from the id so it stays stable
    /// and every fake shows the same one.
    pub fn price(&self) -> u64 {
        3_000_000 + (self.id.wrapping_mul(7919) % 200) * 50_000
    }
}

impl FakeContact {
    /// `"NAME LAST_NAME"` trimmed, or `None` when both are empty.
    pub fn display_name(&self) -> Option<String> {
        let parts = [self.name.as_deref(), self.last_name.as_deref()];
        let joined = parts
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        (!joined.is_empty()).then_some(joined)
    }
}
