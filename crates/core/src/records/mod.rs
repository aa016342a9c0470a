//! Configurable JSON record sources: paths into records, field maps, local
//! times and paging styles. The MacroCRM and Domoplaner connectors are built
//! from these pieces, so an operator who learns a CRM's real field names
//! adapts a connector in YAML, and a CRM with a similar JSON API can be read
//! by configuration alone.

mod fields;
mod paging;
mod path;
mod stream;
mod time;

pub use fields::FieldMap;
pub use paging::{PageState, Paging, SinceFormat};
pub use path::JsonPath;
pub use stream::for_each_record;
pub use time::{Moments, TimeZoneName};
