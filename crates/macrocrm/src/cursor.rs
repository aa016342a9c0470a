//! Where a MACRO source stands between passes.

use crate::error::TARGET;
use chrono::{DateTime, Duration, Utc};
use liner_sync_core::{Cursor, Error, Result};
use serde::{Deserialize, Serialize};

/// Records created this far ahead of the local clock are sent but do not
/// move `newest`: one mistyped date must not make every later record look old.
const FUTURE_SLACK: Duration = Duration::hours(1);

/// The stored position: `{"start": "…", "newest": "…" | null}`.
///
/// Records created before `start` are never new. `newest` is the newest
/// creation time read so far; a time-filtered pass reads from `newest −
/// lookback`. Whether a record is new is decided by the state's outcomes,
/// so a record that appears late or out of order is still sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Position {
    pub start: DateTime<Utc>,
    #[serde(default)]
    pub newest: Option<DateTime<Utc>>,
}

impl Position {
    /// A source that starts at `start` and has read nothing.
    pub fn starting(start: DateTime<Utc>) -> Self {
        Self {
            start,
            newest: None,
        }
    }

    /// Reads a stored cursor.
    pub fn from_cursor(cursor: &Cursor) -> Result<Self> {
        cursor.parse().map_err(|e| {
            Error::invalid_data(format!(
                "stored cursor {cursor} is not a MACRO cursor ({e}); expected \
                 {{\"start\": \"RFC 3339\", \"newest\": \"RFC 3339\" or null}}"
            ))
            .with_target(TARGET)
        })
    }

    /// The cursor the engine stores.
    pub fn to_cursor(&self) -> Result<Cursor> {
        Cursor::new(self).map_err(|e| {
            Error::internal(format!("cannot write the cursor: {e}")).with_target(TARGET)
        })
    }

    /// Where a time-filtered pass starts: the later of `start` and `newest −
    /// lookback` (`start` when the lookback reaches before any time there is).
    pub fn window_start(&self, lookback: Duration) -> DateTime<Utc> {
        match self
            .newest
            .and_then(|newest| newest.checked_sub_signed(lookback))
        {
            Some(from) => self.start.max(from),
            None => self.start,
        }
    }

    /// This position with `seen` counted as read, unless it lies more than
    /// an hour past `now`. `newest` never moves backwards.
    pub fn saw(&self, seen: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        let seen = seen.filter(|at| *at <= now + FUTURE_SLACK);
        Self {
            start: self.start,
            newest: self.newest.max(seen),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn round_trips_and_refuses_other_shapes() {
        let p = Position {
            start: at("2026-11-01T00:00:00Z"),
            newest: Some(at("2026-11-02T06:00:00Z")),
        };
        let c = p.to_cursor().unwrap();
        assert_eq!(
            c.0,
            json!({"start": "2026-11-01T00:00:00Z", "newest": "2026-11-02T06:00:00Z"})
        );
        assert_eq!(Position::from_cursor(&c).unwrap(), p);
        let bare = Position::from_cursor(&Cursor(json!({"start": "2026-11-01T00:00:00Z"})));
        assert_eq!(bare.unwrap().newest, None);
        let e = Position::from_cursor(&Cursor(json!({"last_id": 5}))).unwrap_err();
        assert!(e.message().contains("not a MACRO cursor"), "{e}");
    }

    #[test]
    fn the_window_starts_a_lookback_before_the_newest_but_never_before_start() {
        let start = at("2026-11-01T00:00:00Z");
        let p = Position::starting(start);
        assert_eq!(p.window_start(Duration::hours(1)), start);
        let p = p.saw(Some(at("2026-11-02T06:00:00Z")), at("2026-11-03T00:00:00Z"));
        assert_eq!(
            p.window_start(Duration::hours(1)),
            at("2026-11-02T05:00:00Z")
        );
        assert_eq!(p.window_start(Duration::days(30)), start);
    }

    #[test]
    fn a_lookback_longer_than_history_starts_at_the_start() {
        // `lookback: 300000y` (or one too long for chrono, read as
        // Duration::MAX) overflowed once a newest time was known (found by
        // the property below).
        let start = at("2026-11-01T00:00:00Z");
        let p = Position::starting(start).saw(Some(at("2026-11-02T06:00:00Z")), Utc::now());
        assert_eq!(p.window_start(Duration::days(300_000 * 365)), start);
        assert_eq!(p.window_start(Duration::MAX), start);
        // A record dated '-262143-01-01 00:00:00' made the newest time the
        // first there is; the default hour of lookback then overflowed.
        let ancient = Position::starting(DateTime::<Utc>::MIN_UTC)
            .saw(Some(DateTime::<Utc>::MIN_UTC), Utc::now());
        assert_eq!(
            ancient.window_start(Duration::hours(1)),
            DateTime::<Utc>::MIN_UTC
        );
    }

    #[test]
    fn newest_never_moves_back_nor_into_the_far_future() {
        let now = at("2026-11-03T00:00:00Z");
        let p = Position::starting(at("2026-11-01T00:00:00Z"))
            .saw(Some(at("2026-11-02T06:00:00Z")), now);
        assert_eq!(p.saw(Some(at("2026-11-01T06:00:00Z")), now), p);
        assert_eq!(p.saw(None, now), p);
        assert_eq!(p.saw(Some(at("2036-11-02T06:00:00Z")), now), p);
        let soon = now + Duration::minutes(30);
        assert_eq!(p.saw(Some(soon), now).newest, Some(soon));
    }

    proptest::proptest! {
        #[test]
        fn the_window_starts_somewhere_for_any_lookback(
            start in -8_000_000_000_000i64..8_000_000_000_000,
            newest in proptest::option::of(-8_000_000_000_000i64..8_000_000_000_000),
            lookback_ms in proptest::prelude::any::<i64>(),
        ) {
            let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap_or(DateTime::<Utc>::MAX_UTC);
            let p = Position { start: at(start), newest: newest.map(at) };
            for lookback in [Duration::milliseconds(lookback_ms).abs(), Duration::MAX] {
                proptest::prop_assert!(p.window_start(lookback) >= p.start);
            }
            for seen in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC, at(start)] {
                proptest::prop_assert!(p.saw(Some(seen), Utc::now()).newest >= p.newest);
            }
        }
    }
}
