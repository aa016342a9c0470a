//! End-to-end checks of the Domoplaner connector beyond the conformance suite:
//! local times of a zone with daylight saving time, phones from the leads
//! API, one lead per client, a feed with other field names adapted in YAML
//! alone, and a large feed read in bounded time and memory.

mod common;

use chrono::{DateTime, FixedOffset, Utc};
use common::{Crm, Domoplaner, Tuning, World, expected_ids, finish, parse_json, text};
use liner_sync_emulator::{DataSet, DomoplanerOptions, FakeDeal};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

const API_TOKEN: &str = "e2e-domoplaner-api-token-2f7c";

async fn world(options: DomoplanerOptions, tuning: Tuning) -> World<Domoplaner> {
    World::around(Domoplaner::start_with(options).await, tuning).await
}

fn lines(source: &[&str]) -> Vec<String> {
    source.iter().map(|l| (*l).to_owned()).collect()
}

fn at(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).unwrap()
}

/// `run --json` with the leads API's token in the environment too.
async fn run_with_token(world: &World<Domoplaner>, args: &[&str]) -> Output {
    let mut cmd = world.command(args);
    cmd.env("E2E_DOMOPLANER_API_TOKEN", API_TOKEN);
    finish(cmd.spawn().unwrap()).await
}

/// Deal id → when the state file says it was created.
fn created_in_state(world: &World<Domoplaner>) -> BTreeMap<String, String> {
    let conn = rusqlite::Connection::open(world.state_path()).unwrap();
    let mut stmt = conn
        .prepare("SELECT deal_id, deal_created_at FROM deals")
        .unwrap();
    stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn utc(deal: &FakeDeal) -> String {
    deal.created
        .with_timezone(&Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_times_of_a_dst_zone_are_read_with_the_rules_of_their_day() {
    // Berlin: +02:00 in July, +01:00 in December. The summer deals straddle
    // the start; every winter deal is after it.
    let start = "2026-07-01T10:00:00+02:00";
    let mut data = DataSet::generate(501, 20, 1000, at("2026-07-01T09:50:00+02:00"));
    let winter = DataSet::generate(502, 20, 5000, at("2026-12-01T12:00:00+01:00"));
    data.deals.extend(winter.deals);
    data.contacts.extend(winter.contacts);
    let new: Vec<&FakeDeal> = data
        .deals
        .iter()
        .filter(|d| d.created >= at(start))
        .collect();
    assert!(
        new.len() > 20 && new.len() < 40,
        "the start splits the summer deals"
    );
    let options = DomoplanerOptions {
        data: data.clone(),
        timezone: "Europe/Berlin".to_owned(),
        ..DomoplanerOptions::default()
    };
    let tuning = Tuning {
        source: lines(&["timezone: Europe/Berlin"]),
        start_from: Some(start.to_owned()),
        ..Tuning::default()
    };
    let world = world(options.clone(), tuning).await;
    let (out, summary) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(summary["sources"][0]["fetched"], new.len());
    let want: BTreeMap<String, String> = new.iter().map(|d| (d.id.to_string(), utc(d))).collect();
    assert_eq!(
        created_in_state(&world),
        want,
        "exact instants, summer and winter"
    );
    let callable: BTreeSet<String> = new
        .iter()
        .filter(|d| d.expected.phone.is_some())
        .map(|d| d.id.to_string())
        .collect();
    let delivered: BTreeSet<String> = world.deliveries().into_keys().collect();
    assert_eq!(delivered, callable);

    // The same feed read as Moscow time puts every summer deal an hour early.
    let wrong = self::world(
        options,
        Tuning {
            start_from: Some(start.to_owned()),
            ..Tuning::default()
        },
    )
    .await;
    let (out, _) = wrong.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let misread = created_in_state(&wrong);
    assert!(
        misread.len() < want.len(),
        "summer deals near the start look old"
    );
    for deal in data.deals.iter().filter(|d| d.id < 5000) {
        if let Some(seen) = misread.get(&deal.id.to_string()) {
            let seen = DateTime::parse_from_rfc3339(seen).unwrap();
            assert_eq!(deal.created - seen, chrono::Duration::hours(1));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_without_phones_is_completed_from_the_leads_api() {
    let data = common::deals(511, 60, 1000);
    let options = DomoplanerOptions {
        data: data.clone(),
        api_token: Some(API_TOKEN.to_owned()),
        include_phones: false,
        ..DomoplanerOptions::default()
    };
    let crm = Domoplaner::start_with(options).await;
    let api_base = crm.fake.api_base();
    let tuning = Tuning {
        source: vec![
            "enrich:".to_owned(),
            format!("  api_base: {api_base}"),
            "  token: ${E2E_DOMOPLANER_API_TOKEN}".to_owned(),
            "  rate_limit: 50/s".to_owned(),
        ],
        ..Tuning::default()
    };
    let world = World::around(crm, tuning).await;
    let out = run_with_token(&world, &["run", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let summary = parse_json(&out);
    let valid = expected_ids(&data);
    assert_eq!(summary["sources"][0]["sent"], valid.len(), "{summary}");
    let phones: HashMap<String, String> = world
        .liner
        .received()
        .iter()
        .map(|l| {
            (
                l.body["externalIdDomoplaner"].as_str().unwrap().to_owned(),
                l.body["phone"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for deal in data.deals.iter().filter(|d| d.expected.phone.is_some()) {
        let want = deal.expected.phone.as_deref().unwrap();
        assert_eq!(
            phones.get(&deal.id.to_string()).map(String::as_str),
            Some(want)
        );
    }
    let asked = world
        .crm
        .requests()
        .iter()
        .filter(|r| r.method == "leads/get-by-id")
        .count();
    let with_client = data
        .deals
        .iter()
        .filter(|d| !d.contact_ids.is_empty())
        .count();
    assert_eq!(
        asked, with_client,
        "one request per deal with a client, none more"
    );
    let (stdout, stderr) = text(&out);
    assert!(!stdout.contains(API_TOKEN) && !stderr.contains(API_TOKEN));

    let again = run_with_token(&world, &["run", "--json"]).await;
    assert_eq!(parse_json(&again)["sources"][0]["sent"], 0);
    let asked_again = world
        .crm
        .requests()
        .iter()
        .filter(|r| r.method == "leads/get-by-id")
        .count();
    assert_eq!(
        asked_again, asked,
        "handled deals are not asked about again"
    );
}

/// The client the fake puts on `deal`: its first contact with a phone.
fn client_of(data: &DataSet, deal: &FakeDeal) -> Option<u64> {
    let contact = |id: &u64| data.contacts.iter().find(|c| c.id == *id);
    deal.contact_ids
        .iter()
        .find(|id| contact(id).is_some_and(|c| !c.phones.is_empty()))
        .or(deal.contact_ids.first())
        .copied()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn external_id_client_sends_one_lead_per_client() {
    let mut data = common::deals(521, 30, 1000);
    let callable: Vec<usize> = (0..data.deals.len())
        .filter(|&i| data.deals[i].expected.phone.is_some() && data.deals[i].contact_ids.len() == 1)
        .collect();
    // Three deals of one client.
    let shared = data.deals[callable[0]].contact_ids.clone();
    for &i in &callable[1..3] {
        data.deals[i].contact_ids = shared.clone();
    }
    let clients: BTreeSet<String> = data
        .deals
        .iter()
        .filter(|d| d.expected.phone.is_some())
        .filter_map(|d| client_of(&data, d))
        .map(|id| id.to_string())
        .collect();
    let tuning = Tuning {
        source: lines(&["external_id: client"]),
        ..Tuning::default()
    };
    let world = world(
        DomoplanerOptions {
            data: data.clone(),
            ..DomoplanerOptions::default()
        },
        tuning,
    )
    .await;
    let (out, _) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let deliveries = world.deliveries();
    let delivered: BTreeSet<String> = deliveries.keys().cloned().collect();
    assert_eq!(delivered, clients, "client ids, each once");
    assert!(deliveries.values().all(|&n| n == 1));

    // A later deal of a client already sent is not a new lead.
    let mut later = common::deals_after(&data, 522, 1, 9000);
    later.deals[0].contact_ids = shared;
    later.contacts.clear();
    world.crm.add(later);
    let (out, summary) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(summary["sources"][0]["sent"], 0, "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feed_with_other_names_is_adapted_in_yaml_alone() {
    let renamed = [
        ("deals", "items"),
        ("dt_create", "Дата создания"),
        ("client", "buyer"),
        ("phones", "tel"),
        ("price", "budget"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    let data = common::deals(531, 40, 1000);
    let valid = expected_ids(&data);
    let options = DomoplanerOptions {
        data: data.clone(),
        renamed,
        ..DomoplanerOptions::default()
    };
    let steps: [(&[&str], &str); 2] = [
        (&[], "set records: to their path"),
        (&["records: items"], "none of them is a deal"),
    ];
    for (source, needle) in steps {
        let tuning = Tuning {
            source: lines(source),
            ..Tuning::default()
        };
        let world = world(options.clone(), tuning).await;
        let out = world.run(&["check"]).await;
        let (stdout, stderr) = text(&out);
        assert_ne!(out.status.code(), Some(0), "{stdout}");
        assert!(stdout.contains(needle), "{needle}: {stdout}\n{stderr}");
    }
    let tuning = Tuning {
        source: lines(&[
            "records: items",
            "fields:",
            "  created_at: /Дата создания",
            "  name: buyer.name",
            "  phones: buyer.tel[].value",
            "  telegram: buyer.telegram",
            "  custom: { price: budget }",
            "client_id: buyer.id",
            "lead:",
            "  custom_values: { \"77\": price }",
        ]),
        ..Tuning::default()
    };
    let world = world(options, tuning).await;
    let check = world.run(&["check"]).await;
    assert_eq!(check.status.code(), Some(0), "{:?}", text(&check));
    let (out, summary) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(summary["sources"][0]["sent"], valid.len(), "{summary}");
    let received = world.liner.received();
    for deal in data.deals.iter().filter(|d| d.expected.phone.is_some()) {
        let lead = received
            .iter()
            .find(|l| l.body["externalIdDomoplaner"].as_str() == Some(deal.id.to_string().as_str()))
            .unwrap();
        assert_eq!(lead.body["phone"], deal.expected.phone.clone().unwrap());
        assert_eq!(lead.body["name"].as_str(), deal.expected.name.as_deref());
        assert_eq!(
            lead.body["telegramUserName"].as_str(),
            deal.expected.telegram.as_deref()
        );
        assert_eq!(lead.body["customValues"]["77"], deal.price());
    }
}

/// Runs `args` to the end, sampling the process's peak resident memory
/// (`VmHWM`, in KiB) while it runs. Linux only; `None` elsewhere.
async fn run_measured(world: &World<Domoplaner>, args: &[&str]) -> (Output, Duration, Option<u64>) {
    let started = Instant::now();
    let child = world.command(args).spawn().unwrap();
    let status = child.id().map(|pid| format!("/proc/{pid}/status"));
    let peak = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::SeqCst) {
                let hwm = status
                    .as_deref()
                    .and_then(|p| std::fs::read_to_string(p).ok())
                    .and_then(|s| {
                        s.lines()
                            .find_map(|l| l.strip_prefix("VmHWM:"))
                            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                    });
                if let Some(kib) = hwm {
                    peak.fetch_max(kib, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let out = finish(child).await;
    let elapsed = started.elapsed();
    done.store(true, Ordering::SeqCst);
    let _ = sampler.await;
    let kib = peak.load(Ordering::SeqCst);
    (out, elapsed, (kib > 0).then_some(kib))
}

/// A feed of `count` deals of which the newest `new` are after the start;
/// one pass's time and peak memory.
async fn pass_over(count: usize, new: usize) -> (Duration, Option<u64>, World<Domoplaner>) {
    let data = common::deals(541, count, 100_000);
    let start = data.deals[count - new].created.to_rfc3339();
    let tuning = Tuning {
        start_from: Some(start),
        ..Tuning::default()
    };
    let options = DomoplanerOptions {
        data,
        ..DomoplanerOptions::default()
    };
    let world = world(options, tuning).await;
    let (out, elapsed, peak) = run_measured(&world, &["run", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let summary = parse_json(&out);
    assert_eq!(summary["sources"][0]["fetched"], new, "{summary}");
    (elapsed, peak, world)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_feed_is_streamed_in_bounded_time_and_memory() {
    let (small_time, small_peak, _) = pass_over(5_000, 300).await;
    let (time, peak, world) = pass_over(50_000, 300).await;
    eprintln!(
        "5,000 deals: {small_time:?}, peak {small_peak:?} KiB; 50,000 deals: {time:?}, peak {peak:?} KiB"
    );
    assert!(time < Duration::from_secs(60), "{time:?}");
    if let (Some(small), Some(large)) = (small_peak, peak) {
        // The feed body grows by ~20 MiB; a parsed tree of 45,000 more deals
        // would add several times that.
        let growth = large.saturating_sub(small);
        assert!(
            growth < 80 * 1024,
            "{growth} KiB more for 45,000 more deals"
        );
    }
    let (out, again, _) = run_measured(&world, &["run", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let summary = parse_json(&out);
    assert_eq!(summary["sources"][0]["sent"], 0, "{summary}");
    assert_eq!(world.crm.requests().len(), 2, "one feed download per pass");
    eprintln!("an up-to-date pass over 50,000 deals: {again:?}");
}
