//! Downloading the feed and walking it, retried as one unit: a feed cut off
//! in the middle is only found out while walking it.

use crate::config::DomoplanerConfig;
use crate::error::{self, Endpoint, TARGET};
use crate::feed_url::FeedUrl;
use liner_sync_core::http::{self, Limiter, Reply, RetryPolicy};
use liner_sync_core::{Error, Result};
use reqwest::header::ACCEPT;
use std::time::{Duration, Instant};
use tracing::debug;

/// The feed of one source.
pub(crate) struct Feed {
    source: String,
    http: reqwest::Client,
    url: FeedUrl,
    retry: RetryPolicy,
}

impl Feed {
    /// The feed `config` names; `config` must already be valid.
    pub fn new(source: &str, config: &DomoplanerConfig) -> Result<Self> {
        let url = config
            .feed()
            .map_err(|m| Error::config(m).with_target(TARGET))?;
        Ok(Self {
            source: source.to_owned(),
            http: http::client(config.timeout.0)?,
            url,
            retry: RetryPolicy {
                max_attempts: config.max_attempts,
                // Room for a few full downloads of a large feed.
                max_elapsed: config.timeout.0 * 3 + Duration::from_secs(60),
                ..RetryPolicy::default()
            },
        })
    }

    /// Downloads the feed and hands its body to `walk`, which reads the
    /// records at `records` (named in errors). A failure to walk it is
    /// classified here: temporary when the body was cut off or is an HTML
    /// page (then the whole download is retried), else invalid data.
    pub async fn read<T>(
        &self,
        records: &str,
        walk: impl Fn(&[u8]) -> std::result::Result<T, String> + Sync,
    ) -> Result<T> {
        let attempt = |_| async {
            let reply = self.download().await?;
            let started = Instant::now();
            let walked = blocking(|| walk(&reply.body));
            debug!(
                source = %self.source,
                bytes = reply.body.len(),
                walk_ms = liner_sync_core::http::millis(started.elapsed()),
                "walked the Domoplaner feed"
            );
            walked.map_err(|why| error::unreadable_feed(&reply, &why, records))
        };
        let on_retry =
            liner_sync_core::http::log_retry(&self.source, "reading the Domoplaner feed");
        self.retry
            .run(&Limiter::unlimited(), attempt, on_retry)
            .await
            .map_err(|e| e.context("feed"))
    }

    /// One GET of the feed; any status but 2xx is an error.
    async fn download(&self) -> Result<Reply> {
        let started = Instant::now();
        let request = self
            .http
            .get(self.url.url.clone())
            .header(ACCEPT, "application/json");
        let reply = http::send(request, TARGET).await?;
        debug!(
            source = %self.source,
            feed = %self.url.shown,
            status = reply.status.as_u16(),
            bytes = reply.body.len(),
            elapsed_ms = liner_sync_core::http::millis(started.elapsed()),
            "Domoplaner feed request"
        );
        if !reply.status.is_success() {
            return Err(error::from_reply(Endpoint::Feed, reply, &self.url.secrets));
        }
        Ok(reply)
    }
}

/// Runs CPU-bound `work` (walking a feed of many megabytes) without stalling
/// the other tasks of a multi-threaded runtime; inline elsewhere.
fn blocking<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(work)
        }
        _ => work(),
    }
}
