//! The fake portal's replies have the shapes of the recorded samples in
//! `fixtures/bitrix24/`.

use serde_json::{Value, json};

use crate::common::{call, fixture, portal};

/// Every key of `sample` is in `actual`.
fn assert_keys_cover(sample: &Value, actual: &Value, skip: &[&str]) {
    for key in sample.as_object().unwrap().keys() {
        if skip.iter().any(|s| key.starts_with(s)) {
            continue;
        }
        assert!(actual.get(key).is_some(), "missing {key} in {actual}");
    }
}

fn assert_string_or_null(row: &Value) {
    for (key, value) in row.as_object().unwrap() {
        assert!(value.is_string() || value.is_null(), "{key}: {value}");
    }
}

#[tokio::test]
async fn deal_list_items_have_the_samples_keys_as_strings() {
    let fake = portal(60).await;
    let sample = fixture("bitrix24/crm.deal.list_page_response.json");
    let (_, body) = call(&fake, "crm.deal.list", json!({})).await;
    for item in body["result"].as_array().unwrap() {
        assert_keys_cover(&sample["result"][0], item, &[]);
        assert_string_or_null(item);
    }
    assert_keys_cover(&sample["time"], &body["time"], &[]);
    assert_keys_cover(&sample, &body, &[]);
}

#[tokio::test]
async fn deal_get_has_the_samples_fields() {
    let fake = portal(10).await;
    let sample = fixture("bitrix24/crm.deal.get_response.json");
    let (_, body) = call(&fake, "crm.deal.get", json!({"id": 1})).await;
    assert_keys_cover(&sample["result"], &body["result"], &["PARENT_ID_"]);
    let mut standard = body["result"].clone();
    standard
        .as_object_mut()
        .unwrap()
        .retain(|k, _| !k.starts_with("UF_"));
    assert_string_or_null(&standard);
}

#[tokio::test]
async fn contact_get_and_multifields_match_the_sample() {
    let fake = portal(10).await;
    let sample = fixture("bitrix24/crm.contact.get_response.json");
    let data = liner_sync_emulator::DataSet::generate(11, 10, 1, crate::common::first_created());
    let with_phone = data.contacts.iter().find(|c| !c.phones.is_empty()).unwrap();
    let (_, body) = call(&fake, "crm.contact.get", json!({"id": with_phone.id})).await;
    assert_keys_cover(
        &sample["result"],
        &body["result"],
        &["EMAIL", "PARENT_ID_", "UF_CRM_"],
    );
    let phone = &body["result"]["PHONE"][0];
    assert_keys_cover(&sample["result"]["PHONE"][0], phone, &[]);
    assert_string_or_null(phone);
    assert_eq!(phone["TYPE_ID"], "PHONE");
}

#[tokio::test]
async fn deal_contact_items_are_integers() {
    let fake = portal(10).await;
    let sample = fixture("bitrix24/crm.deal.contact.items.get_response.json");
    let data = liner_sync_emulator::DataSet::generate(11, 10, 1, crate::common::first_created());
    let deal = data
        .deals
        .iter()
        .find(|d| !d.contact_ids.is_empty())
        .unwrap();
    let (_, body) = call(&fake, "crm.deal.contact.items.get", json!({"id": deal.id})).await;
    let item = &body["result"][0];
    for (key, value) in sample["result"][0].as_object().unwrap() {
        let mine = &item[key];
        assert_eq!(mine.is_number(), value.is_number(), "{key}");
        assert_eq!(mine.is_string(), value.is_string(), "{key}");
    }
}

#[tokio::test]
async fn batch_sections_follow_the_real_shapes() {
    let fake = portal(120).await;
    let real = fixture("bitrix24/batch_response_list_pages_real_trimmed.json");
    let (_, body) = call(
        &fake,
        "batch",
        json!({"cmd": {"cmd0": "crm.deal.list?select[]=ID&select[]=TITLE", "cmd1": "crm.deal.list?select[]=ID&select[]=TITLE&start=50"}}),
    )
    .await;
    let sections: Vec<&String> = real["result"].as_object().unwrap().keys().collect();
    let mine: Vec<&String> = body["result"].as_object().unwrap().keys().collect();
    assert_eq!(sections, mine);
    assert_eq!(
        body["result"]["result_error"],
        json!([]),
        "empty sections are []"
    );
    assert_eq!(body["result"]["result_total"]["cmd0"], 120);
    assert_eq!(body["result"]["result_next"]["cmd1"], 100);
    assert_keys_cover(
        &real["result"]["result_time"]["cmd0"],
        &body["result"]["result_time"]["cmd0"],
        &[],
    );
    assert_keys_cover(
        &real["result"]["result"]["cmd0"][0],
        &body["result"]["result"]["cmd0"][0],
        &[],
    );

    let with_error = fixture("bitrix24/batch_response_sub_call_error_named_keys.json");
    let (_, failed) = call(
        &fake,
        "batch",
        json!({"cmd": {"c_999": "crm.contact.get?id=999999"}}),
    )
    .await;
    assert_eq!(
        failed["result"]["result_error"],
        with_error["result"]["result_error"]
    );
    assert_eq!(failed["result"]["result"], json!([]));
}

#[tokio::test]
async fn error_bodies_match_the_collection() {
    let fake = portal(3).await;
    let collection = fixture("bitrix24/error_responses_collection.json");
    let case = |code: &str| {
        collection["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["body"]["error"] == code)
            .unwrap()
            .clone()
    };
    for (status, code) in [
        (503, "QUERY_LIMIT_EXCEEDED"),
        (429, "OPERATION_TIME_LIMIT"),
        (401, "NO_AUTH_FOUND"),
    ] {
        fake.faults().fail_next(1, status);
        let (got_status, body) = call(&fake, "scope", json!({})).await;
        let expected = case(code);
        assert_eq!(
            u64::from(got_status),
            expected["http_status"].as_u64().unwrap()
        );
        assert_eq!(body, expected["body"]);
    }
}
