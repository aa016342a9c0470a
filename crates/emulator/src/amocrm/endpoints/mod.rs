//! The API's handlers, one file per resource.

pub(crate) mod account;
pub(crate) mod contacts;
pub(crate) mod leads;
pub(crate) mod oauth;
