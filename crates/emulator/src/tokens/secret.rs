//! Opaque random token strings, different in every fake and every run.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::rng::SplitMix64;

/// Hex digits in a token.
const TOKEN_BYTES: usize = 32;

/// A seed no other token store in this process (or an earlier run) shares.
pub(super) fn fresh_seed() -> u64 {
    static STORES: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(STORES.fetch_add(1, Ordering::Relaxed));
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    hasher.finish()
}

/// 64 lower-case hex digits.
pub(super) fn new_token(rng: &mut SplitMix64) -> String {
    (0..TOKEN_BYTES / 8)
        .map(|_| format!("{:016x}", rng.next_u64()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_and_tokens_differ() {
        assert_ne!(fresh_seed(), fresh_seed());
        let mut rng = SplitMix64::new(fresh_seed());
        let token = new_token(&mut rng);
        assert_eq!(token.len(), 64);
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(token, new_token(&mut rng));
    }
}
