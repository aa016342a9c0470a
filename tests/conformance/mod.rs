//! The checks every connector must pass, end to end: the real binary against
//! the connector's emulator and the Liner emulator.
//!
//! A new connector gets the whole suite with one test file:
//!
//! ```ignore
//! mod common;
//! mod conformance;
//! conformance::suite!(common::MyCrm);
//! ```
//!
//! where `common::MyCrm` implements [`common::Crm`] for its emulator.
#![allow(dead_code)]

use crate::common::{self, Crm, Tuning, World, deals, expected_ids, outcomes, text};
use std::time::Duration;

/// Expands into one `#[tokio::test]` per check for the CRM type `$crm`.
macro_rules! suite {
    ($crm:ty) => {
        $crate::conformance::suite!(@tests $crm;
            bad_credentials_fail_fast,
            paging_is_exhaustive,
            two_runs_emit_nothing_new,
            a_cursor_from_the_future_emits_nothing,
            ties_at_the_cursor_boundary_are_neither_lost_nor_repeated,
            rate_limit_replies_are_temporary,
            a_crash_between_submit_and_state_write_resends_at_most_that_deal,
            dry_run_writes_nothing,
            no_secret_reaches_the_output,
        );
    };
    (@tests $crm:ty; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                $crate::conformance::$check::<$crm>().await;
            }
        )*
    };
}
pub(crate) use suite;

/// Wrong credentials stop the run at once with exit code 3 and a message that
/// names the source, without retry storms and without marking anything.
pub async fn bad_credentials_fail_fast<C: Crm>() {
    let world = World::<C>::new(deals(101, 20, 1000)).await;
    world.crm.faults().set_auth_broken(true);
    let started = std::time::Instant::now();
    let out = world.run(&["run"]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(C::SOURCE),
        "the message names the source: {stdout}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        world.crm.requests().len() <= 3,
        "{} requests after an auth failure",
        world.crm.requests().len()
    );
    assert!(world.liner.received().is_empty());
    assert!(
        outcomes(&world.state_path()).is_empty(),
        "an auth failure marked deals"
    );
}

/// Every deal is read, across many pages, with no silent page cap: the count
/// equals what the emulator holds.
pub async fn paging_is_exhaustive<C: Crm>() {
    let count = C::PAGE_SIZE * 3 + C::PAGE_SIZE / 2;
    let data = deals(102, count, 1000);
    let valid = expected_ids(&data);
    let world = World::<C>::new(data).await;
    let (out, summary) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(summary["sources"][0]["fetched"], count);
    let deliveries = world.deliveries();
    assert_eq!(deliveries.len(), valid.len());
    for id in &valid {
        assert_eq!(deliveries.get(id), Some(&1), "deal {id}");
    }
    // At most two requests per page, phones included, and no rate-limit reply
    // provoked under the default limits.
    let pages = count.div_ceil(C::PAGE_SIZE);
    let requests = world.crm.requests();
    let shown: Vec<_> = requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.status))
        .collect();
    assert!(
        requests.len() <= 2 * pages + 2,
        "{} requests for {pages} pages: {shown:?}",
        requests.len()
    );
    let limited = requests
        .iter()
        .filter(|r| r.status == C::RATE_LIMIT_STATUS || r.status == 429)
        .count();
    assert_eq!(limited, 0, "liner-sync provoked rate-limit replies");
}

/// A second run with nothing new sends nothing.
pub async fn two_runs_emit_nothing_new<C: Crm>() {
    let data = deals(103, C::PAGE_SIZE + 7, 1000);
    let valid = expected_ids(&data).len();
    let world = World::<C>::new(data).await;
    let (first, _) = world.run_json().await;
    assert_eq!(first.status.code(), Some(0), "{:?}", text(&first));
    let (second, summary) = world.run_json().await;
    assert_eq!(second.status.code(), Some(0), "{:?}", text(&second));
    assert_eq!(summary["sources"][0]["sent"], 0);
    assert_eq!(
        summary["sources"][0]["rejected"], 0,
        "rejections are not repeated either"
    );
    assert_eq!(world.liner.received().len(), valid);
}

/// A stored cursor beyond all data: the run reads nothing new and sends nothing.
pub async fn a_cursor_from_the_future_emits_nothing<C: Crm>() {
    let world = World::<C>::new(deals(104, 10, 1000)).await;
    let (first, _) = world.run_json().await;
    assert_eq!(first.status.code(), Some(0), "{:?}", text(&first));
    let before = world.liner.received().len();
    let conn = rusqlite::Connection::open(world.state_path()).unwrap();
    conn.execute(
        "UPDATE cursors SET cursor = ?1 WHERE source = ?2",
        (world.crm.future_cursor().to_string(), C::SOURCE),
    )
    .unwrap();
    drop(conn);
    world.crm.add(deals(105, 10, 5000));
    let (out, summary) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(summary["sources"][0]["sent"], 0);
    assert_eq!(world.liner.received().len(), before);
}

/// Deals sharing one creation time, spread over a page boundary and over two
/// runs, are each delivered exactly once.
pub async fn ties_at_the_cursor_boundary_are_neither_lost_nor_repeated<C: Crm>() {
    let mut first = deals(106, C::PAGE_SIZE + 5, 1000);
    let mut second = deals(107, 12, 1000 + 10 * C::PAGE_SIZE as u64);
    // The tie is the newest instant, so the first run's cursor ends on it.
    let newest = first.deals.iter().map(|d| d.created).max().unwrap();
    let tie = newest + chrono::Duration::minutes(1);
    for deal in first
        .deals
        .iter_mut()
        .skip(C::PAGE_SIZE - 5)
        .chain(second.deals.iter_mut())
    {
        deal.created = tie;
    }
    let mut valid = expected_ids(&first);
    valid.extend(expected_ids(&second));
    let world = World::<C>::new(first).await;
    let (out, _) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    world.crm.add(std::mem::take(&mut second));
    let (out, _) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let deliveries = world.deliveries();
    assert_eq!(deliveries.len(), valid.len(), "a tied deal was lost");
    assert!(
        deliveries.values().all(|&n| n == 1),
        "a tied deal was repeated: {deliveries:?}"
    );
}

/// The CRM's "slow down" replies are waited out, not failures.
pub async fn rate_limit_replies_are_temporary<C: Crm>() {
    let data = deals(108, C::PAGE_SIZE + 3, 1000);
    let valid = expected_ids(&data);
    let world = World::<C>::new(data).await;
    world.crm.faults().fail_next(3, C::RATE_LIMIT_STATUS);
    let (out, _) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let limited = world
        .crm
        .requests()
        .iter()
        .filter(|r| r.status == C::RATE_LIMIT_STATUS)
        .count();
    assert_eq!(limited, 3, "the fault knob must have fired");
    assert_eq!(world.deliveries().len(), valid.len());
}

/// `kill -9` while a lead is in flight: the next run re-sends at most that
/// lead and loses nothing.
pub async fn a_crash_between_submit_and_state_write_resends_at_most_that_deal<C: Crm>() {
    let data = deals(109, 40, 1000);
    let valid = expected_ids(&data);
    let tuning = Tuning {
        liner: vec!["max_in_flight: 1".into()],
        ..Tuning::default()
    };
    let world = World::<C>::with(data, tuning).await;
    world.liner.faults().set_latency(Duration::from_millis(60));
    let mut child = world.command(&["run"]).spawn().unwrap();
    world.wait_for_leads(8).await;
    child.kill().await.unwrap();
    let before = world.liner.received().len();
    assert!(before >= 8 && before < valid.len(), "killed at {before}");
    world.liner.faults().set_latency(Duration::ZERO);
    let (out, _) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let deliveries = world.deliveries();
    assert_eq!(deliveries.len(), valid.len(), "a deal was lost");
    let duplicates: usize = deliveries.values().map(|n| n - 1).sum();
    assert!(duplicates <= 1, "{duplicates} duplicates after one kill");
}

/// `run --dry-run` prints the leads and neither sends nor records anything.
pub async fn dry_run_writes_nothing<C: Crm>() {
    let data = deals(110, 25, 1000);
    let valid = expected_ids(&data);
    let world = World::<C>::new(data).await;
    let out = world.run(&["run", "--dry-run"]).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let (stdout, _) = text(&out);
    assert_eq!(stdout.lines().count(), valid.len());
    assert!(world.liner.received().is_empty());
    let state = world.state_path();
    if state.exists() {
        assert!(outcomes(&state).is_empty(), "a dry run recorded outcomes");
        let conn = rusqlite::Connection::open(&state).unwrap();
        let cursors: i64 = conn
            .query_row("SELECT count(*) FROM cursors", [], |r| r.get(0))
            .unwrap();
        assert_eq!(cursors, 0, "a dry run moved a cursor");
    }
}

/// No secret of the configuration appears in any output, even at trace level
/// and when things fail: retried errors, HTML and cut-off replies, replies
/// slower than the timeout, refused credentials, and every command that reads
/// the state or a CRM.
pub async fn no_secret_reaches_the_output<C: Crm>() {
    let data = deals(111, 30, 1000);
    let more = common::deals_after(&data, 112, 10, 50_000);
    let world = World::<C>::new(data).await;
    world.crm.faults().fail_next(1, 500);
    world.liner.faults().fail_next(2, 503);
    let backfill = ["backfill", "--source", C::SOURCE, "--from", "2026-11-01"];
    let mut outputs = Vec::new();
    for args in [
        &["run"][..],
        &["run", "--dry-run"],
        &["check"],
        &["status", "--json"],
        &["failed"],
        &["retry-failed"],
        &backfill,
    ] {
        outputs.push(run_at_trace(&world, args).await);
    }
    // Broken and slow replies to a run with deals to read.
    world.write_config(&Tuning {
        source: vec!["timeout: 250ms".into(), "max_attempts: 2".into()],
        ..Tuning::default()
    });
    world.crm.add(more);
    let faults = world.crm.faults();
    faults.set_seed(112);
    faults.set_html_rate(0.3);
    faults.set_malformed_rate(0.3);
    outputs.push(run_at_trace(&world, &["run"]).await);
    faults.set_html_rate(0.0);
    faults.set_malformed_rate(0.0);
    faults.set_latency(Duration::from_millis(500));
    outputs.push(run_at_trace(&world, &["run"]).await);
    faults.set_latency(Duration::ZERO);
    faults.set_auth_broken(true);
    outputs.push(run_at_trace(&world, &["run", "--log-format", "json"]).await);
    let secrets = world.secrets();
    for out in &outputs {
        let (stdout, stderr) = text(out);
        for secret in &secrets {
            assert!(
                !stdout.contains(secret.as_str()),
                "a secret in stdout:\n{stdout}"
            );
            assert!(
                !stderr.contains(secret.as_str()),
                "a secret in stderr:\n{stderr}"
            );
        }
    }
}

/// `liner-sync <args>` with `RUST_LOG=trace`, to the end.
async fn run_at_trace<C: Crm>(world: &World<C>, args: &[&str]) -> std::process::Output {
    let mut cmd = world.command(args);
    cmd.env("RUST_LOG", "trace");
    common::finish(cmd.spawn().unwrap()).await
}
