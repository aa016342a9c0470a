//! `liner-sync run`: one pass over the configured sources.

use super::pipeline;
use crate::config::LoadedConfig;
use crate::error::CliError;
use crate::signals;
use liner_sync_core::engine::PassReport;

/// What `run` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Print leads instead of sending them; write nothing.
    pub dry_run: bool,
    /// Only this source.
    pub source: Option<String>,
}

/// Runs one pass and returns its report.
pub async fn execute(loaded: &LoadedConfig, options: &RunOptions) -> Result<PassReport, CliError> {
    let pipeline = pipeline::open(loaded, options.source.as_deref(), options.dry_run, vec![])?;
    signals::stop_on_signals(pipeline.engine.stop_handle());
    Ok(pipeline.engine.run_pass(&pipeline.jobs).await)
}
