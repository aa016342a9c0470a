//! Reading the many ways CRMs write a moment: Unix seconds, RFC 3339, and
//! naive local datetimes that mean the account's time zone.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::str::FromStr;

/// An IANA time zone from the configuration (`Europe/Moscow`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZoneName(pub Tz);

impl<'de> Deserialize<'de> for TimeZoneName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Tz::from_str(name.trim()).map(TimeZoneName).map_err(|_| {
            serde::de::Error::custom(format!(
                "'{name}' is not an IANA time zone; write it like Europe/Moscow or Asia/Yekaterinburg"
            ))
        })
    }
}

/// Turns record values into UTC instants; naive datetimes are read in `zone`.
#[derive(Debug, Clone, Copy)]
pub struct Moments {
    zone: Tz,
}

const NAIVE_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
];

const DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%d.%m.%Y"];

impl Moments {
    /// Naive datetimes are local to `zone`.
    pub fn new(zone: Tz) -> Self {
        Self { zone }
    }

    /// The zone naive datetimes are read in.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The instant `value` names, if it names one: Unix seconds (or
    /// milliseconds) as a number or digits, RFC 3339, or a naive datetime or
    /// date in the zone.
    pub fn parse(&self, value: &Value) -> Option<DateTime<Utc>> {
        match value {
            Value::Number(n) => n.as_i64().and_then(unix),
            Value::String(s) => self.parse_text(s.trim()),
            _ => None,
        }
    }

    fn parse_text(&self, text: &str) -> Option<DateTime<Utc>> {
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return text.parse().ok().and_then(unix);
        }
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Some(at.with_timezone(&Utc));
        }
        if let Some(naive) = NAIVE_FORMATS
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        {
            return Some(self.local(naive));
        }
        DATE_FORMATS
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
            .map(|day| self.local(day.and_time(chrono::NaiveTime::MIN)))
    }

    /// A naive local time in UTC. In the hour clocks repeat, the earlier
    /// reading wins; in the hour they skip, the time is taken as already
    /// moved forward.
    pub fn local(&self, naive: NaiveDateTime) -> DateTime<Utc> {
        match self.zone.from_local_datetime(&naive) {
            LocalResult::Single(at) => at.with_timezone(&Utc),
            LocalResult::Ambiguous(earlier, _) => earlier.with_timezone(&Utc),
            LocalResult::None => {
                // No hour to move forward into at the end of chrono's range:
                // the time is then read as UTC.
                let moved = naive.checked_add_signed(chrono::Duration::hours(1));
                match moved.map(|moved| self.zone.from_local_datetime(&moved)) {
                    Some(LocalResult::Single(at) | LocalResult::Ambiguous(at, _)) => {
                        at.with_timezone(&Utc)
                    }
                    _ => naive.and_utc(),
                }
            }
        }
    }

    /// `at` written as a naive local datetime (`YYYY-MM-DD HH:MM:SS`), for
    /// APIs that filter on account-local times.
    pub fn format_local(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.zone)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    }
}

/// Seconds, or milliseconds when the number is too large to be seconds.
fn unix(n: i64) -> Option<DateTime<Utc>> {
    let secs = if n.unsigned_abs() >= 100_000_000_000 {
        n / 1000
    } else {
        n
    };
    DateTime::from_timestamp(secs, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn reads_every_form_in_a_dst_free_zone() {
        let m = Moments::new(chrono_tz::Europe::Moscow);
        let want = at("2026-11-02T06:00:00Z");
        for v in [
            json!("2026-11-02 09:00:00"),
            json!("2026-11-02T09:00:00"),
            json!("02.11.2026 09:00:00"),
            json!("2026-11-02T09:00:00+03:00"),
            json!("2026-11-02T06:00:00Z"),
            json!(1_793_599_200),
            json!("1793599200"),
            json!(1_793_599_200_000_i64),
        ] {
            assert_eq!(m.parse(&v), Some(want), "{v}");
        }
        assert_eq!(
            m.parse(&json!("2026-11-02")),
            Some(at("2026-11-01T21:00:00Z"))
        );
        for bad in [
            json!("soon"),
            json!(null),
            json!(true),
            json!(""),
            json!("2026-13-45 99:00:00"),
        ] {
            assert_eq!(m.parse(&bad), None, "{bad}");
        }
    }

    #[test]
    fn crosses_dst_changes_correctly() {
        let m = Moments::new(chrono_tz::Europe::Berlin);
        assert_eq!(
            m.parse(&json!("2026-07-01 12:00:00")),
            Some(at("2026-07-01T10:00:00Z")),
            "summer: +2"
        );
        assert_eq!(
            m.parse(&json!("2026-01-15 12:00:00")),
            Some(at("2026-01-15T11:00:00Z")),
            "winter: +1"
        );
        // 2026-10-25 02:30 happens twice in Berlin: the earlier (summer) reading.
        assert_eq!(
            m.parse(&json!("2026-10-25 02:30:00")),
            Some(at("2026-10-25T00:30:00Z"))
        );
        // 2026-03-29 02:30 never happens in Berlin: taken as 03:30 summer time.
        assert_eq!(
            m.parse(&json!("2026-03-29 02:30:00")),
            Some(at("2026-03-29T01:30:00Z"))
        );
        // Moscow had DST until 2011: history is read with the rules of its day.
        let msk = Moments::new(chrono_tz::Europe::Moscow);
        assert_eq!(
            msk.parse(&json!("2010-07-01 12:00:00")),
            Some(at("2010-07-01T08:00:00Z"))
        );
    }

    #[test]
    fn the_last_moment_chrono_knows_is_read_in_any_zone() {
        // West of UTC this local time is past the last instant chrono knows;
        // moving it an hour forward overflowed (found by the property below).
        let m = Moments::new(chrono_tz::America::New_York);
        let last = NaiveDate::from_ymd_opt(262_142, 12, 31)
            .and_then(|d| d.and_hms_opt(23, 59, 59))
            .unwrap()
            .and_utc();
        assert_eq!(m.parse(&json!("+262142-12-31 23:59:59")), Some(last));
        assert_eq!(m.local(NaiveDateTime::MAX), NaiveDateTime::MAX.and_utc());
        let far_east = Moments::new(chrono_tz::Etc::GMTMinus14);
        assert_eq!(
            far_east.local(NaiveDateTime::MIN),
            NaiveDateTime::MIN.and_utc()
        );
    }

    #[test]
    fn formats_local_time_back() {
        let m = Moments::new(chrono_tz::Asia::Yekaterinburg);
        assert_eq!(
            m.format_local(at("2026-11-02T06:00:00Z")),
            "2026-11-02 11:00:00"
        );
    }

    #[test]
    fn zone_names_are_checked() {
        assert!(serde_json::from_value::<TimeZoneName>(json!("Europe/Moscow")).is_ok());
        let e = serde_json::from_value::<TimeZoneName>(json!("Moscow")).unwrap_err();
        assert!(e.to_string().contains("IANA"), "{e}");
    }

    /// Zones with the largest offsets either way, DST, and odd quarters.
    fn zone() -> impl proptest::strategy::Strategy<Value = Tz> {
        proptest::sample::select(vec![
            chrono_tz::Europe::Moscow,
            chrono_tz::Europe::Berlin,
            chrono_tz::America::New_York,
            chrono_tz::Pacific::Kiritimati,
            chrono_tz::Pacific::Chatham,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::Etc::GMTPlus12,
            chrono_tz::Etc::GMTMinus14,
            chrono_tz::UTC,
        ])
    }

    /// A moment as a CRM might write it, at the edges of every field's range.
    fn moment() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let year = prop_oneof![
            "[0-9]{4}",
            "[+-][0-9]{1,7}",
            Just("+262142".to_owned()),
            Just("-262143".to_owned()),
            Just("262142".to_owned()),
        ];
        let text = prop_oneof![
            Just("+262142-12-31 23:59:59".to_owned()),
            Just("-262143-01-01 00:00".to_owned()),
            any::<String>(),
            (
                year.clone(),
                "-[0-9]{1,2}-[0-9]{1,2}([ T][0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}(\\.[0-9]{1,9})?)?)?"
            )
                .prop_map(|(y, rest)| format!("{y}{rest}")),
            (
                "[0-9]{1,2}\\.[0-9]{1,2}\\.",
                year,
                "( [0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2})?)?"
            )
                .prop_map(|(d, y, t)| format!("{d}{y}{t}")),
            "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}",
            "-?[0-9]{1,20}",
        ];
        prop_oneof![
            text.prop_map(Value::String),
            any::<i64>().prop_map(Value::from),
            prop::sample::select(vec![
                i64::MAX,
                i64::MIN,
                8_210_298_412_799,
                -8_334_632_851_200
            ])
            .prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_moment_is_read_or_refused_and_written_back(value in moment(), zone in zone()) {
            let m = Moments::new(zone);
            if let Some(at) = m.parse(&value) {
                let local = m.format_local(at);
                proptest::prop_assert!(!local.is_empty());
            }
        }

        #[test]
        fn any_local_time_has_an_instant(secs in proptest::prelude::any::<i64>(), zone in zone()) {
            let naive = DateTime::from_timestamp(secs % 8_210_298_412_800, 0)
                .map_or(NaiveDateTime::MAX, |at| at.naive_utc());
            for naive in [naive, NaiveDateTime::MIN, NaiveDateTime::MAX] {
                let _ = Moments::new(zone).local(naive);
            }
        }
    }
}
