//! The fake amoCRM's rate limit and block, the unpaid account and the
//! shared fault knobs.

use std::time::Duration;

use liner_sync_emulator::{AmoFake, AmoOptions};
use serde_json::Value;

use crate::common::{amo, amo_data, amo_get, fixture};

async fn limited(block_after: u32) -> AmoFake {
    AmoFake::start(AmoOptions {
        data: amo_data(5),
        block_after,
        ..AmoOptions::default()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn over_seven_a_second_is_429_then_the_block_until_unblock() {
    let fake = limited(5).await;
    let mut statuses = Vec::new();
    let mut first_429 = None;
    for _ in 0..60 {
        let reply = amo_get(&fake, "/api/v4/account").await;
        if reply.status == 429 && first_429.is_none() {
            first_429 = Some(reply);
            statuses.push(429);
            continue;
        }
        statuses.push(reply.status);
        if reply.status == 403 {
            assert!(reply.content_type.starts_with("text/html"));
            assert!(reply.text.contains("403 Forbidden"));
            break;
        }
    }
    assert!(statuses[..7].iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&403), "{statuses:?}");
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(refused >= 5, "{statuses:?}");
    let reply = first_429.unwrap();
    assert_eq!(reply.content_type, "application/problem+json");
    let body = reply.json();
    let sample = fixture("amocrm/error_429_too_many_requests.json");
    assert_eq!(body["title"], sample["title"]);
    assert_eq!(body["detail"], sample["detail"]);
    assert_eq!(body["retry_after"], 1);
    assert_eq!(reply.headers["retry-after"], "1");

    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        amo_get(&fake, "/api/v4/account").await.status,
        403,
        "a pause does not lift it"
    );
    fake.unblock();
    assert_eq!(amo_get(&fake, "/api/v4/account").await.status, 200);
}

#[tokio::test]
async fn a_client_pacing_itself_is_never_refused() {
    let fake = limited(0).await;
    for _ in 0..10 {
        assert_eq!(amo_get(&fake, "/api/v4/account").await.status, 200);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test]
async fn an_unpaid_account_answers_402() {
    let fake = amo(3).await;
    fake.set_account_unpaid(true);
    for path in ["/api/v4/leads", "/api/v4/contacts", "/api/v4/account"] {
        let reply = amo_get(&fake, path).await;
        assert_eq!(reply.status, 402);
        assert_eq!(reply.content_type, "application/problem+json");
        assert_eq!(
            reply.json(),
            fixture("amocrm/error_402_payment_required.json")
        );
    }
    fake.set_account_unpaid(false);
    assert_eq!(amo_get(&fake, "/api/v4/leads").await.status, 200);
}

#[tokio::test]
async fn forced_statuses_carry_the_accounts_bodies() {
    let fake = amo(3).await;
    for status in [401, 402, 403, 429, 500, 502, 504] {
        fake.faults().fail_next(1, status);
    }
    let expect = [
        (401, fixture("amocrm/error_401_unauthorized.json")),
        (402, fixture("amocrm/error_402_payment_required.json")),
    ];
    for (status, body) in expect {
        let reply = amo_get(&fake, "/api/v4/leads").await;
        assert_eq!(reply.status, status);
        assert_eq!(reply.json(), body);
    }
    let blocked = amo_get(&fake, "/api/v4/leads").await;
    assert_eq!(blocked.status, 403);
    assert!(blocked.content_type.starts_with("text/html"));
    let slow_down = amo_get(&fake, "/api/v4/leads").await;
    assert_eq!(slow_down.status, 429);
    assert!(slow_down.json()["retry_after"].is_u64());
    let internal = amo_get(&fake, "/api/v4/leads").await;
    assert_eq!(internal.status, 500);
    let body = internal.json();
    assert_eq!(body["title"], "ErrInternalServer");
    assert!(body.get("type").is_none() && body["trace_id"].is_string());
    for status in [502, 504] {
        let reply = amo_get(&fake, "/api/v4/leads").await;
        assert_eq!(reply.status, status);
        assert_eq!(reply.json()["status"], status);
    }
    assert_eq!(amo_get(&fake, "/api/v4/leads").await.status, 200);
    assert_eq!(fake.requests().last().map(|r| r.status), Some(200));
}

#[tokio::test]
async fn html_malformed_broken_auth_and_error_rate() {
    let fake = amo(3).await;
    fake.faults().set_html_rate(1.0);
    let page = amo_get(&fake, "/api/v4/leads").await;
    assert!([502, 503, 504].contains(&page.status));
    assert!(page.content_type.starts_with("text/html"));
    fake.faults().set_html_rate(0.0);
    fake.faults().set_malformed_rate(1.0);
    let cut = amo_get(&fake, "/api/v4/leads").await;
    assert_eq!(cut.status, 200);
    assert_eq!(cut.content_type, "application/hal+json");
    assert!(serde_json::from_str::<Value>(&cut.text).is_err());
    fake.faults().set_malformed_rate(0.0);
    fake.faults().set_auth_broken(true);
    assert_eq!(amo_get(&fake, "/api/v4/leads").await.status, 401);
    fake.faults().set_auth_broken(false);
    fake.faults().set_seed(3);
    fake.faults().set_error_rate(0.5);
    let mut statuses = Vec::new();
    for _ in 0..40 {
        statuses.push(amo_get(&fake, "/api/v4/account").await.status);
    }
    assert!(statuses.contains(&200));
    assert!(
        statuses.iter().any(|s| [500, 502, 504].contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.iter().all(|s| [200, 500, 502, 504].contains(s)));
}
