//! Refreshing a Bitrix24 application's tokens at the OAuth server, for
//! core's [`TokenKeeper`], which decides when to refresh, refreshes once for
//! racing callers and saves each new pair before it is used.
//!
//! The refresh is a GET whose query holds `client_secret` and the refresh
//! token, as the protocol demands. That URL is never logged, and transport
//! errors come without it (core's `transport_error`).

use crate::advice::REAUTHORISE;
use crate::credentials::OAuthApp;
use crate::endpoint::{Base, parse_endpoint};
use crate::error::{self, TARGET};
use crate::oauth_reply;
use async_trait::async_trait;
use chrono::Utc;
use liner_sync_core::Result;
use liner_sync_core::auth::{TokenKeeper, TokenPair, TokenRefresher, TokenVault};
use liner_sync_core::config::Secret;
use liner_sync_core::http;
use reqwest::Url;
use reqwest::header::ACCEPT;
use std::sync::Arc;
use std::time::Instant;
use tracing::{debug, warn};

/// The keeper of source `source`'s tokens, seeded with the configured
/// refresh token. A refresh reply naming another portal address moves `base`.
pub(crate) fn keeper(
    source: &str,
    app: &OAuthApp,
    http: reqwest::Client,
    base: Arc<Base>,
    vault: Arc<dyn TokenVault>,
) -> TokenKeeper {
    let refresher = Refresher {
        source: source.to_owned(),
        http,
        server: app.server.clone(),
        client_id: app.client_id.clone(),
        client_secret: app.client_secret.clone(),
        base,
        plain_http: app.endpoint.scheme() == "http",
    };
    TokenKeeper::new(
        source,
        vault,
        Arc::new(refresher),
        app.refresh_token.clone(),
        REAUTHORISE,
    )
}

/// Trades a refresh token for a new pair at `oauth_server`.
struct Refresher {
    source: String,
    http: reqwest::Client,
    server: Url,
    client_id: String,
    client_secret: Secret,
    base: Arc<Base>,
    /// The configured portal address is plain http (a test portal), so an
    /// http address in a reply is no downgrade.
    plain_http: bool,
}

#[async_trait]
impl TokenRefresher for Refresher {
    async fn refresh(&self, refresh_token: &Secret) -> Result<TokenPair> {
        self.exchange(refresh_token)
            .await
            .map_err(|e| error::redact(e, [self.client_secret.expose(), refresh_token.expose()]))
    }
}

impl Refresher {
    async fn exchange(&self, refresh_token: &Secret) -> Result<TokenPair> {
        let mut url = self.server.clone();
        url.query_pairs_mut()
            .append_pair("grant_type", "refresh_token")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", self.client_secret.expose())
            .append_pair("refresh_token", refresh_token.expose());
        let request = self.http.get(url).header(ACCEPT, "application/json");
        let started = Instant::now();
        let reply = http::send(request, TARGET).await?;
        let reply =
            error::redact_reply(reply, [self.client_secret.expose(), refresh_token.expose()]);
        debug!(
            source = %self.source,
            status = reply.status.as_u16(),
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "Bitrix24 OAuth token refresh"
        );
        let granted = oauth_reply::read(&reply, Utc::now())?;
        if let Some(endpoint) = &granted.client_endpoint {
            self.follow(endpoint);
        }
        Ok(granted.pair)
    }

    /// Uses the portal address the OAuth server reports when it differs from
    /// the one in use: the portal was renamed. Only the host is logged.
    fn follow(&self, reported: &str) {
        let Ok(endpoint) = parse_endpoint(reported) else {
            debug!(source = %self.source, "the token reply's client_endpoint is unreadable; ignored");
            return;
        };
        if endpoint.scheme() != "https" && !self.plain_http {
            debug!(source = %self.source, "the token reply's client_endpoint is not https; ignored");
            return;
        }
        if endpoint.as_str() == self.base.get().expose() {
            return;
        }
        let new_host = endpoint.host_str().unwrap_or_default().to_owned();
        warn!(
            source = %self.source,
            new_host = %new_host,
            "the Bitrix24 OAuth server reports a new portal address (renamed?); using it for \
             this run; update client_endpoint to use host {new_host}"
        );
        self.base.set(Secret::new(endpoint.as_str()));
    }
}
