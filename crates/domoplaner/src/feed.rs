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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::{Reader, Window};
    use crate::scan::{self, Tally};
    use liner_sync_core::NothingSeen;
    use liner_sync_core::config::Secret;
    use proptest::prelude::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Answers one request with `body` in chunked transfer encoding, a chunk
    /// ending at each of `cuts`. `complete: false` drops the connection
    /// after `body[..cut_at]`, without the closing chunk.
    async fn serve(
        listener: tokio::net::TcpListener,
        body: Vec<u8>,
        cuts: Vec<usize>,
        cut_at: Option<usize>,
    ) {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                     transfer-encoding: chunked\r\nconnection: close\r\n\r\n";
        let end = cut_at.unwrap_or(body.len());
        let mut out = head.to_vec();
        let mut at = 0;
        for cut in cuts.into_iter().chain([end]) {
            let cut = cut.clamp(at, end);
            if cut > at {
                out.extend_from_slice(format!("{:x}\r\n", cut - at).as_bytes());
                out.extend_from_slice(&body[at..cut]);
                out.extend_from_slice(b"\r\n");
                if socket.write_all(&out).await.is_err() {
                    return;
                }
                let _ = socket.flush().await;
                out.clear();
                tokio::task::yield_now().await;
            }
            at = cut;
        }
        if cut_at.is_none() {
            out.extend_from_slice(b"0\r\n\r\n");
        }
        let _ = socket.write_all(&out).await;
        let _ = socket.shutdown().await;
    }

    fn config(port: u16) -> DomoplanerConfig {
        let mut c = DomoplanerConfig::new(Secret::new(format!(
            "http://127.0.0.1:{port}/feeds/9f2c4e7a1b3d5f60.json"
        )));
        c.max_attempts = 1;
        c
    }

    fn window() -> Window {
        let start = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00+03:00").unwrap();
        Window {
            start: start.into(),
            until: None,
        }
    }

    /// What a walk of a feed found, comparable.
    fn shown(tally: &Tally) -> (usize, usize, usize, usize, Vec<liner_sync_core::Deal>) {
        let deals = tally.fresh.iter().map(|f| f.deal.clone()).collect();
        (
            tally.read,
            tally.outside,
            tally.handled,
            tally.unreadable,
            deals,
        )
    }

    /// Downloads `body` through a server that splits it at `cuts` (and
    /// drops the connection after `cut_at` bytes) and walks it.
    fn download(body: &[u8], cuts: Vec<usize>, cut_at: Option<usize>) -> Result<Tally> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let config = config(listener.local_addr().unwrap().port());
            let server = tokio::spawn(serve(listener, body.to_vec(), cuts, cut_at));
            let reader = Reader::new(&config).unwrap();
            let feed = Feed::new("domo", &config).unwrap();
            let tally = feed
                .read("deals", |body| {
                    scan::new_deals(&reader, body, window(), &NothingSeen)
                })
                .await;
            let _ = server.await;
            tally
        })
    }

    proptest! {
        #![proptest_config(liner_sync_core::testing::config(48))]

        #[test]
        fn a_feed_split_at_any_chunk_boundaries_reads_as_it_does_whole(
            feed in crate::testing::feed(),
            cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..12),
            cut_at in proptest::option::of(any::<proptest::sample::Index>()),
        ) {
            let body = serde_json::to_vec(&feed).unwrap();
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(body.len() + 1)).collect();
            cuts.sort_unstable();
            let reader = Reader::new(&config(1)).unwrap();
            let whole = scan::new_deals(&reader, &body, window(), &NothingSeen);
            let cut_at = cut_at.map(|i| i.index(body.len()));
            match (download(&body, cuts, cut_at), whole) {
                (Ok(got), Ok(want)) => {
                    prop_assert!(cut_at.is_none(), "a feed cut off after {:?} bytes was read", cut_at);
                    prop_assert_eq!(shown(&got), shown(&want));
                }
                (Err(e), _) if cut_at.is_some() => {
                    prop_assert!(e.is_temporary(), "a dropped connection is retried: {}", e);
                }
                (Err(e), Err(why)) => {
                    prop_assert_eq!(e.target(), Some(TARGET));
                    prop_assert!(e.message().contains(&why) || e.is_temporary(), "{} / {}", e, why);
                }
                (got, want) => prop_assert!(false, "whole: {:?}, split: {:?}", want.map(|t| shown(&t)), got.map(|t| shown(&t))),
            }
        }
    }
}
