//! The Bitrix24 read position: the highest deal id read, and the start date
//! deals must not be older than.

use crate::error::TARGET;
use chrono::{DateTime, Utc};
use liner_sync_core::{Cursor, Error, Result};
use serde::{Deserialize, Serialize};

/// Where a Bitrix24 source reads on from, stored as
/// `{"last_id": N}`, `{"created_from": T}` (a start date, before the first
/// deal was read) or both.
///
/// `created_from` stays once ids take over, so a rescan below `last_id` never
/// picks up a deal older than the start (`start_from: now` would otherwise
/// send the last `rescan_ids` deals that existed before the first run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Position {
    /// The highest deal id read so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_id: Option<u64>,
    /// Deals created before this instant are not new.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_from: Option<DateTime<Utc>>,
}

impl Position {
    /// Reads a stored cursor.
    pub fn from_cursor(cursor: &Cursor) -> Result<Self> {
        let position: Self = cursor.parse().map_err(|e| {
            Error::invalid_data(format!(
                "the stored cursor {cursor} is not a Bitrix24 cursor: {e}"
            ))
            .with_target(TARGET)
        })?;
        if position.last_id.is_none() && position.created_from.is_none() {
            return Err(Error::invalid_data(format!(
                "the stored cursor {cursor} has neither last_id nor created_from"
            ))
            .with_target(TARGET));
        }
        Ok(position)
    }

    /// The cursor to store.
    pub fn to_cursor(self) -> Result<Cursor> {
        Cursor::new(self).map_err(|e| {
            Error::internal(format!("cannot write the cursor: {e}")).with_target(TARGET)
        })
    }

    /// The id the first page of a pass reads after: `rescan_ids` below
    /// `last_id`, so deals committed after a higher id are still found.
    pub fn first_page_after(&self, rescan_ids: u64) -> u64 {
        self.last_id.map_or(0, |id| id.saturating_sub(rescan_ids))
    }

    /// The server-side date filter, only needed until ids take over.
    pub fn date_filter(&self) -> Option<DateTime<Utc>> {
        match self.last_id {
            None => self.created_from,
            Some(_) => None,
        }
    }

    /// True when a deal created at `created_at` counts as new.
    pub fn admits(&self, created_at: DateTime<Utc>) -> bool {
        self.created_from.is_none_or(|from| created_at >= from)
    }

    /// The position after a page whose highest id was `highest`.
    pub fn advanced(self, highest: Option<u64>) -> Self {
        match highest {
            Some(id) => Self {
                last_id: Some(self.last_id.map_or(id, |last| last.max(id))),
                ..self
            },
            None => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::parse_id;
    use chrono::TimeZone;
    use serde_json::json;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, h, 0, 0).unwrap()
    }

    #[test]
    fn cursors_round_trip_in_their_documented_shapes() {
        let cases = [
            (
                json!({"last_id": 57}),
                Position {
                    last_id: Some(57),
                    created_from: None,
                },
            ),
            (
                json!({"created_from": "2026-11-01T00:00:00Z"}),
                Position {
                    last_id: None,
                    created_from: Some(t(0)),
                },
            ),
            (
                json!({"last_id": 0, "created_from": "2026-11-01T03:00:00Z"}),
                Position {
                    last_id: Some(0),
                    created_from: Some(t(3)),
                },
            ),
        ];
        for (stored, want) in cases {
            let p = Position::from_cursor(&Cursor(stored.clone())).unwrap();
            assert_eq!(p, want);
            assert_eq!(p.to_cursor().unwrap().0, stored);
        }
        let offset = Position::from_cursor(&Cursor(
            json!({"created_from": "2026-11-01T03:00:00+03:00"}),
        ));
        assert_eq!(offset.unwrap().created_from, Some(t(0)));
        for bad in [
            json!({}),
            json!({"last_id": "x"}),
            json!({"last_id": -1}),
            json!({"cursor": 1}),
            json!(57),
        ] {
            assert!(
                Position::from_cursor(&Cursor(bad.clone())).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn rescan_window_and_advancing() {
        let p = Position {
            last_id: Some(1000),
            created_from: None,
        };
        assert_eq!(p.first_page_after(100), 900);
        assert_eq!(p.first_page_after(0), 1000);
        assert_eq!(
            Position {
                last_id: Some(42),
                created_from: None
            }
            .first_page_after(100),
            0
        );
        assert_eq!(
            Position {
                last_id: None,
                created_from: Some(t(0))
            }
            .first_page_after(100),
            0
        );

        assert_eq!(p.advanced(Some(1057)).last_id, Some(1057));
        assert_eq!(
            p.advanced(Some(950)).last_id,
            Some(1000),
            "a rescan never moves it back"
        );
        assert_eq!(p.advanced(None), p, "an empty page keeps the cursor");
        let started = Position {
            last_id: None,
            created_from: Some(t(0)),
        };
        assert_eq!(
            started.advanced(Some(7)),
            Position {
                last_id: Some(7),
                created_from: Some(t(0))
            }
        );
    }

    #[test]
    fn string_ids_compare_as_numbers() {
        let p = Position {
            last_id: Some(99),
            created_from: None,
        };
        let highest = ["100", "99", "98"]
            .iter()
            .filter_map(|s| parse_id(&json!(s)))
            .max();
        assert_eq!(p.advanced(highest).last_id, Some(100));
    }

    #[test]
    fn the_start_date_filters_until_ids_take_over_and_admits_after() {
        let started = Position {
            last_id: None,
            created_from: Some(t(3)),
        };
        assert_eq!(started.date_filter(), Some(t(3)));
        assert_eq!(started.advanced(Some(5)).date_filter(), None);
        assert!(started.admits(t(3)) && started.admits(t(4)) && !started.admits(t(2)));
        assert!(
            Position {
                last_id: Some(1),
                created_from: None
            }
            .admits(t(0))
        );
    }
}
