//! Liner's reply envelope: `{"success": bool, "message": text, "data": …}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A successful reply carrying `data`.
pub(crate) fn success(data: Value) -> Response {
    (
        StatusCode::OK,
        Json(json!({"success": true, "message": "", "data": data})),
    )
        .into_response()
}

/// A failed reply: `success: false`, the message, `data: null`.
pub(crate) fn failure(status: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        Json(json!({"success": false, "message": message, "data": null})),
    )
        .into_response()
}

/// 401 for a missing or wrong `X-Api-Key`.
pub(crate) fn invalid_api_key() -> Response {
    failure(401, "Invalid API key")
}

/// 429 with `Retry-After` in whole seconds (at least 1).
pub(crate) fn too_many_requests(retry_after_seconds: u64) -> Response {
    let mut response = failure(429, "Too many requests");
    let seconds = retry_after_seconds.max(1).to_string();
    if let Ok(value) = HeaderValue::from_str(&seconds) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
