//! The conformance suite for the amoCRM connector, with a long-lived token.

mod common;
mod conformance;

conformance::suite!(common::Amocrm);
