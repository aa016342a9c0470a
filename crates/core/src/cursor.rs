//! Opaque, per-source read positions.

use serde::{Deserialize, Serialize};

/// Where a source's next pass starts reading. Each source decides the shape
/// (Bitrix24: the last deal id; amoCRM: a timestamp and the ids seen at it);
/// the engine only stores it and hands it back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(pub serde_json::Value);

impl Cursor {
    /// Wraps any serialisable position.
    pub fn new(value: impl Serialize) -> Result<Self, serde_json::Error> {
        serde_json::to_value(value).map(Cursor)
    }

    /// Reads the position back into the source's own type.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(self.0.clone())
    }

    /// The compact JSON form stored in the state file.
    pub fn to_json(&self) -> String {
        self.0.to_string()
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where the next page of the current pass starts: a source's own token
/// (Bitrix24: the last id read; amoCRM: the `_links.next` URL). It never
/// outlives a pass and is never stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Continuation(pub serde_json::Value);
