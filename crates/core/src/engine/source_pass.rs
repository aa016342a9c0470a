//! One pass over one source: read pages, skip handled deals, map, submit, and
//! commit the cursor over the finished prefix.

use super::submit::{Ready, Submitted, Submitter};
use super::tracker::PageTracker;
use super::{PassEvents, SourceJob, SourceReport, Stop, StopReason};
use crate::mapping::Mapped;
use crate::state::{Outcome, StateStore};
use crate::{Continuation, Cursor, Deal, Error, FetchRequest, Page, Result, StartFrom};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

pub(crate) struct SourcePass<'a> {
    pub job: &'a SourceJob,
    /// Where the pass keeps its cursor ([`SourceJob::cursor_key`]).
    pub key: String,
    pub store: &'a Arc<StateStore>,
    pub submitter: Arc<Submitter>,
    pub permits: Arc<Semaphore>,
    pub events: &'a dyn PassEvents,
    pub stop: &'a Stop,
    pub dry_run: bool,
}

/// The submissions of one source that are in flight.
struct InFlight {
    tasks: JoinSet<(u64, String, Submitted)>,
    ids: HashSet<String>,
}

impl SourcePass<'_> {
    pub async fn run(self) -> SourceReport {
        let source = &self.job.source;
        let name = source.name();
        let mut report = SourceReport::new(name, source.kind());
        let cursor = match self.starting_cursor(&mut report).await {
            Ok(Some(cursor)) => cursor,
            Ok(None) => return report,
            Err(e) => {
                self.fail(&mut report, &self.store.explain(e));
                return report;
            }
        };
        report.cursor_before = Some(cursor.clone());
        let (pages_tx, pages_rx) = mpsc::channel(1);
        let reader = self.read_pages(&cursor, pages_tx);
        let worker = self.handle_pages(pages_rx, &mut report);
        let (read_result, ()) = tokio::join!(reader, worker);
        if let Err(e) = read_result {
            self.fail(&mut report, &e);
        }
        report
    }

    /// The stored cursor, or the source's starting one. `None` when this first
    /// pass only records the current position (no `start_from`).
    async fn starting_cursor(&self, report: &mut SourceReport) -> Result<Option<Cursor>> {
        let name = self.key.as_str();
        if let Some(cursor) = self.store.cursor(name)? {
            return Ok(Some(cursor));
        }
        let cursor = self.job.source.initial_cursor(self.job.start).await?;
        if self.job.start != StartFrom::Now {
            return Ok(Some(cursor));
        }
        report.started_from_now = true;
        if !self.dry_run {
            self.store.save_cursor(name, &cursor)?;
        }
        report.cursor_after = Some(cursor);
        Ok(None)
    }

    /// Fetches pages until the source has no more, sending each to the worker.
    async fn read_pages(&self, cursor: &Cursor, pages: mpsc::Sender<Page>) -> Result<()> {
        let seen = self.store.seen(self.job.source.name());
        let mut continuation: Option<Continuation> = None;
        loop {
            if self.stop.is_stopped() {
                return Ok(());
            }
            let request = FetchRequest {
                cursor,
                continuation: continuation.as_ref(),
                seen: &seen,
                until: self.job.until(),
            };
            let page = tokio::select! {
                page = self.job.source.fetch(request) => page?,
                () = self.stop.stopped() => return Ok(()),
            };
            self.events
                .page_read(self.job.source.name(), page.deals.len() + page.skipped_seen);
            if page.next.is_some() && page.next == continuation {
                return Err(Error::invalid_data(
                    "the CRM returned the same page position twice; stopping this source to avoid a loop",
                )
                .with_target("engine"));
            }
            continuation = page.next.clone();
            if pages.send(page).await.is_err() || continuation.is_none() {
                return Ok(());
            }
        }
    }

    /// Maps and submits the deals of every page, committing the cursor as
    /// prefixes of pages finish.
    async fn handle_pages(&self, mut pages: mpsc::Receiver<Page>, report: &mut SourceReport) {
        let mut tracker = PageTracker::default();
        let mut in_flight = InFlight {
            tasks: JoinSet::new(),
            ids: HashSet::new(),
        };
        let mut reading = true;
        loop {
            tokio::select! {
                biased;
                Some(done) = in_flight.tasks.join_next(), if !in_flight.tasks.is_empty() => {
                    Self::finish(done, &mut tracker, &mut in_flight, report);
                }
                page = pages.recv(), if reading => match page {
                    Some(page) => self.dispatch(page, &mut tracker, &mut in_flight, report).await,
                    None => reading = false,
                },
                else => break,
            }
            self.commit(&mut tracker, report);
        }
    }

    async fn dispatch(
        &self,
        page: Page,
        tracker: &mut PageTracker,
        in_flight: &mut InFlight,
        report: &mut SourceReport,
    ) {
        let name = self.job.source.name();
        let index = tracker.open_page(page.cursor.clone());
        let until = self.job.until();
        let (deals, outside): (Vec<Deal>, Vec<Deal>) = page
            .deals
            .into_iter()
            .partition(|d| until.is_none_or(|until| d.created_at < until));
        if !outside.is_empty() {
            tracing::debug!(
                source = name,
                count = outside.len(),
                "deals created after the window's end left out"
            );
        }
        report.fetched += (deals.len() + page.skipped_seen) as u64;
        report.skipped += page.skipped_seen as u64;
        if page.skipped_seen > 0 {
            self.events.deals_skipped(name, page.skipped_seen);
        }
        for deal in deals {
            if self.stop.is_stopped() {
                tracker.block(index);
                break;
            }
            self.events.deal_read(name, deal.created_at);
            match self.needs_work(&deal, in_flight, report) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    self.state_failed(e);
                    tracker.block(index);
                    break;
                }
            }
            match self.job.mapper.map(&deal) {
                Mapped::Rejected(reason) => {
                    if let Err(e) = self.submitter.reject(name, &deal, &reason) {
                        self.state_failed(e);
                        tracker.block(index);
                        break;
                    }
                    report.count_rejection(&reason);
                }
                Mapped::Lead(lead) => {
                    let Ok(permit) = self.permits.clone().acquire_owned().await else {
                        tracker.block(index);
                        break;
                    };
                    tracker.add_deal(index);
                    in_flight.ids.insert(deal.id.clone());
                    let submitter = self.submitter.clone();
                    let ready = Ready {
                        source: Arc::from(name),
                        deal_id: deal.id,
                        created_at: deal.created_at,
                        lead: *lead,
                    };
                    in_flight.tasks.spawn(async move {
                        let id = ready.deal_id.clone();
                        let submitted = submitter.submit(ready).await;
                        drop(permit);
                        (index, id, submitted)
                    });
                }
            }
        }
        tracker.seal(index);
    }

    /// False when the deal is already handled or being submitted right now.
    fn needs_work(
        &self,
        deal: &Deal,
        in_flight: &InFlight,
        report: &mut SourceReport,
    ) -> Result<bool> {
        let name = self.job.source.name();
        let skip = |report: &mut SourceReport| {
            report.skipped += 1;
            self.events.deals_skipped(name, 1);
            Ok(false)
        };
        if in_flight.ids.contains(&deal.id) {
            return skip(report);
        }
        match self.store.outcome(name, &deal.id)? {
            Some(outcome) if outcome.is_final() => skip(report),
            Some(Outcome::Pending) => {
                report.resent += 1;
                Ok(true)
            }
            _ => Ok(true),
        }
    }

    fn finish(
        done: std::result::Result<(u64, String, Submitted), tokio::task::JoinError>,
        tracker: &mut PageTracker,
        in_flight: &mut InFlight,
        report: &mut SourceReport,
    ) {
        let (index, id, submitted) = match done {
            Ok(done) => done,
            Err(e) => {
                // A submission task panicked: its deal's outcome is unknown, so
                // nothing after it may be committed. `block(0)` holds the whole pass.
                report.fail(&Error::internal(format!("a submission task failed: {e}")));
                tracker.block(0);
                return;
            }
        };
        in_flight.ids.remove(&id);
        let final_outcome = submitted.tally(report);
        tracker.finish_deal(index, final_outcome);
    }

    fn commit(&self, tracker: &mut PageTracker, report: &mut SourceReport) {
        let Some(cursor) = tracker.committable() else {
            return;
        };
        if !self.dry_run
            && let Err(e) = self.store.save_cursor(&self.key, &cursor)
        {
            self.state_failed(e);
            return;
        }
        report.cursor_after = Some(cursor);
    }

    /// Stops the pass on a failure of the state file, explained.
    fn state_failed(&self, e: Error) {
        self.stop
            .stop(StopReason::State(self.store.explain(e).to_string()));
    }

    fn fail(&self, report: &mut SourceReport, error: &Error) {
        tracing::warn!(source = self.job.source.name(), "pass stopped: {error}");
        report.fail(error);
        if error.stops_run() {
            self.stop.stop(StopReason::from_fatal(error));
        }
    }
}
