//! The amoCRM source against a scripted account (wiremock): which requests
//! it sends, how it pages, carries leads, refreshes tokens, retries and
//! fails, and that no secret leaks.

mod account;
mod contacts;
mod errors;
mod oauth;
mod paging;
mod secrets;
