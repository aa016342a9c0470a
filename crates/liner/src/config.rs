//! The `liner:` block of the configuration.

use liner_sync_core::config::{EnvString, HumanDuration, Rate, Secret};
use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// Which create endpoint to use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// `POST /v2/lead/create-async/`: accepted for processing, no lead id.
    #[default]
    Async,
    /// `POST /v2/lead/create/`: returns the new lead's id, stored in the state.
    Sync,
}

/// Where and how to submit leads.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinerConfig {
    /// The API host, e.g. `https://api.example.linerapp.io` (no path).
    pub base_url: EnvString,
    /// The integration token sent as `X-Api-Key`.
    pub api_key: Secret,
    /// `async` (default) or `sync`.
    #[serde(default)]
    pub mode: Mode,
    /// Submissions per period, retries included (default `5/s`).
    #[serde(default = "default_rate")]
    pub rate_limit: Rate,
    /// Submissions allowed at once before the rate applies (default 1: evenly spaced).
    #[serde(default = "default_burst")]
    pub burst: u32,
    /// Whole-request timeout (default 15s).
    #[serde(default = "default_timeout")]
    pub timeout: HumanDuration,
    /// Attempts per lead within one pass, the first included (default 6).
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// No retry starts after this long on one lead (default 2m).
    #[serde(default = "default_max_retry_time")]
    pub max_retry_time: HumanDuration,
    /// Leads in flight at once across all sources (default 16).
    #[serde(default = "default_max_in_flight")]
    pub max_in_flight: usize,
    /// Passes with a failed submission before a deal is given up as `failed` (default 10).
    #[serde(default = "default_give_up_after")]
    pub give_up_after: u32,
}

fn default_rate() -> Rate {
    Rate::per_second(5).unwrap_or(Rate::Unlimited)
}
fn default_burst() -> u32 {
    1
}
fn default_timeout() -> HumanDuration {
    HumanDuration(Duration::from_secs(15))
}
fn default_max_attempts() -> u32 {
    6
}
fn default_max_retry_time() -> HumanDuration {
    HumanDuration(Duration::from_secs(120))
}
fn default_max_in_flight() -> usize {
    16
}
fn default_give_up_after() -> u32 {
    10
}

impl LinerConfig {
    /// Checks what serde cannot: the URL's shape and the numbers' ranges.
    pub fn validate(&self) -> Result<(), String> {
        let url = self.base_url.as_str();
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| format!("liner.base_url '{url}' is not a URL ({e})"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!(
                "liner.base_url '{url}' must start with https:// (or http://)"
            ));
        }
        if parsed.path().trim_matches('/').starts_with("v2") {
            return Err(format!(
                "liner.base_url '{url}' should be the host only; liner-sync adds /v2/... itself"
            ));
        }
        if self.max_in_flight == 0 || self.max_attempts == 0 || self.give_up_after == 0 {
            return Err(
                "liner.max_in_flight, max_attempts and give_up_after must be at least 1".into(),
            );
        }
        if self.timeout.0.is_zero() {
            return Err("liner.timeout must be above zero".into());
        }
        Ok(())
    }
}

impl fmt::Debug for LinerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinerConfig")
            .field("base_url", &self.base_url.as_str())
            .field("api_key", &self.api_key)
            .field("mode", &self.mode)
            .field("rate_limit", &self.rate_limit.to_string())
            .field("burst", &self.burst)
            .field("timeout", &self.timeout.0)
            .field("max_attempts", &self.max_attempts)
            .field("max_in_flight", &self.max_in_flight)
            .finish_non_exhaustive()
    }
}
