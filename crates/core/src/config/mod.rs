//! Configuration building blocks shared by the CLI and the connectors.

mod env;
mod rate;
mod secret;
mod settings;

pub use env::{EnvError, expand, expand_with};
pub use rate::{HumanDuration, Rate};
pub use secret::{EnvString, Secret};
pub use settings::{ConfigError, Location, SourceSettings};
