//! The new deals of the current pass, handed out a page at a time. The feed
//! is read once per pass; what the first page does not take waits here,
//! keyed by a pass token the continuation carries.

use crate::error::TARGET;
use crate::reader::Fresh;
use liner_sync_core::{Continuation, Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::Mutex;

/// Where the next page of a pass starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Position {
    /// The pass's token.
    pass: u64,
    /// Deals handed out so far in the pass.
    handed: usize,
}

#[derive(Debug)]
struct Batch {
    at: Position,
    deals: VecDeque<Fresh>,
}

/// The held deals of at most one pass: a new pass drops an unfinished one.
#[derive(Debug, Default)]
pub(crate) struct Held {
    batch: Mutex<Option<Batch>>,
    passes: Mutex<u64>,
}

impl Held {
    /// Holds the deals of a new pass and hands out its first page.
    pub fn start(
        &self,
        deals: Vec<Fresh>,
        page: usize,
    ) -> Result<(Vec<Fresh>, Option<Continuation>)> {
        let pass = {
            let mut passes = self.passes.lock().map_err(|_| poisoned())?;
            *passes += 1;
            *passes
        };
        let mut slot = self.batch.lock().map_err(|_| poisoned())?;
        *slot = Some(Batch {
            at: Position { pass, handed: 0 },
            deals: deals.into(),
        });
        take(&mut slot, page)
    }

    /// The page `continuation` points at.
    pub fn next(
        &self,
        continuation: &Continuation,
        page: usize,
    ) -> Result<(Vec<Fresh>, Option<Continuation>)> {
        let asked: Position = serde_json::from_value(continuation.0.clone()).map_err(|e| {
            Error::internal(format!("not a Domoplaner page position ({e})")).with_target(TARGET)
        })?;
        let mut slot = self.batch.lock().map_err(|_| poisoned())?;
        match slot.as_ref() {
            Some(batch) if batch.at == asked => take(&mut slot, page),
            _ => Err(Error::internal(
                "the deals of this pass are no longer held (another pass started); run again",
            )
            .with_target(TARGET)),
        }
    }
}

/// Up to `page` deals off the front; the batch is dropped with its last page.
fn take(slot: &mut Option<Batch>, page: usize) -> Result<(Vec<Fresh>, Option<Continuation>)> {
    let Some(batch) = slot.as_mut() else {
        return Ok((Vec::new(), None));
    };
    let n = page.max(1).min(batch.deals.len());
    let deals: Vec<Fresh> = batch.deals.drain(..n).collect();
    batch.at.handed += n;
    if batch.deals.is_empty() {
        *slot = None;
        return Ok((deals, None));
    }
    let next = serde_json::to_value(batch.at).map_err(|e| {
        Error::internal(format!("cannot write the page position: {e}")).with_target(TARGET)
    })?;
    Ok((deals, Some(Continuation(next))))
}

fn poisoned() -> Error {
    Error::internal("a pass failed while holding its deals").with_target(TARGET)
}

#[cfg(test)]
mod tests {
    use super::*;
    use liner_sync_core::Deal;

    fn deals(n: usize) -> Vec<Fresh> {
        (0..n)
            .map(|i| Fresh {
                deal: Deal::new(i.to_string(), chrono::Utc::now()),
                client_id: None,
            })
            .collect()
    }

    fn ids(page: &[Fresh]) -> Vec<String> {
        page.iter().map(|f| f.deal.id.clone()).collect()
    }

    #[test]
    fn pages_through_the_pass_and_lets_go() {
        let held = Held::default();
        let (first, next) = held.start(deals(5), 2).unwrap();
        assert_eq!(ids(&first), ["0", "1"]);
        let next = next.unwrap();
        let (second, after) = held.next(&next, 2).unwrap();
        assert_eq!(ids(&second), ["2", "3"]);
        let after = after.unwrap();
        assert_ne!(after, next, "every position is new");
        let (last, end) = held.next(&after, 2).unwrap();
        assert_eq!(ids(&last), ["4"]);
        assert!(end.is_none());
        assert!(held.batch.lock().unwrap().is_none(), "memory freed");
        assert!(
            held.next(&after, 2).is_err(),
            "a position cannot be used twice"
        );
    }

    #[test]
    fn an_empty_pass_is_one_empty_page_and_a_new_pass_drops_the_old() {
        let held = Held::default();
        let (page, next) = held.start(Vec::new(), 500).unwrap();
        assert!(page.is_empty() && next.is_none());
        let (_, stale) = held.start(deals(3), 1).unwrap();
        let (_, fresh) = held.start(deals(3), 1).unwrap();
        let e = held.next(&stale.unwrap(), 1).unwrap_err();
        assert!(e.message().contains("no longer held"), "{e}");
        assert_eq!(ids(&held.next(&fresh.unwrap(), 5).unwrap().0), ["1", "2"]);
        let bogus = Continuation(serde_json::json!("x"));
        assert!(held.next(&bogus, 1).is_err());
    }
}
