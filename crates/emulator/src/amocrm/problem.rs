//! amoCRM's error replies: `application/problem+json` bodies
//! `{"title", "type": "https://httpstatus.es/NNN", "status", "detail"}`, the
//! OAuth variant with a `hint`, and the HTML page of an API block.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::html::nginx_error_page;

/// The `type` of the OAuth endpoint's errors.
const OAUTH_TYPE: &str = "https://developers.amocrm.ru/v3/errors/OAuthProblemJson";

/// One problem reply.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    status: u16,
    body: Map<String, Value>,
    retry_after: Option<u64>,
}

/// One entry of a 400's `validation-errors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    /// `NotSupportedChoice`, `InvalidType`, …
    pub code: &'static str,
    /// The parameter, as sent: `filter[created_at][from]`.
    pub path: String,
    /// What is wrong with it.
    pub detail: String,
}

impl Problem {
    /// The usual shape, titled with the status's reason phrase.
    pub fn http(status: u16, detail: &str) -> Self {
        let title = StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Error");
        Self::titled(status, title, detail)
    }

    fn titled(status: u16, title: &str, detail: &str) -> Self {
        let mut body = Map::new();
        body.insert("title".into(), json!(title));
        body.insert(
            "type".into(),
            json!(format!("https://httpstatus.es/{status}")),
        );
        body.insert("status".into(), json!(status));
        body.insert("detail".into(), json!(detail));
        Problem {
            status,
            body,
            retry_after: None,
        }
    }

    /// 401: a missing, wrong, expired or revoked token.
    pub fn unauthorized() -> Self {
        Self::http(401, "Invalid user name or password")
    }

    /// 402: the account's paid or trial period is over.
    pub fn payment_required() -> Self {
        Self::http(402, "Payment required")
    }

    /// 404 for a path the API does not serve.
    pub fn not_found(url: &str) -> Self {
        Self::http(404, &format!("Cannot GET {url}"))
    }

    /// 405 for a method the path does not take.
    pub fn method_not_allowed() -> Self {
        Self::http(405, "Method Not Allowed")
    }

    /// 422: `limit` over 250.
    pub fn limit_too_big() -> Self {
        Self::http(422, "Limit 250 per page")
    }

    /// 429 with `retry_after` (seconds, at least 1) in the body and the
    /// `Retry-After` header.
    pub fn too_many_requests(retry_after: u64) -> Self {
        let retry_after = retry_after.max(1);
        let mut problem = Self::http(
            429,
            "You have sent too many requests in a given amount of time. Please try again later.",
        );
        problem
            .body
            .insert("retry_after".into(), json!(retry_after));
        problem.retry_after = Some(retry_after);
        problem
    }

    /// 400 `Request validation failed` listing what is wrong.
    pub fn invalid(errors: Vec<Invalid>) -> Self {
        let errors: Vec<Value> = errors
            .into_iter()
            .map(|e| json!({"code": e.code, "path": e.path, "detail": e.detail}))
            .collect();
        let mut problem = Self::http(400, "Request validation failed");
        problem.body.insert(
            "validation-errors".into(),
            json!([{"request_id": "0", "errors": errors}]),
        );
        problem
    }

    /// 500: amoCRM's own failure page, which has no `type` but a trace id.
    pub fn internal(trace: u64) -> Self {
        let mut body = Map::new();
        body.insert("title".into(), json!("ErrInternalServer"));
        body.insert("status".into(), json!(500));
        body.insert(
            "detail".into(),
            json!("Our team are probably already working on this problem. Try to repeat the request later."),
        );
        body.insert("trace_id".into(), json!(format!("{trace:016x}")));
        Problem {
            status: 500,
            body,
            retry_after: None,
        }
    }

    /// An error of the OAuth endpoint: 400 for a missing or unusable
    /// parameter, 401 for bad client credentials or a dead refresh token.
    pub fn oauth(status: u16, hint: &str) -> Self {
        let mut body = Map::new();
        body.insert("hint".into(), json!(hint));
        body.insert("title".into(), json!("Некорректный запрос"));
        body.insert("type".into(), json!(OAUTH_TYPE));
        body.insert("status".into(), json!(status));
        body.insert(
            "detail".into(),
            json!("В запросе отсутствует ряд параметров или параметры невалидны"),
        );
        Problem {
            status,
            body,
            retry_after: None,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            Value::Object(self.body).to_string(),
        )
            .into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// 403 while the API is blocked after repeated 429s: an HTML page, as a
/// blocked account was seen to get (amocrm-api-php #318), not JSON.
pub(crate) fn blocked() -> Response {
    nginx_error_page(403)
}
