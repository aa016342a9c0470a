//! A fake Bitrix24 portal reached through an incoming webhook (and, when
//! configured, an OAuth application with its token endpoint):
//! `crm.deal.list`/`get`, `crm.contact.list`/`get`,
//! `crm.deal.contact.items.get`, `crm.item.list` (deals), `scope` and
//! `batch`, with the portal's string scalars (native types in `crm.item.*`),
//! paging, errors and leaky-bucket rate limit.

mod batch;
mod error;
mod fields;
mod methods;
mod oauth;
mod portal;
mod query;
mod replies;
mod routes;
mod time;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use self::portal::Portal;
use crate::data::DataSet;
use crate::faults::Faults;
use crate::harness::{Harness, Listener};
use crate::record::RecordedRequest;

/// How to set up a fake portal.
#[derive(Debug, Clone)]
pub struct Bitrix24Options {
    /// The user id in the webhook URL.
    pub user_id: u32,
    /// The secret code in the webhook URL.
    pub webhook_code: String,
    /// The deals and contacts the portal starts with.
    pub data: DataSet,
    /// Leaky-bucket size (requests).
    pub bucket_capacity: u32,
    /// Leaky-bucket drain rate (requests per second).
    pub drain_per_second: f64,
    /// Whether the bucket is enforced (503 `QUERY_LIMIT_EXCEEDED` when full).
    pub enforce_rate_limit: bool,
    /// An OAuth application installed on the portal: the fake then also
    /// serves the token endpoint (`/oauth/token/`) and REST calls with
    /// `auth=<access_token>` at `/rest/{method}`. `None`: webhook only.
    pub oauth: Option<Bitrix24OAuth>,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

/// An OAuth application installed on a fake portal.
#[derive(Debug, Clone)]
pub struct Bitrix24OAuth {
    /// The application's `client_id`.
    pub client_id: String,
    /// The application's `client_secret`.
    pub client_secret: String,
    /// The refresh token the application was installed with.
    pub initial_refresh_token: String,
    /// How long an access token works (Bitrix24: one hour).
    pub access_token_lifetime: Duration,
}

impl Default for Bitrix24Options {
    /// User 1, a fixed code, no data, the non-Enterprise limit (50, 2/s)
    /// enforced, webhook auth only, any free port.
    fn default() -> Self {
        Bitrix24Options {
            user_id: 1,
            webhook_code: "k3y5ecr3tc0de9x1".to_owned(),
            data: DataSet::empty(),
            bucket_capacity: 50,
            drain_per_second: 2.0,
            enforce_rate_limit: true,
            oauth: None,
            port: 0,
        }
    }
}

/// A running fake Bitrix24 portal. Dropping it stops the server.
#[derive(Debug)]
pub struct Bitrix24Fake {
    portal: Arc<Portal>,
    harness: Harness,
}

impl Bitrix24Fake {
    /// Starts the portal on `127.0.0.1:options.port` (0 = any free port).
    pub async fn start(options: Bitrix24Options) -> io::Result<Bitrix24Fake> {
        let listener = Listener::bind(options.port).await?;
        let portal = Arc::new(Portal::new(options, listener.base_url()?));
        let routes = routes::router(portal.clone());
        let harness = Harness::start_on(
            listener,
            portal.clone(),
            routes,
            Arc::new(Faults::default()),
        )?;
        Ok(Bitrix24Fake { portal, harness })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.harness.base_url()
    }

    /// `http://127.0.0.1:PORT/rest/{user_id}/{webhook_code}/`.
    pub fn webhook_url(&self) -> String {
        format!(
            "{}/rest/{}/{}/",
            self.base_url(),
            self.portal.user_id,
            self.portal.webhook_code
        )
    }

    /// `http://127.0.0.1:PORT/oauth/token/`, the fake `oauth.bitrix.info`
    /// token endpoint (served only with [`Bitrix24Options::oauth`]).
    pub fn oauth_server_url(&self) -> String {
        format!("{}/oauth/token/", self.base_url())
    }

    /// `http://127.0.0.1:PORT/rest/`, the `client_endpoint` of token
    /// replies: call `{client_endpoint}{method}` with `auth=<access_token>`.
    pub fn client_endpoint(&self) -> String {
        format!("{}/rest/", self.base_url())
    }

    /// Every access token issued so far gets 401 `expired_token` from now
    /// on. No effect without OAuth.
    pub fn expire_access_tokens(&self) {
        if let Some(app) = &self.portal.oauth {
            app.tokens.expire_access_tokens();
        }
    }

    /// Every refresh token issued so far gets `invalid_grant` from now on
    /// (the application was uninstalled, or the token outlived 180 days).
    /// No effect without OAuth.
    pub fn revoke_refresh_tokens(&self) {
        if let Some(app) = &self.portal.oauth {
            app.tokens.revoke_refresh_tokens();
        }
    }

    /// The newest refresh token issued (the initial one before any
    /// refresh), whether or not it still works; `None` without OAuth.
    pub fn current_refresh_token(&self) -> Option<String> {
        self.portal
            .oauth
            .as_ref()
            .and_then(|app| app.tokens.current_refresh_token())
    }

    /// Every OAuth token of the application: the seeded ones and every
    /// access and refresh token issued since; empty without OAuth.
    pub fn tokens_issued(&self) -> Vec<String> {
        self.portal
            .oauth
            .as_ref()
            .map(|app| app.tokens.all_tokens())
            .unwrap_or_default()
    }

    /// Successful refreshes so far.
    pub fn refreshes(&self) -> usize {
        self.portal
            .oauth
            .as_ref()
            .map_or(0, |app| app.tokens.refreshes())
    }

    /// Adds deals and contacts while the portal runs. Ids may be lower than
    /// existing ones (a late commit); an existing id is replaced.
    pub fn add_deals(&self, data: DataSet) {
        self.portal.add(data);
    }

    /// How many deals the portal holds.
    pub fn deal_count(&self) -> usize {
        self.portal.store().deals().len()
    }

    /// The fault knobs.
    pub fn faults(&self) -> &Faults {
        self.harness.faults()
    }

    /// Every HTTP request so far, in order, webhook code masked (tokens
    /// travel in parameters, never in the recorded path).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.harness.requests()
    }

    /// Forgets the requests recorded so far.
    pub fn clear_requests(&self) {
        self.harness.clear_requests();
    }
}
