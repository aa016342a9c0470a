//! The fake portal's state: who may call it, its data and its rate limit.

use std::sync::{RwLock, RwLockReadGuard};

use super::Bitrix24Options;
use super::error::ApiError;
use super::oauth::OAuthApp;
use crate::data::DataSet;
use crate::data::store::Store;
use crate::leaky_bucket::LeakyBucket;
use crate::lock::{read, write};
use crate::params::Param;

/// One Bitrix24 portal with one incoming webhook and, optionally, one OAuth
/// application.
#[derive(Debug)]
pub(crate) struct Portal {
    pub user_id: u32,
    pub webhook_code: String,
    /// `http://127.0.0.1:PORT`, for the endpoints in token replies.
    pub base_url: String,
    pub oauth: Option<OAuthApp>,
    store: RwLock<Store>,
    bucket: Option<LeakyBucket>,
}

impl Portal {
    /// A portal set up as `options` say, served at `base_url`.
    pub fn new(options: Bitrix24Options, base_url: String) -> Self {
        let mut store = Store::default();
        store.add(options.data);
        Portal {
            user_id: options.user_id,
            webhook_code: options.webhook_code,
            base_url,
            oauth: options.oauth.map(OAuthApp::new),
            store: RwLock::new(store),
            bucket: options.enforce_rate_limit.then(|| {
                LeakyBucket::new(f64::from(options.bucket_capacity), options.drain_per_second)
            }),
        }
    }

    /// Whether the path's user id and webhook code are this webhook's.
    pub fn authorised(&self, user: &str, code: &str) -> bool {
        user == self.user_id.to_string() && code == self.webhook_code
    }

    /// Checks the `auth=<access_token>` of a call at `/rest/{method}`.
    pub fn authenticate(&self, params: &Param) -> Result<(), ApiError> {
        self.oauth
            .as_ref()
            .ok_or_else(ApiError::no_auth)?
            .authenticate(params)
    }

    /// Counts a request against the leaky bucket; false when it overflows.
    pub fn admit(&self) -> bool {
        self.bucket.as_ref().is_none_or(|b| b.try_admit().is_ok())
    }

    /// Read access to the data.
    pub fn store(&self) -> RwLockReadGuard<'_, Store> {
        read(&self.store)
    }

    /// Adds deals and contacts.
    pub fn add(&self, data: DataSet) {
        write(&self.store).add(data);
    }
}
