//! Which заявки one request gets, in the style the company serves.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};

use super::MacroPaging;
use crate::data::FakeDeal;
use crate::params::Param;

/// Records per page when `limit` is not sent.
const DEFAULT_LIMIT: usize = 100;
/// The most records one page holds, whatever `limit` asks.
const MAX_LIMIT: usize = 500;

/// The time filter's parameter, in every style.
pub(crate) const CREATED_FROM: &str = "created_from";

/// `deals` (oldest first) cut to what `params` ask for in `style`; `Err`
/// when a parameter cannot be read.
pub(crate) fn select<'a>(
    style: MacroPaging,
    params: &Param,
    zone: FixedOffset,
    mut deals: Vec<&'a FakeDeal>,
) -> Result<Vec<&'a FakeDeal>, String> {
    deals.sort_by_key(|d| (d.created, d.id));
    if let Some(from) = text(params, CREATED_FROM) {
        let from = local(&from, zone)
            .ok_or_else(|| format!("{CREATED_FROM}: '{from}' is not YYYY-MM-DD HH:MM:SS"))?;
        deals.retain(|d| d.created >= from);
    }
    let number = |key: &str, default: usize| -> Result<usize, String> {
        match text(params, key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("{key}: '{v}' is not a number")),
        }
    };
    let limit = number("limit", DEFAULT_LIMIT)?.clamp(1, MAX_LIMIT);
    let skip = match style {
        MacroPaging::None => return Ok(deals),
        MacroPaging::PageLimit => number("page", 1)?.max(1).saturating_sub(1) * limit,
        MacroPaging::OffsetLimit => number("offset", 0)?,
        MacroPaging::Since => 0,
    };
    Ok(deals.into_iter().skip(skip).take(limit).collect())
}

fn text(params: &Param, key: &str) -> Option<String> {
    params
        .get(key)
        .and_then(Param::text)
        .filter(|v| !v.is_empty())
}

fn local(text: &str, zone: FixedOffset) -> Option<DateTime<FixedOffset>> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    zone.from_local_datetime(&naive).single()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DataSet, PORTAL_OFFSET};
    use crate::params::parse_php_query;

    fn ids(style: MacroPaging, query: &str, data: &DataSet) -> Result<Vec<u64>, String> {
        let deals = data.deals.iter().collect();
        select(style, &parse_php_query(query), PORTAL_OFFSET, deals)
            .map(|page| page.iter().map(|d| d.id).collect())
    }

    #[test]
    fn each_style_cuts_its_own_way() {
        let start = DateTime::parse_from_rfc3339("2026-11-02T09:00:00+03:00").unwrap();
        let data = DataSet::generate(1, 12, 1, start);
        let all: Vec<u64> = data.deals.iter().map(|d| d.id).collect();
        assert_eq!(
            ids(MacroPaging::None, "page=2&limit=3", &data).unwrap(),
            all
        );
        assert_eq!(
            ids(MacroPaging::PageLimit, "page=2&limit=5", &data).unwrap(),
            all[5..10]
        );
        assert_eq!(ids(MacroPaging::PageLimit, "", &data).unwrap(), all);
        assert_eq!(
            ids(MacroPaging::OffsetLimit, "offset=10&limit=5", &data).unwrap(),
            all[10..]
        );
        let third = data.deals[3]
            .created
            .format("%Y-%m-%d %H:%M:%S")
            .to_string();
        let since = format!("created_from={third}&limit=2");
        assert_eq!(ids(MacroPaging::Since, &since, &data).unwrap(), all[3..5]);
        assert!(ids(MacroPaging::PageLimit, "page=x", &data).is_err());
        assert!(ids(MacroPaging::Since, "created_from=вчера", &data).is_err());
    }
}
