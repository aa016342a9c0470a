//! How deals and contacts look on the wire, and how filters and sort orders
//! read their fields.

pub(crate) mod contact;
pub(crate) mod deal;
pub(crate) mod item;

use std::cmp::Ordering;

use chrono::{DateTime, FixedOffset};

/// How a field's filter values are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldKind {
    /// Compared as a number (ids, even though they are sent as strings).
    Integer,
    /// Compared as a point in time.
    DateTime,
    /// Compared as text.
    Text,
}

/// A field's value, typed for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldValue {
    /// No value (`null` on the wire).
    Null,
    /// A number.
    Integer(i64),
    /// A point in time.
    DateTime(DateTime<FixedOffset>),
    /// Text.
    Text(String),
}

impl FieldValue {
    /// A total order for sorting: nulls first, then by value. Values of
    /// different kinds never meet in practice; they order by kind.
    pub fn sort_cmp(&self, other: &FieldValue) -> Ordering {
        self.compare(other)
            .unwrap_or_else(|| self.rank().cmp(&other.rank()))
    }

    /// The comparison a filter makes: `None` when the two cannot be compared
    /// (a null, or different kinds).
    pub fn compare(&self, other: &FieldValue) -> Option<Ordering> {
        match (self, other) {
            (FieldValue::Integer(a), FieldValue::Integer(b)) => Some(a.cmp(b)),
            (FieldValue::DateTime(a), FieldValue::DateTime(b)) => Some(a.cmp(b)),
            (FieldValue::Text(a), FieldValue::Text(b)) => Some(a.cmp(b)),
            (FieldValue::Null, FieldValue::Null) => Some(Ordering::Equal),
            _ => None,
        }
    }

    /// The value as text, for LIKE filters.
    pub fn as_text(&self) -> Option<String> {
        match self {
            FieldValue::Null => None,
            FieldValue::Integer(n) => Some(n.to_string()),
            FieldValue::DateTime(t) => Some(t.to_rfc3339()),
            FieldValue::Text(s) => Some(s.clone()),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            FieldValue::Null => 0,
            FieldValue::Integer(_) => 1,
            FieldValue::DateTime(_) => 2,
            FieldValue::Text(_) => 3,
        }
    }
}

/// How a list method reads the field names of `filter` and `order`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Naming {
    /// `crm.deal.list` and the other legacy methods: `UPPER_CASE` names in
    /// any case; unknown fields are ignored, and an unreadable value is the
    /// general list error.
    Legacy,
    /// `crm.item.list`: camelCase names exactly as sent; an unknown field or
    /// an unreadable value is `INVALID_ARG_VALUE`.
    Item,
}

/// A row that list methods can filter and sort.
pub(crate) trait Filterable {
    /// How the method's `filter` and `order` name fields.
    const NAMING: Naming = Naming::Legacy;

    /// The id field's name, as [`Filterable::NAMING`] writes it.
    const ID: &'static str = "ID";

    /// The kind of a filterable field, `None` for fields the fake does not
    /// filter on (the legacy methods ignore those too).
    fn field_kind(name: &str) -> Option<FieldKind>;

    /// The value of a field named by [`Filterable::field_kind`].
    fn field_value(&self, name: &str) -> FieldValue;

    /// The row's id, the final tie-breaker of every sort.
    fn id(&self) -> u64;
}

impl<T: Filterable> Filterable for &T {
    const NAMING: Naming = T::NAMING;
    const ID: &'static str = T::ID;

    fn field_kind(name: &str) -> Option<FieldKind> {
        T::field_kind(name)
    }

    fn field_value(&self, name: &str) -> FieldValue {
        (**self).field_value(name)
    }

    fn id(&self) -> u64 {
        (**self).id()
    }
}

/// The user a row is assigned to, derived from its id so it stays stable.
pub(crate) fn assigned_by(id: u64) -> i64 {
    [1, 6, 8][(id % 3) as usize]
}

/// An optional string as a comparable value.
pub(crate) fn text_value(value: Option<&String>) -> FieldValue {
    value.map_or(FieldValue::Null, |s| FieldValue::Text(s.clone()))
}

/// An optional string as a wire value: the string or `null`.
pub(crate) fn text_or_null(value: Option<&str>) -> serde_json::Value {
    value.map_or(serde_json::Value::Null, |s| {
        serde_json::Value::String(s.to_owned())
    })
}
