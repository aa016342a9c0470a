//! The `sources:` keys of a MacroCRM (MACRO) source.

use crate::assumed;
use liner_sync_core::config::{
    ConfigError, EnvString, HumanDuration, Rate, Secret, SourceSettings,
};
use liner_sync_core::records::{FieldMap, JsonPath, Paging, SinceFormat, TimeZoneName};
use reqwest::Url;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// The parameters the signature sets; `params:` may not name them.
pub(crate) const SIGNED: [&str; 3] = ["domain", "time", "token"];

/// Settings of one MacroCRM source. The keys every source shares (`name`,
/// `kind`, `start_from`, `lead`, `routes`, `enabled`) are read by the CLI and
/// are not here.
///
/// MACRO publishes no API for reading заявки or сделки: the path, paging,
/// record path and field paths default to documented assumptions (see the
/// crate README) and are all configurable.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct MacroConfig {
    /// The API host, without a path: `https://api.macroserver.ru` (the
    /// default, accounts on macroserver.ru) or `https://api.macro.sbercrm.com`
    /// (accounts on macro.sbercrm.com).
    #[serde(default = "default_base_url")]
    pub base_url: EnvString,
    /// The domain registered under Компания / Интеграции (it may be
    /// Cyrillic, `вашсайт.рф`); signed exactly as written.
    pub domain: EnvString,
    /// The Защищенный ключ (App_secret) shown beside that domain. It signs
    /// every request and is never sent. Keep it in `${VAR}`.
    pub app_secret: Secret,
    /// The path of the заявки (or сделки) list of the company data API.
    /// Assumed `/estate/request/get/` until MACRO support names the real one.
    #[serde(default = "default_path")]
    pub path: String,
    /// `get` (the default: parameters in the query string) or `post` (the
    /// same parameters form-encoded in the body).
    #[serde(default)]
    pub method: Method,
    /// Extra parameters sent with every request, such as the company token
    /// MACRO support issues: `company_token: ${MACRO_COMPANY_TOKEN}`. Values
    /// are treated as secrets and never shown.
    #[serde(default)]
    pub params: BTreeMap<String, Secret>,
    /// How the API hands out records page by page (`style: none`,
    /// `page_limit`, `offset_limit` or `since`). Assumed `page_limit` with
    /// `page`/`limit` and 100 records per page.
    #[serde(default = "assumed::paging")]
    pub paging: Paging,
    /// Where the records are in a reply (`data` when left out, assumed).
    #[serde(default)]
    pub records: Option<JsonPath>,
    /// Field paths inside one record, over the assumed defaults (see the
    /// README's table); `id` becomes `externalIdMacro`.
    #[serde(default)]
    pub fields: FieldMap,
    /// The account's time zone, for datetimes written without an offset
    /// (`Europe/Moscow`).
    #[serde(default = "default_timezone")]
    pub timezone: TimeZoneName,
    /// A parameter that makes the API return only records created at or
    /// after a time, if it has one. Each pass then sends the later of the
    /// start and the newest record seen less `lookback`. Not with
    /// `paging: {style: since}`, which sends its own.
    #[serde(default)]
    pub created_from_param: Option<String>,
    /// How `created_from_param`'s time is written: `local` (the default,
    /// `YYYY-MM-DD HH:MM:SS` in `timezone`), `unix` or `rfc3339`.
    #[serde(default = "default_created_from_format")]
    pub created_from_format: SinceFormat,
    /// How far before the newest record seen a time-filtered pass starts
    /// again, for records that appear late (`1h`).
    #[serde(default = "default_lookback")]
    pub lookback: HumanDuration,
    /// Requests per period this source sends at most. MACRO publishes no
    /// limit; `2/s` is an assumption.
    #[serde(default = "default_rate_limit")]
    pub rate_limit: Rate,
    /// How long one HTTP request may take in all (`30s`).
    #[serde(default = "default_timeout")]
    pub timeout: HumanDuration,
    /// Attempts per request, the first one included, before a temporary
    /// failure (network, 5xx, 429) is given up.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
}

/// How requests carry their parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// `GET` with a query string.
    #[default]
    Get,
    /// `POST` with a form-encoded body.
    Post,
}

fn default_base_url() -> EnvString {
    EnvString(assumed::MACROSERVER.to_owned())
}

fn default_path() -> String {
    assumed::PATH.to_owned()
}

fn default_timezone() -> TimeZoneName {
    TimeZoneName(chrono_tz::Europe::Moscow)
}

fn default_created_from_format() -> SinceFormat {
    assumed::CREATED_FROM_FORMAT
}

fn default_lookback() -> HumanDuration {
    HumanDuration(Duration::from_secs(3600))
}

fn default_rate_limit() -> Rate {
    Rate::per_second(2).unwrap_or(Rate::Unlimited)
}

fn default_timeout() -> HumanDuration {
    HumanDuration(Duration::from_secs(30))
}

fn default_max_attempts() -> u32 {
    6
}

const URL_SHAPE: &str = "base_url must be the API host without a path: https://api.macroserver.ru \
     or, for accounts on macro.sbercrm.com, https://api.macro.sbercrm.com";

impl MacroConfig {
    /// A configuration with every optional key at its default.
    pub fn new(base_url: &str, domain: &str, app_secret: Secret) -> Self {
        Self {
            base_url: EnvString(base_url.to_owned()),
            domain: EnvString(domain.to_owned()),
            app_secret,
            path: default_path(),
            method: Method::default(),
            params: BTreeMap::new(),
            paging: assumed::paging(),
            records: None,
            fields: FieldMap::default(),
            timezone: default_timezone(),
            created_from_param: None,
            created_from_format: default_created_from_format(),
            lookback: default_lookback(),
            rate_limit: default_rate_limit(),
            timeout: default_timeout(),
            max_attempts: default_max_attempts(),
        }
    }

    /// Reads the connector's keys of a `sources:` entry and checks them.
    pub fn from_settings(settings: &SourceSettings) -> Result<Self, ConfigError> {
        settings.read(Self::validate)
    }

    /// Checks what serde cannot: the host, the domain, the path, parameter
    /// names that would collide, the field map and the limits.
    pub fn validate(&self) -> Result<(), String> {
        self.origin()?;
        let domain = self.domain.as_str();
        if domain.trim().is_empty() {
            return Err(
                "domain must not be empty: write the domain registered under \
                 Компания / Интеграции"
                    .into(),
            );
        }
        if domain != domain.trim() || domain.contains("://") || domain.contains('/') {
            return Err(format!(
                "domain '{}' must be the bare domain registered under Компания / Интеграции \
                 (like вашсайт.рф), without spaces, scheme or path",
                domain.trim()
            ));
        }
        if !self.path.starts_with('/') {
            return Err(format!("path '{}' must start with '/'", self.path));
        }
        self.check_parameter_names()?;
        self.records_path()?;
        self.field_map()
            .validate()
            .map_err(|e| format!("{e} (set it under fields:)"))?;
        let limit = match &self.paging {
            Paging::PageLimit { limit, .. } | Paging::OffsetLimit { limit, .. } => Some(*limit),
            Paging::Since { limit, .. } => *limit,
            Paging::None => None,
        };
        if limit == Some(0) {
            return Err("paging: limit must be at least 1".into());
        }
        if self.max_attempts == 0 {
            return Err("max_attempts must be at least 1".into());
        }
        if self.timeout.0.is_zero() {
            return Err("timeout must be longer than 0s".into());
        }
        Ok(())
    }

    /// No two sources of one parameter: the signature's, `params:`, the
    /// paging style's and `created_from_param`.
    fn check_parameter_names(&self) -> Result<(), String> {
        let mut taken: Vec<(String, &str)> = SIGNED
            .iter()
            .map(|name| ((*name).to_owned(), "the signature"))
            .collect();
        let paging: Vec<String> = match &self.paging {
            Paging::None => Vec::new(),
            Paging::PageLimit {
                page_param,
                limit_param,
                ..
            } => vec![page_param.clone(), limit_param.clone()],
            Paging::OffsetLimit {
                offset_param,
                limit_param,
                ..
            } => vec![offset_param.clone(), limit_param.clone()],
            Paging::Since {
                param, limit_param, ..
            } => std::iter::once(param.clone())
                .chain(limit_param.clone())
                .collect(),
        };
        if let (Paging::Since { .. }, Some(_)) = (&self.paging, &self.created_from_param) {
            return Err(
                "created_from_param: paging style since already sends the time; \
                 remove created_from_param"
                    .into(),
            );
        }
        let mut add = |name: &str, whose: &'static str| -> Result<(), String> {
            if let Some((_, first)) = taken.iter().find(|(n, _)| n == name) {
                return Err(format!(
                    "parameter '{name}' is set by both {first} and {whose}; rename or remove one"
                ));
            }
            taken.push((name.to_owned(), whose));
            Ok(())
        };
        for name in &paging {
            add(name, "paging:")?;
        }
        if let Some(name) = &self.created_from_param {
            add(name, "created_from_param")?;
        }
        for name in self.params.keys() {
            add(name, "params:")?;
        }
        Ok(())
    }

    /// Where the records are: `records:`, else the assumed path.
    pub(crate) fn records_path(&self) -> Result<JsonPath, String> {
        match &self.records {
            Some(path) => Ok(path.clone()),
            None => JsonPath::parse(assumed::RECORDS).map_err(|e| format!("records: {e}")),
        }
    }

    /// The assumed field paths with `fields:` laid over them.
    pub(crate) fn field_map(&self) -> FieldMap {
        assumed::fields().overlay(&self.fields)
    }

    /// The API host's origin, without a trailing slash.
    pub(crate) fn origin(&self) -> Result<String, String> {
        let raw = self.base_url.as_str().trim();
        let url = Url::parse(raw).map_err(|e| format!("{URL_SHAPE}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{URL_SHAPE}: the scheme must be https"));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("{URL_SHAPE}: the host is missing"))?
            .to_ascii_lowercase();
        if let Some((_, api)) = assumed::WEB_HOSTS.iter().find(|(web, _)| *web == host) {
            return Err(format!(
                "base_url: {host} is MACRO's web interface, not its API; use {api}"
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!("{URL_SHAPE}: remove the user name before the host"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!("{URL_SHAPE}: remove the part after '?' or '#'"));
        }
        if !matches!(url.path(), "" | "/") {
            return Err(format!(
                "{URL_SHAPE}: move the path '{}' to path:",
                url.path()
            ));
        }
        Ok(url.as_str().trim_end_matches('/').to_owned())
    }
}

impl fmt::Debug for MacroConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params: BTreeMap<&str, &Secret> =
            self.params.iter().map(|(k, v)| (k.as_str(), v)).collect();
        f.debug_struct("MacroConfig")
            .field("base_url", &self.base_url.as_str())
            .field("domain", &self.domain.as_str())
            .field("app_secret", &self.app_secret)
            .field("path", &self.path)
            .field("method", &self.method)
            .field("params", &params)
            .field("paging", &self.paging)
            .field("records", &self.records)
            .field("fields", &self.fields)
            .field("timezone", &self.timezone.0.name())
            .field("created_from_param", &self.created_from_param)
            .field("created_from_format", &self.created_from_format)
            .field("lookback", &self.lookback.0)
            .field("rate_limit", &self.rate_limit.to_string())
            .field("timeout", &self.timeout.0)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liner_sync_core::config::Location;
    use serde_json::{Value, json};

    const SECRET: &str = "app-s3cret-for-tests";
    const COMPANY: &str = "company-t0ken-for-tests";

    fn settings(extra: &[(&str, Value)]) -> SourceSettings {
        let mut s = SourceSettings::new(Location { line: 3, column: 5 });
        let base = [
            ("domain", json!("вашсайт.рф")),
            ("app_secret", json!(SECRET)),
        ];
        let base = base
            .iter()
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        for (i, (k, v)) in base.chain(extra).enumerate() {
            let at = Location {
                line: 4 + i as u64,
                column: 7,
            };
            s.insert((*k).to_owned(), v.clone(), at);
        }
        s
    }

    #[test]
    fn defaults_are_the_documented_assumptions() {
        let c = MacroConfig::from_settings(&settings(&[])).unwrap();
        assert_eq!(c.origin().unwrap(), "https://api.macroserver.ru");
        assert_eq!(c.path, "/estate/request/get/");
        assert_eq!(c.method, Method::Get);
        assert_eq!(c.paging, assumed::paging());
        assert_eq!(c.records_path().unwrap().as_str(), "data");
        assert_eq!(c.timezone.0, chrono_tz::Europe::Moscow);
        assert_eq!(c.lookback.0, Duration::from_secs(3600));
        assert_eq!(c.rate_limit.to_string(), "2/s");
        assert_eq!(c.timeout.0, Duration::from_secs(30));
        assert_eq!(c.max_attempts, 6);
        assert_eq!(c.created_from_format, SinceFormat::Local);
    }

    #[test]
    fn the_sbercrm_host_and_overrides_are_read() {
        let c = MacroConfig::from_settings(&settings(&[
            ("base_url", json!("https://api.macro.sbercrm.com/")),
            ("method", json!("post")),
            ("params", json!({"company_token": COMPANY})),
            ("paging", json!({"style": "offset_limit", "limit": 50})),
            ("records", json!("result.items")),
            (
                "fields",
                json!({"created_at": "date_create", "custom": {"budget": "price"}}),
            ),
            ("created_from_param", json!("date_from")),
            ("timezone", json!("Asia/Yekaterinburg")),
        ]))
        .unwrap();
        assert_eq!(c.origin().unwrap(), "https://api.macro.sbercrm.com");
        assert_eq!(c.method, Method::Post);
        let map = c.field_map();
        assert_eq!(map.created_at.unwrap().as_str(), "date_create");
        assert_eq!(
            map.id.unwrap().as_str(),
            "id",
            "defaults stay under overrides"
        );
        assert!(map.custom.contains_key("budget"));
    }

    #[test]
    fn mistakes_are_named() {
        let cases: Vec<(Vec<(&str, Value)>, &str)> = vec![
            (
                vec![("base_url", json!("https://macro.sbercrm.com"))],
                "use https://api.macro.sbercrm.com",
            ),
            (
                vec![("base_url", json!("https://macroserver.ru"))],
                "use https://api.macroserver.ru",
            ),
            (
                vec![(
                    "base_url",
                    json!("https://api.macroserver.ru/estate/request/get/"),
                )],
                "move the path",
            ),
            (
                vec![("base_url", json!("ftp://api.macroserver.ru"))],
                "scheme",
            ),
            (
                vec![("domain", json!("https://вашсайт.рф/"))],
                "bare domain",
            ),
            (
                vec![("path", json!("estate/request/get/"))],
                "must start with '/'",
            ),
            (
                vec![("params", json!({"token": "x"}))],
                "'token' is set by both the signature and params:",
            ),
            (
                vec![("params", json!({"page": "x"}))],
                "'page' is set by both paging: and params:",
            ),
            (
                vec![("created_from_param", json!("limit"))],
                "'limit' is set by both paging:",
            ),
            (
                vec![
                    ("paging", json!({"style": "since", "param": "from"})),
                    ("created_from_param", json!("x")),
                ],
                "remove created_from_param",
            ),
            (
                vec![("paging", json!({"style": "page_limit", "limit": 0}))],
                "at least 1",
            ),
            (vec![("max_attempts", json!(0))], "max_attempts"),
        ];
        for (extra, needle) in cases {
            let e = MacroConfig::from_settings(&settings(&extra)).unwrap_err();
            assert!(e.message.contains(needle), "{needle}: {e}");
        }
        let e = MacroConfig::from_settings(&settings(&[("bogus", json!(1))])).unwrap_err();
        assert!(e.message.contains("unknown field `bogus`"), "{e}");
        let e = MacroConfig::from_settings(&settings(&[("fields", json!({"phone": "x"}))]))
            .unwrap_err();
        assert!(e.message.contains("unknown field `phone`"), "{e}");
    }

    #[test]
    fn debug_hides_the_secret_and_the_parameter_values() {
        let c =
            MacroConfig::from_settings(&settings(&[("params", json!({"company_token": COMPANY}))]))
                .unwrap();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains(SECRET) && !shown.contains(COMPANY),
            "{shown}"
        );
        assert!(
            shown.contains("company_token") && shown.contains("[redacted]"),
            "{shown}"
        );
        assert!(shown.contains("вашсайт.рф"), "{shown}");
    }
}
