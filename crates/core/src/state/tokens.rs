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
