//! The conformance suite for the amoCRM connector through OAuth (rotating
//! refresh tokens kept in the state file).

mod common;
mod conformance;

conformance::suite!(common::AmocrmOAuth);
