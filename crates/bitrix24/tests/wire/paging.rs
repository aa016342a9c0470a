//! Request shapes and counts of paging, contacts and the other operations.

use crate::portal::{Handled, Portal, harness, sub_call};
use liner_sync_core::testing::Captured;
use liner_sync_core::{CrmSource, Cursor, NothingSeen, StartFrom};
use serde_json::{Map, Value, json};

fn cursor(value: serde_json::Value) -> Cursor {
    Cursor(value)
}

/// A batch's sub-calls by kind: (a page's list and links, contact lists).
fn shape(cmd: &Map<String, Value>) -> (bool, usize) {
    let contacts = cmd.keys().filter(|k| k.starts_with("contacts_")).count();
    let pair = cmd.contains_key("list");
    assert_eq!(
        pair,
        cmd.contains_key("links"),
        "list and links go together"
    );
    assert_eq!(cmd.len(), contacts + 2 * usize::from(pair), "{cmd:?}");
    (pair, contacts)
}

/// The shapes of every batch the portal received.
async fn shapes(h: &crate::portal::Harness) -> Vec<(bool, usize)> {
    h.batch_commands().await.iter().map(shape).collect()
}

/// The parameters of a batch's page list and links, checking their methods.
fn pair(cmd: &Map<String, Value>) -> (Value, Value) {
    let (list_method, list) = sub_call(cmd, "list");
    let (links_method, links) = sub_call(cmd, "links");
    assert_eq!(
        (list_method.as_str(), links_method.as_str()),
        ("crm.deal.list", "crm.item.list")
    );
    (list, links)
}

/// The contact ids of a batch's `contacts_N` sub-call.
fn contact_ids(cmd: &Map<String, Value>, key: &str) -> Vec<u64> {
    let (method, params) = sub_call(cmd, key);
    assert_eq!(method, "crm.contact.list");
    params["filter"]["@ID"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test]
async fn fifty_fifty_and_seven_deals_cost_four_requests() {
    let h = harness(Portal::with_deals(1001..=1107)).await;
    let pages = h
        .pass(&cursor(json!({"last_id": 0})), &NothingSeen)
        .await
        .unwrap();

    assert_eq!(
        h.calls().await,
        ["batch", "batch", "batch", "batch"],
        "one batch lists the first page; each contacts batch lists the page after it"
    );
    assert_eq!(
        shapes(&h).await,
        [(true, 0), (true, 1), (true, 1), (false, 1)]
    );
    let sizes: Vec<usize> = pages.iter().map(|p| p.deals.len()).collect();
    assert_eq!(sizes, [50, 50, 7]);
    let cursors: Vec<&Cursor> = pages.iter().map(|p| &p.cursor).collect();
    assert_eq!(
        cursors,
        [
            &cursor(json!({"last_id": 1050})),
            &cursor(json!({"last_id": 1100})),
            &cursor(json!({"last_id": 1107}))
        ],
        "a page's cursor never reaches into the page it prefetched"
    );
    let next = &pages[0].next.as_ref().unwrap().0;
    assert_eq!(next["after"], 1050);
    assert_eq!(next["rows"].as_array().map(Vec::len), Some(50));
    assert_eq!(next["links"]["items"].as_array().map(Vec::len), Some(50));
    let next = &pages[1].next.as_ref().unwrap().0;
    assert_eq!(next["after"], 1100);
    assert_eq!(next["rows"].as_array().map(Vec::len), Some(7));
    assert!(pages[2].next.is_none());
    assert_eq!(pages[1].deals[0].id, "1051");
    assert_eq!(pages[2].deals[6].id, "1107");

    let batches = h.batch_commands().await;
    let (list, links) = pair(&batches[0]);
    let select: Vec<&str> = list["select"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert!(
        select.contains(&"CONTACT_ID") && select.contains(&"UF_*") && select.contains(&"UTM_TERM")
    );
    assert_eq!(list["order"], json!({"ID": "ASC"}));
    assert_eq!(list["start"], "-1");
    assert_eq!(list["filter"], json!({">ID": "0"}));
    assert_eq!(
        links,
        json!({"entityTypeId": "2", "order": {"id": "ASC"}, "filter": {">id": "0"},
               "select": ["id", "contactIds"], "start": "-1"})
    );
    for (batch, after) in batches[1..].iter().zip(["1050", "1100"]) {
        let (next_list, next_links) = pair(batch);
        assert_eq!(next_list["filter"], json!({">ID": after}));
        assert_eq!(next_list["select"], list["select"], "the same fields");
        assert_eq!(next_list["order"], list["order"]);
        assert_eq!(next_links["filter"], json!({">id": after}));
        assert_eq!(next_links["select"], links["select"]);
    }
    assert_eq!(
        contact_ids(&batches[1], "contacts_0"),
        (101_001..=101_050).collect::<Vec<_>>()
    );
    assert_eq!(
        contact_ids(&batches[3], "contacts_0"),
        (101_101..=101_107).collect::<Vec<_>>()
    );
    let bodies = h.bodies("batch").await;
    assert!(bodies.iter().all(|b| b["halt"] == 0));

    let first = &pages[0].deals[0];
    assert_eq!(first.id, "1001");
    assert_eq!(first.title.as_deref(), Some("Квартира #1001"));
    assert_eq!(first.contacts.len(), 1);
    assert_eq!(first.contacts[0].phones, ["+7 900 0001001"]);
    assert_eq!(first.contacts[0].name.as_deref(), Some("Иван N101001"));
    assert_eq!(first.created_at.to_rfc3339(), "2026-11-01T07:00:00+00:00");
    assert_eq!(first.custom_fields["UF_CRM_1721244482250"], "Hello world!");
    assert!(
        pages
            .iter()
            .flat_map(|p| &p.deals)
            .all(|d| d.contacts.len() == 1)
    );
}

#[tokio::test]
async fn deals_with_secondary_contacts_cost_nothing_extra() {
    let mut portal = Portal::default();
    for id in 1001..=1107 {
        let phone = format!("+7 900 {id:07}");
        if id % 10 == 3 {
            // The primary contact has no phone; the second one has.
            let contacts = [(id + 100_000, None), (id + 200_000, Some(phone.as_str()))];
            portal.add_deal(id, &contacts);
        } else {
            portal.add_deal(id, &[(id + 100_000, Some(phone.as_str()))]);
        }
    }
    let h = harness(portal).await;
    let pages = h
        .pass(&cursor(json!({"last_id": 0})), &NothingSeen)
        .await
        .unwrap();

    assert_eq!(h.calls().await, ["batch", "batch", "batch", "batch"]);
    assert_eq!(
        shapes(&h).await,
        [(true, 0), (true, 2), (true, 2), (false, 1)],
        "55 contacts for a page of 50 take two calls of the same batch"
    );
    let batches = h.batch_commands().await;
    let mut asked = contact_ids(&batches[1], "contacts_0");
    asked.extend(contact_ids(&batches[1], "contacts_1"));
    assert_eq!(asked.len(), 55);
    assert!(asked.contains(&201_003) && asked.contains(&201_043));

    let deals: Vec<_> = pages.iter().flat_map(|p| &p.deals).collect();
    assert_eq!(deals.len(), 107);
    for deal in deals {
        let callable = deal
            .contacts
            .iter()
            .filter(|c| !c.phones.is_empty())
            .count();
        assert_eq!(callable, 1, "deal {}", deal.id);
    }
    let deal = pages[0].deals.iter().find(|d| d.id == "1003").unwrap();
    let names: Vec<_> = deal.contacts.iter().map(|c| c.name.as_deref()).collect();
    assert_eq!(
        names,
        [Some("Иван N101003"), Some("Иван N201003")],
        "primary first"
    );
}

#[tokio::test]
async fn contacts_come_primary_first_then_in_the_deals_order() {
    let mut portal = Portal::with_deals((1..=57).filter(|id| *id != 7));
    portal.add_deal(
        7,
        &[
            (70, None),
            (72, Some("8 (812) 555-35-35")),
            (71, Some("+7 900 765-43-21")),
        ],
    );
    let h = harness(portal).await;
    let pages = h
        .pass(&cursor(json!({"last_id": 0})), &NothingSeen)
        .await
        .unwrap();

    assert_eq!(h.calls().await, ["batch", "batch", "batch"]);
    assert_eq!(shapes(&h).await, [(true, 0), (true, 2), (false, 1)]);
    let batch = &h.batch_commands().await[1];
    let mut asked = contact_ids(batch, "contacts_0");
    asked.extend(contact_ids(batch, "contacts_1"));
    assert_eq!(
        &asked[..3],
        [70, 71, 72],
        "ids are asked in order, each once"
    );
    assert_eq!(asked.len(), 52, "49 primaries and deal 7's three");
    assert_eq!(pages[1].deals.len(), 7, "the prefetched page was read");

    let deal = pages[0].deals.iter().find(|d| d.id == "7").unwrap();
    let phones: Vec<&[String]> = deal.contacts.iter().map(|c| c.phones.as_slice()).collect();
    assert_eq!(
        phones,
        [
            &[][..],
            &["8 (812) 555-35-35".to_owned()][..],
            &["+7 900 765-43-21".to_owned()][..]
        ]
    );
}

#[tokio::test]
async fn the_first_page_of_a_pass_rescans_below_the_cursor() {
    let h = harness(Portal::with_deals(1001..=1050)).await;
    // 1035 was committed late: the previous pass read past it.
    let handled = Handled::ids((1001..=1040).filter(|id| *id != 1035));
    let page = h
        .fetch(&cursor(json!({"last_id": 1040})), None, &handled)
        .await
        .unwrap();

    let batches = h.batch_commands().await;
    let (list, links) = pair(&batches[0]);
    assert_eq!(list["filter"], json!({">ID": "940"}));
    assert_eq!(links["filter"], json!({">id": "940"}));
    let ids: Vec<&str> = page.deals.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids[0], "1035");
    assert_eq!(ids.len(), 11);
    assert_eq!(page.skipped_seen, 39);
    assert!(page.next.is_some(), "a full raw page goes on");
    assert_eq!(page.cursor, cursor(json!({"last_id": 1050})));

    assert_eq!(
        shape(&batches[1]),
        (true, 1),
        "contacts only for the 11 unhandled deals, and the next page"
    );
    assert_eq!(
        contact_ids(&batches[1], "contacts_0"),
        std::iter::once(101_035)
            .chain(101_041..=101_050)
            .collect::<Vec<_>>()
    );
    assert_eq!(pair(&batches[1]).0["filter"], json!({">ID": "1050"}));
}

#[tokio::test]
async fn a_page_without_contacts_to_load_costs_one_request_and_the_next_page_is_listed_alone() {
    let h = harness(Portal::with_deals(1001..=1057)).await;
    let pages = h
        .pass(
            &cursor(json!({"last_id": 1057})),
            &Handled::ids(1001..=1057),
        )
        .await
        .unwrap();
    assert_eq!(h.calls().await, ["batch", "batch"]);
    assert_eq!(shapes(&h).await, [(true, 0), (true, 0)]);
    assert_eq!(pages.iter().map(|p| p.skipped_seen).sum::<usize>(), 57);
    assert!(pages.iter().all(|p| p.deals.is_empty()));
    let next = &pages[0].next.as_ref().unwrap().0;
    assert_eq!(next, &json!({"after": 1050}), "nothing prefetched");
    assert_eq!(pages[1].cursor, cursor(json!({"last_id": 1057})));
    let second = &h.batch_commands().await[1];
    assert_eq!(pair(second).0["filter"], json!({">ID": "1050"}));
    assert_eq!(pair(second).1["filter"], json!({">id": "1050"}));

    // Handled first page, new second page: the second page's contacts batch
    // lists nothing more, as its raw page was short.
    let h = harness(Portal::with_deals(1001..=1060)).await;
    let pages = h
        .pass(&cursor(json!({"last_id": 0})), &Handled::ids(1001..=1050))
        .await
        .unwrap();
    assert_eq!(h.calls().await, ["batch", "batch", "batch"]);
    assert_eq!(pages[1].deals.len(), 10);
    assert_eq!(shapes(&h).await, [(true, 0), (true, 0), (false, 1)]);

    // A full page of deals without contacts costs one request, like a
    // handled one.
    let mut portal = Portal::default();
    for id in 1..=53 {
        portal.add_deal(id, &[]);
    }
    let h = harness(portal).await;
    let pages = h
        .pass(&cursor(json!({"last_id": 0})), &NothingSeen)
        .await
        .unwrap();
    assert_eq!(h.calls().await, ["batch", "batch"]);
    assert_eq!(pages.iter().map(|p| p.deals.len()).sum::<usize>(), 53);
}

#[tokio::test]
async fn an_empty_last_page_keeps_the_position_of_the_pass() {
    let h = harness(Portal::with_deals(1..=50)).await;
    let pages = h
        .pass(&cursor(json!({"last_id": 0})), &NothingSeen)
        .await
        .unwrap();
    assert_eq!(pages.len(), 2);
    assert!(pages[1].deals.is_empty());
    assert!(pages[1].next.is_none());
    assert_eq!(
        pages[1].cursor,
        cursor(json!({"last_id": 50})),
        "not back to the pass's start"
    );
    assert_eq!(
        shapes(&h).await,
        [(true, 0), (true, 1)],
        "the empty page came with the contacts batch"
    );
}

#[tokio::test]
async fn an_empty_page_keeps_the_cursor_and_deals_without_contacts_cost_nothing_more() {
    let h = harness(Portal::default()).await;
    let page = h
        .fetch(&cursor(json!({"last_id": 77})), None, &NothingSeen)
        .await
        .unwrap();
    assert_eq!(page.cursor, cursor(json!({"last_id": 77})));
    assert_eq!((page.deals.len(), page.next.is_none()), (0, true));
    assert_eq!(h.calls().await, ["batch"]);

    let mut portal = Portal::default();
    portal.add_deal(5, &[]);
    let h = harness(portal).await;
    let page = h
        .fetch(&cursor(json!({"last_id": 0})), None, &NothingSeen)
        .await
        .unwrap();
    assert_eq!(page.deals.len(), 1);
    assert!(page.deals[0].contacts.is_empty());
    assert_eq!(h.calls().await, ["batch"]);
}

#[tokio::test]
async fn a_deal_missing_from_the_links_keeps_its_primary_contact() {
    let logs = Captured::default();
    let _guard = tracing::subscriber::set_default(logs.clone());
    let mut portal = Portal::with_deals([1, 2]);
    portal.add_deal(3, &[(30, None), (31, Some("89001234567"))]);
    let h = harness(portal).await;
    h.edit_batch_once(&["links"], |result| {
        if let Some(items) = result["result"]["links"]["items"].as_array_mut() {
            items.retain(|item| item["id"] != 3);
        }
    })
    .await;
    let page = h
        .fetch(&cursor(json!({"last_id": 0})), None, &NothingSeen)
        .await
        .unwrap();
    assert_eq!(h.calls().await, ["batch", "batch"]);
    let deal = &page.deals[2];
    assert_eq!(deal.id, "3");
    assert_eq!(deal.contacts.len(), 1, "CONTACT_ID only");
    assert_eq!(deal.contacts[0].name.as_deref(), Some("Иван N30"));
    assert_eq!(
        contact_ids(&h.batch_commands().await[1], "contacts_0"),
        [30, 100_001, 100_002]
    );
    let logged = logs.text();
    assert!(
        logged.contains("deal not among the crm.item.list rows") && logged.contains("deal=3"),
        "{logged}"
    );
}

#[tokio::test]
async fn failed_links_leave_every_deal_its_primary_contact() {
    let mut portal = Portal::with_deals([1, 2]);
    portal.add_deal(3, &[(30, None), (31, Some("89001234567"))]);
    let h = harness(portal).await;
    let general = json!({"error": "", "error_description": "Failed to get list. General error."});
    h.fail_sub_call_once(&["links"], "links", general).await;
    let page = h
        .fetch(&cursor(json!({"last_id": 0})), None, &NothingSeen)
        .await
        .unwrap();
    assert_eq!(h.calls().await, ["batch", "batch"], "no extra request");
    let counts: Vec<usize> = page.deals.iter().map(|d| d.contacts.len()).collect();
    assert_eq!(counts, [1, 1, 1]);
}

#[tokio::test]
async fn more_contacts_than_one_batch_holds_split_into_two_requests() {
    let mut portal = Portal::default();
    for deal in 1..=50u64 {
        let contacts: Vec<(u64, Option<&str>)> = (0..49)
            .map(|i| (deal * 100 + i, Some("+7 900 123-45-67")))
            .collect();
        portal.add_deal(deal, &contacts);
    }
    let h = harness(portal).await;
    let pages = h
        .pass(&cursor(json!({"last_id": 0})), &NothingSeen)
        .await
        .unwrap();
    // 2,450 contacts need 49 calls: 48 beside the next page's pair, then 1.
    assert_eq!(shapes(&h).await, [(true, 0), (true, 48), (false, 1)]);
    assert!(h.batch_commands().await.iter().all(|cmd| cmd.len() <= 50));
    assert_eq!(pages.len(), 2);
    assert!(pages[0].deals.iter().all(|d| d.contacts.len() == 49));
    assert!(pages[1].deals.is_empty());
}

#[tokio::test]
async fn a_start_date_filters_on_the_server_and_exactly_here() {
    let mut portal = Portal::with_deals(1..=3);
    portal.deals.get_mut(&1).unwrap()["DATE_CREATE"] = json!("2026-10-31T23:59:59+03:00");
    let h = harness(portal).await;
    let start = cursor(json!({"created_from": "2026-10-31T21:00:00Z"}));
    let page = h.fetch(&start, None, &NothingSeen).await.unwrap();

    let (list, links) = pair(&h.batch_commands().await[0]);
    assert_eq!(
        list["filter"],
        json!({">ID": "0", ">=DATE_CREATE": "2026-10-30T21:00:00+00:00"})
    );
    assert_eq!(
        links["filter"],
        json!({">id": "0", ">=createdTime": "2026-10-30T21:00:00+00:00"}),
        "the same filter in crm.item.list's names"
    );
    let ids: Vec<&str> = page.deals.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        ["2", "3"],
        "deal 1 was created a second before the start"
    );
    assert_eq!(
        page.cursor,
        cursor(json!({"last_id": 3, "created_from": "2026-10-31T21:00:00Z"}))
    );

    // Once ids take over, the date no longer goes to the server but still
    // keeps old deals out of the rescan window.
    let page = h
        .fetch(&page.cursor, None, &Handled::ids([2, 3]))
        .await
        .unwrap();
    let (list, links) = pair(&h.batch_commands().await[2]);
    assert_eq!(list["filter"], json!({">ID": "0"}));
    assert_eq!(links["filter"], json!({">id": "0"}));
    assert!(page.deals.is_empty());
    assert_eq!(page.skipped_seen, 2);
}

#[tokio::test]
async fn a_window_end_filters_on_the_server_and_exactly_here() {
    let mut portal = Portal::with_deals(1..=3);
    portal.deals.get_mut(&3).unwrap()["DATE_CREATE"] = json!("2026-11-01T02:59:59+03:00");
    let h = harness(portal).await;
    let start = cursor(json!({"created_from": "2026-10-31T00:00:00Z"}));
    let until = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
        .unwrap()
        .to_utc();
    let page = h
        .fetch_until(&start, None, &NothingSeen, Some(until))
        .await
        .unwrap();

    let (list, links) = pair(&h.batch_commands().await[0]);
    assert_eq!(
        list["filter"]["<DATE_CREATE"],
        json!("2026-11-02T00:00:00+00:00")
    );
    assert_eq!(
        links["filter"]["<createdTime"],
        list["filter"]["<DATE_CREATE"]
    );
    let ids: Vec<&str> = page.deals.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        ["3"],
        "deals 1 and 2 were created at 07:00 UTC, after the end"
    );
}

#[tokio::test]
async fn start_now_records_the_highest_id_and_the_portal_clock() {
    let h = harness(Portal::with_deals([3, 100, 99])).await;
    let start = h.source.initial_cursor(StartFrom::Now).await.unwrap();
    assert_eq!(
        start,
        cursor(json!({"last_id": 100, "created_from": "2026-11-02T09:00:00Z"}))
    );
    let body = &h.bodies("crm.deal.list").await[0];
    assert_eq!(body["order"], json!({"ID": "DESC"}));
    assert_eq!(
        (body["start"].clone(), body["select"].clone()),
        (json!(-1), json!(["ID"]))
    );

    // The next pass rescans 0..=100 but sends none of the deals that existed.
    let page = h.fetch(&start, None, &NothingSeen).await.unwrap();
    assert!(page.deals.is_empty(), "{:?}", page.deals);
    assert_eq!(page.cursor, start);

    let empty = harness(Portal::default()).await;
    let start = empty.source.initial_cursor(StartFrom::Now).await.unwrap();
    assert_eq!(start.0["last_id"], 0);

    let date = "2026-11-01T00:00:00+03:00".parse().unwrap();
    let start = empty
        .source
        .initial_cursor(StartFrom::Date(date))
        .await
        .unwrap();
    assert_eq!(
        start,
        cursor(json!({"created_from": "2026-10-31T21:00:00Z"}))
    );
}

#[tokio::test]
async fn one_deal_by_id_with_all_its_contacts() {
    let mut portal = Portal::default();
    portal.add_deal(410, &[(84, Some("+7 (900) 123-45-67")), (85, None)]);
    let h = harness(portal).await;
    let deal = h.source.deal("410").await.unwrap().unwrap();
    assert_eq!(deal.id, "410");
    let names: Vec<_> = deal.contacts.iter().map(|c| c.name.as_deref()).collect();
    assert_eq!(names, [Some("Иван N84"), Some("Иван N85")]);
    assert_eq!(h.calls().await, ["batch", "batch"]);
    let first = &h.batch_commands().await[0];
    assert_eq!(first["deal"], "crm.deal.get?id=410");
    let (method, links) = sub_call(first, "links");
    assert_eq!(method, "crm.item.list");
    assert_eq!(links["filter"], json!({"=id": "410"}));
    assert_eq!(links["entityTypeId"], "2");

    assert_eq!(h.source.deal("411").await.unwrap(), None);
    assert_eq!(h.source.deal("not-an-id").await.unwrap(), None);
    assert_eq!(
        h.calls().await.len(),
        3,
        "411 cost one batch, a bad id none"
    );
}

#[tokio::test]
async fn check_asks_for_the_scope_and_a_tiny_list() {
    let h = harness(Portal::with_deals(1..=3)).await;
    h.source.check().await.unwrap();
    assert_eq!(h.calls().await, ["scope", "crm.deal.list"]);
    assert_eq!(
        h.bodies("crm.deal.list").await[0],
        json!({"filter": {"ID": 0}, "select": ["ID"], "start": -1})
    );
}

#[tokio::test]
async fn string_ids_are_ordered_as_numbers() {
    let h = harness(Portal::with_deals([9, 10, 99, 100])).await;
    let page = h
        .fetch(&cursor(json!({"last_id": 0})), None, &NothingSeen)
        .await
        .unwrap();
    let ids: Vec<&str> = page.deals.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["9", "10", "99", "100"]);
    assert_eq!(page.cursor, cursor(json!({"last_id": 100})));
}
