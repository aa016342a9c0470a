//! The `sources:` keys of a Bitrix24 source.

use crate::credentials::Credentials;
use crate::endpoint::{DEFAULT_OAUTH_SERVER, parse_endpoint, parse_oauth_server};
use crate::webhook::Webhook;
use liner_sync_core::config::{
    ConfigError, EnvString, HumanDuration, Rate, Secret, SourceSettings,
};
use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// Settings of one Bitrix24 source. The keys every source shares (`name`,
/// `kind`, `start_from`, `lead`, `routes`) are read by the CLI and are not here.
///
/// The source signs in one of two ways; set the keys of exactly one:
///
/// * an incoming webhook: `webhook_url`;
/// * an OAuth application (local or marketplace): `client_endpoint`,
///   `client_id`, `client_secret`, `refresh_token`, and optionally
///   `oauth_server`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Bitrix24Config {
    /// The incoming webhook, `https://PORTAL/rest/USER_ID/CODE/`, created under
    /// Applications → Developer resources → Other → Incoming webhook with the
    /// `crm` scope. The CODE part is a password: keep it in `${VAR}`.
    pub webhook_url: Option<Secret>,
    /// OAuth: the portal's REST address, `https://PORTAL/rest/`: the
    /// `client_endpoint` field of the token reply that gave the first
    /// `refresh_token`.
    pub client_endpoint: Option<EnvString>,
    /// OAuth: the application's `client_id` (`local.…` for a local
    /// application). Create the application in Bitrix24 under Developer
    /// resources → Other → Local application: server-side (no user
    /// interface), with the CRM (`crm`) scope; its page shows the
    /// `client_id` and `client_secret`.
    pub client_id: Option<EnvString>,
    /// OAuth: the application's `client_secret`, shown beside its
    /// `client_id`. Sent only to the OAuth server, never to the portal. Keep
    /// it in `${VAR}`.
    pub client_secret: Option<Secret>,
    /// OAuth: the first refresh token, obtained once by hand. Open
    /// `https://PORTAL/oauth/authorize/?client_id=CLIENT_ID` as the user
    /// whose access the sync should have; Bitrix24 sends the browser to the
    /// application's handler with `code=…` in the address. Within 30 seconds,
    /// exchange it:
    /// `GET https://oauth.bitrix.info/oauth/token/?grant_type=authorization_code&client_id=CLIENT_ID&client_secret=CLIENT_SECRET&code=CODE`.
    /// The JSON reply holds `refresh_token` (valid 180 days) and
    /// `client_endpoint`. The source stores every rotated token in the state
    /// file and uses those from then on; a different `refresh_token` here
    /// starts a new chain. Keep it in `${VAR}`.
    pub refresh_token: Option<Secret>,
    /// OAuth: where tokens are refreshed; `https://oauth.bitrix.info/oauth/token/`
    /// when left out.
    pub oauth_server: Option<EnvString>,
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

impl Bitrix24Config {
    /// A configuration signing in with an incoming webhook, every optional
    /// key at its default.
    pub fn new(webhook_url: Secret) -> Self {
        Self {
            webhook_url: Some(webhook_url),
            ..Self::empty()
        }
    }

    /// A configuration signing in as an OAuth application (the token server
    /// at its default), every optional key at its default.
    pub fn oauth(
        client_endpoint: EnvString,
        client_id: EnvString,
        client_secret: Secret,
        refresh_token: Secret,
    ) -> Self {
        Self {
            client_endpoint: Some(client_endpoint),
            client_id: Some(client_id),
            client_secret: Some(client_secret),
            refresh_token: Some(refresh_token),
            ..Self::empty()
        }
    }

    fn empty() -> Self {
        Self {
            webhook_url: None,
            client_endpoint: None,
            client_id: None,
            client_secret: None,
            refresh_token: None,
            oauth_server: None,
            rate_limit: default_rate_limit(),
            burst: default_burst(),
            rescan_ids: default_rescan_ids(),
            timeout: default_timeout(),
            max_attempts: default_max_attempts(),
        }
    }

    /// Reads the connector's keys of a `sources:` entry and checks them.
    pub fn from_settings(settings: &SourceSettings) -> Result<Self, ConfigError> {
        settings.read(Self::validate)
    }

    /// Checks what serde cannot: that exactly one way to sign in is set and
    /// complete, the addresses' shapes, and the limits.
    pub fn validate(&self) -> Result<(), String> {
        self.credentials()?;
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

    pub(crate) fn credentials(&self) -> Result<Credentials, String> {
        Credentials::select(self)
    }
}

/// An address for `Debug`: shown when it has the shape checked on load
/// (then it holds no secret), hidden otherwise.
fn shown(value: &Option<EnvString>, check: fn(&str) -> Result<reqwest::Url, String>) -> String {
    match value {
        None => "-".to_owned(),
        Some(raw) => check(raw.as_str()).map_or_else(|_| "[not shown]".to_owned(), String::from),
    }
}

impl fmt::Debug for Bitrix24Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let webhook = self
            .webhook_url
            .as_ref()
            .map(|url| match Webhook::parse(url.expose()) {
                Ok(w) => w.shown,
                Err(_) => "[redacted]".to_owned(),
            });
        let oauth_server = match &self.oauth_server {
            None if self.client_id.is_some() => DEFAULT_OAUTH_SERVER.to_owned(),
            other => shown(other, parse_oauth_server),
        };
        f.debug_struct("Bitrix24Config")
            .field("webhook_url", &webhook)
            .field(
                "client_endpoint",
                &shown(&self.client_endpoint, parse_endpoint),
            )
            .field("client_id", &self.client_id.as_ref().map(EnvString::as_str))
            .field("client_secret", &self.client_secret)
            .field("refresh_token", &self.refresh_token)
            .field("oauth_server", &oauth_server)
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

    const SECRET: &str = "cl1ent5ecretVALUE";
    const REFRESH: &str = "r3freshT0kenVALUE";

    /// Keys and values of a source entry.
    type Keys = Vec<(&'static str, serde_json::Value)>;

    fn oauth_keys() -> Keys {
        vec![
            ("client_endpoint", json!("https://p.bitrix24.ru/rest/")),
            ("client_id", json!("local.6650c1a2b3c4d5.12345678")),
            ("client_secret", json!(SECRET)),
            ("refresh_token", json!(REFRESH)),
        ]
    }

    fn without(keys: &[&str]) -> Keys {
        oauth_keys()
            .into_iter()
            .filter(|(k, _)| !keys.contains(k))
            .collect()
    }

    fn with(extra: &[(&'static str, serde_json::Value)]) -> Keys {
        let mut keys = oauth_keys();
        keys.extend(extra.iter().cloned());
        keys
    }

    #[test]
    fn oauth_keys_are_read_and_the_server_defaults() {
        let c = Bitrix24Config::from_settings(&settings(&oauth_keys())).unwrap();
        let Ok(Credentials::OAuth(app)) = c.credentials() else {
            panic!("not OAuth");
        };
        assert_eq!(app.endpoint.as_str(), "https://p.bitrix24.ru/rest/");
        assert_eq!(app.client_id, "local.6650c1a2b3c4d5.12345678");
        assert_eq!(app.client_secret.expose(), SECRET);
        assert_eq!(app.refresh_token.expose(), REFRESH);
        assert_eq!(app.server.as_str(), DEFAULT_OAUTH_SERVER);

        let c = Bitrix24Config::from_settings(&settings(&with(&[(
            "oauth_server",
            json!("http://127.0.0.1:8081/oauth/token/"),
        )])))
        .unwrap();
        let Ok(Credentials::OAuth(app)) = c.credentials() else {
            panic!("not OAuth");
        };
        assert_eq!(app.server.as_str(), "http://127.0.0.1:8081/oauth/token/");
    }

    /// Every mix of keys but the two complete ones is refused at the source
    /// entry, saying what to set, and never echoing a secret.
    #[test]
    fn exactly_one_way_to_sign_in() {
        let webhook = (
            "webhook_url",
            json!(format!("https://p.bitrix24.ru/rest/1/{CODE}/")),
        );
        let cases: Vec<(&str, Keys, Option<&str>)> = vec![
            ("webhook", vec![webhook.clone()], None),
            ("oauth", oauth_keys(), None),
            (
                "oauth with a server",
                with(&[(
                    "oauth_server",
                    json!("https://oauth.bitrix.info/oauth/token/"),
                )]),
                None,
            ),
            (
                "nothing",
                vec![("burst", json!(10))],
                Some(
                    "set either webhook_url (an incoming webhook) or client_endpoint, client_id, client_secret and refresh_token",
                ),
            ),
            (
                "both",
                with(std::slice::from_ref(&webhook)),
                Some(
                    "webhook_url and client_endpoint, client_id, client_secret, refresh_token are two ways to sign in; keep one",
                ),
            ),
            (
                "webhook and a stray oauth_server",
                vec![
                    webhook.clone(),
                    (
                        "oauth_server",
                        json!("https://oauth.bitrix.info/oauth/token/"),
                    ),
                ],
                Some("remove oauth_server to use the webhook"),
            ),
            (
                "webhook and a client_secret",
                vec![webhook, ("client_secret", json!(SECRET))],
                Some("remove client_secret to use the webhook"),
            ),
            (
                "no refresh_token",
                without(&["refresh_token"]),
                Some(
                    "an OAuth application needs client_endpoint, client_id, client_secret and refresh_token; missing: refresh_token",
                ),
            ),
            (
                "no client_secret nor client_id",
                without(&["client_secret", "client_id"]),
                Some("missing: client_id, client_secret"),
            ),
            (
                "only the server",
                vec![(
                    "oauth_server",
                    json!("https://oauth.bitrix.info/oauth/token/"),
                )],
                Some("missing: client_endpoint, client_id, client_secret, refresh_token"),
            ),
            (
                "empty client_id",
                with(&[])
                    .into_iter()
                    .map(|(k, v)| {
                        if k == "client_id" {
                            (k, json!(" "))
                        } else {
                            (k, v)
                        }
                    })
                    .collect(),
                Some("client_id must not be empty"),
            ),
            (
                "endpoint without /rest/",
                without(&["client_endpoint"])
                    .into_iter()
                    .chain([("client_endpoint", json!("https://p.bitrix24.ru"))])
                    .collect(),
                Some("client_endpoint must look like https://PORTAL/rest/"),
            ),
            (
                "a webhook URL as the endpoint",
                without(&["client_endpoint"])
                    .into_iter()
                    .chain([(
                        "client_endpoint",
                        json!(format!("https://p.bitrix24.ru/rest/1/{CODE}/")),
                    )])
                    .collect(),
                Some("goes in webhook_url instead"),
            ),
            (
                "a bad oauth_server",
                with(&[(
                    "oauth_server",
                    json!(format!(
                        "https://oauth.bitrix.info/oauth/token/?client_secret={SECRET}"
                    )),
                )]),
                Some("oauth_server must look like"),
            ),
        ];
        for (what, keys, want) in cases {
            let got = Bitrix24Config::from_settings(&settings(&keys));
            match (got, want) {
                (Ok(_), None) => {}
                (Ok(_), Some(want)) => panic!("{what}: accepted, wanted {want}"),
                (Err(err), None) => panic!("{what}: {err}"),
                (Err(err), Some(want)) => {
                    assert_eq!(
                        err.location,
                        Some(Location { line: 3, column: 5 }),
                        "{what}"
                    );
                    assert!(err.message.contains(want), "{what}: {err}");
                    for secret in [CODE, SECRET, REFRESH] {
                        assert!(!err.to_string().contains(secret), "{what}: {err}");
                    }
                }
            }
        }
    }

    #[test]
    fn empty_secrets_are_refused_by_the_key() {
        let keys: Vec<_> = without(&["client_secret"])
            .into_iter()
            .chain([("client_secret", json!(""))])
            .collect();
        let err = Bitrix24Config::from_settings(&settings(&keys)).unwrap_err();
        assert!(
            err.message.starts_with("client_secret: must not be empty"),
            "{err}"
        );

        let c = Bitrix24Config::oauth(
            EnvString("https://p.bitrix24.ru/rest/".into()),
            EnvString("local.x".into()),
            Secret::new(SECRET),
            Secret::new("  "),
        );
        assert_eq!(c.validate().unwrap_err(), "refresh_token must not be empty");
    }

    #[test]
    fn debug_shows_the_application_but_no_secret() {
        let c = Bitrix24Config::oauth(
            EnvString("https://p.bitrix24.ru/rest".into()),
            EnvString("local.abc.123".into()),
            Secret::new(SECRET),
            Secret::new(REFRESH),
        );
        let shown = format!("{c:?}");
        for secret in [SECRET, REFRESH] {
            assert!(!shown.contains(secret), "{shown}");
        }
        for visible in [
            "https://p.bitrix24.ru/rest/",
            "local.abc.123",
            DEFAULT_OAUTH_SERVER,
            "client_secret: Some([redacted])",
            "refresh_token: Some([redacted])",
        ] {
            assert!(shown.contains(visible), "{visible}: {shown}");
        }
        let mut c = c;
        c.client_endpoint = Some(EnvString(format!("https://p.bitrix24.ru/rest/1/{CODE}/")));
        c.oauth_server = Some(EnvString(format!("https://o.example/?s={SECRET}")));
        let shown = format!("{c:?}");
        assert!(!shown.contains(CODE) && !shown.contains(SECRET), "{shown}");
    }
}
