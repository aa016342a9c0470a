//! A fake amoCRM (Kommo) account: `GET /api/v4/leads` (HAL pages, 204 when
//! empty), `/api/v4/contacts` (phones in a `multitext` field),
//! `/api/v4/account`, and `POST /oauth2/access_token` with rotating refresh
//! tokens; Bearer auth, problem+json errors, 7 requests a second with 429s
//! and then a 403 block, and the 402 of an unpaid account.

mod account;
mod credentials;
mod endpoints;
mod entities;
mod gate;
mod hal;
mod limits;
mod problem;
mod query;
mod replies;
mod routes;

use std::io;
use std::sync::Arc;
use std::time::Duration;

use self::account::Account;
use crate::data::DataSet;
use crate::faults::Faults;
use crate::harness::{Harness, Listener};
use crate::record::RecordedRequest;

/// How clients authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmoAuth {
    /// A private integration's long-lived token; no refresh.
    LongLived {
        /// The token `Authorization: Bearer` must carry.
        token: String,
    },
    /// An OAuth integration: access tokens expire, refresh tokens rotate.
    OAuth {
        /// The integration id.
        client_id: String,
        /// The integration's secret key.
        client_secret: String,
        /// The redirect URI registered for the integration.
        redirect_uri: String,
        /// The refresh token the integration starts with.
        initial_refresh_token: String,
        /// An access token valid from the start, if any.
        initial_access_token: Option<String>,
    },
}

/// How to set up a fake account.
#[derive(Debug, Clone)]
pub struct AmoOptions {
    /// The deals (served as leads) and contacts the account starts with.
    pub data: DataSet,
    /// How clients authenticate.
    pub auth: AmoAuth,
    /// Whether the 7 requests/s limit is enforced: above it 429 with
    /// `retry_after`; after `block_after` 429s in a row, 403 on everything
    /// until [`AmoFake::unblock`].
    pub enforce_rate_limit: bool,
    /// 429s in a row before the block; a second without a 429 starts the
    /// count again (a client honouring `retry_after` is never blocked).
    pub block_after: u32,
    /// How long an OAuth access token works (`expires_in` of token replies).
    pub access_token_lifetime: Duration,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

impl Default for AmoOptions {
    /// No data, a fixed long-lived token, the limit enforced with a block
    /// after 20 429s, 24-hour access tokens, any free port.
    fn default() -> Self {
        AmoOptions {
            data: DataSet::empty(),
            auth: AmoAuth::LongLived {
                token: "amo-long-lived-test-token".to_owned(),
            },
            enforce_rate_limit: true,
            block_after: 20,
            access_token_lifetime: Duration::from_secs(24 * 3600),
            port: 0,
        }
    }
}

/// A running fake amoCRM account. Dropping it stops the server.
#[derive(Debug)]
pub struct AmoFake {
    account: Arc<Account>,
    harness: Harness,
}

impl AmoFake {
    /// Starts the account on `127.0.0.1:options.port` (0 = any free port).
    pub async fn start(options: AmoOptions) -> io::Result<AmoFake> {
        let listener = Listener::bind(options.port).await?;
        let account = Arc::new(Account::new(options, listener.base_url()?));
        let routes = routes::router(account.clone());
        let harness = Harness::start_on(
            listener,
            account.clone(),
            routes,
            Arc::new(Faults::default()),
        )?;
        Ok(AmoFake { account, harness })
    }

    /// `http://127.0.0.1:PORT`, the account's base URL (what
    /// `https://sub.amocrm.ru` is for a real one).
    pub fn base_url(&self) -> String {
        self.harness.base_url()
    }

    /// Adds deals as leads, and their contacts, while the account runs; an
    /// existing id is replaced.
    pub fn add_leads(&self, data: DataSet) {
        self.account.add(data);
    }

    /// How many leads the account holds.
    pub fn lead_count(&self) -> usize {
        self.account.store().deals().len()
    }

    /// The fault knobs.
    pub fn faults(&self) -> &Faults {
        self.harness.faults()
    }

    /// Every HTTP request so far, in order: methods `leads`, `leads/{id}`,
    /// `contacts`, `contacts/{id}`, `account`, `oauth2/access_token`.
    /// Tokens travel in headers and bodies, never in a recorded path.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.harness.requests()
    }

    /// Forgets the requests recorded so far.
    pub fn clear_requests(&self) {
        self.harness.clear_requests();
    }

    /// Every refresh token issued so far stops working (the integration
    /// was uninstalled, or sat unused for three months). No effect with a
    /// long-lived token.
    pub fn revoke_refresh_tokens(&self) {
        if let Some(client) = self.account.credentials.oauth() {
            client.tokens.revoke_refresh_tokens();
        }
    }

    /// Every access token issued so far (or the long-lived token) gets 401
    /// from now on.
    pub fn expire_access_tokens(&self) {
        self.account.credentials.expire_access_tokens();
    }

    /// The newest refresh token issued (the initial one before any
    /// refresh), whether or not it still works; `None` with a long-lived
    /// token.
    pub fn current_refresh_token(&self) -> Option<String> {
        self.account
            .credentials
            .oauth()
            .and_then(|client| client.tokens.current_refresh_token())
    }

    /// Every OAuth token of the integration: the seeded ones and every
    /// access and refresh token issued since; empty with a long-lived token.
    pub fn tokens_issued(&self) -> Vec<String> {
        self.account
            .credentials
            .oauth()
            .map(|client| client.tokens.all_tokens())
            .unwrap_or_default()
    }

    /// Successful `refresh_token` grants so far.
    pub fn refreshes(&self) -> usize {
        self.account
            .credentials
            .oauth()
            .map_or(0, |client| client.tokens.refreshes())
    }

    /// Lifts the 403 block that repeated 429s caused.
    pub fn unblock(&self) {
        self.account.limits.unblock();
    }

    /// While on, every request gets 402 `Payment Required`.
    pub fn set_account_unpaid(&self, unpaid: bool) {
        self.account.set_unpaid(unpaid);
    }
}
