//! The sync engine: one pass over every source, concurrently.
//!
//! Per source, a reader task fetches pages (one page ahead) while the pass
//! maps deals and hands leads to submission tasks; a semaphore shared by all
//! sources bounds the submissions in flight. The cursor is committed only over
//! a prefix of pages whose every deal reached a final outcome.

mod events;
mod job;
mod redrive;
mod report;
mod source_pass;
mod stop;
mod submit;
mod tracker;

pub use events::{AllEvents, NoEvents, PassEvents};
pub use job::{SourceJob, Window, backfill_key_parts};
pub use report::{PassReport, SourceReport, reason_category};
pub use stop::{Stop, StopReason};

use crate::LeadSink;
use crate::state::{PassRecord, StateStore};
use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use submit::Submitter;
use tokio::sync::Semaphore;

/// How a pass behaves.
#[derive(Debug, Clone, Copy)]
pub struct EngineOptions {
    /// Submissions in flight at once, across all sources.
    pub max_in_flight: usize,
    /// Read and map, but record nothing and move no cursor (the sink decides
    /// what "submit" means: the CLI's dry-run sink only prints).
    pub dry_run: bool,
    /// Passes with a failed submission before a deal is given up as `failed`.
    pub give_up_after: u32,
    /// Consecutive failed submissions after which the sink is taken to be down
    /// and the pass stops.
    pub sink_failure_limit: u32,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            max_in_flight: 16,
            dry_run: false,
            give_up_after: 10,
            sink_failure_limit: 5,
        }
    }
}

/// Runs passes over sources into a sink, recording everything in the state.
pub struct Engine {
    store: Arc<StateStore>,
    sink: Arc<dyn LeadSink>,
    events: Arc<dyn PassEvents>,
    options: EngineOptions,
    stop: Stop,
    /// Submissions in flight, shared by every pass of this engine, so
    /// concurrent passes (`watch`) stay within `max_in_flight` together.
    permits: Arc<Semaphore>,
}

impl Engine {
    /// An engine writing to `store` and submitting to `sink`.
    pub fn new(store: Arc<StateStore>, sink: Arc<dyn LeadSink>, options: EngineOptions) -> Self {
        Self {
            store,
            sink,
            events: Arc::new(NoEvents),
            permits: Arc::new(Semaphore::new(options.max_in_flight.max(1))),
            options,
            stop: Stop::new(),
        }
    }

    /// Sends pass events to `events`.
    pub fn with_events(mut self, events: Arc<dyn PassEvents>) -> Self {
        self.events = events;
        self
    }

    /// The flag that stops every pass of this engine (for signal handlers).
    /// Each pass runs under a child of it, so a pass that ends on Liner
    /// being down does not stop the next one.
    pub fn stop_handle(&self) -> Stop {
        self.stop.clone()
    }

    fn submitter(&self, stop: &Stop) -> Arc<Submitter> {
        Arc::new(Submitter {
            store: self.store.clone(),
            sink: self.sink.clone(),
            events: self.events.clone(),
            stop: stop.clone(),
            dry_run: self.options.dry_run,
            give_up_after: self.options.give_up_after.max(1),
            failure_limit: self.options.sink_failure_limit.max(1),
            consecutive_failures: AtomicU32::new(0),
        })
    }

    /// One pass over every job, concurrently. Never panics on remote input;
    /// every problem ends up in the report.
    pub async fn run_pass(&self, jobs: &[SourceJob]) -> PassReport {
        let stop = self.stop.child();
        let submitter = self.submitter(&stop);
        let started_at = crate::state::now();
        let passes = jobs.iter().map(|job| {
            source_pass::SourcePass {
                job,
                key: job.cursor_key(),
                store: &self.store,
                submitter: submitter.clone(),
                permits: self.permits.clone(),
                events: self.events.as_ref(),
                stop: &stop,
                dry_run: self.options.dry_run,
            }
            .run()
        });
        let sources = futures::future::join_all(passes).await;
        let reason = stop.reason();
        for (job, report) in jobs.iter().zip(&sources) {
            let key = job.cursor_key();
            report.log_finished(&key);
            if !self.options.dry_run {
                self.record(&key, report, &started_at, reason.as_ref());
            }
            let complete = reason.is_none() && report.error.is_none() && report.failed == 0;
            self.events.pass_finished(&key, report, complete);
        }
        PassReport {
            sources,
            stop: reason,
        }
    }

    fn record(
        &self,
        key: &str,
        report: &SourceReport,
        started_at: &str,
        stop: Option<&StopReason>,
    ) {
        let record = PassRecord {
            started_at: started_at.to_owned(),
            finished_at: crate::state::now(),
            fetched: report.fetched,
            sent: report.sent,
            rejected: report.rejected,
            failed: report.failed,
            skipped: report.skipped,
            error: report
                .error
                .as_ref()
                .map(|(_, m)| m.clone())
                .or_else(|| stop.map(ToString::to_string)),
        };
        if let Err(e) = self.store.record_pass(key, &record) {
            tracing::warn!(source = %report.name, "could not record the pass: {e}");
        }
    }
}

#[cfg(test)]
mod tests;
