//! The `lead:` blocks of the configuration: fixed lead fields plus field mappings.

use crate::LeadType;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Lead fields every lead of a source gets, as written under `defaults:`, a
/// source's `lead:` or a route's `lead:`. Later blocks override earlier ones
/// field by field; `custom_values` are merged key by key.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeadTemplate {
    /// `straight` (default) or `selection`.
    pub lead_type: Option<LeadType>,
    /// Liner order id.
    pub order_id: Option<u64>,
    /// Liner order code.
    pub order_code: Option<String>,
    /// Queue priority.
    pub priority: Option<i64>,
    /// The client's UTC offset in hours (Moscow: 3).
    pub utc_offset: Option<i32>,
    /// Initial Liner status id (an "in-progress" status).
    pub status_id: Option<u64>,
    /// Operator comment; `{field}` placeholders are filled from the deal
    /// (`"Сделка {id}: {title}"`).
    pub source_comment: Option<String>,
    /// Liner custom field id → deal field reference (`UF_CRM_1721244482250`,
    /// `utm_source`, `title`, `/RAW/JSON/POINTER`).
    #[serde(default)]
    pub custom_values: BTreeMap<String, String>,
}

impl LeadTemplate {
    /// This template with `over`'s fields laid on top.
    pub fn overlay(&self, over: &LeadTemplate) -> LeadTemplate {
        let mut custom_values = self.custom_values.clone();
        custom_values.extend(over.custom_values.clone());
        LeadTemplate {
            lead_type: over.lead_type.or(self.lead_type),
            order_id: over.order_id.or(self.order_id),
            order_code: over.order_code.clone().or_else(|| self.order_code.clone()),
            priority: over.priority.or(self.priority),
            utc_offset: over.utc_offset.or(self.utc_offset),
            status_id: over.status_id.or(self.status_id),
            source_comment: over
                .source_comment
                .clone()
                .or_else(|| self.source_comment.clone()),
            custom_values,
        }
    }
}

/// One value or a list of values a route condition accepts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single accepted value.
    One(String),
    /// Any of these values.
    Many(Vec<String>),
}

impl OneOrMany {
    /// True when `value` is one of the accepted values.
    pub fn accepts(&self, value: Option<&str>) -> bool {
        let Some(value) = value else { return false };
        match self {
            OneOrMany::One(v) => v == value,
            OneOrMany::Many(vs) => vs.iter().any(|v| v == value),
        }
    }
}

/// When a route applies. All given conditions must hold.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteCondition {
    /// Pipeline (Bitrix24 category) id.
    pub pipeline: Option<OneOrMany>,
    /// Stage id.
    pub stage: Option<OneOrMany>,
    /// `utm_source`.
    pub utm_source: Option<OneOrMany>,
    /// `utm_campaign`.
    pub utm_campaign: Option<OneOrMany>,
    /// Deal field reference → accepted value(s).
    #[serde(default)]
    pub fields: BTreeMap<String, OneOrMany>,
}

/// A routing rule: deals matching `when` get `lead` on top of the source's fields.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// The condition.
    pub when: RouteCondition,
    /// Lead fields for matching deals.
    pub lead: LeadTemplate,
}
