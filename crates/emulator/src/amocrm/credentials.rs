//! Who may call the account: one long-lived token, or an OAuth integration
//! whose token pairs rotate.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::http::{HeaderMap, header};

use super::AmoAuth;
use crate::tokens::{AccessCheck, Rotation, TokenStore};

/// The account's credentials.
#[derive(Debug)]
pub(crate) enum Credentials {
    /// A long-lived token of a private integration; no refresh.
    LongLived {
        /// The token.
        token: String,
        /// Whether it has expired (or been revoked).
        expired: AtomicBool,
    },
    /// An OAuth integration.
    OAuth(Box<OAuthClient>),
}

/// An OAuth integration and the tokens issued to it.
#[derive(Debug)]
pub(crate) struct OAuthClient {
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    /// Every token issued so far; the old refresh token lives until the new
    /// pair is used.
    pub tokens: TokenStore,
}

/// What a client proved about itself at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientCheck {
    /// Every credential matches.
    Known,
    /// A credential is absent: its parameter name.
    Missing(&'static str),
    /// A credential is wrong.
    Wrong,
}

impl Credentials {
    /// The credentials `auth` describes; access tokens live `lifetime`.
    pub fn new(auth: AmoAuth, lifetime: Duration) -> Self {
        match auth {
            AmoAuth::LongLived { token } => Credentials::LongLived {
                token,
                expired: AtomicBool::new(false),
            },
            AmoAuth::OAuth {
                client_id,
                client_secret,
                redirect_uri,
                initial_refresh_token,
                initial_access_token,
            } => Credentials::OAuth(Box::new(OAuthClient {
                tokens: TokenStore::new(
                    Rotation::WhenNewPairUsed,
                    lifetime,
                    &initial_refresh_token,
                    initial_access_token.as_deref(),
                ),
                client_id,
                client_secret,
                redirect_uri,
            })),
        }
    }

    /// Whether the request's `Authorization: Bearer …` is a working token.
    pub fn accepts(&self, headers: &HeaderMap) -> bool {
        let Some(token) = bearer(headers) else {
            return false;
        };
        match self {
            Credentials::LongLived {
                token: own,
                expired,
            } => token == own && !expired.load(Ordering::SeqCst),
            Credentials::OAuth(client) => client.tokens.check_access(token) == AccessCheck::Valid,
        }
    }

    /// The OAuth integration, if the account has one.
    pub fn oauth(&self) -> Option<&OAuthClient> {
        match self {
            Credentials::OAuth(client) => Some(client),
            Credentials::LongLived { .. } => None,
        }
    }

    /// Every access token (or the long-lived token) stops working.
    pub fn expire_access_tokens(&self) {
        match self {
            Credentials::LongLived { expired, .. } => expired.store(true, Ordering::SeqCst),
            Credentials::OAuth(client) => client.tokens.expire_access_tokens(),
        }
    }
}

impl OAuthClient {
    /// Checks `client_id`, `client_secret` and `redirect_uri`, in that order.
    pub fn check_client(
        &self,
        client_id: Option<&str>,
        client_secret: Option<&str>,
        redirect_uri: Option<&str>,
    ) -> ClientCheck {
        let given = [
            ("client_id", client_id, &self.client_id),
            ("client_secret", client_secret, &self.client_secret),
            ("redirect_uri", redirect_uri, &self.redirect_uri),
        ];
        for (name, value, _) in given {
            if value.is_none_or(str::is_empty) {
                return ClientCheck::Missing(name);
            }
        }
        if given
            .iter()
            .all(|(_, value, own)| *value == Some(own.as_str()))
        {
            ClientCheck::Known
        } else {
            ClientCheck::Wrong
        }
    }
}

/// The token of `Authorization: Bearer <token>` (scheme in any case).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn bearer_tokens() {
        let c = Credentials::new(
            AmoAuth::LongLived {
                token: "t0k".into(),
            },
            Duration::from_secs(60),
        );
        assert!(c.accepts(&headers("Bearer t0k")));
        assert!(c.accepts(&headers("bearer  t0k ")));
        assert!(!c.accepts(&headers("Bearer other")));
        assert!(!c.accepts(&headers("Basic t0k")));
        assert!(!c.accepts(&headers("t0k")));
        assert!(!c.accepts(&HeaderMap::new()));
        c.expire_access_tokens();
        assert!(!c.accepts(&headers("Bearer t0k")));
    }
}
