//! The source against a scripted MACRO (wiremock): what each request
//! carries, how pages are walked in every style, and how failures read.

use crate::config::{MacroConfig, Method};
use crate::sign::token;
use crate::source::MacroSource;
use liner_sync_core::config::Secret;
use liner_sync_core::records::Paging;
use liner_sync_core::{
    Continuation, CrmSource, Cursor, ErrorKind, NothingSeen, Page, Result, SourceContext, StartFrom,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const DOMAIN: &str = "вашсайт.рф";
const SECRET: &str = "app-s3cret-wire";
const COMPANY: &str = "c0mpany-t0ken-wire";
const PATH: &str = "/estate/request/get/";

fn record(id: u64, minute: u32) -> Value {
    json!({"id": id, "created_at": format!("2026-11-02 09:{minute:02}:00"),
           "contacts": [{"name": "Иван", "phones": [format!("8 900 000-00-{:02}", id % 100)]}]})
}

fn config(server: &MockServer) -> MacroConfig {
    let mut c = MacroConfig::new(&server.uri(), DOMAIN, Secret::new(SECRET));
    c.params
        .insert("company_token".into(), Secret::new(COMPANY));
    c.rate_limit = liner_sync_core::config::Rate::Unlimited;
    c
}

fn source(c: MacroConfig) -> MacroSource {
    let context = SourceContext {
        vault: Arc::new(liner_sync_core::state::StateStore::in_memory().unwrap()),
    };
    MacroSource::new("macro", c, &context).unwrap()
}

/// The parameters of a request, from its query or its form body.
fn params(request: &Request) -> HashMap<String, String> {
    let mut all: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
    let body = String::from_utf8_lossy(&request.body);
    if let Ok(form) = reqwest::Url::parse(&format!("http://form/?{body}")) {
        all.extend(form.query_pairs().into_owned());
    }
    all
}

fn start() -> Cursor {
    Cursor(json!({"start": "2026-11-01T00:00:00Z", "newest": null}))
}

async fn fetch(s: &MacroSource, cursor: &Cursor, c: Option<&Continuation>) -> Result<Page> {
    s.fetch_at(cursor, c, &NothingSeen)
        .await
        .map_err(|e| e.context("source macro"))
}

/// Every page of one pass, and the ids read.
async fn pass(s: &MacroSource) -> (Vec<Page>, Vec<String>) {
    let cursor = start();
    let mut pages = Vec::new();
    let mut next = None;
    loop {
        let page = fetch(s, &cursor, next.as_ref()).await.unwrap();
        next = page.next.clone();
        pages.push(page);
        if next.is_none() || pages.len() > 20 {
            break;
        }
    }
    let ids = pages
        .iter()
        .flat_map(|p| &p.deals)
        .map(|d| d.id.clone())
        .collect();
    (pages, ids)
}

/// Answers `GET`/`POST` on PATH with what `reply` makes of the parameters.
async fn serve(
    server: &MockServer,
    reply: impl Fn(&HashMap<String, String>) -> Value + Send + Sync + 'static,
) {
    Mock::given(path(PATH))
        .respond_with(move |r: &Request| {
            ResponseTemplate::new(200).set_body_json(reply(&params(r)))
        })
        .mount(server)
        .await;
}

fn page_of(all: &[Value], from: usize, limit: usize) -> Value {
    json!({"success": true, "data": all.iter().skip(from).take(limit).cloned().collect::<Vec<_>>()})
}

fn number(p: &HashMap<String, String>, key: &str, default: usize) -> usize {
    p.get(key).and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::test]
async fn every_request_is_signed_and_carries_the_params() {
    for verb in [Method::Get, Method::Post] {
        let server = MockServer::start().await;
        serve(&server, |_| json!({"data": [record(1, 0)]})).await;
        let mut c = config(&server);
        c.method = verb;
        let (_, ids) = pass(&source(c)).await;
        assert_eq!(ids, vec!["1"]);
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 1);
        let r = &requests[0];
        assert_eq!(
            r.method.as_str(),
            if verb == Method::Get { "GET" } else { "POST" }
        );
        let p = params(r);
        assert_eq!(p["domain"], DOMAIN);
        assert_eq!(p["company_token"], COMPANY);
        assert_eq!((p["page"].as_str(), p["limit"].as_str()), ("1", "100"));
        let time: i64 = p["time"].parse().unwrap();
        assert!((time - chrono::Utc::now().timestamp()).abs() < 5);
        assert_eq!(p["token"], token(DOMAIN, time, SECRET));
        assert!(
            !p.values().any(|v| v == SECRET),
            "the secret itself is never sent"
        );
    }
}

#[tokio::test]
async fn each_retry_is_signed_with_the_current_time() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    serve(&server, |_| json!({"data": []})).await;
    let clock = Arc::new(AtomicI64::new(1_800_000_000));
    let tick = clock.clone();
    let s = source(config(&server))
        .with_client(|c| c.with_clock(Arc::new(move || tick.fetch_add(100, Ordering::SeqCst))));
    pass(&s).await;
    let times: Vec<(String, String)> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let p = params(r);
            (p["time"].clone(), p["token"].clone())
        })
        .collect();
    assert_eq!(times.len(), 3);
    for (i, (time, sent)) in times.iter().enumerate() {
        assert_eq!(time, &(1_800_000_000 + 100 * i as i64).to_string());
        assert_eq!(sent, &token(DOMAIN, time.parse().unwrap(), SECRET));
    }
}

/// A page cut off mid-reply (a dropped connection behind a 200) is retried
/// like a 5xx; it used to leave the client as a page and stop the pass.
#[tokio::test]
async fn a_page_cut_off_mid_reply_is_retried() {
    for cut in [
        r#"{"succe"#,
        r#"{"success": true, "data": [{"id": 1, "#,
        "[{\"id\": 1}",
    ] {
        let server = MockServer::start().await;
        Mock::given(path(PATH))
            .respond_with(ResponseTemplate::new(200).set_body_string(cut))
            .up_to_n_times(2)
            .mount(&server)
            .await;
        serve(&server, |_| json!({"data": [record(1, 0), record(2, 1)]})).await;
        let (pages, ids) = pass(&source(config(&server))).await;
        assert_eq!(ids, vec!["1", "2"], "{cut}");
        assert_eq!(pages.len(), 1);
        assert_eq!(server.received_requests().await.unwrap().len(), 3, "{cut}");
    }
}

#[tokio::test]
async fn each_paging_style_reads_everything_once() {
    let all: Vec<Value> = (1..=25).map(|i| record(i, i as u32)).collect();
    let want: Vec<String> = (1..=25).map(|i| i.to_string()).collect();
    let styles = [
        (json!({"style": "page_limit", "limit": 10}), 3),
        (json!({"style": "page_limit", "limit": 5}), 6),
        (json!({"style": "offset_limit", "limit": 10}), 3),
        (
            json!({"style": "since", "param": "created_from", "format": "local", "limit_param": "limit", "limit": 10}),
            3,
        ),
        (json!({"style": "none"}), 1),
    ];
    for (style, requests) in styles {
        let server = MockServer::start().await;
        let data = all.clone();
        serve(&server, move |p| {
            let limit = number(p, "limit", 1000);
            if let Some(from) = p.get("created_from") {
                let rest: Vec<Value> = data
                    .iter()
                    .filter(|r| r["created_at"].as_str().unwrap() >= from.as_str())
                    .cloned()
                    .collect();
                return page_of(&rest, 0, limit);
            }
            let from = number(p, "offset", number(p, "page", 1).saturating_sub(1) * limit);
            page_of(&data, from, limit)
        })
        .await;
        let mut c = config(&server);
        c.paging = serde_json::from_value::<Paging>(style.clone()).unwrap();
        let (pages, mut ids) = pass(&source(c)).await;
        ids.dedup();
        assert_eq!(ids, want, "{style}");
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            requests,
            "{style}"
        );
        assert!(
            pages[..pages.len() - 1].iter().all(|p| p.cursor == start()),
            "newest moves with the last page only"
        );
        assert_eq!(
            pages.last().unwrap().cursor.0["newest"],
            json!("2026-11-02T06:25:00Z"),
            "{style}"
        );
    }
}

#[tokio::test]
async fn an_api_that_ignores_paging_is_stopped() {
    let server = MockServer::start().await;
    serve(&server, |_| {
        page_of(&(1..=100).map(|i| record(i, 1)).collect::<Vec<_>>(), 0, 100)
    })
    .await;
    let s = source(config(&server));
    let first = fetch(&s, &start(), None).await.unwrap();
    let e = fetch(&s, &start(), first.next.as_ref()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData);
    assert!(e.message().contains("set paging:"), "{e}");
}

#[tokio::test]
async fn created_from_is_the_window_start_in_local_time() {
    let server = MockServer::start().await;
    serve(&server, |_| json!({"data": []})).await;
    let mut c = config(&server);
    c.created_from_param = Some("date_from".into());
    let s = source(c);
    let cursor = Cursor(json!({"start": "2026-11-01T00:00:00Z", "newest": "2026-11-02T06:30:00Z"}));
    fetch(&s, &cursor, None).await.unwrap();
    let p = params(&server.received_requests().await.unwrap()[0]);
    assert_eq!(
        p["date_from"], "2026-11-02 08:30:00",
        "newest − 1h, Moscow time"
    );
}

#[tokio::test]
async fn refusals_are_auth_errors_that_show_no_secret() {
    let server = MockServer::start().await;
    Mock::given(path(PATH))
        .respond_with(|r: &Request| {
            let p = params(r);
            ResponseTemplate::new(200).set_body_json(json!({"error": true,
                "message": format!("Неверная подпись: token {} для {} ({})", p["token"], SECRET, p["company_token"])}))
        })
        .mount(&server)
        .await;
    let s = source(config(&server));
    for result in [fetch(&s, &start(), None).await.map(|_| ()), s.check().await] {
        let e = result.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
        let shown = format!("{e} {e:?}");
        assert!(
            shown.contains("Неверная подпись") && shown.contains("source macro"),
            "{shown}"
        );
        assert!(
            !shown.contains(SECRET) && !shown.contains(COMPANY),
            "{shown}"
        );
        let sent = params(&server.received_requests().await.unwrap()[0]);
        assert!(!shown.contains(&sent["token"]), "{shown}");
    }
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "no retries"
    );
}

#[tokio::test]
async fn unreadable_records_are_skipped_and_a_missing_list_is_named() {
    let server = MockServer::start().await;
    serve(&server, |_| {
        json!({"data": [record(1, 0), {"id": 2, "created_at": "скоро"}, {"created_at": "2026-11-02 09:00:00"}]})
    })
    .await;
    let (pages, ids) = pass(&source(config(&server))).await;
    assert_eq!(ids, vec!["1"]);
    assert_eq!(pages.len(), 1);

    let server = MockServer::start().await;
    serve(&server, |_| json!({"items": []})).await;
    let e = fetch(&source(config(&server)), &start(), None)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidData);
    assert!(e.message().contains("set records:"), "{e}");
}

#[tokio::test]
async fn the_first_cursor_and_what_is_not_supported() {
    let server = MockServer::start().await;
    let s = source(config(&server));
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00+03:00")
        .unwrap()
        .to_utc();
    let c = s.initial_cursor(StartFrom::Date(at)).await.unwrap();
    assert_eq!(
        c.0,
        json!({"start": "2026-10-31T21:00:00Z", "newest": null})
    );
    assert_eq!(s.kind(), liner_sync_core::CrmKind::Macrocrm);
    assert!(!s.capabilities().fetch_by_id);
    assert_eq!(s.deal("5").await.unwrap_err().kind(), ErrorKind::Config);
    assert!(server.received_requests().await.unwrap().is_empty());
}
