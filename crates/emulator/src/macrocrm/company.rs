//! The fake company's state: its data, its keys and what it has seen.

use std::sync::{Mutex, RwLock, RwLockReadGuard};

use super::MacroOptions;
use crate::data::DataSet;
use crate::data::store::Store;
use crate::lock::{lock, read, write};

/// One MACRO company.
#[derive(Debug)]
pub(crate) struct Company {
    pub options: MacroOptions,
    store: RwLock<Store>,
    signed: Mutex<Vec<i64>>,
    tokens: Mutex<Vec<String>>,
}

impl Company {
    /// A company set up as `options` say.
    pub fn new(mut options: MacroOptions) -> Self {
        let mut store = Store::default();
        store.add(std::mem::take(&mut options.data));
        Company {
            options,
            store: RwLock::new(store),
            signed: Mutex::new(Vec::new()),
            tokens: Mutex::new(Vec::new()),
        }
    }

    /// Read access to the заявки and contacts.
    pub fn store(&self) -> RwLockReadGuard<'_, Store> {
        read(&self.store)
    }

    /// Adds заявки and contacts.
    pub fn add(&self, data: DataSet) {
        write(&self.store).add(data);
    }

    /// Notes a token received.
    pub fn saw_token(&self, token: &str) {
        lock(&self.tokens).push(token.to_owned());
    }

    /// Notes an accepted signature's time.
    pub fn accepted(&self, time: i64) {
        lock(&self.signed).push(time);
    }

    /// Times of accepted signatures.
    pub fn signed_times(&self) -> Vec<i64> {
        lock(&self.signed).clone()
    }

    /// Tokens received.
    pub fn tokens_seen(&self) -> Vec<String> {
        lock(&self.tokens).clone()
    }

    /// `key` as this company names it in replies.
    pub fn key<'a>(&'a self, key: &'a str) -> &'a str {
        self.options.renamed.get(key).map_or(key, String::as_str)
    }
}
