//! Request shapes and counts of paging and the cursor (carried leads and
//! contacts requests: `contacts.rs`).

use crate::account::{Account, Handled, PIPELINE, cursor, harness, harness_with, ids, lead, phone};
use liner_sync_core::{CrmSource, Cursor, ErrorKind, NothingSeen, StartFrom};
use serde_json::json;
use std::collections::HashSet;

const T0: i64 = 1_762_000_000;

#[tokio::test]
async fn full_pages_cost_two_requests_each() {
    // Three leads per second: ties everywhere, also across page boundaries.
    let h = harness(Account::with_leads(1..=510, |id| T0 + (id as i64) / 3)).await;
    let pages = h.pass(&cursor(T0 - 100, &[]), &NothingSeen).await.unwrap();

    assert_eq!(
        h.calls().await,
        [
            "leads", "contacts", "leads", "contacts", "leads", "contacts"
        ],
        "a leads page and its main contacts: 2 requests per page of 250"
    );
    let sizes: Vec<usize> = pages.iter().map(|p| p.deals.len()).collect();
    assert_eq!(sizes, [250, 250, 10]);
    assert_eq!(
        ids(&pages),
        (1..=510).collect::<Vec<_>>(),
        "none lost, none repeated"
    );
    assert!(pages.iter().all(|p| p.skipped_seen == 0));
    assert!(pages[2].next.is_none());

    let contact_calls = h.contact_calls().await;
    assert_eq!(contact_calls[0], (100_001..=100_250).collect::<Vec<_>>());
    assert_eq!(contact_calls[2].len(), 10);
    let d = &pages[0].deals[0];
    assert_eq!(d.contacts.len(), 1);
    assert_eq!(d.contacts[0].phones, [phone(100_001)]);
    assert_eq!(d.created_at.timestamp(), T0);
    assert_eq!(d.pipeline_id.as_deref(), Some("3300000"));

    // Lead 250 (at T0+83) ends page 1 together with 249; 251 (T0+83) opens page 2.
    assert_eq!(
        pages[0].cursor,
        cursor_with_start(T0 + 83, &[249, 250], None)
    );
    assert_eq!(
        pages[1].cursor,
        cursor_with_start(T0 + 166, &[498, 499, 500], None)
    );
    assert_eq!(pages[2].cursor, cursor_with_start(T0 + 170, &[510], None));

    let requests = h.requests().await;
    let first = requests[0].url.as_str();
    assert!(
        first.ends_with(&format!(
            "/api/v4/leads?with=contacts&limit=250&order[created_at]=asc&filter[created_at][from]={}",
            T0 - 100 - 600
        )),
        "literal brackets, from = cursor − lookback: {first}"
    );
    let contacts = requests[1].url.as_str();
    assert!(
        contacts.contains("/api/v4/contacts?limit=250&filter[id][]=100001&filter[id][]=100002&"),
        "{contacts}"
    );
    assert!(
        requests[2].url.as_str().contains("page=2"),
        "the next link is followed"
    );
}

fn cursor_with_start(at: i64, ids: &[u64], start: Option<i64>) -> Cursor {
    let mut c = json!({"created_at": at, "ids": ids});
    if let Some(start) = start {
        c["start"] = json!(start);
    }
    Cursor(c)
}

#[tokio::test]
async fn a_204_is_the_end_of_the_data() {
    let h = harness(Account::new()).await;
    let start = cursor(T0, &[7]);
    let page = h.fetch(&start, None, &NothingSeen).await.unwrap();
    assert!(page.deals.is_empty() && page.next.is_none());
    assert_eq!(page.cursor, start, "nothing read, nothing moves");
    assert_eq!(h.calls().await, ["leads"]);

    // Exactly one full page: its next link answers 204.
    let h = harness_with(Account::with_leads(1..=3, |id| T0 + id as i64), |c| {
        c.page_size = 3
    })
    .await;
    let pages = h.pass(&cursor(T0, &[]), &NothingSeen).await.unwrap();
    assert_eq!(h.calls().await, ["leads", "contacts", "leads"]);
    assert_eq!(ids(&pages), [1, 2, 3]);
    assert_eq!(
        pages[1].cursor, pages[0].cursor,
        "an empty later page keeps the position"
    );
}

#[tokio::test]
async fn deleted_contacts_leave_the_lead_with_what_loaded() {
    let mut account = Account::new();
    account.add(1, T0 + 1, &[(101, Some("+7 900 111-22-33"))]);
    account.add(2, T0 + 2, &[(102, None)]);
    account.contacts.clear();
    let h = harness(account).await;
    let pages = h.pass(&cursor(T0, &[]), &NothingSeen).await.unwrap();
    assert_eq!(
        h.calls().await,
        ["leads", "contacts"],
        "the contacts call answers 204"
    );
    assert_eq!(ids(&pages), [1, 2]);
    assert!(pages[0].deals.iter().all(|d| d.contacts.is_empty()));
}

#[tokio::test]
async fn ties_at_a_page_boundary_are_neither_lost_nor_repeated() {
    let mut account = Account::new();
    for id in 1..=3 {
        account.add(id, T0, &[(id + 100, Some(&phone(id + 100)))]);
    }
    account.add(4, T0 + 1, &[(104, Some(&phone(104)))]);
    let h = harness_with(account, |c| c.page_size = 2).await;
    let pages = h.pass(&cursor(T0 - 50, &[]), &NothingSeen).await.unwrap();
    assert_eq!(ids(&pages), [1, 2, 3, 4]);
    assert_eq!(pages[0].cursor, cursor(T0, &[1, 2]));
    assert_eq!(pages[1].cursor, cursor(T0 + 1, &[4]));

    // A pass resumed from page 1's cursor (the run stopped there) without a
    // lookback: 1 and 2 are skipped by the cursor alone, 3 is not lost.
    let mut account = Account::new();
    for id in 1..=3 {
        account.add(id, T0, &[(id + 100, Some(&phone(id + 100)))]);
    }
    account.add(4, T0 + 1, &[(104, Some(&phone(104)))]);
    let h = harness_with(account, |c| {
        c.page_size = 2;
        c.lookback.0 = std::time::Duration::ZERO;
    })
    .await;
    let seen = Handled::default();
    let pages = h.pass(&cursor(T0, &[1, 2]), &seen).await.unwrap();
    assert_eq!(ids(&pages), [3, 4]);
    assert_eq!(
        *seen.asked.lock().unwrap(),
        ["3", "4"],
        "covered ids never reach the state"
    );
    assert_eq!(pages.last().unwrap().cursor, cursor(T0 + 1, &[4]));

    // The next pass over the same data sends nothing again.
    let handled = Handled::of(1..=4);
    let pages = h.pass(&cursor(T0 + 1, &[4]), &handled).await.unwrap();
    assert!(ids(&pages).is_empty());
}

#[tokio::test]
async fn the_lookback_catches_back_dated_leads_without_moving_back() {
    let mut account = Account::new();
    account.add(10, T0, &[(110, Some(&phone(110)))]);
    account.add(11, T0 - 300, &[(111, Some(&phone(111)))]);
    account.add(12, T0 - 900, &[(112, Some(&phone(112)))]);
    let h = harness(account).await;
    let handled = Handled::of([10]);
    let pages = h.pass(&cursor(T0, &[10]), &handled).await.unwrap();
    assert_eq!(
        ids(&pages),
        [11],
        "inside the 10-minute lookback; 12 is too old"
    );
    assert_eq!(
        pages[0].cursor,
        cursor(T0, &[10]),
        "the cursor does not move back"
    );
    assert_eq!(
        *handled.asked.lock().unwrap(),
        ["11"],
        "10 is covered by the cursor"
    );
    let first = h.requests().await[0].url.to_string();
    assert!(
        first.contains(&format!("filter[created_at][from]={}", T0 - 600)),
        "{first}"
    );
}

#[tokio::test]
async fn the_start_is_a_floor_the_lookback_never_crosses() {
    let mut account = Account::new();
    account.add(1, T0 - 60, &[(101, Some(&phone(101)))]);
    account.add(2, T0, &[(102, Some(&phone(102)))]);
    let h = harness(account).await;
    let start = h
        .source
        .initial_cursor(StartFrom::Date(
            chrono::DateTime::from_timestamp(T0, 0).unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(start.0, json!({"created_at": T0, "ids": [], "start": T0}));
    assert!(h.calls().await.is_empty(), "a start date needs no request");
    let pages = h.pass(&start, &NothingSeen).await.unwrap();
    assert_eq!(ids(&pages), [2], "lead 1 is older than start_from");
    assert_eq!(
        pages[0].cursor.0,
        json!({"created_at": T0, "ids": [2], "start": T0})
    );
    let first = h.requests().await[0].url.to_string();
    assert!(
        first.contains(&format!("filter[created_at][from]={T0}")),
        "{first}"
    );
}

#[tokio::test]
async fn a_window_end_goes_to_the_server_as_the_last_second_before_it() {
    let mut account = Account::new();
    account.add(1, T0, &[(101, Some(&phone(101)))]);
    account.add(2, T0 + 59, &[(102, Some(&phone(102)))]);
    account.add(3, T0 + 60, &[(103, Some(&phone(103)))]);
    let h = harness(account).await;
    let until = chrono::DateTime::from_timestamp(T0 + 60, 0).unwrap();
    let page = h
        .fetch_until(&cursor(T0, &[]), None, &NothingSeen, Some(until))
        .await
        .unwrap();
    let ids: Vec<&str> = page.deals.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["1", "2"], "lead 3 was created at the end, outside");
    let first = h.requests().await[0].url.to_string();
    assert!(
        first.contains(&format!("&filter[created_at][to]={}", T0 + 59)),
        "{first}"
    );
}

async fn start_now_with_server_date(h: &crate::account::Harness, server_now: i64) -> i64 {
    let date = chrono::DateTime::from_timestamp(server_now, 0)
        .unwrap()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    wiremock::Mock::given(wiremock::matchers::path("/api/v4/account"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .insert_header("date", date.as_str())
                .set_body_json(json!({"id": 1, "subdomain": "acme"})),
        )
        .with_priority(1)
        .mount(&h.server)
        .await;
    let start = h.source.initial_cursor(StartFrom::Now).await.unwrap();
    assert_eq!(start.0["ids"], json!([]));
    assert_eq!(start.0["start"], start.0["created_at"]);
    start.0["created_at"].as_i64().unwrap()
}

#[tokio::test]
async fn starting_now_takes_the_servers_clock() {
    let h = harness(Account::new()).await;
    let server_now = chrono::Utc::now().timestamp() - 90;
    assert_eq!(start_now_with_server_date(&h, server_now).await, server_now);
    assert_eq!(h.calls().await, ["account"]);

    // A Date header ten days off is a broken proxy, not the account's clock.
    let h = harness(Account::new()).await;
    let got = start_now_with_server_date(&h, chrono::Utc::now().timestamp() + 10 * 86_400).await;
    assert!((got - chrono::Utc::now().timestamp()).abs() <= 5, "{got}");
}

#[tokio::test]
async fn pipelines_and_statuses_drop_leads_but_move_the_cursor() {
    let mut account = Account::new();
    account.add(1, T0 + 1, &[(101, Some(&phone(101)))]);
    account.add(2, T0 + 2, &[(102, Some(&phone(102)))]);
    account.add(3, T0 + 3, &[(103, Some(&phone(103)))]);
    account.leads[1]["status_id"] = json!(143);
    let mut other = lead(4, T0 + 4, &[104]);
    other["pipeline_id"] = json!(999);
    account.leads.push(other);
    let h = harness_with(account, |c| {
        c.pipelines = vec![PIPELINE];
        c.statuses = vec![crate::account::STATUS];
    })
    .await;
    let seen = Handled::default();
    let pages = h.pass(&cursor(T0, &[]), &seen).await.unwrap();
    assert_eq!(ids(&pages), [1, 3]);
    assert_eq!(pages[0].cursor, cursor(T0 + 3, &[3]));
    assert_eq!(*seen.asked.lock().unwrap(), ["1", "3"]);
    assert_eq!(h.contact_calls().await, [vec![101, 103]]);
    let first = h.requests().await[0].url.to_string();
    assert!(
        first.ends_with(&format!("&filter[pipeline_id][]={PIPELINE}")),
        "{first}"
    );
}

#[tokio::test]
async fn handled_leads_are_dropped_before_their_contacts() {
    let h = harness(Account::with_leads(1..=5, |id| T0 + id as i64)).await;
    let pages = h
        .pass(&cursor(T0, &[]), &Handled::of([2, 4]))
        .await
        .unwrap();
    assert_eq!(ids(&pages), [1, 3, 5]);
    assert_eq!(pages[0].skipped_seen, 2);
    assert_eq!(h.contact_calls().await, [vec![100_001, 100_003, 100_005]]);
    assert_eq!(pages[0].cursor, cursor(T0 + 5, &[5]));

    let h = harness(Account::with_leads(1..=5, |id| T0 + id as i64)).await;
    let pages = h.pass(&cursor(T0, &[]), &Handled::of(1..=5)).await.unwrap();
    assert_eq!(
        h.calls().await,
        ["leads"],
        "nothing new: no contacts request"
    );
    assert_eq!(pages[0].skipped_seen, 5);
    assert_eq!(pages[0].cursor, cursor(T0 + 5, &[5]));
}

#[tokio::test]
async fn odd_leads_neither_panic_nor_move_the_cursor_wrongly() {
    let mut account = Account::new();
    account.add(1, T0 + 1, &[(101, Some(&phone(101)))]);
    let mut future = lead(2, 4_000_000_000, &[]);
    future["name"] = json!(null);
    account.leads.push(future);
    let mut no_time = lead(3, 0, &[]);
    no_time["created_at"] = json!("yesterday");
    account.leads.push(no_time);
    let mut no_id = lead(4, T0 + 2, &[]);
    no_id["id"] = json!(null);
    account.leads.push(no_id);
    let h = harness(account).await;
    let pages = h.pass(&cursor(T0, &[]), &NothingSeen).await.unwrap();
    let got: HashSet<u64> = ids(&pages).into_iter().collect();
    assert_eq!(got, HashSet::from([1, 2, 3]));
    assert_eq!(
        pages[0].cursor,
        cursor(T0 + 1, &[1]),
        "a lead dated 2096 or undated does not move the cursor"
    );
}

#[tokio::test]
async fn a_next_link_off_the_account_is_refused() {
    let h = harness(Account::new()).await;
    let body = json!({"_page": 1, "_links": {"next": {"href": "https://evil.example/api/v4/leads?page=2"}},
                      "_embedded": {"leads": [lead(1, T0 + 1, &[])]}});
    wiremock::Mock::given(wiremock::matchers::path("/api/v4/leads"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(body))
        .with_priority(1)
        .mount(&h.server)
        .await;
    let err = h
        .fetch(&cursor(T0, &[]), None, &NothingSeen)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidData);
    assert!(err.to_string().contains("evil.example"), "{err}");
    assert!(err.to_string().contains("source amo"), "{err}");
}

#[tokio::test]
async fn one_deal_by_id_with_all_its_contacts() {
    let mut account = Account::new();
    account.add(7, T0, &[(107, None), (207, Some("+7 900 777-77-77"))]);
    let h = harness(account).await;
    let deal = h.source.deal("7").await.unwrap().unwrap();
    assert_eq!(deal.id, "7");
    assert_eq!(deal.contacts.len(), 2);
    assert_eq!(deal.contacts[1].phones, ["+7 900 777-77-77"]);
    assert_eq!(h.calls().await, ["leads/7", "contacts"]);
    assert!(
        h.requests().await[0]
            .url
            .as_str()
            .ends_with("/api/v4/leads/7?with=contacts")
    );

    assert!(h.source.deal("8").await.unwrap().is_none(), "204");
    wiremock::Mock::given(wiremock::matchers::path("/api/v4/leads/9"))
        .respond_with(crate::account::problem(404, "Not Found", "Not found"))
        .with_priority(1)
        .mount(&h.server)
        .await;
    assert!(h.source.deal("9").await.unwrap().is_none(), "404");
    let before = h.calls().await.len();
    for odd in ["abc", "", "-1", "0", "1e5"] {
        assert!(h.source.deal(odd).await.unwrap().is_none(), "{odd}");
    }
    assert_eq!(
        h.calls().await.len(),
        before,
        "no request for an id that cannot exist"
    );
}

#[tokio::test]
async fn check_reads_the_account() {
    let h = harness(Account::new()).await;
    h.source.check().await.unwrap();
    assert_eq!(h.calls().await, ["account"]);
    let caps = h.source.capabilities();
    assert_eq!(
        (caps.page_size, caps.keyset_paging, caps.fetch_by_id),
        (250, false, true)
    );
    assert_eq!(h.source.kind(), liner_sync_core::CrmKind::Amocrm);
    assert_eq!(h.source.name(), "amo");
}
