//! The fake account's state: its data, tokens and time zone.

use std::sync::{RwLock, RwLockReadGuard};

use chrono_tz::Tz;

use super::DomoplanerOptions;
use crate::data::DataSet;
use crate::data::store::Store;
use crate::lock::{read, write};

/// One Domoplaner account.
#[derive(Debug)]
pub(crate) struct Account {
    pub options: DomoplanerOptions,
    /// The account's time zone.
    pub zone: Tz,
    store: RwLock<Store>,
}

impl Account {
    /// An account set up as `options` say, its datetimes in `zone`.
    pub fn new(mut options: DomoplanerOptions, zone: Tz) -> Self {
        let mut store = Store::default();
        store.add(std::mem::take(&mut options.data));
        Account {
            options,
            zone,
            store: RwLock::new(store),
        }
    }

    /// Read access to the deals and contacts.
    pub fn store(&self) -> RwLockReadGuard<'_, Store> {
        read(&self.store)
    }

    /// `key` as this account names it in the feed.
    pub fn key<'a>(&'a self, key: &'a str) -> &'a str {
        self.options.renamed.get(key).map_or(key, String::as_str)
    }

    /// Adds deals and contacts.
    pub fn add(&self, data: DataSet) {
        write(&self.store).add(data);
    }
}
