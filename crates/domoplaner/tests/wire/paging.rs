//! One feed download per pass, new deals only, oldest first, 500 a page.

use crate::account::{
    Handled, START, cursor, deal, deals, feed_path, harness, harness_with, hits, ids, pass,
    pass_seen, pass_within, phone,
};
use chrono::{DateTime, Utc};
use liner_sync_core::{CrmSource, Cursor, NothingSeen, StartFrom};
use serde_json::json;

#[tokio::test]
async fn a_pass_downloads_the_feed_once_and_pages_its_new_deals() {
    let mut feed = deals(1000, 1203);
    feed.reverse();
    feed.push(deal(1, "2026-10-31 23:59:59", Some(&phone(1))));
    feed.push(deal(2, "2026-10-01 10:00:00", Some(&phone(2))));
    let h = harness(feed).await;
    let pages = pass(&h.source, &cursor()).await.unwrap();
    let sizes: Vec<_> = pages.iter().map(|p| p.deals.len()).collect();
    assert_eq!(sizes, [500, 500, 203]);
    let got = ids(&pages);
    let want: Vec<String> = (1000..2203).map(|i| i.to_string()).collect();
    assert_eq!(got, want, "new deals only, oldest first");
    assert_eq!(hits(&h.server, &feed_path()).await, 1);
    for page in &pages {
        assert_eq!(page.cursor, cursor(), "the cursor is the start, always");
        assert_eq!(page.skipped_seen, 0);
    }
    let first = &pages[0].deals[0];
    assert_eq!(first.created_at.to_rfc3339(), "2026-11-02T06:00:00+00:00");
    assert_eq!(first.contacts[0].phones, [phone(1000)]);
    assert_eq!(first.contacts[0].name.as_deref(), Some("Клиент 1000"));
    assert_eq!(first.custom_fields["price"], json!(4_500_000));
    assert_eq!(first.raw["client"]["id"], json!(10_000));
}

#[tokio::test]
async fn handled_deals_are_left_out_and_counted() {
    let h = harness(deals(1, 12)).await;
    let seen = Handled((1..=5).map(|i| i.to_string()).collect());
    let pages = pass_seen(&h.source, &cursor(), &seen).await.unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].skipped_seen, 5);
    assert_eq!(ids(&pages), ["6", "7", "8", "9", "10", "11", "12"]);
    let all = Handled((1..=12).map(|i| i.to_string()).collect());
    let pages = pass_seen(&h.source, &cursor(), &all).await.unwrap();
    assert!(pages[0].deals.is_empty() && pages[0].next.is_none());
    assert_eq!(pages[0].skipped_seen, 12);
    assert_eq!(
        hits(&h.server, &feed_path()).await,
        2,
        "one download per pass"
    );
}

#[tokio::test]
async fn the_start_decides_what_is_new() {
    let h = harness(deals(1, 30)).await;
    let future = Cursor(json!({"start": "2036-01-01T00:00:00Z"}));
    let pages = pass(&h.source, &future).await.unwrap();
    assert!(
        ids(&pages).is_empty(),
        "a cursor in the future reads nothing"
    );
    // 09:10 Moscow is the eleventh deal; the start is inclusive.
    let mid = Cursor(json!({"start": "2026-11-02T06:10:00Z"}));
    let pages = pass(&h.source, &mid).await.unwrap();
    assert_eq!(ids(&pages).first().map(String::as_str), Some("11"));
    assert_eq!(ids(&pages).len(), 20);
}

#[tokio::test]
async fn a_window_end_leaves_later_deals_for_later() {
    let h = harness(deals(1, 30)).await;
    let until = DateTime::parse_from_rfc3339("2026-11-02T09:10:00+03:00").unwrap();
    let pages = pass_within(&h.source, &cursor(), &NothingSeen, Some(until.into()))
        .await
        .unwrap();
    assert_eq!(ids(&pages).len(), 10, "09:00 to 09:09, the end excluded");
}

#[tokio::test]
async fn deals_sharing_one_time_are_all_new_until_handled() {
    let feed: Vec<_> = (1..=600)
        .map(|i| deal(i, "2026-11-02 09:00:00", Some(&phone(i))))
        .collect();
    let h = harness(feed).await;
    let pages = pass(&h.source, &cursor()).await.unwrap();
    assert_eq!(ids(&pages).len(), 600);
    let seen = Handled((1..=499).map(|i| i.to_string()).collect());
    let pages = pass_seen(&h.source, &cursor(), &seen).await.unwrap();
    assert_eq!(ids(&pages).len(), 101);
}

#[tokio::test]
async fn the_first_cursor_is_the_start_or_now() {
    let h = harness(Vec::new()).await;
    let at = DateTime::parse_from_rfc3339(START)
        .unwrap()
        .with_timezone(&Utc);
    let cursor = h.source.initial_cursor(StartFrom::Date(at)).await.unwrap();
    assert_eq!(cursor.0, json!({"start": "2026-10-31T21:00:00Z"}));
    let before = Utc::now();
    let now = h.source.initial_cursor(StartFrom::Now).await.unwrap();
    let start: DateTime<Utc> = serde_json::from_value(now.0["start"].clone()).unwrap();
    assert!(start >= before - chrono::Duration::seconds(1) && start <= Utc::now());
    assert_eq!(
        hits(&h.server, &feed_path()).await,
        0,
        "no request for a cursor"
    );
}

#[tokio::test]
async fn records_that_are_not_deals_are_skipped() {
    let mut feed = deals(1, 3);
    feed.push(json!({"dt_create": "2026-11-02 10:00:00"}));
    feed.push(json!({"id": 77, "dt_create": "позавчера"}));
    feed.push(json!(42));
    feed.push(json!(null));
    let h = harness(feed).await;
    let pages = pass(&h.source, &cursor()).await.unwrap();
    assert_eq!(ids(&pages), ["1", "2", "3"]);
}

#[tokio::test]
async fn local_times_of_a_dst_zone_become_the_right_instants() {
    let feed = vec![
        deal(1, "2026-07-01 12:00:00", None),
        deal(2, "2026-12-01 12:00:00", None),
        deal(3, "2026-10-25 02:30:00", None),
    ];
    let h = harness_with(feed, |c, _| {
        c.timezone.0 = chrono_tz::Europe::Berlin;
    })
    .await;
    let early = Cursor(json!({"start": "2026-01-01T00:00:00Z"}));
    let pages = pass(&h.source, &early).await.unwrap();
    let times: Vec<_> = pages[0]
        .deals
        .iter()
        .map(|d| (d.id.as_str(), d.created_at.to_rfc3339()))
        .collect();
    assert_eq!(
        times,
        [
            ("1", "2026-07-01T10:00:00+00:00".to_owned()),
            ("3", "2026-10-25T00:30:00+00:00".to_owned()),
            ("2", "2026-12-01T11:00:00+00:00".to_owned()),
        ]
    );
}

#[tokio::test]
async fn one_deal_by_id_reads_the_whole_feed() {
    let h = harness(deals(1, 20)).await;
    let deal = h.source.deal("7").await.unwrap().unwrap();
    assert_eq!(deal.id, "7");
    assert_eq!(deal.contacts[0].phones, [phone(7)]);
    assert!(h.source.deal("999").await.unwrap().is_none());
    assert_eq!(hits(&h.server, &feed_path()).await, 2);
}
