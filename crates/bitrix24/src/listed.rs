//! One page of deals as a `batch` lists it: `crm.deal.list` for the rows
//! (`list`) and `crm.item.list` for every deal's contact ids (`links`). Both
//! are keyset pages over the same filter and order, so they hold the same
//! deals; rows are still matched by id, never by position.

use crate::advice::Mode;
use crate::batch::{BatchReply, Command, Outcome};
use crate::cursor::Position;
use crate::deal_list;
use crate::error::{self, TARGET};
use crate::links::{self, Links};
use crate::mapping;
use chrono::{DateTime, Utc};
use liner_sync_core::{Error, Result};
use serde_json::Value;
use tracing::warn;

/// The key of the page's `crm.deal.list` inside a batch.
const LIST: &str = "list";

/// The key of the page's `crm.item.list` inside a batch.
const LINKS: &str = "links";

/// Sub-calls one page takes in a batch.
pub(crate) const COMMANDS: usize = 2;

/// The sub-calls that list the page of deals with ids above `after`
/// (created before `until`, when the pass has an end).
pub(crate) fn commands(
    after: u64,
    position: &Position,
    until: Option<DateTime<Utc>>,
) -> [Command; COMMANDS] {
    [
        Command {
            key: LIST,
            method: deal_list::METHOD,
            params: deal_list::params(after, position, until),
        },
        Command {
            key: LINKS,
            method: links::METHOD,
            params: links::params(after, position, until),
        },
    ]
}

/// A listed page: the raw `crm.deal.list` rows, and the contact ids of its
/// deals (`None` when `crm.item.list` failed: each deal then has its primary
/// contact only).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Listed {
    /// The `crm.deal.list` result, a list.
    pub rows: Value,
    /// What `crm.item.list` said about the page's deals.
    pub links: Option<Links>,
}

impl Listed {
    /// Takes the page's two results out of `reply`. A list that failed or
    /// did not come back is an error (advice for `mode`); links that did are
    /// logged and left out.
    pub fn take(source: &str, after: u64, reply: &mut BatchReply, mode: Mode) -> Result<Self> {
        let rows = match reply.take(LIST) {
            Outcome::Done(rows) if mapping::rows(Some(&rows)).is_some() => rows,
            Outcome::Done(_) => {
                return Err(Error::invalid_data(format!(
                    "batch {LIST}: {} did not answer with a list",
                    deal_list::METHOD
                ))
                .with_target(TARGET));
            }
            Outcome::Failed(api) => {
                return Err(error::classify(None, &api, mode).context(format_args!("batch {LIST}")));
            }
            Outcome::Missing => {
                return Err(Error::invalid_data(format!(
                    "batch {LIST}: the reply has neither a result nor an error for {}",
                    deal_list::METHOD
                ))
                .with_target(TARGET));
            }
        };
        let links = match reply.take(LINKS) {
            Outcome::Done(result) => {
                let links = Links::parse(&result);
                if links.is_none() {
                    warn!(
                        source,
                        after,
                        "crm.item.list answered without items; this page's deals get their primary contact only"
                    );
                }
                links
            }
            Outcome::Failed(api) => {
                warn!(
                    source,
                    after,
                    code = %api.code,
                    description = %api.description,
                    "crm.item.list failed; this page's deals get their primary contact only"
                );
                None
            }
            Outcome::Missing => {
                warn!(
                    source,
                    after,
                    "the batch did not answer crm.item.list; this page's deals get their primary contact only"
                );
                None
            }
        };
        Ok(Self { rows, links })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liner_sync_core::ErrorKind;
    use serde_json::json;

    fn reply(value: Value) -> BatchReply {
        BatchReply::parse(&value).unwrap()
    }

    #[test]
    fn the_pair_lists_the_same_page_twice() {
        let position = Position {
            last_id: Some(1000),
            created_from: None,
        };
        let [list, links] = commands(900, &position, None);
        assert_eq!((list.key, list.method), ("list", "crm.deal.list"));
        assert_eq!((links.key, links.method), ("links", "crm.item.list"));
        assert_eq!(list.params["filter"], json!({">ID": 900}));
        assert_eq!(links.params["filter"], json!({">id": 900}));
    }

    #[test]
    fn rows_and_links_come_out_of_a_reply() {
        let mut r = reply(json!({"result": {
            "list": [{"ID": "7", "CONTACT_ID": "55"}],
            "links": {"items": [{"id": 7, "contactIds": [55, 54]}]},
            "contacts_0": []
        }}));
        let listed = Listed::take("b24", 6, &mut r, Mode::Webhook).unwrap();
        assert_eq!(listed.rows, json!([{"ID": "7", "CONTACT_ID": "55"}]));
        assert_eq!(
            listed.links.map(|l| l.to_value()),
            Some(json!({"items": [{"id": 7, "contactIds": [55, 54]}]}))
        );
        assert_eq!(r.results.len(), 1, "other results stay");
    }

    #[test]
    fn failed_links_leave_the_rows() {
        for links in [
            json!({"result": {"list": []}, "result_error": {"links": {"error": "NOT_FOUND", "error_description": "Smart process not found"}}}),
            json!({"result": {"list": []}}),
            json!({"result": {"list": [], "links": [1, 2]}}),
        ] {
            let listed = Listed::take("b24", 6, &mut reply(links.clone()), Mode::Webhook).unwrap();
            assert_eq!((listed.rows, listed.links), (json!([]), None), "{links}");
        }
    }

    #[test]
    fn a_list_that_did_not_answer_is_an_error() {
        let cases = [
            (
                json!({"result": {"links": {"items": []}}, "result_error": {"list": {"error": "", "error_description": "Failed to get list. General error."}}}),
                "General error",
            ),
            (json!({"result": {"links": {"items": []}}}), "neither"),
            (
                json!({"result": {"list": "nonsense"}}),
                "not answer with a list",
            ),
        ];
        for (value, needle) in cases {
            let err = Listed::take("b24", 6, &mut reply(value), Mode::Webhook).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidData, "{err}");
            assert!(err.to_string().contains(needle), "{err}");
        }
    }

    /// A page's batch reply: the real list page and links, with wrong types
    /// in them, or any JSON.
    fn page_reply() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let path = format!(
            "{}/testdata/crm.deal.list_page_response.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let rows = liner_sync_core::testing::read_json(path)["result"].clone();
        let template = json!({
            "result": {
                "list": rows,
                "links": {"items": [{"id": 37, "contactIds": [5, 6]}, {"id": "38", "contactIds": {"0": 7}}]},
                "contacts_0": []
            },
            "result_error": {"contacts_1": {"error": "", "error_description": "Access denied."}}
        });
        prop_oneof![
            3 => liner_sync_core::testing::mutated(template, crate::testing::json()),
            1 => crate::testing::json(),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_batch_reply_gives_a_page_of_ordered_rows_or_an_error(
            value in page_reply(),
            oauth in proptest::prelude::any::<bool>(),
        ) {
            // A result that is no batch reply at all is batch.rs's business.
            let Ok(mut reply) = BatchReply::parse(&value) else { return Ok(()) };
            let mode = if oauth { Mode::OAuth } else { Mode::Webhook };
            let listed = match Listed::take("b24", 6, &mut reply, mode) {
                Ok(listed) => listed,
                Err(e) => {
                    proptest::prop_assert_eq!(e.target(), Some(TARGET));
                    proptest::prop_assert!(!e.message().contains('\n'), "{}", e.message());
                    return Ok(());
                }
            };
            let (count, rows) = deal_list::rows_with_ids("b24", &listed.rows).unwrap();
            proptest::prop_assert!(rows.len() <= count);
            proptest::prop_assert!(rows.windows(2).all(|w| w[0].0 < w[1].0), "sorted, once each");
            let at = chrono::DateTime::<Utc>::UNIX_EPOCH;
            for (id, row) in &rows {
                proptest::prop_assert_eq!(mapping::deal(*id, row, at).id, id.to_string());
                let primary = mapping::primary_contact(row);
                let ids = links::contact_ids("b24", *id, primary, listed.links.as_ref());
                proptest::prop_assert!(primary.is_none() || ids.first() == primary.as_ref());
                let once: std::collections::HashSet<_> = ids.iter().collect();
                proptest::prop_assert_eq!(once.len(), ids.len());
            }
            // A prefetched page rides in the continuation unchanged.
            let next = crate::next_page::NextPage::prefetched("b24", 9, Some(Ok(listed)));
            let back = crate::next_page::NextPage::from_continuation(&next.clone().into_continuation());
            proptest::prop_assert_eq!(back.unwrap(), next);
        }
    }
}
