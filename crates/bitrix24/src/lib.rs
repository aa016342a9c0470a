#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod advice;
mod auth;
mod batch;
mod client;
mod config;
mod contacts;
mod credentials;
mod cursor;
mod deal_list;
mod endpoint;
mod error;
mod links;
mod listed;
mod mapping;
mod next_page;
mod oauth;
mod oauth_reply;
mod source;
#[cfg(test)]
mod testing;
mod webhook;

pub use config::Bitrix24Config;
pub use source::Bitrix24Source;

/// The `kind:` that selects this source in the configuration.
pub const KIND: &str = "bitrix24";
