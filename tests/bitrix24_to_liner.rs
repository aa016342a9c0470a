//! End to end: the real binary reads the Bitrix24 emulator and submits to the
//! Liner emulator over 127.0.0.1.

mod common;

use common::{BitrixWorld, Tuning, deals, outcomes, parse_json, text};
use std::collections::HashMap;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pass_delivers_every_valid_deal_once_with_the_right_fields() {
    let data = deals(11, 160, 1000);
    let expected: HashMap<String, _> = data
        .deals
        .iter()
        .map(|d| (d.id.to_string(), d.expected.clone()))
        .collect();
    let valid = common::expected_ids(&data);
    let world = BitrixWorld::new(data).await;

    let (out, summary) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let source = &summary["sources"][0];
    assert_eq!(source["fetched"], 160);
    assert_eq!(source["sent"], valid.len());
    assert_eq!(source["rejected"], 160 - valid.len());
    assert_eq!(source["failed"], 0);

    let deliveries = world.deliveries();
    assert_eq!(deliveries.len(), valid.len());
    assert!(
        deliveries.values().all(|&n| n == 1),
        "a deal was sent twice"
    );
    for lead in world.liner.received() {
        let body = &lead.body;
        let id = body["externalIdBitrix24"].as_str().unwrap();
        let want = &expected[id];
        assert_eq!(body["phone"].as_str(), want.phone.as_deref(), "deal {id}");
        assert_eq!(body["name"].as_str(), want.name.as_deref(), "deal {id}");
        assert_eq!(
            body["telegramUserName"].as_str(),
            want.telegram.as_deref(),
            "deal {id}"
        );
        assert_eq!(body["orderId"], 101);
        assert_eq!(body["orderCode"], "main");
        assert_eq!(body["utcOffset"], 3);
        assert_eq!(body["leadType"], "straight");
    }

    let rows = outcomes(&world.state_path());
    assert_eq!(rows.get("sent").copied(), Some(valid.len() as i64));
    assert_eq!(
        rows.get("rejected").copied(),
        Some(160 - valid.len() as i64)
    );
    assert_eq!(rows.get("pending"), None);

    // Bitrix24 is read in pages of 50: one request per page, plus one.
    let requests = world.crm.fake.requests();
    let lists = requests
        .iter()
        .map(|r| {
            usize::from(r.method == "crm.deal.list")
                + r.sub_calls.iter().filter(|c| *c == "crm.deal.list").count()
        })
        .sum::<usize>();
    assert_eq!(lists, 4, "160 deals = 3 full pages + 1 short page");
    assert!(
        requests.len() <= lists + 1,
        "{} requests for 160 deals",
        requests.len()
    );
    assert!(
        requests.iter().all(|r| r.status == 200),
        "no 503 provoked under the default limits"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rerun_sends_nothing_and_new_deals_only_them() {
    let data = deals(12, 60, 500);
    let first_valid = common::expected_ids(&data).len();
    let world = BitrixWorld::new(data).await;
    let (out, _) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(world.liner.received().len(), first_valid);

    let (out, summary) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(summary["sources"][0]["sent"], 0);
    assert_eq!(
        world.liner.received().len(),
        first_valid,
        "a rerun sent something"
    );

    let more = deals(13, 25, 600);
    let new_valid = common::expected_ids(&more);
    world.crm.fake.add_deals(more);
    let (out, summary) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(summary["sources"][0]["sent"], new_valid.len());
    let deliveries = world.deliveries();
    assert_eq!(deliveries.len(), first_valid + new_valid.len());
    assert!(deliveries.values().all(|&n| n == 1));
    for id in new_valid {
        assert_eq!(deliveries.get(&id), Some(&1), "new deal {id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deal_committed_late_with_a_lower_id_is_still_sent() {
    let mut data = deals(14, 40, 2000);
    // Keep one id back, as if its transaction committed after the others.
    let late = data.deals.remove(20);
    let late_id = late.id.to_string();
    let late_contacts: Vec<_> = data
        .contacts
        .iter()
        .filter(|c| late.contact_ids.contains(&c.id))
        .cloned()
        .collect();
    let world = BitrixWorld::new(data).await;
    let (out, _) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert!(!world.deliveries().contains_key(&late_id));

    let mut late_data = liner_sync_emulator::DataSet::empty();
    let must_arrive = late.expected.phone.is_some();
    late_data.deals.push(late);
    late_data.contacts = late_contacts;
    world.crm.fake.add_deals(late_data);
    let (out, _) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let deliveries = world.deliveries();
    if must_arrive {
        assert_eq!(deliveries.get(&late_id), Some(&1));
    } else {
        let conn = rusqlite::Connection::open(world.state_path()).unwrap();
        let outcome: String = conn
            .query_row(
                "SELECT outcome FROM deals WHERE deal_id = ?1",
                [&late_id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(outcome, "rejected");
    }
    assert!(deliveries.values().all(|&n| n == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_liner_5xx_and_bitrix_503s_everything_arrives_once() {
    let data = deals(15, 150, 3000);
    let valid = common::expected_ids(&data);
    let world = BitrixWorld::new(data).await;
    for (faults, seed) in [(world.liner.faults(), 3), (world.crm.fake.faults(), 4)] {
        faults.set_seed(seed);
        faults.set_error_rate(0.10);
        faults.set_html_rate(0.03);
        faults.set_malformed_rate(0.03);
    }

    let mut runs = 0;
    loop {
        runs += 1;
        let (out, _) = world.run_json().await;
        let code = out.status.code();
        if code == Some(0) {
            break;
        }
        assert_eq!(
            code,
            Some(4),
            "only 'incomplete' is acceptable: {:?}",
            text(&out)
        );
        assert!(runs < 5, "still incomplete after {runs} runs");
    }
    let deliveries = world.deliveries();
    assert_eq!(deliveries.len(), valid.len());
    assert!(deliveries.values().all(|&n| n == 1), "{deliveries:?}");
    let errors = world
        .liner
        .requests()
        .iter()
        .filter(|r| r.status >= 500)
        .count();
    assert!(errors > 0, "the fault knob injected nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_prints_leads_and_sends_and_writes_nothing() {
    let data = deals(16, 30, 100);
    let valid = common::expected_ids(&data);
    let world = BitrixWorld::new(data).await;
    let out = world.run(&["run", "--dry-run"]).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let (stdout, stderr) = text(&out);
    let leads: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(leads.len(), valid.len());
    assert!(
        leads
            .iter()
            .all(|l| l["orderId"] == 101 && l["phone"].is_string())
    );
    assert!(stderr.contains("would be rejected"), "{stderr}");
    assert!(world.liner.received().is_empty());
    assert!(
        !world.state_path().exists(),
        "a dry run created the state file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_liner_key_stops_the_run_marks_nothing_and_the_next_run_delivers_all() {
    let data = deals(17, 45, 700);
    let valid = common::expected_ids(&data);
    let world = BitrixWorld::new(data).await;
    world.liner.faults().set_auth_broken(true);
    let out = world.run(&["run"]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stdout.contains("check liner.api_key"), "{stdout}");
    let rows = outcomes(&world.state_path());
    assert_eq!(rows.get("sent"), None);
    assert_eq!(rows.get("pending"), None);
    assert_eq!(rows.get("failed"), None);

    world.liner.faults().set_auth_broken(false);
    let (out, _) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let deliveries = world.deliveries();
    assert_eq!(deliveries.len(), valid.len());
    assert!(deliveries.values().all(|&n| n == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_webhook_stops_the_run_with_a_clear_message() {
    let world = BitrixWorld::new(deals(18, 10, 1)).await;
    world.crm.fake.faults().set_auth_broken(true);
    let out = world.run(&["run"]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stdout.contains("webhook"), "{stdout}");
    assert!(world.liner.received().is_empty());
    assert!(!stdout.contains(common::WEBHOOK_CODE) && !stderr.contains(common::WEBHOOK_CODE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_work_saves_and_exits() {
    let data = deals(20, 80, 5000);
    let valid = common::expected_ids(&data);
    let world = BitrixWorld::new(data).await;
    world.liner.faults().set_latency(Duration::from_millis(40));
    let child = world.command(&["run"]).spawn().unwrap();
    for _ in 0..400 {
        if world.liner.received().len() >= 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let out = common::finish(child).await;
    assert_eq!(out.status.code(), Some(130), "{:?}", text(&out));
    let rows = outcomes(&world.state_path());
    assert_eq!(
        rows.get("pending"),
        None,
        "in-flight work was not finished: {rows:?}"
    );
    assert!(world.liner.received().len() < valid.len());

    world.liner.faults().set_latency(Duration::ZERO);
    let (out, _) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let deliveries = world.deliveries();
    assert_eq!(deliveries.len(), valid.len());
    assert!(
        deliveries.values().all(|&n| n == 1),
        "SIGTERM must not cause duplicates"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_the_same_state_refuses() {
    let world = BitrixWorld::new(deals(21, 60, 6000)).await;
    world.liner.faults().set_latency(Duration::from_millis(50));
    let first = world.command(&["run"]).spawn().unwrap();
    for _ in 0..400 {
        if !world.liner.received().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let second = world.run(&["run"]).await;
    let (_, stderr) = text(&second);
    assert_eq!(second.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("another liner-sync process"), "{stderr}");
    world.liner.faults().set_latency(Duration::ZERO);
    let out = common::finish(first).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_start_from_the_first_run_only_records_where_it_is() {
    let tuning = Tuning {
        start_from: Some(String::new()),
        ..Tuning::default()
    };
    let world = BitrixWorld::with(deals(22, 30, 800), tuning).await;

    let out = world.run(&["run"]).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("first run without start_from"), "{stdout}");
    assert!(world.liner.received().is_empty());

    let more = common::deals_from_now(23, 5, 900);
    let valid = common::expected_ids(&more);
    world.crm.fake.add_deals(more);
    let (out, _) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let mut got: Vec<String> = world.deliveries().into_keys().collect();
    got.sort();
    let mut want = valid;
    want.sort();
    assert_eq!(got, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_cursor_counts_and_problems() {
    let data = deals(24, 40, 300);
    let valid = common::expected_ids(&data).len();
    let last_id = common::max_id(&data);
    let world = BitrixWorld::new(data).await;
    world.run(&["run"]).await;
    let out = world.run(&["status", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let status = parse_json(&out);
    let source = &status["sources"][0];
    assert_eq!(source["name"], "b24");
    assert_eq!(source["counts"]["sent"], valid);
    assert_eq!(source["counts"]["rejected"], 40 - valid);
    assert_eq!(source["cursor"]["last_id"], last_id);
    assert_eq!(source["last_pass"]["fetched"], 40);
    let problems = source["recent_problems"].as_array().unwrap();
    assert!(!problems.is_empty());
    assert!(
        problems
            .iter()
            .all(|p| p["reason"].as_str().unwrap().starts_with("no valid phone"))
    );

    let out = world.run(&["status"]).await;
    let (stdout, _) = text(&out);
    assert!(stdout.contains(&format!("{valid} sent")), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_verifies_sources_liner_and_orders() {
    let world = BitrixWorld::new(deals(25, 5, 1)).await;
    let out = world.run(&["check"]).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("ok   source b24 (bitrix24)"), "{stdout}");
    assert!(stdout.contains("Liner order 101 'main' exists"), "{stdout}");

    world.write_config(&Tuning {
        source: vec!["lead: { order_id: 999 }".into()],
        ..Tuning::default()
    });
    let out = world.run(&["check"]).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("no active order with id 999"), "{stdout}");

    world.write_config(&Tuning::default());
    world.liner.faults().set_auth_broken(true);
    let out = world.run(&["check"]).await;
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("FAIL liner"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_errors_name_the_line_and_exit_2() {
    let world = BitrixWorld::new(deals(26, 1, 1)).await;
    let config = std::fs::read_to_string(&world.config).unwrap();
    std::fs::write(
        &world.config,
        config.replace("rate_limit: 2000/s", "rate_limit: quickly"),
    )
    .unwrap();
    let out = world.run(&["run"]).await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("sync.yaml:4:"), "{stderr}");
    assert!(stderr.contains("'quickly' is not a rate"), "{stderr}");

    std::fs::write(
        &world.config,
        config.replace("${E2E_WEBHOOK}", "${E2E_NOT_SET_ANYWHERE}"),
    )
    .unwrap();
    let out = world.run(&["run"]).await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("E2E_NOT_SET_ANYWHERE is not set"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liners_refusals_are_recorded_with_its_message_and_the_run_goes_on() {
    let data = deals(28, 30, 100);
    let valid = common::expected_ids(&data);
    let world = BitrixWorld::with(
        data,
        Tuning {
            source: vec!["lead: { order_id: 999, order_code: nowhere }".into()],
            ..Tuning::default()
        },
    )
    .await;
    world.liner.faults().set_reject_with_200(true);
    let (out, summary) = world.run_json().await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "rejections are recorded, not errors: {:?}",
        text(&out)
    );
    assert_eq!(summary["sources"][0]["rejected"], 30);
    assert!(world.liner.received().is_empty());
    let conn = rusqlite::Connection::open(world.state_path()).unwrap();
    let id = &valid[0];
    let (outcome, reason): (String, String) = conn
        .query_row(
            "SELECT outcome, last_error FROM deals WHERE deal_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(outcome, "rejected");
    assert!(
        reason.starts_with("liner: ") && reason.contains("order"),
        "{reason}"
    );

    let (_, again) = world.run_json().await;
    assert_eq!(again["sources"][0]["sent"], 0, "rejected deals are final");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_liner_rate_limit_is_kept_and_no_429_is_provoked() {
    let data = deals(29, 60, 100);
    let valid = common::expected_ids(&data);
    let tuning = Tuning {
        liner: vec!["rate_limit: 25/s".into()],
        liner_server_rate: Some(25.0),
        ..Tuning::default()
    };
    let world = BitrixWorld::with(data, tuning).await;
    let started = std::time::Instant::now();
    let (out, _) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(world.deliveries().len(), valid.len());
    let too_many = world
        .liner
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .count();
    assert_eq!(
        too_many, 0,
        "liner-sync provoked 429s at its own configured rate"
    );
    // 25/s with a burst of one: the last of N leads cannot go before (N-1)/25 s.
    let floor = Duration::from_secs_f64((valid.len() - 1) as f64 / 25.0);
    assert!(
        started.elapsed() >= floor,
        "faster than the configured rate"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_mode_stores_liners_lead_ids() {
    let data = deals(30, 20, 100);
    let valid = common::expected_ids(&data);
    let world = BitrixWorld::with(
        data,
        Tuning {
            liner: vec!["mode: sync".into()],
            ..Tuning::default()
        },
    )
    .await;
    let (out, _) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let received = world.liner.received();
    assert!(received.iter().all(|l| l.sync));
    let conn = rusqlite::Connection::open(world.state_path()).unwrap();
    for lead in &received {
        let deal = lead.body["externalIdBitrix24"].as_str().unwrap();
        let stored: String = conn
            .query_row(
                "SELECT lead_id FROM deals WHERE deal_id = ?1",
                [deal],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(stored, lead.lead_id.to_string());
    }
    assert_eq!(received.len(), valid.len());
}
