//! The newest OAuth token pair per source.

use super::{StateStore, now};
use crate::auth::{TokenPair, TokenVault};
use crate::config::Secret;
use crate::{Error, Result};
use rusqlite::{OptionalExtension, params};

impl TokenVault for StateStore {
    fn load_tokens(&self, source: &str) -> Result<Option<(TokenPair, String)>> {
        let row: Option<(String, String, String, String)> = self
            .conn()?
            .prepare_cached(
                "SELECT access_token, refresh_token, expires_at, seed FROM tokens WHERE source = ?1",
            )?
            .query_row(params![source], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .optional()?;
        row.map(|(access, refresh, expires, seed)| {
            let expires_at = chrono::DateTime::parse_from_rfc3339(&expires)
                .map_err(|e| {
                    Error::state(format!(
                        "the stored token expiry of source '{source}' is unreadable ({e})"
                    ))
                })?
                .with_timezone(&chrono::Utc);
            Ok((
                TokenPair {
                    access_token: Secret::new(access),
                    refresh_token: Secret::new(refresh),
                    expires_at,
                },
                seed,
            ))
        })
        .transpose()
    }

    fn save_tokens(&self, source: &str, pair: &TokenPair, seed: &str) -> Result<()> {
        if self.is_read_only() {
            return Err(Error::state(
                "the state file is open read-only; cannot save rotated tokens",
            ));
        }
        self.conn()?
            .prepare_cached(
                "INSERT INTO tokens (source, access_token, refresh_token, expires_at, seed, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (source) DO UPDATE SET access_token = excluded.access_token,
                    refresh_token = excluded.refresh_token, expires_at = excluded.expires_at,
                    seed = excluded.seed, updated_at = excluded.updated_at",
            )?
            .execute(params![
                source,
                pair.access_token.expose(),
                pair.refresh_token.expose(),
                pair.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                seed,
                now()
            ])?;
        Ok(())
    }
}

/// A [`TokenVault`] over a state file that is opened for writing only when a
/// rotated pair must be saved. Dry runs and `check` use it: they read nothing
/// else from the state, but a refresh token they rotate must not be lost (the
/// old one stops working once the new pair is used).
pub struct OnDemandVault {
    path: std::path::PathBuf,
    writer: std::sync::Mutex<Option<StateStore>>,
}

impl OnDemandVault {
    /// A vault over the state file at `path` (which need not exist yet).
    pub fn new(path: &std::path::Path) -> Self {
        Self {
            path: path.to_owned(),
            writer: std::sync::Mutex::new(None),
        }
    }

    fn with_writer<T>(&self, f: impl FnOnce(&StateStore) -> Result<T>) -> Result<T> {
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| Error::internal("the token vault lock was poisoned by a panic"))?;
        if writer.is_none() {
            *writer = Some(StateStore::open(&self.path)?);
        }
        match writer.as_ref() {
            Some(store) => f(store),
            None => Err(Error::internal("the token vault has no state file")),
        }
    }
}

impl TokenVault for OnDemandVault {
    fn load_tokens(&self, source: &str) -> Result<Option<(TokenPair, String)>> {
        let opened = self
            .writer
            .lock()
            .map_err(|_| Error::internal("the token vault lock was poisoned by a panic"))?
            .is_some();
        if opened {
            return self.with_writer(|s| s.load_tokens(source));
        }
        match StateStore::open_read_only(&self.path)? {
            Some(store) if store.has_tokens_table()? => store.load_tokens(source),
            _ => Ok(None),
        }
    }

    fn save_tokens(&self, source: &str, pair: &TokenPair, seed: &str) -> Result<()> {
        self.with_writer(|s| s.save_tokens(source, pair, seed))
    }
}

impl StateStore {
    /// False for a file written before tokens were kept (schema 1) and not yet
    /// upgraded; such a file holds no tokens.
    pub(crate) fn has_tokens_table(&self) -> Result<bool> {
        let n: i64 = self.conn()?.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tokens'",
            [],
            |r| r.get(0),
        )?;
        Ok(n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> TokenPair {
        TokenPair {
            access_token: Secret::new("acc"),
            refresh_token: Secret::new("ref"),
            expires_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn creates_the_state_file_only_to_save() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let vault = OnDemandVault::new(&path);
        assert!(vault.load_tokens("amo").unwrap().is_none());
        assert!(!path.exists(), "reading must not create the file");
        vault.save_tokens("amo", &pair(), "fp").unwrap();
        assert!(path.exists());
        assert_eq!(vault.load_tokens("amo").unwrap().unwrap().1, "fp");
        drop(vault);
        let again = OnDemandVault::new(&path);
        assert_eq!(
            again
                .load_tokens("amo")
                .unwrap()
                .unwrap()
                .0
                .refresh_token
                .expose(),
            "ref"
        );
    }
}
