//! Strategies shared by the property tests.

use liner_sync_core::testing;
use proptest::prelude::*;
use serde_json::Value;

/// The keys amoCRM's replies carry.
const KEYS: &[&str] = &[
    "id",
    "name",
    "created_at",
    "pipeline_id",
    "status_id",
    "_embedded",
    "_links",
    "next",
    "href",
    "leads",
    "contacts",
    "is_main",
    "custom_fields_values",
    "field_id",
    "field_code",
    "values",
    "value",
    "enum_code",
    "enum",
    "title",
    "detail",
    "retry_after",
    "validation-errors",
    "errors",
];

/// Texts amoCRM's parsers look for.
const WORDS: &[&str] = &["PHONE", "IM", "TELEGRAM", "UTM_SOURCE"];

/// Any JSON value, nested a few levels, with amoCRM's keys showing up often.
pub(crate) fn json() -> BoxedStrategy<Value> {
    testing::json(KEYS, WORDS)
}

/// A sample reply from `testdata/` with wrong types in it.
pub(crate) fn mutated(sample: &str) -> BoxedStrategy<Value> {
    let path = format!("{}/testdata/{sample}", env!("CARGO_MANIFEST_DIR"));
    testing::mutated(testing::read_json(path), json())
}

/// Bytes amoCRM might send.
pub(crate) fn body() -> BoxedStrategy<Vec<u8>> {
    testing::body(json())
}
