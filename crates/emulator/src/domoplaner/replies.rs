//! How the fake account names requests and answers faults: like a website,
//! with HTML error pages.

use axum::http::{HeaderValue, header};
use axum::response::Response;

use super::account::Account;
use super::routes::not_found_page;
use crate::html::nginx_error_page;
use crate::system::FakeSystem;

/// A short feed, cut short for malformed replies.
const SAMPLE_BODY: &str = r#"{"deals":[{"id":51234,"dt_create":"2026-11-02 09:00:00","title":"Заявка с сайта","status_id":101,"price":5400000,"utm_source":"yandex","utm_campaign":null,"client":{"id":4260303,"name":"Иван Иванов","dt_create":"2026-11-02 08:58:00","telegram":null,"vk":null,"phones":[{"id":1,"type":1,"value":"+7 (900) 123-45-67","tg_chat_id":null,"max_chat_id":null,"comment":""}]}}]}"#;

impl FakeSystem for Account {
    /// `/feeds/<token>.json` → `feed`, recorded as `/feeds/***.json`;
    /// `/api/leads/get-by-id` → `leads/get-by-id`.
    fn describe(&self, path: &str) -> (String, String) {
        if path.starts_with("/feeds/") {
            return ("/feeds/***.json".to_owned(), "feed".to_owned());
        }
        let method = path.strip_prefix("/api/").unwrap_or(path).trim_matches('/');
        (path.to_owned(), method.to_owned())
    }

    /// A feed whose token no longer works: the site's 404 page.
    fn auth_error(&self) -> Response {
        not_found_page()
    }

    /// The site's error page; a 429 asks for 1 s.
    fn status_error(&self, status: u16) -> Response {
        let mut reply = nginx_error_page(status);
        if status == 429 {
            reply
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        reply
    }

    fn temporary_error(&self, pick: u64) -> Response {
        nginx_error_page([500, 502, 504][(pick % 3) as usize])
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
    use crate::domoplaner::DomoplanerOptions;

    #[test]
    fn names_requests_without_the_token_and_has_a_valid_sample() {
        let account = Account::new(DomoplanerOptions::default(), chrono_tz::Europe::Moscow);
        assert_eq!(
            account.describe("/feeds/s3cret.json"),
            ("/feeds/***.json".to_owned(), "feed".to_owned())
        );
        assert_eq!(
            account.describe("/api/leads/get-by-id").1,
            "leads/get-by-id"
        );
        assert!(serde_json::from_str::<serde_json::Value>(SAMPLE_BODY).is_ok());
    }
}
