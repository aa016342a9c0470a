//! `liner-sync run`: one pass over the configured sources.

use crate::config::LoadedConfig;
use crate::dry_run::{PrintLeads, ReportRejections};
use crate::error::CliError;
use crate::{registry, signals};
use liner_sync_core::engine::{Engine, EngineOptions, PassReport, SourceJob};
use liner_sync_core::mapping::Mapper;
use liner_sync_core::state::StateStore;
use liner_sync_core::{LeadSink, StartFrom};
use liner_sync_liner::LinerClient;
use std::sync::Arc;

/// What `run` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Print leads instead of sending them; write nothing.
    pub dry_run: bool,
    /// Only this source.
    pub source: Option<String>,
}

/// The sources of `loaded` with their mapping rules.
pub fn jobs(loaded: &LoadedConfig, only: Option<&str>) -> Result<Vec<SourceJob>, CliError> {
    let entries = loaded.selected_sources(only).map_err(CliError::config)?;
    entries
        .into_iter()
        .map(|entry| {
            let source = registry::build_source(loaded, entry)?;
            let rules = loaded.config.defaults.overlay(&entry.lead);
            let mapper = Mapper::new(source.kind(), rules, entry.routes.clone())
                .map_err(|why| CliError::config(format!("source '{}': {why}", entry.name)))?;
            let start = entry.start_from.map_or(StartFrom::Now, StartFrom::Date);
            Ok(SourceJob {
                source,
                mapper,
                start,
            })
        })
        .collect()
}

/// Runs one pass and returns its report.
pub async fn execute(loaded: &LoadedConfig, options: &RunOptions) -> Result<PassReport, CliError> {
    let jobs = jobs(loaded, options.source.as_deref())?;
    let liner = &loaded.config.liner;
    let engine_options = EngineOptions {
        max_in_flight: liner.max_in_flight,
        dry_run: options.dry_run,
        give_up_after: liner.give_up_after,
        ..EngineOptions::default()
    };
    let state_path = loaded.state_path();
    let (store, sink): (StateStore, Arc<dyn LeadSink>) = if options.dry_run {
        let store = match StateStore::open_read_only(&state_path)? {
            Some(store) => store,
            None => StateStore::in_memory()?,
        };
        (store, Arc::new(PrintLeads))
    } else {
        let sink = Arc::new(LinerClient::new(liner)?);
        (StateStore::open(&state_path)?, sink)
    };
    let mut engine = Engine::new(Arc::new(store), sink, engine_options);
    if options.dry_run {
        engine = engine.with_events(Arc::new(ReportRejections));
    }
    signals::stop_on_signals(engine.stop_handle());
    Ok(engine.run_pass(&jobs).await)
}
