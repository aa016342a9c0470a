//! Incoming webhook URLs: `https://PORTAL/rest/USER_ID/CODE/`, split into the
//! base every method is appended to and the secret code.

use liner_sync_core::config::Secret;
use reqwest::Url;

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

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = "k3y5ecr3tc0de";

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
}
