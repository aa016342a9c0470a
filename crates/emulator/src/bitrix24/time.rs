//! The `time` object Bitrix24 attaches to every reply.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::data::PORTAL_OFFSET;

/// How long the operating-time window lasts; `operating_reset_at` is this far
/// after the request.
const OPERATING_WINDOW_SECONDS: i64 = 600;

/// A request's `time`: when it started and finished. `top_level` adds
/// `operating_reset_at`, which sub-call times in a batch lack.
pub(crate) fn time_object(started: DateTime<Utc>, top_level: bool) -> Value {
    let finished = Utc::now().max(started);
    let start = unix_seconds(started);
    let finish = unix_seconds(finished);
    let duration = finish - start;
    let mut time = Map::new();
    time.insert("start".into(), json!(start));
    time.insert("finish".into(), json!(finish));
    time.insert("duration".into(), json!(duration));
    time.insert("processing".into(), json!(duration * 0.9));
    time.insert("date_start".into(), json!(portal_date(started)));
    time.insert("date_finish".into(), json!(portal_date(finished)));
    if top_level {
        time.insert(
            "operating_reset_at".into(),
            json!(started.timestamp() + OPERATING_WINDOW_SECONDS),
        );
    }
    time.insert("operating".into(), json!(0));
    Value::Object(time)
}

/// A datetime the way Bitrix24 writes it: `2026-11-02T10:15:00+03:00`.
pub(crate) fn portal_date<Tz: chrono::TimeZone>(at: DateTime<Tz>) -> String {
    at.with_timezone(&PORTAL_OFFSET)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn unix_seconds(at: DateTime<Utc>) -> f64 {
    at.timestamp() as f64 + f64::from(at.timestamp_subsec_micros()) / 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_has_the_documented_keys() {
        let t = time_object(Utc::now(), true);
        for key in [
            "start",
            "finish",
            "duration",
            "processing",
            "date_start",
            "date_finish",
            "operating_reset_at",
            "operating",
        ] {
            assert!(t.get(key).is_some(), "{key}");
        }
        assert!(t["date_start"].as_str().unwrap().ends_with("+03:00"));
        assert!(
            time_object(Utc::now(), false)
                .get("operating_reset_at")
                .is_none()
        );
    }
}
