//! Calls to the Bitrix24 REST API, signed by an incoming webhook or by an
//! OAuth application's access token: one method or one `batch`, each under
//! the source's rate limit, retries and timeout.
//!
//! Layer order, outermost first: rate limit → retry ([`RetryPolicy::run`]
//! takes a token per attempt) → timeout (the HTTP client's) → HTTP. With
//! OAuth, an attempt whose token the portal refuses refreshes it once and is
//! sent again, taking another token.

use crate::advice::Mode;
use crate::auth::{self, Auth};
use crate::batch::{Batch, BatchReply};
use crate::config::Bitrix24Config;
use crate::credentials::Credentials;
use crate::endpoint::{Base, parse_endpoint};
use crate::error::{self, ApiError, OPERATING_LIMIT_WAIT, TARGET};
use crate::oauth;
use crate::webhook::Webhook;
use liner_sync_core::auth::TokenKeeper;
use liner_sync_core::config::Secret;
use liner_sync_core::http::{self, Limiter, Reply, RetryPolicy};
use liner_sync_core::{Error, ErrorKind, Result, SourceContext};
use reqwest::Url;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::Value;
use std::sync::Arc;
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
    /// The REST base; replaced once the portal redirects to its new name, or
    /// (OAuth) the token reply names a new address.
    base: Arc<Base>,
    auth: Auth,
    limiter: Limiter,
    retry: RetryPolicy,
    /// `time.operating_reset_at` of the latest reply (Unix seconds, 0 = unknown).
    operating_reset_at: AtomicI64,
}

impl Client {
    /// A client for `config`, whose credentials must already be valid. An
    /// OAuth client keeps its rotated tokens in `context.vault`.
    pub fn new(source: &str, config: &Bitrix24Config, context: &SourceContext) -> Result<Self> {
        let credentials = config
            .credentials()
            .map_err(|m| Error::config(m).with_target(TARGET))?;
        let http = http::client(config.timeout.0)?;
        let (base, auth) = match credentials {
            Credentials::Webhook(webhook) => (
                Arc::new(Base::new(webhook.base)),
                Auth::Webhook { code: webhook.code },
            ),
            Credentials::OAuth(app) => {
                let base = Arc::new(Base::new(Secret::new(app.endpoint.as_str())));
                let keeper = oauth::keeper(
                    source,
                    &app,
                    http.clone(),
                    base.clone(),
                    context.vault.clone(),
                );
                let auth = Auth::OAuth {
                    keeper: Box::new(keeper),
                    client_secret: app.client_secret,
                    seed: app.refresh_token,
                };
                (base, auth)
            }
        };
        Ok(Self {
            source: source.to_owned(),
            http,
            base,
            auth,
            limiter: Limiter::new(
                config.rate_limit,
                Some(config.burst.saturating_sub(BURST_HEADROOM).max(1)),
            )
            .named(TARGET),
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

    /// Webhook or OAuth: decides the advice in error messages.
    pub fn mode(&self) -> Mode {
        self.auth.mode()
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
                let mut err = error::classify(None, api, self.mode());
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
        let attempt = |_| async {
            let mut sent = Vec::new();
            let outcome = self
                .attempt(method, params, &mut sent)
                .await
                .and_then(&read);
            outcome.map_err(|e| self.scrub(e, &sent))
        };
        let on_retry = liner_sync_core::http::log_retry(&self.source, method);
        self.retry
            .run(&self.limiter, attempt, on_retry)
            .await
            .map_err(|e| e.context(method))
    }

    /// One request and its reply. Access tokens sent are added to `sent`,
    /// so that any text echoing them can be scrubbed.
    async fn attempt(
        &self,
        method: &str,
        params: &Value,
        sent: &mut Vec<Secret>,
    ) -> Result<Response> {
        let started = Instant::now();
        let reply = match &self.auth {
            Auth::Webhook { .. } => {
                self.post(method, &auth::body(method, params, None)?)
                    .await?
            }
            Auth::OAuth { keeper, .. } => self.post_signed(method, params, keeper, sent).await?,
        };
        let secrets = self.auth.secrets();
        let reply = error::redact_reply(
            reply,
            secrets.into_iter().chain(sent.iter().map(Secret::expose)),
        );
        debug!(
            source = %self.source,
            method,
            status = reply.status.as_u16(),
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "Bitrix24 request"
        );
        self.read(reply)
    }

    /// Sends with the keeper's access token. When the portal refuses that
    /// token, the keeper gets a new one (a single refresh however many calls
    /// were refused at once) and the request goes once more; a second refusal
    /// is read as the auth error it is.
    async fn post_signed(
        &self,
        method: &str,
        params: &Value,
        keeper: &TokenKeeper,
        sent: &mut Vec<Secret>,
    ) -> Result<Reply> {
        let token = keeper.access_token().await.map_err(named)?;
        sent.push(token.clone());
        let reply = self
            .post(method, &auth::body(method, params, Some(&token))?)
            .await?;
        if !auth::token_refused(&reply) {
            return Ok(reply);
        }
        debug!(source = %self.source, method, "the portal refused the access token; refreshing it");
        let fresh = keeper.after_unauthorized(&token).await.map_err(named)?;
        sent.push(fresh.clone());
        self.limiter.acquire().await;
        self.post(method, &auth::body(method, params, Some(&fresh))?)
            .await
    }

    /// A reply as the method's result, or the error it reports.
    fn read(&self, reply: Reply) -> Result<Response> {
        if reply.status.is_success() {
            let mut value: Value = reply.json(TARGET)?;
            self.note_time(value.get("time"));
            let Some(result) = value.get_mut("result").map(Value::take) else {
                return Err(match ApiError::from_json(&value) {
                    Some(api) => error::classify(Some(reply.status), &api, self.mode()),
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
        let mut err = error::parse_error(reply.status, &reply.body, self.mode());
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
        let url = format!("{}{method}", self.base.get().expose());
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
        let key = self.mode().address_key();
        warn!(
            source = %self.source,
            new_host = %new_host,
            "the Bitrix24 portal answers from a new address (renamed?); \
             update {key} to use host {new_host}"
        );
        self.limiter.acquire().await;
        let reply = self.send(moved.as_str(), body).await?;
        if reply.status.is_redirection() {
            return Err(Error::config(format!(
                "Bitrix24 redirected twice (last to {new_host}): check {key}"
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

    /// Keeps the redirect target's REST base when it is one, so later calls
    /// go straight to the new portal.
    fn remember_base(&self, moved: &Url, method: &str) {
        let mut url = moved.clone();
        url.set_query(None);
        url.set_fragment(None);
        let text = url.as_str();
        let Some(base) = text
            .strip_suffix(method)
            .or_else(|| text.strip_suffix(&format!("{method}.json")))
        else {
            return;
        };
        let parsed = match self.mode() {
            Mode::Webhook => Webhook::parse(base).ok().map(|w| w.base),
            Mode::OAuth => parse_endpoint(base)
                .ok()
                .map(|endpoint| Secret::new(endpoint.as_str())),
        };
        if let Some(base) = parsed {
            self.base.set(base);
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

    /// Removes the webhook code, the application's secrets and the access
    /// tokens `sent` from an error message, should a server have echoed one.
    fn scrub(&self, err: Error, sent: &[Secret]) -> Error {
        let secrets = self.auth.secrets();
        error::redact(
            err,
            secrets.into_iter().chain(sent.iter().map(Secret::expose)),
        )
    }
}

/// A keeper's error, named as this crate's when the keeper left it unnamed.
fn named(err: Error) -> Error {
    let target = err.target().unwrap_or(TARGET);
    err.with_target(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> SourceContext {
        let vault = liner_sync_core::state::StateStore::in_memory().unwrap();
        SourceContext {
            vault: Arc::new(vault),
        }
    }

    fn client() -> Client {
        let config = Bitrix24Config::new(Secret::new("https://p.bitrix24.ru/rest/1/c0de5ecret/"));
        Client::new("b24", &config, &context()).unwrap()
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
        let e = c.scrub(e, &[]);
        assert_eq!(e.message(), "404 for /rest/1/[redacted]/crm.deal.list");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        assert!(e.is_temporary());
    }

    #[test]
    fn scrub_removes_the_application_secrets_and_the_tokens_sent() {
        let config = Bitrix24Config::oauth(
            liner_sync_core::config::EnvString("https://p.bitrix24.ru/rest/".into()),
            liner_sync_core::config::EnvString("local.app".into()),
            Secret::new("app-s3cret"),
            Secret::new("seed-r3fresh"),
        );
        let c = Client::new("b24", &config, &context()).unwrap();
        assert_eq!(c.mode(), Mode::OAuth);
        let e = Error::auth("echo: app-s3cret seed-r3fresh acc-t0ken other");
        let e = c.scrub(e, &[Secret::new("acc-t0ken")]);
        assert_eq!(e.message(), "echo: [redacted] [redacted] [redacted] other");
    }

    /// One webhook and one OAuth client, built once for every case.
    fn clients() -> &'static [Client; 2] {
        static CLIENTS: std::sync::OnceLock<[Client; 2]> = std::sync::OnceLock::new();
        CLIENTS.get_or_init(|| {
            let oauth = Bitrix24Config::oauth(
                liner_sync_core::config::EnvString("https://p.bitrix24.ru/rest/".into()),
                liner_sync_core::config::EnvString("local.app".into()),
                Secret::new("app-s3cret"),
                Secret::new("seed-r3fresh"),
            );
            [client(), Client::new("b24", &oauth, &context()).unwrap()]
        })
    }

    /// What a portal may answer a call with: any bytes, or a real reply
    /// (a list page, an error) with wrong types in it.
    fn any_body() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let written = |v: Value| serde_json::to_vec(&v).unwrap_or_default();
        prop_oneof![
            crate::testing::body(),
            crate::testing::mutated("crm.deal.list_page_response.json").prop_map(written),
            crate::testing::mutated("batch_response_OPERATION_TIME_LIMIT_real.json")
                .prop_map(written),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_reply_is_a_result_or_an_error_that_names_bitrix24(
            status in liner_sync_core::testing::status(),
            body in any_body(),
            oauth in proptest::prelude::any::<bool>(),
        ) {
            let c = &clients()[usize::from(oauth)];
            let reply = liner_sync_core::testing::reply(status, body);
            match c.read(reply.clone()) {
                Ok(response) => {
                    proptest::prop_assert!(reply.status.is_success());
                    let sent: Value = serde_json::from_slice(&reply.body).unwrap();
                    proptest::prop_assert_eq!(Some(&response.result), sent.get("result"));
                }
                Err(e) => {
                    proptest::prop_assert_eq!(e.target(), Some(TARGET));
                    proptest::prop_assert!(!e.message().is_empty());
                    proptest::prop_assert!(!e.message().contains('\n'), "{}", e.message());
                }
            }
            let wait = c.operating_wait();
            proptest::prop_assert!(wait <= Duration::from_secs(601), "{wait:?}");
        }
    }
}
