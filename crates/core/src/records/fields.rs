//! Where a record keeps each deal field, and turning a record into a [`Deal`].

use super::path::JsonPath;
use super::time::Moments;
use crate::{Contact, Deal, Utm};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The path of every deal field inside one record. Connectors ship defaults;
/// the configuration's `fields:` block overrides any of them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMap {
    /// The record's id (required after defaults).
    pub id: Option<JsonPath>,
    /// When the record was created (required after defaults).
    pub created_at: Option<JsonPath>,
    /// A title.
    pub title: Option<JsonPath>,
    /// Where the record keeps its contacts, when it has several: a path to a
    /// list (read element by element) or to one object. `name`, `phones`,
    /// `telegram`, `vk` and `instagram` are then read inside each contact, so
    /// a name stays with its own phones. Unset (or `.`): those paths are read
    /// from the record itself, as its one contact.
    pub contacts: Option<JsonPath>,
    /// The client's name.
    pub name: Option<JsonPath>,
    /// The client's phones: a string, a list of strings, or a path with `[]`.
    pub phones: Option<JsonPath>,
    /// Telegram user name.
    pub telegram: Option<JsonPath>,
    /// VK id.
    pub vk: Option<JsonPath>,
    /// Instagram login.
    pub instagram: Option<JsonPath>,
    /// Pipeline id.
    pub pipeline: Option<JsonPath>,
    /// Stage / status id.
    pub stage: Option<JsonPath>,
    /// `utm_source`.
    pub utm_source: Option<JsonPath>,
    /// `utm_medium`.
    pub utm_medium: Option<JsonPath>,
    /// `utm_campaign`.
    pub utm_campaign: Option<JsonPath>,
    /// `utm_content`.
    pub utm_content: Option<JsonPath>,
    /// `utm_term`.
    pub utm_term: Option<JsonPath>,
    /// Named values for `custom_values` mappings: name → path.
    #[serde(default)]
    pub custom: BTreeMap<String, JsonPath>,
}

impl FieldMap {
    /// `self` (the connector's defaults) with every field `over` sets laid on top.
    pub fn overlay(&self, over: &FieldMap) -> FieldMap {
        let pick = |a: &Option<JsonPath>, b: &Option<JsonPath>| b.clone().or_else(|| a.clone());
        let mut custom = self.custom.clone();
        custom.extend(over.custom.clone());
        FieldMap {
            id: pick(&self.id, &over.id),
            created_at: pick(&self.created_at, &over.created_at),
            title: pick(&self.title, &over.title),
            contacts: pick(&self.contacts, &over.contacts),
            name: pick(&self.name, &over.name),
            phones: pick(&self.phones, &over.phones),
            telegram: pick(&self.telegram, &over.telegram),
            vk: pick(&self.vk, &over.vk),
            instagram: pick(&self.instagram, &over.instagram),
            pipeline: pick(&self.pipeline, &over.pipeline),
            stage: pick(&self.stage, &over.stage),
            utm_source: pick(&self.utm_source, &over.utm_source),
            utm_medium: pick(&self.utm_medium, &over.utm_medium),
            utm_campaign: pick(&self.utm_campaign, &over.utm_campaign),
            utm_content: pick(&self.utm_content, &over.utm_content),
            utm_term: pick(&self.utm_term, &over.utm_term),
            custom,
        }
    }

    /// Checks that the fields every deal needs have a path.
    pub fn validate(&self) -> Result<(), String> {
        if self.id.is_none() {
            return Err("fields.id: no path for the record id".into());
        }
        if self.created_at.is_none() {
            return Err("fields.created_at: no path for the creation time".into());
        }
        Ok(())
    }

    /// The record's id, as text.
    pub fn id_of(&self, record: &Value) -> Option<String> {
        text_at(&self.id, record)
    }

    /// Builds a deal from one record, or says what is missing.
    pub fn deal(&self, record: &Value, moments: &Moments) -> Result<Deal, String> {
        let id = self
            .id_of(record)
            .ok_or_else(|| format!("record without an id at '{}'", shown(&self.id)))?;
        let created = self.created_at.as_ref().and_then(|p| p.first(record));
        let created_at = created
            .and_then(|v| moments.parse(v))
            .ok_or_else(|| match created {
                Some(v) => format!(
                    "record {id}: '{v}' at '{}' is not a date-time",
                    shown(&self.created_at)
                ),
                None => format!(
                    "record {id}: no creation time at '{}'",
                    shown(&self.created_at)
                ),
            })?;
        let text = |p: &Option<JsonPath>| text_at(p, record);
        let mut deal = Deal::new(id, created_at);
        deal.title = text(&self.title);
        deal.pipeline_id = text(&self.pipeline);
        deal.stage_id = text(&self.stage);
        deal.utm = Utm {
            source: text(&self.utm_source),
            medium: text(&self.utm_medium),
            campaign: text(&self.utm_campaign),
            content: text(&self.utm_content),
            term: text(&self.utm_term),
        };
        deal.contacts = self
            .contact_holders(record)
            .into_iter()
            .map(|holder| self.contact(holder))
            .filter(|contact| *contact != Contact::default())
            .collect();
        for (name, path) in &self.custom {
            let values = path.values(record);
            let value = match values.as_slice() {
                [] => continue,
                [one] => (*one).clone(),
                many => Value::Array(many.iter().map(|v| (*v).clone()).collect()),
            };
            deal.custom_fields.insert(name.clone(), value);
        }
        deal.raw = record.clone();
        Ok(deal)
    }

    /// The values each contact is read from: the elements (or the object)
    /// `contacts` reaches, else the record itself.
    fn contact_holders<'a>(&self, record: &'a Value) -> Vec<&'a Value> {
        let Some(path) = &self.contacts else {
            return vec![record];
        };
        path.values(record)
            .into_iter()
            .flat_map(|found| match found {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            })
            .collect()
    }

    /// One contact from the value that holds its fields.
    fn contact(&self, holder: &Value) -> Contact {
        let text = |p: &Option<JsonPath>| text_at(p, holder);
        let phones = self
            .phones
            .as_ref()
            .map(|p| p.values(holder).into_iter().flat_map(texts).collect())
            .unwrap_or_default();
        Contact {
            name: text(&self.name),
            phones,
            telegram: text(&self.telegram),
            vk: text(&self.vk),
            instagram: text(&self.instagram),
        }
    }
}

/// The text of the first value `path` reaches in `value`.
fn text_at(path: &Option<JsonPath>, value: &Value) -> Option<String> {
    path.as_ref()
        .and_then(|p| p.first(value))
        .and_then(scalar_text)
}

fn shown(path: &Option<JsonPath>) -> &str {
    path.as_ref().map_or("(none)", JsonPath::as_str)
}

/// Strings as they are, numbers and booleans written out; empty text is absent.
fn scalar_text(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// Every text a phone value holds: a scalar, or a list of scalars.
fn texts(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().filter_map(scalar_text).collect(),
        other => scalar_text(other).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(yaml_like: serde_json::Value) -> FieldMap {
        serde_json::from_value(yaml_like).unwrap()
    }

    #[test]
    fn builds_a_deal_from_a_feed_record() {
        let defaults = map(
            json!({"id": "id", "created_at": "created", "name": "client.name",
                                  "phones": "client.phones[].value", "custom": {"budget": "price"}}),
        );
        let fields = defaults.overlay(&map(
            json!({"title": "flat.title", "telegram": "client.tg"}),
        ));
        let record = json!({"id": 4260303, "created": "2026-11-02 09:00:00", "price": 5_000_000,
                            "flat": {"title": "2к, 54 м²"},
                            "client": {"name": " Иван Иванов ", "tg": "@ivan",
                                       "phones": [{"value": "8 900 123-45-67"}, {"value": 79001112233_i64}, {"value": ""}]}});
        let deal = fields
            .deal(&record, &Moments::new(chrono_tz::Europe::Moscow))
            .unwrap();
        assert_eq!(deal.id, "4260303");
        assert_eq!(deal.created_at.to_rfc3339(), "2026-11-02T06:00:00+00:00");
        assert_eq!(deal.title.as_deref(), Some("2к, 54 м²"));
        let c = &deal.contacts[0];
        assert_eq!(c.name.as_deref(), Some("Иван Иванов"));
        assert_eq!(
            c.phones,
            vec!["8 900 123-45-67".to_owned(), "79001112233".to_owned()]
        );
        assert_eq!(c.telegram.as_deref(), Some("@ivan"));
        assert_eq!(deal.custom_fields.get("budget"), Some(&json!(5_000_000)));
        assert_eq!(deal.raw, record);
    }

    #[test]
    fn contacts_keep_their_own_names_and_phones() {
        let fields = map(
            json!({"id": "id", "created_at": "created", "contacts": "clients",
                                "name": "name", "phones": "phones", "telegram": "tg"}),
        );
        let record = json!({"id": 9, "created": "2026-11-02 09:00:00", "name": "not a contact",
                            "clients": [{"name": "Пётр", "phones": []},
                                        {"name": "Анна", "phones": ["8 900 123-45-67"], "tg": "anna"},
                                        {}]});
        let m = Moments::new(chrono_tz::Europe::Moscow);
        let deal = fields.deal(&record, &m).unwrap();
        let shown: Vec<_> = deal
            .contacts
            .iter()
            .map(|c| (c.name.as_deref(), c.phones.clone(), c.telegram.as_deref()))
            .collect();
        assert_eq!(
            shown,
            vec![
                (Some("Пётр"), vec![], None),
                (
                    Some("Анна"),
                    vec!["8 900 123-45-67".to_owned()],
                    Some("anna")
                ),
            ],
            "empty contacts are dropped"
        );
        let one = fields.overlay(&map(json!({"contacts": "client"})));
        let record = json!({"id": 9, "created": "2026-11-02 09:00:00",
                            "client": {"name": "Анна", "phones": "8 900 123-45-67"}});
        assert_eq!(one.deal(&record, &m).unwrap().contacts.len(), 1);
        let flat = fields.overlay(&map(json!({"contacts": "."})));
        let record = json!({"id": 9, "created": "2026-11-02 09:00:00", "name": "Анна"});
        let deal = flat.deal(&record, &m).unwrap();
        assert_eq!(deal.contacts[0].name.as_deref(), Some("Анна"));
    }

    #[test]
    fn says_what_is_missing() {
        let fields = map(json!({"id": "id", "created_at": "created"}));
        let m = Moments::new(chrono_tz::Europe::Moscow);
        assert_eq!(
            fields
                .deal(&json!({"created": "2026-11-02 09:00:00"}), &m)
                .unwrap_err(),
            "record without an id at 'id'"
        );
        assert_eq!(
            fields.deal(&json!({"id": 1}), &m).unwrap_err(),
            "record 1: no creation time at 'created'"
        );
        assert_eq!(
            fields
                .deal(&json!({"id": "7", "created": "вчера"}), &m)
                .unwrap_err(),
            "record 7: '\"вчера\"' at 'created' is not a date-time"
        );
        let deal = fields
            .deal(&json!({"id": "8", "created": 1_793_512_800}), &m)
            .unwrap();
        assert!(deal.contacts.is_empty(), "no contact fields, no contact");
        assert!(FieldMap::default().validate().is_err());
    }

    /// A field map with any of its paths set to one of a few.
    fn any_fields() -> impl proptest::strategy::Strategy<Value = FieldMap> {
        use proptest::prelude::*;
        let names = [
            "id",
            "created_at",
            "title",
            "contacts",
            "name",
            "phones",
            "telegram",
            "vk",
            "instagram",
            "pipeline",
            "stage",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_content",
            "utm_term",
        ];
        let path = prop::sample::select(vec![
            "id", "at", "a", "a.b", "a[]", "a[].b", "a[0]", "b.0", "/a/b", ".", "",
        ]);
        let custom = prop::collection::btree_map("[a-z]{1,3}", path.clone(), 0..3);
        (
            prop::collection::vec(prop::option::of(path), names.len()),
            custom,
        )
            .prop_map(move |(paths, custom)| {
                let mut map: serde_json::Map<String, Value> = names
                    .iter()
                    .zip(paths)
                    .filter_map(|(name, path)| Some(((*name).to_owned(), json!(path?))))
                    .collect();
                map.insert("custom".into(), json!(custom));
                serde_json::from_value(Value::Object(map)).unwrap()
            })
    }

    proptest::proptest! {
        #[test]
        fn any_record_is_a_deal_or_a_reason(
            fields in any_fields(),
            record in crate::testing::json(&["id", "at", "a", "b", "0"], &["2026-11-02 09:00:00"]),
        ) {
            let moments = Moments::new(chrono_tz::Europe::Moscow);
            match fields.deal(&record, &moments) {
                Ok(deal) => {
                    proptest::prop_assert_eq!(Some(deal.id.clone()), fields.id_of(&record));
                    proptest::prop_assert!(!deal.id.is_empty());
                    proptest::prop_assert!(deal.contacts.iter().all(|c| *c != Contact::default()));
                }
                Err(why) => proptest::prop_assert!(!why.is_empty()),
            }
        }
    }
}
