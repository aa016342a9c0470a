//! The conformance suite for the Domoplaner connector (the deals feed with
//! the assumed field names).

mod common;
mod conformance;

conformance::suite!(common::Domoplaner);
