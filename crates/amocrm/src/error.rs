//! amoCRM error replies turned into core [`Error`]s whose kind decides what
//! the engine does and whose message tells the operator what to do.
//!
//! Errors come as `application/problem+json`
//! (`{"title","type","status","detail"}`, plus `hint` from the OAuth
//! endpoint, `retry_after` on 429 and `validation-errors` on 400), or as an
//! HTML page when a proxy or a block answers. The status decides the kind;
//! the body only adds words and the wait.

use liner_sync_core::http::Reply;
use liner_sync_core::{Error, ErrorKind};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

/// The name every error of this crate carries as its target.
pub(crate) const TARGET: &str = "amocrm";

/// The wait after a 429 that names none.
pub(crate) const RATE_LIMIT_WAIT: Duration = Duration::from_secs(2);

/// The longest wait a 429 may ask for; Kommo's own example asks for 300 s.
pub(crate) const RATE_LIMIT_WAIT_CAP: Duration = Duration::from_secs(300);

pub(crate) const BLOCKED: &str = "amoCRM blocked API access for this account or IP \
     (it does so after repeated 429s); the run stops now and sends nothing more, because every \
     further request makes the block last longer: wait, check that no other integration floods \
     the account, and lower rate_limit";
const UNPAID: &str = "the amoCRM account is unpaid (trial or subscription ended); \
     pay for it, then run again";
const UNAUTHORIZED: &str = "amoCRM refused the access token";
const CHECK_URL: &str = "no such API address: check base_url (https://SUBDOMAIN.amocrm.ru or \
     https://SUBDOMAIN.kommo.com, the account's own host)";
const SLOW_DOWN: &str = "amoCRM asked to slow down (7 requests/s per integration, IP and \
     account, shared with the account's other integrations)";
const SERVER_SIDE: &str = "amoCRM failed on its side";
const REFUSED: &str = "amoCRM refused the request";

/// An amoCRM problem+json body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Problem {
    pub title: String,
    pub kind: String,
    pub detail: String,
    pub hint: String,
    /// Seconds, from a 429.
    pub retry_after: Option<u64>,
    /// `path: detail` of each `validation-errors` entry.
    pub validation: Vec<String>,
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text(value: &Value, key: &str) -> String {
    match value.get(key) {
        Some(Value::String(s)) => one_line(s),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

impl Problem {
    /// Reads a problem body; `None` when `value` has none of its keys.
    pub fn from_json(value: &Value) -> Option<Self> {
        let object = value.as_object()?;
        if ![
            "title",
            "type",
            "detail",
            "hint",
            "status",
            "retry_after",
            "validation-errors",
        ]
        .iter()
        .any(|k| object.contains_key(*k))
        {
            return None;
        }
        let retry_after = match value.get("retry_after") {
            Some(Value::Number(n)) => n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .map(|f| f.ceil().min(1e9) as u64)
            }),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        let validation = value
            .get("validation-errors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .flat_map(|entry| {
                entry
                    .get("errors")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
            })
            .map(|e| {
                let (path, detail) = (text(e, "path"), text(e, "detail"));
                let code = text(e, "code");
                match (path.is_empty(), detail.is_empty()) {
                    (false, false) => format!("{path}: {detail}"),
                    (true, false) => detail,
                    (false, true) => format!("{path}: {code}"),
                    (true, true) => code,
                }
            })
            .filter(|s| !s.is_empty())
            .collect();
        Some(Self {
            title: text(value, "title"),
            kind: text(value, "type"),
            detail: text(value, "detail"),
            hint: text(value, "hint"),
            retry_after,
            validation,
        })
    }

    /// True for the OAuth endpoint's problems (`…/errors/OAuthProblemJson`).
    pub fn is_oauth(&self) -> bool {
        self.kind.ends_with("OAuthProblemJson")
    }

    /// `"Too Many Requests: You have sent…"`, cut to a sane length.
    pub fn summary(&self) -> String {
        let mut parts: Vec<&str> = [&self.title, &self.detail, &self.hint]
            .into_iter()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        parts.dedup();
        let mut text = parts.join(": ");
        if !self.validation.is_empty() {
            text.push_str(&format!(" ({})", self.validation.join("; ")));
        }
        let mut cut: String = text.chars().take(300).collect();
        if cut.len() < text.len() {
            cut.push('…');
        }
        if cut.is_empty() {
            "no error text".to_owned()
        } else {
            format!("\"{cut}\"")
        }
    }
}

/// [`parse_error`] for a whole reply: a `Retry-After` header counts when the
/// body names no wait.
pub(crate) fn from_reply(reply: &Reply) -> Error {
    let err = parse_error(reply.status, &reply.body);
    let body_wait = serde_json::from_slice::<Value>(&reply.body)
        .ok()
        .as_ref()
        .and_then(Problem::from_json)
        .and_then(|p| p.retry_after);
    match reply.retry_after {
        Some(header) if err.kind() == ErrorKind::RateLimited && body_wait.is_none() => {
            err.with_retry_after(header.clamp(Duration::from_secs(1), RATE_LIMIT_WAIT_CAP))
        }
        _ => err,
    }
}

/// Turns a non-success reply into an [`Error`]: the status picks the kind,
/// the problem body (or the page's title) adds the words, and a 429 carries
/// its `retry_after` (capped).
pub(crate) fn parse_error(status: StatusCode, body: &[u8]) -> Error {
    let problem = serde_json::from_slice::<Value>(body)
        .ok()
        .as_ref()
        .and_then(Problem::from_json);
    let shown = match &problem {
        Some(p) => p.summary(),
        None => Reply {
            status,
            retry_after: None,
            location: None,
            body: body.to_vec(),
        }
        .snippet(),
    };
    let origin = format!("HTTP {} {shown}", status.as_u16());
    let with = |kind: ErrorKind, advice: &str| {
        Error::new(kind, format!("{origin}: {advice}")).with_target(TARGET)
    };
    let oauth = problem.as_ref().is_some_and(Problem::is_oauth);
    match status.as_u16() {
        400 | 401 if oauth => with(ErrorKind::Auth, "amoCRM refused the OAuth credentials"),
        401 => with(ErrorKind::Auth, UNAUTHORIZED),
        402 => with(ErrorKind::Auth, UNPAID),
        403 => with(ErrorKind::Auth, BLOCKED),
        404 => with(ErrorKind::Config, CHECK_URL),
        408 => with(
            ErrorKind::Temporary,
            "the request timed out on amoCRM's side",
        ),
        429 => {
            let asked = problem
                .as_ref()
                .and_then(|p| p.retry_after)
                .map(Duration::from_secs);
            with(ErrorKind::RateLimited, SLOW_DOWN).with_retry_after(
                asked
                    .unwrap_or(RATE_LIMIT_WAIT)
                    .clamp(Duration::from_secs(1), RATE_LIMIT_WAIT_CAP),
            )
        }
        504 => with(
            ErrorKind::Temporary,
            "amoCRM timed out answering (it does so for heavy pages)",
        ),
        500..=599 => with(ErrorKind::Temporary, SERVER_SIDE),
        300..=399 => with(
            ErrorKind::Config,
            "amoCRM redirected the request: the account may have moved; check base_url",
        ),
        _ => with(ErrorKind::InvalidData, REFUSED),
    }
}

/// Replaces every secret in `err`'s message by `[redacted]`, should a server
/// page have echoed one. Kind, target and wait are kept.
pub(crate) fn scrub(err: Error, secrets: &[&str]) -> Error {
    let secrets: Vec<&str> = secrets.iter().copied().filter(|s| s.len() >= 4).collect();
    if !secrets.iter().any(|s| err.message().contains(s)) {
        return err;
    }
    let mut message = err.message().to_owned();
    for secret in secrets {
        message = message.replace(secret, "[redacted]");
    }
    let mut clean = Error::new(err.kind(), message).with_target(err.target().unwrap_or(TARGET));
    if let Some(wait) = err.retry_after() {
        clean = clean.with_retry_after(wait);
    }
    clean
}

/// An error whose message gets `advice` appended.
pub(crate) fn advise(err: Error, advice: &str) -> Error {
    let mut out = Error::new(err.kind(), format!("{}; {advice}", err.message()))
        .with_target(err.target().unwrap_or(TARGET));
    if let Some(wait) = err.retry_after() {
        out = out.with_retry_after(wait);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> String {
        let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn parse_error_table() {
        use ErrorKind::*;
        let s = |secs| Some(Duration::from_secs(secs));
        let cases: Vec<(u16, String, ErrorKind, Option<Duration>, &str)> = vec![
            (401, sample("error_401_unauthorized.json"), Auth, None, "\"Unauthorized: Invalid user name or password\": amoCRM refused the access token"),
            (429, sample("error_429_too_many_requests.json"), RateLimited, s(300), "Too Many Requests: You have sent too many requests"),
            (400, sample("error_400_validation.json"), InvalidData, None, "custom_fields_values.0.field_id: The value you selected is not a valid choice.; status_id: This value should be of type array."),
            (
                401,
                r#"{"hint":"Token has been revoked","title":"Некорректный запрос","type":"https://developers.amocrm.ru/v3/errors/OAuthProblemJson","status":401,"detail":"В запросе отсутствует ряд параметров или параметры невалидны"}"#.into(),
                Auth,
                None,
                "Token has been revoked",
            ),
            (
                400,
                r#"{"hint":"Cannot decrypt the refresh token","title":"Некорректный запрос","type":"https://developers.amocrm.ru/v3/errors/OAuthProblemJson","status":400,"detail":"В запросе отсутствует ряд параметров или параметры невалидны"}"#.into(),
                Auth,
                None,
                "refused the OAuth credentials",
            ),
            (402, r#"{"title":"Payment Required","type":"https://httpstatus.es/402","status":402,"detail":"Payment required"}"#.into(), Auth, None, "unpaid (trial or subscription ended)"),
            (403, "<!DOCTYPE html><html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1><hr>nginx</body></html>".into(), Auth, None, "HTTP 403 403 Forbidden: amoCRM blocked API access"),
            (403, "403 Forbidden".into(), Auth, None, "makes the block last longer"),
            (403, r#"{"title":"Forbidden","type":"https://httpstatus.es/403","status":403,"detail":"Forbidden"}"#.into(), Auth, None, "blocked"),
            (404, r#"{"title":"Not Found","type":"https://httpstatus.es/404","status":404,"detail":"Cannot GET https://subdomain.kommo.com/example"}"#.into(), Config, None, "check base_url"),
            (405, r#"{"title":"Method Not Allowed","type":"https://httpstatus.es/405","status":405,"detail":"Method Not Allowed"}"#.into(), InvalidData, None, "refused"),
            (422, r#"{"title":"Unprocessable Entity","type":"https://httpstatus.es/422","status":422,"detail":"Limit 250 per page"}"#.into(), InvalidData, None, "Limit 250 per page"),
            (400, r#"{"title":"Bad Request","type":"https://httpstatus.es/400","status":400,"detail":"Request data can not be empty"}"#.into(), InvalidData, None, "Request data can not be empty"),
            (500, r#"{"title":"ErrInternalServer","status":500,"detail":"Our team are probably already working on it","trace_id":"abc"}"#.into(), Temporary, None, "ErrInternalServer"),
            (502, "<html><head><title>502 Bad Gateway</title></head></html>".into(), Temporary, None, "502 Bad Gateway"),
            (504, "".into(), Temporary, None, "timed out answering"),
            (503, r#"{"title": "Service Unavailable""#.into(), Temporary, None, "failed on its side"),
            (429, "<html><title>Too Many Requests</title></html>".into(), RateLimited, s(2), "slow down"),
            (429, r#"{"title":"Too Many Requests","retry_after":100000}"#.into(), RateLimited, s(300), "slow down"),
            (429, r#"{"title":"Too Many Requests","retry_after":"7"}"#.into(), RateLimited, s(7), "slow down"),
            (429, r#"{"title":"Too Many Requests","retry_after":0}"#.into(), RateLimited, s(1), "slow down"),
            (301, "".into(), Config, None, "check base_url"),
            (418, r#"{"unexpected": true}"#.into(), InvalidData, None, "refused"),
        ];
        for (status, body, kind, wait, needle) in &cases {
            let e = parse_error(StatusCode::from_u16(*status).unwrap(), body.as_bytes());
            assert_eq!(e.kind(), *kind, "{status} {body}: {e}");
            assert_eq!(e.retry_after(), *wait, "{status} {body}");
            assert_eq!(e.target(), Some(TARGET));
            assert!(e.message().contains(needle), "{status} {body}: {e}");
            assert!(!e.to_string().contains('\n'), "{e}");
            assert!(e.message().starts_with(&format!("HTTP {status} ")), "{e}");
        }
    }

    #[test]
    fn a_retry_after_header_counts_when_the_body_names_no_wait() {
        let reply = |body: &str| Reply {
            status: StatusCode::TOO_MANY_REQUESTS,
            retry_after: Some(Duration::from_secs(9)),
            location: None,
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(
            from_reply(&reply("slow down")).retry_after(),
            Some(Duration::from_secs(9))
        );
        assert_eq!(
            from_reply(&reply(r#"{"retry_after": 3}"#)).retry_after(),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn problems_need_one_of_their_keys() {
        assert_eq!(
            Problem::from_json(&serde_json::json!({"_embedded": {}})),
            None
        );
        assert_eq!(Problem::from_json(&serde_json::json!([1])), None);
        let p = Problem::from_json(&serde_json::json!({"detail": "x"})).unwrap();
        assert_eq!(p.summary(), "\"x\"");
        let p = Problem::from_json(&serde_json::json!({"status": 500})).unwrap();
        assert_eq!(p.summary(), "no error text");
    }

    #[test]
    fn scrub_removes_secrets_and_keeps_the_rest() {
        let e = Error::rate_limited("echoed Bearer abcd1234 and s3cret")
            .with_target(TARGET)
            .with_retry_after(Duration::from_secs(3));
        let e = scrub(e, &["abcd1234", "s3cret", ""]);
        assert_eq!(e.message(), "echoed Bearer [redacted] and [redacted]");
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        let e = advise(e, "do this");
        assert!(e.message().ends_with("; do this"));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
    }

    fn any_body() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let real: Vec<Value> = [
            "error_400_validation.json",
            "error_401_unauthorized.json",
            "error_429_too_many_requests.json",
        ]
        .iter()
        .map(|name| {
            liner_sync_core::testing::read_json(format!(
                "{}/testdata/{name}",
                env!("CARGO_MANIFEST_DIR")
            ))
        })
        .collect();
        prop_oneof![
            crate::testing::body(),
            liner_sync_core::testing::mutated_one_of(real, crate::testing::json())
                .prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_reply_becomes_an_error_without_panicking(status in 300u16..600, body in any_body()) {
            let e = parse_error(StatusCode::from_u16(status).unwrap(), &body);
            proptest::prop_assert_eq!(e.target(), Some(TARGET));
            proptest::prop_assert!(!e.message().contains('\n'), "{}", e.message());
            if let Some(wait) = e.retry_after() {
                proptest::prop_assert!(wait <= RATE_LIMIT_WAIT_CAP);
            }
        }
    }
}
