//! [`TokenKeeper`]: one source's OAuth tokens, kept fresh and persisted.

use super::pair::{TokenPair, fingerprint};
use crate::config::Secret;
use crate::{Error, ErrorKind, Result};
use async_trait::async_trait;
use chrono::{Duration, Utc};
use std::sync::Arc;
use tokio::sync::Mutex;

/// Where a source's newest token pair is kept (the state file).
pub trait TokenVault: Send + Sync {
    /// The newest pair of `source`, with the fingerprint of the configured
    /// refresh token it descends from.
    fn load_tokens(&self, source: &str) -> Result<Option<(TokenPair, String)>>;
    /// Stores `pair` as the newest of `source`.
    fn save_tokens(&self, source: &str, pair: &TokenPair, seed: &str) -> Result<()>;
}

/// The CRM-specific part: trading a refresh token for a new pair.
#[async_trait]
pub trait TokenRefresher: Send + Sync {
    /// Exchanges `refresh_token` for a new pair. An [`ErrorKind::Auth`] error
    /// means the refresh token is revoked, expired or already used.
    async fn refresh(&self, refresh_token: &Secret) -> Result<TokenPair>;
}

/// Keeps one source's access token valid.
///
/// * Before expiry (with a margin) and after a 401 it refreshes, one refresh at
///   a time: callers that raced on the same 401 get the pair the first one got.
/// * Each new pair is saved to the vault before it is used, so a crash never
///   loses a rotated refresh token.
/// * The configured refresh token seeds the chain; once rotated, the vault's
///   pair wins, until a different refresh token appears in the configuration
///   (the operator re-authorised), which starts a new chain.
pub struct TokenKeeper {
    source: String,
    vault: Arc<dyn TokenVault>,
    refresher: Arc<dyn TokenRefresher>,
    seed: Secret,
    seed_fingerprint: String,
    margin: Duration,
    how_to_reauthorise: String,
    current: Mutex<Option<TokenPair>>,
    loaded: std::sync::atomic::AtomicBool,
}

impl TokenKeeper {
    /// A keeper for `source`, seeded with the configured refresh token.
    /// `how_to_reauthorise` ends the error shown when the refresher reports the
    /// refresh token refused ([`ErrorKind::Auth`]); a refresher that knows a
    /// different cause (wrong client credentials) should report it as
    /// [`ErrorKind::Config`], which is passed on as it is.
    pub fn new(
        source: &str,
        vault: Arc<dyn TokenVault>,
        refresher: Arc<dyn TokenRefresher>,
        seed: Secret,
        how_to_reauthorise: impl Into<String>,
    ) -> Self {
        Self {
            source: source.to_owned(),
            vault,
            refresher,
            seed_fingerprint: fingerprint(&seed),
            seed,
            margin: Duration::minutes(5),
            how_to_reauthorise: how_to_reauthorise.into(),
            current: Mutex::new(None),
            loaded: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// A valid access token, refreshing first when it expires within the margin.
    pub async fn access_token(&self) -> Result<Secret> {
        let mut current = self.current.lock().await;
        self.load(&mut current)?;
        match current.as_ref() {
            Some(pair) if pair.expires_at - self.margin > Utc::now() => {
                Ok(pair.access_token.clone())
            }
            Some(pair) => {
                let using = pair.refresh_token.clone();
                self.refresh(&mut current, &using).await
            }
            None => {
                let using = self.seed.clone();
                self.refresh(&mut current, &using).await
            }
        }
    }

    /// The CRM answered 401 to `rejected`: a new access token, refreshed once
    /// however many callers report the same rejected token.
    pub async fn after_unauthorized(&self, rejected: &Secret) -> Result<Secret> {
        let mut current = self.current.lock().await;
        self.load(&mut current)?;
        let using = match current.as_ref() {
            Some(pair) if pair.access_token.expose() != rejected.expose() => {
                return Ok(pair.access_token.clone());
            }
            Some(pair) => pair.refresh_token.clone(),
            None => self.seed.clone(),
        };
        self.refresh(&mut current, &using).await
    }

    fn load(&self, current: &mut Option<TokenPair>) -> Result<()> {
        if self.loaded.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Ok(());
        }
        *current = match self.vault.load_tokens(&self.source)? {
            Some((pair, seed)) if seed == self.seed_fingerprint => Some(pair),
            Some(_) => {
                tracing::info!(source = %self.source, "the configured refresh token changed; starting from it");
                None
            }
            None => None,
        };
        Ok(())
    }

    async fn refresh(&self, current: &mut Option<TokenPair>, using: &Secret) -> Result<Secret> {
        // Connectors add the source's name to errors; the keeper says only what happened.
        let pair = self.refresher.refresh(using).await.map_err(|e| {
            if e.kind() == ErrorKind::Auth {
                let refused = Error::auth(format!(
                    "the refresh token was refused ({}); {}",
                    e.message(),
                    self.how_to_reauthorise
                ));
                match e.target() {
                    Some(target) => refused.with_target(target),
                    None => refused,
                }
            } else {
                e.context("refreshing the access token")
            }
        })?;
        self.vault
            .save_tokens(&self.source, &pair, &self.seed_fingerprint)
            .map_err(|e| e.context("saving the new tokens"))?;
        tracing::info!(source = %self.source, expires_at = %pair.expires_at, "access token refreshed and saved");
        let access = pair.access_token.clone();
        *current = Some(pair);
        Ok(access)
    }
}

#[cfg(test)]
mod tests;
