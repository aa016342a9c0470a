//! End-to-end checks of the MacroCRM connector beyond the conformance suite:
//! every paging style and field overrides set in YAML alone, refused
//! signatures, the web-interface host mistaken for the API, and signing with
//! the current time on every retry.

mod common;

use common::{Crm, Macrocrm, Tuning, World, deals, expected_ids, text};
use liner_sync_emulator::{DataSet, MacroOptions, MacroPaging};
use std::collections::BTreeMap;

async fn world(options: MacroOptions, source: &[&str]) -> World<Macrocrm> {
    let tuning = Tuning {
        source: source.iter().map(|l| (*l).to_owned()).collect(),
        ..Tuning::default()
    };
    World::around(Macrocrm::start_with(options).await, tuning).await
}

fn with_data(data: DataSet) -> MacroOptions {
    MacroOptions {
        data,
        ..MacroOptions::default()
    }
}

/// Runs once and checks that every callable deal arrived exactly once.
async fn delivers_everything(world: &World<Macrocrm>, data_ids: &[String]) {
    let (out, summary) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(summary["sources"][0]["sent"], data_ids.len(), "{summary}");
    let deliveries = world.deliveries();
    assert_eq!(deliveries.len(), data_ids.len());
    for id in data_ids {
        assert_eq!(deliveries.get(id), Some(&1), "deal {id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_paging_style_is_set_in_yaml() {
    let styles = [
        (
            MacroPaging::OffsetLimit,
            "paging: { style: offset_limit, limit: 40 }",
            7,
        ),
        (
            MacroPaging::Since,
            "paging: { style: since, param: created_from, format: local, limit_param: limit, limit: 40 }",
            7,
        ),
        (MacroPaging::None, "paging: { style: none }", 1),
        (
            MacroPaging::PageLimit,
            "paging: { style: page_limit, limit: 40 }",
            7,
        ),
    ];
    for (paging, line, requests) in styles {
        let data = deals(301, 250, 7000);
        let valid = expected_ids(&data);
        let world = world(
            MacroOptions {
                paging,
                ..with_data(data)
            },
            &[line],
        )
        .await;
        delivers_everything(&world, &valid).await;
        assert_eq!(world.crm.requests().len(), requests, "{line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_from_filter_reads_only_the_window() {
    let first = deals(302, 30, 7000);
    let valid = expected_ids(&first);
    let later = common::deals_after(&first, 303, 5, 9000);
    let later_valid = expected_ids(&later);
    let world = world(
        with_data(first),
        &["created_from_param: created_from", "lookback: 5m"],
    )
    .await;
    delivers_everything(&world, &valid).await;
    world.crm.add(later);
    let (out, summary) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(
        summary["sources"][0]["sent"],
        later_valid.len(),
        "{summary}"
    );
    let fetched = summary["sources"][0]["fetched"].as_u64().unwrap();
    assert!(
        fetched < 5 + 10,
        "the second pass read {fetched} records: the filter must start 5 minutes before the newest"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_names_of_another_installation_are_set_in_yaml() {
    let renamed: BTreeMap<String, String> = [
        ("data", "items"),
        ("created_at", "date_create"),
        ("contacts", "clients"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    let data = deals(304, 60, 7000);
    let valid = expected_ids(&data);
    let options = MacroOptions {
        renamed,
        ..with_data(data)
    };
    let plain = world(options.clone(), &[]).await;
    let out = plain.run(&["run"]).await;
    let (stdout, stderr) = text(&out);
    assert_ne!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("set records:"), "{stdout}\n{stderr}");
    assert!(plain.liner.received().is_empty());

    let adapted = world(
        options,
        &[
            "records: items",
            "fields: { created_at: date_create, contacts: clients }",
        ],
    )
    .await;
    delivers_everything(&adapted, &valid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_or_stale_signatures_are_auth_errors() {
    // A wrong app_secret, then a fake whose clock disagrees with any `time`.
    let wrong = world(with_data(deals(305, 10, 7000)), &[]).await;
    let mut cmd = wrong.command(&["run"]);
    cmd.env("E2E_MACRO_SECRET", "not-the-app-secret");
    let stale = world(
        MacroOptions {
            max_skew_secs: -1,
            ..with_data(deals(305, 10, 7000))
        },
        &[],
    )
    .await;
    let outputs = [
        common::finish(cmd.spawn().unwrap()).await,
        stale.run(&["run"]).await,
    ];
    for (out, world) in outputs.iter().zip([&wrong, &stale]) {
        let (stdout, stderr) = text(out);
        assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
        assert!(stdout.contains(Macrocrm::SOURCE), "{stdout}");
        assert!(
            stdout.contains("check domain and app_secret") && stdout.contains("clock"),
            "{stdout}"
        );
        assert_eq!(
            world.crm.requests().len(),
            1,
            "an auth refusal is not retried"
        );
        assert!(world.liner.received().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_interface_host_is_refused_with_the_api_host_to_use() {
    let world = world(with_data(DataSet::empty()), &[]).await;
    let config = std::fs::read_to_string(&world.config)
        .unwrap()
        .replace(&world.crm.fake.base_url(), "https://macro.sbercrm.com");
    std::fs::write(&world.config, config).unwrap();
    let out = world.run(&["run"]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("use https://api.macro.sbercrm.com"),
        "{stdout}\n{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_retry_is_signed_with_the_current_time() {
    // The fake accepts times at most 2 s off and asks for a 3 s wait after
    // a 503: a retry that reused the first signature would be refused.
    let data = deals(306, 20, 7000);
    let valid = expected_ids(&data);
    let world = world(
        MacroOptions {
            max_skew_secs: 2,
            ..with_data(data)
        },
        &[],
    )
    .await;
    world.crm.faults().fail_next(1, 503);
    delivers_everything(&world, &valid).await;
    let statuses: Vec<u16> = world.crm.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![503, 200]);
    assert_eq!(world.crm.fake.signed_times().len(), 1);
}
