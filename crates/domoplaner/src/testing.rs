//! Strategies shared by the property tests.

use liner_sync_core::testing;
use proptest::prelude::*;
use serde_json::{Value, json};

/// The keys the feed and the leads API carry (assumed ones included).
const KEYS: &[&str] = &[
    "deals",
    "id",
    "dt_create",
    "title",
    "status_id",
    "client",
    "name",
    "phones",
    "value",
    "telegram",
    "price",
    "utm_source",
    "lead",
    "status",
    "text",
];

/// Texts the parsers look for.
const WORDS: &[&str] = &["error", "2026-11-02 09:00:00", "8 900 123-45-67"];

/// Any JSON value, nested a few levels, with Domoplaner's keys showing up often.
pub(crate) fn json() -> BoxedStrategy<Value> {
    testing::json(KEYS, WORDS)
}

/// Bytes Domoplaner might send.
pub(crate) fn body() -> BoxedStrategy<Vec<u8>> {
    testing::body(json())
}

/// A feed in the assumed shape: new, old, unreadable and repeated deals.
pub(crate) fn sample_feed() -> Value {
    json!({"generated": "2026-11-25 10:00:00", "deals": [
        {"id": 1, "dt_create": "2026-10-30 10:00:00", "client": {"id": 10}},
        {"id": 2, "dt_create": "2026-11-03 10:00:00", "title": "Квартира 2к", "price": 5_400_000,
         "client": {"id": 20, "name": "Иван", "phones": [{"value": "+7 900 123-45-67"}]}},
        {"id": 3, "dt_create": "2026-11-02 10:00:00", "client": {"id": 20}},
        {"id": "4", "dt_create": 1_793_599_200, "utm_source": "yandex", "client": {"id": 40}},
        {"id": 5},
        {"dt_create": "2026-11-02 12:00:00"}
    ]})
}

/// A feed as a server sends it: the sample with wrong types in it, or any
/// JSON under `deals`.
pub(crate) fn feed() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => testing::mutated(sample_feed(), json()),
        1 => prop::collection::vec(json(), 0..8).prop_map(|deals| json!({"deals": deals})),
    ]
    .boxed()
}

/// One record of the sample feed with wrong types in it.
pub(crate) fn mutated_record() -> BoxedStrategy<Value> {
    let deals = sample_feed()["deals"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    testing::mutated_one_of(deals, json())
}
