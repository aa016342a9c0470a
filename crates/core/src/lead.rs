//! The body of Liner's `POST /v2/lead/create[-async]/`, built only by the mapper.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Liner's lead type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LeadType {
    /// A regular lead.
    #[default]
    Straight,
    /// A selection lead (a request to pick a property).
    Selection,
}

/// A Liner lead-create body (v2, camelCase). Field types follow Liner's
/// parameter table: `vkId` and messenger fields are strings, ids are integers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lead {
    /// `straight` or `selection`.
    pub lead_type: LeadType,
    /// E.164 digits, e.g. `79001234567`.
    pub phone: String,
    /// Liner order (calling project) id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<u64>,
    /// Liner order code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_code: Option<String>,
    /// Client name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Free-text comment shown to the operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_comment: Option<String>,
    /// Deal id in Bitrix24.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id_bitrix24: Option<String>,
    /// Deal id in amoCRM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id_amo: Option<String>,
    /// Deal id in MacroCRM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id_macro: Option<String>,
    /// Deal id in Domoplaner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id_domoplaner: Option<String>,
    /// Position in the call queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    /// The client's UTC offset in hours.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<i32>,
    /// Initial Liner status (an "in-progress" category status).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_id: Option<u64>,
    /// Telegram user name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telegram_user_name: Option<String>,
    /// Telegram phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telegram_phone: Option<String>,
    /// VK id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vk_id: Option<String>,
    /// Instagram login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instagram_login: Option<String>,
    /// Liner custom field values by Liner field id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_values: BTreeMap<String, serde_json::Value>,
}

impl Lead {
    /// The external id this lead carries, whichever CRM field holds it.
    pub fn external_id(&self) -> Option<&str> {
        self.external_id_bitrix24
            .as_deref()
            .or(self.external_id_amo.as_deref())
            .or(self.external_id_macro.as_deref())
            .or(self.external_id_domoplaner.as_deref())
    }
}
