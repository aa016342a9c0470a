//! `order`: `{"ID": "ASC"}`, `{"DATE_CREATE": "DESC", "ID": "ASC"}`.

use std::cmp::Ordering;

use crate::bitrix24::error::ApiError;
use crate::bitrix24::fields::Filterable;
use crate::params::Param;

/// Ascending or descending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// A parsed sort order; ties always fall back to ascending id.
#[derive(Debug, Clone, Default)]
pub(crate) struct Order {
    keys: Vec<(String, Direction)>,
}

impl Order {
    /// Reads `order` for rows of type `T`; unknown fields are ignored.
    pub fn parse<T: Filterable>(param: Option<&Param>) -> Result<Order, ApiError> {
        let entries = match param {
            None | Some(Param::Null) => return Ok(Order::default()),
            Some(p) => p
                .entries()
                .ok_or_else(|| ApiError::crm("Parameter 'order' must be array."))?,
        };
        let keys = entries
            .into_iter()
            .filter_map(|(field, direction)| {
                let field = field.trim().to_uppercase();
                T::field_kind(&field)?;
                let descending = direction
                    .text()
                    .is_some_and(|d| d.trim().eq_ignore_ascii_case("DESC"));
                Some((
                    field,
                    if descending {
                        Direction::Desc
                    } else {
                        Direction::Asc
                    },
                ))
            })
            .collect();
        Ok(Order { keys })
    }

    /// `Some(direction)` when rows come out in id order (no order given, or
    /// `ID` first), so a scan in id order needs no sort.
    pub fn by_id(&self) -> Option<Direction> {
        match self.keys.first() {
            None => Some(Direction::Asc),
            Some((field, direction)) if field == "ID" => Some(*direction),
            Some(_) => None,
        }
    }

    /// Compares two rows by this order.
    pub fn compare<T: Filterable>(&self, a: &T, b: &T) -> Ordering {
        for (field, direction) in &self.keys {
            let ordering = a.field_value(field).sort_cmp(&b.field_value(field));
            let ordering = match direction {
                Direction::Asc => ordering,
                Direction::Desc => ordering.reverse(),
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        a.id().cmp(&b.id())
    }
}
