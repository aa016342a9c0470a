//! The heart of liner-sync: CRM-neutral deals, Liner leads, the [`CrmSource`]
//! trait every connector implements, the mapper, the SQLite state store and
//! the sync engine.
#![deny(missing_docs)]

pub mod auth;
pub mod config;
mod cursor;
mod deal;
pub mod engine;
mod error;
pub mod http;
mod kind;
mod lead;
pub mod mapping;
pub mod phone;
pub mod records;
mod sink;
mod source;
pub mod state;
pub mod telemetry;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use cursor::{Continuation, Cursor};
pub use deal::{Contact, Deal, Utm};
pub use error::{Error, ErrorKind, Result};
pub use kind::CrmKind;
pub use lead::{Lead, LeadType};
pub use sink::{LeadSink, Receipt};
pub use source::{
    Capabilities, CrmSource, FetchRequest, NothingSeen, Page, SeenDeals, SourceContext, StartFrom,
};
