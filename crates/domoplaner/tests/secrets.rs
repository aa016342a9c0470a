//! Neither the feed's token nor the leads API's token appears in any error,
//! `Debug` output or log line, even when a server echoes them back.
//!
//! Alone in its test binary: `tracing` caches whether a log line is wanted
//! per process, so tests logging without a subscriber in parallel could hide
//! lines from this one's.

#[allow(dead_code)]
#[path = "wire/account.rs"]
mod account;

use account::{API_TOKEN, FEED_TOKEN, cursor, deal, enrich, feed_path, harness_with, pass};
use liner_sync_core::{CrmSource, Error};
use std::io::Write;
use std::sync::{Arc, Mutex};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Log lines written while a test's subscriber is the default.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut lines) = self.0.lock() {
            lines.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .unwrap_or_default()
    }
}

fn assert_clean(what: &str, text: &str) {
    for secret in [FEED_TOKEN, API_TOKEN] {
        assert!(!text.contains(secret), "{what} shows a secret: {text}");
    }
}

fn error_text(err: &Error) -> String {
    let mut text = format!("{err} | {err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(&format!(" | {s} {s:?}"));
        source = s.source();
    }
    text
}

/// Replies that echo the request's URL and `Authorization` header.
fn echo(status: u16) -> impl Fn(&Request) -> ResponseTemplate {
    move |r: &Request| {
        let auth = r
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let seen = format!("{} {auth}", r.url);
        ResponseTemplate::new(status).set_body_raw(
            format!("<html><head><title>{status} {seen}</title></head><body>{seen}</body></html>"),
            "text/html",
        )
    }
}

async fn fail_all(server: &MockServer, on: &str, status: u16) {
    Mock::given(method("GET"))
        .and(path(on))
        .respond_with(echo(status))
        .with_priority(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn echoed_secrets_never_reach_errors_or_logs() {
    let lines = Lines::default();
    let writer = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let cases: [(&str, u16); 5] = [
        ("feed", 404),
        ("feed", 403),
        ("feed", 500),
        ("leads", 401),
        ("leads", 502),
    ];
    for (on, status) in cases {
        let feed = vec![deal(1, "2026-11-02 09:00:00", None)];
        let h = harness_with(feed, |c, uri| c.enrich = Some(enrich(uri))).await;
        let target = match on {
            "feed" => feed_path(),
            _ => "/api/leads/get-by-id".to_owned(),
        };
        fail_all(&h.server, &target, status).await;
        let what = format!("{on} {status}");
        let err = pass(&h.source, &cursor()).await.unwrap_err();
        assert_clean(&what, &error_text(&err));
        if let Err(e) = h.source.check().await {
            assert_clean(&what, &error_text(&e));
        }
        assert_clean(&what, &format!("{:?}", h.source));
    }
    let logged = lines.text();
    assert!(
        logged.contains("retrying"),
        "the retries were logged: {logged}"
    );
    assert_clean("the log", &logged);
}
