//! An access/refresh token pair.

use crate::config::Secret;
use chrono::{DateTime, Utc};
use std::fmt;

/// An OAuth access token, the refresh token that replaces it, and when the
/// access token expires. `Debug` hides both tokens.
#[derive(Clone)]
pub struct TokenPair {
    /// Sent as `Authorization: Bearer …`.
    pub access_token: Secret,
    /// Exchanged for the next pair; single-use at most CRMs.
    pub refresh_token: Secret,
    /// When the access token stops working.
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A short, stable fingerprint of a secret (FNV-1a, 64 bits, hex): enough to
/// tell two refresh tokens apart without storing or logging either.
pub fn fingerprint(secret: &Secret) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in secret.expose().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        let a = fingerprint(&Secret::new("refresh-a"));
        assert_eq!(a, fingerprint(&Secret::new("refresh-a")));
        assert_ne!(a, fingerprint(&Secret::new("refresh-b")));
        assert_eq!(a.len(), 16);
        assert_eq!(fingerprint(&Secret::new("")), "cbf29ce484222325");
    }

    #[test]
    fn debug_hides_the_tokens() {
        let pair = TokenPair {
            access_token: Secret::new("acc-123456"),
            refresh_token: Secret::new("ref-654321"),
            expires_at: Utc::now(),
        };
        let shown = format!("{pair:?}");
        assert!(
            !shown.contains("acc-123456") && !shown.contains("ref-654321"),
            "{shown}"
        );
    }
}
