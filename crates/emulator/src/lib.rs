//! Faithful local fakes of the systems liner-sync talks to, served over
//! 127.0.0.1 for tests, the demo and benchmarks.
//!
//! One folder per faked system (`amocrm/`, `bitrix24/`, `domoplaner/`,
//! `liner/`, `macrocrm/`); what they share lives beside them: the seeded data
//! generator and the CRM store (`data/`), fault injection ([`Faults`]), the
//! request log ([`RecordedRequest`]), PHP-style request parameters (`params/`), OAuth
//! token rotation (`tokens/`), the rate limiter and the HTTP server start-up.

#![deny(missing_docs)]

mod amocrm;
mod bitrix24;
mod data;
mod domoplaner;
mod faults;
mod harness;
mod html;
mod leaky_bucket;
mod liner;
mod lock;
mod macrocrm;
mod malformed;
mod observe;
mod params;
mod record;
mod rng;
mod sandbox;
mod server;
mod system;
mod tokens;

pub use amocrm::{AmoAuth, AmoFake, AmoOptions};
pub use bitrix24::{Bitrix24Fake, Bitrix24OAuth, Bitrix24Options};
pub use data::{DataSet, Expected, FakeContact, FakeDeal};
pub use domoplaner::{DomoplanerFake, DomoplanerOptions};
pub use faults::Faults;
pub use liner::{LinerFake, LinerOptions, ReceivedLead, SyncIdFormat};
pub use macrocrm::{MACRO_PATH, MacroFake, MacroOptions, MacroPaging};
pub use record::RecordedRequest;
pub use rng::SplitMix64;
pub use sandbox::{ConfigTuning, Sandbox, SandboxOptions};
