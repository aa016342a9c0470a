//! The amoCRM read position: the latest `created_at` read and the ids of the
//! leads read at exactly that second.

use crate::error::TARGET;
use crate::mapping::MAX_TIME;
use liner_sync_core::{Cursor, Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A point in `created_at` order: every lead created before `at` is done, and
/// so are the leads at exactly `at` whose ids are listed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Mark {
    /// Unix seconds.
    #[serde(rename = "created_at")]
    pub at: i64,
    /// Ids of leads created at `at` that are done.
    #[serde(default)]
    pub ids: BTreeSet<u64>,
}

impl Mark {
    /// A mark at `at` with no ids.
    pub fn at(at: i64) -> Self {
        Self {
            at,
            ids: BTreeSet::new(),
        }
    }

    /// Takes in a done lead: a later one moves the mark, one at the mark adds
    /// its id, an earlier one changes nothing.
    pub fn note(&mut self, at: i64, id: u64) {
        if at > self.at {
            *self = Self::at(at);
        }
        if at == self.at {
            self.ids.insert(id);
        }
    }

    /// The later of two marks; at the same second, the ids of both.
    pub fn max(mut self, other: &Self) -> Self {
        if other.at > self.at {
            return other.clone();
        }
        if other.at == self.at {
            self.ids.extend(other.ids.iter().copied());
        }
        self
    }
}

/// Where an amoCRM source reads on from, stored as
/// `{"created_at": 1762000000, "ids": [19619, 19620], "start": 1761990000}`.
///
/// `start` (optional) is the source's beginning (`start_from`, or the first
/// run's time): leads created before it are never new, however far back the
/// lookback reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Stored", into = "Stored")]
pub(crate) struct Position {
    /// How far reading has got.
    pub mark: Mark,
    /// Leads created before this second are never new.
    pub start: Option<i64>,
}

/// [`Position`] as stored.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored {
    created_at: i64,
    #[serde(default)]
    ids: BTreeSet<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start: Option<i64>,
}

impl From<Stored> for Position {
    fn from(s: Stored) -> Self {
        Self {
            mark: Mark {
                at: s.created_at,
                ids: s.ids,
            },
            start: s.start,
        }
    }
}

impl From<Position> for Stored {
    fn from(p: Position) -> Self {
        Self {
            created_at: p.mark.at,
            ids: p.mark.ids,
            start: p.start,
        }
    }
}

impl Position {
    /// The position of a source starting at `at`: leads created at or after
    /// it are new.
    pub fn starting(at: i64) -> Self {
        Self {
            mark: Mark::at(at),
            start: Some(at),
        }
    }

    /// Reads a stored cursor.
    pub fn from_cursor(cursor: &Cursor) -> Result<Self> {
        let position: Self = cursor.parse().map_err(|e| {
            Error::invalid_data(format!(
                "the stored cursor {} is not an amoCRM cursor: {e}",
                shown(cursor)
            ))
            .with_target(TARGET)
        })?;
        let in_range = |t: i64| (0..=MAX_TIME).contains(&t);
        if !in_range(position.mark.at) || !position.start.is_none_or(in_range) {
            return Err(Error::invalid_data(format!(
                "the stored cursor {} holds a time out of range",
                shown(cursor)
            ))
            .with_target(TARGET));
        }
        Ok(position)
    }

    /// The cursor to store.
    pub fn to_cursor(&self) -> Result<Cursor> {
        Cursor::new(self).map_err(|e| {
            Error::internal(format!("cannot write the cursor: {e}")).with_target(TARGET)
        })
    }

    /// The earliest `created_at` a pass reads: `lookback` seconds before the
    /// mark, but never before the start.
    pub fn window_start(&self, lookback_secs: i64) -> i64 {
        self.mark
            .at
            .saturating_sub(lookback_secs)
            .max(self.start.unwrap_or(0))
            .max(0)
    }

    /// True for a lead the position already counts as done.
    pub fn covers(&self, at: i64, id: u64) -> bool {
        at == self.mark.at && self.mark.ids.contains(&id)
    }

    /// The cursor of a page.
    ///
    /// * `reached`: every done lead of the pass so far, as a mark;
    /// * `held`: the earliest lead carried to the next page (its `created_at`)
    ///   and the ids of the done leads at that second.
    ///
    /// The result never falls behind `self`, and never passes a held lead.
    pub fn advanced(&self, reached: Option<&Mark>, held: Option<Mark>) -> Self {
        let reached = match reached {
            Some(r) => self.mark.clone().max(r),
            None => self.mark.clone(),
        };
        let mark = match held {
            Some(held) if reached.at > held.at => self.mark.clone().max(&held),
            _ => reached,
        };
        Self {
            mark,
            start: self.start,
        }
    }
}

fn shown(cursor: &Cursor) -> String {
    cursor.to_json().chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mark(at: i64, ids: &[u64]) -> Mark {
        Mark {
            at,
            ids: ids.iter().copied().collect(),
        }
    }

    fn position(at: i64, ids: &[u64], start: Option<i64>) -> Position {
        Position {
            mark: mark(at, ids),
            start,
        }
    }

    #[test]
    fn cursors_round_trip_in_their_documented_shape() {
        let cases = [
            (
                json!({"created_at": 1_762_000_000, "ids": []}),
                position(1_762_000_000, &[], None),
            ),
            (
                json!({"created_at": 1_762_000_000, "ids": [5, 19619], "start": 1_761_990_000}),
                position(1_762_000_000, &[19619, 5], Some(1_761_990_000)),
            ),
        ];
        for (stored, want) in cases {
            let p = Position::from_cursor(&Cursor(stored.clone())).unwrap();
            assert_eq!(p, want);
            assert_eq!(p.to_cursor().unwrap().0, stored);
        }
        assert_eq!(
            Position::from_cursor(&Cursor(json!({"created_at": 7}))).unwrap(),
            position(7, &[], None),
            "ids may be left out"
        );
        assert_eq!(
            Position::starting(100).to_cursor().unwrap().0,
            json!({"created_at": 100, "ids": [], "start": 100})
        );
        for bad in [
            json!({}),
            json!({"created_at": "x"}),
            json!({"created_at": -1}),
            json!({"created_at": 1e20}),
            json!({"created_at": 5, "ids": [-1]}),
            json!({"created_at": 5, "start": -7}),
            json!({"created_at": 5, "last_id": 3}),
            json!({"last_id": 3}),
            json!(57),
        ] {
            let err = Position::from_cursor(&Cursor(bad.clone())).unwrap_err();
            assert_eq!(err.kind(), liner_sync_core::ErrorKind::InvalidData, "{bad}");
        }
    }

    #[test]
    fn the_window_reaches_back_by_the_lookback_but_not_before_the_start() {
        assert_eq!(position(1000, &[], None).window_start(600), 400);
        assert_eq!(position(1000, &[], Some(900)).window_start(600), 900);
        assert_eq!(position(1000, &[], Some(100)).window_start(600), 400);
        assert_eq!(position(300, &[], None).window_start(600), 0);
        assert_eq!(position(1000, &[], None).window_start(0), 1000);
        assert_eq!(position(1000, &[], None).window_start(i64::MAX), 0);
    }

    #[test]
    fn only_ids_at_the_mark_are_covered() {
        let p = position(1000, &[7, 8], None);
        assert!(p.covers(1000, 7) && p.covers(1000, 8));
        assert!(!p.covers(1000, 9), "a tie not read yet");
        assert!(!p.covers(999, 7) && !p.covers(1001, 7));
    }

    #[test]
    fn marks_move_forward_and_collect_ties() {
        let mut m = Mark::at(0);
        m.note(100, 1);
        m.note(100, 2);
        assert_eq!(m, mark(100, &[1, 2]));
        m.note(90, 3);
        assert_eq!(m, mark(100, &[1, 2]), "an earlier lead changes nothing");
        m.note(101, 4);
        assert_eq!(m, mark(101, &[4]));
        assert_eq!(mark(5, &[1]).max(&mark(5, &[2])), mark(5, &[1, 2]));
        assert_eq!(mark(5, &[1]).max(&mark(4, &[2])), mark(5, &[1]));
        assert_eq!(mark(4, &[1]).max(&mark(5, &[2])), mark(5, &[2]));
    }

    #[test]
    fn a_page_cursor_follows_the_reads_but_never_goes_back() {
        let base = position(1000, &[7], Some(10));
        assert_eq!(
            base.advanced(None, None),
            base,
            "an empty page keeps the cursor"
        );
        assert_eq!(
            base.advanced(Some(&mark(1200, &[9, 10])), None),
            position(1200, &[9, 10], Some(10))
        );
        assert_eq!(
            base.advanced(Some(&mark(1000, &[8])), None),
            position(1000, &[7, 8], Some(10)),
            "a tie at the stored mark adds its id"
        );
        assert_eq!(
            base.advanced(Some(&mark(990, &[8])), None),
            base,
            "back-dated leads read again do not move it back"
        );
    }

    #[test]
    fn a_page_cursor_never_passes_a_carried_lead() {
        let base = position(1000, &[7], None);
        // Read up to 1300, but a lead at 1100 waits for the next page, and
        // lead 12 at 1100 is done.
        assert_eq!(
            base.advanced(Some(&mark(1300, &[20])), Some(mark(1100, &[12]))),
            position(1100, &[12], None)
        );
        // The carried lead sits at the stored mark: only the done ids join.
        assert_eq!(
            base.advanced(Some(&mark(1300, &[20])), Some(mark(1000, &[12]))),
            position(1000, &[7, 12], None)
        );
        // A back-dated carried lead (inside the lookback) cannot pull the
        // cursor back: the next pass reads it again anyway.
        assert_eq!(
            base.advanced(Some(&mark(1300, &[20])), Some(mark(950, &[]))),
            base
        );
        // Nothing read past the carried lead: the reads decide.
        assert_eq!(
            base.advanced(Some(&mark(1100, &[12])), Some(mark(1100, &[12]))),
            position(1100, &[12], None)
        );
        assert_eq!(
            base.advanced(Some(&mark(1050, &[3])), Some(mark(1100, &[]))),
            position(1050, &[3], None)
        );
    }
}
