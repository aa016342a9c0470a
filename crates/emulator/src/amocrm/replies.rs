//! How the fake account names requests and answers faults.

use axum::response::{IntoResponse, Response};

use super::account::Account;
use super::problem::{Problem, blocked};
use crate::system::FakeSystem;

/// A realistic leads page, cut short for malformed replies.
const SAMPLE_BODY: &str = r#"{"_page":1,"_links":{"self":{"href":"http://127.0.0.1/api/v4/leads?limit=2&page=1"},"next":{"href":"http://127.0.0.1/api/v4/leads?limit=2&page=2"}},"_embedded":{"leads":[{"id":3701,"name":"Заявка с сайта","price":3450000,"responsible_user_id":8000006,"group_id":0,"status_id":60000001,"pipeline_id":7000000,"loss_reason_id":null,"source_id":null,"created_by":8000006,"updated_by":8000006,"created_at":1793603700,"updated_at":1793603760,"closed_at":null,"closest_task_at":null,"is_deleted":false,"custom_fields_values":null,"score":null,"account_id":31415926,"_links":{"self":{"href":"http://127.0.0.1/api/v4/leads/3701"}},"_embedded":{"tags":[],"companies":[]}}]}}"#;

impl FakeSystem for Account {
    /// `/api/v4/leads` → `leads`, `/api/v4/leads/7` → `leads/{id}`,
    /// `/oauth2/access_token` as it is. Tokens travel in headers and
    /// bodies, so the path is recorded as sent.
    fn describe(&self, path: &str) -> (String, String) {
        let name = path.strip_prefix("/api/v4/").unwrap_or(path);
        let name = name.trim_matches('/');
        let method = match name.rsplit_once('/') {
            Some((resource, id)) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
                format!("{resource}/{{id}}")
            }
            _ => name.to_owned(),
        };
        (path.to_owned(), method)
    }

    fn auth_error(&self) -> Response {
        Problem::unauthorized().into_response()
    }

    fn status_error(&self, status: u16) -> Response {
        match status {
            401 => Problem::unauthorized().into_response(),
            402 => Problem::payment_required().into_response(),
            403 => blocked(),
            405 => Problem::method_not_allowed().into_response(),
            422 => Problem::limit_too_big().into_response(),
            429 => Problem::too_many_requests(1).into_response(),
            500 => Problem::internal(0xa3f2_91c4_07be_55d1).into_response(),
            other => Problem::http(other, "Forced by the fake").into_response(),
        }
    }

    fn temporary_error(&self, pick: u64) -> Response {
        match pick % 3 {
            0 => Problem::internal(pick).into_response(),
            1 => Problem::http(502, "Bad Gateway").into_response(),
            _ => Problem::http(504, "Gateway Timeout").into_response(),
        }
    }

    fn html_statuses(&self) -> &'static [u16] {
        &[502, 503, 504]
    }

    fn sample_body(&self) -> &'static str {
        SAMPLE_BODY
    }

    fn sample_content_type(&self) -> &'static str {
        "application/hal+json"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amocrm::AmoOptions;

    #[test]
    fn names_requests() {
        let account = Account::new(AmoOptions::default(), "http://x".into());
        let method = |path: &str| account.describe(path).1;
        assert_eq!(method("/api/v4/leads"), "leads");
        assert_eq!(method("/api/v4/leads/19619"), "leads/{id}");
        assert_eq!(method("/api/v4/contacts"), "contacts");
        assert_eq!(method("/api/v4/account"), "account");
        assert_eq!(method("/oauth2/access_token"), "oauth2/access_token");
        assert!(serde_json::from_str::<serde_json::Value>(SAMPLE_BODY).is_ok());
    }
}
