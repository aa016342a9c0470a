//! `order[<field>]=asc|desc` over a whitelist of fields.

use std::cmp::Ordering;

use super::invalid;
use crate::amocrm::problem::Problem;
use crate::params::Param;

/// A row a list can sort.
pub(crate) trait Sortable {
    /// The value of a field named in the endpoint's whitelist (Unix
    /// seconds for times).
    fn sort_value(&self, field: &str) -> i64;

    /// The id, the tie-breaker.
    fn id(&self) -> u64;
}

/// One sort field and its direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Order {
    field: &'static str,
    descending: bool,
}

impl Order {
    /// Reads `order`; without it, `id` ascending. One field only, from
    /// `allowed`, `asc` or `desc` in any case.
    pub fn parse(param: Option<&Param>, allowed: &[&'static str]) -> Result<Order, Problem> {
        let Some(param) = param else {
            return Ok(Order {
                field: "id",
                descending: false,
            });
        };
        let refuse = |path: &str, detail: &str| {
            Err(Problem::invalid(vec![invalid(
                "NotSupportedChoice",
                path,
                detail,
            )]))
        };
        let entries = match param {
            Param::Map(entries) => entries,
            _ => return refuse("order", "Expected order[<field>]=asc|desc."),
        };
        let [(name, direction)] = entries.as_slice() else {
            return refuse("order", "Exactly one sort field is supported.");
        };
        let path = format!("order[{name}]");
        let Some(field) = allowed.iter().find(|f| **f == name.as_str()) else {
            return refuse(
                &path,
                &format!("Sorting is possible by: {}.", allowed.join(", ")),
            );
        };
        let descending = match direction.text().map(|d| d.to_ascii_lowercase()).as_deref() {
            Some("asc") => false,
            Some("desc") => true,
            _ => return refuse(&path, "The value should be asc or desc."),
        };
        Ok(Order { field, descending })
    }

    /// Sorts `rows`; ties fall back to the id, in the same direction.
    pub fn sort<R: Sortable>(&self, rows: &mut [R]) {
        rows.sort_by(|a, b| {
            let by_field = a.sort_value(self.field).cmp(&b.sort_value(self.field));
            let order = match by_field {
                Ordering::Equal => a.id().cmp(&b.id()),
                other => other,
            };
            if self.descending {
                order.reverse()
            } else {
                order
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::parse_php_query;

    struct Row(u64, i64);

    impl Sortable for Row {
        fn sort_value(&self, field: &str) -> i64 {
            if field == "id" { self.0 as i64 } else { self.1 }
        }
        fn id(&self) -> u64 {
            self.0
        }
    }

    fn sorted(q: &str) -> Vec<u64> {
        let p = parse_php_query(q);
        let order = Order::parse(p.get("order"), &["created_at", "id"]).unwrap();
        let mut rows = vec![Row(3, 10), Row(1, 20), Row(2, 10)];
        order.sort(&mut rows);
        rows.iter().map(|r| r.0).collect()
    }

    #[test]
    fn sorts_with_id_ties() {
        assert_eq!(sorted(""), [1, 2, 3]);
        assert_eq!(sorted("order[created_at]=asc"), [2, 3, 1]);
        assert_eq!(sorted("order[created_at]=DESC"), [1, 3, 2]);
        assert_eq!(sorted("order[id]=desc"), [3, 2, 1]);
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        for q in [
            "order[name]=asc",
            "order[id]=up",
            "order=id",
            "order[id]=asc&order[created_at]=asc",
        ] {
            let p = parse_php_query(q);
            assert!(
                Order::parse(p.get("order"), &["created_at", "id"]).is_err(),
                "{q}"
            );
        }
    }
}
