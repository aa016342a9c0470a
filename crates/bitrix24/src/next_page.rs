//! The continuation from one page of a pass to the next: the id the next
//! page reads after and, when the page's `batch` already listed the next
//! page, that page's raw `crm.deal.list` result. A continuation lives only
//! within one pass and is never stored, so it may carry the rows.

use crate::batch::{Command, Outcome};
use crate::deal_list;
use crate::error::TARGET;
use crate::mapping::{self, parse_id};
use liner_sync_core::{Continuation, Error, Result};
use serde_json::{Value, json};
use tracing::warn;

/// The key of the next page's list inside a batch.
const KEY: &str = "next_page";

/// Where the next page of a pass starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NextPage {
    /// The highest raw id of the page before: the next page is `>ID` this.
    pub after: u64,
    /// The next page's `crm.deal.list` result, when a batch prefetched it.
    pub rows: Option<Value>,
}

impl NextPage {
    /// The sub-call that lists the next page inside a batch.
    pub fn command(params: Value) -> Command {
        Command {
            key: KEY,
            method: deal_list::METHOD,
            params,
        }
    }

    /// The next page after `after`, given what its list sub-call got
    /// (`None`: no batch was sent). Anything but a list leaves the rows out,
    /// so the next call lists the page on its own instead of losing it.
    pub fn prefetched(source: &str, after: u64, outcome: Option<Outcome>) -> Self {
        let rows = match outcome {
            None => None,
            Some(Outcome::Done(result)) if mapping::rows(Some(&result)).is_some() => Some(result),
            Some(Outcome::Done(_)) => {
                warn!(
                    source,
                    after, "the prefetched next page is not a list; it will be listed again"
                );
                None
            }
            Some(Outcome::Failed(api)) => {
                warn!(
                    source,
                    after,
                    code = %api.code,
                    description = %api.description,
                    "prefetching the next page failed; it will be listed on its own"
                );
                None
            }
            Some(Outcome::Missing) => {
                warn!(
                    source,
                    after,
                    "the batch did not answer the next page's list; it will be listed on its own"
                );
                None
            }
        };
        Self { after, rows }
    }

    /// The continuation to hand to the engine.
    pub fn into_continuation(self) -> Continuation {
        let mut value = json!({"after": self.after});
        if let Some(rows) = self.rows {
            value["rows"] = rows;
        }
        Continuation(value)
    }

    /// Reads a continuation this source handed out.
    pub fn from_continuation(continuation: &Continuation) -> Result<Self> {
        let value = &continuation.0;
        let after = value.get("after").and_then(parse_id).ok_or_else(|| {
            let shown: String = value.to_string().chars().take(80).collect();
            Error::internal(format!(
                "continuation {shown} does not name a Bitrix24 deal id"
            ))
            .with_target(TARGET)
        })?;
        let rows = value.get("rows").filter(|r| !r.is_null()).cloned();
        Ok(Self { after, rows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    #[test]
    fn continuations_round_trip_with_and_without_rows() {
        for page in [
            NextPage {
                after: 150,
                rows: None,
            },
            NextPage {
                after: 150,
                rows: Some(json!([{"ID": "151"}])),
            },
            NextPage {
                after: 150,
                rows: Some(json!([])),
            },
        ] {
            let continuation = page.clone().into_continuation();
            assert_eq!(NextPage::from_continuation(&continuation).unwrap(), page);
        }
        assert_eq!(
            NextPage::from_continuation(&Continuation(json!({"after": "150"})))
                .unwrap()
                .after,
            150
        );
        for bad in [
            json!(150),
            json!({"x": 1}),
            json!({"after": -1}),
            json!(null),
        ] {
            assert!(
                NextPage::from_continuation(&Continuation(bad.clone())).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn only_a_listed_page_is_carried() {
        let rows = json!([{"ID": "151"}]);
        let cases = [
            (None, None),
            (Some(Outcome::Done(rows.clone())), Some(rows)),
            (Some(Outcome::Done(json!([]))), Some(json!([]))),
            (Some(Outcome::Done(json!("oops"))), None),
            (
                Some(Outcome::Failed(ApiError {
                    code: String::new(),
                    description: "Failed to get list. General error.".into(),
                })),
                None,
            ),
            (Some(Outcome::Missing), None),
        ];
        for (outcome, want) in cases {
            let page = NextPage::prefetched("b24", 150, outcome.clone());
            assert_eq!(page.after, 150);
            assert_eq!(page.rows, want, "{outcome:?}");
        }
    }
}
