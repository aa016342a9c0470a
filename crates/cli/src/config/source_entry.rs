//! One `sources:` entry: the keys every source has, read here, and the
//! connector's own keys, kept with their places for the connector to read.

use chrono::{DateTime, NaiveDate, Utc};
use liner_sync_core::config::{HumanDuration, Location, SourceSettings};
use liner_sync_core::mapping::{LeadTemplate, Route};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_saphyr::Spanned;
use std::fmt;
use std::time::Duration;

/// How often `watch` reads a source without `poll_interval` or `schedule`.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(60);

/// A source as configured.
#[derive(Debug, Clone)]
pub struct SourceEntry {
    /// Unique name; the dedupe key is (name, deal id).
    pub name: String,
    /// Connector kind (`bitrix24`).
    pub kind: String,
    /// Where `kind:` is written.
    pub kind_location: Location,
    /// Deals created at or after this instant are new on the first pass.
    pub start_from: Option<DateTime<Utc>>,
    /// Lead fields for this source, over `defaults:`.
    pub lead: LeadTemplate,
    /// Routing rules, first match wins.
    pub routes: Vec<Route>,
    /// `false` leaves the source out of every command.
    pub enabled: bool,
    /// `watch`: the time between the end of one pass and the start of the next.
    pub poll_interval: Duration,
    /// `watch`: a 5-field cron expression (local time) for when passes start;
    /// replaces `poll_interval`.
    pub schedule: Option<croner::Cron>,
    /// Everything else, for the connector.
    pub settings: SourceSettings,
    /// Where the entry starts in the file.
    pub location: Location,
}

fn location(l: &serde_saphyr::Location) -> Location {
    Location {
        line: l.line(),
        column: l.column(),
    }
}

/// `schedule`: a 5-field cron expression (minute hour day month weekday).
fn parse_schedule(text: &str) -> Result<croner::Cron, String> {
    let fields = text.split_whitespace().count();
    if fields != 5 {
        return Err(format!(
            "schedule '{text}' has {fields} fields; write 5, like cron: minute hour day-of-month month day-of-week (e.g. \"*/5 * * * *\")"
        ));
    }
    text.parse()
        .map_err(|e| format!("schedule '{text}' is not a cron expression: {e}"))
}

/// An RFC 3339 instant, or a date meaning its midnight UTC (`start_from`,
/// and the window of `backfill`).
pub fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    Err(format!(
        "'{text}' is not a date-time; write it like 2026-11-01T00:00:00+03:00 (or 2026-11-01 for midnight UTC)"
    ))
}

impl<'de> Deserialize<'de> for SourceEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(EntryVisitor)
    }
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = SourceEntry;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a source: a mapping with at least name and kind")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SourceEntry, A::Error> {
        let mut name = None;
        let mut kind = None;
        let mut kind_at = None;
        let mut start_from = None;
        let mut lead = None;
        let mut routes = None;
        let mut enabled = None;
        let mut poll_interval = None;
        let mut schedule = None;
        let mut settings: Option<SourceSettings> = None;
        let mut first_at = None;
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let at = location(&key.referenced);
            first_at.get_or_insert(at);
            let duplicate = || de::Error::custom(format!("duplicate key `{}` at {at}", key.value));
            match key.value.as_str() {
                "name" => set(&mut name, map.next_value::<String>()?).map_err(|()| duplicate())?,
                "kind" => {
                    kind_at = Some(at);
                    set(&mut kind, map.next_value::<String>()?).map_err(|()| duplicate())?;
                }
                "start_from" => {
                    let text = map.next_value::<String>()?;
                    let at = parse_instant(&text).map_err(de::Error::custom)?;
                    set(&mut start_from, at).map_err(|()| duplicate())?;
                }
                "lead" => {
                    set(&mut lead, map.next_value::<LeadTemplate>()?).map_err(|()| duplicate())?
                }
                "routes" => {
                    set(&mut routes, map.next_value::<Vec<Route>>()?).map_err(|()| duplicate())?
                }
                "enabled" => {
                    set(&mut enabled, map.next_value::<bool>()?).map_err(|()| duplicate())?
                }
                "poll_interval" => {
                    let every = map.next_value::<HumanDuration>()?.0;
                    if every.is_zero() {
                        return Err(de::Error::custom("poll_interval must be longer than 0s"));
                    }
                    set(&mut poll_interval, every).map_err(|()| duplicate())?;
                }
                "schedule" => {
                    let text = map.next_value::<String>()?;
                    let cron = parse_schedule(text.trim()).map_err(de::Error::custom)?;
                    set(&mut schedule, cron).map_err(|()| duplicate())?;
                }
                _ => {
                    let value = map.next_value::<Spanned<serde_json::Value>>()?;
                    settings
                        .get_or_insert_with(|| SourceSettings::new(at))
                        .insert(key.value, value.value, at);
                }
            }
        }
        let location = first_at.unwrap_or(Location { line: 0, column: 0 });
        let name = name.ok_or_else(|| de::Error::missing_field("name"))?;
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(de::Error::custom(format!(
                "source name '{name}' must be letters, digits, '-' or '_' (it is the key in the state file)"
            )));
        }
        let kind = kind.ok_or_else(|| de::Error::missing_field("kind"))?;
        if poll_interval.is_some() && schedule.is_some() {
            return Err(de::Error::custom(format!(
                "source '{name}': set poll_interval or schedule, not both"
            )));
        }
        let mut settings = settings.unwrap_or_else(|| SourceSettings::new(location));
        settings.set_location(location);
        Ok(SourceEntry {
            name,
            kind,
            kind_location: kind_at.unwrap_or(location),
            start_from,
            lead: lead.unwrap_or_default(),
            routes: routes.unwrap_or_default(),
            enabled: enabled.unwrap_or(true),
            poll_interval: poll_interval.unwrap_or(DEFAULT_POLL_INTERVAL),
            schedule,
            settings,
            location,
        })
    }
}

fn set<T>(slot: &mut Option<T>, value: T) -> Result<(), ()> {
    if slot.is_some() {
        return Err(());
    }
    *slot = Some(value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_from_accepts_instants_and_dates() {
        assert_eq!(
            parse_instant("2026-11-01T00:00:00+03:00")
                .unwrap()
                .to_rfc3339(),
            "2026-10-31T21:00:00+00:00"
        );
        assert_eq!(
            parse_instant("2026-11-01").unwrap().to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        assert!(parse_instant("yesterday").is_err());
    }

    #[test]
    fn schedules_are_five_field_cron_expressions() {
        assert!(parse_schedule("*/5 * * * *").is_ok());
        assert!(parse_schedule("0 9-18 * * 1-5").is_ok());
        let six = parse_schedule("0 */5 * * * *").unwrap_err();
        assert!(six.contains("has 6 fields"), "{six}");
        assert!(parse_schedule("61 * * * *").is_err());
    }
}
