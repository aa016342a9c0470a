//! How far one pass has read: carried from page to page in a
//! [`Continuation`], never stored.

use crate::error::TARGET;
use chrono::{DateTime, Utc};
use liner_sync_core::records::PageState;
use liner_sync_core::{Continuation, Error, Result};
use serde::{Deserialize, Serialize};

/// Where the next request of a pass starts, and what the pass has seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Progress {
    /// The next request's paging position.
    pub at: PageState,
    /// Pages read so far.
    pub pages: u64,
    /// The newest creation time read in the pass so far.
    #[serde(default)]
    pub newest: Option<DateTime<Utc>>,
    /// A digest of the previous page's record ids, to catch an API that
    /// ignores the paging parameters and hands out the same page again.
    #[serde(default)]
    pub previous: Option<u64>,
    /// Since style: the ids of the previous page created at exactly `at.since`;
    /// the next page starts at that instant and lists them again.
    #[serde(default)]
    pub boundary: Vec<String>,
    /// Records of the pass that could not be read (and were skipped).
    #[serde(default)]
    pub unreadable: u64,
}

impl Progress {
    /// The start of a pass at `at`.
    pub fn first(at: PageState) -> Self {
        Self {
            at,
            pages: 0,
            newest: None,
            previous: None,
            boundary: Vec::new(),
            unreadable: 0,
        }
    }

    /// Reads the previous page's continuation.
    pub fn from_continuation(continuation: &Continuation) -> Result<Self> {
        serde_json::from_value(continuation.0.clone()).map_err(|e| {
            Error::internal(format!("unreadable page continuation: {e}")).with_target(TARGET)
        })
    }

    /// The continuation the engine hands back with the next fetch.
    pub fn into_continuation(self) -> Result<Continuation> {
        serde_json::to_value(self).map(Continuation).map_err(|e| {
            Error::internal(format!("cannot write the page continuation: {e}")).with_target(TARGET)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_a_continuation() {
        let p = Progress {
            at: PageState {
                page: 3,
                offset: 0,
                since: Some(Utc::now()),
            },
            pages: 2,
            newest: Some(Utc::now()),
            previous: Some(u64::MAX),
            boundary: vec!["17".into()],
            unreadable: 1,
        };
        let back = Progress::from_continuation(&p.clone().into_continuation().unwrap());
        assert_eq!(back.unwrap(), p);
        assert!(Progress::from_continuation(&Continuation(serde_json::json!(5))).is_err());
    }
}
