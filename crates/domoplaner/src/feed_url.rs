//! The feed's secret URL: checked, shown without its secret, and split into
//! the pieces that must be scrubbed from any text a server echoes.

use reqwest::Url;

const URL_SHAPE: &str = "feed_url must be the feed's full address, https://…, as Domoplaner shows \
     it under Settings → Integrations → Data export";

/// Path segments and query values shorter than this are not worth hiding
/// (`feeds`, `json`); anything longer may be the token.
const SECRET_MIN_LEN: usize = 6;

/// A checked feed URL.
pub(crate) struct FeedUrl {
    /// The URL to request.
    pub url: Url,
    /// `https://host/[redacted]`: safe to show.
    pub shown: String,
    /// Every part of the URL that may be the secret, longest first (so a
    /// part never leaves the rest of a whole behind when scrubbed).
    pub secrets: Vec<String>,
}

impl FeedUrl {
    /// Checks an http(s) URL with a host. Errors never contain the URL.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = Url::parse(raw.trim()).map_err(|e| format!("{URL_SHAPE}: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{URL_SHAPE}: the scheme must be https"));
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("{URL_SHAPE}: the host is missing"))?;
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let shown = format!("{}://{host}{port}/[redacted]", url.scheme());
        let mut secrets = vec![url.as_str().to_owned(), raw.trim().to_owned()];
        secrets.extend(url.path_segments().into_iter().flatten().map(str::to_owned));
        secrets.extend(url.query_pairs().map(|(_, v)| v.into_owned()));
        secrets.extend(url.password().map(str::to_owned));
        secrets.retain(|s| s.len() >= SECRET_MIN_LEN);
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Ok(Self {
            url,
            shown,
            secrets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "9f2c4e7a1b3d5f60";

    #[test]
    fn accepts_feed_addresses_and_hides_them() {
        for raw in [
            format!("https://domoplaner.ru/dc-api/feeds/243-{TOKEN}/"),
            format!("https://domoplaner.ru/feeds/deals.json?key={TOKEN}"),
            format!(" http://127.0.0.1:8080/feeds/{TOKEN}.json "),
        ] {
            let feed = FeedUrl::parse(&raw).unwrap();
            assert!(!feed.shown.contains(TOKEN), "{}", feed.shown);
            assert!(feed.shown.ends_with("/[redacted]"), "{}", feed.shown);
            let echoed = format!("no feed at {} ({})", feed.url, raw.trim());
            let clean = liner_sync_core::Error::temporary(echoed)
                .redact(feed.secrets.iter().map(String::as_str));
            assert!(!clean.message().contains(TOKEN), "{clean}");
        }
        let feed = FeedUrl::parse(&format!("http://127.0.0.1:8080/f/{TOKEN}")).unwrap();
        assert_eq!(feed.shown, "http://127.0.0.1:8080/[redacted]");
    }

    #[test]
    fn refuses_what_is_not_a_web_address() {
        for (raw, needle) in [
            (format!("domoplaner.ru/feeds/{TOKEN}"), "must be"),
            (format!("ftp://domoplaner.ru/feeds/{TOKEN}"), "scheme"),
            (format!("file:///feeds/{TOKEN}"), "scheme"),
            ("https://".to_owned(), "must be"),
        ] {
            let err = FeedUrl::parse(&raw).err().unwrap_or_default();
            assert!(
                err.starts_with("feed_url must be") && err.contains(needle),
                "{raw}: {err}"
            );
            assert!(!err.contains(TOKEN), "{err}");
        }
    }
}
