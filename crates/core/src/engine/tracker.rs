//! Which cursor may be committed: only the one after a prefix of pages whose
//! every deal has a final outcome.

use crate::Cursor;
use std::collections::VecDeque;

/// Pages of one pass in read order, with how many of their deals are still
/// being submitted.
#[derive(Debug, Default)]
pub struct PageTracker {
    pages: VecDeque<Slot>,
    first_index: u64,
    /// The first page with a deal that is not final; no cursor at or after it
    /// may be committed in this pass.
    blocked_at: Option<u64>,
}

#[derive(Debug)]
struct Slot {
    cursor: Cursor,
    outstanding: usize,
    sealed: bool,
}

impl PageTracker {
    /// Starts tracking a page; returns its index. Deals are added with
    /// [`add_deal`](Self::add_deal), then the page is [`seal`](Self::seal)ed.
    pub fn open_page(&mut self, cursor: Cursor) -> u64 {
        self.pages.push_back(Slot {
            cursor,
            outstanding: 0,
            sealed: false,
        });
        self.first_index + self.pages.len() as u64 - 1
    }

    /// One more deal of `page` is being submitted.
    pub fn add_deal(&mut self, page: u64) {
        if let Some(slot) = self.slot(page) {
            slot.outstanding += 1;
        }
    }

    /// No more deals will be added to `page`.
    pub fn seal(&mut self, page: u64) {
        if let Some(slot) = self.slot(page) {
            slot.sealed = true;
        }
    }

    /// A deal of `page` reached an outcome; `final_outcome` is false when it
    /// must be tried again, which holds the cursor back for the rest of the pass.
    pub fn finish_deal(&mut self, page: u64, final_outcome: bool) {
        if !final_outcome {
            self.block(page);
        }
        if let Some(slot) = self.slot(page) {
            slot.outstanding = slot.outstanding.saturating_sub(1);
        }
    }

    /// Holds the cursor back at `page` for the rest of the pass.
    pub fn block(&mut self, page: u64) {
        self.blocked_at = Some(self.blocked_at.map_or(page, |b| b.min(page)));
    }

    /// Pops every finished page at the front and returns the cursor after the
    /// last of them, if any finished and nothing blocks the cursor.
    pub fn committable(&mut self) -> Option<Cursor> {
        let mut latest = None;
        while self.blocked_at.is_none_or(|b| self.first_index < b) {
            match self.pages.front() {
                Some(slot) if slot.sealed && slot.outstanding == 0 => {
                    latest = self.pages.pop_front().map(|s| s.cursor);
                    self.first_index += 1;
                }
                _ => break,
            }
        }
        latest
    }

    fn slot(&mut self, page: u64) -> Option<&mut Slot> {
        let offset = page.checked_sub(self.first_index)?;
        self.pages.get_mut(usize::try_from(offset).ok()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(n: u64) -> Cursor {
        Cursor(json!(n))
    }

    #[test]
    fn commits_only_a_finished_prefix() {
        let mut t = PageTracker::default();
        let p0 = t.open_page(c(50));
        t.add_deal(p0);
        t.add_deal(p0);
        t.seal(p0);
        let p1 = t.open_page(c(100));
        t.add_deal(p1);
        t.seal(p1);
        t.finish_deal(p1, true);
        assert_eq!(t.committable(), None, "page 0 is still in flight");
        t.finish_deal(p0, true);
        assert_eq!(t.committable(), None);
        t.finish_deal(p0, true);
        assert_eq!(t.committable(), Some(c(100)));
        assert_eq!(t.committable(), None);
    }

    #[test]
    fn empty_sealed_pages_commit_at_once_and_unsealed_ones_wait() {
        let mut t = PageTracker::default();
        let p0 = t.open_page(c(7));
        assert_eq!(t.committable(), None);
        t.seal(p0);
        assert_eq!(t.committable(), Some(c(7)));
    }

    #[test]
    fn a_deal_left_for_later_blocks_its_page_and_the_rest_of_the_pass() {
        let mut t = PageTracker::default();
        let p0 = t.open_page(c(50));
        t.add_deal(p0);
        t.seal(p0);
        let p1 = t.open_page(c(100));
        t.add_deal(p1);
        t.seal(p1);
        let p2 = t.open_page(c(150));
        t.seal(p2);
        t.finish_deal(p1, false);
        assert_eq!(t.committable(), None, "page 0 still in flight");
        t.finish_deal(p0, true);
        assert_eq!(
            t.committable(),
            Some(c(50)),
            "the prefix before the blocked page commits"
        );
        assert_eq!(t.committable(), None);
    }
}
