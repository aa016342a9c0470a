//! Sending a request and reading the reply defensively: transport errors
//! without URLs (a URL can hold a webhook secret), size-capped bodies, HTML
//! error pages and broken JSON recognised as such.

use crate::{Error, ErrorKind, Result};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Replies larger than this are refused rather than read into memory.
pub const MAX_REPLY_BYTES: usize = 256 * 1024 * 1024;

/// A reply read in full.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// The `Retry-After` header, if the server sent one we understand.
    pub retry_after: Option<Duration>,
    /// The `Location` header, for redirects.
    pub location: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

/// Sends `request` and reads the whole reply. Network failures and timeouts
/// come back as [`ErrorKind::Temporary`] errors that name `target`.
pub async fn send(request: RequestBuilder, target: &'static str) -> Result<Reply> {
    send_with_headers(request, target)
        .await
        .map(|(reply, _)| reply)
}

/// [`send`], also returning the reply's headers (for the server's `Date` and
/// the like).
pub async fn send_with_headers(
    request: RequestBuilder,
    target: &'static str,
) -> Result<(Reply, HeaderMap)> {
    let response = request.send().await.map_err(|e| {
        crate::telemetry::http_request(target, None);
        transport_error(e, target)
    })?;
    let status = response.status();
    crate::telemetry::http_request(target, Some(status.as_u16()));
    let headers = response.headers().clone();
    let mut response = response;
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(e, target))?
    {
        if body.len() + chunk.len() > MAX_REPLY_BYTES {
            return Err(Error::invalid_data(format!(
                "reply larger than {} MiB refused (HTTP {status})",
                MAX_REPLY_BYTES / (1024 * 1024)
            ))
            .with_target(target));
        }
        body.extend_from_slice(&chunk);
    }
    let reply = Reply {
        status,
        retry_after: retry_after(&headers),
        location: headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body,
    };
    Ok((reply, headers))
}

impl Reply {
    /// True when the body is an HTML page (an error page of a proxy or server).
    pub fn is_html(&self) -> bool {
        let start =
            String::from_utf8_lossy(&self.body[..self.body.len().min(512)]).to_ascii_lowercase();
        let start = start.trim_start();
        start.starts_with("<!doctype html")
            || start.starts_with("<html")
            || start.starts_with("<?xml")
            || start.starts_with("<head")
            || start.starts_with("<body")
    }

    /// The body parsed as JSON. An HTML page or broken JSON is a temporary
    /// error (proxies and overloaded servers produce both); JSON of the wrong
    /// shape is [`ErrorKind::InvalidData`].
    pub fn json<T: DeserializeOwned>(&self, target: &'static str) -> Result<T> {
        if self.is_html() {
            return Err(Error::temporary(format!(
                "HTML page instead of JSON (HTTP {}): {}",
                self.status,
                self.snippet()
            ))
            .with_target(target));
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            let kind = if e.is_syntax() || e.is_eof() {
                ErrorKind::Temporary
            } else {
                ErrorKind::InvalidData
            };
            let what = if self.body.is_empty() {
                "empty reply"
            } else if kind == ErrorKind::Temporary {
                "malformed JSON"
            } else {
                "unexpected JSON"
            };
            Error::new(kind, format!("{what} (HTTP {}): {e}", self.status)).with_target(target)
        })
    }

    /// The reply with every one of `secrets` in its body replaced by
    /// `[redacted]`. Done before any of the body is cut into a message: a cut
    /// could leave part of a secret that no longer matches.
    pub fn redact<'a>(mut self, secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let text = String::from_utf8_lossy(&self.body);
        let found: Vec<&str> = secrets
            .into_iter()
            .filter(|s| !s.is_empty() && text.contains(s))
            .collect();
        if found.is_empty() {
            return self;
        }
        let mut clean = text.into_owned();
        for secret in found {
            clean = clean.replace(secret, "[redacted]");
        }
        self.body = clean.into_bytes();
        self
    }

    /// The start of the body as one line of text, for error messages. For an
    /// HTML page, its `<title>` when it has one.
    pub fn snippet(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let lower = text.to_ascii_lowercase();
        let title = lower.find("<title>").and_then(|s| {
            lower[s + 7..]
                .find("</title>")
                .map(|e| &text[s + 7..s + 7 + e])
        });
        let shown = title.unwrap_or(&text);
        let one_line: String = shown.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut cut: String = one_line.chars().take(160).collect();
        if cut.len() < one_line.len() {
            cut.push('…');
        }
        if cut.is_empty() {
            "(empty body)".into()
        } else {
            cut
        }
    }
}

/// A transport failure as a temporary error naming `target`, with the URL
/// removed and the root cause kept.
pub fn transport_error(err: reqwest::Error, target: &'static str) -> Error {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else if err.is_body() || err.is_decode() {
        "connection broke while reading the reply"
    } else if err.is_redirect() {
        "too many redirects"
    } else {
        "request failed"
    };
    let err = err.without_url();
    let mut cause = String::new();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    let message = if cause.is_empty() {
        what.to_owned()
    } else {
        format!("{what}: {cause}")
    };
    Error::temporary(message).with_target(target)
}

/// `Retry-After` as seconds or an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(24 * 3600)));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    wait.to_std()
        .ok()
        .map(|d| d.min(Duration::from_secs(24 * 3600)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: None,
            location: None,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn html_pages_are_temporary_and_show_their_title() {
        let r = reply(
            502,
            "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
        );
        let e = r.json::<serde_json::Value>("bitrix24").unwrap_err();
        assert!(e.is_temporary());
        assert_eq!(
            e.to_string(),
            "bitrix24: HTML page instead of JSON (HTTP 502 Bad Gateway): 502 Bad Gateway"
        );
    }

    #[test]
    fn broken_json_is_temporary_and_wrong_shape_is_invalid_data() {
        let e = reply(200, "{\"result\": [1, 2")
            .json::<serde_json::Value>("x")
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Temporary);
        let e = reply(200, "").json::<serde_json::Value>("x").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Temporary);
        assert!(e.message().starts_with("empty reply"));
        let e = reply(200, "{\"a\": 1}").json::<Vec<u32>>("x").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidData);
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None, "a date in the past means no wait");
        h.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn redact_cleans_the_whole_body() {
        let long = format!("{}tok3n-s3cret", "x ".repeat(200));
        let r = reply(200, &long).redact(["tok3n-s3cret", ""]);
        assert!(String::from_utf8_lossy(&r.body).ends_with("x [redacted]"));
        let untouched = reply(200, "{}").redact(["absent"]);
        assert_eq!(untouched.body, b"{}");
    }

    #[test]
    fn snippets_are_short_single_lines() {
        let long = "x ".repeat(500);
        let s = reply(500, &long).snippet();
        assert!(s.chars().count() <= 161 && !s.contains('\n'));
        assert_eq!(reply(500, "").snippet(), "(empty body)");
    }

    proptest::proptest! {
        #[test]
        fn any_body_is_read_or_refused_with_a_short_reason(
            status in crate::testing::status(),
            body in crate::testing::body(crate::testing::json(&["title", "error"], &[])),
        ) {
            let r = crate::testing::reply(status, body);
            let snippet = r.snippet();
            proptest::prop_assert!(!snippet.is_empty() && !snippet.contains('\n'), "{snippet:?}");
            proptest::prop_assert!(snippet.chars().count() <= 161, "{snippet:?}");
            match r.json::<serde_json::Value>("x") {
                Ok(v) => proptest::prop_assert_eq!(Some(v), serde_json::from_slice(&r.body).ok()),
                Err(e) => {
                    proptest::prop_assert_eq!(e.target(), Some("x"));
                    proptest::prop_assert!(
                        matches!(e.kind(), ErrorKind::Temporary | ErrorKind::InvalidData),
                        "{e}"
                    );
                }
            }
        }

        #[test]
        fn any_retry_after_is_a_wait_of_at_most_a_day(
            value in proptest::prop_oneof![
                "[ -~]{0,40}",
                "-?[0-9]{1,25}",
                "(Mon|Sun), [0-9]{1,2} (Jan|Dec) [0-9]{1,5} [0-9]{2}:[0-9]{2}:[0-9]{2} (GMT|[+-][0-9]{4})",
            ],
        ) {
            let mut headers = HeaderMap::new();
            if let Ok(value) = value.parse() {
                headers.insert(RETRY_AFTER, value);
            }
            if let Some(wait) = retry_after(&headers) {
                proptest::prop_assert!(wait <= Duration::from_secs(24 * 3600));
            }
        }

        #[test]
        fn redacted_bodies_hold_no_secret(
            around in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..60),
            secret in "[0-9A-Z]{6,12}",
        ) {
            let mut body = around.clone();
            body.extend_from_slice(secret.as_bytes());
            body.extend_from_slice(&around);
            let r = crate::testing::reply(500, body).redact([secret.as_str(), ""]);
            let text = String::from_utf8_lossy(&r.body);
            proptest::prop_assert!(!text.contains(&secret));
            proptest::prop_assert!(!r.snippet().contains(&secret));
        }
    }
}
