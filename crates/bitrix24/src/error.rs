//! Bitrix24 error replies turned into core [`Error`]s whose kind decides what
//! the engine does and whose message tells the operator what to do.

use crate::advice::Mode;
use liner_sync_core::http::Reply;
use liner_sync_core::{Error, ErrorKind};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

/// The name every error of this crate carries as its target.
pub(crate) const TARGET: &str = "bitrix24";

/// How long to wait after `QUERY_LIMIT_EXCEEDED`: the portal's bucket drains
/// 2 requests per second, so one second frees room for the next request.
pub(crate) const QUERY_LIMIT_WAIT: Duration = Duration::from_secs(1);

/// The least wait after `OPERATION_TIME_LIMIT` when the reset time is unknown
/// (the official JS SDK waits at least as long).
pub(crate) const OPERATING_LIMIT_WAIT: Duration = Duration::from_secs(10);

const OVERLOADED: &str = "Bitrix24 blocked REST calls to this portal for overload; only \
     Bitrix24 support can lift the block";

/// An error as Bitrix24 reports it: `{"error": CODE, "error_description": TEXT}`.
/// The code may be empty; the text then says what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    /// `NO_AUTH_FOUND`, `expired_token`, or empty.
    pub code: String,
    /// The human text, possibly empty.
    pub description: String,
}

impl ApiError {
    /// Reads an error object; `None` when `value` is not one.
    pub fn from_json(value: &Value) -> Option<Self> {
        let code = match value.get("error")? {
            Value::String(s) => s.split_whitespace().collect::<Vec<_>>().join(" "),
            Value::Number(n) => n.to_string(),
            Value::Null => String::new(),
            _ => return None,
        };
        let description = match value.get("error_description") {
            Some(Value::String(s)) => s.trim().to_owned(),
            _ => String::new(),
        };
        Some(Self { code, description })
    }

    /// True for the "no such record" answers of `crm.*.get` (empty code,
    /// "Not found" text, or a `NOT_FOUND` code).
    pub fn is_not_found(&self) -> bool {
        let code = self.code.to_ascii_uppercase();
        let text = self.description.trim_end_matches('.').trim();
        matches!(code.as_str(), "NOT_FOUND" | "ERROR_NOT_FOUND")
            || (code.is_empty() && text.eq_ignore_ascii_case("not found"))
    }

    /// `NO_AUTH_FOUND "Wrong authorization data"`, cut to a sane length.
    pub fn summary(&self) -> String {
        let one_line = self
            .description
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let text: String = one_line.chars().take(200).collect();
        match (self.code.is_empty(), text.is_empty()) {
            (true, true) => "no error text".to_owned(),
            (true, false) => format!("\"{text}\""),
            (false, true) => self.code.clone(),
            (false, false) => format!("{} \"{text}\"", self.code),
        }
    }
}

/// Turns a non-success reply into an [`Error`]: the status and the body's
/// `error` code pick the kind, and the message says what to do (which
/// depends on how the source signs in).
pub(crate) fn parse_error(status: StatusCode, body: &[u8], mode: Mode) -> Error {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    match parsed.as_ref().and_then(ApiError::from_json) {
        Some(api) => classify(Some(status), &api, mode),
        None => unreadable(status, body, mode),
    }
}

/// Classifies an API error; `status` is `None` for a sub-call of a `batch`,
/// which has no status of its own.
pub(crate) fn classify(status: Option<StatusCode>, api: &ApiError, mode: Mode) -> Error {
    let origin = match status {
        Some(status) => format!("HTTP {} {}", status.as_u16(), api.summary()),
        None => api.summary(),
    };
    let with = |kind: ErrorKind, advice: &str| {
        Error::new(kind, format!("{origin}: {advice}")).with_target(TARGET)
    };
    match api.code.to_ascii_uppercase().as_str() {
        "QUERY_LIMIT_EXCEEDED" => with(
            ErrorKind::RateLimited,
            "Bitrix24's request limit was hit (2 requests/s, burst 50, shared by every \
             integration calling this portal from this IP)",
        )
        .with_retry_after(QUERY_LIMIT_WAIT),
        "OPERATION_TIME_LIMIT" => with(
            ErrorKind::RateLimited,
            "Bitrix24 blocked this method for these credentials until its 10-minute \
             execution-time budget frees up",
        )
        .with_retry_after(OPERATING_LIMIT_WAIT),
        "OVERLOAD_LIMIT" => with(ErrorKind::Temporary, OVERLOADED),
        "NO_AUTH_FOUND" | "INVALID_TOKEN" | "EXPIRED_TOKEN" => {
            with(ErrorKind::Auth, mode.credentials_refused())
        }
        "INSUFFICIENT_SCOPE" | "INVALID_SCOPE" => with(ErrorKind::Auth, mode.no_crm_scope()),
        "INVALID_CREDENTIALS" => with(ErrorKind::Auth, mode.no_permission()),
        "ACCESS_DENIED" | "USER_ACCESS_ERROR" | "ALLOWED_ONLY_INTRANET_USER" => {
            with(ErrorKind::Auth, mode.no_rest())
        }
        "ERROR_METHOD_NOT_FOUND" | "ERROR_MANIFEST_IS_NOT_AVAILABLE" | "PORTAL_DELETED" => {
            with(ErrorKind::Config, mode.check_address())
        }
        "INVALID_REQUEST" => with(ErrorKind::Config, mode.needs_https()),
        "INTERNAL_SERVER_ERROR" | "ERROR_UNEXPECTED_ANSWER" => {
            with(ErrorKind::Temporary, "Bitrix24 failed on its side")
        }
        "ERROR_BATCH_LENGTH_EXCEEDED" | "ERROR_BATCH_METHOD_NOT_ALLOWED" => with(
            ErrorKind::Internal,
            "liner-sync sent a batch Bitrix24 does not accept (a bug)",
        ),
        _ => by_status(status, &origin, mode),
    }
}

fn by_status(status: Option<StatusCode>, origin: &str, mode: Mode) -> Error {
    let (kind, advice) = match status.map(|s| s.as_u16()) {
        Some(401) => (ErrorKind::Auth, mode.credentials_refused()),
        Some(403) => (ErrorKind::Auth, mode.no_permission()),
        Some(404) => (ErrorKind::Config, mode.check_address()),
        Some(429) => (ErrorKind::RateLimited, "Bitrix24 asked to slow down"),
        Some(408 | 500..=599) => (ErrorKind::Temporary, "Bitrix24 failed on its side"),
        _ => (ErrorKind::InvalidData, "Bitrix24 refused the request"),
    };
    let error = Error::new(kind, format!("{origin}: {advice}")).with_target(TARGET);
    if kind == ErrorKind::RateLimited {
        error.with_retry_after(OPERATING_LIMIT_WAIT)
    } else {
        error
    }
}

/// A reply without a Bitrix24 error object: an HTML page, broken JSON, or JSON
/// of another shape.
fn unreadable(status: StatusCode, body: &[u8], mode: Mode) -> Error {
    let reply = Reply {
        status,
        retry_after: None,
        location: None,
        body: body.to_vec(),
    };
    let origin = format!("HTTP {} {}", status.as_u16(), reply.snippet());
    match status.as_u16() {
        401 | 403 | 404 | 429 => by_status(Some(status), &origin, mode),
        _ => match reply.json::<Value>(TARGET) {
            Err(garbled) => garbled,
            Ok(_) => by_status(Some(status), &origin, mode),
        },
    }
}

/// `reply` with every one of `secrets` in its body replaced by `[redacted]`.
/// Done before any of the body is cut into a message: a cut could leave part
/// of a secret that [`redact`] no longer recognises.
pub(crate) fn redact_reply<'a>(
    mut reply: Reply,
    secrets: impl IntoIterator<Item = &'a str>,
) -> Reply {
    let text = String::from_utf8_lossy(&reply.body);
    let found: Vec<&str> = secrets
        .into_iter()
        .filter(|s| !s.is_empty() && text.contains(s))
        .collect();
    if found.is_empty() {
        return reply;
    }
    let mut clean = text.into_owned();
    for secret in found {
        clean = clean.replace(secret, "[redacted]");
    }
    reply.body = clean.into_bytes();
    reply
}

/// `err` with every one of `secrets` replaced by `[redacted]`, should a
/// server have echoed one back. Kind, target and wait stay.
pub(crate) fn redact<'a>(err: Error, secrets: impl IntoIterator<Item = &'a str>) -> Error {
    let mut message = err.message().to_owned();
    for secret in secrets.into_iter().filter(|s| !s.is_empty()) {
        if message.contains(secret) {
            message = message.replace(secret, "[redacted]");
        }
    }
    if message == err.message() {
        return err;
    }
    let mut clean = Error::new(err.kind(), message).with_target(err.target().unwrap_or(TARGET));
    if let Some(wait) = err.retry_after() {
        clean = clean.with_retry_after(wait);
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const COLLECTION: &str = include_str!("../testdata/error_responses_collection.json");

    fn kind_of(status: u16, body: &str) -> Error {
        parse_error(
            StatusCode::from_u16(status).unwrap(),
            body.as_bytes(),
            Mode::Webhook,
        )
    }

    #[test]
    fn parse_error_table() {
        use ErrorKind::*;
        let s1 = Some(QUERY_LIMIT_WAIT);
        let s10 = Some(OPERATING_LIMIT_WAIT);
        let cases: &[(u16, &str, ErrorKind, Option<Duration>, &str)] = &[
            (
                503,
                r#"{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}"#,
                RateLimited,
                s1,
                "2 requests/s",
            ),
            (
                429,
                r#"{"error":"OPERATION_TIME_LIMIT","error_description":"Method is blocked due to operation time limit."}"#,
                RateLimited,
                s10,
                "execution-time budget",
            ),
            (
                503,
                r#"{"error":"OVERLOAD_LIMIT","error_description":"REST API is blocked due to overload."}"#,
                Temporary,
                None,
                "only Bitrix24 support",
            ),
            (
                401,
                r#"{"error":"NO_AUTH_FOUND","error_description":"Wrong authorization data"}"#,
                Auth,
                None,
                "create a new incoming webhook",
            ),
            (
                401,
                r#"{"error":"expired_token","error_description":"The access token provided has expired"}"#,
                Auth,
                None,
                "webhook_url",
            ),
            (
                401,
                r#"{"error":"invalid_token","error_description":"The access token provided is invalid"}"#,
                Auth,
                None,
                "webhook_url",
            ),
            (
                403,
                r#"{"error":"INVALID_CREDENTIALS","error_description":"Invalid request credentials"}"#,
                Auth,
                None,
                "CRM read access",
            ),
            (
                403,
                r#"{"error":"insufficient_scope","error_description":""}"#,
                Auth,
                None,
                "tick CRM (crm)",
            ),
            (
                403,
                r#"{"error":"ACCESS_DENIED","error_description":"REST API is available only on commercial plans"}"#,
                Auth,
                None,
                "commercial plan",
            ),
            (
                403,
                r#"{"error":"user_access_error","error_description":"The user does not have access to the application."}"#,
                Auth,
                None,
                "employee",
            ),
            (
                404,
                r#"{"error":"ERROR_METHOD_NOT_FOUND","error_description":"Method not found!"}"#,
                Config,
                None,
                "check webhook_url",
            ),
            (
                400,
                r#"{"error":"INVALID_REQUEST","error_description":"Https required."}"#,
                Config,
                None,
                "https://",
            ),
            (
                400,
                r#"{"error":"","error_description":"Parameter 'filter' must be array."}"#,
                InvalidData,
                None,
                "Parameter 'filter' must be array.",
            ),
            (
                400,
                r#"{"error":"","error_description":"ID is not defined or invalid."}"#,
                InvalidData,
                None,
                "ID is not defined or invalid.",
            ),
            (
                400,
                r#"{"error":"ERROR_BATCH_LENGTH_EXCEEDED","error_description":"Max batch length exceeded"}"#,
                Internal,
                None,
                "a bug",
            ),
            (
                500,
                r#"{"error":"INTERNAL_SERVER_ERROR","error_description":"Internal server error"}"#,
                Temporary,
                None,
                "failed on its side",
            ),
            (
                500,
                r#"{"error":"PORTAL_DELETED","error_description":"Portal was deleted"}"#,
                Config,
                None,
                "check webhook_url",
            ),
            (
                502,
                "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>",
                Temporary,
                None,
                "502 Bad Gateway",
            ),
            (
                200,
                r#"{"result": [{"ID": "1"#,
                Temporary,
                None,
                "malformed JSON",
            ),
            (500, "", Temporary, None, "empty reply"),
            (
                504,
                r#"{"message": "gateway timeout"}"#,
                Temporary,
                None,
                "failed on its side",
            ),
            (
                401,
                "<html><title>Unauthorized</title></html>",
                Auth,
                None,
                "webhook_url",
            ),
            (429, "Too Many Requests", RateLimited, s10, "slow down"),
            (418, r#"{"unexpected": true}"#, InvalidData, None, "refused"),
        ];
        for (status, body, kind, wait, needle) in cases {
            let e = kind_of(*status, body);
            assert_eq!(e.kind(), *kind, "{status} {body}: {e}");
            assert_eq!(e.retry_after(), *wait, "{status} {body}");
            assert_eq!(e.target(), Some(TARGET));
            assert!(e.message().contains(needle), "{status} {body}: {e}");
            assert!(!e.to_string().contains('\n'), "{e}");
        }
    }

    #[test]
    fn every_collected_real_body_is_classified() {
        let collection: Value = serde_json::from_str(COLLECTION).unwrap();
        let cases = collection["cases"].as_array().unwrap();
        for case in cases {
            let Some(status) = case["http_status"].as_u64() else {
                continue;
            };
            let status = StatusCode::from_u16(status as u16).unwrap();
            if status.is_success() {
                continue;
            }
            let body = serde_json::to_vec(&case["body"]).unwrap();
            let e = parse_error(status, &body, Mode::Webhook);
            let code = case["body"]["error"].as_str().unwrap();
            let want = match code {
                "QUERY_LIMIT_EXCEEDED" | "OPERATION_TIME_LIMIT" => ErrorKind::RateLimited,
                "NO_AUTH_FOUND" | "expired_token" | "invalid_token" => ErrorKind::Auth,
                "" => ErrorKind::InvalidData,
                other => panic!("uncovered case {other}"),
            };
            assert_eq!(e.kind(), want, "{}: {e}", case["case"]);
        }
    }

    #[test]
    fn not_found_is_recognised_with_or_without_a_code() {
        let cases = [
            (json!({"error": "", "error_description": "Not found"}), true),
            (
                json!({"error": "", "error_description": "Not found."}),
                true,
            ),
            (
                json!({"error": "NOT_FOUND", "error_description": "Element not found"}),
                true,
            ),
            (
                json!({"error": "", "error_description": "Access denied."}),
                false,
            ),
            (
                json!({"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"}),
                false,
            ),
        ];
        for (body, want) in cases {
            assert_eq!(
                ApiError::from_json(&body).unwrap().is_not_found(),
                want,
                "{body}"
            );
        }
        assert_eq!(ApiError::from_json(&json!({"result": []})), None);
        assert_eq!(ApiError::from_json(&json!([1])), None);
    }

    #[test]
    fn oauth_sources_are_told_to_fix_the_application_not_a_webhook() {
        use ErrorKind::*;
        let cases: &[(u16, &str, ErrorKind, &str)] = &[
            (
                401,
                r#"{"error":"NO_AUTH_FOUND","error_description":"Wrong authorization data"}"#,
                Auth,
                "authorise the application again",
            ),
            (
                401,
                r#"{"error":"expired_token","error_description":"The access token provided has expired"}"#,
                Auth,
                "put the new refresh_token in the config",
            ),
            (
                403,
                r#"{"error":"insufficient_scope","error_description":""}"#,
                Auth,
                "Local application), tick CRM (crm)",
            ),
            (
                403,
                r#"{"error":"INVALID_CREDENTIALS","error_description":"Invalid request credentials"}"#,
                Auth,
                "the user who authorised the application",
            ),
            (
                403,
                r#"{"error":"ACCESS_DENIED","error_description":"REST API is available only on commercial plans"}"#,
                Auth,
                "commercial plan",
            ),
            (
                404,
                r#"{"error":"ERROR_METHOD_NOT_FOUND","error_description":"Method not found!"}"#,
                Config,
                "check client_endpoint",
            ),
            (
                400,
                r#"{"error":"INVALID_REQUEST","error_description":"Https required."}"#,
                Config,
                "client_endpoint must start with https://",
            ),
            (
                401,
                "<html><title>Unauthorized</title></html>",
                Auth,
                "authorise the application again",
            ),
        ];
        for (status, body, kind, needle) in cases {
            let e = parse_error(
                StatusCode::from_u16(*status).unwrap(),
                body.as_bytes(),
                Mode::OAuth,
            );
            assert_eq!(e.kind(), *kind, "{status} {body}: {e}");
            assert!(e.message().contains(needle), "{status} {body}: {e}");
            assert!(!e.message().contains("webhook"), "{e}");
        }
    }

    #[test]
    fn redact_reply_cleans_the_whole_body_before_it_is_cut() {
        let body = format!("<title>{}tok-1234567890</title>", "x".repeat(150));
        let reply = Reply {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            retry_after: None,
            location: None,
            body: body.into_bytes(),
        };
        let clean = redact_reply(reply.clone(), ["tok-1234567890"]);
        assert!(!clean.snippet().contains("tok-"), "{}", clean.snippet());
        assert!(
            reply.snippet().contains("tok-"),
            "the cut would have left a part"
        );
        let same = redact_reply(reply.clone(), ["absent", ""]);
        assert_eq!(same.body, reply.body);
    }

    #[test]
    fn redact_replaces_every_secret_and_keeps_the_rest() {
        let e = Error::temporary("token tok-1 and tok-2 at /x?auth=tok-1")
            .with_target(TARGET)
            .with_retry_after(Duration::from_secs(3));
        let e = redact(e, ["tok-1", "", "tok-2", "absent"]);
        assert_eq!(
            e.message(),
            "token [redacted] and [redacted] at /x?auth=[redacted]"
        );
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        assert!(e.is_temporary());
        let untouched = redact(Error::auth("nothing secret"), ["tok-1"]);
        assert_eq!(untouched.message(), "nothing secret");
    }

    /// One of the collected real error bodies, with wrong types in it.
    fn real_error() -> impl proptest::strategy::Strategy<Value = Value> {
        let path = format!(
            "{}/testdata/error_responses_collection.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let cases = liner_sync_core::testing::read_json(path)["cases"].clone();
        let bodies: Vec<Value> = cases
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["body"].clone())
            .collect();
        liner_sync_core::testing::mutated_one_of(bodies, crate::testing::json())
    }

    fn any_body() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        prop_oneof![
            crate::testing::body(),
            real_error().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_reply_becomes_an_error_without_panicking(
            status in 300u16..600,
            body in any_body(),
            oauth in proptest::prelude::any::<bool>(),
        ) {
            let mode = if oauth { Mode::OAuth } else { Mode::Webhook };
            let e = parse_error(StatusCode::from_u16(status).unwrap(), &body, mode);
            proptest::prop_assert_eq!(e.target(), Some(TARGET));
            proptest::prop_assert!(!e.message().is_empty());
            proptest::prop_assert!(!e.message().contains('\n'), "{}", e.message());
        }
    }
}
