//! Phones from the leads API for deals the feed gives none.

use crate::account::{
    API_TOKEN, Harness, cursor, deal, deals, enrich, harness_with, hits, ids, pass, phone,
};
use liner_sync_core::{CrmSource, ErrorKind};
use liner_sync_domoplaner::ExternalId;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const LEADS: &str = "/api/leads/get-by-id";

/// The leads API's reply for client `id` (the documented shape).
fn card(id: u64, phone: &str) -> Value {
    json!({"lead": {"id": id, "name": format!("Клиент из API {id}"), "status": 101},
           "phones": [{"id": 1, "type": 1, "value": phone, "tg_chat_id": null,
                       "max_chat_id": null, "comment": ""}]})
}

/// A source with `enrich:` pointing at its account's leads API.
async fn enriched(feed: Vec<Value>) -> Harness {
    harness_with(feed, |c, uri| c.enrich = Some(enrich(uri))).await
}

fn know(h: &Harness, client: &str, body: Value) {
    if let Ok(mut clients) = h.account.clients.lock() {
        clients.insert(client.to_owned(), body);
    }
}

#[tokio::test]
async fn deals_without_phones_get_their_clients_phones() {
    let h = enriched(vec![
        deal(1, "2026-11-02 09:00:00", None),
        deal(2, "2026-11-02 09:01:00", Some(&phone(2))),
        deal(3, "2026-11-02 09:02:00", None),
        json!({"id": 4, "dt_create": "2026-11-02 09:03:00"}),
        deal(5, "2026-11-02 09:04:00", None),
    ])
    .await;
    know(&h, "10", card(10, "8 (912) 000-11-22"));
    know(
        &h,
        "50",
        json!({"status": "error", "text": "Клиента с таким ID не найдено"}),
    );
    let pages = pass(&h.source, &cursor()).await.unwrap();
    let deals = &pages[0].deals;
    assert_eq!(ids(&pages), ["1", "2", "3", "4", "5"]);
    assert_eq!(deals[0].contacts[0].phones, ["8 (912) 000-11-22"]);
    assert_eq!(
        deals[0].contacts[0].name.as_deref(),
        Some("Клиент 1"),
        "the feed's name stays"
    );
    assert_eq!(
        deals[1].contacts[0].phones,
        [phone(2)],
        "not asked: the feed had one"
    );
    assert!(
        deals[2].contacts.iter().all(|c| c.phones.is_empty()),
        "404: unknown client"
    );
    assert!(deals[3].contacts.is_empty(), "no client id, nothing to ask");
    assert!(
        deals[4].contacts.iter().all(|c| c.phones.is_empty()),
        "status error"
    );
    let asked: Vec<String> = h
        .server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == LEADS)
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect();
    let mut asked = asked;
    asked.sort();
    assert_eq!(asked, ["id=10", "id=30", "id=50"]);
}

#[tokio::test]
async fn a_deal_keyed_by_client_still_asks_with_the_client_id() {
    let h = harness_with(vec![deal(7, "2026-11-02 09:00:00", None)], |c, uri| {
        c.enrich = Some(enrich(uri));
        c.external_id = ExternalId::Client;
    })
    .await;
    know(&h, "70", card(70, "+7 916 555-44-33"));
    let pages = pass(&h.source, &cursor()).await.unwrap();
    assert_eq!(ids(&pages), ["70"]);
    assert_eq!(pages[0].deals[0].contacts[0].phones, ["+7 916 555-44-33"]);
}

#[tokio::test]
async fn a_refused_token_stops_the_run() {
    let h = harness_with(vec![deal(1, "2026-11-02 09:00:00", None)], |c, uri| {
        let mut wrong = enrich(uri);
        wrong.token = liner_sync_core::config::Secret::new("not-the-token");
        c.enrich = Some(wrong);
    })
    .await;
    let e = pass(&h.source, &cursor()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert!(e.to_string().contains("refused enrich.token"), "{e}");
    assert_eq!(hits(&h.server, LEADS).await, 1);
    let e = h.source.check().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "check tries the token: {e}");
    assert!(!e.to_string().contains(API_TOKEN));
}

#[tokio::test]
async fn check_tries_the_leads_api_once() {
    let h = enriched(deals(1, 5)).await;
    h.source.check().await.unwrap();
    assert_eq!(hits(&h.server, LEADS).await, 1);
}

#[tokio::test]
async fn the_leads_api_has_its_own_rate_limit() {
    let feed: Vec<Value> = (1..=11)
        .map(|i| deal(i, "2026-11-02 09:00:00", None))
        .collect();
    let h = harness_with(feed, |c, uri| {
        let mut limited = enrich(uri);
        limited.rate_limit = "20/s".parse().unwrap();
        c.enrich = Some(limited);
    })
    .await;
    let started = Instant::now();
    let pages = pass(&h.source, &cursor()).await.unwrap();
    assert_eq!(ids(&pages).len(), 11);
    assert_eq!(hits(&h.server, LEADS).await, 11);
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "11 requests at 20/s: {:?}",
        started.elapsed()
    );
}
