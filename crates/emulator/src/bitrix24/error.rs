//! Bitrix24's error replies: `{"error": CODE, "error_description": TEXT}`
//! with the HTTP status the portal uses for each.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// One Bitrix24 error. The code may be an empty string, as many CRM method
/// errors are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub description: String,
}

impl ApiError {
    fn new(status: u16, code: &'static str, description: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            description: description.into(),
        }
    }

    /// 401: wrong user id or webhook code.
    pub fn no_auth() -> Self {
        Self::new(401, "NO_AUTH_FOUND", "Wrong authorization data")
    }

    /// 401: an OAuth access token past its lifetime; refresh and retry.
    pub fn expired_token() -> Self {
        Self::new(
            401,
            "expired_token",
            "The access token provided has expired",
        )
    }

    /// 401: an `auth` value that is no access token of this portal.
    pub fn invalid_token() -> Self {
        Self::new(401, "invalid_token", "The access token provided is invalid")
    }

    /// 400 from the OAuth server: the refresh token (or code) is expired,
    /// revoked, already exchanged or unknown; the user must authorise again.
    /// 400 as RFC 6749 §5.2 says, and as the official PHP SDK expects
    /// (`ApiLevelErrorHandler::handleOAuthError`).
    pub fn invalid_grant() -> Self {
        Self::new(400, "invalid_grant", "Invalid grant")
    }

    /// 401 from the OAuth server: wrong `client_id` or `client_secret` (the
    /// official PHP SDK reads `invalid_client` from a 401).
    pub fn invalid_client() -> Self {
        Self::new(401, "invalid_client", "Invalid client")
    }

    /// 400 from the OAuth server: a missing or unsupported parameter.
    pub fn oauth_invalid_request(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", description)
    }

    /// 403: the webhook's user lacks permissions.
    pub fn invalid_credentials() -> Self {
        Self::new(403, "INVALID_CREDENTIALS", "Invalid request credentials")
    }

    /// 503: the leaky bucket overflowed.
    pub fn query_limit() -> Self {
        Self::new(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
    }

    /// 429: the method's operating-time budget is spent.
    pub fn operation_time_limit() -> Self {
        Self::new(
            429,
            "OPERATION_TIME_LIMIT",
            "Method is blocked due to operation time limit.",
        )
    }

    /// 500: the portal failed.
    pub fn internal(status: u16) -> Self {
        Self::new(status, "INTERNAL_SERVER_ERROR", "Internal server error")
    }

    /// 404: a path the portal does not serve.
    pub fn path_not_found() -> Self {
        Self::new(404, "NOT_FOUND", "Not found")
    }

    /// 404: no such REST method.
    pub fn method_not_found() -> Self {
        Self::new(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
    }

    /// 400: more than 50 commands in one batch.
    pub fn batch_too_long() -> Self {
        Self::new(
            400,
            "ERROR_BATCH_LENGTH_EXCEEDED",
            "Max batch length exceeded",
        )
    }

    /// 405: a batch inside a batch.
    pub fn batch_method_not_allowed() -> Self {
        Self::new(
            405,
            "ERROR_BATCH_METHOD_NOT_ALLOWED",
            "Method is not allowed for batch usage",
        )
    }

    /// 400: the request body could not be read as its content type says.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(400, "INVALID_REQUEST", description)
    }

    /// 400 `INVALID_ARG_VALUE`: `crm.item.list` refuses a filter or order.
    pub fn invalid_arg(description: impl Into<String>) -> Self {
        Self::new(400, "INVALID_ARG_VALUE", description)
    }

    /// 400 `NOT_FOUND`: `crm.item.*` with an `entityTypeId` the portal does
    /// not have.
    pub fn entity_type_not_found() -> Self {
        Self::new(400, "NOT_FOUND", "Smart process not found")
    }

    /// 400 with an empty code, the shape of CRM method validation errors.
    pub fn crm(description: impl Into<String>) -> Self {
        Self::new(400, "", description)
    }

    /// The error object as it appears in a reply or in a batch's
    /// `result_error`.
    pub fn body(&self) -> serde_json::Value {
        json!({"error": self.code, "error_description": self.description})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            self.body().to_string(),
        )
            .into_response()
    }
}
