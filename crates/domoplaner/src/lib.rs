#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod config;
mod cursor;
mod defaults;
mod enrich;
mod error;
mod feed;
mod feed_url;
mod held;
mod reader;
mod scan;
mod source;
#[cfg(test)]
mod testing;

pub use config::{DomoplanerConfig, EnrichConfig, ExternalId};
pub use source::DomoplanerSource;

/// The `kind:` that selects this source in the configuration.
pub const KIND: &str = "domoplaner";
