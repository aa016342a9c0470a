//! MACRO's request signature, as its site-integration docs give it:
//! `token = md5(domain + time + app_secret)`, with `time` in Unix seconds.

use liner_sync_core::config::Secret;
use md5::{Digest, Md5};
use std::fmt::Write;

/// Signs requests for one registered domain.
#[derive(Clone)]
pub(crate) struct Signer {
    domain: String,
    app_secret: Secret,
}

/// The signature parameters of one request.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    /// Unix seconds the token was made for.
    pub time: i64,
    /// Lowercase hex md5; a secret, since it proves the app secret for its second.
    pub token: Secret,
}

impl Signer {
    /// A signer for `domain`, used byte for byte as configured (it may be
    /// Cyrillic, `вашсайт.рф`), and the Защищенный ключ `app_secret`.
    pub fn new(domain: &str, app_secret: Secret) -> Self {
        Self {
            domain: domain.to_owned(),
            app_secret,
        }
    }

    /// The domain the requests carry.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The app secret, for scrubbing echoes of it from replies.
    pub fn app_secret(&self) -> &str {
        self.app_secret.expose()
    }

    /// The signature of a request sent at `time` (Unix seconds).
    pub fn sign(&self, time: i64) -> Signed {
        Signed {
            time,
            token: Secret::new(token(&self.domain, time, self.app_secret.expose())),
        }
    }
}

/// `md5(domain + time + app_secret)` in lowercase hex, over the UTF-8 bytes.
pub(crate) fn token(domain: &str, time: i64, app_secret: &str) -> String {
    let digest = Md5::new()
        .chain_update(domain.as_bytes())
        .chain_update(time.to_string().as_bytes())
        .chain_update(app_secret.as_bytes())
        .finalize();
    digest.iter().fold(String::with_capacity(32), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_php_md5_of_the_concatenation() {
        // PHP: md5('example.com' . 1700000000 . 'app-secret'), and the same
        // over the UTF-8 bytes of a Cyrillic domain.
        assert_eq!(
            token("example.com", 1_700_000_000, "app-secret"),
            "24e2c28efc83d5075ea13efe122de609"
        );
        assert_eq!(
            token("вашсайт.рф", 1_700_000_000, "s3cr3t"),
            "5d0edb82c2854c591184423b5bf5f482"
        );
    }

    #[test]
    fn each_second_has_its_own_token_and_debug_hides_it() {
        let signer = Signer::new("example.com", Secret::new("app-secret"));
        let a = signer.sign(1_700_000_000);
        let b = signer.sign(1_700_000_001);
        assert_eq!(a.token.expose(), "24e2c28efc83d5075ea13efe122de609");
        assert_ne!(a.token.expose(), b.token.expose());
        assert!(!format!("{a:?}").contains(a.token.expose()));
        assert_eq!(signer.domain(), "example.com");
    }
}
