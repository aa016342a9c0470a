//! Strategies the property tests of every crate share: what a broken or
//! hostile server may send (any JSON, any bytes, a valid reply with wrong
//! types in it, a reply cut off), and the case count; and [`Captured`], a
//! log subscriber that keeps what was logged (to look for secrets in it).
//!
//! Built with the `testing` feature, which the other crates turn on for their
//! tests only; never part of the binary.
//!
//! Each crate runs its properties with proptest's default case count (256),
//! slow ones with fewer ([`config`]); `PROPTEST_CASES` overrides both:
//! `PROPTEST_CASES=100000 cargo test --release -p <crate> <filter>`.

mod logs;

pub use logs::Captured;

use crate::http::Reply;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;
use serde_json::{Map, Value};

/// Proptest's configuration with `cases` cases, for properties slower than
/// the default 256 cases allow; `PROPTEST_CASES`, when set, wins as it does
/// for proptest's own default.
pub fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        ..Config::default()
    }
}

/// The JSON value in the file at `path` (a sample reply); panics, naming
/// the file, when it cannot be read.
pub fn read_json(path: impl AsRef<std::path::Path>) -> Value {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A reply with `status` (any code from 100 to 999) and `body`.
pub fn reply(status: u16, body: Vec<u8>) -> Reply {
    Reply {
        status: reqwest::StatusCode::from_u16(status).unwrap_or(reqwest::StatusCode::OK),
        retry_after: None,
        location: None,
        body,
    }
}

/// An HTTP status: mostly the ones APIs use, sometimes any other.
pub fn status() -> BoxedStrategy<u16> {
    prop_oneof![
        3 => prop::sample::select(vec![
            200u16, 201, 202, 204, 301, 302, 400, 401, 402, 403, 404, 408, 409, 422, 429, 500,
            502, 503, 504,
        ]),
        1 => 100u16..600,
    ]
    .boxed()
}

/// A JSON scalar as a careless server writes it: numbers of every size, as
/// numbers or as text, dates, any text, and the `words` the caller's parser
/// looks for.
pub fn scalar(words: &[&str]) -> BoxedStrategy<Value> {
    let words: Vec<Value> = words.iter().map(|w| Value::from(*w)).collect();
    let mut choices = vec![
        Just(Value::Null).boxed(),
        any::<bool>().prop_map(Value::Bool).boxed(),
        any::<i64>().prop_map(Value::from).boxed(),
        any::<u64>().prop_map(Value::from).boxed(),
        any::<f64>().prop_map(Value::from).boxed(),
        prop::sample::select(vec![0i64, 1, -1, i64::MAX, i64::MIN])
            .prop_map(Value::from)
            .boxed(),
        ".{0,12}".prop_map(Value::String).boxed(),
        "[0-9]{1,25}".prop_map(Value::String).boxed(),
        "-?[0-9]{1,12}(\\.[0-9]{1,4})?(e[0-9]{1,3})?"
            .prop_map(Value::String)
            .boxed(),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|[+-][0-9]{2}:[0-9]{2})?"
            .prop_map(Value::String)
            .boxed(),
    ];
    if !words.is_empty() {
        choices.push(prop::sample::select(words).boxed());
    }
    proptest::strategy::Union::new(choices).boxed()
}

/// Any JSON value, nested a few levels, whose object keys are often `keys`
/// (the ones the caller's parser reads) and whose strings are often `words`.
pub fn json(keys: &[&str], words: &[&str]) -> BoxedStrategy<Value> {
    let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    let key = if keys.is_empty() {
        "[a-zA-Z_]{1,8}".boxed()
    } else {
        prop_oneof![3 => prop::sample::select(keys), 1 => "[a-zA-Z_]{1,8}"].boxed()
    };
    scalar(words)
        .prop_recursive(4, 48, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(key.clone(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
        .boxed()
}

/// `template`, a valid reply, with one to four of its values broken the ways
/// servers break them: null; a number as text or text as a number; a value
/// wrapped in a list; a list where an object belongs or the reverse; a key or
/// an element dropped; a huge value; or any value from `other`.
pub fn mutated(template: Value, other: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    mutated_one_of(vec![template], other)
}

/// One of `templates` (valid replies, at least one), broken as [`mutated`]
/// breaks its template.
pub fn mutated_one_of(templates: Vec<Value>, other: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    let edits = prop::collection::vec((any::<Index>(), 0..8u8, other), 1..5);
    (prop::sample::select(templates), edits)
        .prop_map(|(template, edits)| {
            let mut value = template;
            for (at, how, other) in edits {
                let n = nodes(&value);
                mutate(nth(&mut value, at.index(n)), how, other, &at);
            }
            value
        })
        .boxed()
}

/// Bytes from a broken server: anything, any text, `json` written out, cut
/// off anywhere or with a byte changed, an HTML error page, or nesting deeper
/// than any parser allows.
pub fn body(json: BoxedStrategy<Value>) -> BoxedStrategy<Vec<u8>> {
    let written = json.prop_map(|v| serde_json::to_vec(&v).unwrap_or_default());
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..96),
        1 => ".{0,96}".prop_map(String::into_bytes),
        3 => written.clone(),
        3 => damaged(written),
        1 => Just(b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>".to_vec()),
        1 => (1usize..2000).prop_map(|n| "[".repeat(n).into_bytes()),
        1 => (1usize..2000).prop_map(|n| "{\"a\":".repeat(n).into_bytes()),
    ]
    .boxed()
}

/// The bytes of `valid` cut off anywhere, with one byte changed, or with a
/// byte inserted: what a broken connection or a broken server makes of a
/// good reply.
pub fn damaged(valid: impl Strategy<Value = Vec<u8>> + 'static) -> BoxedStrategy<Vec<u8>> {
    (valid, any::<Index>(), 0..3u8, any::<u8>())
        .prop_map(|(mut bytes, at, how, byte)| {
            let place = at.index(bytes.len() + 1);
            match how {
                0 => bytes.truncate(place),
                1 if place < bytes.len() => bytes[place] = byte,
                _ => bytes.insert(place, byte),
            }
            bytes
        })
        .boxed()
}

/// Values in `value`, itself included.
fn nodes(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(nodes).sum(),
        Value::Object(map) => map.values().map(nodes).sum(),
        _ => 0,
    }
}

/// The `n`th value of `value` in pre-order (`value` itself is the 0th).
fn nth(mut value: &mut Value, mut n: usize) -> &mut Value {
    loop {
        if n == 0 {
            return value;
        }
        n -= 1;
        let sizes: Vec<usize> = match &*value {
            Value::Array(items) => items.iter().map(nodes).collect(),
            Value::Object(map) => map.values().map(nodes).collect(),
            _ => return value,
        };
        let mut child = 0;
        while child < sizes.len() && n >= sizes[child] {
            n -= sizes[child];
            child += 1;
        }
        if child == sizes.len() {
            return value;
        }
        value = match value {
            Value::Array(items) => &mut items[child],
            Value::Object(map) => map.values_mut().nth(child).expect("the child was counted"),
            _ => unreachable!("only lists and objects have children"),
        };
    }
}

fn mutate(value: &mut Value, how: u8, other: Value, at: &Index) {
    *value = match (how, value.take()) {
        (0, _) => Value::Null,
        (1, Value::Number(n)) => Value::String(n.to_string()),
        (1, Value::String(s)) => match serde_json::from_str::<serde_json::Number>(s.trim()) {
            Ok(n) => Value::Number(n),
            Err(_) => Value::from(s.len()),
        },
        (1, Value::Bool(b)) => Value::String(u8::from(b).to_string()),
        (2, v) => Value::Array(vec![v]),
        (3, Value::Object(map)) => Value::Array(map.into_iter().map(|(_, v)| v).collect()),
        (3, Value::Array(items)) => Value::Object(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect::<Map<_, _>>(),
        ),
        (4, Value::Object(mut map)) if !map.is_empty() => {
            if let Some(key) = map.keys().nth(at.index(map.len())).cloned() {
                map.remove(&key);
            }
            Value::Object(map)
        }
        (4, Value::Array(mut items)) if !items.is_empty() => {
            items.remove(at.index(items.len()));
            Value::Array(items)
        }
        (5, Value::String(s)) => Value::String(s.repeat(2000).chars().take(100_000).collect()),
        (5, Value::Number(_)) => {
            let huge = [
                Value::from(u64::MAX),
                Value::from(i64::MIN),
                Value::from(1e308),
                Value::from(-1),
            ];
            huge[at.index(huge.len())].clone()
        }
        (5, Value::Array(items)) if !items.is_empty() => {
            Value::Array(items.iter().cycle().take(300).cloned().collect())
        }
        (_, _) => other,
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nodes_are_numbered_in_pre_order() {
        let mut v = json!({"a": [1, {"b": 2}], "c": 3});
        assert_eq!(nodes(&v), 6);
        assert_eq!(*nth(&mut v, 0), json!({"a": [1, {"b": 2}], "c": 3}));
        assert_eq!(*nth(&mut v, 2), json!(1));
        assert_eq!(*nth(&mut v, 4), json!(2));
        assert_eq!(*nth(&mut v, 5), json!(3));
    }

    #[test]
    fn the_case_count_is_the_callers_unless_the_environment_says() {
        let want = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(17);
        assert_eq!(config(17).cases, want);
    }
}
