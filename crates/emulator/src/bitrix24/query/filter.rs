//! `filter`: `{">ID": 5, "@CATEGORY_ID": [0, 1], "STAGE_ID": "NEW", …}`.

use std::cmp::Ordering;
use std::ops::RangeInclusive;

use super::dates::parse_filter_date;
use crate::bitrix24::error::ApiError;
use crate::bitrix24::fields::{FieldKind, FieldValue, Filterable, Naming};
use crate::params::Param;

/// The comparison a key prefix asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equal,
    NotEqual,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    In,
    NotIn,
    Contains,
    NotContains,
    Like,
}

/// Key prefixes, longest first so `>=` wins over `>`.
const PREFIXES: &[(&str, Op)] = &[
    ("!@", Op::NotIn),
    (">=", Op::GreaterOrEqual),
    ("<=", Op::LessOrEqual),
    ("!=", Op::NotEqual),
    ("!%", Op::NotContains),
    ("=%", Op::Like),
    ("%=", Op::Like),
    (">", Op::Greater),
    ("<", Op::Less),
    ("=", Op::Equal),
    ("!", Op::NotEqual),
    ("@", Op::In),
    ("%", Op::Contains),
];

#[derive(Debug, Clone)]
struct Condition {
    field: String,
    op: Op,
    operands: Vec<FieldValue>,
}

/// A parsed filter; rows must pass every condition.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    conditions: Vec<Condition>,
    /// The id field's name, for [`Filter::id_range`].
    id_field: &'static str,
}

impl Filter {
    /// Reads `filter` for rows of type `T`. A legacy method ignores fields the
    /// fake does not know, as the portal ignores them, and answers a value
    /// that cannot be read as its field's type with its general list error;
    /// `crm.item.list` refuses both with `INVALID_ARG_VALUE`. Nested filters
    /// and `logic` are not modelled: `crm.item.list` refuses them as unknown
    /// fields.
    pub fn parse<T: Filterable>(param: Option<&Param>) -> Result<Filter, ApiError> {
        let entries = match param {
            None | Some(Param::Null) => {
                return Ok(Filter {
                    conditions: Vec::new(),
                    id_field: T::ID,
                });
            }
            Some(p) => p
                .entries()
                .ok_or_else(|| ApiError::crm("Parameter 'filter' must be array."))?,
        };
        let mut conditions = Vec::new();
        for (key, value) in entries {
            let (op, field) = split_prefix(key.trim());
            let field = match T::NAMING {
                Naming::Legacy => field.trim().to_uppercase(),
                Naming::Item => field.trim().to_owned(),
            };
            let Some(kind) = T::field_kind(&field) else {
                match T::NAMING {
                    Naming::Legacy => continue,
                    Naming::Item => {
                        return Err(ApiError::invalid_arg(format!(
                            "Invalid filter: field '{field}' is not allowed in filter"
                        )));
                    }
                }
            };
            let values = match value {
                Param::List(_) | Param::Map(_) => value.items().unwrap_or_default(),
                scalar => vec![scalar],
            };
            let operands = values
                .into_iter()
                .map(|v| operand(kind, v))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| match T::NAMING {
                    Naming::Legacy => ApiError::crm("Failed to get list. General error."),
                    Naming::Item => ApiError::invalid_arg(format!(
                        "Invalid filter: field '{field}' has invalid value"
                    )),
                })?;
            conditions.push(Condition {
                field,
                op,
                operands,
            });
        }
        Ok(Filter {
            conditions,
            id_field: T::ID,
        })
    }

    /// Whether `row` passes every condition.
    pub fn matches<T: Filterable>(&self, row: &T) -> bool {
        self.conditions.iter().all(|c| c.matches(row))
    }

    /// The ids the `ID` conditions allow, to narrow the scan; `None` when no
    /// id can match.
    pub fn id_range(&self) -> Option<RangeInclusive<u64>> {
        let (mut low, mut high) = (0i128, i128::from(u64::MAX));
        for c in self.conditions.iter().filter(|c| c.field == self.id_field) {
            let ids: Vec<i128> = c
                .operands
                .iter()
                .filter_map(|o| match o {
                    FieldValue::Integer(n) => Some(i128::from(*n)),
                    _ => None,
                })
                .collect();
            let (Some(&min), Some(&max)) = (ids.iter().min(), ids.iter().max()) else {
                continue;
            };
            match c.op {
                Op::Greater => low = low.max(min + 1),
                Op::GreaterOrEqual => low = low.max(min),
                Op::Less => high = high.min(max - 1),
                Op::LessOrEqual => high = high.min(max),
                Op::Equal | Op::In => {
                    low = low.max(min);
                    high = high.min(max);
                }
                _ => {}
            }
        }
        (low <= high).then_some((low as u64)..=(high as u64))
    }
}

impl Condition {
    fn matches<T: Filterable>(&self, row: &T) -> bool {
        let value = row.field_value(&self.field);
        let equal = |o: &FieldValue| value.compare(o) == Some(Ordering::Equal);
        let first = self.operands.first();
        let ordered = |accept: fn(Ordering) -> bool| {
            first
                .and_then(|o| value.compare(o))
                .is_some_and(|ordering| value != FieldValue::Null && accept(ordering))
        };
        let text = value.as_text().unwrap_or_default().to_lowercase();
        let operand_text = |o: &FieldValue| o.as_text().unwrap_or_default().to_lowercase();
        match self.op {
            Op::Equal | Op::In => self.operands.iter().any(equal),
            Op::NotEqual | Op::NotIn => !self.operands.iter().any(equal),
            Op::Greater => ordered(|o| o == Ordering::Greater),
            Op::GreaterOrEqual => ordered(|o| o != Ordering::Less),
            Op::Less => ordered(|o| o == Ordering::Less),
            Op::LessOrEqual => ordered(|o| o != Ordering::Greater),
            Op::Contains => self
                .operands
                .iter()
                .any(|o| text.contains(&operand_text(o))),
            Op::NotContains => !self
                .operands
                .iter()
                .any(|o| text.contains(&operand_text(o))),
            Op::Like => self.operands.iter().any(|o| like(&text, &operand_text(o))),
        }
    }
}

fn split_prefix(key: &str) -> (Op, &str) {
    PREFIXES
        .iter()
        .find_map(|(prefix, op)| key.strip_prefix(prefix).map(|rest| (*op, rest)))
        .unwrap_or((Op::Equal, key))
}

/// A filter value read as the field's kind; `""` and `null` mean "no value".
fn operand(kind: FieldKind, value: &Param) -> Option<FieldValue> {
    let text = match value {
        Param::Null => return Some(FieldValue::Null),
        other => other.text()?,
    };
    if text.trim().is_empty() {
        return Some(FieldValue::Null);
    }
    match kind {
        FieldKind::Integer => value.integer().map(FieldValue::Integer),
        FieldKind::DateTime => parse_filter_date(&text).map(FieldValue::DateTime),
        FieldKind::Text => Some(FieldValue::Text(text)),
    }
}

/// SQL LIKE with `%` as the only wildcard.
fn like(text: &str, pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split('%').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return text == pattern;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last) && rest.len() >= last.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::FakeDeal;

    fn deal(id: u64, stage: &str) -> FakeDeal {
        FakeDeal {
            id,
            title: format!("Заявка {id}"),
            created: chrono::DateTime::parse_from_rfc3339("2026-11-02T10:15:00+03:00").unwrap(),
            category_id: 1,
            stage_id: stage.into(),
            contact_ids: vec![],
            utm_source: None,
            utm_campaign: None,
            custom: Default::default(),
            expected: Default::default(),
        }
    }

    fn filter(json: &str) -> Result<Filter, ApiError> {
        let p: Param = serde_json::from_str(json).unwrap();
        Filter::parse::<FakeDeal>(Some(&p))
    }

    #[test]
    fn ids_compare_as_numbers() {
        let f = filter(r#"{">ID": "99"}"#).unwrap();
        assert!(f.matches(&deal(100, "NEW")));
        assert!(!f.matches(&deal(99, "NEW")));
        assert_eq!(f.id_range(), Some(100..=u64::MAX));
    }

    #[test]
    fn prefixes() {
        let d = deal(10, "C1:NEW");
        assert!(filter(r#"{">=ID": 10, "<=ID": 10}"#).unwrap().matches(&d));
        assert!(filter(r#"{"@ID": [1, 10]}"#).unwrap().matches(&d));
        assert!(!filter(r#"{"!@ID": [1, 10]}"#).unwrap().matches(&d));
        assert!(filter(r#"{"!STAGE_ID": "NEW"}"#).unwrap().matches(&d));
        assert!(
            filter(r#"{"=STAGE_ID": "C1:NEW", "CATEGORY_ID": "1"}"#)
                .unwrap()
                .matches(&d)
        );
        assert!(filter(r#"{"%TITLE": "заявка"}"#).unwrap().matches(&d));
        assert!(filter(r#"{"=%TITLE": "%1_%"}"#).is_ok());
        assert!(
            filter(r#"{">DATE_CREATE": "2026-11-02"}"#)
                .unwrap()
                .matches(&d)
        );
        assert!(
            !filter(r#"{">DATE_CREATE": "2026-11-02T10:15:00+03:00"}"#)
                .unwrap()
                .matches(&d)
        );
        assert!(filter(r#"{"CONTACT_ID": ""}"#).unwrap().matches(&d));
        assert!(filter(r#"{"UNKNOWN": 5}"#).unwrap().matches(&d));
    }

    #[test]
    fn bad_values_are_errors() {
        assert!(filter(r#"{">DATE_CREATE": "soon"}"#).is_err());
        assert!(filter(r#"{">ID": "abc"}"#).is_err());
        let p = Param::Text("x".into());
        assert!(Filter::parse::<FakeDeal>(Some(&p)).is_err());
    }

    #[test]
    fn impossible_ranges_are_empty() {
        assert_eq!(filter(r#"{">ID": 10, "<ID": 5}"#).unwrap().id_range(), None);
        assert_eq!(filter(r#"{"<ID": 0}"#).unwrap().id_range(), None);
        assert_eq!(
            filter(r#"{">ID": -5}"#).unwrap().id_range(),
            Some(0..=u64::MAX)
        );
    }

    #[test]
    fn like_wildcards() {
        assert!(like("заявка с сайта", "%сайт%"));
        assert!(like("abc", "a%c"));
        assert!(!like("abc", "a%d"));
        assert!(like("abc", "abc"));
        assert!(!like("ab", "a%b%b"));
    }
}
