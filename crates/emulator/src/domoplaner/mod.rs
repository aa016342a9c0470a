//! A fake Domoplaner account: the "Полный от сделок" JSON deals feed at
//! `/feeds/<token>.json` (the whole data set on every call, datetimes as
//! naive `YYYY-MM-DD HH:mm:ss` in the account's time zone, a 404 page for a
//! wrong token, like a real site) and the Bearer-token leads API at
//! `/api/leads/get-by-id?id=` (`{"lead": {…}, "phones": [{"value"}]}`).
//!
//! The feed's field names are not published: the fake uses the names the
//! connector assumes (`deals`, `id`, `dt_create`, `client.phones[].value`,
//! …; see `crates/domoplaner/README.md`). The leads API follows third-party
//! code.

mod account;
mod records;
mod replies;
mod routes;

use std::collections::BTreeMap;
use std::io;
use std::str::FromStr;
use std::sync::Arc;

use self::account::Account;
use crate::data::DataSet;
use crate::faults::Faults;
use crate::harness::Harness;
use crate::record::RecordedRequest;

/// How to set up a fake account.
#[derive(Debug, Clone)]
pub struct DomoplanerOptions {
    /// The deals and their contacts; a deal's client is its first contact
    /// with a phone (else its first contact).
    pub data: DataSet,
    /// The secret part of the feed's address.
    pub feed_token: String,
    /// The leads API's Bearer token; `None`: no leads API.
    pub api_token: Option<String>,
    /// The account's time zone (IANA name): the feed writes datetimes in it.
    pub timezone: String,
    /// Whether the feed carries clients' phones. `false`: it does not, and
    /// only the leads API has them.
    pub include_phones: bool,
    /// Keys renamed in the feed (`deals` → `items`, `dt_create` →
    /// `Дата создания`, `client` → `buyer`): the list's, a deal's and a
    /// client's keys, as the real feed may name them.
    pub renamed: BTreeMap<String, String>,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

impl Default for DomoplanerOptions {
    /// No data, a fixed feed token, no leads API, Moscow time, phones in the
    /// feed, the assumed key names, any free port.
    fn default() -> Self {
        DomoplanerOptions {
            data: DataSet::empty(),
            feed_token: "domoplaner-feed-token".to_owned(),
            api_token: None,
            timezone: "Europe/Moscow".to_owned(),
            include_phones: true,
            renamed: BTreeMap::new(),
            port: 0,
        }
    }
}

/// A running fake Domoplaner account. Dropping it stops the server.
#[derive(Debug)]
pub struct DomoplanerFake {
    account: Arc<Account>,
    harness: Harness,
}

impl DomoplanerFake {
    /// Starts the account on `127.0.0.1:options.port` (0 = any free port).
    /// Fails when `options.timezone` is not an IANA time zone.
    pub async fn start(options: DomoplanerOptions) -> io::Result<DomoplanerFake> {
        let zone = chrono_tz::Tz::from_str(&options.timezone).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("'{}' is not an IANA time zone", options.timezone),
            )
        })?;
        let port = options.port;
        let account = Arc::new(Account::new(options, zone));
        let routes = routes::router(account.clone());
        let harness =
            Harness::start(account.clone(), routes, Arc::new(Faults::default()), port).await?;
        Ok(DomoplanerFake { account, harness })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.harness.base_url()
    }

    /// The feed's secret address, what Domoplaner shows under Settings →
    /// Integrations → Data export.
    pub fn feed_url(&self) -> String {
        format!(
            "{}/feeds/{}.json",
            self.base_url(),
            self.account.options.feed_token
        )
    }

    /// The leads API's base (`…/api`): `leads/get-by-id` is under it.
    pub fn api_base(&self) -> String {
        format!("{}/api", self.base_url())
    }

    /// Adds deals and their contacts while the account runs; an existing id
    /// is replaced.
    pub fn add_deals(&self, data: DataSet) {
        self.account.add(data);
    }

    /// How many deals the feed holds.
    pub fn deal_count(&self) -> usize {
        self.account.store().deals().len()
    }

    /// The fault knobs. Broken auth answers the feed's 404 page.
    pub fn faults(&self) -> &Faults {
        self.harness.faults()
    }

    /// Every HTTP request so far, in order: methods `feed` (path recorded as
    /// `/feeds/***.json`) and `leads/get-by-id`.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.harness.requests()
    }

    /// Forgets the requests recorded so far.
    pub fn clear_requests(&self) {
        self.harness.clear_requests();
    }
}
