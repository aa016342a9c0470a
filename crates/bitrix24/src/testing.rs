//! Strategies shared by the property tests.

use proptest::prelude::*;
use serde_json::Value;

/// Any JSON value, nested a few levels, with Bitrix24's keys showing up often.
pub(crate) fn json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("ID".to_owned()),
        Just("CONTACT_ID".to_owned()),
        Just("DATE_CREATE".to_owned()),
        Just("PHONE".to_owned()),
        Just("IM".to_owned()),
        Just("VALUE".to_owned()),
        Just("VALUE_TYPE".to_owned()),
        Just("items".to_owned()),
        Just("id".to_owned()),
        Just("contactIds".to_owned()),
        Just("UF_CRM_1".to_owned()),
        Just("error".to_owned()),
        Just("error_description".to_owned()),
        Just("result".to_owned()),
        Just("result_error".to_owned()),
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
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
