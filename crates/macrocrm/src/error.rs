//! MACRO replies turned into core [`Error`]s whose kind decides what the
//! engine does and whose message tells the operator what to do.
//!
//! MACRO may answer HTTP 200 with an error in the body (`{"error": true,
//! "message": "…"}` per its PHP client; "sometimes 200 but an error string
//! in the body" per a public Go client), so a 200 is read for an error before
//! its records are.

use liner_sync_core::http::Reply;
use liner_sync_core::{Error, ErrorKind};
use reqwest::StatusCode;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use std::time::Duration;

/// The name every error of this crate carries as its target.
pub(crate) const TARGET: &str = "macrocrm";

/// The wait after a 429 that names none.
const RATE_LIMIT_WAIT: Duration = Duration::from_secs(2);

/// The longest wait a reply may ask for.
const WAIT_CAP: Duration = Duration::from_secs(120);

const CHECK_SIGNING: &str = "check domain and app_secret in Компания / Интеграции; \
     also the machine's clock (every request is signed with the current time)";
const CHECK_URL: &str = "no such API address: check base_url and path";
const SLOW_DOWN: &str = "MACRO asked to slow down; lower rate_limit";
const SERVER_SIDE: &str = "MACRO failed on its side";
const REFUSED: &str = "MACRO refused the request";

/// Words of a complaint about the signature, the domain or a token.
const AUTH_WORDS: &[&str] = &[
    "token",
    "signature",
    "подпис",
    "domain",
    "домен",
    "auth",
    "авториз",
    "secret",
    "ключ",
    "доступ",
    "access",
    "forbidden",
];

/// Words of an error told in plain text.
const ERROR_WORDS: &[&str] = &["error", "ошибка", "fail"];

/// The error keys of a reply object; everything else is skipped unread.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    error: Option<Value>,
    #[serde(default)]
    success: Option<Value>,
    #[serde(default)]
    status: Option<Value>,
    #[serde(default)]
    message: Option<Value>,
    #[serde(default)]
    error_message: Option<Value>,
    #[serde(default)]
    msg: Option<Value>,
}

impl Envelope {
    /// True when the reply says it failed.
    fn failed(&self) -> bool {
        let flagged = match &self.error {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(Value::Number(n)) => n.as_f64() != Some(0.0),
            Some(Value::Object(o)) => !o.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            _ => false,
        };
        let status_says = matches!(&self.status, Some(Value::String(s))
            if ["error", "fail", "failed"].contains(&s.trim().to_ascii_lowercase().as_str()));
        flagged || self.success == Some(Value::Bool(false)) || status_says
    }

    /// MACRO's words for the failure.
    fn text(&self) -> String {
        [&self.message, &self.error_message, &self.msg, &self.error]
            .into_iter()
            .flatten()
            .find_map(|v| match v {
                Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
                Value::Object(_) | Value::Array(_) => Some(v.to_string()),
                _ => None,
            })
            .unwrap_or_default()
    }
}

/// The error a reply carries, or `None` when it may hold records. Non-2xx
/// statuses are always errors; a 2xx is one when it is empty, an HTML page,
/// JSON cut off or broken (temporary), a JSON object that says it failed, or
/// plain text instead of JSON.
pub(crate) fn parse_error(status: StatusCode, body: &[u8]) -> Option<Error> {
    let reply = Reply {
        status,
        retry_after: None,
        location: None,
        body: body.to_vec(),
    };
    if !status.is_success() {
        return Some(by_status(&reply));
    }
    let start = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    match start {
        None => Some(temporary(&reply, "empty reply")),
        Some(_) if reply.is_html() => Some(temporary(&reply, "HTML page instead of JSON")),
        // Cut-off JSON is told here, inside the client's retries: once the
        // reply has left them, the records reader could only stop the pass.
        Some(b'{') => match serde_json::from_slice::<Envelope>(body) {
            Ok(envelope) => envelope
                .failed()
                .then(|| refusal(&one_line(&envelope.text()), status)),
            Err(e) if e.is_syntax() || e.is_eof() => Some(temporary(&reply, "malformed JSON")),
            Err(_) => None,
        },
        Some(b'[') => match serde_json::from_slice::<IgnoredAny>(body) {
            Err(e) if e.is_syntax() || e.is_eof() => Some(temporary(&reply, "malformed JSON")),
            _ => None,
        },
        Some(_) if says_error(&reply.snippet()) => Some(refusal(&reply.snippet(), status)),
        Some(_) => Some(temporary(&reply, "not JSON")),
    }
}

/// The error for a reply whose records could not be read at `records`;
/// `why` is the reader's reason.
pub(crate) fn unreadable_records(reply: &Reply, records: &str, why: &str) -> Error {
    if why.starts_with("not JSON") {
        return temporary(reply, "malformed JSON");
    }
    let snippet = reply.snippet();
    if says_error(&snippet) {
        return refusal(&snippet, reply.status);
    }
    Error::invalid_data(format!(
        "HTTP {} without records at '{records}' (the reply starts: {snippet}); set records: to \
         the path of the list",
        reply.status.as_u16()
    ))
    .with_target(TARGET)
}

/// The status decides the kind; the body adds MACRO's words.
fn by_status(reply: &Reply) -> Error {
    let words = serde_json::from_slice::<Envelope>(&reply.body)
        .map(|e| one_line(&e.text()))
        .ok()
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| reply.snippet());
    let origin = format!("HTTP {} \"{}\"", reply.status.as_u16(), cut(&words));
    let with = |kind: ErrorKind, advice: &str| {
        Error::new(kind, format!("{origin}: {advice}")).with_target(TARGET)
    };
    match reply.status.as_u16() {
        401 | 403 => with(ErrorKind::Auth, CHECK_SIGNING),
        404 => with(ErrorKind::Config, CHECK_URL),
        405 => with(
            ErrorKind::Config,
            "the path does not take this method: check method (get or post)",
        ),
        408 => with(
            ErrorKind::Temporary,
            "the request timed out on MACRO's side",
        ),
        429 => with(ErrorKind::RateLimited, SLOW_DOWN).with_retry_after(
            reply
                .retry_after
                .unwrap_or(RATE_LIMIT_WAIT)
                .clamp(Duration::from_secs(1), WAIT_CAP),
        ),
        500..=599 => {
            let err = with(ErrorKind::Temporary, SERVER_SIDE);
            match reply.retry_after {
                Some(wait) => err.with_retry_after(wait.min(WAIT_CAP)),
                None => err,
            }
        }
        300..=399 => with(
            ErrorKind::Config,
            "MACRO redirected the request: check base_url (https, the API host)",
        ),
        _ if says_auth(&words) => with(ErrorKind::Auth, CHECK_SIGNING),
        _ => with(ErrorKind::InvalidData, REFUSED),
    }
}

/// An error MACRO stated: about the signature → Auth, else InvalidData.
fn refusal(text: &str, status: StatusCode) -> Error {
    let shown = if text.is_empty() {
        "no error text"
    } else {
        text
    };
    let origin = format!("HTTP {} with an error: \"{}\"", status.as_u16(), cut(shown));
    if says_auth(text) {
        Error::auth(format!("{origin}: {CHECK_SIGNING}")).with_target(TARGET)
    } else {
        Error::invalid_data(format!("{origin}: {REFUSED}")).with_target(TARGET)
    }
}

fn temporary(reply: &Reply, what: &str) -> Error {
    Error::temporary(format!(
        "{what} (HTTP {}): {}",
        reply.status.as_u16(),
        reply.snippet()
    ))
    .with_target(TARGET)
}

fn says_auth(text: &str) -> bool {
    let lower = text.to_lowercase();
    AUTH_WORDS.iter().any(|w| lower.contains(w))
}

fn says_error(text: &str) -> bool {
    let lower = text.to_lowercase();
    ERROR_WORDS.iter().any(|w| lower.contains(w))
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn cut(text: &str) -> String {
    let mut shown: String = text.chars().take(300).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE_ERROR: &str =
        include_str!("../testdata/macro_estate_request_response_error_shape.json");

    #[test]
    fn parse_error_table() {
        use ErrorKind::*;
        let cases: Vec<(u16, &str, Option<ErrorKind>, &str)> = vec![
            (
                200,
                r#"{"error": true, "message": "Неверная подпись запроса (token)"}"#,
                Some(Auth),
                "check domain and app_secret",
            ),
            (
                200,
                r#"{"error": true, "message": "Домен не зарегистрирован"}"#,
                Some(Auth),
                "machine's clock",
            ),
            (
                200,
                r#"{"error": "wrong signature"}"#,
                Some(Auth),
                "wrong signature",
            ),
            (
                200,
                r#"{"error": true, "message": "Недостаточно данных"}"#,
                Some(InvalidData),
                "Недостаточно данных",
            ),
            (200, SAMPLE_ERROR, Some(InvalidData), "<error text>"),
            (
                200,
                r#"{"success": false, "message": "Неизвестный метод"}"#,
                Some(InvalidData),
                "Неизвестный метод",
            ),
            (
                200,
                r#"{"status": "error", "msg": "limit too big"}"#,
                Some(InvalidData),
                "limit too big",
            ),
            (
                200,
                r#"{"error": true}"#,
                Some(InvalidData),
                "no error text",
            ),
            (200, "Ошибка авторизации", Some(Auth), "Ошибка авторизации"),
            (
                200,
                "Fatal error: out of memory",
                Some(InvalidData),
                "Fatal error",
            ),
            (200, "OK", Some(Temporary), "not JSON"),
            (200, "", Some(Temporary), "empty reply"),
            (
                200,
                "<html><head><title>502 Bad Gateway</title></head></html>",
                Some(Temporary),
                "502 Bad Gateway",
            ),
            (200, r#"{"error": false, "data": []}"#, None, ""),
            (
                200,
                r#"{"error": null, "success": true, "data": [{"message": "error"}]}"#,
                None,
                "",
            ),
            (200, r#"{"error": "", "data": []}"#, None, ""),
            (200, r#"[{"id": 1}]"#, None, ""),
            (
                200,
                r#"{"data": [{"id": 1}, "#,
                Some(Temporary),
                "malformed JSON",
            ),
            (200, r#"[{"id": 1}, {"#, Some(Temporary), "malformed JSON"),
            (200, r#"{"succe"#, Some(Temporary), "malformed JSON"),
            (
                401,
                r#"{"error": true, "message": "Unauthorized"}"#,
                Some(Auth),
                "Unauthorized",
            ),
            (
                403,
                "<html><title>403 Forbidden</title></html>",
                Some(Auth),
                "403 Forbidden",
            ),
            (
                400,
                r#"{"error": true, "message": "Invalid token"}"#,
                Some(Auth),
                "Invalid token",
            ),
            (
                400,
                r#"{"error": true, "message": "Bad limit"}"#,
                Some(InvalidData),
                "Bad limit",
            ),
            (
                404,
                "<html><title>404 Not Found</title></html>",
                Some(Config),
                "check base_url and path",
            ),
            (405, "", Some(Config), "check method"),
            (
                429,
                r#"{"error": true, "message": "Too Many Requests"}"#,
                Some(RateLimited),
                "slow down",
            ),
            (
                500,
                r#"{"error": true, "message": "Internal"}"#,
                Some(Temporary),
                "Internal",
            ),
            (
                502,
                "<html><title>502 Bad Gateway</title></html>",
                Some(Temporary),
                "failed on its side",
            ),
            (503, "", Some(Temporary), "failed on its side"),
            (301, "", Some(Config), "check base_url"),
        ];
        for (status, body, kind, needle) in cases {
            let got = parse_error(StatusCode::from_u16(status).unwrap(), body.as_bytes());
            assert_eq!(
                got.as_ref().map(Error::kind),
                kind,
                "{status} {body}: {got:?}"
            );
            if let Some(e) = got {
                assert_eq!(e.target(), Some(TARGET));
                assert!(e.message().contains(needle), "{status} {body}: {e}");
                assert!(!e.message().contains('\n'), "{e}");
            }
        }
    }

    #[test]
    fn waits_come_from_the_reply_and_are_capped() {
        let reply = |status: u16, wait: Option<u64>| Reply {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: wait.map(Duration::from_secs),
            location: None,
            body: Vec::new(),
        };
        assert_eq!(
            by_status(&reply(429, None)).retry_after(),
            Some(RATE_LIMIT_WAIT)
        );
        assert_eq!(
            by_status(&reply(429, Some(0))).retry_after(),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            by_status(&reply(429, Some(9999))).retry_after(),
            Some(WAIT_CAP)
        );
        assert_eq!(
            by_status(&reply(503, Some(3))).retry_after(),
            Some(Duration::from_secs(3))
        );
        assert_eq!(by_status(&reply(503, None)).retry_after(), None);
    }

    #[test]
    fn unreadable_records_are_told_apart() {
        let reply = |body: &str| Reply {
            status: StatusCode::OK,
            retry_after: None,
            location: None,
            body: body.as_bytes().to_vec(),
        };
        let e = unreadable_records(&reply(r#"{"data": [1"#), "data", "not JSON: EOF");
        assert_eq!(e.kind(), ErrorKind::Temporary);
        let e = unreadable_records(&reply(r#"{"items": []}"#), "data", "no records at 'data'");
        assert_eq!(e.kind(), ErrorKind::InvalidData);
        assert!(e.message().contains("set records:"), "{e}");
        let e = unreadable_records(
            &reply(r#"{"result": "fail: bad token"}"#),
            "data",
            "no records at 'data'",
        );
        assert_eq!(e.kind(), ErrorKind::Auth);
    }

    /// Any bytes, or MACRO's documented error and success shapes with wrong
    /// types in them.
    fn any_body() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let shape = |name: &str| {
            liner_sync_core::testing::read_json(format!(
                "{}/testdata/macro_estate_request_response_{name}_shape.json",
                env!("CARGO_MANIFEST_DIR")
            ))
        };
        let real = vec![shape("error"), shape("success")];
        prop_oneof![
            crate::testing::body(),
            liner_sync_core::testing::mutated_one_of(real, crate::testing::json())
                .prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_reply_is_read_without_panicking(status in 100u16..600, body in any_body()) {
            match parse_error(StatusCode::from_u16(status).unwrap(), &body) {
                Some(e) => {
                    proptest::prop_assert_eq!(e.target(), Some(TARGET));
                    proptest::prop_assert!(!e.message().contains('\n'));
                }
                // Only a 2xx may hold records.
                None => proptest::prop_assert!((200..300).contains(&status)),
            }
            let why = ["not JSON: EOF", "no records at 'data'"][body.len() % 2];
            let e = unreadable_records(&liner_sync_core::testing::reply(status, body), "data", why);
            proptest::prop_assert_eq!(e.target(), Some(TARGET));
            proptest::prop_assert!(!e.message().contains('\n'));
        }
    }
}
