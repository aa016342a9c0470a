//! OAuth token lifecycles end to end, for every connector that uses OAuth:
//! rotated tokens survive restarts, a revoked refresh token stops the run
//! with what to do, and a dry run does not lose a rotated token.

mod common;

use common::{
    AmocrmOAuth, Bitrix24OAuth, OAuthCrm, World, deals, deals_after, expected_ids, outcomes, text,
};

fn stored_refresh_token(world: &World<impl OAuthCrm>, source: &str) -> Option<String> {
    let conn = rusqlite::Connection::open(world.state_path()).ok()?;
    conn.query_row(
        "SELECT refresh_token FROM tokens WHERE source = ?1",
        [source],
        |r| r.get(0),
    )
    .ok()
}

async fn tokens_survive_restarts_and_rotation<C: OAuthCrm>() {
    let first = deals(201, 30, 1000);
    let mut valid = expected_ids(&first);
    let more = deals_after(&first, 202, 20, 5000);
    let world = World::<C>::new(first).await;
    let (out, _) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(world.crm.refreshes(), 1, "the seed is traded once");
    assert_eq!(
        stored_refresh_token(&world, C::SOURCE),
        world.crm.current_refresh_token()
    );

    // A later run: the access token has expired and the config still holds the
    // spent seed; only the stored, rotated refresh token works now.
    world.crm.expire_access_tokens();
    valid.extend(expected_ids(&more));
    world.crm.add(more);
    let (out, _) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(world.crm.refreshes(), 2);
    assert_eq!(
        stored_refresh_token(&world, C::SOURCE),
        world.crm.current_refresh_token()
    );
    let deliveries = world.deliveries();
    assert_eq!(deliveries.len(), valid.len());
    assert!(deliveries.values().all(|&n| n == 1));
}

async fn a_revoked_refresh_token_stops_the_run_with_what_to_do<C: OAuthCrm>() {
    let first = deals(203, 10, 1000);
    let more = deals_after(&first, 204, 10, 5000);
    let world = World::<C>::new(first).await;
    let (out, _) = world.run_json().await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    let before = outcomes(&world.state_path());
    world.crm.revoke_refresh_tokens();
    world.crm.expire_access_tokens();
    world.crm.add(more);
    let out = world.run(&["run"]).await;
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(3), "{stdout}\n{stderr}");
    assert!(stdout.contains("refresh token was refused"), "{stdout}");
    assert!(
        stdout.contains("refresh_token"),
        "the message says which setting to renew: {stdout}"
    );
    assert_eq!(
        outcomes(&world.state_path()),
        before,
        "nothing is marked after an auth failure"
    );
}

async fn a_dry_run_keeps_the_tokens_it_rotated<C: OAuthCrm>() {
    let data = deals(205, 25, 1000);
    let valid = expected_ids(&data);
    let world = World::<C>::new(data).await;
    let out = world.run(&["run", "--dry-run"]).await;
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert!(world.liner.received().is_empty());
    assert_eq!(
        stored_refresh_token(&world, C::SOURCE),
        world.crm.current_refresh_token()
    );
    assert!(
        outcomes(&world.state_path()).is_empty(),
        "a dry run records no deal"
    );

    world.crm.expire_access_tokens();
    let (out, _) = world.run_json().await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "the chain survived the dry run: {:?}",
        text(&out)
    );
    assert_eq!(world.deliveries().len(), valid.len());
}

macro_rules! oauth_tests {
    ($module:ident, $crm:ty) => {
        mod $module {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn tokens_survive_restarts_and_rotation() {
                super::tokens_survive_restarts_and_rotation::<$crm>().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_revoked_refresh_token_stops_the_run_with_what_to_do() {
                super::a_revoked_refresh_token_stops_the_run_with_what_to_do::<$crm>().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_dry_run_keeps_the_tokens_it_rotated() {
                super::a_dry_run_keeps_the_tokens_it_rotated::<$crm>().await;
            }
        }
    };
}

oauth_tests!(amocrm, AmocrmOAuth);
oauth_tests!(bitrix24, Bitrix24OAuth);
