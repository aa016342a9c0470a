//! The `sources:` keys of a Bitrix24 source.

use liner_sync_core::config::{ConfigError, HumanDuration, Rate, Secret, SourceSettings};
use reqwest::Url;
use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// Settings of one Bitrix24 source. The keys every source shares (`name`,
/// `kind`, `start_from`, `lead`, `routes`) are read by the CLI and are not here.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Bitrix24Config {
    /// The incoming webhook, `https://PORTAL/rest/USER_ID/CODE/`, created under
    /// Applications → Developer resources → Other → Incoming webhook with the
    /// `crm` scope. The CODE part is a password: keep it in `${VAR}`.
    pub webhook_url: Secret,
    /// Requests per period this source sends at most (`2/s` matches the
    /// portal's leaky bucket; Enterprise plans drain `5/s`).
    #[serde(default = "default_rate_limit")]
    pub rate_limit: Rate,
    /// The portal's bucket size: requests that may go out at once before
    /// `rate_limit` spaces them (50; Enterprise 250). Two of them are kept in
    /// reserve for network jitter.
    #[serde(default = "default_burst")]
    pub burst: u32,
    /// How many ids below the cursor each pass reads again, to catch deals that
    /// were committed after a deal with a higher id.
    #[serde(default = "default_rescan_ids")]
    pub rescan_ids: u64,
    /// How long one HTTP request may take in all (`30s`).
    #[serde(default = "default_timeout")]
    pub timeout: HumanDuration,
    /// Attempts per request, the first one included, before a temporary
    /// failure (network, 5xx, rate limit) is given up.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
}

fn default_rate_limit() -> Rate {
    Rate::per_second(2).unwrap_or(Rate::Unlimited)
}

fn default_burst() -> u32 {
    50
}

fn default_rescan_ids() -> u64 {
    100
}

fn default_timeout() -> HumanDuration {
    HumanDuration(Duration::from_secs(30))
}

fn default_max_attempts() -> u32 {
    6
}

/// The parts of a webhook URL: the base every method is appended to, and the
/// secret code (kept to scrub it from any text that might echo it).
pub(crate) struct Webhook {
    /// `https://PORTAL/rest/USER_ID/CODE/`, always with the trailing slash.
    pub base: Secret,
    /// The CODE segment.
    pub code: Secret,
    /// The URL with the code replaced by `[redacted]`, safe to show.
    pub shown: String,
}

const URL_SHAPE: &str = "webhook_url must look like https://PORTAL/rest/USER_ID/CODE/ \
     (copy the incoming webhook's URL from Bitrix24 without the method name)";

impl Webhook {
    /// Splits and checks a webhook URL. Errors never contain the URL.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = Url::parse(raw.trim()).map_err(|e| format!("{URL_SHAPE}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{URL_SHAPE}: the scheme must be https"));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("{URL_SHAPE}: the portal host is missing"))?
            .to_owned();
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!("{URL_SHAPE}: remove the part after '?' or '#'"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!("{URL_SHAPE}: remove the user name before the host"));
        }
        let mut segments: Vec<&str> = url.path().trim_start_matches('/').split('/').collect();
        if segments.last() == Some(&"") {
            segments.pop();
        }
        let (user_id, code) = match segments.as_slice() {
            ["rest", user_id, code] => (*user_id, *code),
            [.., "rest", _, _, _] => {
                return Err(format!("{URL_SHAPE}: remove the method name from the end"));
            }
            _ => return Err(format!("{URL_SHAPE}: the path must be /rest/USER_ID/CODE/")),
        };
        if user_id.is_empty() || !user_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{URL_SHAPE}: USER_ID must be a number"));
        }
        if code.is_empty() {
            return Err(format!("{URL_SHAPE}: the webhook CODE is missing"));
        }
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let origin = format!("{}://{host}{port}", url.scheme());
        Ok(Self {
            base: Secret::new(format!("{origin}/rest/{user_id}/{code}/")),
            code: Secret::new(code),
            shown: format!("{origin}/rest/{user_id}/[redacted]/"),
        })
    }
}

impl Bitrix24Config {
    /// A configuration with every optional key at its default.
    pub fn new(webhook_url: Secret) -> Self {
        Self {
            webhook_url,
            rate_limit: default_rate_limit(),
            burst: default_burst(),
            rescan_ids: default_rescan_ids(),
            timeout: default_timeout(),
            max_attempts: default_max_attempts(),
        }
    }

    /// Reads the connector's keys of a `sources:` entry and checks them.
    pub fn from_settings(settings: &SourceSettings) -> Result<Self, ConfigError> {
        let config: Self = settings.deserialize()?;
        config
            .validate()
            .map_err(|message| ConfigError::at(message, settings.location()))?;
        Ok(config)
    }

    /// Checks what serde cannot: the webhook URL's shape and the limits.
    pub fn validate(&self) -> Result<(), String> {
        self.webhook()?;
        if self.burst == 0 {
            return Err("burst must be at least 1".into());
        }
        if self.max_attempts == 0 {
            return Err("max_attempts must be at least 1".into());
        }
        if self.timeout.0.is_zero() {
            return Err("timeout must be longer than 0s".into());
        }
        Ok(())
    }

    pub(crate) fn webhook(&self) -> Result<Webhook, String> {
        Webhook::parse(self.webhook_url.expose())
    }
}

impl fmt::Debug for Bitrix24Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let webhook = match self.webhook() {
            Ok(w) => w.shown,
            Err(_) => "[redacted]".to_owned(),
        };
        f.debug_struct("Bitrix24Config")
            .field("webhook_url", &webhook)
            .field("rate_limit", &self.rate_limit.to_string())
            .field("burst", &self.burst)
            .field("rescan_ids", &self.rescan_ids)
            .field("timeout", &self.timeout.0)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liner_sync_core::config::Location;
    use serde_json::json;

    const CODE: &str = "k3y5ecr3tc0de";

    fn settings(entries: &[(&str, serde_json::Value)]) -> SourceSettings {
        let mut s = SourceSettings::new(Location { line: 3, column: 5 });
        for (i, (k, v)) in entries.iter().enumerate() {
            let line = 4 + i as u64;
            s.insert((*k).to_owned(), v.clone(), Location { line, column: 7 });
        }
        s
    }

    #[test]
    fn defaults_apply_and_yaml_keys_are_read() {
        let url = format!("https://portal.bitrix24.ru/rest/1/{CODE}/");
        let c = Bitrix24Config::from_settings(&settings(&[("webhook_url", json!(url))])).unwrap();
        assert_eq!(c.rate_limit.to_string(), "2/s");
        assert_eq!((c.burst, c.rescan_ids, c.max_attempts), (50, 100, 6));
        assert_eq!(c.timeout.0, Duration::from_secs(30));

        let c = Bitrix24Config::from_settings(&settings(&[
            ("webhook_url", json!(url)),
            ("rate_limit", json!("5/s")),
            ("burst", json!(250)),
            ("rescan_ids", json!(0)),
            ("timeout", json!("5s")),
            ("max_attempts", json!(2)),
        ]))
        .unwrap();
        assert_eq!(c.rate_limit.to_string(), "5/s");
        assert_eq!((c.burst, c.rescan_ids, c.max_attempts), (250, 0, 2));
        assert_eq!(c.timeout.0, Duration::from_secs(5));
    }

    #[test]
    fn webhook_urls_are_checked_without_echoing_them() {
        let good = [
            format!("https://portal.bitrix24.ru/rest/1/{CODE}/"),
            format!("https://portal.bitrix24.ru/rest/17/{CODE}"),
            format!("http://127.0.0.1:8080/rest/1/{CODE}/"),
        ];
        for url in good {
            let w = Webhook::parse(&url).unwrap();
            assert!(w.base.expose().ends_with(&format!("{CODE}/")), "{url}");
            assert_eq!(w.base.expose().replace(CODE, "[redacted]"), w.shown);
        }
        let bad = [
            format!("ftp://portal.bitrix24.ru/rest/1/{CODE}/"),
            format!("portal.bitrix24.ru/rest/1/{CODE}/"),
            format!("https://portal.bitrix24.ru/rest/{CODE}/"),
            format!("https://portal.bitrix24.ru/rest/admin/{CODE}/"),
            format!("https://portal.bitrix24.ru/rest/1/{CODE}/crm.deal.list"),
            format!("https://portal.bitrix24.ru/api/1/{CODE}/"),
            format!("https://portal.bitrix24.ru/rest/1/{CODE}/?auth=x"),
            format!("https://user:{CODE}@portal.bitrix24.ru/rest/1/x/"),
            "https://portal.bitrix24.ru/rest/1//".to_owned(),
        ];
        for url in bad {
            let err = Webhook::parse(&url)
                .err()
                .unwrap_or_else(|| panic!("accepted {url}"));
            assert!(!err.contains(CODE), "{err}");
            assert!(err.starts_with("webhook_url must look like"), "{err}");
        }
    }

    #[test]
    fn semantic_errors_point_at_the_source_entry() {
        let err = Bitrix24Config::from_settings(&settings(&[
            (
                "webhook_url",
                json!(format!("https://p.bitrix24.ru/rest/1/{CODE}/")),
            ),
            ("burst", json!(0)),
        ]))
        .unwrap_err();
        assert_eq!(err.location, Some(Location { line: 3, column: 5 }));
        assert!(err.message.contains("burst"), "{err}");

        let err = Bitrix24Config::from_settings(&settings(&[(
            "webhook_url",
            json!(format!("https://p.bitrix24.ru/rest/x/{CODE}/")),
        )]))
        .unwrap_err();
        assert!(!err.to_string().contains(CODE), "{err}");

        let err = Bitrix24Config::from_settings(&settings(&[
            (
                "webhook_url",
                json!(format!("https://p.bitrix24.ru/rest/1/{CODE}/")),
            ),
            ("page_size", json!(10)),
        ]))
        .unwrap_err();
        assert!(err.message.contains("unknown field `page_size`"), "{err}");
    }

    #[test]
    fn debug_shows_the_portal_but_not_the_code() {
        let c = Bitrix24Config::new(Secret::new(format!("https://p.bitrix24.ru/rest/7/{CODE}/")));
        let shown = format!("{c:?}");
        assert!(!shown.contains(CODE), "{shown}");
        assert!(
            shown.contains("https://p.bitrix24.ru/rest/7/[redacted]/"),
            "{shown}"
        );
        let c = Bitrix24Config::new(Secret::new(format!("nonsense {CODE}")));
        assert!(!format!("{c:?}").contains(CODE));
    }
}
