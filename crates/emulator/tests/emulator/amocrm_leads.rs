//! The fake amoCRM's leads list: HAL pages, 204, filters, order and shapes.

use std::collections::BTreeSet;

use chrono::Duration;
use liner_sync_emulator::{AmoFake, AmoOptions, DataSet};
use serde_json::Value;

use crate::common::{amo, amo_data, amo_get, first_created, fixture, get_url};

/// Lead ids of a page body.
fn lead_ids(body: &Value) -> Vec<u64> {
    body["_embedded"]["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|lead| lead["id"].as_u64().unwrap())
        .collect()
}

/// Follows `_links.next` from `first` to the end; the ids in order.
async fn walk(fake: &AmoFake, first: &str) -> (Vec<u64>, usize) {
    let mut reply = amo_get(fake, first).await;
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        assert_eq!(reply.status, 200, "{}", reply.text);
        let body = reply.json();
        ids.extend(lead_ids(&body));
        pages += 1;
        let Some(next) = body["_links"]["next"]["href"].as_str() else {
            return (ids, pages);
        };
        assert!(next.starts_with(&fake.base_url()), "{next}");
        reply = amo_get(fake, next.trim_start_matches(&fake.base_url())).await;
    }
}

/// Deals whose creation times come out of order, several in one second.
fn tied_data() -> DataSet {
    let mut data = amo_data(40);
    for (i, deal) in data.deals.iter_mut().enumerate() {
        deal.created = first_created() + Duration::seconds(((i * 7) % 10) as i64);
    }
    data.deals.reverse();
    data
}

#[tokio::test]
async fn next_links_walk_every_lead_and_the_end_is_204() {
    let fake = amo(620).await;
    let (ids, pages) = walk(&fake, "/api/v4/leads?limit=250&with=contacts").await;
    assert_eq!(pages, 3);
    let expected: Vec<u64> = amo_data(620).deals.iter().map(|d| d.id).collect();
    assert_eq!(ids, expected, "every lead once, id ascending");
    let past = amo_get(&fake, "/api/v4/leads?limit=250&page=4").await;
    assert_eq!(past.status, 204);
    assert!(past.text.is_empty());
    let (ids, pages) = walk(&fake, "/api/v4/leads").await;
    assert_eq!((ids.len(), pages), (620, 13), "default limit 50");
}

#[tokio::test]
async fn pages_carry_hal_links_and_the_samples_fields() {
    let fake = amo(5).await;
    let reply = amo_get(&fake, "/api/v4/leads?limit=2&page=2").await;
    assert_eq!(reply.content_type, "application/hal+json");
    let body = reply.json();
    let sample = fixture("amocrm/leads_list_page_official.json");
    let base = fake.base_url();
    assert_eq!(body["_page"], 2);
    for (link, page) in [("self", 2), ("next", 3), ("first", 1), ("prev", 1)] {
        assert!(sample["_links"].get(link).is_some());
        assert_eq!(
            body["_links"][link]["href"],
            format!("{base}/api/v4/leads?limit=2&page={page}")
        );
    }
    let lead = &body["_embedded"]["leads"][0];
    for key in sample["_embedded"]["leads"][0].as_object().unwrap().keys() {
        assert!(lead.get(key).is_some(), "missing {key}");
    }
    for key in [
        "id",
        "price",
        "status_id",
        "pipeline_id",
        "created_at",
        "account_id",
    ] {
        assert!(
            lead[key].is_u64() || lead[key].is_i64(),
            "{key}: {}",
            lead[key]
        );
    }
    assert!(lead["is_deleted"].is_boolean());
    assert!(lead["custom_fields_values"].is_null() || lead["custom_fields_values"].is_array());
    assert!(
        lead["_embedded"].get("contacts").is_none(),
        "only with=contacts"
    );
    let last = amo_get(&fake, "/api/v4/leads?limit=2&page=3").await.json();
    assert!(last["_links"].get("next").is_none());
    let first = amo_get(&fake, "/api/v4/leads?limit=2").await.json();
    assert!(first["_links"].get("prev").is_none());
}

#[tokio::test]
async fn leads_are_the_deals() {
    let data = amo_data(300);
    let fake = amo(300).await;
    let (ids, _) = walk(&fake, "/api/v4/leads?limit=250&with=contacts").await;
    assert_eq!(ids.len(), 300);
    let body = amo_get(&fake, "/api/v4/leads?limit=250&with=contacts")
        .await
        .json();
    let mut nulls = 0;
    for lead in body["_embedded"]["leads"].as_array().unwrap() {
        let deal = data
            .deals
            .iter()
            .find(|d| d.id == lead["id"].as_u64().unwrap())
            .unwrap();
        assert_eq!(lead["name"], deal.title.as_str());
        assert_eq!(lead["created_at"], deal.created.timestamp());
        assert_eq!(lead["pipeline_id"], 7_000_000 + u64::from(deal.category_id));
        assert!(![142, 143].contains(&lead["status_id"].as_u64().unwrap()));
        let contacts: Vec<(u64, bool)> = lead["_embedded"]["contacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["id"].as_u64().unwrap(), c["is_main"].as_bool().unwrap()))
            .collect();
        let expected: Vec<(u64, bool)> = deal
            .contact_ids
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, i == 0))
            .collect();
        assert_eq!(contacts, expected);
        match &lead["custom_fields_values"] {
            Value::Null => {
                nulls += 1;
                assert!(deal.custom.is_empty());
            }
            fields => assert_eq!(fields.as_array().unwrap().len(), deal.custom.len()),
        }
    }
    assert!(nulls > 0, "some leads have custom_fields_values: null");
}

#[tokio::test]
async fn created_at_bounds_are_inclusive_and_ties_page_cleanly() {
    let data = tied_data();
    let fake = AmoFake::start(AmoOptions {
        data: data.clone(),
        enforce_rate_limit: false,
        ..AmoOptions::default()
    })
    .await
    .unwrap();
    let t0 = first_created().timestamp();
    let in_window = |from: i64, to: i64| -> BTreeSet<u64> {
        data.deals
            .iter()
            .filter(|d| (from..=to).contains(&d.created.timestamp()))
            .map(|d| d.id)
            .collect()
    };
    let query = |from: i64, to: i64| {
        format!(
            "/api/v4/leads?limit=3&order[created_at]=asc\
             &filter[created_at][from]={from}&filter[created_at][to]={to}"
        )
    };
    for (from, to) in [(t0 + 3, t0 + 3), (t0 + 2, t0 + 5), (t0, t0 + 9)] {
        let (ids, _) = walk(&fake, &query(from, to)).await;
        let unique: BTreeSet<u64> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "no lead twice across pages");
        assert_eq!(unique, in_window(from, to), "{from}..={to}");
        let times: Vec<i64> = ids
            .iter()
            .map(|id| {
                data.deals
                    .iter()
                    .find(|d| d.id == *id)
                    .unwrap()
                    .created
                    .timestamp()
            })
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    }
    let nothing = amo_get(&fake, &query(t0 + 100, t0 + 200)).await;
    assert_eq!((nothing.status, nothing.text.as_str()), (204, ""));
}

#[tokio::test]
async fn orders_and_filters() {
    let data = tied_data();
    let fake = AmoFake::start(AmoOptions {
        data: data.clone(),
        enforce_rate_limit: false,
        ..AmoOptions::default()
    })
    .await
    .unwrap();
    let (desc, _) = walk(&fake, "/api/v4/leads?order[id]=desc&limit=7").await;
    let mut all: Vec<u64> = data.deals.iter().map(|d| d.id).collect();
    all.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(desc, all);
    let (by_time, _) = walk(&fake, "/api/v4/leads?order[created_at]=desc&limit=7").await;
    let times: Vec<i64> = by_time
        .iter()
        .map(|id| {
            data.deals
                .iter()
                .find(|d| d.id == *id)
                .unwrap()
                .created
                .timestamp()
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]));
    let (updated, _) = walk(&fake, "/api/v4/leads?order[updated_at]=asc").await;
    assert_eq!(updated.len(), data.deals.len());

    let picked = [data.deals[3].id, data.deals[9].id];
    let body = amo_get(
        &fake,
        &format!(
            "/api/v4/leads?filter[id][]={}&filter[id][]={}",
            picked[0], picked[1]
        ),
    )
    .await
    .json();
    let mut ids = lead_ids(&body);
    ids.sort_unstable();
    let mut want = picked.to_vec();
    want.sort_unstable();
    assert_eq!(ids, want);
    let one = amo_get(&fake, &format!("/api/v4/leads?filter[id]={}", picked[0])).await;
    assert_eq!(lead_ids(&one.json()), [picked[0]]);

    let deal = &data.deals[0];
    let pipeline = 7_000_000 + u64::from(deal.category_id);
    let (in_pipeline, _) = walk(
        &fake,
        &format!("/api/v4/leads?filter[pipeline_id][]={pipeline}"),
    )
    .await;
    let want: Vec<u64> = {
        let mut ids: Vec<u64> = data
            .deals
            .iter()
            .filter(|d| d.category_id == deal.category_id)
            .map(|d| d.id)
            .collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(in_pipeline, want);
    let lead = amo_get(&fake, &format!("/api/v4/leads/{}", deal.id))
        .await
        .json();
    let status = lead["status_id"].as_u64().unwrap();
    let (in_status, _) = walk(
        &fake,
        &format!(
            "/api/v4/leads?filter[statuses][0][pipeline_id]={pipeline}\
             &filter[statuses][0][status_id]={status}"
        ),
    )
    .await;
    assert!(in_status.contains(&deal.id));
    assert!(in_status.len() <= want.len());
}

#[tokio::test]
async fn limits_and_bad_parameters() {
    let fake = amo(3).await;
    let over = amo_get(&fake, "/api/v4/leads?limit=251").await;
    assert_eq!(over.status, 422);
    assert_eq!(over.content_type, "application/problem+json");
    assert_eq!(over.json(), fixture("amocrm/error_422_limit_250.json"));
    assert_eq!(amo_get(&fake, "/api/v4/leads?limit=250").await.status, 200);
    for bad in [
        "/api/v4/leads?limit=0",
        "/api/v4/leads?page=0",
        "/api/v4/leads?order[name]=asc",
        "/api/v4/leads?filter[name]=x",
        "/api/v4/leads?filter[created_at]=1793602800",
        "/api/v4/leads?filter[created_at][from]=yesterday",
        "/api/v4/leads?query=Иван",
    ] {
        let reply = amo_get(&fake, bad).await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.text);
        let body = reply.json();
        let sample = fixture("amocrm/error_400_validation.json");
        for key in sample.as_object().unwrap().keys() {
            assert!(body.get(key).is_some(), "missing {key}");
        }
        assert_eq!(body["detail"], "Request validation failed");
        assert!(body["validation-errors"][0]["errors"][0]["path"].is_string());
    }
}

#[tokio::test]
async fn single_leads_and_unknown_paths() {
    let data = amo_data(3);
    let fake = amo(3).await;
    let deal = &data.deals[1];
    let reply = amo_get(&fake, &format!("/api/v4/leads/{}?with=contacts", deal.id)).await;
    assert_eq!(reply.status, 200);
    let lead = reply.json();
    assert_eq!(lead["id"], deal.id);
    assert_eq!(
        lead["_links"]["self"]["href"],
        format!("{}/api/v4/leads/{}", fake.base_url(), deal.id)
    );
    assert!(lead["_embedded"]["contacts"].is_array());
    let missing = amo_get(&fake, "/api/v4/leads/1").await;
    assert_eq!((missing.status, missing.text.as_str()), (204, ""));
    let bad = amo_get(&fake, "/api/v4/leads/filter[id]=5").await;
    assert_eq!(bad.status, 404);
    assert!(
        bad.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("Cannot GET")
    );
    let self_link = get_url(&format!("{}/api/v4/leads", fake.base_url())).await;
    assert_eq!(self_link.status, 401, "links need the token like any call");
    let post = crate::common::client()
        .post(format!("{}/api/v4/leads", fake.base_url()))
        .bearer_auth(crate::common::AMO_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(post.status().as_u16(), 405);
}

#[tokio::test]
async fn leads_added_while_running_appear() {
    let fake = amo(0).await;
    let empty = amo_get(&fake, "/api/v4/leads").await;
    assert_eq!((empty.status, empty.text.as_str()), (204, ""));
    fake.add_leads(amo_data(60));
    assert_eq!(fake.lead_count(), 60);
    let (ids, _) = walk(&fake, "/api/v4/leads").await;
    assert_eq!(ids.len(), 60);
}

#[tokio::test]
async fn the_made_here_fixture_matches_the_fakes_shape() {
    let fake = amo(10).await;
    let sample = fixture("amocrm/leads_list_with_contacts.json");
    let body = amo_get(&fake, "/api/v4/leads?with=contacts&limit=2")
        .await
        .json();
    let sample_lead = &sample["_embedded"]["leads"][0];
    let leads = body["_embedded"]["leads"].as_array().unwrap();
    for key in sample_lead.as_object().unwrap().keys() {
        assert!(leads[0].get(key).is_some(), "missing {key}");
    }
    let with_contact = leads
        .iter()
        .find(|l| !l["_embedded"]["contacts"].as_array().unwrap().is_empty())
        .unwrap();
    let sample_contact = &sample_lead["_embedded"]["contacts"][0];
    let contact = &with_contact["_embedded"]["contacts"][0];
    for key in sample_contact.as_object().unwrap().keys() {
        assert!(contact.get(key).is_some(), "missing {key}");
    }
    assert_eq!(contact["is_main"], true);
}
