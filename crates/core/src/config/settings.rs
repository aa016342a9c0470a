//! The connector-specific keys of one `sources:` entry, kept with their place
//! in the file so a connector's config type gets exact error locations.
//!
//! The CLI reads the keys every source shares itself and hands the rest to the
//! connector as [`SourceSettings`]; the connector deserializes its own
//! `#[serde(deny_unknown_fields)]` struct from it. Errors then name the key and
//! its line and column, just as for the rest of the file.

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use std::fmt;

/// A place in the configuration file (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Line, from 1.
    pub line: u64,
    /// Column, from 1.
    pub column: u64,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} column {}", self.line, self.column)
    }
}

/// A configuration error, with the place it refers to when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// What is wrong, naming the key.
    pub message: String,
    /// Where, if known.
    pub location: Option<Location>,
}

impl ConfigError {
    /// An error at a known place.
    pub fn at(message: impl Into<String>, location: Location) -> Self {
        Self {
            message: message.into(),
            location: Some(location),
        }
    }

    fn or_at(mut self, location: Location) -> Self {
        self.location.get_or_insert(location);
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some(at) => write!(f, "{at}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

impl de::Error for ConfigError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self {
            message: msg.to_string(),
            location: None,
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    key: String,
    value: serde_json::Value,
    at: Location,
}

/// The keys of one source entry that belong to its connector.
#[derive(Debug, Clone)]
pub struct SourceSettings {
    entries: Vec<Entry>,
    at: Location,
}

impl SourceSettings {
    /// Empty settings for the source entry that starts at `at`.
    pub fn new(at: Location) -> Self {
        Self {
            entries: Vec::new(),
            at,
        }
    }

    /// Adds one key with its value and place.
    pub fn insert(&mut self, key: String, value: serde_json::Value, at: Location) {
        self.entries.push(Entry { key, value, at });
    }

    /// Sets where the source entry starts (for errors about missing keys).
    pub fn set_location(&mut self, at: Location) {
        self.at = at;
    }

    /// Where the source entry starts.
    pub fn location(&self) -> Location {
        self.at
    }

    /// Builds the connector's config type from these keys.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        T::deserialize(SettingsDeserializer { settings: self }).map_err(|e| e.or_at(self.at))
    }

    /// Builds the connector's config type and checks what serde cannot with
    /// `validate`; its complaint is placed at the source entry.
    pub fn read<T: DeserializeOwned>(
        &self,
        validate: impl FnOnce(&T) -> Result<(), String>,
    ) -> Result<T, ConfigError> {
        let config: T = self.deserialize()?;
        validate(&config).map_err(|message| ConfigError::at(message, self.at))?;
        Ok(config)
    }
}

struct SettingsDeserializer<'a> {
    settings: &'a SourceSettings,
}

impl<'de> de::Deserializer<'de> for SettingsDeserializer<'_> {
    type Error = ConfigError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ConfigError> {
        visitor.visit_map(SettingsAccess {
            entries: self.settings.entries.iter(),
            current: None,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct SettingsAccess<'a> {
    entries: std::slice::Iter<'a, Entry>,
    current: Option<&'a Entry>,
}

impl<'de> MapAccess<'de> for SettingsAccess<'_> {
    type Error = ConfigError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ConfigError> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.current = Some(entry);
        let key: de::value::StrDeserializer<'_, ConfigError> =
            entry.key.as_str().into_deserializer();
        seed.deserialize(key)
            .map(Some)
            .map_err(|e| e.or_at(entry.at))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ConfigError> {
        let entry = self
            .current
            .take()
            .ok_or_else(|| <ConfigError as de::Error>::custom("value without a key"))?;
        seed.deserialize(entry.value.clone())
            .map_err(|e| ConfigError::at(format!("{}: {e}", entry.key), entry.at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Example {
        url: String,
        #[serde(default)]
        page: Option<u32>,
    }

    fn at(line: u64) -> Location {
        Location { line, column: 5 }
    }

    fn settings(entries: &[(&str, serde_json::Value, u64)]) -> SourceSettings {
        let mut s = SourceSettings::new(at(1));
        for (k, v, line) in entries {
            s.insert((*k).to_owned(), v.clone(), at(*line));
        }
        s
    }

    #[test]
    fn builds_the_connector_type() {
        let s = settings(&[("url", "https://x".into(), 2), ("page", 3.into(), 3)]);
        assert_eq!(
            s.deserialize::<Example>(),
            Ok(Example {
                url: "https://x".into(),
                page: Some(3)
            })
        );
    }

    #[test]
    fn errors_point_at_the_key() {
        let s = settings(&[("url", "x".into(), 2), ("bogus", 1.into(), 7)]);
        let e = s.deserialize::<Example>().unwrap_err();
        assert_eq!(e.location, Some(at(7)));
        assert!(e.message.contains("unknown field `bogus`"), "{e}");

        let s = settings(&[("url", "x".into(), 2), ("page", "soon".into(), 4)]);
        let e = s.deserialize::<Example>().unwrap_err();
        assert_eq!(e.location, Some(at(4)));
        assert!(e.message.starts_with("page: "), "{e}");

        let s = settings(&[("page", 1.into(), 2)]);
        let e = s.deserialize::<Example>().unwrap_err();
        assert_eq!(e.location, Some(at(1)));
        assert!(e.message.contains("missing field `url`"), "{e}");
    }
}
