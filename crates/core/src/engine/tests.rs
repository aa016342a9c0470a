use super::*;
use crate::mapping::{LeadTemplate, Mapper};
use crate::state::Outcome;
use crate::{
    Capabilities, Contact, Continuation, CrmKind, CrmSource, Cursor, Deal, Error, FetchRequest,
    Lead, Page, Receipt, Result, StartFrom,
};
use async_trait::async_trait;
use chrono::TimeZone;
use serde_json::json;
use std::sync::Mutex;

/// A source over a fixed list of deals with ids 1..=n, 3 per page, cursor = last id.
struct ListSource {
    deals: Vec<Deal>,
    fail_fetch: Mutex<Option<Error>>,
}

impl ListSource {
    fn new(n: u64) -> Self {
        let deals = (1..=n)
            .map(|i| {
                let mut d = Deal::new(i.to_string(), minute(i));
                let phone = if i % 5 == 0 {
                    "нет".to_owned()
                } else {
                    format!("8 900 000 {:02} {:02}", i / 100 % 100, i % 100)
                };
                d.contacts.push(Contact {
                    name: Some(format!("Клиент {i}")),
                    phones: vec![phone],
                    ..Contact::default()
                });
                d
            })
            .collect();
        Self {
            deals,
            fail_fetch: Mutex::new(None),
        }
    }
}

#[async_trait]
impl CrmSource for ListSource {
    fn name(&self) -> &str {
        "list"
    }
    fn kind(&self) -> CrmKind {
        CrmKind::Bitrix24
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            page_size: 3,
            keyset_paging: true,
            fetch_by_id: false,
        }
    }
    async fn check(&self) -> Result<()> {
        Ok(())
    }
    async fn initial_cursor(&self, start: StartFrom) -> Result<Cursor> {
        let last = match start {
            StartFrom::Now => self.deals.len() as u64,
            StartFrom::Date(_) => 0,
        };
        Ok(Cursor(json!(last)))
    }
    async fn fetch(&self, request: FetchRequest<'_>) -> Result<Page> {
        if let Some(e) = self.fail_fetch.lock().unwrap().take() {
            return Err(e);
        }
        let after = match request.continuation {
            Some(Continuation(v)) => v.as_u64().unwrap(),
            None => request.cursor.0.as_u64().unwrap(),
        };
        let deals: Vec<Deal> = self
            .deals
            .iter()
            .filter(|d| d.id.parse::<u64>().unwrap() > after)
            .take(3)
            .cloned()
            .collect();
        let last = deals.last().map_or(after, |d| d.id.parse().unwrap());
        Ok(Page {
            next: (deals.len() == 3).then(|| Continuation(json!(last))),
            cursor: Cursor(json!(last)),
            deals,
            skipped_seen: 0,
        })
    }
    async fn deal(&self, _id: &str) -> Result<Option<Deal>> {
        Ok(None)
    }
}

/// A sink that records leads and can be told to fail.
#[derive(Default)]
struct RecordingSink {
    leads: Mutex<Vec<Lead>>,
    fail_with: Mutex<Option<fn() -> Error>>,
}

#[async_trait]
impl LeadSink for RecordingSink {
    async fn submit(&self, lead: &Lead) -> Result<Receipt> {
        if let Some(make) = *self.fail_with.lock().unwrap() {
            return Err(make());
        }
        self.leads.lock().unwrap().push(lead.clone());
        Ok(Receipt { lead_id: None })
    }
}

fn job(source: Arc<ListSource>, start: StartFrom) -> SourceJob {
    let rules = LeadTemplate {
        order_id: Some(101),
        ..LeadTemplate::default()
    };
    SourceJob::new(
        source,
        Mapper::new(CrmKind::Bitrix24, rules, vec![]).unwrap(),
        start,
    )
}

/// Deal `i` of a [`ListSource`] was created at 09:00 + `i` minutes.
fn minute(i: u64) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
        + chrono::Duration::minutes(i64::try_from(i).unwrap())
}

fn since() -> StartFrom {
    StartFrom::Date(chrono::Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap())
}

fn engine(store: &Arc<StateStore>, sink: &Arc<RecordingSink>, options: EngineOptions) -> Engine {
    Engine::new(store.clone(), sink.clone(), options)
}

fn sent_ids(sink: &RecordingSink) -> Vec<String> {
    let mut ids: Vec<String> = sink
        .leads
        .lock()
        .unwrap()
        .iter()
        .map(|l| l.external_id_bitrix24.clone().unwrap())
        .collect();
    ids.sort_by_key(|id| id.parse::<u64>().unwrap());
    ids
}

#[tokio::test]
async fn delivers_every_valid_deal_once_and_a_rerun_sends_nothing() {
    let store = Arc::new(StateStore::in_memory().unwrap());
    let sink = Arc::new(RecordingSink::default());
    let source = Arc::new(ListSource::new(10));
    let jobs = [job(source, since())];
    let report = engine(&store, &sink, EngineOptions::default())
        .run_pass(&jobs)
        .await;
    let r = &report.sources[0];
    assert_eq!((r.fetched, r.sent, r.rejected, r.failed), (10, 8, 2, 0));
    assert_eq!(sent_ids(&sink), ["1", "2", "3", "4", "6", "7", "8", "9"]);
    assert_eq!(store.cursor("list").unwrap(), Some(Cursor(json!(10))));
    assert_eq!(store.outcome("list", "5").unwrap(), Some(Outcome::Rejected));

    let again = engine(&store, &sink, EngineOptions::default())
        .run_pass(&jobs)
        .await;
    assert_eq!(again.sources[0].sent, 0);
    assert_eq!(sink.leads.lock().unwrap().len(), 8);
}

#[tokio::test]
async fn first_run_without_start_from_records_now_and_sends_nothing() {
    let store = Arc::new(StateStore::in_memory().unwrap());
    let sink = Arc::new(RecordingSink::default());
    let jobs = [job(Arc::new(ListSource::new(4)), StartFrom::Now)];
    let report = engine(&store, &sink, EngineOptions::default())
        .run_pass(&jobs)
        .await;
    assert!(report.sources[0].started_from_now);
    assert!(sink.leads.lock().unwrap().is_empty());
    assert_eq!(store.cursor("list").unwrap(), Some(Cursor(json!(4))));
}

#[tokio::test]
async fn auth_failure_stops_the_pass_and_marks_nothing() {
    let store = Arc::new(StateStore::in_memory().unwrap());
    let sink = Arc::new(RecordingSink::default());
    *sink.fail_with.lock().unwrap() = Some(|| Error::auth("liner: the API key was refused"));
    let jobs = [job(Arc::new(ListSource::new(10)), since())];
    let report = engine(&store, &sink, EngineOptions::default())
        .run_pass(&jobs)
        .await;
    assert!(
        matches!(report.stop, Some(StopReason::Auth(_))),
        "{:?}",
        report.stop
    );
    assert_eq!(store.cursor("list").unwrap(), None);
    for id in ["1", "2", "3", "4", "6"] {
        assert_eq!(store.outcome("list", id).unwrap(), None, "deal {id}");
    }

    *sink.fail_with.lock().unwrap() = None;
    let report = engine(&store, &sink, EngineOptions::default())
        .run_pass(&jobs)
        .await;
    assert_eq!(report.sources[0].sent, 8);
    assert_eq!(sent_ids(&sink).len(), 8);
}

#[tokio::test]
async fn temporary_failures_hold_the_cursor_and_the_next_pass_delivers() {
    let store = Arc::new(StateStore::in_memory().unwrap());
    let sink = Arc::new(RecordingSink::default());
    *sink.fail_with.lock().unwrap() = Some(|| Error::temporary("liner: HTTP 503"));
    let jobs = [job(Arc::new(ListSource::new(10)), since())];
    let options = EngineOptions {
        sink_failure_limit: 3,
        max_in_flight: 1,
        ..EngineOptions::default()
    };
    let report = engine(&store, &sink, options).run_pass(&jobs).await;
    assert!(
        matches!(report.stop, Some(StopReason::SinkUnavailable(_))),
        "{:?}",
        report.stop
    );
    assert!(report.incomplete());
    assert_eq!(
        store.cursor("list").unwrap(),
        None,
        "nothing final, nothing committed"
    );
    assert_eq!(store.outcome("list", "1").unwrap(), Some(Outcome::Pending));

    *sink.fail_with.lock().unwrap() = None;
    let report = engine(&store, &sink, options).run_pass(&jobs).await;
    assert!(report.stop.is_none());
    assert_eq!(sent_ids(&sink), ["1", "2", "3", "4", "6", "7", "8", "9"]);
    assert!(report.sources[0].resent >= 1);
    assert_eq!(store.cursor("list").unwrap(), Some(Cursor(json!(10))));
}

#[tokio::test]
async fn rejections_from_the_sink_are_final() {
    let store = Arc::new(StateStore::in_memory().unwrap());
    let sink = Arc::new(RecordingSink::default());
    *sink.fail_with.lock().unwrap() = Some(|| Error::rejected("liner: orderId: no such order"));
    let jobs = [job(Arc::new(ListSource::new(3)), since())];
    let report = engine(&store, &sink, EngineOptions::default())
        .run_pass(&jobs)
        .await;
    assert_eq!(report.sources[0].rejected, 3);
    assert_eq!(
        report.sources[0]
            .rejections
            .get("liner: orderId: no such order"),
        Some(&3)
    );
    let record = store.deal("list", "2").unwrap().unwrap();
    assert_eq!(
        record.last_error.as_deref(),
        Some("liner: orderId: no such order")
    );
    assert_eq!(store.cursor("list").unwrap(), Some(Cursor(json!(3))));
}

#[tokio::test]
async fn dry_run_writes_nothing() {
    let store = Arc::new(StateStore::in_memory().unwrap());
    let sink = Arc::new(RecordingSink::default());
    let jobs = [job(Arc::new(ListSource::new(6)), since())];
    let options = EngineOptions {
        dry_run: true,
        ..EngineOptions::default()
    };
    let report = engine(&store, &sink, options).run_pass(&jobs).await;
    assert_eq!(report.sources[0].sent, 5);
    assert_eq!(report.sources[0].rejected, 1);
    assert_eq!(store.cursor("list").unwrap(), None);
    assert_eq!(
        store.counts("list").unwrap(),
        crate::state::OutcomeCounts::default()
    );
    assert!(store.passes("list", 10).unwrap().is_empty());
}

#[tokio::test]
async fn a_fetch_error_keeps_what_was_finished() {
    let store = Arc::new(StateStore::in_memory().unwrap());
    let sink = Arc::new(RecordingSink::default());
    let source = Arc::new(ListSource::new(3));
    *source.fail_fetch.lock().unwrap() = Some(Error::temporary("bitrix24: HTTP 503"));
    let jobs = [job(source.clone(), since())];
    let report = engine(&store, &sink, EngineOptions::default())
        .run_pass(&jobs)
        .await;
    let (kind, message) = report.sources[0].error.clone().unwrap();
    assert_eq!(
        (kind, message.as_str()),
        (crate::ErrorKind::Temporary, "bitrix24: HTTP 503")
    );
    assert!(
        report.stop.is_none(),
        "a source error does not stop other sources"
    );
    let report = engine(&store, &sink, EngineOptions::default())
        .run_pass(&jobs)
        .await;
    assert_eq!(report.sources[0].sent, 3);
    assert_eq!(store.passes("list", 10).unwrap().len(), 2);
}

/// A source whose every page points back at itself.
struct StuckSource;

#[async_trait]
impl CrmSource for StuckSource {
    fn name(&self) -> &str {
        "stuck"
    }
    fn kind(&self) -> CrmKind {
        CrmKind::Bitrix24
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            page_size: 1,
            keyset_paging: true,
            fetch_by_id: false,
        }
    }
    async fn check(&self) -> Result<()> {
        Ok(())
    }
    async fn initial_cursor(&self, _start: StartFrom) -> Result<Cursor> {
        Ok(Cursor(json!(0)))
    }
    async fn fetch(&self, _request: FetchRequest<'_>) -> Result<Page> {
        Ok(Page {
            deals: vec![],
            skipped_seen: 0,
            cursor: Cursor(json!(0)),
            next: Some(Continuation(json!(0))),
        })
    }
    async fn deal(&self, _id: &str) -> Result<Option<Deal>> {
        Ok(None)
    }
}

#[tokio::test]
async fn a_source_that_does_not_advance_is_stopped_not_looped() {
    let store = Arc::new(StateStore::in_memory().unwrap());
    let sink = Arc::new(RecordingSink::default());
    let rules = LeadTemplate {
        order_id: Some(101),
        ..LeadTemplate::default()
    };
    let jobs = [SourceJob::new(
        Arc::new(StuckSource),
        Mapper::new(CrmKind::Bitrix24, rules, vec![]).unwrap(),
        since(),
    )];
    let report = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        engine(&store, &sink, EngineOptions::default()).run_pass(&jobs),
    )
    .await
    .expect("the pass looped");
    let (kind, message) = report.sources[0].error.clone().unwrap();
    assert_eq!(kind, crate::ErrorKind::InvalidData);
    assert!(message.contains("same page position twice"), "{message}");
}

#[tokio::test]
async fn a_backfill_reads_its_window_under_its_own_cursor_and_skips_sent_deals() {
    let store = Arc::new(StateStore::in_memory().unwrap());
    let sink = Arc::new(RecordingSink::default());
    store.mark_pending("list", "2", minute(2)).unwrap();
    store.mark_sent("list", "2", None).unwrap();
    store.save_cursor("list", &Cursor(json!(2))).unwrap();
    // The source ignores `until`; the engine still keeps to the window.
    let window = Window {
        from: minute(1),
        until: Some(minute(7)),
    };
    let jobs = [job(Arc::new(ListSource::new(10)), StartFrom::Now).backfill(window)];
    let report = engine(&store, &sink, EngineOptions::default())
        .run_pass(&jobs)
        .await;
    let r = &report.sources[0];
    assert_eq!(sent_ids(&sink), ["1", "3", "4", "6"]);
    assert_eq!((r.fetched, r.skipped, r.rejected), (6, 1, 1));
    assert_eq!(
        store.cursor("list").unwrap(),
        Some(Cursor(json!(2))),
        "the live cursor stays"
    );
    let key = window.cursor_key("list");
    assert_eq!(store.cursor(&key).unwrap(), Some(Cursor(json!(10))));
    assert_eq!(store.passes(&key, 10).unwrap().len(), 1);
    assert!(store.passes("list", 10).unwrap().is_empty());

    let again = engine(&store, &sink, EngineOptions::default())
        .run_pass(&jobs)
        .await;
    assert_eq!(again.sources[0].sent, 0, "it resumes from its own cursor");
    assert_eq!(sink.leads.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn redrive_sends_a_deal_fixed_since_it_was_rejected() {
    let store = Arc::new(StateStore::in_memory().unwrap());
    let sink = Arc::new(RecordingSink::default());
    let jobs = [job(Arc::new(ListSource::new(5)), since())];
    engine(&store, &sink, EngineOptions::default())
        .run_pass(&jobs)
        .await;
    assert_eq!(store.outcome("list", "5").unwrap(), Some(Outcome::Rejected));

    let mut fixed = Deal::new("5", minute(5));
    fixed.contacts.push(Contact {
        phones: vec!["+7 900 000-00-05".into()],
        ..Contact::default()
    });
    let still_bad = Deal::new("4", minute(4));
    let report = engine(&store, &sink, EngineOptions::default())
        .redrive(&jobs[0], vec![fixed, still_bad])
        .await;
    let r = &report.sources[0];
    assert_eq!((r.sent, r.rejected), (1, 1));
    let record = store.deal("list", "5").unwrap().unwrap();
    assert_eq!((record.outcome, record.attempts), (Outcome::Sent, 1));
    assert_eq!(store.outcome("list", "4").unwrap(), Some(Outcome::Rejected));
    assert_eq!(sent_ids(&sink), ["1", "2", "3", "4", "5"]);
}

/// A sink whose rate limit admits one lead per minute after the first.
struct SlowSink {
    limiter: crate::http::Limiter,
    sent: std::sync::atomic::AtomicUsize,
}

#[async_trait]
impl LeadSink for SlowSink {
    async fn submit(&self, _lead: &Lead) -> Result<Receipt> {
        self.sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(Receipt::default())
    }

    fn admission(&self) -> Option<&crate::http::Limiter> {
        Some(&self.limiter)
    }
}

#[tokio::test]
async fn a_stop_cancels_submissions_still_waiting_for_their_turn() {
    let store = Arc::new(StateStore::in_memory().unwrap());
    let rate = crate::config::Rate::Limited {
        count: std::num::NonZeroU32::MIN,
        per: std::time::Duration::from_secs(60),
    };
    let sink = Arc::new(SlowSink {
        limiter: crate::http::Limiter::new(rate, Some(1)),
        sent: Default::default(),
    });
    let engine = Engine::new(store.clone(), sink.clone(), EngineOptions::default());
    let stop = engine.stop_handle();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        stop.stop(StopReason::Interrupted);
    });
    let jobs = [job(Arc::new(ListSource::new(6)), since())];
    let report = tokio::time::timeout(std::time::Duration::from_secs(10), engine.run_pass(&jobs))
        .await
        .expect("queued submissions held the stop back");
    assert_eq!(report.stop, Some(StopReason::Interrupted));
    assert_eq!(sink.sent.load(std::sync::atomic::Ordering::SeqCst), 1);
    let counts = store.counts("list").unwrap();
    assert_eq!(
        (counts.sent, counts.pending),
        (1, 0),
        "nothing waiting was recorded"
    );
}
