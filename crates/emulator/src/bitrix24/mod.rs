//! A fake Bitrix24 portal reached through an incoming webhook:
//! `crm.deal.list`/`get`, `crm.contact.list`/`get`,
//! `crm.deal.contact.items.get`, `crm.item.list` (deals), `scope` and
//! `batch`, with the portal's string scalars (native types in `crm.item.*`),
//! paging, errors and leaky-bucket rate limit.

mod batch;
mod error;
mod fields;
mod methods;
mod portal;
mod query;
mod replies;
mod request;
mod routes;
mod store;
mod time;

use std::io;
use std::sync::Arc;

use self::portal::Portal;
use crate::data::DataSet;
use crate::faults::Faults;
use crate::harness::Harness;
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
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

impl Default for Bitrix24Options {
    /// User 1, a fixed code, no data, the non-Enterprise limit (50, 2/s)
    /// enforced, any free port.
    fn default() -> Self {
        Bitrix24Options {
            user_id: 1,
            webhook_code: "k3y5ecr3tc0de9x1".to_owned(),
            data: DataSet::empty(),
            bucket_capacity: 50,
            drain_per_second: 2.0,
            enforce_rate_limit: true,
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
        let port = options.port;
        let portal = Arc::new(Portal::new(options));
        let routes = routes::router(portal.clone());
        let harness =
            Harness::start(portal.clone(), routes, Arc::new(Faults::default()), port).await?;
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

    /// Every HTTP request so far, in order, webhook code masked.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.harness.requests()
    }

    /// Forgets the requests recorded so far.
    pub fn clear_requests(&self) {
        self.harness.clear_requests();
    }
}
