#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod client;
mod config;
mod error;

pub use client::{LinerClient, Order};
pub use config::{LinerConfig, Mode};
pub use error::parse_reply;
