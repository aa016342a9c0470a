//! How the fake Liner names requests and answers faults.

use axum::response::Response;

use super::account::Account;
use super::envelope::{failure, invalid_api_key, too_many_requests};
use crate::system::FakeSystem;

impl FakeSystem for Account {
    fn describe(&self, path: &str) -> (String, String) {
        let method = path
            .trim_start_matches('/')
            .trim_start_matches("v2/")
            .trim_end_matches('/')
            .to_owned();
        (path.to_owned(), method)
    }

    fn auth_error(&self) -> Response {
        invalid_api_key()
    }

    fn status_error(&self, status: u16) -> Response {
        match status {
            429 => too_many_requests(1),
            401 => invalid_api_key(),
            other => failure(other, message_for(other)),
        }
    }

    fn temporary_error(&self, pick: u64) -> Response {
        let status = [500, 502, 503][(pick % 3) as usize];
        failure(status, message_for(status))
    }

    fn html_statuses(&self) -> &'static [u16] {
        &[502, 503, 504]
    }

    fn sample_body(&self) -> &'static str {
        r#"{"success":true,"message":"","data":[]}"#
    }
}

fn message_for(status: u16) -> &'static str {
    match status {
        400 | 422 => "Validation failed",
        403 => "Access denied",
        404 => "Not found",
        409 => "Conflict",
        502 => "Bad gateway",
        503 => "Service unavailable",
        504 => "Gateway timeout",
        _ => "Internal server error",
    }
}
