//! A fake MACRO company data API: the заявки list at
//! `/estate/request/get/` (the path the connector assumes), every request
//! signed with `domain`, `time` and `token = md5(domain + time + app_secret)`
//! and, when set, the support-issued `company_token`. A wrong or stale
//! signature is answered HTTP 200 with `{"error": true, "message": …}`, as
//! MACRO may answer errors. Records carry naive local datetimes.

mod company;
mod paging;
mod records;
mod replies;
mod routes;
mod signature;

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

use chrono::FixedOffset;

use self::company::Company;
use crate::data::{DataSet, PORTAL_OFFSET};
use crate::faults::Faults;
use crate::harness::Harness;
use crate::record::RecordedRequest;

/// The path the fake serves the заявки list at.
pub const MACRO_PATH: &str = "/estate/request/get/";

/// Which paging style the fake serves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MacroPaging {
    /// One reply holds every record; paging parameters are ignored.
    None,
    /// `page` (from 1) and `limit` (default 100, at most 500).
    #[default]
    PageLimit,
    /// `offset` (from 0) and `limit`.
    OffsetLimit,
    /// `created_from` (`YYYY-MM-DD HH:MM:SS`, local) and an optional `limit`;
    /// oldest first.
    Since,
}

/// How to set up a fake company.
#[derive(Debug, Clone)]
pub struct MacroOptions {
    /// The заявки (deals) and their contacts.
    pub data: DataSet,
    /// The domain registered under Компания / Интеграции.
    pub domain: String,
    /// Its Защищенный ключ.
    pub app_secret: String,
    /// The company token every request must carry, if any.
    pub company_token: Option<String>,
    /// The paging style served.
    pub paging: MacroPaging,
    /// How far a request's `time` may be from the fake's clock, in seconds.
    pub max_skew_secs: i64,
    /// The company's UTC offset: records' datetimes are written in it,
    /// without an offset.
    pub timezone: FixedOffset,
    /// Keys renamed in replies (`data` → `items`, `created_at` →
    /// `date_create`), as another installation might name them.
    pub renamed: BTreeMap<String, String>,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

impl Default for MacroOptions {
    /// No data, a Cyrillic domain, a company token, page+limit paging, five
    /// minutes of clock skew allowed, Moscow time, any free port.
    fn default() -> Self {
        MacroOptions {
            data: DataSet::empty(),
            domain: "вашсайт.рф".to_owned(),
            app_secret: "macro-app-secret".to_owned(),
            company_token: Some("macro-company-token".to_owned()),
            paging: MacroPaging::default(),
            max_skew_secs: 300,
            timezone: PORTAL_OFFSET,
            renamed: BTreeMap::new(),
            port: 0,
        }
    }
}

/// A running fake MACRO company. Dropping it stops the server.
#[derive(Debug)]
pub struct MacroFake {
    company: Arc<Company>,
    harness: Harness,
}

impl MacroFake {
    /// Starts the company on `127.0.0.1:options.port` (0 = any free port).
    pub async fn start(options: MacroOptions) -> io::Result<MacroFake> {
        let port = options.port;
        let company = Arc::new(Company::new(options));
        let routes = routes::router(company.clone());
        let harness =
            Harness::start(company.clone(), routes, Arc::new(Faults::default()), port).await?;
        Ok(MacroFake { company, harness })
    }

    /// `http://127.0.0.1:PORT`, what `https://api.macroserver.ru` is for a
    /// real company.
    pub fn base_url(&self) -> String {
        self.harness.base_url()
    }

    /// Adds deals as заявки, and their contacts, while the fake runs.
    pub fn add_deals(&self, data: DataSet) {
        self.company.add(data);
    }

    /// The fault knobs.
    pub fn faults(&self) -> &Faults {
        self.harness.faults()
    }

    /// Every HTTP request so far, in order (method `estate/request/get`).
    /// Signatures travel in the query or body, never in a recorded path.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.harness.requests()
    }

    /// Forgets the requests recorded so far.
    pub fn clear_requests(&self) {
        self.harness.clear_requests();
    }

    /// The `time` of every request whose signature was accepted, in order.
    pub fn signed_times(&self) -> Vec<i64> {
        self.company.signed_times()
    }

    /// Every `token` the fake has received, accepted or not (to check that
    /// none leaks).
    pub fn tokens_seen(&self) -> Vec<String> {
        self.company.tokens_seen()
    }
}
