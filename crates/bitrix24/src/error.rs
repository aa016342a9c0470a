//! Bitrix24 error replies turned into core [`Error`]s whose kind decides what
//! the engine does and whose message tells the operator what to do.

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

const WEBHOOK_GONE: &str = "the webhook was deleted, expired or its code changed: create a new \
     incoming webhook with the crm scope and put its URL in webhook_url";
pub(crate) const NO_CRM_SCOPE: &str = "the webhook lacks the crm scope: edit the incoming webhook in \
     Bitrix24 (Developer resources → Other → Incoming webhook), tick CRM (crm), save it and put \
     its URL in webhook_url";
const NO_PERMISSION: &str = "the webhook's user may not read deals and contacts: grant that \
     user CRM read access, or create the webhook as a user who has it";
const NO_REST: &str = "REST is not available to this webhook: the portal needs a commercial \
     plan and the webhook's user must be an employee allowed to use REST";
const CHECK_URL: &str =
    "check webhook_url: it must be https://PORTAL/rest/USER_ID/CODE/ of an incoming webhook";
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
    fn summary(&self) -> String {
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
/// `error` code pick the kind, and the message says what to do.
pub(crate) fn parse_error(status: StatusCode, body: &[u8]) -> Error {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    match parsed.as_ref().and_then(ApiError::from_json) {
        Some(api) => classify(Some(status), &api),
        None => unreadable(status, body),
    }
}

/// Classifies an API error; `status` is `None` for a sub-call of a `batch`,
/// which has no status of its own.
pub(crate) fn classify(status: Option<StatusCode>, api: &ApiError) -> Error {
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
            "Bitrix24 blocked this method for the webhook until its 10-minute \
             execution-time budget frees up",
        )
        .with_retry_after(OPERATING_LIMIT_WAIT),
        "OVERLOAD_LIMIT" => with(ErrorKind::Temporary, OVERLOADED),
        "NO_AUTH_FOUND" | "INVALID_TOKEN" | "EXPIRED_TOKEN" => with(ErrorKind::Auth, WEBHOOK_GONE),
        "INSUFFICIENT_SCOPE" | "INVALID_SCOPE" => with(ErrorKind::Auth, NO_CRM_SCOPE),
        "INVALID_CREDENTIALS" => with(ErrorKind::Auth, NO_PERMISSION),
        "ACCESS_DENIED" | "USER_ACCESS_ERROR" | "ALLOWED_ONLY_INTRANET_USER" => {
            with(ErrorKind::Auth, NO_REST)
        }
        "ERROR_METHOD_NOT_FOUND" | "ERROR_MANIFEST_IS_NOT_AVAILABLE" | "PORTAL_DELETED" => {
            with(ErrorKind::Config, CHECK_URL)
        }
        "INVALID_REQUEST" => with(ErrorKind::Config, "webhook_url must start with https://"),
        "INTERNAL_SERVER_ERROR" | "ERROR_UNEXPECTED_ANSWER" => {
            with(ErrorKind::Temporary, "Bitrix24 failed on its side")
        }
        "ERROR_BATCH_LENGTH_EXCEEDED" | "ERROR_BATCH_METHOD_NOT_ALLOWED" => with(
            ErrorKind::Internal,
            "liner-sync sent a batch Bitrix24 does not accept (a bug)",
        ),
        _ => by_status(status, &origin),
    }
}

fn by_status(status: Option<StatusCode>, origin: &str) -> Error {
    let (kind, advice) = match status.map(|s| s.as_u16()) {
        Some(401) => (ErrorKind::Auth, WEBHOOK_GONE),
        Some(403) => (ErrorKind::Auth, NO_PERMISSION),
        Some(404) => (ErrorKind::Config, CHECK_URL),
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
fn unreadable(status: StatusCode, body: &[u8]) -> Error {
    let reply = Reply {
        status,
        retry_after: None,
        location: None,
        body: body.to_vec(),
    };
    let origin = format!("HTTP {} {}", status.as_u16(), reply.snippet());
    match status.as_u16() {
        401 | 403 | 404 | 429 => by_status(Some(status), &origin),
        _ => match reply.json::<Value>(TARGET) {
            Err(garbled) => garbled,
            Ok(_) => by_status(Some(status), &origin),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const COLLECTION: &str = include_str!("../testdata/error_responses_collection.json");

    fn kind_of(status: u16, body: &str) -> Error {
        parse_error(StatusCode::from_u16(status).unwrap(), body.as_bytes())
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
            let e = parse_error(status, &body);
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

    fn any_body() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..64),
            crate::testing::json().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_reply_becomes_an_error_without_panicking(status in 300u16..600, body in any_body()) {
            let e = parse_error(StatusCode::from_u16(status).unwrap(), &body);
            proptest::prop_assert_eq!(e.target(), Some(TARGET));
            proptest::prop_assert!(!e.message().is_empty());
            proptest::prop_assert!(!e.message().contains('\n'), "{}", e.message());
        }
    }
}
