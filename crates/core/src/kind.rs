//! Which CRM a deal came from, and so which Liner `externalId*` field it sets.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The CRMs Liner has an external-id field for.
///
/// This is the only place `core` names a CRM: the kind decides which
/// `externalId*` field of the Liner lead carries the deal id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CrmKind {
    /// Bitrix24 (`externalIdBitrix24`).
    Bitrix24,
    /// amoCRM / Kommo (`externalIdAmo`).
    Amocrm,
    /// MacroCRM (`externalIdMacro`).
    Macrocrm,
    /// Domoplaner (`externalIdDomoplaner`).
    Domoplaner,
}

impl CrmKind {
    /// The name used in configuration (`kind: bitrix24`) and output.
    pub fn as_str(self) -> &'static str {
        match self {
            CrmKind::Bitrix24 => "bitrix24",
            CrmKind::Amocrm => "amocrm",
            CrmKind::Macrocrm => "macrocrm",
            CrmKind::Domoplaner => "domoplaner",
        }
    }

    /// The Liner lead field that carries the deal id for this CRM.
    pub fn external_id_field(self) -> &'static str {
        match self {
            CrmKind::Bitrix24 => "externalIdBitrix24",
            CrmKind::Amocrm => "externalIdAmo",
            CrmKind::Macrocrm => "externalIdMacro",
            CrmKind::Domoplaner => "externalIdDomoplaner",
        }
    }
}

impl fmt::Display for CrmKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
