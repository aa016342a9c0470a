//! Deal → Lead mapping: the lead templates of the configuration, field
//! references and the mapper itself.

mod fields;
mod mapper;
mod template;

pub use fields::{WELL_KNOWN_FIELDS, as_text, render, resolve};
pub use mapper::{Mapped, Mapper};
pub use template::{LeadTemplate, OneOrMany, Route, RouteCondition};
