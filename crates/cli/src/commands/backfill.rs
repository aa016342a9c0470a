//! `liner-sync backfill`: one source's deals created in a window of time,
//! under the window's own cursor, so the live cursor stays where it is and an
//! interrupted backfill goes on where it stopped when run again.

use super::pipeline;
use crate::config::{LoadedConfig, parse_instant};
use crate::error::CliError;
use crate::logging::LogFormat;
use crate::progress::Progress;
use crate::signals;
use liner_sync_core::engine::{PassReport, Window};
use std::io::IsTerminal;
use std::sync::Arc;

/// What `backfill` was asked to do.
#[derive(Debug, Clone)]
pub struct BackfillOptions {
    /// The source.
    pub source: String,
    /// `--from`, as written.
    pub from: String,
    /// `--to`, as written.
    pub to: Option<String>,
    /// Print leads instead of sending them; write nothing.
    pub dry_run: bool,
    /// How logs look (a bar is drawn only for text on a terminal).
    pub log_format: LogFormat,
}

/// The window `--from`/`--to` name.
pub fn window(options: &BackfillOptions) -> Result<Window, CliError> {
    let at = |flag: &str, text: &str| {
        parse_instant(text).map_err(|why| CliError::config(format!("{flag}: {why}")))
    };
    let from = at("--from", &options.from)?;
    let until = options.to.as_deref().map(|to| at("--to", to)).transpose()?;
    if until.is_some_and(|until| until <= from) {
        return Err(CliError::config(
            "--to must be later than --from (the window is [from, to))",
        ));
    }
    Ok(Window { from, until })
}

/// Runs the backfill and returns its report.
pub async fn execute(
    loaded: &LoadedConfig,
    options: &BackfillOptions,
) -> Result<PassReport, CliError> {
    let window = window(options)?;
    let bar = options.log_format == LogFormat::Text && std::io::stderr().is_terminal();
    let end = window.until.unwrap_or_else(chrono::Utc::now);
    let progress = Arc::new(Progress::new(window.from, end, bar));
    let pipeline = pipeline::open(
        loaded,
        Some(&options.source),
        options.dry_run,
        vec![progress.clone()],
    )?;
    let jobs: Vec<_> = pipeline
        .jobs
        .into_iter()
        .map(|job| job.backfill(window))
        .collect();
    tracing::info!(
        source = %options.source,
        pass = %window.cursor_key(&options.source),
        "backfill started"
    );
    signals::stop_on_signals(pipeline.engine.stop_handle());
    let report = pipeline.engine.run_pass(&jobs).await;
    progress.finish();
    Ok(report)
}
