//! Calls to the Bitrix24 REST API through an incoming webhook: one method or
//! one `batch`, each under the source's rate limit, retries and timeout.
//!
//! Layer order, outermost first: rate limit → retry ([`RetryPolicy::run`]
//! takes a token per attempt) → timeout (the HTTP client's) → HTTP.

use crate::batch::{Batch, BatchReply};
use crate::config::{Bitrix24Config, Webhook};
use crate::error::{self, ApiError, OPERATING_LIMIT_WAIT, TARGET};
use liner_sync_core::config::Secret;
use liner_sync_core::http::{self, Limiter, Reply, RetryPolicy};
use liner_sync_core::{Error, ErrorKind, Result};
use reqwest::Url;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::Value;
use std::sync::RwLock;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};
use tracing::{debug, warn};

/// Requests of the portal's bucket the limiter leaves unused. Requests reach
/// the portal with varying delays, so two sent 500 ms apart may arrive closer;
/// with the bucket full to the brim that would be a `QUERY_LIMIT_EXCEEDED`.
const BURST_HEADROOM: u32 = 2;

/// A successful reply: the method's `result` and the `time` block (`Null`
/// when the portal sent none).
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub result: Value,
    pub time: Value,
}

/// The HTTP side of one Bitrix24 source.
pub(crate) struct Client {
    source: String,
    http: reqwest::Client,
    /// The webhook base; replaced once the portal redirects to its new name.
    base: RwLock<Secret>,
    code: Secret,
    limiter: Limiter,
    retry: RetryPolicy,
    /// `time.operating_reset_at` of the latest reply (Unix seconds, 0 = unknown).
    operating_reset_at: AtomicI64,
}

impl Client {
    /// A client for `config`, whose webhook URL must already be valid.
    pub fn new(source: &str, config: &Bitrix24Config) -> Result<Self> {
        let webhook: Webhook = config
            .webhook()
            .map_err(|m| Error::config(m).with_target(TARGET))?;
        Ok(Self {
            source: source.to_owned(),
            http: http::client(config.timeout.0)?,
            base: RwLock::new(webhook.base),
            code: webhook.code,
            limiter: Limiter::new(
                config.rate_limit,
                Some(config.burst.saturating_sub(BURST_HEADROOM).max(1)),
            ),
            retry: RetryPolicy {
                max_attempts: config.max_attempts,
                // Long enough to sit out an OPERATION_TIME_LIMIT block, which
                // lasts until the oldest of ten one-minute baskets drops off.
                max_elapsed: Duration::from_secs(11 * 60),
                ..RetryPolicy::default()
            },
            operating_reset_at: AtomicI64::new(0),
        })
    }

    /// Calls `method` with `params` as the JSON body.
    pub async fn call(&self, method: &str, params: &Value) -> Result<Response> {
        self.run(method, params, Ok).await
    }

    /// Sends a `batch`. A sub-call that hit a rate limit or failed on the
    /// server's side fails the whole batch as a temporary error (so it is
    /// retried); one that lacked permission fails it as an auth error. Other
    /// sub-call errors come back in [`BatchReply::errors`].
    pub async fn batch(&self, batch: &Batch) -> Result<BatchReply> {
        let read = |response: Response| {
            let reply = BatchReply::parse(&response.result)
                .map_err(|m| Error::invalid_data(format!("batch: {m}")).with_target(TARGET))?;
            for (key, api) in &reply.errors {
                let mut err = error::classify(None, api);
                if matches!(
                    err.kind(),
                    ErrorKind::RateLimited | ErrorKind::Temporary | ErrorKind::Auth
                ) {
                    if api.code.eq_ignore_ascii_case("OPERATION_TIME_LIMIT") {
                        err = err.with_retry_after(self.operating_wait());
                    }
                    let key = key.as_deref().unwrap_or("a sub-call");
                    return Err(err.context(format_args!("batch {key}")));
                }
            }
            Ok(reply)
        };
        self.run("batch", &batch.body(), read).await
    }

    async fn run<T>(
        &self,
        method: &str,
        params: &Value,
        read: impl Fn(Response) -> Result<T>,
    ) -> Result<T> {
        let body = serde_json::to_vec(params).map_err(|e| {
            Error::internal(format!("{method}: cannot encode the request: {e}")).with_target(TARGET)
        })?;
        let attempt = |_| async {
            let outcome = self.attempt(method, &body).await.and_then(&read);
            outcome.map_err(|e| self.scrub(e))
        };
        let on_retry = |err: &Error, wait: Duration| {
            warn!(
                source = %self.source,
                method,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                error = %err,
                "Bitrix24 request failed, retrying"
            );
        };
        self.retry
            .run(&self.limiter, attempt, on_retry)
            .await
            .map_err(|e| e.context(method))
    }

    /// One request and its reply.
    async fn attempt(&self, method: &str, body: &[u8]) -> Result<Response> {
        let started = Instant::now();
        let reply = self.post(method, body).await?;
        debug!(
            source = %self.source,
            method,
            status = reply.status.as_u16(),
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "Bitrix24 request"
        );
        if reply.status.is_success() {
            let mut value: Value = reply.json(TARGET)?;
            self.note_time(value.get("time"));
            let Some(result) = value.get_mut("result").map(Value::take) else {
                return Err(match ApiError::from_json(&value) {
                    Some(api) => error::classify(Some(reply.status), &api),
                    None => Error::invalid_data(format!(
                        "reply without a result (HTTP {}): {}",
                        reply.status,
                        reply.snippet()
                    ))
                    .with_target(TARGET),
                });
            };
            let time = value.get_mut("time").map(Value::take).unwrap_or_default();
            return Ok(Response { result, time });
        }
        let api = serde_json::from_slice::<Value>(&reply.body)
            .ok()
            .as_ref()
            .and_then(ApiError::from_json);
        let mut err = error::parse_error(reply.status, &reply.body);
        if api.is_some_and(|a| a.code.eq_ignore_ascii_case("OPERATION_TIME_LIMIT")) {
            err = err.with_retry_after(self.operating_wait());
        } else if let Some(wait) = reply.retry_after {
            let wait = wait.max(err.retry_after().unwrap_or_default());
            err = err.with_retry_after(wait);
        }
        Err(err)
    }

    /// POSTs `body` to the method. A redirect means the portal was renamed:
    /// the POST is repeated once at the new address, which is then used for
    /// every later call.
    async fn post(&self, method: &str, body: &[u8]) -> Result<Reply> {
        let url = format!("{}{method}", self.base().expose());
        let reply = self.send(&url, body).await?;
        if !reply.status.is_redirection() {
            return Ok(reply);
        }
        let moved = reply
            .location
            .as_deref()
            .and_then(|location| Url::parse(&url).ok()?.join(location).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
            .ok_or_else(|| {
                Error::temporary(format!(
                    "HTTP {} without a usable Location header",
                    reply.status.as_u16()
                ))
                .with_target(TARGET)
            })?;
        let new_host = moved.host_str().unwrap_or_default().to_owned();
        warn!(
            source = %self.source,
            new_host = %new_host,
            "the Bitrix24 portal answers from a new address (renamed?); \
             update webhook_url to use host {new_host}"
        );
        self.limiter.acquire().await;
        let reply = self.send(moved.as_str(), body).await?;
        if reply.status.is_redirection() {
            return Err(Error::config(format!(
                "Bitrix24 redirected twice (last to {new_host}): check webhook_url"
            ))
            .with_target(TARGET));
        }
        self.remember_base(&moved, method);
        Ok(reply)
    }

    async fn send(&self, url: &str, body: &[u8]) -> Result<Reply> {
        let request = self
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(body.to_vec());
        http::send(request, TARGET).await
    }

    fn base(&self) -> Secret {
        match self.base.read() {
            Ok(base) => base.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Keeps the redirect target's webhook base when it is one, so later calls
    /// go straight to the new portal.
    fn remember_base(&self, moved: &Url, method: &str) {
        let mut url = moved.clone();
        url.set_query(None);
        url.set_fragment(None);
        let text = url.as_str();
        let base = text
            .strip_suffix(method)
            .or_else(|| text.strip_suffix(&format!("{method}.json")));
        if let Some(webhook) = base.and_then(|b| Webhook::parse(b).ok()) {
            match self.base.write() {
                Ok(mut base) => *base = webhook.base,
                Err(poisoned) => *poisoned.into_inner() = webhook.base,
            }
        }
    }

    fn note_time(&self, time: Option<&Value>) {
        let reset = time
            .and_then(|t| t.get("operating_reset_at"))
            .and_then(Value::as_f64)
            .filter(|t| t.is_finite() && *t > 0.0 && *t < 1e12);
        if let Some(reset) = reset {
            self.operating_reset_at
                .store(reset.ceil() as i64, Ordering::Relaxed);
        }
    }

    /// How long to wait after `OPERATION_TIME_LIMIT`: until the reset time
    /// the portal last reported, or [`OPERATING_LIMIT_WAIT`] when that is
    /// unknown or already past.
    fn operating_wait(&self) -> Duration {
        let reset = self.operating_reset_at.load(Ordering::Relaxed);
        let now = chrono::Utc::now().timestamp();
        match u64::try_from(reset.saturating_sub(now)) {
            Ok(secs) if reset > 0 && secs > 0 => Duration::from_secs(secs.min(600) + 1),
            _ => OPERATING_LIMIT_WAIT,
        }
    }

    /// Removes the webhook code from an error message, should a server page
    /// have echoed the URL.
    fn scrub(&self, err: Error) -> Error {
        let code = self.code.expose();
        if !err.message().contains(code) {
            return err;
        }
        let mut clean = Error::new(err.kind(), err.message().replace(code, "[redacted]"))
            .with_target(err.target().unwrap_or(TARGET));
        if let Some(wait) = err.retry_after() {
            clean = clean.with_retry_after(wait);
        }
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        let config = Bitrix24Config::new(Secret::new("https://p.bitrix24.ru/rest/1/c0de5ecret/"));
        Client::new("b24", &config).unwrap()
    }

    #[test]
    fn operating_wait_follows_the_last_reset_time() {
        let c = client();
        assert_eq!(c.operating_wait(), OPERATING_LIMIT_WAIT);
        let in_a_minute = chrono::Utc::now().timestamp() + 60;
        c.note_time(Some(
            &serde_json::json!({"operating_reset_at": in_a_minute}),
        ));
        let wait = c.operating_wait();
        assert!(
            wait > Duration::from_secs(55) && wait <= Duration::from_secs(62),
            "{wait:?}"
        );
        c.note_time(Some(
            &serde_json::json!({"operating_reset_at": 1_681_570_067}),
        ));
        assert_eq!(c.operating_wait(), OPERATING_LIMIT_WAIT, "a past reset");
    }

    #[test]
    fn scrub_removes_the_code() {
        let c = client();
        let e = Error::temporary("404 for /rest/1/c0de5ecret/crm.deal.list")
            .with_target(TARGET)
            .with_retry_after(Duration::from_secs(3));
        let e = c.scrub(e);
        assert_eq!(e.message(), "404 for /rest/1/[redacted]/crm.deal.list");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        assert!(e.is_temporary());
    }
}
