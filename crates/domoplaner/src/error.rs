//! Domoplaner replies turned into core [`Error`]s whose kind decides what the
//! engine does and whose message tells the operator what to do.
//!
//! Neither the feed nor the leads API documents its errors. The status
//! decides the kind; the body (an error page's title, the API's `text`)
//! only adds words, with every secret scrubbed from it first.

use liner_sync_core::http::Reply;
use liner_sync_core::{Error, ErrorKind};

use serde::de::IgnoredAny;
use serde_json::Value;
use std::time::Duration;

/// The name every error of this crate carries as its target.
pub(crate) const TARGET: &str = "domoplaner";

/// The wait after a 429 that names none.
const RATE_LIMIT_WAIT: Duration = Duration::from_secs(5);

/// The longest wait a 429 may ask for.
const RATE_LIMIT_WAIT_CAP: Duration = Duration::from_secs(120);

/// What to do when the feed is refused or gone.
pub(crate) const FEED_GONE: &str = "the feed URL is wrong or was deleted: create it again \
     under Settings → Integrations → Data export (Полный от сделок) and put the new URL in \
     feed_url";
const FEED_MOVED: &str = "the feed URL redirects elsewhere: open it in a browser and put the \
     address it ends at in feed_url";
const FEED_FAILED: &str = "Domoplaner failed to build the feed on its side";
const FEED_REFUSED: &str = "Domoplaner refused the feed request";
const API_REFUSED_TOKEN: &str = "the Domoplaner leads API refused enrich.token: check the token \
     (and that enrich.api_base is the API the token belongs to)";
const API_NOT_FOUND: &str = "no leads API at enrich.api_base: check the address";
const API_FAILED: &str = "the Domoplaner leads API failed on its side";
const API_REFUSED: &str = "the Domoplaner leads API refused the request";
const SLOW_DOWN: &str = "Domoplaner asked to slow down";

/// Which Domoplaner endpoint answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// The deals feed.
    Feed,
    /// `leads/get-by-id`, where a 404 only means "no such client".
    Leads,
}

/// Turns a non-success reply into an [`Error`], with `secrets` scrubbed from
/// its body before any words are taken from it.
pub(crate) fn from_reply(endpoint: Endpoint, reply: Reply, secrets: &[String]) -> Error {
    let reply = reply.redact(secrets.iter().map(String::as_str));
    let shown = match api_text(&reply.body) {
        Some(text) => text,
        None => reply.snippet(),
    };
    let origin = format!("HTTP {} {shown}", reply.status.as_u16());
    let with = |kind: ErrorKind, advice: &str| {
        Error::new(kind, format!("{origin}: {advice}")).with_target(TARGET)
    };
    let (feed, api) = (endpoint == Endpoint::Feed, endpoint == Endpoint::Leads);
    match reply.status.as_u16() {
        401 | 403 | 404 | 410 if feed => with(ErrorKind::Auth, FEED_GONE),
        401 | 403 if api => with(ErrorKind::Auth, API_REFUSED_TOKEN),
        404 | 405 if api => with(ErrorKind::Config, API_NOT_FOUND),
        429 => with(ErrorKind::RateLimited, SLOW_DOWN).with_retry_after(
            reply
                .retry_after
                .unwrap_or(RATE_LIMIT_WAIT)
                .clamp(Duration::from_secs(1), RATE_LIMIT_WAIT_CAP),
        ),
        408 | 500..=599 if feed => with(ErrorKind::Temporary, FEED_FAILED),
        408 | 500..=599 => with(ErrorKind::Temporary, API_FAILED),
        300..=399 if feed => with(ErrorKind::Config, FEED_MOVED),
        _ if feed => with(ErrorKind::InvalidData, FEED_REFUSED),
        _ => with(ErrorKind::InvalidData, API_REFUSED),
    }
}

/// The leads API's own error words: `{"status":"error","text":"…"}`.
pub(crate) fn api_text(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    if value.get("status").and_then(Value::as_str) != Some("error") {
        return None;
    }
    let text = value.get("text").and_then(Value::as_str).unwrap_or("");
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    Some(format!("\"{one_line}\"").chars().take(200).collect())
}

/// Why a 200 reply could not be read as the feed: an HTML page or JSON cut
/// short is temporary (proxies and dropped connections produce both);
/// anything else is not the feed.
pub(crate) fn unreadable_feed(reply: &Reply, why: &str, records: &str) -> Error {
    if reply.is_html() {
        return Error::temporary(format!(
            "an HTML page instead of the feed (HTTP {})",
            reply.status.as_u16()
        ))
        .with_target(TARGET);
    }
    // serde_json tells a cut-off number (`[1, -`) apart from a cut-off
    // value only when it reads values: the walk's own verdict counts too.
    let cut_short = why.starts_with("not JSON: EOF")
        || match serde_json::from_slice::<IgnoredAny>(&reply.body) {
            Err(e) => e.is_eof(),
            Ok(_) => false,
        };
    if cut_short {
        return Error::temporary(format!(
            "the feed ended early after {} bytes (a dropped connection?)",
            reply.body.len()
        ))
        .with_target(TARGET);
    }
    Error::invalid_data(format!(
        "the feed could not be read at records '{records}' ({why}); if the deals are elsewhere \
         in it, set records: to their path"
    ))
    .with_target(TARGET)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: None,
            location: None,
            body: body.as_bytes().to_vec(),
        }
    }

    const PAGE_404: &str =
        "<html><head><title>404 Not Found</title></head><body>nginx</body></html>";

    #[test]
    fn feed_errors_table() {
        use ErrorKind::*;
        let cases: &[(u16, &str, ErrorKind, &str)] = &[
            (
                404,
                PAGE_404,
                Auth,
                "HTTP 404 404 Not Found: the feed URL is wrong or was deleted",
            ),
            (403, "Forbidden", Auth, "Полный от сделок"),
            (401, "", Auth, "Settings → Integrations → Data export"),
            (410, "gone", Auth, "feed_url"),
            (
                429,
                "<html><title>429 Too Many Requests</title></html>",
                RateLimited,
                "slow down",
            ),
            (
                500,
                "<html><title>500 Internal Server Error</title></html>",
                Temporary,
                "on its side",
            ),
            (502, "", Temporary, "(empty body)"),
            (
                504,
                "<html><title>504 Gateway Time-out</title></html>",
                Temporary,
                "504 Gateway Time-out",
            ),
            (408, "", Temporary, "failed"),
            (301, "", Config, "redirects"),
            (400, "bad", InvalidData, "refused the feed"),
        ];
        for (status, body, kind, needle) in cases {
            let e = from_reply(Endpoint::Feed, reply(*status, body), &[]);
            assert_eq!(e.kind(), *kind, "{status}: {e}");
            assert_eq!(e.target(), Some(TARGET));
            assert!(e.message().contains(needle), "{status}: {e}");
            assert!(!e.message().contains('\n'), "{e}");
        }
    }

    #[test]
    fn leads_api_errors_table() {
        use ErrorKind::*;
        let not_found =
            r#"{"status":"error","text":"Клиента с таким номером телефона не найдено"}"#;
        let cases: &[(u16, &str, ErrorKind, &str)] = &[
            (
                401,
                r#"{"message":"Unauthenticated."}"#,
                Auth,
                "refused enrich.token",
            ),
            (403, "", Auth, "enrich.token"),
            (404, PAGE_404, Config, "check the address"),
            (429, "", RateLimited, "slow down"),
            (503, "", Temporary, "on its side"),
            (
                422,
                not_found,
                InvalidData,
                "\"Клиента с таким номером телефона не найдено\"",
            ),
        ];
        for (status, body, kind, needle) in cases {
            let e = from_reply(Endpoint::Leads, reply(*status, body), &[]);
            assert_eq!(e.kind(), *kind, "{status}: {e}");
            assert!(e.message().contains(needle), "{status}: {e}");
        }
    }

    #[test]
    fn waits_and_secrets() {
        let mut r = reply(429, "");
        assert_eq!(
            from_reply(Endpoint::Feed, r.clone(), &[]).retry_after(),
            Some(RATE_LIMIT_WAIT)
        );
        r.retry_after = Some(Duration::from_secs(3600));
        assert_eq!(
            from_reply(Endpoint::Feed, r.clone(), &[]).retry_after(),
            Some(RATE_LIMIT_WAIT_CAP)
        );
        let echo = reply(
            500,
            "<html><title>no feed /feeds/s3cr3t-t0ken.json</title></html>",
        );
        let e = from_reply(Endpoint::Feed, echo, &["s3cr3t-t0ken".to_owned()]);
        assert!(!e.message().contains("s3cr3t"), "{e}");
        assert!(e.message().contains("[redacted]"), "{e}");
    }

    #[test]
    fn unreadable_feeds_are_told_apart() {
        let e = unreadable_feed(
            &reply(200, "<!DOCTYPE html><html>login</html>"),
            "x",
            "deals",
        );
        assert_eq!(e.kind(), ErrorKind::Temporary);
        for cut in [r#"{"deals": [{"id": 1}, {"id""#, "", "  "] {
            let e = unreadable_feed(&reply(200, cut), "not JSON", "deals");
            assert_eq!(e.kind(), ErrorKind::Temporary, "{cut:?}: {e}");
        }
        // Cut off right after a minus sign: serde_json calls that an invalid
        // number when skipping values, EOF when reading them (found by the
        // property in scan.rs).
        let e = unreadable_feed(
            &reply(200, r#"{"deals":[[-"#),
            "not JSON: EOF while parsing a value at line 1 column 12",
            "deals",
        );
        assert_eq!(e.kind(), ErrorKind::Temporary, "{e}");
        assert!(e.message().contains("ended early"), "{e}");
        for broken in ["deals,", r#"{"items": []}"#, "{]"] {
            let e = unreadable_feed(&reply(200, broken), "no records at 'deals'", "deals");
            assert_eq!(e.kind(), ErrorKind::InvalidData, "{broken}: {e}");
            assert!(e.message().contains("set records:"), "{e}");
            assert!(e.message().contains("'deals'"), "{e}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_reply_becomes_a_one_line_error(status in 300u16..600, body in crate::testing::body()) {
            for endpoint in [Endpoint::Feed, Endpoint::Leads] {
                let e = from_reply(endpoint, liner_sync_core::testing::reply(status, body.clone()), &[]);
                proptest::prop_assert_eq!(e.target(), Some(TARGET));
                proptest::prop_assert!(!e.message().contains('\n'));
            }
            let e = unreadable_feed(&liner_sync_core::testing::reply(200, body), "not JSON", "deals");
            proptest::prop_assert_eq!(e.target(), Some(TARGET));
            proptest::prop_assert!(!e.message().contains('\n'));
        }
    }
}
