//! Strategies shared by the property tests.

use liner_sync_core::testing;
use proptest::prelude::*;
use serde_json::Value;

/// The keys Bitrix24's replies carry.
const KEYS: &[&str] = &[
    "ID",
    "CONTACT_ID",
    "DATE_CREATE",
    "PHONE",
    "IM",
    "VALUE",
    "VALUE_TYPE",
    "items",
    "id",
    "contactIds",
    "UF_CRM_1",
    "error",
    "error_description",
    "result",
    "result_error",
    "time",
    "operating_reset_at",
    "list",
    "links",
    "contacts_0",
];

/// Texts Bitrix24's parsers look for.
const WORDS: &[&str] = &[
    "QUERY_LIMIT_EXCEEDED",
    "OPERATION_TIME_LIMIT",
    "NO_AUTH_FOUND",
    "expired_token",
    "NOT_FOUND",
    "TELEGRAM",
];

/// Any JSON value, nested a few levels, with Bitrix24's keys showing up often.
pub(crate) fn json() -> BoxedStrategy<Value> {
    testing::json(KEYS, WORDS)
}

/// A sample reply from `testdata/` with wrong types in it.
pub(crate) fn mutated(sample: &str) -> BoxedStrategy<Value> {
    let path = format!("{}/testdata/{sample}", env!("CARGO_MANIFEST_DIR"));
    testing::mutated(testing::read_json(path), json())
}

/// Bytes Bitrix24 might send.
pub(crate) fn body() -> BoxedStrategy<Vec<u8>> {
    testing::body(json())
}
