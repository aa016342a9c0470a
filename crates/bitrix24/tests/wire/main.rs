//! The Bitrix24 source against a scripted portal (wiremock): which requests
//! it sends, how it pages, retries and fails, and that the webhook code never
//! leaks.

mod errors;
mod logs;
mod paging;
mod portal;
mod secrets;
