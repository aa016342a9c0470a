//! Liner's replies: the `{success, message, data}` envelope and what each
//! status means for the lead.

use liner_sync_core::http::Reply;
use liner_sync_core::{Error, Result};
use serde::Deserialize;

const TARGET: &str = "liner";

#[derive(Debug, Deserialize)]
struct Envelope {
    success: Option<bool>,
    #[serde(default)]
    message: Option<serde_json::Value>,
    #[serde(default)]
    data: serde_json::Value,
}

/// What Liner's reply means: `Ok(data)` for an accepted request, otherwise an
/// error whose kind tells the engine what to do.
///
/// | reply | meaning |
/// |---|---|
/// | 2xx, `success: true` | accepted |
/// | 2xx, `success: false` | rejected with Liner's message |
/// | 409 | the lead exists already: accepted |
/// | 400, 422, other 4xx | rejected with Liner's message |
/// | 401, 403 | the key is refused: stop the run |
/// | 404 | wrong `base_url`: stop the run |
/// | 3xx | `base_url` is redirected: stop the run |
/// | 408, 429 | rate limited, honour `Retry-After` |
/// | 5xx, HTML, broken JSON | temporary |
pub fn parse_reply(reply: &Reply) -> Result<serde_json::Value> {
    let status = reply.status.as_u16();
    if reply.status.is_redirection() {
        let to = reply.location.as_deref().unwrap_or("(no Location header)");
        return Err(Error::config(format!(
            "Liner redirects (HTTP {status}) to {to}; set liner.base_url to the new address"
        ))
        .with_target(TARGET));
    }
    let envelope = match reply.json(TARGET).and_then(|json| envelope(json, reply)) {
        Ok(envelope) => Some(envelope),
        Err(e) if reply.status.is_success() => return Err(e),
        // An HTML page or broken JSON: temporary, and the error says which.
        Err(e) if reply.status.is_server_error() && e.is_temporary() => return Err(e),
        // A 4xx or 5xx whose body is not the envelope: the status alone decides.
        Err(_) => None,
    };
    let liner_message = envelope
        .as_ref()
        .and_then(|e| e.message.as_ref())
        .map(message_text)
        .filter(|m| !m.is_empty());
    let detail = liner_message.clone().unwrap_or_else(|| reply.snippet());
    let message = liner_message.unwrap_or_else(|| format!("HTTP {status}: {}", reply.snippet()));
    let error = match status {
        200..=299 => match envelope {
            Some(Envelope {
                success: Some(true),
                data,
                ..
            }) => return Ok(data),
            Some(Envelope {
                success: Some(false),
                ..
            }) => Error::rejected(message),
            _ => Error::invalid_data(format!(
                "reply without 'success' (HTTP {status}): {}",
                reply.snippet()
            )),
        },
        409 => {
            tracing::info!("Liner reports the lead exists already (HTTP 409): {message}");
            return Ok(envelope.map(|e| e.data).unwrap_or_default());
        }
        401 | 403 => Error::auth(format!(
            "Liner refused the API key (HTTP {status}: {detail}); check liner.api_key"
        )),
        404 => Error::config(format!(
            "Liner answered HTTP 404 ({detail}); check liner.base_url"
        )),
        408 | 429 => {
            let mut e = Error::rate_limited(format!("HTTP {status}: {detail}"));
            if let Some(wait) = reply.retry_after {
                e = e.with_retry_after(wait);
            }
            e
        }
        500..=599 => {
            let mut e = Error::temporary(format!("HTTP {status}: {detail}"));
            if let Some(wait) = reply.retry_after {
                e = e.with_retry_after(wait);
            }
            e
        }
        _ => Error::rejected(message),
    };
    Err(error.with_target(TARGET))
}

/// The envelope a reply's JSON holds. Only an object is one: serde would
/// read `[true]` as `{"success": true}`.
fn envelope(json: serde_json::Value, reply: &Reply) -> Result<Envelope> {
    let unexpected = |why: &dyn std::fmt::Display| {
        Error::invalid_data(format!("unexpected JSON (HTTP {}): {why}", reply.status))
            .with_target(TARGET)
    };
    if !json.is_object() {
        return Err(unexpected(&"not an object"));
    }
    serde_json::from_value(json).map_err(|e| unexpected(&e))
}

/// Liner's `message` is a string; tolerate a list or object of field errors.
fn message_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.trim().to_owned(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liner_sync_core::ErrorKind;
    use reqwest::StatusCode;
    use std::time::Duration;

    fn reply(status: u16, body: &str) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            retry_after: (status == 429).then(|| Duration::from_secs(3)),
            location: None,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn classifies_every_kind_of_reply() {
        let ok = |status, body: &str| parse_reply(&reply(status, body));
        assert_eq!(
            ok(200, r#"{"success":true,"message":"","data":[]}"#).unwrap(),
            serde_json::json!([])
        );
        assert_eq!(
            ok(200, r#"{"success":true,"message":"","data":{"id":17}}"#).unwrap(),
            serde_json::json!({"id":17})
        );
        assert!(
            ok(
                409,
                r#"{"success":false,"message":"duplicate","data":null}"#
            )
            .is_ok()
        );

        let cases: &[(u16, &str, ErrorKind, &str)] = &[
            (
                200,
                r#"{"success":false,"message":"phone: invalid format","data":null}"#,
                ErrorKind::Rejected,
                "liner: phone: invalid format",
            ),
            (
                400,
                r#"{"success":false,"message":"orderId: no such order","data":null}"#,
                ErrorKind::Rejected,
                "liner: orderId: no such order",
            ),
            (
                422,
                r#"{"success":false,"message":["phone is required"],"data":null}"#,
                ErrorKind::Rejected,
                "liner: [\"phone is required\"]",
            ),
            (
                400,
                "Bad Request",
                ErrorKind::Rejected,
                "liner: HTTP 400: Bad Request",
            ),
            (
                401,
                r#"{"success":false,"message":"Invalid API key","data":null}"#,
                ErrorKind::Auth,
                "liner: Liner refused the API key (HTTP 401: Invalid API key); check liner.api_key",
            ),
            (
                403,
                "",
                ErrorKind::Auth,
                "liner: Liner refused the API key (HTTP 403: (empty body)); check liner.api_key",
            ),
            (
                404,
                "<html><title>404 Not Found</title></html>",
                ErrorKind::Config,
                "liner: Liner answered HTTP 404 (404 Not Found); check liner.base_url",
            ),
            (
                404,
                r#"{"success":false,"message":"Not found","data":null}"#,
                ErrorKind::Config,
                "liner: Liner answered HTTP 404 (Not found); check liner.base_url",
            ),
            (
                429,
                r#"{"success":false,"message":"Too many requests","data":null}"#,
                ErrorKind::RateLimited,
                "liner: HTTP 429: Too many requests",
            ),
            (
                500,
                r#"{"success":false,"message":"Internal error","data":null}"#,
                ErrorKind::Temporary,
                "liner: HTTP 500: Internal error",
            ),
            (
                502,
                "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>",
                ErrorKind::Temporary,
                "liner: HTML page instead of JSON (HTTP 502 Bad Gateway): 502 Bad Gateway",
            ),
            (200, r#"{"success":true,"mess"#, ErrorKind::Temporary, ""),
            // A list was read as the envelope's fields in order: `[true]`
            // accepted the lead, `[false]` rejected it (found by the
            // property below).
            (
                200,
                "[true]",
                ErrorKind::InvalidData,
                "liner: unexpected JSON (HTTP 200 OK): not an object",
            ),
            (200, "[false, \"no\"]", ErrorKind::InvalidData, ""),
            // JSON that is not the envelope in a 5xx was "unexpected JSON",
            // not retried (found by the property below).
            (500, "null", ErrorKind::Temporary, "liner: HTTP 500: null"),
            (
                503,
                r#""Service Unavailable""#,
                ErrorKind::Temporary,
                "liner: HTTP 503: \"Service Unavailable\"",
            ),
            (200, r#"{"data":1}"#, ErrorKind::InvalidData, ""),
            (
                302,
                "",
                ErrorKind::Config,
                "liner: Liner redirects (HTTP 302) to (no Location header); set liner.base_url to the new address",
            ),
        ];
        for (status, body, kind, message) in cases {
            let e = ok(*status, body).unwrap_err();
            assert_eq!(e.kind(), *kind, "{status} {body}");
            if !message.is_empty() {
                assert_eq!(e.to_string(), *message, "{status} {body}");
            }
        }
        assert_eq!(
            ok(429, "{}").unwrap_err().retry_after(),
            Some(Duration::from_secs(3))
        );
    }

    /// Liner's replies from `fixtures/liner`, with wrong types in them, or
    /// any bytes.
    fn any_body() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let json =
            liner_sync_core::testing::json(&["success", "message", "data", "id", "list"], &[]);
        let real: Vec<serde_json::Value> = [
            "liner_v2_lead_create_async_response.json",
            "liner_v2_error_400_validation.json",
            "liner_v2_error_401_invalid_api_key.json",
            "liner_v2_error_429_too_many_requests.json",
            "liner_v2_order_list_response_partial.json",
        ]
        .iter()
        .map(|name| {
            liner_sync_core::testing::read_json(format!(
                "{}/../../fixtures/liner/{name}",
                env!("CARGO_MANIFEST_DIR")
            ))
        })
        .collect();
        prop_oneof![
            liner_sync_core::testing::body(json.clone()),
            liner_sync_core::testing::mutated_one_of(real, json)
                .prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_reply_means_what_the_table_says(status in 200u16..600, body in any_body()) {
            let reply = liner_sync_core::testing::reply(status, body);
            let envelope: Option<serde_json::Value> = serde_json::from_slice(&reply.body).ok();
            let success = envelope.as_ref().and_then(|e| e.get("success")).and_then(|s| s.as_bool());
            let want = match status {
                200..=299 if success == Some(true) => None,
                200..=299 if success == Some(false) => Some(ErrorKind::Rejected),
                200..=299 => Some(ErrorKind::InvalidData),
                300..=399 => Some(ErrorKind::Config),
                409 => None,
                401 | 403 => Some(ErrorKind::Auth),
                404 => Some(ErrorKind::Config),
                408 | 429 => Some(ErrorKind::RateLimited),
                500..=599 => Some(ErrorKind::Temporary),
                _ => Some(ErrorKind::Rejected),
            };
            match parse_reply(&reply) {
                Ok(data) => {
                    proptest::prop_assert_eq!(want, None, "HTTP {} accepted", status);
                    if status != 409 {
                        let sent = envelope.as_ref().and_then(|e| e.get("data")).cloned();
                        proptest::prop_assert_eq!(data, sent.unwrap_or_default());
                    }
                }
                Err(e) => {
                    proptest::prop_assert_eq!(e.target(), Some(TARGET));
                    proptest::prop_assert!(!e.message().is_empty());
                    // Broken JSON or an HTML page in a 2xx is temporary too.
                    let broken = (200..300).contains(&status) && e.kind() == ErrorKind::Temporary;
                    proptest::prop_assert!(Some(e.kind()) == want || broken, "HTTP {}: {}", status, e);
                }
            }
        }
    }
}
