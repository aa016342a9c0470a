use super::*;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Default)]
struct MemoryVault {
    rows: std::sync::Mutex<HashMap<String, (TokenPair, String)>>,
    broken: std::sync::atomic::AtomicBool,
}

impl TokenVault for MemoryVault {
    fn load_tokens(&self, source: &str) -> Result<Option<(TokenPair, String)>> {
        Ok(self.rows.lock().unwrap().get(source).cloned())
    }
    fn save_tokens(&self, source: &str, pair: &TokenPair, seed: &str) -> Result<()> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(Error::state("disk full"));
        }
        self.rows
            .lock()
            .unwrap()
            .insert(source.to_owned(), (pair.clone(), seed.to_owned()));
        Ok(())
    }
}

/// Rotates: refresh token `r<n>` gives access `a<n+1>` and refresh `r<n+1>`;
/// a used refresh token is refused, like amoCRM's.
#[derive(Default)]
struct RotatingServer {
    calls: AtomicUsize,
    used: std::sync::Mutex<Vec<String>>,
    lifetime_secs: i64,
}

#[async_trait]
impl TokenRefresher for RotatingServer {
    async fn refresh(&self, refresh_token: &Secret) -> Result<TokenPair> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let token = refresh_token.expose().to_owned();
        let mut used = self.used.lock().unwrap();
        if used.contains(&token) {
            return Err(Error::auth("Token has been revoked"));
        }
        used.push(token.clone());
        let n: u32 = token.trim_start_matches('r').parse().unwrap_or(0) + 1;
        Ok(TokenPair {
            access_token: Secret::new(format!("a{n}")),
            refresh_token: Secret::new(format!("r{n}")),
            expires_at: Utc::now()
                + Duration::seconds(if self.lifetime_secs == 0 {
                    86_400
                } else {
                    self.lifetime_secs
                }),
        })
    }
}

fn keeper(vault: &Arc<MemoryVault>, server: &Arc<RotatingServer>, seed: &str) -> TokenKeeper {
    TokenKeeper::new(
        "amo",
        vault.clone(),
        server.clone(),
        Secret::new(seed),
        "re-authorise the integration",
    )
}

#[tokio::test]
async fn the_first_use_trades_the_seed_and_saves_the_pair_first() {
    let vault = Arc::new(MemoryVault::default());
    let server = Arc::new(RotatingServer::default());
    let k = keeper(&vault, &server, "r0");
    assert_eq!(k.access_token().await.unwrap().expose(), "a1");
    assert_eq!(
        k.access_token().await.unwrap().expose(),
        "a1",
        "still valid: no second refresh"
    );
    assert_eq!(server.calls.load(Ordering::SeqCst), 1);
    let (saved, seed) = vault.load_tokens("amo").unwrap().unwrap();
    assert_eq!(
        (saved.refresh_token.expose(), seed),
        ("r1", fingerprint(&Secret::new("r0")))
    );
}

#[tokio::test]
async fn racing_401s_refresh_once() {
    let vault = Arc::new(MemoryVault::default());
    let server = Arc::new(RotatingServer::default());
    let k = Arc::new(keeper(&vault, &server, "r0"));
    let rejected = k.access_token().await.unwrap();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (k, rejected) = (k.clone(), rejected.clone());
            tokio::spawn(async move { k.after_unauthorized(&rejected).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().expose(), "a2");
    }
    assert_eq!(
        server.calls.load(Ordering::SeqCst),
        2,
        "one for the seed, one for the 401"
    );
}

#[tokio::test]
async fn a_restart_continues_from_the_saved_pair_not_the_used_seed() {
    let vault = Arc::new(MemoryVault::default());
    let server = Arc::new(RotatingServer {
        lifetime_secs: 60,
        ..RotatingServer::default()
    });
    keeper(&vault, &server, "r0").access_token().await.unwrap();
    // Expires within the margin, so the next process must refresh, with r1.
    let again = keeper(&vault, &server, "r0");
    assert_eq!(again.access_token().await.unwrap().expose(), "a2");
    assert_eq!(
        vault
            .load_tokens("amo")
            .unwrap()
            .unwrap()
            .0
            .refresh_token
            .expose(),
        "r2"
    );
}

#[tokio::test]
async fn a_new_seed_in_the_configuration_starts_a_new_chain() {
    let vault = Arc::new(MemoryVault::default());
    let server = Arc::new(RotatingServer::default());
    keeper(&vault, &server, "r0").access_token().await.unwrap();
    let reauthorised = keeper(&vault, &server, "r10");
    assert_eq!(reauthorised.access_token().await.unwrap().expose(), "a11");
}

#[tokio::test]
async fn a_refused_refresh_token_says_how_to_reauthorise() {
    let vault = Arc::new(MemoryVault::default());
    let server = Arc::new(RotatingServer::default());
    keeper(&vault, &server, "r0").access_token().await.unwrap();
    vault.rows.lock().unwrap().clear();
    let e = keeper(&vault, &server, "r0")
        .access_token()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert_eq!(
        e.to_string(),
        "the refresh token was refused (Token has been revoked); re-authorise the integration"
    );
}

#[tokio::test]
async fn a_pair_that_cannot_be_saved_is_not_used() {
    let vault = Arc::new(MemoryVault::default());
    let server = Arc::new(RotatingServer::default());
    vault.broken.store(true, Ordering::SeqCst);
    let k = keeper(&vault, &server, "r0");
    let e = k.access_token().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::State);
    assert!(k.current.lock().await.is_none());
}
