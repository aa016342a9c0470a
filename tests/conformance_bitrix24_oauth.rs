//! The conformance suite for the Bitrix24 connector through an OAuth
//! application (rotating refresh tokens kept in the state file).

mod common;
mod conformance;

conformance::suite!(common::Bitrix24OAuth);
