//! Strategies shared by the property tests.

use proptest::prelude::*;
use serde_json::Value;

/// Any JSON value, nested a few levels, with amoCRM's keys showing up often.
pub(crate) fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("id".to_owned()),
        Just("name".to_owned()),
        Just("created_at".to_owned()),
        Just("pipeline_id".to_owned()),
        Just("status_id".to_owned()),
        Just("_embedded".to_owned()),
        Just("_links".to_owned()),
        Just("next".to_owned()),
        Just("href".to_owned()),
        Just("leads".to_owned()),
        Just("contacts".to_owned()),
        Just("is_main".to_owned()),
        Just("custom_fields_values".to_owned()),
        Just("field_id".to_owned()),
        Just("field_code".to_owned()),
        Just("values".to_owned()),
        Just("value".to_owned()),
        Just("enum_code".to_owned()),
        Just("enum".to_owned()),
        Just("title".to_owned()),
        Just("detail".to_owned()),
        Just("retry_after".to_owned()),
        Just("validation-errors".to_owned()),
        Just("errors".to_owned()),
        "[a-zA-Z_]{1,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        "[0-9]{1,25}".prop_map(Value::String),
        Just(Value::String("PHONE".into())),
        Just(Value::String("IM".into())),
        Just(Value::String("TELEGRAM".into())),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
