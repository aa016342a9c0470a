//! The benchmarks, one file each, and the CRMs they run against.

pub mod backfill;
pub mod connectors;
pub mod limits;
pub mod rate;
pub mod throughput;

use liner_sync_emulator::{RecordedRequest, Sandbox, SandboxOptions};

/// One CRM of the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Crm {
    /// The fake Bitrix24 portal.
    Bitrix24,
    /// The fake amoCRM account.
    Amocrm,
    /// The fake MACRO company.
    Macrocrm,
    /// The fake Domoplaner feed.
    Domoplaner,
}

impl Crm {
    /// Every CRM, in the order tables list them.
    pub const ALL: [Crm; 4] = [Crm::Bitrix24, Crm::Amocrm, Crm::Macrocrm, Crm::Domoplaner];

    /// The source's name in the sandbox's configuration.
    pub fn source(self) -> &'static str {
        match self {
            Crm::Bitrix24 => "b24",
            Crm::Amocrm => "amo",
            Crm::Macrocrm => "macro",
            Crm::Domoplaner => "domoplaner",
        }
    }

    /// The CRM's name.
    pub fn label(self) -> &'static str {
        match self {
            Crm::Bitrix24 => "Bitrix24",
            Crm::Amocrm => "amoCRM",
            Crm::Macrocrm => "MacroCRM",
            Crm::Domoplaner => "Domoplaner",
        }
    }

    /// Deals per page of its API as the connector reads it by default
    /// (`None`: the whole feed in one reply).
    pub fn page_size(self) -> Option<u64> {
        match self {
            Crm::Bitrix24 => Some(50),
            Crm::Amocrm => Some(250),
            Crm::Macrocrm => Some(100),
            Crm::Domoplaner => None,
        }
    }

    /// The most requests a page may cost (DESIGN.md's Performance
    /// section), where there is a target.
    pub fn target_per_page(self) -> Option<f64> {
        match self {
            Crm::Bitrix24 | Crm::Amocrm => Some(2.0),
            Crm::Macrocrm | Crm::Domoplaner => None,
        }
    }

    /// A sandbox with `deals` in this CRM alone, rate limits not enforced.
    pub fn alone(self, deals: usize) -> SandboxOptions {
        let here = |crm: Crm| if crm == self { deals } else { 0 };
        SandboxOptions {
            deals: here(Crm::Bitrix24),
            amo_deals: Some(here(Crm::Amocrm)),
            macro_deals: Some(here(Crm::Macrocrm)),
            domoplaner_deals: Some(here(Crm::Domoplaner)),
            enforce_rate_limits: false,
            ..SandboxOptions::default()
        }
    }

    /// The requests its fake answered.
    pub fn requests(self, sandbox: &Sandbox) -> Vec<RecordedRequest> {
        match self {
            Crm::Bitrix24 => sandbox.bitrix.requests(),
            Crm::Amocrm => sandbox.amo.requests(),
            Crm::Macrocrm => sandbox.macro_crm.requests(),
            Crm::Domoplaner => sandbox.domoplaner.requests(),
        }
    }

    /// Forgets the requests its fake answered so far.
    pub fn clear_requests(self, sandbox: &Sandbox) {
        match self {
            Crm::Bitrix24 => sandbox.bitrix.clear_requests(),
            Crm::Amocrm => sandbox.amo.clear_requests(),
            Crm::Macrocrm => sandbox.macro_crm.clear_requests(),
            Crm::Domoplaner => sandbox.domoplaner.clear_requests(),
        }
    }
}

/// Liner's requests that create a lead.
pub fn lead_creates(sandbox: &Sandbox) -> Vec<RecordedRequest> {
    sandbox
        .liner
        .requests()
        .into_iter()
        .filter(|r| r.method.starts_with("lead/create"))
        .collect()
}
