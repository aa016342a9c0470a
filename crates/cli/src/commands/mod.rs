//! One module per subcommand.

pub mod backfill;
pub mod check;
pub mod demo;
pub mod failed;
pub mod pipeline;
pub mod retry_failed;
pub mod run;
pub mod status;
pub mod watch;
