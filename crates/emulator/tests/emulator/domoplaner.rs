//! The Domoplaner fake: the whole data set on every feed call, naive local
//! datetimes in the account's zone, a 404 page for a wrong token, and the
//! leads API behind a Bearer token.

use crate::common::{Reply, client, first_created, get_url};
use chrono::DateTime;
use liner_sync_emulator::{DataSet, DomoplanerFake, DomoplanerOptions};
use serde_json::Value;

const API_TOKEN: &str = "dp-api-token";

async fn fake(data: DataSet, edit: impl FnOnce(&mut DomoplanerOptions)) -> DomoplanerFake {
    let mut options = DomoplanerOptions {
        data,
        api_token: Some(API_TOKEN.to_owned()),
        ..DomoplanerOptions::default()
    };
    edit(&mut options);
    DomoplanerFake::start(options).await.unwrap()
}

fn deals(feed: &Value) -> &Vec<Value> {
    feed["deals"].as_array().unwrap()
}

async fn card(fake: &DomoplanerFake, id: u64, token: Option<&str>) -> Reply {
    let mut request = client()
        .get(format!("{}/leads/get-by-id", fake.api_base()))
        .query(&[("id", id)]);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    Reply {
        status,
        content_type: String::new(),
        headers: Default::default(),
        text,
    }
}

#[tokio::test]
async fn the_feed_is_the_whole_data_set_every_time() {
    let data = DataSet::generate(41, 120, 5000, first_created());
    let fake = fake(data.clone(), |_| {}).await;
    let first = get_url(&fake.feed_url()).await;
    assert_eq!(first.status, 200);
    assert!(
        first.content_type.starts_with("application/json"),
        "{}",
        first.content_type
    );
    assert_eq!(deals(&first.json()).len(), 120);
    fake.add_deals(DataSet::generate(42, 5, 9000, first_created()));
    let second = get_url(&fake.feed_url()).await.json();
    assert_eq!(deals(&second).len(), 125, "old and new, no paging");
    assert_eq!(fake.deal_count(), 125);
    let record = &deals(&second)[0];
    let deal = &data.deals[0];
    assert_eq!(record["id"], deal.id);
    assert_eq!(
        record["dt_create"], "2026-11-02 09:00:00",
        "naive Moscow time"
    );
    assert_eq!(record["title"], deal.title.as_str());
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert!(
        requests
            .iter()
            .all(|r| r.path == "/feeds/***.json" && r.method == "feed")
    );
}

#[tokio::test]
async fn a_deal_carries_the_client_a_pipeline_must_call() {
    let data = DataSet::generate(43, 300, 1, first_created());
    let fake = fake(data.clone(), |_| {}).await;
    let feed = get_url(&fake.feed_url()).await.json();
    for (record, deal) in deals(&feed).iter().zip(&data.deals) {
        let client = &record["client"];
        if deal.contact_ids.is_empty() {
            assert!(client.is_null(), "{record}");
            continue;
        }
        assert!(client["id"].is_u64(), "{record}");
        let phones: Vec<&str> = client["phones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["value"].as_str().unwrap())
            .collect();
        if let Some(want) = &deal.expected.phone {
            let digits = |p: &&str| p.chars().filter(char::is_ascii_digit).collect::<String>();
            assert!(
                phones.iter().any(|p| digits(p).ends_with(&want[1..])),
                "{want} not in {phones:?}"
            );
            assert_eq!(client["name"].as_str(), deal.expected.name.as_deref());
        }
    }
}

#[tokio::test]
async fn times_are_local_to_a_zone_with_daylight_saving() {
    let summer = DateTime::parse_from_rfc3339("2026-07-01T12:00:00+03:00").unwrap();
    let winter = DateTime::parse_from_rfc3339("2026-12-01T12:00:00+03:00").unwrap();
    let mut data = DataSet::generate(44, 1, 1, summer);
    data.deals.extend(DataSet::generate(45, 1, 2, winter).deals);
    let fake = fake(data, |o| o.timezone = "Europe/Berlin".to_owned()).await;
    let feed = get_url(&fake.feed_url()).await.json();
    assert_eq!(
        deals(&feed)[0]["dt_create"],
        "2026-07-01 11:00:00",
        "CEST, +2"
    );
    assert_eq!(
        deals(&feed)[1]["dt_create"],
        "2026-12-01 10:00:00",
        "CET, +1"
    );
    let bad = DomoplanerFake::start(DomoplanerOptions {
        timezone: "Berlin".to_owned(),
        ..DomoplanerOptions::default()
    })
    .await;
    assert!(bad.is_err());
}

#[tokio::test]
async fn a_wrong_token_or_broken_auth_gets_the_sites_404_page() {
    let fake = fake(DataSet::generate(46, 3, 1, first_created()), |_| {}).await;
    let wrong = fake.feed_url().replace("domoplaner-feed-token", "guess");
    let reply = get_url(&wrong).await;
    assert_eq!(reply.status, 404);
    assert!(
        reply.text.contains("<title>404 Not Found</title>"),
        "{}",
        reply.text
    );
    fake.faults().set_auth_broken(true);
    assert_eq!(get_url(&fake.feed_url()).await.status, 404);
    fake.faults().set_auth_broken(false);
    fake.faults().fail_next(1, 429);
    let limited = get_url(&fake.feed_url()).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.headers["retry-after"], "1");
    assert_eq!(get_url(&fake.feed_url()).await.status, 200);
}

#[tokio::test]
async fn without_phones_in_the_feed_the_leads_api_has_them() {
    let data = DataSet::generate(47, 40, 1, first_created());
    let fake = fake(data.clone(), |o| o.include_phones = false).await;
    let feed = get_url(&fake.feed_url()).await.json();
    assert!(
        deals(&feed)
            .iter()
            .all(|d| d["client"].get("phones").is_none())
    );
    let deal = data
        .deals
        .iter()
        .find(|d| d.expected.phone.is_some() && d.contact_ids.len() == 1)
        .unwrap();
    let client_id = deal.contact_ids[0];
    let reply = card(&fake, client_id, Some(API_TOKEN)).await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["lead"]["id"], client_id);
    assert_eq!(body["lead"]["name"].as_str(), deal.expected.name.as_deref());
    assert!(body["phones"][0]["value"].is_string() && body["phones"][0]["tg_chat_id"].is_null());
    let unknown = card(&fake, 1, Some(API_TOKEN)).await;
    assert_eq!(unknown.status, 200);
    assert_eq!(unknown.json()["status"], "error");
    assert_eq!(card(&fake, client_id, Some("wrong")).await.status, 401);
    assert_eq!(card(&fake, client_id, None).await.status, 401);
    let methods: Vec<_> = fake.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(methods[1], "leads/get-by-id");
    let no_api = self::fake(data, |o| o.api_token = None).await;
    assert_eq!(card(&no_api, client_id, Some(API_TOKEN)).await.status, 404);
}

#[tokio::test]
async fn keys_can_be_named_as_another_feed_names_them() {
    let renamed = [
        ("deals", "items"),
        ("dt_create", "Дата создания"),
        ("client", "buyer"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    let fake = fake(DataSet::generate(49, 30, 1, first_created()), |o| {
        o.renamed = renamed;
    })
    .await;
    let feed = get_url(&fake.feed_url()).await.json();
    assert!(feed.get("deals").is_none());
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items[0]["Дата создания"], "2026-11-02 09:00:00");
    assert!(items[0].get("dt_create").is_none());
    let with_buyer = items.iter().find(|d| d["buyer"].is_object()).unwrap();
    assert!(with_buyer["buyer"]["Дата создания"].is_string());
}

#[tokio::test]
async fn a_large_feed_is_served_whole() {
    let fake = fake(DataSet::generate(48, 20_000, 1, first_created()), |_| {}).await;
    let reply = get_url(&fake.feed_url()).await;
    assert_eq!(deals(&reply.json()).len(), 20_000);
}
