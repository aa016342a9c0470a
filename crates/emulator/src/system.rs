//! What the shared machinery (faults, recording, serving) needs to know about
//! one faked system.

use axum::response::Response;

/// One faked API: how its requests are named and how it says "no".
pub(crate) trait FakeSystem: Send + Sync + 'static {
    /// The path to record (secrets masked) and the API method a request path
    /// calls.
    fn describe(&self, path: &str) -> (String, String);

    /// The system's authorisation error.
    fn auth_error(&self) -> Response;

    /// The system's error reply for a forced HTTP status.
    fn status_error(&self, status: u16) -> Response;

    /// The system's temporary error; `pick` chooses a variant.
    fn temporary_error(&self, pick: u64) -> Response;

    /// Statuses its HTML error pages may carry.
    fn html_statuses(&self) -> &'static [u16];

    /// A typical success body, cut short for malformed replies.
    fn sample_body(&self) -> &'static str;

    /// The `Content-Type` a success body carries.
    fn sample_content_type(&self) -> &'static str {
        "application/json; charset=utf-8"
    }
}
