//! The portal's OAuth 2.0 application: the `oauth.bitrix.info` token
//! endpoint, and `auth=<access_token>` on REST calls at `/rest/{method}`.

mod server;

pub(crate) use server::{token_endpoint, wrong_method};

use super::Bitrix24OAuth;
use super::error::ApiError;
use crate::params::Param;
use crate::tokens::{AccessCheck, Rotation, TokenStore};

/// The portal's `member_id` in token replies.
pub(crate) const MEMBER_ID: &str = "a223c6b3710f85df22e9377d6c4f7553";

/// One installed application: its credentials and the tokens issued to it.
#[derive(Debug)]
pub(crate) struct OAuthApp {
    client_id: String,
    client_secret: String,
    /// Every token issued so far; Bitrix24 rotates refresh tokens at once.
    pub tokens: TokenStore,
}

impl OAuthApp {
    /// The application `options` describe.
    pub fn new(options: Bitrix24OAuth) -> Self {
        OAuthApp {
            tokens: TokenStore::new(
                Rotation::AtOnce,
                options.access_token_lifetime,
                &options.initial_refresh_token,
                None,
            ),
            client_id: options.client_id,
            client_secret: options.client_secret,
        }
    }

    /// Whether `client_id` and `client_secret` are this application's.
    pub fn client_matches(&self, client_id: Option<&str>, client_secret: Option<&str>) -> bool {
        client_id == Some(self.client_id.as_str())
            && client_secret == Some(self.client_secret.as_str())
    }

    /// Checks the `auth` parameter of a REST call (query or body; for a
    /// `batch` it covers every sub-call).
    pub fn authenticate(&self, params: &Param) -> Result<(), ApiError> {
        let Some(token) = params.get("auth").and_then(Param::text) else {
            return Err(ApiError::no_auth());
        };
        match self.tokens.check_access(&token) {
            AccessCheck::Valid => Ok(()),
            AccessCheck::Expired => Err(ApiError::expired_token()),
            AccessCheck::Unknown => Err(ApiError::invalid_token()),
        }
    }
}
