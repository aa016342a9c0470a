//! The Liner client: lead submission and order lookup.

use crate::config::{LinerConfig, Mode};
use crate::error::parse_reply;
use async_trait::async_trait;
use liner_sync_core::config::Secret;
use liner_sync_core::http::{self, Limiter, RetryPolicy};
use liner_sync_core::{Error, Lead, LeadSink, Receipt, Result};
use reqwest::Url;
use reqwest::header::HeaderValue;
use serde::Deserialize;
use std::fmt;

const TARGET: &str = "liner";
const ORDERS_PER_PAGE: usize = 100;
const MAX_ORDER_PAGES: usize = 1000;

/// An order (calling project) in Liner.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Order {
    /// Order id.
    pub id: u64,
    /// Order code.
    #[serde(default)]
    pub code: Option<String>,
    /// Title shown in Liner.
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Deserialize)]
struct OrderPage {
    #[serde(default)]
    list: Vec<Order>,
}

/// Submits leads to Liner with its own rate limit and retries.
pub struct LinerClient {
    http: reqwest::Client,
    base: Url,
    api_key: HeaderValue,
    mode: Mode,
    limiter: Limiter,
    retry: RetryPolicy,
}

impl fmt::Debug for LinerClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinerClient")
            .field("base", &self.base.as_str())
            .field("api_key", &"[redacted]")
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl LinerClient {
    /// A client for `config` (validated first).
    pub fn new(config: &LinerConfig) -> Result<Self> {
        config.validate().map_err(Error::config)?;
        let base = Url::parse(config.base_url.as_str())
            .map_err(|e| Error::config(format!("liner.base_url: {e}")))?;
        Ok(Self {
            http: http::client(config.timeout.0)?,
            base,
            api_key: key_header(&config.api_key)?,
            mode: config.mode,
            limiter: Limiter::new(config.rate_limit, Some(config.burst)).named(TARGET),
            retry: RetryPolicy {
                max_attempts: config.max_attempts,
                max_elapsed: config.max_retry_time.0,
                ..RetryPolicy::default()
            },
        })
    }

    /// Replaces the retry policy (tests use short delays).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The client's rate limiter, for its wait statistics.
    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }

    /// Creates one lead, retrying temporary failures.
    pub async fn create(&self, lead: &Lead) -> Result<Receipt> {
        self.create_lead(lead, false).await
    }

    async fn create_lead(&self, lead: &Lead, admitted: bool) -> Result<Receipt> {
        let path = match self.mode {
            Mode::Async => "v2/lead/create-async/",
            Mode::Sync => "v2/lead/create/",
        };
        let url = self.url(path)?;
        let data = self
            .call(|| self.http.post(url.clone()).json(lead), path, admitted)
            .await?;
        Ok(Receipt {
            lead_id: match self.mode {
                Mode::Async => None,
                Mode::Sync => lead_id(&data),
            },
        })
    }

    /// Every active order, page by page.
    pub async fn orders(&self) -> Result<Vec<Order>> {
        let mut orders = Vec::new();
        for page in 0..MAX_ORDER_PAGES {
            let mut url = self.url("v2/order/")?;
            url.query_pairs_mut()
                .append_pair("offset", &(page * ORDERS_PER_PAGE).to_string())
                .append_pair("limit", &ORDERS_PER_PAGE.to_string());
            let data = self
                .call(|| self.http.get(url.clone()), "v2/order/", false)
                .await?;
            let batch: OrderPage = serde_json::from_value(data).map_err(|e| {
                Error::invalid_data(format!("unexpected order list: {e}")).with_target(TARGET)
            })?;
            let full = batch.list.len() == ORDERS_PER_PAGE;
            orders.extend(batch.list);
            if !full {
                return Ok(orders);
            }
        }
        Err(Error::invalid_data(format!(
            "more than {} orders; the order list never ended",
            MAX_ORDER_PAGES * ORDERS_PER_PAGE
        ))
        .with_target(TARGET))
    }

    /// One request with retries; `admitted`: the caller already took the
    /// rate-limit token for the first attempt.
    async fn call(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
        what: &'static str,
        admitted: bool,
    ) -> Result<serde_json::Value> {
        let attempt = |attempt| {
            let request = request().header("X-Api-Key", self.api_key.clone());
            async move {
                let started = std::time::Instant::now();
                let reply = http::send(request, TARGET).await?;
                tracing::debug!(
                    endpoint = what,
                    attempt,
                    status = reply.status.as_u16(),
                    millis = started.elapsed().as_millis() as u64,
                    "liner request"
                );
                parse_reply(&reply)
            }
        };
        let on_retry = |e: &liner_sync_core::Error, wait: std::time::Duration| {
            tracing::warn!(endpoint = what, "retrying in {wait:?}: {e}");
        };
        if admitted {
            self.retry
                .run_admitted(&self.limiter, attempt, on_retry)
                .await
        } else {
            self.retry.run(&self.limiter, attempt, on_retry).await
        }
    }

    fn url(&self, path: &str) -> Result<Url> {
        let mut base = self.base.clone();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        base.join(path)
            .map_err(|e| Error::config(format!("liner.base_url: {e}")))
    }
}

#[async_trait]
impl LeadSink for LinerClient {
    async fn submit(&self, lead: &Lead) -> Result<Receipt> {
        self.create_lead(lead, true).await
    }

    fn admission(&self) -> Option<&Limiter> {
        Some(&self.limiter)
    }
}

/// The `X-Api-Key` header, marked sensitive so HTTP tooling never prints it.
fn key_header(key: &Secret) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(key.expose().trim()).map_err(|_| {
        Error::config("liner.api_key contains characters that cannot go in an HTTP header")
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// The new lead's id from a sync create reply: a number, a numeric string or
/// `{"id": …}`.
fn lead_id(data: &serde_json::Value) -> Option<String> {
    let id = match data {
        serde_json::Value::Object(map) => map.get("id")?,
        other => other,
    };
    match id {
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => {
            tracing::warn!("Liner accepted the lead but returned no lead id: {data}");
            None
        }
    }
}

#[cfg(test)]
mod tests;
