//! The fake amoCRM's contacts: lookups by id, the PHONE and IM multitext
//! fields with both enum keys, and agreement with `Expected`.

use serde_json::Value;

use crate::common::{amo, amo_data, amo_get, fixture};

/// `filter[id][]=…` for `ids`.
fn by_ids(ids: &[u64]) -> String {
    let filter: Vec<String> = ids.iter().map(|id| format!("filter[id][]={id}")).collect();
    format!("/api/v4/contacts?limit=250&{}", filter.join("&"))
}

/// The values of a contact's field with `code`.
fn values<'a>(contact: &'a Value, code: &str) -> Vec<&'a Value> {
    contact["custom_fields_values"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|field| field["field_code"] == code)
        .flat_map(|field| field["values"].as_array().unwrap())
        .collect()
}

#[tokio::test]
async fn contacts_by_ids_carry_phones_names_and_telegram() {
    let data = amo_data(240);
    let fake = amo(240).await;
    let ids: Vec<u64> = data
        .deals
        .iter()
        .flat_map(|d| d.contact_ids.clone())
        .collect();
    assert!(ids.len() > 200);
    let mut contacts = Vec::new();
    for chunk in ids.chunks(100) {
        let reply = amo_get(&fake, &by_ids(chunk)).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let body = reply.json();
        assert!(body["_links"].get("next").is_none());
        contacts.extend(body["_embedded"]["contacts"].as_array().unwrap().clone());
    }
    assert_eq!(contacts.len(), ids.len());
    let find = |id: u64| contacts.iter().find(|c| c["id"] == id).unwrap();
    let (mut enum_code, mut enum_quirk, mut nulls) = (0, 0, 0);
    for contact in &contacts {
        for value in values(contact, "PHONE") {
            match (value.get("enum_code"), value.get("enum")) {
                (Some(_), None) => enum_code += 1,
                (None, Some(_)) => enum_quirk += 1,
                other => panic!("{other:?}"),
            }
            assert!(value["enum_id"].is_u64());
        }
        if contact["custom_fields_values"].is_null() {
            nulls += 1;
        }
    }
    assert!(enum_code > 0 && enum_quirk > 0 && nulls > 0);
    assert!(enum_quirk * 5 > enum_code, "about a third use \"enum\"");
    let mut telegrams = 0;
    for deal in &data.deals {
        let Some(phone) = &deal.expected.phone else {
            continue;
        };
        let holder = deal
            .contact_ids
            .iter()
            .map(|id| find(*id))
            .find(|c| {
                values(c, "PHONE").iter().any(|v| {
                    let digits: String = v["value"]
                        .as_str()
                        .unwrap()
                        .chars()
                        .filter(char::is_ascii_digit)
                        .collect();
                    digits.ends_with(&phone[1..])
                })
            })
            .unwrap();
        assert_eq!(
            holder["name"].as_str().filter(|n| !n.is_empty()),
            deal.expected.name.as_deref()
        );
        if let Some(handle) = &deal.expected.telegram {
            telegrams += 1;
            let im = values(holder, "IM");
            let telegram = im
                .iter()
                .find(|v| v.get("enum_code").or(v.get("enum")) == Some(&Value::from("TELEGRAM")))
                .unwrap();
            assert_eq!(
                telegram["value"].as_str().unwrap().trim_start_matches('@'),
                handle
            );
        }
    }
    assert!(telegrams > 0);
}

#[tokio::test]
async fn contacts_have_the_samples_fields() {
    let data = amo_data(20);
    let fake = amo(20).await;
    let sample = fixture("amocrm/contact_with_phone_official.json");
    let with_phone = data.contacts.iter().find(|c| !c.phones.is_empty()).unwrap();
    let reply = amo_get(&fake, &format!("/api/v4/contacts/{}", with_phone.id)).await;
    assert_eq!(reply.content_type, "application/hal+json");
    let contact = reply.json();
    for key in sample.as_object().unwrap().keys() {
        if key == "_embedded" {
            continue;
        }
        assert!(contact.get(key).is_some(), "missing {key}");
    }
    let phone = &contact["custom_fields_values"][0];
    let sample_phone = &sample["custom_fields_values"][0];
    for key in ["field_name", "field_code", "field_type"] {
        assert_eq!(phone[key], sample_phone[key], "{key}");
    }
    let made_here = fixture("amocrm/contacts_list_mixed_enum_keys.json");
    let made_here = &made_here["_embedded"]["contacts"][1];
    for key in made_here.as_object().unwrap().keys() {
        assert!(contact.get(key).is_some(), "missing {key}");
    }
    assert!(contact["_embedded"]["tags"].is_array());
    assert!(contact["_embedded"]["companies"].is_array());
    let missing = amo_get(&fake, "/api/v4/contacts/7").await;
    assert_eq!((missing.status, missing.text.as_str()), (204, ""));
}

#[tokio::test]
async fn contact_lists_page_refuse_big_limits_and_say_204() {
    let data = amo_data(30);
    let fake = amo(30).await;
    let nothing = amo_get(&fake, "/api/v4/contacts?filter[id][]=5&filter[id][]=6").await;
    assert_eq!((nothing.status, nothing.text.as_str()), (204, ""));
    let over = amo_get(&fake, "/api/v4/contacts?limit=251").await;
    assert_eq!(over.status, 422);
    assert_eq!(over.json()["detail"], "Limit 250 per page");
    let first = amo_get(&fake, "/api/v4/contacts?limit=10").await.json();
    let next = first["_links"]["next"]["href"].as_str().unwrap();
    assert!(next.ends_with("limit=10&page=2"), "{next}");
    let all = amo_get(&fake, "/api/v4/contacts?limit=250&order[id]=desc")
        .await
        .json();
    let ids: Vec<u64> = all["_embedded"]["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), data.contacts.len());
    assert!(ids.windows(2).all(|w| w[0] > w[1]));
    let one = data.contacts[0].id;
    let single = amo_get(&fake, &format!("/api/v4/contacts?filter[id]={one}")).await;
    assert_eq!(single.json()["_embedded"]["contacts"][0]["id"], one);
    assert_eq!(
        amo_get(&fake, "/api/v4/contacts?order[created_at]=asc")
            .await
            .status,
        400
    );
}
