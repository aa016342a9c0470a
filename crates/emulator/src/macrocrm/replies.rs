//! How the fake company names requests and answers faults.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::company::Company;
use super::routes::refusal;
use super::signature::BAD_SIGNATURE;
use crate::system::FakeSystem;

/// A realistic page, cut short for malformed replies.
const SAMPLE_BODY: &str = r#"{"success":true,"total":2,"data":[{"id":1234567,"created_at":"2026-11-02 09:00:00","title":"Квартира 2к","status_id":"NEW","utm_source":"yandex","contacts":[{"id":4000,"name":"Иван Иванов","phones":["8(555)555-55-55"],"telegram":null,"vk":null}]}]}"#;

impl FakeSystem for Company {
    /// `/estate/request/get/` → `estate/request/get`; the signature travels in
    /// the query or body, so the path is recorded as sent.
    fn describe(&self, path: &str) -> (String, String) {
        (path.to_owned(), path.trim_matches('/').to_owned())
    }

    /// A refused signature: HTTP 200 with an error body.
    fn auth_error(&self) -> Response {
        refusal(StatusCode::OK, BAD_SIGNATURE)
    }

    /// A JSON error; 429 asks for 1 s, 503 for 3 s.
    fn status_error(&self, status: u16) -> Response {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let wait = match status {
            429 => Some("1"),
            503 => Some("3"),
            _ => None,
        };
        let mut reply = refusal(code, code.canonical_reason().unwrap_or("Error"));
        if let Some(wait) = wait {
            reply
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static(wait));
        }
        reply
    }

    fn temporary_error(&self, pick: u64) -> Response {
        let status = [500, 502, 504][(pick % 3) as usize];
        self.status_error(status)
    }

    fn html_statuses(&self) -> &'static [u16] {
        &[502, 503, 504]
    }

    fn sample_body(&self) -> &'static str {
        SAMPLE_BODY
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::macrocrm::MacroOptions;

    #[test]
    fn names_requests_and_has_a_valid_sample() {
        let company = Company::new(MacroOptions::default());
        assert_eq!(
            company.describe("/estate/request/get/").1,
            "estate/request/get"
        );
        assert!(serde_json::from_str::<serde_json::Value>(SAMPLE_BODY).is_ok());
    }
}
