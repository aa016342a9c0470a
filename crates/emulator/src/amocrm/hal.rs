//! HAL replies (`application/hal+json`): list pages with `_page`, `_links`
//! and `_embedded`, single entities, and the empty 204.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::params::decode_component;

/// Where a list was asked for: `{base}{path}?{query}`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Listing<'a> {
    /// The account's base URL.
    pub base: &'a str,
    /// `/api/v4/leads`.
    pub path: &'a str,
    /// The raw query string, if any.
    pub query: Option<&'a str>,
}

impl Listing<'_> {
    /// The list's URL for `page`: the same query with `page` replaced.
    fn href(&self, page: u64) -> Value {
        let mut pairs: Vec<&str> = self
            .query
            .unwrap_or_default()
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| {
                let key = pair.split_once('=').map_or(*pair, |(key, _)| key);
                decode_component(key) != "page"
            })
            .collect();
        let page = format!("page={page}");
        pairs.push(&page);
        json!({"href": format!("{}{}?{}", self.base, self.path, pairs.join("&"))})
    }
}

/// One page of `key` items; 204 with no body when it is empty. `next` only
/// when a further page has items; `first` and `prev` from page 2 on.
pub(crate) fn page(
    listing: Listing<'_>,
    page: u64,
    has_next: bool,
    key: &str,
    items: Vec<Value>,
) -> Response {
    if items.is_empty() {
        return no_content();
    }
    let mut links = Map::new();
    links.insert("self".into(), listing.href(page));
    if has_next {
        links.insert("next".into(), listing.href(page + 1));
    }
    if page > 1 {
        links.insert("first".into(), listing.href(1));
        links.insert("prev".into(), listing.href(page - 1));
    }
    hal(json!({
        "_page": page,
        "_links": links,
        "_embedded": {key: items},
    }))
}

/// 200 `application/hal+json`.
pub(crate) fn hal(body: Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/hal+json")],
        body.to_string(),
    )
        .into_response()
}

/// 204 with an empty body: nothing matched.
pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_carry_the_query_with_the_page_replaced() {
        let listing = Listing {
            base: "http://127.0.0.1:9",
            path: "/api/v4/leads",
            query: Some("limit=2&page=2&filter%5Bid%5D%5B%5D=5&with=contacts"),
        };
        assert_eq!(
            listing.href(3)["href"],
            "http://127.0.0.1:9/api/v4/leads?limit=2&filter%5Bid%5D%5B%5D=5&with=contacts&page=3"
        );
        let bare = Listing {
            query: None,
            ..listing
        };
        assert_eq!(
            bare.href(1)["href"],
            "http://127.0.0.1:9/api/v4/leads?page=1"
        );
    }
}
