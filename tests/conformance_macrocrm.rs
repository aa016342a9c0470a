//! The conformance suite for the MacroCRM connector (signed requests, the
//! assumed page+limit paging).

mod common;
mod conformance;

conformance::suite!(common::Macrocrm);
