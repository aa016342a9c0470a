//! The `sources:` keys of an amoCRM (Kommo) source.

use liner_sync_core::config::{
    ConfigError, EnvString, HumanDuration, Rate, Secret, SourceSettings,
};
use reqwest::Url;
use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// The most leads amoCRM returns per page.
pub(crate) const MAX_PAGE_SIZE: u32 = 250;

/// Settings of one amoCRM source. The keys every source shares (`name`,
/// `kind`, `start_from`, `lead`, `routes`, `enabled`) are read by the CLI and
/// are not here.
///
/// Exactly one way to sign in: `access_token` alone (a long-lived token), or
/// all four OAuth keys `client_id`, `client_secret`, `redirect_uri` and
/// `refresh_token`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct AmoConfig {
    /// The account's address, `https://SUBDOMAIN.amocrm.ru` (Russian
    /// accounts) or `https://SUBDOMAIN.kommo.com` (international ones),
    /// without a path.
    pub base_url: EnvString,
    /// A long-lived token: in amoCRM, the private integration → Keys and
    /// scopes → Generate long-lived token. Shown once; keep it in `${VAR}`.
    #[serde(default)]
    pub access_token: Option<Secret>,
    /// OAuth: the integration ID (Keys and scopes).
    #[serde(default)]
    pub client_id: Option<EnvString>,
    /// OAuth: the integration's secret key (Keys and scopes).
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// OAuth: the redirect URI exactly as set in the integration.
    #[serde(default)]
    pub redirect_uri: Option<EnvString>,
    /// OAuth: the refresh token of the authorization-code exchange. It seeds
    /// the token chain; rotated tokens live in the state file afterwards.
    #[serde(default)]
    pub refresh_token: Option<Secret>,
    /// Only leads in these pipelines are new (all pipelines when empty).
    #[serde(default)]
    pub pipelines: Vec<u64>,
    /// Only leads in these statuses (stages) are new (any when empty).
    #[serde(default)]
    pub statuses: Vec<u64>,
    /// How far before the cursor each pass reads again, to catch leads
    /// created with a back-dated `created_at` (`10m`).
    #[serde(default = "default_lookback")]
    pub lookback: HumanDuration,
    /// Requests per period this source sends at most (`7/s`, amoCRM's limit
    /// per integration, IP and account).
    #[serde(default = "default_rate_limit")]
    pub rate_limit: Rate,
    /// The server's allowance of requests at once before `rate_limit` spaces
    /// them (7); one of them is kept in reserve for network jitter.
    #[serde(default = "default_burst")]
    pub burst: u32,
    /// How long one HTTP request may take in all (`20s`).
    #[serde(default = "default_timeout")]
    pub timeout: HumanDuration,
    /// Attempts per request, the first one included, before a temporary
    /// failure (network, 5xx, 429) is given up.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// Leads per page, 1 to 250.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
}

fn default_lookback() -> HumanDuration {
    HumanDuration(Duration::from_secs(10 * 60))
}

fn default_rate_limit() -> Rate {
    Rate::per_second(7).unwrap_or(Rate::Unlimited)
}

fn default_burst() -> u32 {
    7
}

fn default_timeout() -> HumanDuration {
    HumanDuration(Duration::from_secs(20))
}

fn default_max_attempts() -> u32 {
    6
}

fn default_page_size() -> u32 {
    MAX_PAGE_SIZE
}

/// How the source signs its requests.
#[derive(Clone)]
pub(crate) enum Credentials {
    /// A long-lived token, sent as it is.
    LongLived(Secret),
    /// OAuth 2.0 with a rotating refresh token.
    OAuth {
        client_id: String,
        client_secret: Secret,
        redirect_uri: String,
        refresh_token: Secret,
    },
}

const URL_SHAPE: &str =
    "base_url must look like https://SUBDOMAIN.amocrm.ru or https://SUBDOMAIN.kommo.com";

const HOW_TO_SIGN_IN: &str = "set access_token (a long-lived token: private integration → \
     Keys and scopes → Generate long-lived token) or, for OAuth, all of client_id, \
     client_secret, redirect_uri and refresh_token";

/// The account's origin: `https://sub.amocrm.ru`, no trailing slash.
pub(crate) fn parse_base_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("{URL_SHAPE}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{URL_SHAPE}: the scheme must be https"));
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("{URL_SHAPE}: the host is missing"))?
        .to_ascii_lowercase();
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{URL_SHAPE}: remove the user name before the host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{URL_SHAPE}: remove the part after '?' or '#'"));
    }
    if !matches!(url.path(), "" | "/") {
        return Err(format!(
            "{URL_SHAPE}: remove the path (/api/v4/... is added by liner-sync)"
        ));
    }
    if matches!(
        host.as_str(),
        "amocrm.ru"
            | "www.amocrm.ru"
            | "kommo.com"
            | "www.kommo.com"
            | "amocrm.com"
            | "www.amocrm.com"
    ) {
        return Err(format!(
            "{URL_SHAPE}: {host} is the vendor's site, not an account; use your account's own host"
        ));
    }
    let mut origin = url;
    origin.set_path("");
    Ok(origin)
}

/// The origin as text without the trailing slash `Url` adds.
pub(crate) fn origin_text(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

fn present(value: &Option<EnvString>) -> Option<String> {
    value
        .as_ref()
        .map(|v| v.as_str().trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl AmoConfig {
    /// A configuration signing in with a long-lived token, every optional key
    /// at its default.
    pub fn long_lived(base_url: &str, access_token: Secret) -> Self {
        Self::bare(base_url, Some(access_token), None)
    }

    /// A configuration signing in with OAuth, every optional key at its default.
    pub fn oauth(
        base_url: &str,
        client_id: &str,
        client_secret: Secret,
        redirect_uri: &str,
        refresh_token: Secret,
    ) -> Self {
        Self::bare(
            base_url,
            None,
            Some((client_id, client_secret, redirect_uri, refresh_token)),
        )
    }

    fn bare(
        base_url: &str,
        access_token: Option<Secret>,
        oauth: Option<(&str, Secret, &str, Secret)>,
    ) -> Self {
        let (client_id, client_secret, redirect_uri, refresh_token) = match oauth {
            Some((id, secret, uri, refresh)) => (
                Some(EnvString(id.to_owned())),
                Some(secret),
                Some(EnvString(uri.to_owned())),
                Some(refresh),
            ),
            None => (None, None, None, None),
        };
        Self {
            base_url: EnvString(base_url.to_owned()),
            access_token,
            client_id,
            client_secret,
            redirect_uri,
            refresh_token,
            pipelines: Vec::new(),
            statuses: Vec::new(),
            lookback: default_lookback(),
            rate_limit: default_rate_limit(),
            burst: default_burst(),
            timeout: default_timeout(),
            max_attempts: default_max_attempts(),
            page_size: default_page_size(),
        }
    }

    /// Reads the connector's keys of a `sources:` entry and checks them.
    pub fn from_settings(settings: &SourceSettings) -> Result<Self, ConfigError> {
        settings.read(Self::validate)
    }

    /// Checks what serde cannot: the address, the sign-in mode and the limits.
    pub fn validate(&self) -> Result<(), String> {
        self.origin()?;
        self.credentials()?;
        if self.page_size == 0 || self.page_size > MAX_PAGE_SIZE {
            return Err(format!(
                "page_size must be between 1 and {MAX_PAGE_SIZE} (amoCRM returns at most \
                 {MAX_PAGE_SIZE} leads per page)"
            ));
        }
        if self.burst == 0 {
            return Err("burst must be at least 1".into());
        }
        if self.max_attempts == 0 {
            return Err("max_attempts must be at least 1".into());
        }
        if self.timeout.0.is_zero() {
            return Err("timeout must be longer than 0s".into());
        }
        if self.pipelines.contains(&0) {
            return Err("pipelines: pipeline ids are positive numbers".into());
        }
        if self.statuses.contains(&0) {
            return Err("statuses: status ids are positive numbers".into());
        }
        Ok(())
    }

    /// The account's origin.
    pub(crate) fn origin(&self) -> Result<Url, String> {
        parse_base_url(self.base_url.as_str())
    }

    /// The sign-in mode; an error says what to set.
    pub(crate) fn credentials(&self) -> Result<Credentials, String> {
        let client_id = present(&self.client_id);
        let redirect_uri = present(&self.redirect_uri);
        let oauth_keys = [
            ("client_id", client_id.is_some()),
            ("client_secret", self.client_secret.is_some()),
            ("redirect_uri", redirect_uri.is_some()),
            ("refresh_token", self.refresh_token.is_some()),
        ];
        let given: Vec<&str> = oauth_keys.iter().filter(|k| k.1).map(|k| k.0).collect();
        let missing: Vec<&str> = oauth_keys.iter().filter(|k| !k.1).map(|k| k.0).collect();
        match (&self.access_token, given.is_empty()) {
            (Some(token), true) => Ok(Credentials::LongLived(token.clone())),
            (Some(_), false) => Err(format!(
                "set either access_token (a long-lived token) or the OAuth keys client_id, \
                 client_secret, redirect_uri and refresh_token, not both: remove {} or access_token",
                given.join(", ")
            )),
            (None, true) => Err(format!("no credentials: {HOW_TO_SIGN_IN}")),
            (None, false) => match (
                client_id,
                &self.client_secret,
                redirect_uri,
                &self.refresh_token,
            ) {
                (Some(client_id), Some(client_secret), Some(redirect_uri), Some(refresh_token)) => {
                    Ok(Credentials::OAuth {
                        client_id,
                        client_secret: client_secret.clone(),
                        redirect_uri,
                        refresh_token: refresh_token.clone(),
                    })
                }
                _ => Err(format!(
                    "OAuth needs client_id, client_secret, redirect_uri and refresh_token; set {} \
                     (or use access_token, a long-lived token, instead)",
                    missing.join(", ")
                )),
            },
        }
    }
}

impl fmt::Debug for AmoConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base_url = match self.origin() {
            Ok(origin) => origin_text(&origin),
            Err(_) => "[unreadable]".to_owned(),
        };
        let hidden = |s: &Option<Secret>| s.as_ref().map(|_| "[redacted]");
        f.debug_struct("AmoConfig")
            .field("base_url", &base_url)
            .field("access_token", &hidden(&self.access_token))
            .field("client_id", &self.client_id.as_ref().map(EnvString::as_str))
            .field("client_secret", &hidden(&self.client_secret))
            .field(
                "redirect_uri",
                &self.redirect_uri.as_ref().map(EnvString::as_str),
            )
            .field("refresh_token", &hidden(&self.refresh_token))
            .field("pipelines", &self.pipelines)
            .field("statuses", &self.statuses)
            .field("lookback", &self.lookback.0)
            .field("rate_limit", &self.rate_limit.to_string())
            .field("burst", &self.burst)
            .field("timeout", &self.timeout.0)
            .field("max_attempts", &self.max_attempts)
            .field("page_size", &self.page_size)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liner_sync_core::config::Location;
    use serde_json::{Value, json};

    const TOKEN: &str = "eyJ0eXAiOiJKV1QiLongLivedSecret";
    const CLIENT_SECRET: &str = "cl1ent-s3cret-XYZ";
    const REFRESH: &str = "def50200refreshSecret";

    fn settings(entries: &[(&str, Value)]) -> SourceSettings {
        let mut s = SourceSettings::new(Location { line: 3, column: 5 });
        for (i, (k, v)) in entries.iter().enumerate() {
            let line = 4 + i as u64;
            s.insert((*k).to_owned(), v.clone(), Location { line, column: 7 });
        }
        s
    }

    type Entries = Vec<(&'static str, Value)>;

    fn oauth_keys() -> Entries {
        vec![
            ("client_id", json!("0b4f5a8e-1111-2222-3333-444455556666")),
            ("client_secret", json!(CLIENT_SECRET)),
            ("redirect_uri", json!("https://example.com/amo")),
            ("refresh_token", json!(REFRESH)),
        ]
    }

    fn with_base(mut entries: Vec<(&'static str, Value)>) -> SourceSettings {
        entries.insert(0, ("base_url", json!("https://acme.amocrm.ru")));
        settings(&entries)
    }

    #[test]
    fn a_long_lived_token_with_defaults() {
        let c = AmoConfig::from_settings(&with_base(vec![("access_token", json!(TOKEN))])).unwrap();
        assert!(matches!(c.credentials(), Ok(Credentials::LongLived(t)) if t.expose() == TOKEN));
        assert_eq!(c.rate_limit.to_string(), "7/s");
        assert_eq!((c.burst, c.max_attempts, c.page_size), (7, 6, 250));
        assert_eq!(c.timeout.0, Duration::from_secs(20));
        assert_eq!(c.lookback.0, Duration::from_secs(600));
        assert!(c.pipelines.is_empty() && c.statuses.is_empty());
        assert_eq!(origin_text(&c.origin().unwrap()), "https://acme.amocrm.ru");
    }

    #[test]
    fn oauth_with_every_key_and_overrides() {
        let mut entries = oauth_keys();
        entries.extend([
            ("pipelines", json!([3_300_000, 3_300_001])),
            ("statuses", json!([142])),
            ("lookback", json!("2m")),
            ("rate_limit", json!("5/s")),
            ("burst", json!(2)),
            ("timeout", json!("5s")),
            ("max_attempts", json!(3)),
            ("page_size", json!(50)),
        ]);
        let c = AmoConfig::from_settings(&with_base(entries)).unwrap();
        match c.credentials().unwrap() {
            Credentials::OAuth {
                client_id,
                client_secret,
                redirect_uri,
                refresh_token,
            } => {
                assert_eq!(client_id, "0b4f5a8e-1111-2222-3333-444455556666");
                assert_eq!(client_secret.expose(), CLIENT_SECRET);
                assert_eq!(redirect_uri, "https://example.com/amo");
                assert_eq!(refresh_token.expose(), REFRESH);
            }
            Credentials::LongLived(_) => panic!("not OAuth"),
        }
        assert_eq!(c.pipelines, [3_300_000, 3_300_001]);
        assert_eq!(c.statuses, [142]);
        assert_eq!(c.lookback.0, Duration::from_secs(120));
        assert_eq!((c.burst, c.max_attempts, c.page_size), (2, 3, 50));
    }

    #[test]
    fn every_invalid_mix_of_credentials_says_what_to_set() {
        let oauth = oauth_keys();
        let without = |skip: &[&str]| -> Vec<(&'static str, Value)> {
            oauth
                .iter()
                .filter(|(k, _)| !skip.contains(k))
                .cloned()
                .collect()
        };
        let mut both = oauth.clone();
        both.push(("access_token", json!(TOKEN)));
        let mut token_and_id = vec![("access_token", json!(TOKEN))];
        token_and_id.push(oauth[0].clone());
        let cases: Vec<(Entries, &[&str])> = vec![
            (
                vec![],
                &[
                    "no credentials",
                    "access_token",
                    "Generate long-lived token",
                    "refresh_token",
                ],
            ),
            (
                both,
                &[
                    "not both",
                    "remove client_id, client_secret, redirect_uri, refresh_token or access_token",
                ],
            ),
            (
                token_and_id,
                &["not both", "remove client_id or access_token"],
            ),
            (
                without(&["client_secret"]),
                &["set client_secret (or use access_token"],
            ),
            (without(&["refresh_token"]), &["set refresh_token"]),
            (
                without(&["client_id", "redirect_uri"]),
                &["set client_id, redirect_uri"],
            ),
            (
                {
                    let mut v = without(&[]);
                    v[0] = ("client_id", json!("  "));
                    v
                },
                &["set client_id"],
            ),
        ];
        for (entries, needles) in cases {
            let shown = format!("{entries:?}");
            let err = AmoConfig::from_settings(&with_base(entries)).unwrap_err();
            assert_eq!(
                err.location,
                Some(Location { line: 3, column: 5 }),
                "{shown}"
            );
            for needle in needles {
                assert!(err.message.contains(needle), "{shown}: {err}");
            }
            for secret in [TOKEN, CLIENT_SECRET, REFRESH] {
                assert!(!err.to_string().contains(secret), "{err}");
            }
        }
    }

    #[test]
    fn empty_secrets_and_unknown_keys_are_refused() {
        let err =
            AmoConfig::from_settings(&with_base(vec![("access_token", json!(""))])).unwrap_err();
        assert!(err.message.contains("access_token"), "{err}");
        let err = AmoConfig::from_settings(&with_base(vec![
            ("access_token", json!(TOKEN)),
            ("webhook_url", json!("x")),
        ]))
        .unwrap_err();
        assert!(err.message.contains("unknown field `webhook_url`"), "{err}");
        let err =
            AmoConfig::from_settings(&settings(&[("access_token", json!(TOKEN))])).unwrap_err();
        assert!(err.message.contains("missing field `base_url`"), "{err}");
    }

    #[test]
    fn limits_are_checked() {
        for (key, value, needle) in [
            ("page_size", json!(0), "page_size must be between 1 and 250"),
            (
                "page_size",
                json!(251),
                "page_size must be between 1 and 250",
            ),
            ("burst", json!(0), "burst"),
            ("max_attempts", json!(0), "max_attempts"),
            ("timeout", json!("0s"), "timeout"),
            ("pipelines", json!([0]), "pipelines"),
            ("statuses", json!([1, 0]), "statuses"),
        ] {
            let err = AmoConfig::from_settings(&with_base(vec![
                ("access_token", json!(TOKEN)),
                (key, value),
            ]))
            .unwrap_err();
            assert!(err.message.contains(needle), "{key}: {err}");
        }
    }

    #[test]
    fn base_urls_are_origins_of_an_account() {
        let good = [
            ("https://acme.amocrm.ru", "https://acme.amocrm.ru"),
            ("https://acme.kommo.com/", "https://acme.kommo.com"),
            (" https://ACME.amocrm.ru ", "https://acme.amocrm.ru"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ];
        for (raw, want) in good {
            assert_eq!(origin_text(&parse_base_url(raw).unwrap()), want, "{raw}");
        }
        let bad = [
            ("acme.amocrm.ru", "must look like"),
            ("ftp://acme.amocrm.ru", "scheme"),
            ("https://acme.amocrm.ru/api/v4/leads", "remove the path"),
            ("https://acme.amocrm.ru/?x=1", "after '?'"),
            ("https://user:pw@acme.amocrm.ru", "user name"),
            ("https://www.kommo.com", "vendor's site"),
            ("https://amocrm.ru", "vendor's site"),
        ];
        for (raw, needle) in bad {
            let err = parse_base_url(raw).unwrap_err();
            assert!(
                err.starts_with(URL_SHAPE) && err.contains(needle),
                "{raw}: {err}"
            );
            assert!(!err.contains("pw@"), "{err}");
        }
    }

    #[test]
    fn debug_hides_every_secret() {
        let long = AmoConfig::long_lived("https://acme.amocrm.ru", Secret::new(TOKEN));
        let oauth = AmoConfig::oauth(
            "https://acme.kommo.com",
            "client-1",
            Secret::new(CLIENT_SECRET),
            "https://example.com/amo",
            Secret::new(REFRESH),
        );
        let mut odd = AmoConfig::long_lived(
            &format!("https://u:{TOKEN}@x.amocrm.ru"),
            Secret::new(TOKEN),
        );
        odd.client_secret = Some(Secret::new(CLIENT_SECRET));
        for c in [long, oauth, odd] {
            let shown = format!("{c:?}");
            for secret in [TOKEN, CLIENT_SECRET, REFRESH] {
                assert!(!shown.contains(secret), "{shown}");
            }
            assert!(shown.contains("[redacted]"), "{shown}");
        }
        let oauth = AmoConfig::oauth(
            "https://acme.kommo.com",
            "client-1",
            Secret::new(CLIENT_SECRET),
            "https://example.com/amo",
            Secret::new(REFRESH),
        );
        let shown = format!("{oauth:?}");
        assert!(
            shown.contains("client-1") && shown.contains("https://acme.kommo.com"),
            "{shown}"
        );
        assert!(oauth.validate().is_ok());
    }
}
