//! Paths into JSON records, written the way an operator reads a payload.

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::fmt;

/// A path into a JSON value:
///
/// * dotted: `client.name`, `phones[].value` (`[]`: every element),
///   `contacts[0].phone` or `contacts.0.phone` (one element);
/// * a JSON pointer: `/client/name` (for keys that contain dots);
/// * empty or `.`: the value itself.
#[derive(Clone, PartialEq, Eq)]
pub struct JsonPath {
    text: String,
    steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
    Each,
}

impl JsonPath {
    /// Parses a path; see the type's docs for the syntax.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let steps = if trimmed.is_empty() || trimmed == "." {
            Vec::new()
        } else if let Some(pointer) = trimmed.strip_prefix('/') {
            pointer
                .split('/')
                .map(|part| {
                    let key = part.replace("~1", "/").replace("~0", "~");
                    match key.parse::<usize>() {
                        Ok(i) => Step::Index(i),
                        Err(_) => Step::Key(key),
                    }
                })
                .collect()
        } else {
            dotted(trimmed)?
        };
        Ok(Self {
            text: trimmed.to_owned(),
            steps,
        })
    }

    /// Every value the path reaches (several when it has a `[]`).
    pub fn values<'a>(&self, root: &'a Value) -> Vec<&'a Value> {
        let mut current = vec![root];
        for step in &self.steps {
            let mut next = Vec::new();
            for value in current {
                match (step, value) {
                    (Step::Key(k), Value::Object(map)) => next.extend(map.get(k)),
                    (Step::Index(i), Value::Array(items)) => next.extend(items.get(*i)),
                    (Step::Index(i), Value::Object(map)) => next.extend(map.get(&i.to_string())),
                    (Step::Each, Value::Array(items)) => next.extend(items.iter()),
                    (Step::Each, Value::Object(map)) => next.extend(map.values()),
                    _ => {}
                }
            }
            current = next;
        }
        current.into_iter().filter(|v| !v.is_null()).collect()
    }

    /// The first value the path reaches, if any (nulls count as absent).
    pub fn first<'a>(&self, root: &'a Value) -> Option<&'a Value> {
        self.values(root).into_iter().next()
    }

    /// The object keys of the path when it is nothing but keys (for streaming).
    pub fn plain_keys(&self) -> Option<Vec<&str>> {
        self.steps
            .iter()
            .map(|s| match s {
                Step::Key(k) => Some(k.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

fn dotted(text: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    for segment in text.split('.') {
        let (name, mut brackets) = match segment.find('[') {
            Some(at) => (&segment[..at], &segment[at..]),
            None => (segment, ""),
        };
        if name.is_empty() && brackets.is_empty() {
            return Err(format!("'{text}': empty segment (two dots in a row?)"));
        }
        if !name.is_empty() {
            steps.push(match name.parse::<usize>() {
                Ok(i) => Step::Index(i),
                Err(_) => Step::Key(name.to_owned()),
            });
        }
        while !brackets.is_empty() {
            let close = brackets
                .find(']')
                .ok_or_else(|| format!("'{text}': '[' without ']'"))?;
            let inside = brackets[1..close].trim();
            steps.push(if inside.is_empty() {
                Step::Each
            } else {
                Step::Index(inside.parse().map_err(|_| {
                    format!("'{text}': [{inside}] is not an index; use [] for every element")
                })?)
            });
            brackets = &brackets[close + 1..];
            if !brackets.is_empty() && !brackets.starts_with('[') {
                return Err(format!("'{text}': unexpected text after ']'"));
            }
        }
    }
    Ok(steps)
}

impl fmt::Debug for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JsonPath({:?})", self.text)
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for JsonPath {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        JsonPath::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(text: &str) -> JsonPath {
        JsonPath::parse(text).unwrap()
    }

    #[test]
    fn reaches_keys_indices_and_every_element() {
        let v = json!({"client": {"name": "Анна", "phones": [{"value": "8 900"}, {"value": "8 901"}, {"value": null}]},
                       "a.b": 1, "list": [10, 20], "none": null});
        assert_eq!(path("client.name").first(&v), Some(&json!("Анна")));
        assert_eq!(
            path("client.phones[].value").values(&v),
            vec![&json!("8 900"), &json!("8 901")]
        );
        assert_eq!(
            path("client.phones[1].value").first(&v),
            Some(&json!("8 901"))
        );
        assert_eq!(
            path("client.phones.0.value").first(&v),
            Some(&json!("8 900"))
        );
        assert_eq!(path("/a.b").first(&v), Some(&json!(1)));
        assert_eq!(path("list[]").values(&v).len(), 2);
        assert_eq!(path("").first(&v), Some(&v));
        assert_eq!(path("none").first(&v), None);
        assert_eq!(path("missing.deep[].x").values(&v), Vec::<&Value>::new());
        assert_eq!(
            path("client.name[]").values(&v),
            Vec::<&Value>::new(),
            "a string has no elements"
        );
    }

    #[test]
    fn rejects_malformed_paths() {
        for bad in ["a..b", "a[", "a[x]", "a[0]b"] {
            assert!(JsonPath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plain_keys_only_for_key_paths() {
        assert_eq!(path("data.deals").plain_keys(), Some(vec!["data", "deals"]));
        assert_eq!(path("").plain_keys(), Some(vec![]));
        assert_eq!(path("data[].x").plain_keys(), None);
    }

    /// Path text: anything, or the pieces of the syntax in any order.
    fn path_text() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just("."),
            Just("[]"),
            Just("["),
            Just("]"),
            Just("/"),
            Just("~0"),
            Just("~1"),
            Just(" "),
            Just("a"),
            Just("b"),
            Just("0"),
            Just("99999999999999999999999"),
        ];
        prop_oneof![
            any::<String>(),
            proptest::collection::vec(piece, 0..10).prop_map(|p| p.concat()),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_a_path_or_a_reason(
            text in path_text(),
            value in crate::testing::json(&["a", "b", "0"], &[]),
        ) {
            match JsonPath::parse(&text) {
                Ok(path) => {
                    proptest::prop_assert_eq!(JsonPath::parse(path.as_str()), Ok(path.clone()));
                    proptest::prop_assert!(path.values(&value).iter().all(|v| !v.is_null()));
                }
                Err(why) => proptest::prop_assert!(why.contains(text.trim()), "{why}"),
            }
        }
    }
}
