//! The continuation from one page of a pass to the next: the id the next
//! page reads after and, when the page's contacts `batch` already listed the
//! next page, that page's [`Listed`] rows and links. A continuation lives only
//! within one pass and is never stored, so it may carry them.

use crate::error::TARGET;
use crate::links::Links;
use crate::listed::Listed;
use crate::mapping::parse_id;
use liner_sync_core::{Continuation, Error, Result};
use serde_json::json;
use tracing::warn;

/// Where the next page of a pass starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NextPage {
    /// The highest raw id of the page before: the next page is `>ID` this.
    pub after: u64,
    /// The next page, when a batch prefetched it.
    pub listed: Option<Listed>,
}

impl NextPage {
    /// The next page after `after`, given what its prefetch got (`None`: no
    /// batch was sent). A failed prefetch is logged and left out, so the next
    /// call lists the page itself instead of losing it.
    pub fn prefetched(source: &str, after: u64, prefetch: Option<Result<Listed>>) -> Self {
        let listed = match prefetch {
            None => None,
            Some(Ok(listed)) => Some(listed),
            Some(Err(err)) => {
                warn!(
                    source,
                    after,
                    error = %err,
                    "prefetching the next page failed; it will be listed on its own"
                );
                None
            }
        };
        Self { after, listed }
    }

    /// The continuation to hand to the engine: `{"after": N}`, plus `rows`
    /// and (unless they failed) `links` of a prefetched page.
    pub fn into_continuation(self) -> Continuation {
        let mut value = json!({"after": self.after});
        if let Some(listed) = self.listed {
            value["rows"] = listed.rows;
            if let Some(links) = listed.links {
                value["links"] = links.to_value();
            }
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
        let listed = value
            .get("rows")
            .filter(|r| !r.is_null())
            .map(|rows| Listed {
                rows: rows.clone(),
                links: value.get("links").and_then(Links::parse),
            });
        Ok(Self { after, listed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn listed(rows: Value, links: Option<Value>) -> Listed {
        Listed {
            rows,
            links: links.and_then(|l| Links::parse(&l)),
        }
    }

    #[test]
    fn continuations_round_trip_with_and_without_a_page() {
        let links = json!({"items": [{"id": 151, "contactIds": [7, 8]}]});
        for page in [
            NextPage {
                after: 150,
                listed: None,
            },
            NextPage {
                after: 150,
                listed: Some(listed(json!([{"ID": "151"}]), Some(links))),
            },
            NextPage {
                after: 150,
                listed: Some(listed(json!([{"ID": "151"}]), None)),
            },
            NextPage {
                after: 150,
                listed: Some(listed(json!([]), Some(json!({"items": []})))),
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
        let page = listed(json!([{"ID": "151"}]), None);
        let failed = Error::invalid_data("batch list: General error");
        let cases = [
            (None, None),
            (Some(Ok(page.clone())), Some(page)),
            (Some(Err(failed)), None),
        ];
        for (prefetch, want) in cases {
            let next = NextPage::prefetched("b24", 150, prefetch);
            assert_eq!(next.after, 150);
            assert_eq!(next.listed, want);
        }
    }
}
