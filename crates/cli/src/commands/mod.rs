//! One module per subcommand.

pub mod check;
pub mod demo;
pub mod run;
pub mod status;
