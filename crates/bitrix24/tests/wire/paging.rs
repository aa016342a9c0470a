//! Request shapes and counts of paging, contacts and the other operations.

use crate::portal::{Handled, Portal, harness, parse_query};
use liner_sync_core::{CrmSource, Cursor, NothingSeen, StartFrom};
use serde_json::{Map, Value, json};

fn cursor(value: serde_json::Value) -> Cursor {
    Cursor(value)
}

/// A batch's sub-calls by kind: (next page listed, contact lists, link look-ups).
fn shape(cmd: &Map<String, Value>) -> (bool, usize, usize) {
    let count = |prefix: &str| cmd.keys().filter(|k| k.starts_with(prefix)).count();
    assert_eq!(
        cmd.len(),
        count("next_page") + count("contacts_") + count("links_"),
        "{cmd:?}"
    );
    (
        cmd.contains_key("next_page"),
        count("contacts_"),
        count("links_"),
    )
}

/// The parameters of a batch's `next_page` sub-call.
fn next_page_params(cmd: &Map<String, Value>) -> Value {
    let text = cmd["next_page"].as_str().unwrap();
    let (method, query) = text.split_once('?').unwrap();
    assert_eq!(method, "crm.deal.list");
    parse_query(query)
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
        ["crm.deal.list", "batch", "batch", "batch"],
        "the first page is listed alone; each batch lists the page after it"
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
    let next = pages[0].next.as_ref().unwrap();
    assert_eq!(next.0["after"], 1050);
    assert_eq!(next.0["rows"].as_array().map(Vec::len), Some(50));
    assert_eq!(pages[1].next.as_ref().unwrap().0["after"], 1100);
    assert_eq!(
        pages[1].next.as_ref().unwrap().0["rows"]
            .as_array()
            .map(Vec::len),
        Some(7)
    );
    assert!(pages[2].next.is_none());
    assert_eq!(pages[1].deals[0].id, "1051");
    assert_eq!(pages[2].deals[6].id, "1107");

    let lists = h.bodies("crm.deal.list").await;
    assert_eq!(lists.len(), 1);
    let select: Vec<&str> = lists[0]["select"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert!(
        select.contains(&"CONTACT_ID") && select.contains(&"UF_*") && select.contains(&"UTM_TERM")
    );
    assert_eq!(lists[0]["order"], json!({"ID": "ASC"}));
    assert_eq!(lists[0]["start"], -1);
    assert_eq!(lists[0]["filter"], json!({">ID": 0}));

    let batches = h.batch_commands().await;
    let shapes: Vec<_> = batches.iter().map(shape).collect();
    assert_eq!(shapes, [(true, 1, 48), (true, 1, 48), (false, 1, 7)]);
    for (batch, after) in batches.iter().zip(["1050", "1100"]) {
        let params = next_page_params(batch);
        assert_eq!(params["filter"], json!({">ID": after}));
        assert_eq!(params["order"], json!({"ID": "ASC"}));
        assert_eq!(params["start"], "-1");
        assert_eq!(params["select"], lists[0]["select"], "the same fields");
    }
    assert!(
        batches[0]["contacts_0"]
            .as_str()
            .unwrap()
            .starts_with("crm.contact.list?filter[%40ID][]=101001&")
    );
    assert_eq!(
        batches[0]["links_1001"],
        "crm.deal.contact.items.get?id=1001"
    );
    assert!(batches[0].contains_key("links_1048"));
    assert!(!batches[0].contains_key("links_1049"));
    assert!(
        batches[1]["contacts_0"]
            .as_str()
            .unwrap()
            .starts_with("crm.contact.list?filter[%40ID][]=101051&")
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
    for deal in &pages[0].deals[48..] {
        assert_eq!(
            deal.contacts.len(),
            1,
            "deal {} has no link look-up but still its primary contact",
            deal.id
        );
    }
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

    assert_eq!(
        h.bodies("crm.deal.list").await[0]["filter"],
        json!({">ID": 940})
    );
    let ids: Vec<&str> = page.deals.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids[0], "1035");
    assert_eq!(ids.len(), 11);
    assert_eq!(page.skipped_seen, 39);
    assert!(page.next.is_some(), "a full raw page goes on");
    assert_eq!(page.cursor, cursor(json!({"last_id": 1050})));

    let cmd = &h.batch_commands().await[0];
    assert_eq!(
        shape(cmd),
        (true, 1, 11),
        "contacts and links only for the 11 unhandled deals, and the next page"
    );
    assert!(!cmd.contains_key("links_1001"));
    assert!(cmd.contains_key("links_1035"));
    assert_eq!(next_page_params(cmd)["filter"], json!({">ID": "1050"}));
}

#[tokio::test]
async fn a_page_without_contacts_to_load_sends_no_batch_and_the_next_page_is_listed_alone() {
    let h = harness(Portal::with_deals(1001..=1057)).await;
    let pages = h
        .pass(
            &cursor(json!({"last_id": 1057})),
            &Handled::ids(1001..=1057),
        )
        .await
        .unwrap();
    assert_eq!(h.calls().await, ["crm.deal.list", "crm.deal.list"]);
    assert_eq!(pages.iter().map(|p| p.skipped_seen).sum::<usize>(), 57);
    assert!(pages.iter().all(|p| p.deals.is_empty()));
    let next = &pages[0].next.as_ref().unwrap().0;
    assert_eq!(next, &json!({"after": 1050}), "nothing prefetched");
    assert_eq!(pages[1].cursor, cursor(json!({"last_id": 1057})));
    let lists = h.bodies("crm.deal.list").await;
    assert_eq!(lists[1]["filter"], json!({">ID": 1050}));

    // Handled first page, new second page: the second page's batch carries
    // no list, as its raw page was short.
    let h = harness(Portal::with_deals(1001..=1060)).await;
    let pages = h
        .pass(&cursor(json!({"last_id": 0})), &Handled::ids(1001..=1050))
        .await
        .unwrap();
    assert_eq!(h.calls().await, ["crm.deal.list", "crm.deal.list", "batch"]);
    assert_eq!(pages[1].deals.len(), 10);
    assert_eq!(
        h.batch_commands()
            .await
            .iter()
            .map(shape)
            .collect::<Vec<_>>(),
        [(false, 1, 10)]
    );

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
    assert_eq!(h.calls().await, ["crm.deal.list", "crm.deal.list"]);
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
        h.calls().await,
        ["crm.deal.list", "batch"],
        "the empty page came with the batch"
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

    let mut portal = Portal::default();
    portal.add_deal(5, &[]);
    let h = harness(portal).await;
    let page = h
        .fetch(&cursor(json!({"last_id": 0})), None, &NothingSeen)
        .await
        .unwrap();
    assert_eq!(page.deals.len(), 1);
    assert!(page.deals[0].contacts.is_empty());
    assert_eq!(h.calls().await, ["crm.deal.list"]);
}

#[tokio::test]
async fn a_deal_whose_primary_contact_has_no_phone_gets_exactly_one_follow_up() {
    let mut portal = Portal::with_deals((1..=57).filter(|id| *id != 7));
    portal.add_deal(
        7,
        &[
            (70, None),
            (71, Some("8 (812) 555-35-35")),
            (72, Some("+7 900 765-43-21")),
        ],
    );
    let h = harness(portal).await;
    let pages = h
        .pass(&cursor(json!({"last_id": 0})), &NothingSeen)
        .await
        .unwrap();

    assert_eq!(
        h.calls().await,
        ["crm.deal.list", "batch", "batch", "batch"],
        "page 1: list, batch, follow-up; page 2: its batch"
    );
    let batches = h.batch_commands().await;
    let shapes: Vec<_> = batches.iter().map(shape).collect();
    assert_eq!(shapes, [(true, 1, 48), (false, 1, 0), (false, 1, 7)]);
    let follow_up = batches[1]["contacts_0"].as_str().unwrap();
    assert!(
        follow_up.starts_with("crm.contact.list?filter[%40ID][]=71&filter[%40ID][]=72&"),
        "{follow_up}"
    );
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
async fn a_phoneless_deal_past_the_link_look_ups_needs_a_second_follow_up() {
    let mut portal = Portal::with_deals(1..=49);
    // Deals 49 and 50 get no link look-up in the first batch: one slot lists
    // the next page. 49's primary contact has a phone, 50's has none.
    portal.add_deal(
        50,
        &[
            (500, None),
            (501, Some("8 (812) 555-35-35")),
            (502, Some("+7 900 765-43-21")),
        ],
    );
    let h = harness(portal).await;
    let page = h
        .fetch(&cursor(json!({"last_id": 0})), None, &NothingSeen)
        .await
        .unwrap();

    assert_eq!(
        h.calls().await,
        ["crm.deal.list", "batch", "batch", "batch"]
    );
    let batches = h.batch_commands().await;
    assert_eq!(shape(&batches[0]), (true, 1, 48));
    assert_eq!(
        Value::Object(batches[1].clone()),
        json!({"links_50": "crm.deal.contact.items.get?id=50"})
    );
    let second = batches[2]["contacts_0"].as_str().unwrap();
    assert!(
        second.starts_with("crm.contact.list?filter[%40ID][]=501&filter[%40ID][]=502&"),
        "{second}"
    );
    let deal = page.deals.iter().find(|d| d.id == "50").unwrap();
    assert_eq!(deal.contacts.len(), 3);
    assert_eq!(
        page.next.as_ref().unwrap().0["rows"],
        json!([]),
        "the next page was prefetched (empty)"
    );
}

#[tokio::test]
async fn one_deal_in_ten_without_a_phone_costs_two_requests_per_page() {
    let mut portal = Portal::default();
    for id in 1001..=1107 {
        let phone = format!("+7 900 {:07}", id);
        if id % 10 == 3 {
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

    assert_eq!(
        h.calls().await,
        [
            "crm.deal.list",
            "batch",
            "batch",
            "batch",
            "batch",
            "batch",
            "batch"
        ],
        "1 + 2 per page for 3 pages"
    );
    let shapes: Vec<_> = h.batch_commands().await.iter().map(shape).collect();
    assert_eq!(
        shapes,
        [
            (true, 1, 48),
            (false, 1, 0),
            (true, 1, 48),
            (false, 1, 0),
            (false, 1, 7),
            (false, 1, 0)
        ]
    );
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
}

#[tokio::test]
async fn secondary_contacts_known_from_the_first_batch_need_one_follow_up() {
    let mut portal = Portal::default();
    portal.add_deal(7, &[(70, Some("no phone here")), (71, Some("89001234567"))]);
    let h = harness(portal).await;
    let page = h
        .fetch(&cursor(json!({"last_id": 0})), None, &NothingSeen)
        .await
        .unwrap();
    assert_eq!(h.calls().await, ["crm.deal.list", "batch", "batch"]);
    assert_eq!(page.deals[0].contacts.len(), 2);
    assert_eq!(page.deals[0].contacts[1].phones, ["89001234567"]);
}

#[tokio::test]
async fn a_start_date_filters_on_the_server_and_exactly_here() {
    let mut portal = Portal::with_deals(1..=3);
    portal.deals.get_mut(&1).unwrap()["DATE_CREATE"] = json!("2026-10-31T23:59:59+03:00");
    let h = harness(portal).await;
    let start = cursor(json!({"created_from": "2026-10-31T21:00:00Z"}));
    let page = h.fetch(&start, None, &NothingSeen).await.unwrap();

    let filter = &h.bodies("crm.deal.list").await[0]["filter"];
    assert_eq!(
        filter,
        &json!({">ID": 0, ">=DATE_CREATE": "2026-10-30T21:00:00+00:00"})
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
    assert_eq!(
        h.bodies("crm.deal.list").await[1]["filter"],
        json!({">ID": 0})
    );
    assert!(page.deals.is_empty());
    assert_eq!(page.skipped_seen, 2);
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
async fn one_deal_by_id_with_its_contacts() {
    let mut portal = Portal::default();
    portal.add_deal(410, &[(84, Some("+7 (900) 123-45-67")), (85, None)]);
    let h = harness(portal).await;
    let deal = h.source.deal("410").await.unwrap().unwrap();
    assert_eq!(deal.id, "410");
    assert_eq!(
        deal.contacts.len(),
        1,
        "the primary has a phone, so no follow-up for 85"
    );
    assert_eq!(h.calls().await, ["crm.deal.get", "batch"]);
    assert_eq!(h.bodies("crm.deal.get").await[0], json!({"id": 410}));

    assert_eq!(h.source.deal("411").await.unwrap(), None);
    assert_eq!(h.source.deal("not-an-id").await.unwrap(), None);
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
