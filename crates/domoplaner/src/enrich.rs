//! Phones from the leads API (`GET {api_base}/leads/get-by-id?id=…`, Bearer
//! token) for new deals the feed gives none: `{"lead": {"id", "name",
//! "status"}, "phones": [{"value", …}]}`, as third-party code reads it.

use crate::config::EnrichConfig;
use crate::error::{self, Endpoint, TARGET};
use crate::reader::Fresh;
use futures::{StreamExt, TryStreamExt};
use liner_sync_core::config::Secret;
use liner_sync_core::http::{self, Limiter, RetryPolicy};
use liner_sync_core::{Contact, Error, Result};
use reqwest::header::{ACCEPT, AUTHORIZATION};
use reqwest::{StatusCode, Url};
use serde::de::IgnoredAny;
use serde_json::Value;
use std::time::{Duration, Instant};
use tracing::debug;

/// Requests in flight at once; the limiter spaces them.
const CONCURRENCY: usize = 4;

/// What the leads API knows of one client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Card {
    /// `lead.name`.
    pub name: Option<String>,
    /// `phones[].value`, in order.
    pub phones: Vec<String>,
}

/// The leads API of one source.
pub(crate) struct Enricher {
    source: String,
    http: reqwest::Client,
    leads: Url,
    token: Secret,
    limiter: Limiter,
    retry: RetryPolicy,
}

impl Enricher {
    /// A client for `config`, which must already be valid.
    pub fn new(
        source: &str,
        config: &EnrichConfig,
        timeout: Duration,
        attempts: u32,
    ) -> Result<Self> {
        let leads = config
            .base()
            .and_then(|base| base.join("leads/get-by-id").map_err(|e| e.to_string()))
            .map_err(|m| Error::config(m).with_target(TARGET))?;
        Ok(Self {
            source: source.to_owned(),
            http: http::client(timeout.min(Duration::from_secs(30)))?,
            leads,
            token: config.token.clone(),
            limiter: Limiter::new(config.rate_limit, None),
            retry: RetryPolicy {
                max_attempts: attempts,
                ..RetryPolicy::default()
            },
        })
    }

    /// Gives every deal without a phone the phones of its client; returns
    /// how many deals were asked about.
    pub async fn fill(&self, deals: &mut [Fresh]) -> Result<usize> {
        let wanted: Vec<(usize, String)> = deals
            .iter()
            .enumerate()
            .filter(|(_, f)| f.deal.contacts.iter().all(|c| c.phones.is_empty()))
            .filter_map(|(i, f)| f.client_id.clone().map(|id| (i, id)))
            .collect();
        let asked = wanted.len();
        let cards: Vec<(usize, Option<Card>)> = futures::stream::iter(wanted)
            .map(|(i, id)| async move { self.card(&id).await.map(|card| (i, card)) })
            .buffered(CONCURRENCY)
            .try_collect()
            .await?;
        for (i, card) in cards {
            if let (Some(fresh), Some(card)) = (deals.get_mut(i), card) {
                apply(fresh, card);
            }
        }
        Ok(asked)
    }

    /// The client `id`, or `None` when the API does not know it.
    pub async fn card(&self, id: &str) -> Result<Option<Card>> {
        let attempt = |_| async move { self.attempt(id).await };
        let on_retry =
            liner_sync_core::http::log_retry(&self.source, "a Domoplaner leads API request");
        self.retry
            .run(&self.limiter, attempt, on_retry)
            .await
            .map_err(|e| e.context(format_args!("leads/get-by-id for client {id}")))
    }

    async fn attempt(&self, id: &str) -> Result<Option<Card>> {
        let started = Instant::now();
        let request = self
            .http
            .get(self.leads.clone())
            .query(&[("id", id)])
            .header(AUTHORIZATION, format!("Bearer {}", self.token.expose()))
            .header(ACCEPT, "application/json");
        let reply = http::send(request, TARGET).await?;
        debug!(
            source = %self.source,
            client = id,
            status = reply.status.as_u16(),
            elapsed_ms = liner_sync_core::http::millis(started.elapsed()),
            "Domoplaner leads API request"
        );
        let secrets = [self.token.expose().to_owned()];
        // A 404 in JSON is "no such client"; a bare one is a wrong api_base.
        let json_body = serde_json::from_slice::<IgnoredAny>(&reply.body).is_ok();
        if reply.status == StatusCode::NOT_FOUND && json_body {
            return Ok(None);
        }
        if !reply.status.is_success() {
            return Err(error::from_reply(Endpoint::Leads, reply, &secrets));
        }
        let body: Value = reply.json(TARGET)?;
        Ok(card(&body))
    }
}

/// The card in a reply; `None` for `{"status":"error",…}` (no such client).
fn card(body: &Value) -> Option<Card> {
    if body.get("status").and_then(Value::as_str) == Some("error") {
        return None;
    }
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let phones = body
        .get("phones")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("value").and_then(text))
        .collect();
    let name = body.pointer("/lead/name").and_then(text);
    Some(Card { name, phones })
}

/// Puts `card`'s phones (and name, if the deal has none) on the deal's first
/// contact.
fn apply(fresh: &mut Fresh, card: Card) {
    if card.phones.is_empty() {
        return;
    }
    let contacts = &mut fresh.deal.contacts;
    if contacts.is_empty() {
        contacts.push(Contact::default());
    }
    if let Some(first) = contacts.first_mut() {
        first.phones = card.phones;
        if first.name.is_none() {
            first.name = card.name;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liner_sync_core::Deal;
    use serde_json::json;

    fn sample() -> Value {
        let path = format!(
            "{}/testdata/leads_get_by_id_response_shape.json",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn reads_the_documented_shape() {
        let card = card(&sample()).unwrap();
        assert_eq!(card.name.as_deref(), Some("Иван Иванов"));
        assert_eq!(card.phones, ["79001234567"]);
        let path = format!(
            "{}/testdata/leads_not_found.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let not_found: Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        assert_eq!(super::card(&not_found), None);
        let odd = json!({"lead": {"name": "  "}, "phones": [{"value": 79001112233_i64}, {"value": ""}, {}]});
        assert_eq!(
            super::card(&odd),
            Some(Card {
                name: None,
                phones: vec!["79001112233".into()]
            })
        );
    }

    #[test]
    fn phones_land_on_the_first_contact() {
        let at = chrono::Utc::now();
        let mut bare = Fresh {
            deal: Deal::new("1", at),
            client_id: Some("7".into()),
        };
        apply(&mut bare, card(&sample()).unwrap());
        assert_eq!(bare.deal.contacts[0].phones, ["79001234567"]);
        assert_eq!(bare.deal.contacts[0].name.as_deref(), Some("Иван Иванов"));
        let mut named = bare.clone();
        named.deal.contacts[0].name = Some("Пётр".into());
        named.deal.contacts[0].phones.clear();
        apply(&mut named, card(&sample()).unwrap());
        assert_eq!(named.deal.contacts[0].name.as_deref(), Some("Пётр"));
        let mut untouched = named.clone();
        apply(&mut untouched, Card::default());
        assert_eq!(untouched, named);
    }

    proptest::proptest! {
        #[test]
        fn any_leads_api_reply_is_a_card_or_nothing(
            body in proptest::prop_oneof![
                liner_sync_core::testing::mutated(sample(), crate::testing::json()),
                crate::testing::json(),
            ],
        ) {
            let at = chrono::Utc::now();
            let mut fresh = Fresh { deal: Deal::new("1", at), client_id: Some("7".into()) };
            match card(&body) {
                Some(card) => {
                    proptest::prop_assert!(card.phones.iter().all(|p| !p.is_empty()));
                    let phones = card.phones.clone();
                    apply(&mut fresh, card);
                    let first = fresh.deal.contacts.first().map(|c| c.phones.clone());
                    proptest::prop_assert_eq!(first.unwrap_or_default(), phones);
                }
                None => proptest::prop_assert_eq!(
                    body.get("status").and_then(Value::as_str),
                    Some("error")
                ),
            }
        }
    }
}
