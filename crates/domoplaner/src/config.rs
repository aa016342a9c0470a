//! The `sources:` keys of a Domoplaner source.

use crate::defaults;
use crate::feed_url::FeedUrl;
use liner_sync_core::config::{
    ConfigError, EnvString, HumanDuration, Rate, Secret, SourceSettings,
};
use liner_sync_core::records::{FieldMap, JsonPath, TimeZoneName};
use reqwest::Url;
use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// Settings of one Domoplaner source. The keys every source shares (`name`,
/// `kind`, `start_from`, `lead`, `routes`, `enabled`) are read by the CLI and
/// are not here.
///
/// Domoplaner publishes no field list for its deals feed: `records`,
/// `fields` and `client_id` default to documented assumptions and are the
/// place to put the real names once the vendor tells them.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DomoplanerConfig {
    /// The secret address of the "Полный от сделок" (full by deals) JSON
    /// feed, created under Settings → Integrations → Data export. Anyone
    /// with it reads every deal: keep it in `${VAR}`.
    pub feed_url: Secret,
    /// The account's time zone, an IANA name: the feed writes datetimes as
    /// `YYYY-MM-DD HH:mm:ss` in it, without an offset.
    #[serde(default = "default_timezone")]
    pub timezone: TimeZoneName,
    /// Where the deals are in the feed (assumed: `deals`).
    #[serde(default)]
    pub records: Option<JsonPath>,
    /// Paths of deal fields inside one deal record, laid over the assumed
    /// ones (`id`, `created_at`, `name`, `phones`, `telegram`, `custom`, …).
    #[serde(default)]
    pub fields: FieldMap,
    /// Where a deal record keeps its client's id (assumed: `client.id`).
    #[serde(default)]
    pub client_id: Option<JsonPath>,
    /// Which id is sent as `externalIdDomoplaner` and keys the state: the
    /// deal's (`deal`) or its client's (`client`: one lead per client).
    #[serde(default)]
    pub external_id: ExternalId,
    /// Phones from the Bearer-token leads API for deals the feed gives none.
    #[serde(default)]
    pub enrich: Option<EnrichConfig>,
    /// How long downloading the feed may take in all (`60s`; it holds every
    /// deal of the account).
    #[serde(default = "default_timeout")]
    pub timeout: HumanDuration,
    /// Attempts per request, the first one included, before a temporary
    /// failure (network, 5xx, 429, a cut-off feed) is given up.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
}

/// Which Domoplaner id identifies a lead.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExternalId {
    /// The deal's id: every deal is a lead.
    #[default]
    Deal,
    /// The client's id: one lead per client, however many deals they have.
    Client,
}

/// The leads API (`GET {api_base}/leads/get-by-id?id=…`, Bearer token),
/// asked for the phones of a deal's client when the feed has none.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct EnrichConfig {
    /// The API's base address, without `/leads/…` (Domoplaner does not
    /// publish it: ask the vendor).
    pub api_base: EnvString,
    /// The API's Bearer token.
    pub token: Secret,
    /// Requests per period at most (`5/s`; the API publishes no limit).
    #[serde(default = "default_enrich_rate")]
    pub rate_limit: Rate,
}

fn default_timezone() -> TimeZoneName {
    TimeZoneName(chrono_tz::Europe::Moscow)
}

fn default_timeout() -> HumanDuration {
    HumanDuration(Duration::from_secs(60))
}

fn default_max_attempts() -> u32 {
    6
}

fn default_enrich_rate() -> Rate {
    Rate::per_second(5).unwrap_or(Rate::Unlimited)
}

impl DomoplanerConfig {
    /// A configuration reading `feed_url`, every optional key at its default.
    pub fn new(feed_url: Secret) -> Self {
        Self {
            feed_url,
            timezone: default_timezone(),
            records: None,
            fields: FieldMap::default(),
            client_id: None,
            external_id: ExternalId::default(),
            enrich: None,
            timeout: default_timeout(),
            max_attempts: default_max_attempts(),
        }
    }

    /// Reads the connector's keys of a `sources:` entry and checks them.
    pub fn from_settings(settings: &SourceSettings) -> Result<Self, ConfigError> {
        settings.read(Self::validate)
    }

    /// Checks what serde cannot: the addresses, the field paths and the limits.
    pub fn validate(&self) -> Result<(), String> {
        self.feed()?;
        self.records_path()?;
        self.client_id_path()?;
        self.deal_fields().validate()?;
        if let Some(enrich) = &self.enrich {
            enrich.base()?;
        }
        if self.max_attempts == 0 {
            return Err("max_attempts must be at least 1".into());
        }
        if self.timeout.0.is_zero() {
            return Err("timeout must be longer than 0s".into());
        }
        Ok(())
    }

    /// The checked feed URL.
    pub(crate) fn feed(&self) -> Result<FeedUrl, String> {
        FeedUrl::parse(self.feed_url.expose())
    }

    /// Where the deals are: the configured path or the assumed one.
    pub(crate) fn records_path(&self) -> Result<JsonPath, String> {
        or_default(&self.records, defaults::RECORDS, "records")
    }

    /// Where a deal's client id is: the configured path or the assumed one.
    pub(crate) fn client_id_path(&self) -> Result<JsonPath, String> {
        or_default(&self.client_id, defaults::CLIENT_ID, "client_id")
    }

    /// The assumed field paths with the configured ones laid over them.
    pub(crate) fn deal_fields(&self) -> FieldMap {
        defaults::fields().overlay(&self.fields)
    }
}

fn or_default(set: &Option<JsonPath>, default: &str, key: &str) -> Result<JsonPath, String> {
    set.clone()
        .or_else(|| defaults::path(default))
        .ok_or_else(|| format!("{key}: the default path '{default}' does not parse; set {key}"))
}

const API_SHAPE: &str = "enrich.api_base must be the leads API's address, https://…, without \
     /leads/get-by-id";

impl EnrichConfig {
    /// The API base with a trailing slash, so `leads/get-by-id` joins under it.
    pub(crate) fn base(&self) -> Result<Url, String> {
        let raw = self.api_base.as_str().trim();
        let mut url = Url::parse(raw).map_err(|e| format!("{API_SHAPE}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
            return Err(format!("{API_SHAPE}: an http(s) address with a host"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!("{API_SHAPE}: remove the part after '?' or '#'"));
        }
        if url
            .path()
            .trim_end_matches('/')
            .ends_with("/leads/get-by-id")
        {
            return Err(format!("{API_SHAPE}: remove /leads/get-by-id"));
        }
        if !url.path().ends_with('/') {
            url.set_path(&format!("{}/", url.path()));
        }
        Ok(url)
    }
}

impl fmt::Debug for DomoplanerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let feed_url = self
            .feed()
            .map_or_else(|_| "[redacted]".to_owned(), |u| u.shown);
        f.debug_struct("DomoplanerConfig")
            .field("feed_url", &feed_url)
            .field("timezone", &self.timezone.0.name())
            .field("records", &self.records)
            .field("fields", &self.fields)
            .field("client_id", &self.client_id)
            .field("external_id", &self.external_id)
            .field("enrich", &self.enrich)
            .field("timeout", &self.timeout.0)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

impl fmt::Debug for EnrichConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrichConfig")
            .field("api_base", &self.api_base.as_str())
            .field("token", &self.token)
            .field("rate_limit", &self.rate_limit.to_string())
            .finish()
    }
}

#[cfg(test)]
mod tests;
