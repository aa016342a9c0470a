//! The amoCRM v4 endpoints this source calls, and the shapes of their
//! replies (HAL JSON: `_embedded`, `_links`).
//!
//! Query strings keep their brackets literal (`filter[id][]=5`): a contacts
//! call names up to 250 ids, and `%5B%5D` would make its URL a third longer.

use crate::config::origin_text;
use crate::contacts::IDS_PER_CALL;
use crate::error::TARGET;
use crate::mapping::items;
use liner_sync_core::{Error, Result};
use reqwest::Url;
use serde_json::Value;
use std::fmt::Write;

/// The leads list, relative to the origin.
const LEADS_PATH: &str = "/api/v4/leads";

/// The endpoints of one account.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    origin: Url,
    base: String,
}

impl Api {
    /// The endpoints under `origin` (`https://sub.amocrm.ru`).
    pub fn new(origin: Url) -> Self {
        let base = origin_text(&origin);
        Self { origin, base }
    }

    /// The first page of leads created at or after `from` (and at or before
    /// `to`, when given), oldest first, with their contact ids.
    pub fn first_leads_page(
        &self,
        page_size: u32,
        from: i64,
        to: Option<i64>,
        pipelines: &[u64],
    ) -> String {
        let mut url = format!(
            "{}{LEADS_PATH}?with=contacts&limit={page_size}&order[created_at]=asc\
             &filter[created_at][from]={from}",
            self.base
        );
        if let Some(to) = to {
            let _ = write!(url, "&filter[created_at][to]={to}");
        }
        for pipeline in pipelines {
            let _ = write!(url, "&filter[pipeline_id][]={pipeline}");
        }
        url
    }

    /// The contacts `ids` (at most one page of them).
    pub fn contacts(&self, ids: &[u64]) -> String {
        let mut url = format!("{}/api/v4/contacts?limit={IDS_PER_CALL}", self.base);
        for id in ids {
            let _ = write!(url, "&filter[id][]={id}");
        }
        url
    }

    /// One lead with its contact ids.
    pub fn lead(&self, id: u64) -> String {
        format!("{}{LEADS_PATH}/{id}?with=contacts", self.base)
    }

    /// The account (proves the host and the token).
    pub fn account(&self) -> String {
        format!("{}/api/v4/account", self.base)
    }

    /// The OAuth token endpoint.
    pub fn token(&self) -> String {
        format!("{}/oauth2/access_token", self.base)
    }

    /// The page after `current`, from the reply's `_links.next.href`: `None`
    /// when there is none. The link must stay on the configured host and on
    /// the leads list; one without `with=contacts` gets it back.
    pub fn next_page(&self, current: &str, page: &Value) -> Result<Option<String>> {
        let href = match page
            .get("_links")
            .and_then(|l| l.get("next"))
            .and_then(|n| n.get("href"))
        {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::String(href)) => href.trim(),
            Some(_) => return Err(bad_link("is not a string")),
        };
        if href.is_empty() {
            return Ok(None);
        }
        let base = Url::parse(current).map_err(|_| bad_link("follows an unreadable URL"))?;
        let mut next = base.join(href).map_err(|_| bad_link("is not a URL"))?;
        if next.origin() != self.origin.origin() {
            let host = next.host_str().unwrap_or("no host").to_owned();
            return Err(bad_link(&format!(
                "points at {host}, not at the configured account; refusing to send the token there"
            )));
        }
        if next.path().trim_end_matches('/') != LEADS_PATH {
            return Err(bad_link("does not point at the leads list"));
        }
        let with_contacts = next
            .query_pairs()
            .any(|(k, v)| k == "with" && v.split(',').any(|w| w.trim() == "contacts"));
        if !with_contacts {
            let query = match next.query() {
                Some(q) if !q.is_empty() => format!("{q}&with=contacts"),
                _ => "with=contacts".to_owned(),
            };
            next.set_query(Some(&query));
        }
        next.set_fragment(None);
        let next = next.to_string();
        if next == current || Url::parse(current).is_ok_and(|c| c.as_str() == next) {
            return Err(bad_link("points at the same page again"));
        }
        Ok(Some(next))
    }
}

fn bad_link(why: &str) -> Error {
    Error::invalid_data(format!("the leads page's _links.next {why}")).with_target(TARGET)
}

/// The leads of a list reply (`_embedded.leads`); none when the reply has no
/// `_embedded` or its list is `null`.
pub(crate) fn leads_of(page: &Value) -> Result<Vec<Value>> {
    embedded(page, "leads")
}

/// The contacts of a list reply (`_embedded.contacts`).
pub(crate) fn contacts_of(page: &Value) -> Result<Vec<Value>> {
    embedded(page, "contacts")
}

fn embedded(page: &Value, key: &str) -> Result<Vec<Value>> {
    let wrong = || {
        Error::invalid_data(format!(
            "the {key} reply is not a HAL list (_embedded.{key})"
        ))
        .with_target(TARGET)
    };
    if !page.is_object() {
        return Err(wrong());
    }
    match page.get("_embedded") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(e)) => match e.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(list @ (Value::Array(_) | Value::Object(_))) => {
                Ok(items(Some(list)).into_iter().cloned().collect())
            }
            Some(_) => Err(wrong()),
        },
        Some(_) => Err(wrong()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_base_url;
    use serde_json::json;

    fn api() -> Api {
        Api::new(parse_base_url("https://acme.amocrm.ru").unwrap())
    }

    #[test]
    fn urls_keep_their_brackets() {
        let a = api();
        assert_eq!(
            a.first_leads_page(250, 1_762_000_000, None, &[]),
            "https://acme.amocrm.ru/api/v4/leads?with=contacts&limit=250&order[created_at]=asc\
             &filter[created_at][from]=1762000000"
        );
        assert!(
            a.first_leads_page(50, 0, Some(99), &[])
                .ends_with("&filter[created_at][from]=0&filter[created_at][to]=99")
        );
        assert!(
            a.first_leads_page(50, 0, None, &[33, 44])
                .ends_with("&filter[pipeline_id][]=33&filter[pipeline_id][]=44")
        );
        assert_eq!(
            a.contacts(&[3, 4]),
            "https://acme.amocrm.ru/api/v4/contacts?limit=250&filter[id][]=3&filter[id][]=4"
        );
        assert_eq!(
            a.lead(19619),
            "https://acme.amocrm.ru/api/v4/leads/19619?with=contacts"
        );
        assert_eq!(a.account(), "https://acme.amocrm.ru/api/v4/account");
        assert_eq!(a.token(), "https://acme.amocrm.ru/oauth2/access_token");
        // reqwest keeps them literal too.
        let url = Url::parse(&a.contacts(&[3])).unwrap();
        assert_eq!(url.query(), Some("limit=250&filter[id][]=3"));
    }

    #[test]
    fn next_links_stay_on_the_account_and_the_leads_list() {
        let a = api();
        let current = a.first_leads_page(2, 0, None, &[]);
        let page = |href: Value| json!({"_links": {"next": {"href": href}}});
        let ok = [
            (
                json!("https://acme.amocrm.ru/api/v4/leads?with=contacts&limit=2&page=2"),
                "https://acme.amocrm.ru/api/v4/leads?with=contacts&limit=2&page=2",
            ),
            (
                json!("https://ACME.amocrm.ru:443/api/v4/leads?limit=2&page=3"),
                "https://acme.amocrm.ru/api/v4/leads?limit=2&page=3&with=contacts",
            ),
            (
                json!("/api/v4/leads?page=2&with=contacts,loss_reason"),
                "https://acme.amocrm.ru/api/v4/leads?page=2&with=contacts,loss_reason",
            ),
        ];
        for (href, want) in ok {
            assert_eq!(
                a.next_page(&current, &page(href.clone()))
                    .unwrap()
                    .as_deref(),
                Some(want),
                "{href}"
            );
        }
        for absent in [
            json!({}),
            json!({"_links": {}}),
            page(json!(null)),
            page(json!("")),
        ] {
            assert_eq!(a.next_page(&current, &absent).unwrap(), None, "{absent}");
        }
        let bad = [
            (
                page(json!("https://evil.example/api/v4/leads?page=2")),
                "evil.example",
            ),
            (
                page(json!("http://acme.amocrm.ru/api/v4/leads?page=2")),
                "not at the configured account",
            ),
            (
                page(json!("https://acme.amocrm.ru:8443/api/v4/leads?page=2")),
                "not at the configured",
            ),
            (
                page(json!("https://acme.amocrm.ru/api/v4/contacts?page=2")),
                "leads list",
            ),
            (page(json!(5)), "not a string"),
            (page(json!(current.clone())), "same page"),
        ];
        for (reply, needle) in bad {
            let err = a.next_page(&current, &reply).unwrap_err();
            assert_eq!(err.kind(), liner_sync_core::ErrorKind::InvalidData);
            assert!(err.message().contains(needle), "{reply}: {err}");
        }
    }

    #[test]
    fn lists_are_read_defensively() {
        let sample: Value =
            serde_json::from_str(include_str!("../testdata/leads_list_page_official.json"))
                .unwrap();
        assert_eq!(leads_of(&sample).unwrap().len(), 2);
        for empty in [
            json!({}),
            json!({"_embedded": null}),
            json!({"_embedded": {"leads": null}}),
            json!({"_embedded": {}}),
        ] {
            assert!(leads_of(&empty).unwrap().is_empty(), "{empty}");
        }
        for wrong in [
            json!([]),
            json!("x"),
            json!({"_embedded": []}),
            json!({"_embedded": {"leads": 5}}),
        ] {
            assert!(leads_of(&wrong).is_err(), "{wrong}");
        }
        assert_eq!(
            contacts_of(&json!({"_embedded": {"contacts": [{"id": 1}]}}))
                .unwrap()
                .len(),
            1
        );
    }

    /// A `_links.next.href` as a server might send it: anything, or a URL
    /// made of pieces that try to leave the account or the leads list.
    fn href() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let url = (
            "(https?|ftp|javascript):(//)?",
            prop::sample::select(vec![
                "acme.amocrm.ru",
                "ACME.amocrm.ru",
                "acme.amocrm.ru.evil.example",
                "acme.amocrm.ru@evil.example",
                "evil.example",
                "",
            ]),
            "(:[0-9]{1,5})?",
            prop::sample::select(vec![
                "/api/v4/leads",
                "/api/v4/leads/",
                "/api/v4/contacts",
                "/api/v4/leads/../contacts",
                "/api/v4/%6Ceads",
                "//evil.example/api/v4/leads",
                "",
            ]),
            "(\\?[a-z=&,%]{0,20})?(#.{0,5})?",
        )
            .prop_map(|(scheme, host, port, path, rest)| {
                format!("{scheme}{host}{port}{path}{rest}")
            });
        prop_oneof![
            3 => url.prop_map(Value::String),
            1 => "(/|\\./|\\.\\./|//|\\?)?[a-z/.?=&]{0,24}".prop_map(Value::String),
            1 => crate::testing::json(),
        ]
    }

    proptest::proptest! {
        #[test]
        fn a_next_link_stays_on_the_account_and_the_leads_list(href in href()) {
            let a = api();
            let current = a.first_leads_page(2, 0, None, &[]);
            let page = json!({"_links": {"next": {"href": href}}});
            match a.next_page(&current, &page) {
                Ok(Some(next)) => {
                    let url = Url::parse(&next).unwrap();
                    proptest::prop_assert_eq!(url.origin(), a.origin.origin(), "{}", next);
                    proptest::prop_assert_eq!(url.path().trim_end_matches('/'), LEADS_PATH);
                    proptest::prop_assert!(url.query_pairs().any(|(k, v)| k == "with" && v.contains("contacts")));
                    proptest::prop_assert_ne!(next, current);
                }
                Ok(None) => {}
                Err(e) => {
                    proptest::prop_assert_eq!(e.kind(), liner_sync_core::ErrorKind::InvalidData);
                    proptest::prop_assert!(!e.message().contains('\n'));
                }
            }
        }

        #[test]
        fn any_list_reply_gives_its_items_or_says_it_is_no_list(
            page in proptest::prop_oneof![
                3 => crate::testing::mutated("leads_list_page_official.json"),
                1 => crate::testing::json(),
            ],
        ) {
            for (got, key) in [(leads_of(&page), "leads"), (contacts_of(&page), "contacts")] {
                match got {
                    Ok(items) => {
                        let listed = page.pointer(&format!("/_embedded/{key}"));
                        proptest::prop_assert_eq!(items.len(), items_len(listed));
                    }
                    Err(e) => {
                        proptest::prop_assert_eq!(e.kind(), liner_sync_core::ErrorKind::InvalidData);
                        proptest::prop_assert!(e.message().contains(key));
                    }
                }
            }
        }
    }

    fn items_len(list: Option<&Value>) -> usize {
        match list {
            Some(Value::Array(items)) => items.len(),
            Some(Value::Object(map)) => map.len(),
            _ => 0,
        }
    }
}
