//! The list parameters of API v4: `page`/`limit`, `order[field]` and
//! `filter[…]`, read strictly: what the fake does not model is a 400, not a
//! silently wrong answer.

pub(crate) mod filter;
pub(crate) mod order;
pub(crate) mod paging;

use super::problem::Invalid;
use crate::params::Param;

/// A 400 entry for the parameter `path`.
pub(crate) fn invalid(code: &'static str, path: &str, detail: impl Into<String>) -> Invalid {
    Invalid {
        code,
        path: path.to_owned(),
        detail: detail.into(),
    }
}

/// A scalar parameter read as an integer, or the 400 entry naming it.
pub(crate) fn integer(param: &Param, path: &str) -> Result<i64, Invalid> {
    param
        .integer()
        .ok_or_else(|| invalid("InvalidType", path, "This value should be of type int."))
}

/// Whether `with` (a comma list) names `relation`.
pub(crate) fn wants(params: &Param, relation: &str) -> bool {
    params
        .get("with")
        .and_then(Param::text)
        .is_some_and(|with| with.split(',').any(|r| r.trim() == relation))
}

/// A raw query string as PHP reads it.
pub(crate) fn parse(raw: Option<&str>) -> Param {
    raw.map_or_else(Param::empty_map, crate::params::parse_php_query)
}

/// Full-text `query` search is not modelled: a 400 rather than every row.
pub(crate) fn no_search(params: &Param) -> Result<(), super::problem::Problem> {
    match params.get("query") {
        None => Ok(()),
        Some(_) => Err(super::problem::Problem::invalid(vec![invalid(
            "NotSupportedChoice",
            "query",
            "Full-text search is not modelled by the fake.",
        )])),
    }
}
