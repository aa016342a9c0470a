#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod batch;
mod client;
mod config;
mod contacts;
mod cursor;
mod deal_list;
mod error;
mod links;
mod listed;
mod mapping;
mod next_page;
mod source;
#[cfg(test)]
mod testing;

pub use config::Bitrix24Config;
pub use source::Bitrix24Source;

/// The `kind:` that selects this source in the configuration.
pub const KIND: &str = "bitrix24";
