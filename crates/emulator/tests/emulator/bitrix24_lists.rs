//! `crm.deal.list`, `crm.contact.list` and the get methods.

use liner_sync_emulator::{DataSet, FakeContact, FakeDeal};
use serde_json::{Value, json};

use crate::common::{call, client, first_created, ids, portal};

#[tokio::test]
async fn keyset_paging_walks_every_deal_with_no_50_row_cap() {
    let fake = portal(237).await;
    let mut last = 0;
    let mut seen: Vec<u64> = Vec::new();
    let mut pages = 0;
    loop {
        let (status, body) = call(
            &fake,
            "crm.deal.list",
            json!({"order": {"ID": "ASC"}, "filter": {">ID": last}, "select": ["ID"], "start": -1}),
        )
        .await;
        assert_eq!(status, 200);
        assert!(body.get("next").is_none());
        assert_eq!(body["total"], 0);
        let page = ids(&body["result"]);
        assert!(page.len() <= 50);
        pages += 1;
        seen.extend(&page);
        if page.len() < 50 {
            break;
        }
        last = *page.last().unwrap();
    }
    assert_eq!(seen.len(), 237);
    assert_eq!(pages, 5);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn offset_paging_gives_next_and_total() {
    let fake = portal(120).await;
    let (_, first) = call(&fake, "crm.deal.list", json!({"order": {"ID": "ASC"}})).await;
    assert_eq!(first["total"], 120);
    assert_eq!(first["next"], 50);
    assert_eq!(ids(&first["result"]).len(), 50);
    let (_, second) = call(
        &fake,
        "crm.deal.list",
        json!({"order": {"ID": "ASC"}, "start": 50}),
    )
    .await;
    assert_eq!(second["next"], 100);
    assert!(ids(&second["result"])[0] > *ids(&first["result"]).last().unwrap());
    let (_, last) = call(&fake, "crm.deal.list", json!({"start": 100})).await;
    assert!(last.get("next").is_none());
    assert_eq!(last["total"], 120);
    assert_eq!(ids(&last["result"]).len(), 20);
}

#[tokio::test]
async fn order_by_date_and_id_descending() {
    let fake = portal(80).await;
    let (_, by_date) = call(
        &fake,
        "crm.deal.list",
        json!({"ORDER": {"DATE_CREATE": "DESC"}, "SELECT": ["ID", "DATE_CREATE"], "start": -1}),
    )
    .await;
    let dates: Vec<&str> = by_date["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["DATE_CREATE"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]));
    let (_, by_id) = call(
        &fake,
        "crm.deal.list",
        json!({"order": {"ID": "DESC"}, "start": -1}),
    )
    .await;
    let page = ids(&by_id["result"]);
    assert!(page.windows(2).all(|w| w[0] > w[1]));
}

#[tokio::test]
async fn filters_by_date_category_and_stage() {
    let fake = portal(200).await;
    let all = DataSet::generate(11, 200, 1, first_created());
    let cutoff = all.deals[120].created;
    let local = cutoff.format("%Y-%m-%d %H:%M:%S").to_string();
    for value in [json!(local), json!(cutoff.to_rfc3339())] {
        let (status, body) = call(
            &fake,
            "crm.deal.list",
            json!({"filter": {">=DATE_CREATE": value}, "select": ["ID"]}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["total"], 80);
    }
    let (_, body) = call(
        &fake,
        "crm.deal.list",
        json!({"filter": {"@CATEGORY_ID": [1, 2], "STAGE_ID": "C1:NEW"}, "select": ["ID", "CATEGORY_ID", "STAGE_ID"]}),
    )
    .await;
    let want = all.deals.iter().filter(|d| d.stage_id == "C1:NEW").count();
    assert_eq!(body["total"], want);
    assert!(
        body["result"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["CATEGORY_ID"] == "1")
    );
    let (status, body) = call(
        &fake,
        "crm.deal.list",
        json!({"filter": {">DATE_CREATE": "soon"}}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "");
    let (status, body) = call(&fake, "crm.deal.list", json!({"filter": "ID>5"})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error_description"],
        "Parameter 'filter' must be array."
    );
}

#[tokio::test]
async fn get_query_form_and_json_bodies_mean_the_same() {
    let fake = portal(90).await;
    let url = format!("{}crm.deal.list", fake.webhook_url());
    let query = "filter%5B%3EID%5D=20&order[ID]=ASC&select[]=ID&select[]=TITLE&start=-1";
    let strip_time = |mut v: Value| {
        v.as_object_mut().unwrap().remove("time");
        v
    };
    let by_get: Value = client()
        .get(format!("{url}.json?{query}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let by_form: Value = client()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(query)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (_, by_json) = call(
        &fake,
        "crm.deal.list",
        json!({"filter": {">ID": "20"}, "order": {"ID": "ASC"}, "select": ["ID", "TITLE"], "start": "-1"}),
    )
    .await;
    assert!(ids(&by_get["result"]).iter().all(|id| *id > 20));
    assert_eq!(strip_time(by_get.clone()), strip_time(by_form));
    assert_eq!(strip_time(by_get), strip_time(by_json));
}

#[tokio::test]
async fn every_scalar_is_a_string_or_null_and_select_rules_hold() {
    let fake = portal(60).await;
    let (_, body) = call(&fake, "crm.deal.list", json!({})).await;
    for row in body["result"].as_array().unwrap() {
        for (key, value) in row.as_object().unwrap() {
            assert!(value.is_string() || value.is_null(), "{key}: {value}");
        }
        assert!(row.get("UF_CRM_1721244482250").is_some());
        assert!(
            row.get("UF_CRM_1720697698689").is_none(),
            "multiple fields need naming"
        );
    }
    let (_, star) = call(&fake, "crm.deal.list", json!({"select": ["*"]})).await;
    let row = &star["result"][0];
    assert!(row.get("TITLE").is_some() && row.get("UF_CRM_1721244482250").is_none());
    let (_, named) = call(
        &fake,
        "crm.deal.list",
        json!({"select": ["TITLE", "UF_CRM_1720697698689"]}),
    )
    .await;
    let row = named["result"][0].as_object().unwrap();
    let mut keys: Vec<&str> = row.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["ID", "TITLE", "UF_CRM_1720697698689"]);
    assert!(row["UF_CRM_1720697698689"].is_array());
}

#[tokio::test]
async fn a_late_commit_with_a_lower_id_is_missed_by_keyset_but_found_by_offset() {
    let fake = liner_sync_emulator::Bitrix24Fake::start(liner_sync_emulator::Bitrix24Options {
        data: DataSet::generate(11, 30, 100, first_created()),
        ..Default::default()
    })
    .await
    .unwrap();
    let (_, body) = call(
        &fake,
        "crm.deal.list",
        json!({"order": {"ID": "ASC"}, "start": -1}),
    )
    .await;
    let last = *ids(&body["result"]).last().unwrap();
    let mut late = DataSet::generate(5, 1, 50, first_created());
    late.deals[0].created = first_created() + chrono::Duration::hours(5);
    fake.add_deals(late);
    assert_eq!(fake.deal_count(), 31);
    let (_, after) = call(
        &fake,
        "crm.deal.list",
        json!({"filter": {">ID": last}, "start": -1}),
    )
    .await;
    assert!(ids(&after["result"]).is_empty());
    let (_, all) = call(&fake, "crm.deal.list", json!({"order": {"ID": "ASC"}})).await;
    assert_eq!(all["total"], 31);
    assert_eq!(ids(&all["result"])[0], 50);
}

fn hand_made() -> DataSet {
    let contact = |id: u64, phones: Vec<(&str, &str)>| FakeContact {
        id,
        name: Some("Анна".into()),
        second_name: None,
        last_name: Some("Петрова".into()),
        phones: phones
            .into_iter()
            .map(|(v, t)| (v.into(), t.into()))
            .collect(),
        ims: vec![("TELEGRAM".into(), "@anna".into())],
    };
    let deal = FakeDeal {
        id: 37,
        title: "Заявка".into(),
        created: first_created(),
        category_id: 1,
        stage_id: "C1:NEW".into(),
        contact_ids: vec![55, 54],
        utm_source: Some("yandex".into()),
        utm_campaign: None,
        custom: Default::default(),
        expected: Default::default(),
    };
    DataSet {
        deals: vec![deal],
        contacts: vec![
            contact(55, vec![]),
            contact(54, vec![("8 (812) 555-35-35", "WORK")]),
        ],
    }
}

#[tokio::test]
async fn get_methods_and_contacts() {
    let fake = liner_sync_emulator::Bitrix24Fake::start(liner_sync_emulator::Bitrix24Options {
        data: hand_made(),
        ..Default::default()
    })
    .await
    .unwrap();
    let (status, deal) = call(&fake, "crm.deal.get", json!({"id": 37})).await;
    assert_eq!(status, 200);
    assert_eq!(deal["result"]["CONTACT_ID"], "55");
    assert_eq!(deal["result"]["CATEGORY_ID"], "1");
    assert_eq!(deal["result"]["DATE_CREATE"], "2026-11-02T09:00:00+03:00");
    let (status, missing) = call(&fake, "crm.deal.get", json!({"id": 38})).await;
    assert_eq!(status, 400);
    assert_eq!(
        missing,
        json!({"error": "", "error_description": "Not found"})
    );
    let (status, _) = call(&fake, "crm.deal.get", json!({"id": "abc"})).await;
    assert_eq!(status, 400);

    let (_, items) = call(&fake, "crm.deal.contact.items.get", json!({"id": 37})).await;
    assert_eq!(items["result"][0]["CONTACT_ID"], 55);
    assert_eq!(items["result"][0]["IS_PRIMARY"], "Y");
    assert_eq!(items["result"][1]["CONTACT_ID"], 54);
    assert_eq!(items["result"][1]["IS_PRIMARY"], "N");

    let (_, primary) = call(&fake, "crm.contact.get", json!({"ID": 55})).await;
    assert!(
        primary["result"].get("PHONE").is_none(),
        "no PHONE key without phones"
    );
    assert_eq!(primary["result"]["IM"][0]["VALUE"], "@anna");
    let (_, list) = call(
        &fake,
        "crm.contact.list",
        json!({"filter": {"@ID": [54, 55]}, "select": ["ID", "NAME", "LAST_NAME", "PHONE"]}),
    )
    .await;
    let rows = list["result"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["PHONE"][0]["VALUE"], "8 (812) 555-35-35");
    assert!(rows[0].get("IM").is_none(), "IM not selected");
    assert!(rows[1].get("PHONE").is_none());
    let (_, star) = call(
        &fake,
        "crm.contact.list",
        json!({"filter": {"ID": 54}, "select": ["*"]}),
    )
    .await;
    assert!(
        star["result"][0].get("PHONE").is_none(),
        "* excludes multifields"
    );
    let (_, scope) = call(&fake, "scope", json!({})).await;
    assert!(scope["result"].as_array().unwrap().contains(&json!("crm")));
}
