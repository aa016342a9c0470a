#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod assumed;
mod client;
mod config;
mod cursor;
mod error;
mod page;
mod progress;
mod sign;
mod source;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod wire_tests;

pub use config::{MacroConfig, Method};
pub use source::MacroSource;

/// The `kind:` that selects this source in the configuration.
pub const KIND: &str = "macrocrm";
