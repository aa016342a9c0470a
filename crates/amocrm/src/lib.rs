#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod api;
mod backlog;
mod client;
mod config;
mod contacts;
mod cursor;
mod error;
mod mapping;
mod next_page;
mod oauth;
mod page;
mod source;
#[cfg(test)]
mod testing;
mod waiting;

pub use config::AmoConfig;
pub use source::AmoSource;

/// The `kind:` that selects this source in the configuration.
pub const KIND: &str = "amocrm";
