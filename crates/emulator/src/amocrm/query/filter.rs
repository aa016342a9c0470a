//! `filter[…]` of the leads and contacts lists. Both ends of a time range
//! are inclusive: the docs do not say, and an inclusive `to` loses nothing
//! for a poller that deduplicates by id.

use super::{integer, invalid};
use crate::amocrm::entities::lead::LeadRow;
use crate::amocrm::problem::{Invalid, Problem};
use crate::params::Param;

/// `filter[…][from]`/`[to]` in Unix seconds, both inclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Range {
    from: Option<i64>,
    to: Option<i64>,
}

impl Range {
    fn contains(&self, at: i64) -> bool {
        self.from.is_none_or(|from| at >= from) && self.to.is_none_or(|to| at <= to)
    }
}

/// The filters `GET /api/v4/leads` models.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LeadFilter {
    ids: Option<Vec<u64>>,
    created_at: Range,
    updated_at: Range,
    pipelines: Option<Vec<u64>>,
    statuses: Option<Vec<(u64, u64)>>,
}

impl LeadFilter {
    /// Reads `filter`: `id`, `created_at`, `updated_at`, `pipeline_id` and
    /// `statuses`; any other key is a 400 naming it.
    pub fn parse(param: Option<&Param>) -> Result<LeadFilter, Problem> {
        let mut filter = LeadFilter::default();
        for (key, value) in entries(param)? {
            let path = format!("filter[{key}]");
            match key.as_str() {
                "id" => filter.ids = Some(ids(value, &path)?),
                "created_at" => filter.created_at = range(value, &path)?,
                "updated_at" => filter.updated_at = range(value, &path)?,
                "pipeline_id" => filter.pipelines = Some(ids(value, &path)?),
                "statuses" => filter.statuses = Some(statuses(value, &path)?),
                _ => return Err(not_modelled(&path)),
            }
        }
        Ok(filter)
    }

    /// Whether `lead` passes every filter given.
    pub fn matches(&self, lead: &LeadRow<'_>) -> bool {
        self.ids.as_ref().is_none_or(|ids| ids.contains(&lead.id()))
            && self.created_at.contains(lead.created_at)
            && self.updated_at.contains(lead.updated_at)
            && self
                .pipelines
                .as_ref()
                .is_none_or(|ids| ids.contains(&lead.pipeline_id))
            && self
                .statuses
                .as_ref()
                .is_none_or(|pairs| pairs.contains(&(lead.pipeline_id, lead.status_id)))
    }
}

/// The filters `GET /api/v4/contacts` models: `id` only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ContactFilter {
    ids: Option<Vec<u64>>,
}

impl ContactFilter {
    /// Reads `filter[id]` (a value or a list); any other key is a 400.
    pub fn parse(param: Option<&Param>) -> Result<ContactFilter, Problem> {
        let mut filter = ContactFilter::default();
        for (key, value) in entries(param)? {
            let path = format!("filter[{key}]");
            match key.as_str() {
                "id" => filter.ids = Some(ids(value, &path)?),
                _ => return Err(not_modelled(&path)),
            }
        }
        Ok(filter)
    }

    /// Whether the contact `id` passes.
    pub fn matches(&self, id: u64) -> bool {
        self.ids.as_ref().is_none_or(|ids| ids.contains(&id))
    }
}

fn entries(param: Option<&Param>) -> Result<Vec<(String, &Param)>, Problem> {
    match param {
        None => Ok(Vec::new()),
        Some(Param::Map(_)) => Ok(param.and_then(Param::entries).unwrap_or_default()),
        Some(_) => Err(Problem::invalid(vec![invalid(
            "InvalidType",
            "filter",
            "Expected filter[<field>]=….",
        )])),
    }
}

fn not_modelled(path: &str) -> Problem {
    Problem::invalid(vec![invalid(
        "NotSupportedChoice",
        path,
        "This filter is not modelled by the fake.",
    )])
}

/// `5`, or `[5, 6]` from `filter[id][]=5&filter[id][]=6`.
fn ids(value: &Param, path: &str) -> Result<Vec<u64>, Problem> {
    let result = match value.items() {
        Some(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| id(item, &format!("{path}[{i}]")))
            .collect(),
        None => id(value, path).map(|id| vec![id]),
    };
    result.map_err(|e| Problem::invalid(vec![e]))
}

fn id(value: &Param, path: &str) -> Result<u64, Invalid> {
    let n = integer(value, path)?;
    u64::try_from(n).map_err(|_| invalid("RangeError", path, "An id is not negative."))
}

/// `{from?, to?}`; a bare value is refused, since the leads list's meaning
/// for it is not documented.
fn range(value: &Param, path: &str) -> Result<Range, Problem> {
    let refuse = |e: Invalid| Problem::invalid(vec![e]);
    let Param::Map(entries) = value else {
        return Err(refuse(invalid(
            "InvalidType",
            path,
            "Expected [from] and/or [to] in Unix seconds.",
        )));
    };
    let mut range = Range::default();
    for (key, bound) in entries {
        let bound_path = format!("{path}[{key}]");
        let at = integer(bound, &bound_path).map_err(refuse)?;
        match key.as_str() {
            "from" => range.from = Some(at),
            "to" => range.to = Some(at),
            _ => {
                return Err(refuse(invalid(
                    "NotSupportedChoice",
                    &bound_path,
                    "Only from and to are supported.",
                )));
            }
        }
    }
    Ok(range)
}

/// `[{pipeline_id, status_id}, …]`.
fn statuses(value: &Param, path: &str) -> Result<Vec<(u64, u64)>, Problem> {
    let Some(items) = value.items() else {
        return Err(Problem::invalid(vec![invalid(
            "InvalidType",
            path,
            "Expected filter[statuses][0][pipeline_id] and [status_id].",
        )]));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let field = |name: &str| -> Result<u64, Problem> {
                let field_path = format!("{path}[{i}][{name}]");
                let value = item
                    .get(name)
                    .ok_or_else(|| invalid("NotBlank", &field_path, "Required."))
                    .and_then(|value| id(value, &field_path));
                value.map_err(|e| Problem::invalid(vec![e]))
            };
            Ok((field("pipeline_id")?, field("status_id")?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::parse_php_query;

    fn lead(q: &str) -> Result<LeadFilter, Problem> {
        LeadFilter::parse(parse_php_query(q).get("filter"))
    }

    #[test]
    fn reads_every_modelled_filter() {
        let f = lead(
            "filter[id][]=5&filter[id][]=6&filter[created_at][from]=10&filter[created_at][to]=20\
             &filter[pipeline_id]=7000001&filter[statuses][0][pipeline_id]=7000001\
             &filter[statuses][0][status_id]=60000101",
        )
        .unwrap();
        assert_eq!(f.ids, Some(vec![5, 6]));
        assert_eq!(
            f.created_at,
            Range {
                from: Some(10),
                to: Some(20)
            }
        );
        assert_eq!(f.pipelines, Some(vec![7_000_001]));
        assert_eq!(f.statuses, Some(vec![(7_000_001, 60_000_101)]));
        assert_eq!(lead("filter[id]=5").unwrap().ids, Some(vec![5]));
        assert_eq!(lead("filter[id][0]=5").unwrap().ids, Some(vec![5]));
    }

    #[test]
    fn ranges_are_inclusive() {
        let r = Range {
            from: Some(10),
            to: Some(20),
        };
        assert!(r.contains(10) && r.contains(20) && !r.contains(9) && !r.contains(21));
    }

    #[test]
    fn refuses_the_rest() {
        for q in [
            "filter[name]=x",
            "filter[created_at]=10",
            "filter[created_at][after]=10",
            "filter[created_at][from]=yesterday",
            "filter[id][]=x",
            "filter[id]=-1",
            "filter[statuses][0][pipeline_id]=1",
            "filter=5",
        ] {
            assert!(lead(q).is_err(), "{q}");
        }
        let contacts = |q: &str| ContactFilter::parse(parse_php_query(q).get("filter"));
        assert!(
            contacts("filter[id][]=1&filter[id][]=2")
                .unwrap()
                .matches(2)
        );
        assert!(!contacts("filter[id]=1").unwrap().matches(2));
        assert!(contacts("filter[name]=x").is_err());
    }
}
