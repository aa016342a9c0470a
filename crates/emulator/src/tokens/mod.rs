//! An OAuth 2.0 authorisation server's memory of the token pairs it issued:
//! refresh-token rotation, access-token expiry and revocation. Shared by the
//! fakes that speak OAuth; each words its own replies.

mod secret;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use self::secret::{fresh_seed, new_token};
use crate::lock::lock;
use crate::rng::SplitMix64;

/// When a refresh token that has been exchanged stops working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rotation {
    /// Once either token of the pair it was exchanged for is first used
    /// (amoCRM: a lost reply can be retried with the old token).
    WhenNewPairUsed,
    /// At once (Bitrix24: store the new one in place of the old).
    AtOnce,
}

/// A freshly issued pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Issued {
    /// The new access token.
    pub access_token: String,
    /// The new refresh token.
    pub refresh_token: String,
    /// The access token's lifetime in seconds.
    pub expires_in: u64,
}

/// What an access token is worth right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccessCheck {
    /// Issued here and still within its lifetime.
    Valid,
    /// Issued here, but its lifetime is over (or it was expired by hand).
    Expired,
    /// Never issued here.
    Unknown,
}

/// Every token issued so far. Thread-safe; all methods take `&self`.
#[derive(Debug)]
pub(crate) struct TokenStore {
    rotation: Rotation,
    lifetime: Duration,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    pairs: Vec<Pair>,
    newest_refresh: Option<String>,
    refreshes: usize,
    rng: SplitMix64,
}

#[derive(Debug)]
struct AccessToken {
    expires_at: Instant,
    expired_by_hand: bool,
    pair: Option<usize>,
}

#[derive(Debug)]
struct RefreshToken {
    live: bool,
    pair: Option<usize>,
}

/// A pair issued in exchange for `parent`.
#[derive(Debug)]
struct Pair {
    parent: String,
    refresh: String,
    used: bool,
}

impl TokenStore {
    /// A store whose access tokens live `lifetime`, seeded with the tokens
    /// the integration was installed with.
    pub fn new(
        rotation: Rotation,
        lifetime: Duration,
        initial_refresh: &str,
        initial_access: Option<&str>,
    ) -> Self {
        let mut state = State {
            access: HashMap::new(),
            refresh: HashMap::new(),
            pairs: Vec::new(),
            newest_refresh: Some(initial_refresh.to_owned()),
            refreshes: 0,
            rng: SplitMix64::new(fresh_seed()),
        };
        state.refresh.insert(
            initial_refresh.to_owned(),
            RefreshToken {
                live: true,
                pair: None,
            },
        );
        if let Some(access) = initial_access {
            state.access.insert(
                access.to_owned(),
                AccessToken {
                    expires_at: Instant::now() + lifetime,
                    expired_by_hand: false,
                    pair: None,
                },
            );
        }
        TokenStore {
            rotation,
            lifetime,
            state: Mutex::new(state),
        }
    }

    /// Exchanges a live refresh token for a new pair; `None` for a token
    /// that is unknown, revoked or already rotated away.
    pub fn refresh(&self, refresh_token: &str) -> Option<Issued> {
        let mut state = lock(&self.state);
        let token = state.refresh.get(refresh_token)?;
        if !token.live {
            return None;
        }
        if let Some(pair) = token.pair {
            state.first_use(pair, self.rotation);
        }
        if self.rotation == Rotation::AtOnce {
            state.kill(refresh_token);
        }
        let access_token = new_token(&mut state.rng);
        let new_refresh = new_token(&mut state.rng);
        let pair = state.pairs.len();
        state.pairs.push(Pair {
            parent: refresh_token.to_owned(),
            refresh: new_refresh.clone(),
            used: false,
        });
        state.access.insert(
            access_token.clone(),
            AccessToken {
                expires_at: Instant::now() + self.lifetime,
                expired_by_hand: false,
                pair: Some(pair),
            },
        );
        state.refresh.insert(
            new_refresh.clone(),
            RefreshToken {
                live: true,
                pair: Some(pair),
            },
        );
        state.newest_refresh = Some(new_refresh.clone());
        state.refreshes += 1;
        Some(Issued {
            access_token,
            refresh_token: new_refresh,
            expires_in: self.lifetime.as_secs(),
        })
    }

    /// Checks an access token presented to the API; a valid one counts as a
    /// use of its pair.
    pub fn check_access(&self, access_token: &str) -> AccessCheck {
        let mut state = lock(&self.state);
        let Some(token) = state.access.get(access_token) else {
            return AccessCheck::Unknown;
        };
        if token.expired_by_hand || Instant::now() >= token.expires_at {
            return AccessCheck::Expired;
        }
        if let Some(pair) = token.pair {
            state.first_use(pair, self.rotation);
        }
        AccessCheck::Valid
    }

    /// Every access token issued so far is expired from now on.
    pub fn expire_access_tokens(&self) {
        for token in lock(&self.state).access.values_mut() {
            token.expired_by_hand = true;
        }
    }

    /// Every refresh token issued so far stops working.
    pub fn revoke_refresh_tokens(&self) {
        for token in lock(&self.state).refresh.values_mut() {
            token.live = false;
        }
    }

    /// The newest refresh token issued (the initial one before any
    /// refresh), whether or not it still works.
    pub fn current_refresh_token(&self) -> Option<String> {
        lock(&self.state).newest_refresh.clone()
    }

    /// Successful refreshes so far.
    pub fn refreshes(&self) -> usize {
        lock(&self.state).refreshes
    }

    /// Every access and refresh token the store knows: the ones it was
    /// seeded with and every one it issued (to check that none leaks).
    pub fn all_tokens(&self) -> Vec<String> {
        let state = lock(&self.state);
        state
            .access
            .keys()
            .chain(state.refresh.keys())
            .cloned()
            .collect()
    }
}

impl State {
    /// The first use of a pair retires the token it was exchanged for, and
    /// any other pair that token bought (replies the client never saw).
    fn first_use(&mut self, pair: usize, rotation: Rotation) {
        let Some(entry) = self.pairs.get_mut(pair) else {
            return;
        };
        if entry.used {
            return;
        }
        entry.used = true;
        if rotation != Rotation::WhenNewPairUsed {
            return;
        }
        let parent = entry.parent.clone();
        let siblings: Vec<String> = self
            .pairs
            .iter()
            .enumerate()
            .filter(|(i, p)| *i != pair && p.parent == parent)
            .map(|(_, p)| p.refresh.clone())
            .collect();
        self.kill(&parent);
        for sibling in siblings {
            self.kill(&sibling);
        }
    }

    fn kill(&mut self, refresh_token: &str) {
        if let Some(token) = self.refresh.get_mut(refresh_token) {
            token.live = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    #[test]
    fn the_old_refresh_token_lives_until_the_new_pair_is_used() {
        let store = TokenStore::new(Rotation::WhenNewPairUsed, DAY, "r0", None);
        let lost = store.refresh("r0").unwrap();
        let kept = store.refresh("r0").unwrap();
        assert_ne!(lost, kept);
        assert_eq!(store.check_access(&kept.access_token), AccessCheck::Valid);
        assert!(store.refresh("r0").is_none(), "the parent died");
        assert!(store.refresh(&lost.refresh_token).is_none(), "a sibling");
        let next = store.refresh(&kept.refresh_token).unwrap();
        assert!(store.refresh(&kept.refresh_token).is_some(), "until used");
        assert_eq!(store.check_access(&next.access_token), AccessCheck::Valid);
        assert_eq!(store.refreshes(), 4);
    }

    #[test]
    fn refreshing_with_the_new_token_retires_the_old_one() {
        let store = TokenStore::new(Rotation::WhenNewPairUsed, DAY, "r0", Some("a0"));
        let first = store.refresh("r0").unwrap();
        store.refresh(&first.refresh_token).unwrap();
        assert!(store.refresh("r0").is_none());
        assert_eq!(store.check_access("a0"), AccessCheck::Valid);
    }

    #[test]
    fn at_once_rotation_kills_the_old_token_immediately() {
        let store = TokenStore::new(Rotation::AtOnce, DAY, "r0", None);
        let issued = store.refresh("r0").unwrap();
        assert!(store.refresh("r0").is_none());
        assert_eq!(
            store.current_refresh_token().as_deref(),
            Some(issued.refresh_token.as_str())
        );
        assert_eq!(issued.expires_in, 86_400);
    }

    #[test]
    fn expiry_revocation_and_unknown_tokens() {
        let store = TokenStore::new(Rotation::AtOnce, DAY, "r0", Some("a0"));
        assert_eq!(store.check_access("nope"), AccessCheck::Unknown);
        let issued = store.refresh("r0").unwrap();
        store.expire_access_tokens();
        assert_eq!(store.check_access("a0"), AccessCheck::Expired);
        assert_eq!(
            store.check_access(&issued.access_token),
            AccessCheck::Expired
        );
        let fresh = store.refresh(&issued.refresh_token).unwrap();
        assert_eq!(store.check_access(&fresh.access_token), AccessCheck::Valid);
        store.revoke_refresh_tokens();
        assert!(store.refresh(&fresh.refresh_token).is_none());
        assert_eq!(store.check_access(&fresh.access_token), AccessCheck::Valid);
    }

    #[tokio::test(start_paused = true)]
    async fn access_tokens_expire_after_their_lifetime() {
        let store = TokenStore::new(Rotation::AtOnce, Duration::from_secs(60), "r0", None);
        let issued = store.refresh("r0").unwrap();
        tokio::time::advance(Duration::from_secs(59)).await;
        assert_eq!(store.check_access(&issued.access_token), AccessCheck::Valid);
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(
            store.check_access(&issued.access_token),
            AccessCheck::Expired
        );
    }
}
