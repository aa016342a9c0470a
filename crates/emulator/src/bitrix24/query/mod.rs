//! The list-method parameters: `filter`, `order`, `select` and `start`.

pub(crate) mod dates;
pub(crate) mod filter;
pub(crate) mod order;
pub(crate) mod page;
pub(crate) mod select;
