//! How the fake portal names requests and answers faults.

use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::portal::Portal;
use crate::html::nginx_error_page;
use crate::system::FakeSystem;

/// A realistic `crm.deal.list` page, cut short for malformed replies.
const SAMPLE_BODY: &str = r#"{"result":[{"ID":"37","TITLE":"Заявка с сайта","STAGE_ID":"NEW","CATEGORY_ID":"0","CONTACT_ID":"148","DATE_CREATE":"2026-11-02T10:15:00+03:00"},{"ID":"38","TITLE":"Звонок с рекламы","STAGE_ID":"C1:NEW","CATEGORY_ID":"1","CONTACT_ID":null,"DATE_CREATE":"2026-11-02T10:17:12+03:00"}],"total":0,"time":{"start":1793603700.1,"finish":1793603700.2,"duration":0.1,"processing":0.09,"date_start":"2026-11-02T10:15:00+03:00","date_finish":"2026-11-02T10:15:00+03:00","operating_reset_at":1793604300,"operating":0}}"#;

impl FakeSystem for Portal {
    fn describe(&self, path: &str) -> (String, String) {
        if path.trim_end_matches('/') == "/oauth/token" {
            return (path.to_owned(), "oauth/token".to_owned());
        }
        let mut masked = mask_path(path);
        if !self.webhook_code.is_empty() {
            masked = masked.replace(&self.webhook_code, "***");
        }
        let method = rest_method(path).unwrap_or_default();
        (masked, method)
    }

    fn auth_error(&self) -> Response {
        ApiError::no_auth().into_response()
    }

    fn status_error(&self, status: u16) -> Response {
        match status {
            429 => ApiError::operation_time_limit().into_response(),
            503 => ApiError::query_limit().into_response(),
            401 => ApiError::no_auth().into_response(),
            403 => ApiError::invalid_credentials().into_response(),
            404 => ApiError::method_not_found().into_response(),
            400 => ApiError::invalid_request("Bad request").into_response(),
            502 | 504 => nginx_error_page(status),
            other => ApiError::internal(other).into_response(),
        }
    }

    fn temporary_error(&self, pick: u64) -> Response {
        if pick.is_multiple_of(2) {
            ApiError::query_limit().into_response()
        } else {
            ApiError::internal(500).into_response()
        }
    }

    fn html_statuses(&self) -> &'static [u16] {
        &[502]
    }

    fn sample_body(&self) -> &'static str {
        SAMPLE_BODY
    }
}

/// `/rest/1/CODE/crm.deal.list` → `/rest/1/***/crm.deal.list`. Every segment
/// that could be a secret is masked, whatever the path's shape; the lone
/// segment of an OAuth call (`/rest/crm.deal.list`) stays when it reads as a
/// method name.
fn mask_path(path: &str) -> String {
    let Some(rest) = path.strip_prefix("/rest/") else {
        return path.to_owned();
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let last = parts.len() - 1;
    let masked: Vec<&str> = parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let is_user = i == 0 && part.bytes().all(|b| b.is_ascii_digit());
            let is_method =
                i == last && (parts.len() >= 3 || (parts.len() == 1 && looks_like_method(part)));
            if is_user || is_method || part.is_empty() {
                part
            } else {
                "***"
            }
        })
        .collect();
    format!("/rest/{}", masked.join("/"))
}

/// A method name (`crm.deal.list`, `batch`), never a token: tokens are hex
/// and method names have a dot or no digits.
fn looks_like_method(segment: &str) -> bool {
    !segment.is_empty() && (segment.contains('.') || !segment.bytes().any(|b| b.is_ascii_digit()))
}

/// The method a `/rest/USER/CODE/METHOD[.json]` or `/rest/METHOD` path calls.
fn rest_method(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.strip_prefix("/rest/")?.split('/').collect();
    let method = match parts.as_slice() {
        [method] => method,
        [_, _, method, ..] => method,
        _ => return None,
    };
    Some(super::methods::method_name(method))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_possible_secret() {
        assert_eq!(mask_path("/rest/1/s3cr3t/batch"), "/rest/1/***/batch");
        assert_eq!(
            mask_path("/rest/1/s3cr3t/crm.deal.list.json"),
            "/rest/1/***/crm.deal.list.json"
        );
        assert_eq!(mask_path("/rest/s3cr3t/crm.deal.list"), "/rest/***/***");
        assert_eq!(mask_path("/rest/1/s3cr3t"), "/rest/1/***");
        assert_eq!(mask_path("/rest/1/s3cr3t/"), "/rest/1/***/");
        assert_eq!(mask_path("/other"), "/other");
        assert_eq!(mask_path("/rest/crm.deal.list"), "/rest/crm.deal.list");
        assert_eq!(mask_path("/rest/batch"), "/rest/batch");
        assert_eq!(mask_path("/rest/5f2a9c0e77d1"), "/rest/***");
        assert_eq!(
            rest_method("/rest/crm.deal.list.json").as_deref(),
            Some("crm.deal.list")
        );
        assert_eq!(
            rest_method("/rest/1/x/CRM.DEAL.LIST.json").as_deref(),
            Some("crm.deal.list")
        );
    }
}
