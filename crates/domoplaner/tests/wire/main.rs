//! The Domoplaner source against a scripted account (wiremock): one feed
//! download per pass, its new deals in pages, the leads API for missing
//! phones, retries and failures, and that no secret leaks.

mod account;
mod enrich;
mod errors;
mod paging;
