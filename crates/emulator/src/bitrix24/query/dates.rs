//! The date formats a filter value may use.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};

use crate::data::PORTAL_OFFSET;

/// Reads a filter date: ISO 8601 with an offset, or a local
/// `YYYY-MM-DD HH:MM:SS` / `YYYY-MM-DD` / `DD.MM.YYYY` taken in the portal's
/// offset.
pub(crate) fn parse_filter_date(text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at);
    }
    if let Ok(at) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z") {
        return Some(at);
    }
    const LOCAL: &[&str] = &[
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
    ];
    let local = LOCAL
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .or_else(|| {
            ["%Y-%m-%d", "%d.%m.%Y"]
                .iter()
                .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
                .and_then(|day| day.and_hms_opt(0, 0, 0))
        })?;
    local.and_local_timezone(PORTAL_OFFSET).single()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let expect = DateTime::parse_from_rfc3339("2026-11-02T10:15:00+03:00").unwrap();
        assert_eq!(parse_filter_date("2026-11-02T10:15:00+03:00"), Some(expect));
        assert_eq!(parse_filter_date("2026-11-02T07:15:00Z"), Some(expect));
        assert_eq!(parse_filter_date("2026-11-02T10:15:00+0300"), Some(expect));
        assert_eq!(parse_filter_date("2026-11-02 10:15:00"), Some(expect));
        assert_eq!(parse_filter_date("02.11.2026 10:15:00"), Some(expect));
        let midnight = DateTime::parse_from_rfc3339("2026-11-02T00:00:00+03:00").unwrap();
        assert_eq!(parse_filter_date("2026-11-02"), Some(midnight));
        assert_eq!(parse_filter_date("2026-11-02T10:15:00 03:00"), None);
        assert_eq!(parse_filter_date("вчера"), None);
    }
}
