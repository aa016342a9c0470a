//! `liner-sync run`: one pass over the configured sources.

use crate::config::LoadedConfig;
use crate::dry_run::{PrintLeads, ReportRejections};
use crate::error::CliError;
use crate::{registry, signals};
use liner_sync_core::auth::TokenVault;
use liner_sync_core::engine::{Engine, EngineOptions, PassReport, SourceJob};
use liner_sync_core::mapping::Mapper;
use liner_sync_core::state::{OnDemandVault, StateStore};
use liner_sync_core::{LeadSink, SourceContext, StartFrom};
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
pub fn jobs(
    loaded: &LoadedConfig,
    only: Option<&str>,
    context: &SourceContext,
) -> Result<Vec<SourceJob>, CliError> {
    let entries = loaded.selected_sources(only).map_err(CliError::config)?;
    entries
        .into_iter()
        .map(|entry| {
            let source = registry::build_source(loaded, entry, context)?;
            let rules = loaded.config.defaults.overlay(&entry.lead);
            let mapper = Mapper::new(source.kind(), rules, entry.routes.clone())
                .map_err(|why| CliError::config(format!("source '{}': {why}", entry.name)))?;
            let start = entry.start_from.map_or(StartFrom::Now, StartFrom::Date);
            Ok(SourceJob::new(source, mapper, start))
        })
        .collect()
}

/// Runs one pass and returns its report.
pub async fn execute(loaded: &LoadedConfig, options: &RunOptions) -> Result<PassReport, CliError> {
    let liner = &loaded.config.liner;
    let engine_options = EngineOptions {
        max_in_flight: liner.max_in_flight,
        dry_run: options.dry_run,
        give_up_after: liner.give_up_after,
        ..EngineOptions::default()
    };
    let state_path = loaded.state_path();
    // A dry run reads the state (to skip handled deals) but writes to it only
    // to save OAuth tokens it rotated, which would otherwise be lost.
    let (store, vault, sink): (Arc<StateStore>, Arc<dyn TokenVault>, Arc<dyn LeadSink>) =
        if options.dry_run {
            let store = match StateStore::open_read_only(&state_path)? {
                Some(store) => store,
                None => StateStore::in_memory()?,
            };
            (
                Arc::new(store),
                Arc::new(OnDemandVault::new(&state_path)),
                Arc::new(PrintLeads),
            )
        } else {
            let sink = Arc::new(LinerClient::new(liner)?);
            let store = Arc::new(StateStore::open(&state_path)?);
            (store.clone(), store, sink)
        };
    let jobs = jobs(loaded, options.source.as_deref(), &SourceContext { vault })?;
    let mut engine = Engine::new(store, sink, engine_options);
    if options.dry_run {
        engine = engine.with_events(Arc::new(ReportRejections));
    }
    signals::stop_on_signals(engine.stop_handle());
    Ok(engine.run_pass(&jobs).await)
}
