//! The fault-injection suite: the real binary against the emulators while
//! they fail in every way the design promises to survive. Every random
//! choice (kill points, fault rates, corrupt bytes) comes from a fixed seed,
//! so a failure repeats; waits are event-driven with generous bounds.
//!
//! The promise checked throughout: every callable deal reaches Liner, none is
//! lost, and none arrives twice except where the README says it may (a
//! `kill -9`, or a reply that never came: at most the leads in flight).

mod common;

use common::{
    Amocrm, Bitrix24, BitrixWorld, Crm, Domoplaner, Gate, Macrocrm, Tuning, World, deals,
    deals_after, expected_ids, outcomes, text,
};
use liner_sync_emulator::SplitMix64;
use std::collections::HashSet;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};
use tokio::process::Child;

/// How many runs a storm may take before everything is delivered.
const MAX_RUNS: usize = 4;

/// The exit code of a finished liner-sync, after checking it did not panic.
fn code(out: &Output) -> i32 {
    let (stdout, stderr) = text(out);
    assert!(
        !stderr.contains("panicked") && !stdout.contains("panicked"),
        "liner-sync panicked:\n{stdout}\n{stderr}"
    );
    out.status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {stdout}\n{stderr}"))
}

/// Both output streams, for messages that may go to either.
fn said(out: &Output) -> String {
    let (stdout, stderr) = text(out);
    format!("{stdout}\n{stderr}")
}

/// Checks that every deal of `valid`, and nothing else, reached Liner;
/// returns how many leads arrived more than once.
fn duplicates<C: Crm>(world: &World<C>, valid: &[String]) -> usize {
    let deliveries = world.deliveries();
    let want: HashSet<&str> = valid.iter().map(String::as_str).collect();
    let lost: Vec<&&str> = want
        .iter()
        .filter(|id| !deliveries.contains_key(**id))
        .collect();
    assert!(lost.is_empty(), "deals lost: {lost:?}");
    let foreign: Vec<&String> = deliveries
        .keys()
        .filter(|id| !want.contains(id.as_str()))
        .collect();
    assert!(
        foreign.is_empty(),
        "leads for no callable deal: {foreign:?}"
    );
    deliveries.values().map(|n| n - 1).sum()
}

/// Checks that every deal of `valid` reached Liner exactly once and that the
/// state holds each as `sent`, with nothing left pending.
fn exactly_once<C: Crm>(world: &World<C>, valid: &[String]) {
    assert_eq!(duplicates(world, valid), 0, "{:?}", world.deliveries());
    let rows = outcomes(&world.state_path());
    assert_eq!(rows.get("pending"), None, "{rows:?}");
    assert_eq!(
        rows.get("sent").copied(),
        Some(valid.len() as i64),
        "{rows:?}"
    );
}

/// Runs `run` until one completes (exit 0); every run before it must end
/// with 4, "incomplete", and say why. Returns every run's output.
async fn run_until_complete<C: Crm>(world: &World<C>) -> Vec<Output> {
    let mut outputs = Vec::new();
    loop {
        let out = world.run(&["run"]).await;
        let code = code(&out);
        outputs.push(out);
        let out = outputs.last().expect("just pushed");
        if code == 0 {
            return outputs;
        }
        assert_eq!(code, 4, "only 'incomplete' may end a run: {}", said(out));
        let (stdout, _) = text(out);
        assert!(
            stdout.contains("stopped") || stdout.contains("tried again on the next run"),
            "an incomplete run says why: {stdout}"
        );
        assert!(
            outputs.len() < MAX_RUNS,
            "still incomplete after {MAX_RUNS} runs: {}",
            said(out)
        );
    }
}

/// Waits until Liner has accepted `target` leads in all, failing if `child`
/// ends first (the kill would not have landed mid-run).
async fn until_received<C: Crm>(world: &World<C>, child: &mut Child, target: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while world.liner.received_count() < target {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before Liner had {target} leads");
        }
        assert!(Instant::now() < deadline, "Liner never had {target} leads");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

// 1. kill -9 at seeded points, then a clean run.

/// SIGKILLs at seeded points of runs against a slowed Liner, then a clean
/// run: every callable deal arrives, at most one lead twice per kill. Some
/// kills are aimed at the one window that can double a lead: Liner stored
/// it, liner-sync has not recorded it yet.
async fn sigkill_at_random_points_loses_nothing<C: Crm>(seed: u64) {
    const KILLS: usize = 5;
    let data = deals(seed, 3 * C::PAGE_SIZE.min(60), 1000);
    let valid = expected_ids(&data);
    let tuning = Tuning {
        // One lead in flight: a kill can double at most that one.
        liner: vec!["max_in_flight: 1".into()],
        ..Tuning::default()
    };
    let world = World::<C>::with(data, tuning).await;
    world.liner.faults().set_latency(Duration::from_millis(25));
    let mut rng = SplitMix64::new(seed);
    let mut in_the_window = 0;
    for kill in 0..KILLS {
        let mut child = world.command(&["run"]).spawn().unwrap();
        if rng.chance(0.4) {
            // Liner stores the next lead and holds its reply: the kill comes
            // after the store and before liner-sync could record it.
            world.liner.faults().slow_next(1, Duration::from_secs(30));
            let target = world.liner.received_count() + 1;
            until_received(&world, &mut child, target).await;
            in_the_window += 1;
        } else {
            // While the run starts or reads the CRM, or while it submits:
            // after 0-8 more leads, plus 0-24 ms into the next one.
            let more = rng.below(9) as usize;
            let into_next = Duration::from_millis(rng.below(25));
            let target = world.liner.received_count() + more;
            until_received(&world, &mut child, target).await;
            tokio::time::sleep(into_next).await;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "kill {kill} came after the run ended"
        );
        child.kill().await.unwrap();
    }
    let before = world.liner.received_count();
    assert!(
        before < valid.len(),
        "the kills did not land mid-run: {before} of {} delivered",
        valid.len()
    );

    world.liner.faults().set_latency(Duration::ZERO);
    let out = world.run(&["run"]).await;
    assert_eq!(code(&out), 0, "{}", said(&out));
    assert!(in_the_window > 0, "seed {seed} aims no kill at the window");
    let doubled = duplicates(&world, &valid);
    assert!(
        (in_the_window..=KILLS).contains(&doubled),
        "{doubled} duplicates after {KILLS} kills, {in_the_window} of them after Liner stored a lead"
    );
    let rows = outcomes(&world.state_path());
    assert_eq!(rows.get("pending"), None, "{rows:?}");
    assert_eq!(rows.get("sent").copied(), Some(valid.len() as i64));
}

// 2. Liner failing: storms, an outage past every retry, replies too late.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liner_5xx_and_429_storms_are_retried_without_loss_or_doubles() {
    let data = deals(611, 60, 1000);
    let valid = expected_ids(&data);
    let tuning = Tuning {
        liner: vec!["max_in_flight: 4".into()],
        ..Tuning::default()
    };
    let world = BitrixWorld::with(data, tuning).await;
    let storm = [(503, 4), (500, 4), (429, 4)];
    for (status, n) in storm {
        world.liner.faults().fail_next(n, status);
    }
    let outputs = run_until_complete(&world).await;
    exactly_once(&world, &valid);
    let requests = world.liner.requests();
    for (status, n) in storm {
        let seen = requests.iter().filter(|r| r.status == status).count();
        assert_eq!(seen, n, "the storm's {status}s all reached liner-sync");
    }
    let logs: String = outputs.iter().map(said).collect();
    assert!(logs.contains("HTTP 503"), "retries are logged: {logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liner_failing_past_every_retry_stops_the_run_and_the_next_delivers() {
    let data = deals(612, 40, 1000);
    let valid = expected_ids(&data);
    let tuning = Tuning {
        liner: vec!["max_attempts: 3".into(), "max_retry_time: 3s".into()],
        ..Tuning::default()
    };
    let world = BitrixWorld::with(data, tuning).await;
    world.liner.faults().set_seed(612);
    world.liner.faults().set_error_rate(1.0);
    let out = world.run(&["run"]).await;
    assert_eq!(code(&out), 4, "{}", said(&out));
    assert!(
        said(&out).contains("Liner unavailable"),
        "the reason is named: {}",
        said(&out)
    );
    assert!(world.liner.received().is_empty());
    let rows = outcomes(&world.state_path());
    assert_eq!(rows.get("sent"), None, "{rows:?}");
    assert!(rows.get("pending").is_some_and(|&n| n > 0), "{rows:?}");

    world.liner.faults().set_error_rate(0.0);
    let out = world.run(&["run"]).await;
    assert_eq!(code(&out), 0, "{}", said(&out));
    exactly_once(&world, &valid);
}

/// A reply later than `liner.timeout`: Liner stored the lead, liner-sync
/// cannot know it and sends it again. The README allows exactly that: the
/// deal is never lost and at most doubled, once per late reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_liner_reply_later_than_the_timeout_is_resent_never_lost() {
    const LATE: usize = 3;
    let data = deals(613, 40, 1000);
    let valid = expected_ids(&data);
    let tuning = Tuning {
        // Far above a normal reply, even on a loaded machine.
        liner: vec!["timeout: 3s".into()],
        ..Tuning::default()
    };
    let world = BitrixWorld::with(data, tuning).await;
    world.liner.faults().slow_next(LATE, Duration::from_secs(8));
    let out = world.run(&["run"]).await;
    assert_eq!(code(&out), 0, "{}", said(&out));
    assert!(said(&out).contains("timed out"), "{}", said(&out));
    let received = world.liner.received();
    let late: HashSet<String> = received[..LATE]
        .iter()
        .map(|lead| {
            lead.body[Bitrix24::EXTERNAL_ID]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        late.len(),
        LATE,
        "the late replies were for different deals"
    );
    for (id, n) in world.deliveries() {
        let allowed = if late.contains(&id) { 2 } else { 1 };
        assert!(n <= allowed, "deal {id} arrived {n} times");
    }
    assert!(duplicates(&world, &valid) <= LATE);
    let rows = outcomes(&world.state_path());
    assert_eq!(rows.get("pending"), None, "{rows:?}");
    assert_eq!(rows.get("sent").copied(), Some(valid.len() as i64));
}

// 3. The CRM failing.

/// A storm shorter than the source's retries is sat out; one as long as them
/// ends the run with the reason, and the next run finishes. A paged CRM meets
/// the long storm mid-pass; a feed (one request per pass) meets it on that
/// one request, so nothing of the new deals goes before the next run.
async fn crm_storms_end_complete_or_clearly_then_complete<C: Crm>(seed: u64) {
    let first = deals(seed, C::PAGE_SIZE + 5, 1000);
    let more = if C::PAGED {
        6 * C::PAGE_SIZE
    } else {
        C::PAGE_SIZE + 5
    };
    let second = deals_after(&first, seed + 1, more, 100_000);
    let (first_valid, second_valid) = (expected_ids(&first), expected_ids(&second));
    let tuning = Tuning {
        source: vec!["max_attempts: 3".into()],
        ..Tuning::default()
    };
    let world = World::<C>::with(first, tuning).await;
    let faults = world.crm.faults();

    faults.fail_next(1, C::RATE_LIMIT_STATUS);
    faults.fail_next(1, 500);
    let out = world.run(&["run"]).await;
    assert_eq!(
        code(&out),
        0,
        "retries sit a short storm out: {}",
        said(&out)
    );
    exactly_once(&world, &first_valid);

    world.crm.add(second);
    let out = if C::PAGED {
        // The long storm starts once the second run is submitting. The CRM
        // answers slowly, so pages are still to come however late that is
        // seen: the pages read before the storm are delivered, the rest wait.
        faults.set_latency(Duration::from_millis(300));
        let mut child = world.command(&["run"]).spawn().unwrap();
        until_received(&world, &mut child, first_valid.len() + 1).await;
        faults.fail_next(3, C::RATE_LIMIT_STATUS);
        common::finish(child).await
    } else {
        // The one request of the pass is the one the storm can meet.
        faults.fail_next(3, C::RATE_LIMIT_STATUS);
        world.run(&["run"]).await
    };
    assert_eq!(code(&out), 4, "{}", said(&out));
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains(&format!("{} ({})", C::SOURCE, C::KIND))
            && stdout.contains("stopped early"),
        "the source and the reason are named: {stdout}"
    );
    assert!(stdout.contains("gave up after 3 attempts"), "{stdout}");
    let limited = world
        .crm
        .requests()
        .iter()
        .filter(|r| r.status == C::RATE_LIMIT_STATUS)
        .count();
    assert_eq!(limited, 4, "every storm reply reached liner-sync");
    let partly = world.liner.received_count() - first_valid.len();
    if C::PAGED {
        assert!(
            partly < second_valid.len(),
            "the storm hit mid-run, not after the last page"
        );
    } else {
        assert_eq!(partly, 0, "the feed never came, yet leads were sent");
        let rows = outcomes(&world.state_path());
        assert_eq!(
            rows.get("sent").copied(),
            Some(first_valid.len() as i64),
            "{rows:?}"
        );
    }

    faults.set_latency(Duration::ZERO);
    let out = world.run(&["run"]).await;
    assert_eq!(code(&out), 0, "{}", said(&out));
    exactly_once(&world, &[first_valid, second_valid].concat());
}

// 4. Broken bodies.

/// HTML error pages and JSON cut short, from the CRM and from Liner at
/// seeded rates: retried or a clear error, never a panic; then everything
/// arrives exactly once.
async fn broken_bodies_are_retried_never_a_panic<C: Crm>(seed: u64) {
    // Several pages, so the CRM's replies break between pages too.
    let data = deals(seed, 311, 1000);
    let valid = expected_ids(&data);
    // Short retry budgets: an unlucky deal is left for the next run, which
    // the test wants to see too, instead of backing off for long.
    let tuning = Tuning {
        liner: vec!["max_retry_time: 5s".into(), "max_in_flight: 16".into()],
        source: vec!["max_attempts: 4".into()],
        ..Tuning::default()
    };
    let world = World::<C>::with(data, tuning).await;
    let rates = [
        (world.crm.faults(), seed, 0.15),
        (world.liner.faults(), seed + 1, 0.12),
    ];
    for (faults, seed, rate) in rates {
        faults.set_seed(seed);
        faults.set_html_rate(rate);
        faults.set_malformed_rate(rate);
    }
    let outputs = run_until_complete(&world).await;
    let logs: String = outputs.iter().map(said).collect();
    for broken in [
        "liner: HTML page instead of JSON".to_owned(),
        "liner: malformed JSON".to_owned(),
        format!("{}: {}", C::KIND, C::CUT_SHORT),
    ] {
        assert!(logs.contains(&broken), "no '{broken}' was retried: {logs}");
    }
    let html_pages = world
        .crm
        .requests()
        .iter()
        .filter(|r| r.status >= 500)
        .count();
    assert!(html_pages > 0, "the CRM sent no error page");
    exactly_once(&world, &valid);

    for faults in [world.crm.faults(), world.liner.faults()] {
        faults.set_html_rate(0.0);
        faults.set_malformed_rate(0.0);
    }
    let out = world.run(&["run", "--json"]).await;
    assert_eq!(code(&out), 0, "{}", said(&out));
    assert_eq!(common::parse_json(&out)["sources"][0]["sent"], 0);
    exactly_once(&world, &valid);
}

/// Faults 1, 3 and 4 for every connector, one module each, with the seeds
/// of their kills, storms and broken bodies.
macro_rules! every_connector {
    ($($module:ident: $crm:ty, kills $kills:literal, storms $storms:literal, bodies $bodies:literal;)*) => {$(
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sigkill_at_random_points_loses_nothing() {
                super::sigkill_at_random_points_loses_nothing::<$crm>($kills).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn crm_storms_end_complete_or_clearly_then_complete() {
                super::crm_storms_end_complete_or_clearly_then_complete::<$crm>($storms).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn broken_bodies_are_retried_never_a_panic() {
                super::broken_bodies_are_retried_never_a_panic::<$crm>($bodies).await;
            }
        }
    )*};
}

every_connector! {
    bitrix24: Bitrix24, kills 601, storms 621, bodies 635;
    amocrm: Amocrm, kills 602, storms 623, bodies 633;
    macrocrm: Macrocrm, kills 603, storms 625, bodies 637;
    domoplaner: Domoplaner, kills 604, storms 627, bodies 639;
}

// 5. A damaged state file.

/// `len` seeded random bytes.
fn random_bytes(rng: &mut SplitMix64, len: usize) -> Vec<u8> {
    (0..len).map(|_| rng.next_u64() as u8).collect()
}

/// Ways a state file gets damaged, each from the good file's bytes.
fn damaged_copies(good: &[u8], seed: u64) -> Vec<(&'static str, Vec<u8>)> {
    let mut rng = SplitMix64::new(seed);
    let page = 4096.min(good.len() / 2);
    let mut tail_garbled = good.to_vec();
    let garbage = random_bytes(&mut rng, good.len() - page);
    tail_garbled[page..].copy_from_slice(&garbage);
    vec![
        (
            "random bytes over all of it",
            random_bytes(&mut rng, good.len()),
        ),
        ("random bytes after the first page", tail_garbled),
        ("cut to half", good[..good.len() / 2].to_vec()),
        ("cut inside the header", good[..60].to_vec()),
        (
            "a YAML file",
            b"liner:\n  base_url: https://example.com\n".to_vec(),
        ),
        ("empty", Vec::new()),
    ]
}

/// Removes SQLite's side files of `path`, so only the main file speaks.
fn remove_side_files(path: &Path) {
    for suffix in ["-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_state_file_is_refused_untouched_and_nothing_is_sent() {
    let data = deals(641, 30, 1000);
    let more = deals_after(&data, 642, 20, 50_000);
    let (first_valid, more_valid) = (expected_ids(&data), expected_ids(&more));
    let world = BitrixWorld::new(data).await;
    let out = world.run(&["run"]).await;
    assert_eq!(code(&out), 0, "{}", said(&out));
    let state = world.state_path();
    remove_side_files(&state);
    let good = std::fs::read(&state).unwrap();
    world.crm.add(more);
    let sent_before = world.liner.received_count();

    for (what, bytes) in damaged_copies(&good, 643) {
        remove_side_files(&state);
        std::fs::write(&state, &bytes).unwrap();
        let out = world.run(&["run"]).await;
        let (_, stderr) = text(&out);
        assert_eq!(code(&out), 5, "{what}: {}", said(&out));
        assert!(
            stderr.contains(&state.display().to_string()),
            "{what}: the message names the file: {stderr}"
        );
        assert!(
            std::fs::read(&state).unwrap() == bytes,
            "{what}: the damaged file was changed"
        );
        assert_eq!(
            world.liner.received_count(),
            sent_before,
            "{what}: a lead was sent"
        );
        // The commands that only read the state: what they can read, or an
        // error naming the file; never a change to it.
        for args in [&["status"][..], &["failed"]] {
            let out = world.run(args).await;
            let (_, stderr) = text(&out);
            assert!(
                code(&out) == 0 || stderr.contains(&state.display().to_string()),
                "{what}, {args:?}: {}",
                said(&out)
            );
            assert!(
                std::fs::read(&state).unwrap() == bytes,
                "{what}, {args:?}: the damaged file was changed"
            );
        }
    }

    // The good file back: the new deals go, the old ones do not.
    remove_side_files(&state);
    std::fs::write(&state, &good).unwrap();
    let out = world.run(&["run"]).await;
    assert_eq!(code(&out), 0, "{}", said(&out));
    exactly_once(&world, &[first_valid, more_valid].concat());
}

// 6. Two runs on one state file.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_the_same_state_refuses_and_the_first_completes() {
    let data = deals(651, 80, 1000);
    let valid = expected_ids(&data);
    let tuning = Tuning {
        liner: vec!["max_in_flight: 2".into()],
        ..Tuning::default()
    };
    let world = BitrixWorld::with(data, tuning).await;
    // Slow enough that the first run holds the state for seconds, many times
    // what the refusals take; they need it held only while they run.
    world.liner.faults().set_latency(Duration::from_millis(200));
    let mut first = world.command(&["run"]).spawn().unwrap();
    until_received(&world, &mut first, 1).await;
    let state = world.state_path().display().to_string();
    for args in [&["run"][..], &["run", "--json"], &["retry-failed"]] {
        let second = world.run(args).await;
        let (_, stderr) = text(&second);
        assert_eq!(code(&second), 5, "{args:?}: {}", said(&second));
        assert!(
            stderr.contains("another liner-sync process") && stderr.contains(&state),
            "{args:?}: {stderr}"
        );
    }
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first run was still going while the others were refused"
    );
    world.liner.faults().set_latency(Duration::ZERO);
    let out = common::finish(first).await;
    assert_eq!(code(&out), 0, "{}", said(&out));
    exactly_once(&world, &valid);
}

// 7. Liner unreachable.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_liner_unreachable_deals_wait_and_the_next_run_delivers_them_once() {
    let data = deals(661, 30, 1000);
    let more = deals_after(&data, 662, 40, 50_000);
    let (first_valid, more_valid) = (expected_ids(&data), expected_ids(&more));
    let world = BitrixWorld::new(data).await;
    let gate = Gate::to(&world.liner.base_url()).await;
    world.write_config(&Tuning {
        liner: vec![
            format!("base_url: {}", gate.base_url()),
            "max_attempts: 3".into(),
            "max_retry_time: 3s".into(),
        ],
        ..Tuning::default()
    });
    let out = world.run(&["run"]).await;
    assert_eq!(code(&out), 0, "through the open gate: {}", said(&out));
    exactly_once(&world, &first_valid);

    world.crm.add(more);
    gate.close();
    let out = world.run(&["run"]).await;
    assert_eq!(code(&out), 4, "{}", said(&out));
    assert!(
        said(&out).contains("Liner unavailable"),
        "the reason is named: {}",
        said(&out)
    );
    assert_eq!(world.liner.received_count(), first_valid.len());
    let rows = outcomes(&world.state_path());
    assert_eq!(rows.get("sent").copied(), Some(first_valid.len() as i64));
    assert!(rows.get("pending").is_some_and(|&n| n > 0), "{rows:?}");

    gate.open();
    let out = world.run(&["run"]).await;
    assert_eq!(code(&out), 0, "{}", said(&out));
    exactly_once(&world, &[first_valid, more_valid].concat());
}
