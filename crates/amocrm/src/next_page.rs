//! The continuation from one page of a pass to the next: the next page's
//! URL, how far the pass has read, and the leads carried over because the
//! contacts they need did not fit in this page's contacts request, or their
//! main contact has no callable phone and their other contacts come with the
//! next page's request. It lives only within one pass and is never stored,
//! so it may carry whole leads; the backlog bound keeps it small.

use crate::cursor::Mark;
use crate::error::TARGET;
use liner_sync_core::{Continuation, Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A lead waiting for contacts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Carried {
    /// The lead as amoCRM sent it.
    pub lead: Value,
    /// Its contacts loaded so far, as amoCRM sent them.
    #[serde(default)]
    pub contacts: Vec<Value>,
    /// Its contact ids requested so far, whether they came back or not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub asked: Vec<u64>,
}

/// Where the next page of a pass starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NextPage {
    /// The next page's URL (`_links.next.href`, checked).
    pub next: String,
    /// The done leads of the pass so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<Mark>,
    /// Leads of the earlier pages still waiting for contacts, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub carried: Vec<Carried>,
}

impl NextPage {
    /// The continuation to hand to the engine.
    pub fn into_continuation(self) -> Result<Continuation> {
        serde_json::to_value(self).map(Continuation).map_err(|e| {
            Error::internal(format!("cannot write the continuation: {e}")).with_target(TARGET)
        })
    }

    /// Reads a continuation this source handed out.
    pub fn from_continuation(continuation: &Continuation) -> Result<Self> {
        serde_json::from_value(continuation.0.clone()).map_err(|e| {
            let shown: String = continuation.0.to_string().chars().take(80).collect();
            Error::internal(format!("continuation {shown} is not an amoCRM one: {e}"))
                .with_target(TARGET)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn continuations_round_trip() {
        let pages = [
            NextPage {
                next: "https://a.amocrm.ru/api/v4/leads?page=2".into(),
                read: None,
                carried: vec![],
            },
            NextPage {
                next: "https://a.amocrm.ru/api/v4/leads?page=3".into(),
                read: Some(Mark {
                    at: 100,
                    ids: [1, 2].into_iter().collect(),
                }),
                carried: vec![
                    Carried {
                        lead: json!({"id": 5}),
                        contacts: vec![json!({"id": 50})],
                        asked: vec![50, 51],
                    },
                    Carried {
                        lead: json!({"id": 6}),
                        contacts: vec![],
                        asked: vec![],
                    },
                ],
            },
        ];
        for page in pages {
            let c = page.clone().into_continuation().unwrap();
            assert_eq!(NextPage::from_continuation(&c).unwrap(), page);
        }
        assert_eq!(
            NextPage::from_continuation(&Continuation(
                json!({"next": "u", "read": {"created_at": 5, "ids": [1]}})
            ))
            .unwrap()
            .read
            .unwrap()
            .at,
            5
        );
        for bad in [json!(null), json!({"after": 5}), json!({"next": 5})] {
            assert!(
                NextPage::from_continuation(&Continuation(bad.clone())).is_err(),
                "{bad}"
            );
        }
    }
}
