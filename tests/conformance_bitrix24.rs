//! The conformance suite for the Bitrix24 connector (webhook auth).

mod common;
mod conformance;

conformance::suite!(common::Bitrix24);
