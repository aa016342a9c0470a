//! Strategies shared by the property tests.

use liner_sync_core::testing;
use proptest::prelude::*;
use serde_json::Value;

/// The keys MACRO's replies carry (assumed ones included).
const KEYS: &[&str] = &[
    "success",
    "error",
    "status",
    "message",
    "error_message",
    "msg",
    "data",
    "id",
    "created_at",
    "title",
    "contacts",
    "name",
    "phones",
    "status_id",
    "utm_source",
];

/// Texts MACRO's parsers look for.
const WORDS: &[&str] = &["error", "fail", "ошибка", "token", "2026-11-02 09:00:00"];

/// Any JSON value, nested a few levels, with MACRO's keys showing up often.
pub(crate) fn json() -> BoxedStrategy<Value> {
    testing::json(KEYS, WORDS)
}

/// `template` (a reply) with wrong types in it.
pub(crate) fn mutated(template: Value) -> BoxedStrategy<Value> {
    testing::mutated(template, json())
}

/// Bytes MACRO might send.
pub(crate) fn body() -> BoxedStrategy<Vec<u8>> {
    testing::body(json())
}
