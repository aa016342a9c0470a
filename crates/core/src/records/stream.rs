//! Reading the records of a large JSON reply one at a time, so a feed of a
//! hundred thousand deals never sits in memory as one parsed tree.

use super::path::JsonPath;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// Calls `each` with every record of `body` found at `path`: the elements of
/// an array there, or the values of an object there. Returns how many there
/// were. A path of plain keys is streamed; other paths parse the whole body.
pub fn for_each_record(
    body: &[u8],
    path: &JsonPath,
    mut each: impl FnMut(Value),
) -> Result<usize, String> {
    let Some(keys) = path.plain_keys() else {
        let root: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
        let mut n = 0;
        for found in path.values(&root) {
            n += spread(found.clone(), &mut each);
        }
        return Ok(n);
    };
    let mut count = 0;
    let mut found = false;
    let mut de = serde_json::Deserializer::from_slice(body);
    Descend {
        keys: &keys,
        each: &mut each,
        count: &mut count,
        found: &mut found,
    }
    .deserialize(&mut de)
    .map_err(|e| format!("not JSON: {e}"))?;
    de.end().map_err(|e| format!("not JSON: {e}"))?;
    if !found {
        return Err(format!("no records at '{path}'"));
    }
    Ok(count)
}

fn spread(value: Value, each: &mut impl FnMut(Value)) -> usize {
    match value {
        Value::Array(items) => {
            let n = items.len();
            items.into_iter().for_each(&mut *each);
            n
        }
        Value::Object(map) => {
            let n = map.len();
            map.into_iter().for_each(|(_, v)| each(v));
            n
        }
        _ => 0,
    }
}

/// Walks down `keys`, then hands out the elements found there.
struct Descend<'a, F> {
    keys: &'a [&'a str],
    each: &'a mut F,
    count: &'a mut usize,
    found: &'a mut bool,
}

impl<'de, F: FnMut(Value)> DeserializeSeed<'de> for Descend<'_, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, F: FnMut(Value)> Visitor<'de> for Descend<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object or array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match self.keys.split_first() {
            Some((first, rest)) => {
                while let Some(key) = map.next_key::<String>()? {
                    if key == *first && !*self.found {
                        map.next_value_seed(Descend {
                            keys: rest,
                            each: &mut *self.each,
                            count: &mut *self.count,
                            found: &mut *self.found,
                        })?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            None => {
                *self.found = true;
                while let Some((_, value)) = map.next_entry::<IgnoredAny, Value>()? {
                    *self.count += 1;
                    (self.each)(value);
                }
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        if self.keys.is_empty() {
            *self.found = true;
            while let Some(value) = seq.next_element::<Value>()? {
                *self.count += 1;
                (self.each)(value);
            }
        } else {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
        }
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn collect(body: &str, path: &str) -> Result<Vec<Value>, String> {
        let mut out = Vec::new();
        let n = for_each_record(body.as_bytes(), &JsonPath::parse(path).unwrap(), |v| {
            out.push(v)
        })?;
        assert_eq!(n, out.len());
        Ok(out)
    }

    #[test]
    fn streams_arrays_and_objects_at_a_key_path() {
        let body = r#"{"meta": {"n": 2}, "data": {"deals": [{"id": 1}, {"id": 2}], "other": [9]}}"#;
        assert_eq!(
            collect(body, "data.deals").unwrap(),
            vec![json!({"id": 1}), json!({"id": 2})]
        );
        assert_eq!(
            collect(r#"[{"id": 1}]"#, "").unwrap(),
            vec![json!({"id": 1})]
        );
        assert_eq!(
            collect(r#"{"a": {"x": {"id": 1}, "y": {"id": 2}}}"#, "a")
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            collect(r#"{"deals": []}"#, "deals").unwrap(),
            Vec::<Value>::new()
        );
    }

    #[test]
    fn other_paths_and_errors() {
        let body = r#"{"pages": [{"items": [{"id": 1}]}, {"items": [{"id": 2}]}]}"#;
        assert_eq!(collect(body, "pages[].items").unwrap().len(), 2);
        assert!(
            collect(r#"{"data": {}}"#, "deals")
                .unwrap_err()
                .contains("no records at 'deals'")
        );
        assert!(
            collect(r#"{"deals": [1, 2"#, "deals")
                .unwrap_err()
                .starts_with("not JSON")
        );
        assert!(
            collect("<html>502</html>", "deals")
                .unwrap_err()
                .starts_with("not JSON")
        );
    }

    const KEYS: &[&str] = &["a", "b", "deals"];

    /// A path of keys, streamed, or of any steps, read from the whole tree.
    fn any_path() -> impl proptest::strategy::Strategy<Value = JsonPath> {
        use proptest::prelude::*;
        prop_oneof![
            "((a|b|deals)(\\.(a|b|deals)){0,2})?",
            "(a|b|deals|0|\\[\\]|\\[1\\])((\\.|)(a|b|deals|0|\\[\\]|\\[1\\])){0,3}",
        ]
        .prop_filter_map("not a path", |text| JsonPath::parse(&text).ok())
    }

    /// What `path` reaches in the whole tree, spread into records.
    fn whole(value: &Value, path: &JsonPath) -> Vec<Value> {
        let mut out = Vec::new();
        for found in path.values(value) {
            spread(found.clone(), &mut |v| out.push(v));
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn streaming_reads_what_the_whole_tree_holds(
            value in crate::testing::json(KEYS, &[]),
            path in any_path(),
        ) {
            let body = serde_json::to_vec(&value).unwrap();
            let root: Value = serde_json::from_slice(&body).unwrap();
            let mut streamed = Vec::new();
            match for_each_record(&body, &path, |v| streamed.push(v)) {
                Ok(n) => {
                    proptest::prop_assert_eq!(n, streamed.len());
                    proptest::prop_assert_eq!(&streamed, &whole(&root, &path));
                }
                Err(why) => {
                    // Only a key path that reaches no list or object.
                    proptest::prop_assert!(path.plain_keys().is_some(), "{why}");
                    proptest::prop_assert_eq!(why, format!("no records at '{path}'"));
                    proptest::prop_assert!(
                        path.values(&root).iter().all(|v| !v.is_array() && !v.is_object())
                    );
                }
            }
        }

        #[test]
        fn any_bytes_are_read_or_refused_with_a_reason(
            body in crate::testing::body(crate::testing::json(KEYS, &[])),
            path in any_path(),
        ) {
            let mut streamed = 0;
            match for_each_record(&body, &path, |_| streamed += 1) {
                Ok(n) => {
                    proptest::prop_assert_eq!(n, streamed);
                    // Skipped strings are not checked for UTF-8; all else is JSON.
                    let text = String::from_utf8_lossy(&body);
                    proptest::prop_assert!(serde_json::from_str::<Value>(&text).is_ok());
                }
                Err(why) => proptest::prop_assert!(
                    why.starts_with("not JSON: ") || why.starts_with("no records at"),
                    "{why}"
                ),
            }
        }
    }
}
