//! `batch`: references, errors, limits and the reply's PHP shapes.

use liner_sync_emulator::{Bitrix24Fake, Bitrix24Options, DataSet};
use serde_json::{Value, json};

use crate::common::{call, client, first_created, ids, portal};

#[tokio::test]
async fn chained_pages_through_result_references() {
    let fake = portal(180).await;
    let page = |filter: &str| {
        format!(
            "crm.deal.list?start=-1&order[ID]=ASC&select[]=ID&select[]=CONTACT_ID&filter[%3EID]={filter}"
        )
    };
    let (status, body) = call(
        &fake,
        "batch",
        // serde_json sorts object keys and the portal runs commands in the
        // order they arrive, so the keys sort in execution order.
        json!({"halt": 0, "cmd": {
            "p_0": page("0"),
            "p_1": page("$result[p_0][49][ID]"),
            "p_2": page("$result[p_1][49][ID]"),
            "q_0": "crm.contact.get?id=$result[p_0][0][CONTACT_ID]",
        }}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let result = &body["result"];
    let mut all = Vec::new();
    for key in ["p_0", "p_1", "p_2"] {
        let page = ids(&result["result"][key]);
        assert_eq!(page.len(), 50);
        all.extend(page);
        assert_eq!(result["result_total"][key], 0);
        assert!(result["result_time"][key]["date_start"].is_string());
    }
    let (_, direct) = call(
        &fake,
        "crm.deal.list",
        json!({"order": {"ID": "ASC"}, "select": ["ID"]}),
    )
    .await;
    assert_eq!(all[..50], ids(&direct["result"])[..]);
    assert!(all.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(
        result["result"]["q_0"]["ID"],
        result["result"]["p_0"][0]["CONTACT_ID"]
    );
    assert_eq!(result["result_error"], json!([]));
    assert_eq!(result["result_next"], json!([]));
    assert!(body["time"]["operating_reset_at"].is_number());
    let recorded = fake.requests();
    assert_eq!(recorded[0].method, "batch");
    assert_eq!(
        recorded[0].sub_calls,
        [
            "crm.deal.list",
            "crm.deal.list",
            "crm.deal.list",
            "crm.contact.get"
        ]
    );
}

#[tokio::test]
async fn sub_call_errors_go_to_result_error_and_halt_stops() {
    let fake = portal(10).await;
    let second = DataSet::generate(11, 10, 1, first_created()).deals[1].id;
    let cmd = json!({"d_1": "crm.deal.get?id=1", "d_bad": "crm.deal.get?id=999999", "nope": "crm.nothing", "z": format!("crm.deal.get?id={second}")});
    let (status, body) = call(&fake, "batch", json!({"halt": 0, "cmd": cmd})).await;
    assert_eq!(status, 200);
    let result = &body["result"];
    assert_eq!(
        result["result_error"]["d_bad"],
        json!({"error": "", "error_description": "Not found"})
    );
    assert_eq!(
        result["result_error"]["nope"]["error"],
        "ERROR_METHOD_NOT_FOUND"
    );
    assert!(result["result"]["z"].is_object());
    assert_eq!(result["result_total"], json!([]));

    let (_, halted) = call(&fake, "batch", json!({"halt": 1, "cmd": cmd})).await;
    let result = &halted["result"];
    assert!(result["result"]["d_1"].is_object());
    assert!(result["result"].get("z").is_none());
    assert_eq!(result["result_error"].as_object().unwrap().len(), 1);
}

#[tokio::test]
async fn numeric_keys_come_back_as_lists() {
    let fake = portal(5).await;
    let (_, body) = call(
        &fake,
        "batch",
        json!({"cmd": ["crm.deal.get?id=1", "scope"]}),
    )
    .await;
    let results = body["result"]["result"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["ID"], "1");
}

#[tokio::test]
async fn too_long_and_nested_batches_are_refused() {
    let fake = portal(5).await;
    let cmd: serde_json::Map<String, Value> =
        (0..51).map(|i| (format!("c{i}"), json!("scope"))).collect();
    let (status, body) = call(&fake, "batch", json!({"cmd": cmd})).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "ERROR_BATCH_LENGTH_EXCEEDED");
    assert_eq!(fake.requests().last().unwrap().sub_calls.len(), 51);
    let (status, body) = call(
        &fake,
        "batch",
        json!({"cmd": {"a": "scope", "b": "batch?cmd[x]=scope"}}),
    )
    .await;
    assert_eq!(status, 405);
    assert_eq!(body["error"], "ERROR_BATCH_METHOD_NOT_ALLOWED");
}

#[tokio::test]
async fn a_form_encoded_batch_works_too() {
    let fake = portal(5).await;
    let form = "halt=0&cmd%5Bdeal%5D=crm.deal.get%3Fid%3D1&cmd%5Bscope%5D=scope";
    let body: Value = client()
        .post(format!("{}batch.json", fake.webhook_url()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["result"]["result"]["deal"]["ID"], "1");
    assert!(body["result"]["result"]["scope"].is_array());
}

#[tokio::test]
async fn a_batch_is_one_request_for_the_rate_limit() {
    let fake = Bitrix24Fake::start(Bitrix24Options {
        data: DataSet::generate(1, 5, 1, first_created()),
        bucket_capacity: 2,
        drain_per_second: 0.01,
        ..Default::default()
    })
    .await
    .unwrap();
    let cmd: serde_json::Map<String, Value> = (0..50)
        .map(|i| (format!("c{i}"), json!("crm.deal.get?id=1")))
        .collect();
    for _ in 0..2 {
        let (status, _) = call(&fake, "batch", json!({"cmd": cmd})).await;
        assert_eq!(status, 200);
    }
    let (status, body) = call(&fake, "batch", json!({"cmd": cmd})).await;
    assert_eq!(status, 503);
    assert_eq!(
        body,
        json!({"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"})
    );
}
