//! The REST base every method name is appended to: the checks of an OAuth
//! application's `client_endpoint` and of the OAuth server's address, and the
//! cell holding the base in use, which a portal rename replaces.

use liner_sync_core::config::Secret;
use reqwest::Url;
use std::sync::RwLock;

/// Where Bitrix24 refreshes tokens for every portal.
pub(crate) const DEFAULT_OAUTH_SERVER: &str = "https://oauth.bitrix.info/oauth/token/";

const ENDPOINT_SHAPE: &str = "client_endpoint must look like https://PORTAL/rest/ \
     (the client_endpoint of the token reply)";

const SERVER_SHAPE: &str =
    "oauth_server must look like https://oauth.bitrix.info/oauth/token/ (or be left out)";

/// Checks a `client_endpoint` and returns it with exactly one trailing slash.
/// Errors never contain the value: a webhook URL pasted here holds a secret.
pub(crate) fn parse_endpoint(raw: &str) -> Result<Url, String> {
    let mut url = plain_url(raw, ENDPOINT_SHAPE)?;
    let path = url.path().trim_end_matches('/').to_owned();
    if !path.ends_with("/rest") {
        let hint = if path.contains("/rest/") {
            "; an incoming webhook's URL goes in webhook_url instead"
        } else {
            ""
        };
        return Err(format!(
            "{ENDPOINT_SHAPE}: the path must end with /rest/{hint}"
        ));
    }
    url.set_path(&format!("{path}/"));
    Ok(url)
}

/// Checks `oauth_server`, the URL the refresh query is added to.
pub(crate) fn parse_oauth_server(raw: &str) -> Result<Url, String> {
    plain_url(raw, SERVER_SHAPE)
}

/// An http(s) URL with a host and nothing after `?` or `#`, and no user name.
fn plain_url(raw: &str, shape: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("{shape}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{shape}: the scheme must be https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{shape}: the host is missing"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{shape}: remove the part after '?' or '#'"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("{shape}: remove the user name before the host"));
    }
    Ok(url)
}

/// The base in use, shared by the client and the token refresher. It holds
/// a webhook's secret code in webhook mode, hence a [`Secret`].
pub(crate) struct Base(RwLock<Secret>);

impl Base {
    /// A cell holding `base`.
    pub fn new(base: Secret) -> Self {
        Self(RwLock::new(base))
    }

    /// The base now.
    pub fn get(&self) -> Secret {
        match self.0.read() {
            Ok(base) => base.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the base for the rest of the process.
    pub fn set(&self, base: Secret) {
        match self.0.write() {
            Ok(mut current) => *current = base,
            Err(poisoned) => *poisoned.into_inner() = base,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_get_one_trailing_slash() {
        let cases = [
            ("https://p.bitrix24.ru/rest/", "https://p.bitrix24.ru/rest/"),
            ("https://p.bitrix24.ru/rest", "https://p.bitrix24.ru/rest/"),
            (
                " https://P.Bitrix24.ru/rest// ",
                "https://p.bitrix24.ru/rest/",
            ),
            ("http://127.0.0.1:8080/rest/", "http://127.0.0.1:8080/rest/"),
            (
                "https://crm.example.com/b24/rest/",
                "https://crm.example.com/b24/rest/",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_endpoint(raw).unwrap().as_str(), want, "{raw}");
        }
    }

    #[test]
    fn bad_endpoints_are_explained_without_echoing_them() {
        let cases = [
            ("https://p.bitrix24.ru/", "must end with /rest/"),
            (
                "https://p.bitrix24.ru/rest/1/s3cr3tcode/",
                "webhook_url instead",
            ),
            ("p.bitrix24.ru/rest/", "client_endpoint must look like"),
            ("ftp://p.bitrix24.ru/rest/", "scheme"),
            ("https://p.bitrix24.ru/rest/?auth=s3cr3tcode", "after '?'"),
            ("https://u:s3cr3tcode@p.bitrix24.ru/rest/", "user name"),
            ("", "client_endpoint must look like"),
        ];
        for (raw, needle) in cases {
            let err = parse_endpoint(raw).unwrap_err();
            assert!(err.contains(needle), "{raw}: {err}");
            assert!(!err.contains("s3cr3tcode"), "{err}");
        }
    }

    #[test]
    fn oauth_servers_are_plain_urls() {
        assert!(parse_oauth_server(DEFAULT_OAUTH_SERVER).is_ok());
        assert!(parse_oauth_server("http://127.0.0.1:9/oauth/token/").is_ok());
        for bad in [
            "oauth.bitrix.info",
            "https://oauth.bitrix.info/oauth/token/?grant_type=x",
            "file:///etc/passwd",
        ] {
            let err = parse_oauth_server(bad).unwrap_err();
            assert!(err.starts_with("oauth_server must look like"), "{err}");
        }
    }

    #[test]
    fn the_base_can_be_replaced() {
        let base = Base::new(Secret::new("https://old.bitrix24.ru/rest/"));
        base.set(Secret::new("https://new.bitrix24.ru/rest/"));
        assert_eq!(base.get().expose(), "https://new.bitrix24.ru/rest/");
    }
}
