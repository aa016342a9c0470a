//! Signed requests to MACRO: the source's rate limit, retries and timeout,
//! and a fresh signature for every attempt.
//!
//! Layer order, outermost first: rate limit → retry ([`RetryPolicy::run`]
//! takes a token per attempt) → timeout (the HTTP client's) → HTTP. Each
//! attempt is signed with the clock's current second, so a retry after a
//! long `Retry-After` is not refused as stale.

use crate::config::{MacroConfig, Method};
use crate::error::{self, TARGET};
use crate::sign::Signer;
use chrono::Utc;
use liner_sync_core::config::Secret;
use liner_sync_core::http::{self, Limiter, Reply, RetryPolicy};
use liner_sync_core::{Error, Result};
use std::sync::Arc;
use std::time::Instant;
use tracing::debug;

/// The current Unix second.
pub(crate) type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The HTTP side of one MACRO source.
pub(crate) struct Client {
    source: String,
    http: reqwest::Client,
    url: String,
    path: String,
    method: Method,
    signer: Signer,
    params: Vec<(String, Secret)>,
    limiter: Limiter,
    retry: RetryPolicy,
    clock: Clock,
}

impl Client {
    /// A client for `config`, which must already be valid.
    pub fn new(source: &str, config: &MacroConfig) -> Result<Self> {
        let origin = config
            .origin()
            .map_err(|m| Error::config(m).with_target(TARGET))?;
        Ok(Self {
            source: source.to_owned(),
            http: http::client(config.timeout.0)?,
            url: format!("{origin}{}", config.path),
            path: config.path.clone(),
            method: config.method,
            signer: Signer::new(config.domain.as_str(), config.app_secret.clone()),
            params: config
                .params
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            limiter: Limiter::new(config.rate_limit, None),
            retry: RetryPolicy {
                max_attempts: config.max_attempts,
                ..RetryPolicy::default()
            },
            clock: Arc::new(|| Utc::now().timestamp()),
        })
    }

    /// The same client reading the time from `clock` (tests).
    #[cfg(test)]
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Sends the list request with `query` (paging and filter parameters);
    /// `what` names it in logs and errors. The reply is a 2xx that carries
    /// no error.
    pub async fn list(&self, query: &[(String, String)], what: &str) -> Result<Reply> {
        let attempt = |_| self.attempt(query);
        let on_retry = liner_sync_core::http::log_retry(&self.source, what);
        self.retry
            .run(&self.limiter, attempt, on_retry)
            .await
            .map_err(|e| e.context(what))
    }

    async fn attempt(&self, query: &[(String, String)]) -> Result<Reply> {
        let signed = self.signer.sign((self.clock)());
        let time = signed.time.to_string();
        let pairs: Vec<(&str, &str)> = self
            .params
            .iter()
            .map(|(k, v)| (k.as_str(), v.expose()))
            .chain(query.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .chain([
                ("domain", self.signer.domain()),
                ("time", time.as_str()),
                ("token", signed.token.expose()),
            ])
            .collect();
        let request = match self.method {
            Method::Get => self.http.get(&self.url).query(&pairs),
            Method::Post => self.http.post(&self.url).form(&pairs),
        };
        let secrets = self.secrets(&signed.token);
        let started = Instant::now();
        let reply = http::send(request, TARGET)
            .await
            .map_err(|e| e.redact(secrets.iter().copied()))?
            .redact(secrets.iter().copied());
        debug!(
            source = %self.source,
            path = %self.path,
            status = reply.status.as_u16(),
            bytes = reply.body.len(),
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "MACRO request"
        );
        match error::parse_error(reply.status, &reply.body) {
            Some(err) => Err(err.redact(secrets.iter().copied())),
            None => Ok(reply),
        }
    }

    /// Every secret a request carries: the app secret, the `params:` values
    /// and this request's token.
    fn secrets<'a>(&'a self, token: &'a Secret) -> Vec<&'a str> {
        self.params
            .iter()
            .map(|(_, v)| v.expose())
            .chain([self.signer.app_secret(), token.expose()])
            .collect()
    }
}
