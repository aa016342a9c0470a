//! The parameter tree: JSON's shapes, with object keys kept in the order they
//! were sent (batch commands and sort orders depend on it).

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// One request parameter. Query strings produce only `Text` and `Map`
/// (PHP arrays); JSON bodies can produce every variant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    /// JSON `null`.
    Null,
    /// JSON `true`/`false`.
    Bool(bool),
    /// A JSON number.
    Number(serde_json::Number),
    /// A string; every value in a query string.
    Text(String),
    /// A JSON array.
    List(Vec<Param>),
    /// A JSON object or PHP array, in the order its keys were sent.
    Map(Vec<(String, Param)>),
}

impl Param {
    /// An empty map, the root of every request's parameters.
    pub fn empty_map() -> Self {
        Param::Map(Vec::new())
    }

    /// The value under `key`, compared case-insensitively as Bitrix24 does.
    pub fn get(&self, key: &str) -> Option<&Param> {
        match self {
            Param::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Key/value pairs of a map, or index/value pairs of a list.
    pub fn entries(&self) -> Option<Vec<(String, &Param)>> {
        match self {
            Param::Map(entries) => Some(entries.iter().map(|(k, v)| (k.clone(), v)).collect()),
            Param::List(items) => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), v))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// The values of a list or a map (a PHP array either way).
    pub fn items(&self) -> Option<Vec<&Param>> {
        match self {
            Param::Map(entries) => Some(entries.iter().map(|(_, v)| v).collect()),
            Param::List(items) => Some(items.iter().collect()),
            _ => None,
        }
    }

    /// A scalar as PHP would turn it into a string.
    pub fn text(&self) -> Option<String> {
        match self {
            Param::Text(s) => Some(s.clone()),
            Param::Number(n) => Some(n.to_string()),
            Param::Bool(true) => Some("1".into()),
            Param::Bool(false) => Some(String::new()),
            _ => None,
        }
    }

    /// A scalar read as an integer (`5`, `"5"`, `" 5 "`, `5.0`).
    pub fn integer(&self) -> Option<i64> {
        match self {
            Param::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e18)
                    .map(|f| f as i64)
            }),
            Param::Text(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// PHP truthiness of a flag such as `halt`.
    pub fn truthy(&self) -> bool {
        match self {
            Param::Null => false,
            Param::Bool(b) => *b,
            Param::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
            Param::Text(s) => !matches!(s.trim(), "" | "0" | "false" | "N"),
            Param::List(items) => !items.is_empty(),
            Param::Map(entries) => !entries.is_empty(),
        }
    }

    /// Merges `other`'s top-level keys into this map, `other` winning.
    pub fn merge(&mut self, other: Param) {
        let Param::Map(into) = self else {
            *self = other;
            return;
        };
        let Param::Map(from) = other else {
            return;
        };
        for (key, value) in from {
            match into.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => into.push((key, value)),
            }
        }
    }
}

impl<'de> Deserialize<'de> for Param {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ParamVisitor)
    }
}

struct ParamVisitor;

impl<'de> Visitor<'de> for ParamVisitor {
    type Value = Param;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Param, E> {
        Ok(Param::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Param, E> {
        Ok(Param::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Param, E> {
        Ok(Param::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Param, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Param::Null, Param::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Param, E> {
        Ok(Param::Text(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Param, E> {
        Ok(Param::Text(v))
    }

    fn visit_unit<E>(self) -> Result<Param, E> {
        Ok(Param::Null)
    }

    fn visit_none<E>(self) -> Result<Param, E> {
        Ok(Param::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Param, D::Error> {
        Param::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Param, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Param::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Param, A::Error> {
        let mut entries: Vec<(String, Param)> = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Param>()? {
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => entries.push((key, value)),
            }
        }
        Ok(Param::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_key_order() {
        let p: Param =
            serde_json::from_str(r#"{"cmd":{"z":"a","b":"c","a10":"x","a2":"y"}}"#).unwrap();
        let keys: Vec<String> = p
            .get("CMD")
            .unwrap()
            .entries()
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["z", "b", "a10", "a2"]);
    }

    #[test]
    fn scalars() {
        let p: Param = serde_json::from_str(r#"{"a":5,"b":"7","c":2.0,"d":"x","e":true}"#).unwrap();
        assert_eq!(p.get("a").unwrap().integer(), Some(5));
        assert_eq!(p.get("b").unwrap().integer(), Some(7));
        assert_eq!(p.get("c").unwrap().integer(), Some(2));
        assert_eq!(p.get("d").unwrap().integer(), None);
        assert_eq!(p.get("e").unwrap().text().as_deref(), Some("1"));
        assert!(p.get("e").unwrap().truthy());
    }

    #[test]
    fn merge_overrides() {
        let mut a: Param = serde_json::from_str(r#"{"x":1,"y":2}"#).unwrap();
        a.merge(serde_json::from_str(r#"{"y":3,"z":4}"#).unwrap());
        assert_eq!(a, serde_json::from_str(r#"{"x":1,"y":3,"z":4}"#).unwrap());
    }
}
