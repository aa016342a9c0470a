//! `crm.item.list` for deals: camelCase, native types, every contact of a
//! deal, the same filters and paging as `crm.deal.list`.

use liner_sync_emulator::DataSet;
use serde_json::{Value, json};

use crate::common::{call, first_created, ids, portal};

/// The `id`s of a `crm.item.list` result, which are numbers.
fn item_ids(result: &Value) -> Vec<u64> {
    result["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_u64().unwrap())
        .collect()
}

fn deals_page(after: u64) -> Value {
    json!({"entityTypeId": 2, "order": {"id": "ASC"}, "filter": {">id": after},
           "select": ["id", "contactIds"], "start": -1})
}

#[tokio::test]
async fn keyset_pages_match_crm_deal_list_and_carry_every_contact() {
    let fake = portal(237).await;
    let data = DataSet::generate(11, 237, 1, first_created());
    let mut last = 0;
    let mut seen: Vec<u64> = Vec::new();
    loop {
        let (status, body) = call(&fake, "crm.item.list", deals_page(last)).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("next").is_none());
        assert_eq!(body["total"], 0);
        assert!(body["time"]["date_start"].is_string());
        let page = item_ids(&body["result"]);
        let (_, legacy) = call(
            &fake,
            "crm.deal.list",
            json!({"order": {"ID": "ASC"}, "filter": {">ID": last}, "select": ["ID", "CONTACT_ID"], "start": -1}),
        )
        .await;
        assert_eq!(page, ids(&legacy["result"]), "the same deals");
        for (item, row) in body["result"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .zip(legacy["result"].as_array().unwrap())
        {
            let keys: Vec<&String> = item.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["contactIds", "id"]);
            let contacts = item["contactIds"].as_array().unwrap();
            assert!(contacts.iter().all(Value::is_u64), "{item}");
            let primary = row["CONTACT_ID"].as_str().map(str::to_owned);
            assert_eq!(
                contacts.first().map(|c| c.to_string()),
                primary,
                "primary first"
            );
        }
        seen.extend(&page);
        if page.len() < 50 {
            break;
        }
        last = *page.last().unwrap();
    }
    let want: Vec<u64> = data.deals.iter().map(|d| d.id).collect();
    assert_eq!(seen, want);

    let several = data.deals.iter().find(|d| d.contact_ids.len() > 1).unwrap();
    let (_, body) = call(
        &fake,
        "crm.item.list",
        json!({"entityTypeId": "2", "filter": {"=id": several.id}, "select": ["contactIds"]}),
    )
    .await;
    assert_eq!(
        body["result"]["items"],
        json!([{"id": several.id, "contactIds": several.contact_ids}])
    );
}

#[tokio::test]
async fn offset_paging_gives_next_and_total() {
    let fake = portal(120).await;
    let (_, first) = call(
        &fake,
        "crm.item.list",
        json!({"entityTypeId": 2, "order": {"id": "ASC"}, "select": ["id"]}),
    )
    .await;
    assert_eq!(
        (first["total"].clone(), first["next"].clone()),
        (json!(120), json!(50))
    );
    let (_, last) = call(
        &fake,
        "crm.item.list",
        json!({"entityTypeId": 2, "select": ["id"], "start": 100}),
    )
    .await;
    assert!(last.get("next").is_none());
    assert_eq!(item_ids(&last["result"]).len(), 20);
    let (_, desc) = call(
        &fake,
        "crm.item.list",
        json!({"entityTypeId": 2, "order": {"id": "DESC"}, "select": ["id"], "start": -1}),
    )
    .await;
    let page = item_ids(&desc["result"]);
    assert!(page.windows(2).all(|w| w[0] > w[1]));
}

#[tokio::test]
async fn filters_take_the_crm_deal_list_prefixes_in_camel_case() {
    let fake = portal(200).await;
    let all = DataSet::generate(11, 200, 1, first_created());
    let id = |i: usize| all.deals[i].id;
    let count = |filter: Value| {
        let fake = &fake;
        async move {
            let (status, body) = call(
                fake,
                "crm.item.list",
                json!({"entityTypeId": 2, "filter": filter, "select": ["id"]}),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            body["total"].as_u64().unwrap()
        }
    };
    assert_eq!(count(json!({">id": id(149)})).await, 50);
    assert_eq!(count(json!({">=id": id(150)})).await, 50);
    assert_eq!(count(json!({"<id": id(10)})).await, 10);
    assert_eq!(count(json!({"<=id": id(10)})).await, 11);
    assert_eq!(count(json!({"@id": [id(3), id(7), 999_999]})).await, 2);
    assert_eq!(count(json!({"=id": id(5)})).await, 1);
    assert_eq!(count(json!({"id": id(5)})).await, 1);
    let cutoff = all.deals[120].created;
    for value in [
        json!(cutoff.to_rfc3339()),
        json!(cutoff.format("%Y-%m-%d %H:%M:%S").to_string()),
    ] {
        assert_eq!(count(json!({">=createdTime": value})).await, 80);
    }
    assert_eq!(
        count(json!({">id": id(99), ">=createdTime": cutoff.to_rfc3339()})).await,
        80
    );
    let stage = all.deals.iter().filter(|d| d.stage_id == "C1:NEW").count();
    assert_eq!(
        count(json!({"categoryId": 1, "stageId": "C1:NEW"})).await,
        stage as u64
    );
}

#[tokio::test]
async fn refusals_have_the_documented_codes() {
    let fake = portal(5).await;
    let cases = [
        (
            json!({"select": ["id"]}),
            "NOT_FOUND",
            "Smart process not found",
        ),
        (
            json!({"entityTypeId": 1}),
            "NOT_FOUND",
            "Smart process not found",
        ),
        (
            json!({"entityTypeId": 2, "filter": {">ID": 1}}),
            "INVALID_ARG_VALUE",
            "Invalid filter: field 'ID' is not allowed in filter",
        ),
        (
            json!({"entityTypeId": 2, "filter": {">id": "abc"}}),
            "INVALID_ARG_VALUE",
            "Invalid filter: field 'id' has invalid value",
        ),
        (
            json!({"entityTypeId": 2, "order": {"nope": "ASC"}}),
            "INVALID_ARG_VALUE",
            "Invalid order: field 'nope' is not allowed in order",
        ),
        (
            json!({"entityTypeId": 2, "order": {"id": "UP"}}),
            "INVALID_ARG_VALUE",
            "Invalid order: allowed sort directions are ASC, DESC. But got 'UP' for field 'id'",
        ),
    ];
    for (params, code, description) in cases {
        let (status, body) = call(&fake, "crm.item.list", params.clone()).await;
        assert_eq!(status, 400, "{params}");
        assert_eq!(
            body,
            json!({"error": code, "error_description": description}),
            "{params}"
        );
    }
}

#[tokio::test]
async fn every_field_has_its_native_type_and_select_picks_them() {
    let fake = portal(20).await;
    let (_, body) = call(&fake, "crm.item.list", json!({"entityTypeId": 2})).await;
    let item = &body["result"]["items"][0];
    for key in ["id", "categoryId", "assignedById", "contactId", "companyId"] {
        assert!(item[key].is_u64(), "{key}: {item}");
    }
    assert!(item["opportunity"].is_number());
    assert!(item["contactIds"].is_array());
    assert_eq!(item["entityTypeId"], 2);
    let (_, legacy) = call(&fake, "crm.deal.get", json!({"id": item["id"]})).await;
    assert_eq!(item["title"], legacy["result"]["TITLE"]);
    assert_eq!(item["createdTime"], legacy["result"]["DATE_CREATE"]);
    assert_eq!(item["stageId"], legacy["result"]["STAGE_ID"]);
    assert_eq!(
        item["categoryId"].to_string(),
        legacy["result"]["CATEGORY_ID"].as_str().unwrap()
    );

    let (_, picked) = call(
        &fake,
        "crm.item.list",
        json!({"entityTypeId": 2, "select": ["title", "createdTime", "categoryId", "stageId"]}),
    )
    .await;
    let mut keys: Vec<&str> = picked["result"]["items"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        ["categoryId", "createdTime", "id", "stageId", "title"]
    );
}

#[tokio::test]
async fn in_a_batch_the_result_is_the_items_object() {
    let fake = portal(120).await;
    let list = "crm.deal.list?order[ID]=ASC&filter[%3EID]=0&select[]=ID&start=-1";
    let links = "crm.item.list?entityTypeId=2&order[id]=ASC&filter[%3Eid]=0&select[]=id&select[]=contactIds&start=-1";
    let next = "crm.item.list?entityTypeId=2&filter[%3Eid]=$result[links][items][49][id]&select[]=id&start=-1";
    let (status, body) = call(
        &fake,
        "batch",
        // The portal runs commands in the order they arrive; serde_json
        // sorts keys, so these sort in execution order.
        json!({"halt": 0, "cmd": {"links": links, "list": list, "next_links": next}}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let result = &body["result"];
    let firsts = item_ids(&result["result"]["links"]);
    assert_eq!(firsts, ids(&result["result"]["list"]));
    assert_eq!(firsts.len(), 50);
    let seconds = item_ids(&result["result"]["next_links"]);
    assert_eq!(seconds.len(), 50);
    assert!(seconds[0] > firsts[49]);
    assert_eq!(result["result_total"]["links"], 0);
    assert_eq!(result["result_error"], json!([]));
    assert_eq!(
        fake.requests()[0].sub_calls,
        ["crm.item.list", "crm.deal.list", "crm.item.list"]
    );

    let (_, body) = call(
        &fake,
        "batch",
        json!({"cmd": {"bad": "crm.item.list?entityTypeId=3"}}),
    )
    .await;
    assert_eq!(
        body["result"]["result_error"]["bad"],
        json!({"error": "NOT_FOUND", "error_description": "Smart process not found"})
    );
}
