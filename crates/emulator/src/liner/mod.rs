//! A fake Liner API: `POST /v2/lead/create-async/`, `POST /v2/lead/create/`
//! and `GET /v2/order/`, behind `X-Api-Key`, with strict validation and an
//! optional server-side rate limit.

mod account;
mod envelope;
mod orders;
mod replies;
mod routes;
mod validate;

use std::io;
use std::sync::Arc;

use self::account::Account;
use crate::faults::Faults;
use crate::harness::Harness;
use crate::record::RecordedRequest;

/// How the sync create (`/v2/lead/create/`) reports the new lead's id; the
/// docs do not say, so tests try both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncIdFormat {
    /// `"data": 17`.
    #[default]
    Number,
    /// `"data": {"id": 17}`.
    Object,
}

/// How to set up a fake Liner.
#[derive(Debug, Clone)]
pub struct LinerOptions {
    /// The integration token `X-Api-Key` must carry.
    pub api_key: String,
    /// Orders as `(id, code)`.
    pub orders: Vec<(u64, String)>,
    /// `None`: no server limit; `Some(r)`: over `r` requests per second
    /// (with a one-second burst) → 429 with `Retry-After`.
    pub rate_limit_per_second: Option<f64>,
    /// How the sync create reports the new id.
    pub sync_id_format: SyncIdFormat,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

impl Default for LinerOptions {
    /// A fixed test key, orders 101 `main` and 102 `spb`, no rate limit,
    /// numeric sync ids, any free port.
    fn default() -> Self {
        LinerOptions {
            api_key: "liner-test-api-key".to_owned(),
            orders: vec![(101, "main".to_owned()), (102, "spb".to_owned())],
            rate_limit_per_second: None,
            sync_id_format: SyncIdFormat::Number,
            port: 0,
        }
    }
}

/// A lead the fake accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedLead {
    /// The JSON body as sent.
    pub body: serde_json::Value,
    /// `true` for `/v2/lead/create/`, `false` for `create-async`.
    pub sync: bool,
    /// The id Liner gave it.
    pub lead_id: u64,
}

/// A running fake Liner. Dropping it stops the server.
#[derive(Debug)]
pub struct LinerFake {
    account: Arc<Account>,
    harness: Harness,
}

impl LinerFake {
    /// Starts the fake on `127.0.0.1:options.port` (0 = any free port).
    pub async fn start(options: LinerOptions) -> io::Result<LinerFake> {
        let port = options.port;
        let faults = Arc::new(Faults::default());
        let account = Arc::new(Account::new(options, faults.clone()));
        let routes = routes::router(account.clone());
        let harness = Harness::start(account.clone(), routes, faults, port).await?;
        Ok(LinerFake { account, harness })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.harness.base_url()
    }

    /// Every accepted lead, in order.
    pub fn received(&self) -> Vec<ReceivedLead> {
        self.account.received()
    }

    /// How many leads were accepted, without copying them.
    pub fn received_count(&self) -> usize {
        self.account.received_count()
    }

    /// The fault knobs.
    pub fn faults(&self) -> &Faults {
        self.harness.faults()
    }

    /// Every HTTP request so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.harness.requests()
    }

    /// Forgets the requests recorded so far.
    pub fn clear_requests(&self) {
        self.harness.clear_requests();
    }
}
