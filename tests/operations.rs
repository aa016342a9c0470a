//! End to end, the operations commands against the Bitrix24 and Liner
//! emulators: backfill, watch with its metrics, failed and retry-failed.

mod common;

use common::{BitrixWorld, Crm, Tuning, deals, deals_after, expected_ids, parse_json, text};
use liner_sync_emulator::DataSet;
use std::collections::HashSet;
use std::process::Output;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The cursor stored under `key`, as JSON text.
fn cursor(world: &BitrixWorld, key: &str) -> Option<String> {
    let conn = rusqlite::Connection::open(world.state_path()).unwrap();
    conn.query_row("SELECT cursor FROM cursors WHERE source = ?1", [key], |r| {
        r.get(0)
    })
    .ok()
}

/// RFC 3339 of the creation time of the `n`th generated deal.
fn created(data: &DataSet, n: usize) -> String {
    data.deals[n].created.to_utc().to_rfc3339()
}

/// Sends SIGTERM to a running liner-sync.
fn terminate(child: &tokio::process::Child) {
    let pid = child.id().expect("still running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_keeps_the_live_cursor_and_resumes_where_it_stopped() {
    let data = deals(51, 140, 1000);
    let (from, to) = (created(&data, 0), created(&data, 100));
    let window: HashSet<String> = data.deals[..100].iter().map(|d| d.id.to_string()).collect();
    let valid = expected_ids(&data);
    let in_window: Vec<&String> = valid.iter().filter(|id| window.contains(*id)).collect();
    let tuning = Tuning {
        liner: vec!["max_in_flight: 4".into()],
        ..Tuning::default()
    };
    let world = BitrixWorld::with(data, tuning).await;
    world.liner.faults().set_latency(Duration::from_millis(40));

    let args = ["backfill", "--source", "b24", "--from", &from, "--to", &to];
    let child = world.command(&args).spawn().unwrap();
    world.wait_for_leads(55).await;
    terminate(&child);
    let out = common::finish(child).await;
    assert_eq!(out.status.code(), Some(130), "{:?}", text(&out));
    let key = format!("b24@backfill:{}..{}", at_z(&from), at_z(&to));
    assert!(
        cursor(&world, &key).is_some(),
        "the finished prefix is saved"
    );
    assert_eq!(
        cursor(&world, "b24"),
        None,
        "the live cursor is not touched"
    );
    let first = world.liner.received().len();
    assert!(first < in_window.len(), "stopped before the end ({first})");

    world.liner.faults().set_latency(Duration::ZERO);
    let out = world.run(&[&args[..], &["--json"]].concat()).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let summary = parse_json(&out);
    assert_eq!(summary["sources"][0]["sent"], in_window.len() - first);
    let deliveries = world.deliveries();
    assert_eq!(deliveries.len(), in_window.len(), "only the window");
    assert!(in_window.iter().all(|id| deliveries.get(*id) == Some(&1)));
    assert_eq!(cursor(&world, "b24"), None);

    // The live pass sends the rest and skips what the backfill sent.
    let (out, summary) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(summary["sources"][0]["sent"], valid.len() - in_window.len());
    assert!(world.deliveries().values().all(|&n| n == 1));

    let status = world.run(&["status", "--json"]).await;
    let status = parse_json(&status);
    let backfills = &status["sources"][0]["backfills"];
    assert_eq!(backfills[0]["window"], key.split_once(":").unwrap().1);
}

/// `2026-11-02T06:00:00+00:00` as the backfill key writes it.
fn at_z(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// GET `path` from 127.0.0.1:`port`; the body.
async fn get(port: u16, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    reply
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

/// The sum of the samples of `name` whose labels include every one of `labels`.
fn metric(text: &str, name: &str, labels: &[&str]) -> u64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .filter(|l| labels.iter().all(|want| l.contains(want)))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|v| v as u64)
        .sum()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_polls_serves_metrics_that_match_the_emulators_and_stops_on_sigterm() {
    let data = deals(61, 70, 1000);
    let more = deals_after(&data, 62, 20, 5000);
    let valid = expected_ids(&data).len() + expected_ids(&more).len();
    let tuning = Tuning {
        source: vec!["poll_interval: 300ms".into()],
        ..Tuning::default()
    };
    let world = BitrixWorld::with(data, tuning).await;
    // A second source whose portal is down: it must not hold up the first.
    let mut config = std::fs::read_to_string(&world.config).unwrap();
    config.push_str(
        "  - name: down\n    kind: bitrix24\n    webhook_url: http://127.0.0.1:9/rest/1/x/\n    \
         start_from: 2026-11-01\n    poll_interval: 300ms\n    max_attempts: 1\n",
    );
    std::fs::write(&world.config, config).unwrap();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let child = world
        .command(&["watch", "--metrics-addr", &addr])
        .spawn()
        .unwrap();
    world
        .wait_for_leads(valid - expected_ids(&more).len())
        .await;
    world.crm.add(more);
    world.wait_for_leads(valid).await;
    assert_eq!(
        world.liner.received().len(),
        valid,
        "new deals are picked up"
    );

    let mut metrics = String::new();
    for _ in 0..50 {
        metrics = get(port, "/metrics").await;
        if metric(
            &metrics,
            "liner_sync_passes_total",
            &["result=\"complete\""],
        ) >= 4
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(get(port, "/healthz").await, "ok\n");
    assert_eq!(
        metric(&metrics, "liner_sync_leads_sent_total", &["source=\"b24\""]),
        valid as u64
    );
    // Between passes, every request the emulators answered has been counted.
    let mut matched = false;
    for _ in 0..30 {
        let before = world.crm.fake.requests().len();
        metrics = get(port, "/metrics").await;
        let after = world.crm.fake.requests().len();
        // The emulator never sees the down source's attempts (status "error").
        let counted = metric(
            &metrics,
            "liner_sync_http_requests_total",
            &["target=\"bitrix24\""],
        ) - metric(
            &metrics,
            "liner_sync_http_requests_total",
            &["target=\"bitrix24\"", "status=\"error\""],
        );
        if before == after && counted == after as u64 {
            matched = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(70)).await;
    }
    assert!(
        matched,
        "bitrix24 requests: the emulator saw {}, metrics say\n{metrics}",
        world.crm.fake.requests().len()
    );
    let liner_requests = world.liner.requests().len() as u64;
    assert_eq!(
        metric(
            &metrics,
            "liner_sync_http_requests_total",
            &["target=\"liner\""]
        ),
        liner_requests
    );
    assert_eq!(
        metric(
            &metrics,
            "liner_sync_http_requests_total",
            &["target=\"liner\"", "status=\"2xx\""]
        ),
        valid as u64
    );
    assert!(
        metrics.contains("liner_sync_cursor_lag_seconds{source=\"b24\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("liner_sync_last_success_timestamp_seconds{source=\"b24\"}"));
    let down = ["source=\"down\"", "result=\"incomplete\""];
    assert!(
        metric(&metrics, "liner_sync_passes_total", &down) >= 1,
        "{metrics}"
    );
    assert!(!metrics.contains("liner_sync_cursor_lag_seconds{source=\"down\"}"));

    let started = std::time::Instant::now();
    terminate(&child);
    let out: Output = common::finish(child).await;
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(stderr.contains("pass finished"), "{stderr}");
    assert!(stderr.contains("cursor="), "{stderr}");
    assert!(
        stderr.contains("backing off"),
        "the failing source backs off: {stderr}"
    );
    assert!(world.deliveries().values().all(|&n| n == 1));
    for secret in world.secrets() {
        assert!(!stderr.contains(&secret), "a secret in the log");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_failed_resends_exactly_the_dead_letters_once_fixed() {
    // Each deal read again costs Bitrix24 two requests; few enough to stay
    // within the portal's burst.
    let data = deals(71, 12, 1000);
    let later = deals_after(&data, 72, 12, 5000);
    let first_valid = expected_ids(&data);
    let later_valid = expected_ids(&later);
    let world = BitrixWorld::new(data).await;
    let out = world.run(&["run"]).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));

    // Liner refuses the next deals' leads: an order it does not have.
    world.crm.add(later);
    let bad_order = Tuning {
        source: vec!["lead: { order_id: 999, order_code: nowhere }".into()],
        ..Tuning::default()
    };
    world.write_config(&bad_order);
    let out = world.run(&["run"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "rejections are not errors: {:?}",
        text(&out)
    );
    assert_eq!(world.liner.received().len(), first_valid.len());

    let failed = parse_json(&world.run(&["failed", "--json"]).await);
    let letters = failed.as_array().unwrap();
    let refused: Vec<&str> = letters
        .iter()
        .filter(|l| l["reason"] == "refused by Liner")
        .map(|l| l["deal_id"].as_str().unwrap())
        .collect();
    assert_eq!(refused.len(), later_valid.len(), "{failed:#}");
    assert!(
        letters
            .iter()
            .all(|l| l["outcome"] == "rejected" && l["at"].is_string())
    );
    assert!(
        letters
            .iter()
            .any(|l| l["message"].as_str().unwrap_or("").contains("orderId")),
        "{failed:#}"
    );

    // One by id first, then the rest.
    world.write_config(&Tuning::default());
    let out = world.run(&["retry-failed", "--id", refused[0]]).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(world.liner.received().len(), first_valid.len() + 1);
    let out = world.run(&["retry-failed", "--source", "b24"]).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let (stdout, _) = text(&out);
    assert!(
        stdout.contains(&format!("{} sent", later_valid.len() - 1)),
        "{stdout}"
    );

    let deliveries = world.deliveries();
    assert_eq!(deliveries.len(), first_valid.len() + later_valid.len());
    assert!(deliveries.values().all(|&n| n == 1), "nothing sent twice");
    let left = parse_json(&world.run(&["failed", "--json"]).await);
    assert!(
        left.as_array()
            .unwrap()
            .iter()
            .all(|l| l["reason"] != "refused by Liner"),
        "only deals without a phone stay: {left:#}"
    );
}
