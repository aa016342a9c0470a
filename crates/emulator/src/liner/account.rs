//! The fake Liner account: its key, orders, rate limit and accepted leads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use super::{LinerOptions, ReceivedLead, SyncIdFormat};
use crate::faults::Faults;
use crate::leaky_bucket::LeakyBucket;
use crate::lock::lock;

/// The first id a created lead gets.
const FIRST_LEAD_ID: u64 = 10_001;

/// One Liner account behind one integration token.
#[derive(Debug)]
pub(crate) struct Account {
    api_key: String,
    /// Orders as `(id, code)`.
    pub orders: Vec<(u64, String)>,
    /// How the sync create reports the new id.
    pub sync_id_format: SyncIdFormat,
    /// The fault knobs (validation replies read `reject_with_200`).
    pub faults: Arc<Faults>,
    limiter: Option<LeakyBucket>,
    received: Mutex<Vec<ReceivedLead>>,
    next_id: AtomicU64,
}

impl Account {
    /// An account set up as `options` say.
    pub fn new(options: LinerOptions, faults: Arc<Faults>) -> Self {
        // A one-second burst: a client pacing itself at the configured rate
        // with the usual burst never trips the limit.
        let limiter = options
            .rate_limit_per_second
            .filter(|rate| rate.is_finite() && *rate > 0.0)
            .map(|rate| LeakyBucket::new(rate.ceil().max(1.0), rate));
        Account {
            api_key: options.api_key,
            orders: options.orders,
            sync_id_format: options.sync_id_format,
            faults,
            limiter,
            received: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(FIRST_LEAD_ID),
        }
    }

    /// Whether `given` is this account's API key.
    pub fn key_matches(&self, given: Option<&str>) -> bool {
        given == Some(self.api_key.as_str())
    }

    /// Counts a request against the rate limit, or says how long to wait.
    pub fn admit(&self) -> Result<(), Duration> {
        self.limiter.as_ref().map_or(Ok(()), LeakyBucket::try_admit)
    }

    /// Stores an accepted lead and returns its new id.
    pub fn accept(&self, body: Value, sync: bool) -> u64 {
        let lead_id = self.next_id.fetch_add(1, Ordering::SeqCst);
        lock(&self.received).push(ReceivedLead {
            body,
            sync,
            lead_id,
        });
        lead_id
    }

    /// Every accepted lead, in order.
    pub fn received(&self) -> Vec<ReceivedLead> {
        lock(&self.received).clone()
    }

    /// How many leads were accepted.
    pub fn received_count(&self) -> usize {
        lock(&self.received).len()
    }
}
