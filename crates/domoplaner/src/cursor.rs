//! The cursor of a feed source: where it starts, nothing more. The feed
//! holds every deal on every call, so the state's outcomes decide which deals
//! are new, and the cursor only keeps deals created before `start_from` (or
//! the first run) out.

use crate::error::TARGET;
use chrono::{DateTime, Utc};
use liner_sync_core::{Cursor, Error, Result};
use serde::{Deserialize, Serialize};

/// `{"start": "2026-11-01T00:00:00Z"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Start {
    /// Deals created at or after this instant may be new.
    pub start: DateTime<Utc>,
}

impl Start {
    /// The stored cursor, or why it is not one of this source.
    pub fn from_cursor(cursor: &Cursor) -> Result<Self> {
        cursor.parse().map_err(|e| {
            Error::invalid_data(format!(
                "the stored cursor {cursor} is not a Domoplaner cursor ({e}); it should look \
                 like {{\"start\": \"2026-11-01T00:00:00Z\"}}"
            ))
            .with_target(TARGET)
        })
    }

    /// The cursor to store.
    pub fn to_cursor(self) -> Result<Cursor> {
        Cursor::new(self).map_err(|e| {
            Error::internal(format!("cannot write the cursor: {e}")).with_target(TARGET)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_as_rfc3339() {
        let at = DateTime::parse_from_rfc3339("2026-11-01T00:00:00+03:00")
            .unwrap()
            .with_timezone(&Utc);
        let cursor = Start { start: at }.to_cursor().unwrap();
        assert_eq!(cursor.0, json!({"start": "2026-10-31T21:00:00Z"}));
        assert_eq!(Start::from_cursor(&cursor).unwrap().start, at);
        let offset = Cursor(json!({"start": "2026-11-01T00:00:00+03:00"}));
        assert_eq!(Start::from_cursor(&offset).unwrap().start, at);
    }

    #[test]
    fn foreign_cursors_are_refused() {
        for bad in [json!({"last_id": 5}), json!({"start": "soon"}), json!(null)] {
            let e = Start::from_cursor(&Cursor(bad.clone())).unwrap_err();
            assert!(
                e.message().contains("not a Domoplaner cursor"),
                "{bad}: {e}"
            );
        }
    }
}
