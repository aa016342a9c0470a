//! The fake account's state: its data, credentials, limits and payment.

use std::sync::RwLock;
use std::sync::RwLockReadGuard;
use std::sync::atomic::{AtomicBool, Ordering};

use super::AmoOptions;
use super::credentials::Credentials;
use super::limits::Limits;
use crate::data::DataSet;
use crate::data::store::Store;
use crate::lock::{read, write};

/// One amoCRM account.
#[derive(Debug)]
pub(crate) struct Account {
    /// `http://127.0.0.1:PORT`, the account's base URL (`https://sub.amocrm.ru`).
    pub base_url: String,
    /// Who may call.
    pub credentials: Credentials,
    /// 7 requests a second, then 429, then the block.
    pub limits: Limits,
    unpaid: AtomicBool,
    store: RwLock<Store>,
}

impl Account {
    /// An account set up as `options` say, served at `base_url`.
    pub fn new(options: AmoOptions, base_url: String) -> Self {
        let mut store = Store::default();
        store.add(options.data);
        Account {
            base_url,
            credentials: Credentials::new(options.auth, options.access_token_lifetime),
            limits: Limits::new(options.enforce_rate_limit, options.block_after),
            unpaid: AtomicBool::new(false),
            store: RwLock::new(store),
        }
    }

    /// Read access to the leads (deals) and contacts.
    pub fn store(&self) -> RwLockReadGuard<'_, Store> {
        read(&self.store)
    }

    /// Adds leads and contacts.
    pub fn add(&self, data: DataSet) {
        write(&self.store).add(data);
    }

    /// Whether the paid period is over.
    pub fn unpaid(&self) -> bool {
        self.unpaid.load(Ordering::SeqCst)
    }

    /// Ends (or restores) the paid period.
    pub fn set_unpaid(&self, unpaid: bool) {
        self.unpaid.store(unpaid, Ordering::SeqCst);
    }

    /// `{base_url}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}
