//! The CRM-neutral deal every source produces.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// One deal as read from a CRM, already stripped of the CRM's wire quirks.
///
/// Sources fill what their CRM has; everything but `id` and `created_at` may be
/// empty. `raw` keeps the deal as the CRM sent it, for mapping rules that need a
/// field this struct does not name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deal {
    /// The deal id in the CRM, as a string (`"410"`).
    pub id: String,
    /// When the deal was created, in UTC.
    pub created_at: DateTime<Utc>,
    /// The deal's title, if any.
    pub title: Option<String>,
    /// The deal's contacts, primary contact first.
    pub contacts: Vec<Contact>,
    /// Pipeline (Bitrix24 category, amoCRM pipeline) id.
    pub pipeline_id: Option<String>,
    /// Stage / status id.
    pub stage_id: Option<String>,
    /// UTM tags.
    pub utm: Utm,
    /// CRM custom fields by their CRM key (`UF_CRM_1721244482250`, an amoCRM field id).
    pub custom_fields: BTreeMap<String, serde_json::Value>,
    /// The deal as the CRM sent it.
    pub raw: serde_json::Value,
}

impl Deal {
    /// A deal with only an id and a creation time; the rest empty.
    pub fn new(id: impl Into<String>, created_at: DateTime<Utc>) -> Self {
        Self {
            id: id.into(),
            created_at,
            title: None,
            contacts: Vec::new(),
            pipeline_id: None,
            stage_id: None,
            utm: Utm::default(),
            custom_fields: BTreeMap::new(),
            raw: serde_json::Value::Null,
        }
    }
}

/// A person attached to a deal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Contact {
    /// Full name as the CRM holds it.
    pub name: Option<String>,
    /// Phone numbers exactly as typed into the CRM; the mapper normalises them.
    pub phones: Vec<String>,
    /// Telegram user name.
    pub telegram: Option<String>,
    /// VK id or screen name.
    pub vk: Option<String>,
    /// Instagram login.
    pub instagram: Option<String>,
}

/// UTM tags of a deal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Utm {
    /// `utm_source`.
    pub source: Option<String>,
    /// `utm_medium`.
    pub medium: Option<String>,
    /// `utm_campaign`.
    pub campaign: Option<String>,
    /// `utm_content`.
    pub content: Option<String>,
    /// `utm_term`.
    pub term: Option<String>,
}
