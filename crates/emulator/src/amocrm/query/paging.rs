//! `page` (from 1) and `limit` (default 50, at most 250).

use super::integer;
use crate::amocrm::problem::Problem;
use crate::params::Param;

/// Rows per page when `limit` is not given.
const DEFAULT_LIMIT: u64 = 50;
/// The most rows a page may have.
const MAX_LIMIT: u64 = 250;

/// Which page, of what size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Paging {
    /// From 1.
    pub page: u64,
    /// Rows per page.
    pub limit: u64,
}

impl Paging {
    /// Reads `page` and `limit`: 422 for a limit over 250, 400 for values
    /// below 1 or not numbers.
    pub fn parse(params: &Param) -> Result<Paging, Problem> {
        let read = |name: &str, default: u64| -> Result<i64, Problem> {
            match params.get(name) {
                None => Ok(default as i64),
                Some(value) => integer(value, name).map_err(|e| Problem::invalid(vec![e])),
            }
        };
        let limit = read("limit", DEFAULT_LIMIT)?;
        if limit > MAX_LIMIT as i64 {
            return Err(Problem::limit_too_big());
        }
        let page = read("page", 1)?;
        let below_one = |name: &str| {
            Problem::invalid(vec![super::invalid(
                "RangeError",
                name,
                "This value should be 1 or more.",
            )])
        };
        let limit = u64::try_from(limit)
            .ok()
            .filter(|l| *l >= 1)
            .ok_or_else(|| below_one("limit"))?;
        let page = u64::try_from(page)
            .ok()
            .filter(|p| *p >= 1)
            .ok_or_else(|| below_one("page"))?;
        Ok(Paging { page, limit })
    }

    /// This page of `rows`, and whether a further page has rows.
    pub fn cut<R>(&self, rows: Vec<R>) -> (Vec<R>, bool) {
        let start = (self.page - 1).saturating_mul(self.limit);
        let end = start.saturating_add(self.limit);
        let has_next = (rows.len() as u64) > end;
        let page = rows
            .into_iter()
            .skip(usize::try_from(start).unwrap_or(usize::MAX))
            .take(usize::try_from(self.limit).unwrap_or(usize::MAX))
            .collect();
        (page, has_next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::parse_php_query;

    fn parse(q: &str) -> Result<Paging, Problem> {
        Paging::parse(&parse_php_query(q))
    }

    #[test]
    fn defaults_bounds_and_errors() {
        assert_eq!(parse("").unwrap(), Paging { page: 1, limit: 50 });
        assert_eq!(
            parse("page=3&limit=250").unwrap(),
            Paging {
                page: 3,
                limit: 250
            }
        );
        assert_eq!(parse("limit=251").unwrap_err(), Problem::limit_too_big());
        for bad in ["limit=0", "page=0", "page=-1", "limit=x", "page=1.5"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cuts_pages() {
        let p = Paging { page: 2, limit: 2 };
        assert_eq!(p.cut(vec![1, 2, 3, 4, 5]), (vec![3, 4], true));
        assert_eq!(p.cut(vec![1, 2, 3, 4]), (vec![3, 4], false));
        assert_eq!(p.cut(vec![1, 2]), (vec![], false));
    }
}
