//! What every command that runs passes sets up once: the state file, the
//! sink, the sources and the engine over them.

use crate::config::LoadedConfig;
use crate::dry_run::{PrintLeads, ReportRejections};
use crate::error::CliError;
use crate::registry;
use liner_sync_core::auth::TokenVault;
use liner_sync_core::engine::{AllEvents, Engine, EngineOptions, PassEvents, SourceJob};
use liner_sync_core::mapping::Mapper;
use liner_sync_core::state::{OnDemandVault, StateStore};
use liner_sync_core::{LeadSink, SourceContext, StartFrom};
use liner_sync_liner::LinerClient;
use std::sync::Arc;

/// The state, the engine and the jobs of one command.
pub struct Pipeline {
    /// The state file (read-only in a dry run).
    pub store: Arc<StateStore>,
    /// The engine writing to it.
    pub engine: Engine,
    /// The selected sources.
    pub jobs: Vec<SourceJob>,
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

/// Opens the state (locked, or read-only for a dry run), builds the sink and
/// the sources (`only` one, or every enabled one) and an engine that reports
/// to `events`.
pub fn open(
    loaded: &LoadedConfig,
    only: Option<&str>,
    dry_run: bool,
    events: Vec<Arc<dyn PassEvents>>,
) -> Result<Pipeline, CliError> {
    let liner = &loaded.config.liner;
    let options = EngineOptions {
        max_in_flight: liner.max_in_flight,
        dry_run,
        give_up_after: liner.give_up_after,
        ..EngineOptions::default()
    };
    let state_path = loaded.state_path();
    // A dry run reads the state (to skip handled deals) but writes to it only
    // to save OAuth tokens it rotated, which would otherwise be lost.
    let (store, vault, sink): (Arc<StateStore>, Arc<dyn TokenVault>, Arc<dyn LeadSink>) = if dry_run
    {
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
    let jobs = jobs(loaded, only, &SourceContext { vault })?;
    let mut events = events;
    if dry_run {
        events.push(Arc::new(ReportRejections));
    }
    let engine = Engine::new(store.clone(), sink, options).with_events(Arc::new(AllEvents(events)));
    Ok(Pipeline {
        store,
        engine,
        jobs,
    })
}
