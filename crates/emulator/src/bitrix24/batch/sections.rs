//! The sections of a batch reply, encoded as PHP's `json_encode` encodes an
//! array.

use serde_json::{Map, Value};

/// A PHP array as JSON: a list when its keys are exactly `0, 1, …` in order
/// (so an empty section is `[]`, and numeric command keys lose their names),
/// otherwise an object.
pub(super) fn php_array(entries: Vec<(String, Value)>) -> Value {
    let sequential = entries
        .iter()
        .enumerate()
        .all(|(i, (key, _))| *key == i.to_string());
    if sequential {
        Value::Array(entries.into_iter().map(|(_, v)| v).collect())
    } else {
        Value::Object(entries.into_iter().collect::<Map<String, Value>>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn php_rules() {
        assert_eq!(php_array(vec![]), json!([]));
        assert_eq!(
            php_array(vec![("0".into(), json!(1)), ("1".into(), json!(2))]),
            json!([1, 2])
        );
        assert_eq!(php_array(vec![("1".into(), json!(2))]), json!({"1": 2}));
        assert_eq!(php_array(vec![("a".into(), json!(1))]), json!({"a": 1}));
    }
}
