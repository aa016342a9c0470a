//! What one pass over one source is asked to do: the live pass, or a
//! backfill of a window of creation times under its own cursor.

use crate::mapping::Mapper;
use crate::{CrmSource, StartFrom};
use chrono::{DateTime, SecondsFormat, Utc};
use std::sync::Arc;

/// What separates a source's name from its backfill window in a cursor key.
const BACKFILL_MARK: &str = "@backfill:";

/// One source with its mapping rules and starting point.
pub struct SourceJob {
    /// The connector.
    pub source: Arc<dyn CrmSource>,
    /// Its deal → lead rules.
    pub mapper: Mapper,
    /// Where its first pass starts.
    pub start: StartFrom,
    /// `Some` for a backfill: the pass reads this window under its own cursor.
    pub window: Option<Window>,
}

/// A backfill's window of creation times, `[from, until)`; no `until` means
/// everything created since `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Deals created at or after this instant are in the window.
    pub from: DateTime<Utc>,
    /// Deals created at or after this instant are not.
    pub until: Option<DateTime<Utc>>,
}

impl Window {
    /// The cursor key of this window of `source`:
    /// `b24@backfill:2026-01-01T00:00:00Z..2026-02-01T00:00:00Z`.
    pub fn cursor_key(&self, source: &str) -> String {
        let at = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        let until = self.until.map(at).unwrap_or_default();
        format!("{source}{BACKFILL_MARK}{}..{until}", at(self.from))
    }
}

/// For a backfill's cursor key, its source's name and the window as written
/// in the key; `None` for any other key.
pub fn backfill_key_parts(key: &str) -> Option<(&str, &str)> {
    key.split_once(BACKFILL_MARK)
}

impl SourceJob {
    /// The live pass of `source`.
    pub fn new(source: Arc<dyn CrmSource>, mapper: Mapper, start: StartFrom) -> Self {
        Self {
            source,
            mapper,
            start,
            window: None,
        }
    }

    /// This source's backfill of `window`: it starts at the window's start,
    /// keeps its cursor under its own key, and leaves the live cursor alone.
    /// Outcomes stay under the source's name, so a deal is sent once whichever
    /// pass reaches it first.
    pub fn backfill(self, window: Window) -> Self {
        Self {
            start: StartFrom::Date(window.from),
            window: Some(window),
            ..self
        }
    }

    /// Where this pass keeps its cursor (and its pass history).
    pub fn cursor_key(&self) -> String {
        let name = self.source.name();
        match &self.window {
            Some(window) => window.cursor_key(name),
            None => name.to_owned(),
        }
    }

    /// Deals created at or after this are outside the pass.
    pub fn until(&self) -> Option<DateTime<Utc>> {
        self.window.and_then(|w| w.until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn backfill_keys_name_their_source_and_window() {
        let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let until = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
        let closed = Window {
            from,
            until: Some(until),
        };
        let key = closed.cursor_key("b24");
        assert_eq!(
            key,
            "b24@backfill:2026-01-01T00:00:00Z..2026-02-01T00:00:00Z"
        );
        assert_eq!(
            backfill_key_parts(&key),
            Some(("b24", "2026-01-01T00:00:00Z..2026-02-01T00:00:00Z"))
        );
        let open = Window { from, until: None }.cursor_key("amo");
        assert_eq!(open, "amo@backfill:2026-01-01T00:00:00Z..");
        assert_eq!(backfill_key_parts("b24"), None);
    }
}
