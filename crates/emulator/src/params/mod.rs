//! Request parameters as PHP APIs see them: one ordered tree, whether they
//! came as a JSON body, a form body or a query string with PHP bracket keys.

mod percent;
mod php_query;
mod request;
mod value;

pub(crate) use percent::{decode_component, encode_component};
pub(crate) use php_query::parse_php_query;
pub(crate) use request::read_params;
pub(crate) use value::Param;
