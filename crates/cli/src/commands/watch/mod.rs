//! `liner-sync watch`: a long-running service. Each source runs its passes on
//! its own timer (one at a time per source), a failing source backs off
//! without holding up the others, and SIGTERM or Ctrl-C lets the passes in
//! flight finish and save before the process exits 0.

mod schedule;

use super::pipeline;
use crate::config::LoadedConfig;
use crate::error::{CliError, exit};
use crate::{metrics_server, signals};
use liner_sync_core::engine::{Engine, SourceJob, Stop, StopReason};
use liner_sync_core::telemetry::MetricEvents;
use schedule::Schedule;
use std::net::SocketAddr;
use std::sync::Arc;

/// Runs until stopped; returns the exit code.
pub async fn execute(
    loaded: &LoadedConfig,
    metrics_addr: Option<SocketAddr>,
) -> Result<u8, CliError> {
    let events = Arc::new(MetricEvents::default());
    let pipeline = pipeline::open(loaded, None, false, vec![events.clone()])?;
    if pipeline.jobs.is_empty() {
        return Err(CliError::config("no enabled source to watch"));
    }
    if let Some(addr) = metrics_addr {
        metrics_server::start(addr, events).await?;
    }
    let schedules: Vec<Schedule> = loaded
        .selected_sources(None)
        .map_err(CliError::config)?
        .into_iter()
        .map(Schedule::of)
        .collect();
    let stop = pipeline.engine.stop_handle();
    signals::stop_on_signals(stop.clone());
    let engine = Arc::new(pipeline.engine);
    let watchers = pipeline
        .jobs
        .into_iter()
        .zip(schedules)
        .map(|(job, schedule)| {
            tokio::spawn(watch_source(engine.clone(), job, schedule, stop.clone()))
        });
    let mut code = exit::OK;
    for watcher in futures::future::join_all(watchers).await {
        match watcher {
            Ok(Some(fatal)) => {
                tracing::error!("watch stopped: {fatal}");
                eprintln!("liner-sync: {fatal}");
                code = exit::STATE;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!("a source's watcher failed: {e}");
                code = exit::INTERNAL;
            }
        }
    }
    tracing::info!("watch stopped");
    Ok(code)
}

/// One source's loop. Ends when `stop` is set; returns the reason when the
/// state file failed (which stops every source).
async fn watch_source(
    engine: Arc<Engine>,
    job: SourceJob,
    schedule: Schedule,
    stop: Stop,
) -> Option<StopReason> {
    let name = job.source.name().to_owned();
    let mut wait = schedule.first(chrono::Utc::now());
    let mut failures = 0u32;
    loop {
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = stop.stopped() => return None,
        }
        let report = engine.run_pass(std::slice::from_ref(&job)).await;
        if let Some(reason @ StopReason::State(_)) = report.stop {
            stop.stop(reason.clone());
            return Some(reason);
        }
        if stop.is_stopped() {
            return None;
        }
        let problem = report
            .stop
            .as_ref()
            .map(ToString::to_string)
            .or_else(|| {
                report
                    .sources
                    .iter()
                    .find_map(|s| s.error.as_ref().map(|(_, m)| m.clone()))
            })
            .or_else(|| {
                report
                    .sources
                    .iter()
                    .any(|s| s.failed > 0)
                    .then(|| "some submissions failed".to_owned())
            });
        failures = if problem.is_some() {
            failures.saturating_add(1)
        } else {
            0
        };
        wait = schedule.next(chrono::Utc::now(), failures);
        if let Some(problem) = problem {
            tracing::warn!(
                source = %name,
                failures,
                retry_in_secs = wait.as_secs_f64(),
                "pass incomplete, backing off: {problem}"
            );
        }
    }
}
