//! The Bitrix24 source against a scripted portal (wiremock): which requests
//! it sends, how it pages, retries and fails, how it signs in as an OAuth
//! application, and that no secret ever leaks.

mod app;
mod errors;
mod oauth;
mod oauth_secrets;
mod paging;
mod portal;
mod secrets;
