//! `order`: `{"ID": "ASC"}`, `{"DATE_CREATE": "DESC", "ID": "ASC"}`.

use std::cmp::Ordering;

use crate::bitrix24::error::ApiError;
use crate::bitrix24::fields::{Filterable, Naming};
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
    /// The id field's name, for [`Order::by_id`].
    id_field: &'static str,
}

impl Order {
    /// Reads `order` for rows of type `T`. A legacy method ignores unknown
    /// fields and reads anything but `DESC` as ascending; `crm.item.list`
    /// refuses both with `INVALID_ARG_VALUE`.
    pub fn parse<T: Filterable>(param: Option<&Param>) -> Result<Order, ApiError> {
        let entries = match param {
            None | Some(Param::Null) => Vec::new(),
            Some(p) => p
                .entries()
                .ok_or_else(|| ApiError::crm("Parameter 'order' must be array."))?,
        };
        let mut keys = Vec::new();
        for (field, direction) in entries {
            let field = match T::NAMING {
                Naming::Legacy => field.trim().to_uppercase(),
                Naming::Item => field.trim().to_owned(),
            };
            let text = direction.text().unwrap_or_default();
            let descending = text.trim().eq_ignore_ascii_case("DESC");
            if T::NAMING == Naming::Item {
                if T::field_kind(&field).is_none() {
                    return Err(ApiError::invalid_arg(format!(
                        "Invalid order: field '{field}' is not allowed in order"
                    )));
                }
                if !descending && !text.trim().eq_ignore_ascii_case("ASC") {
                    return Err(ApiError::invalid_arg(format!(
                        "Invalid order: allowed sort directions are ASC, DESC. \
                         But got '{text}' for field '{field}'"
                    )));
                }
            } else if T::field_kind(&field).is_none() {
                continue;
            }
            let direction = if descending {
                Direction::Desc
            } else {
                Direction::Asc
            };
            keys.push((field, direction));
        }
        Ok(Order {
            keys,
            id_field: T::ID,
        })
    }

    /// `Some(direction)` when rows come out in id order (no order given, or
    /// the id first), so a scan in id order needs no sort.
    pub fn by_id(&self) -> Option<Direction> {
        match self.keys.first() {
            None => Some(Direction::Asc),
            Some((field, direction)) if field == self.id_field => Some(*direction),
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
