//! Contacts requests: one per page of at most 250 ids, leads whose contacts
//! did not fit or whose main contact has no callable phone carried to the
//! next page, the last page settling the rest, and the backlog bound.

use crate::account::{Account, Handled, Harness, cursor, harness, harness_with, ids, phone};
use liner_sync_core::{Cursor, NothingSeen, Page, SeenDeals};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

const T0: i64 = 1_762_000_000;

/// Adds lead `id`: its main contact `id + 100000` without a phone and one
/// other, `id + 200000`, with one.
fn needing_others(account: &mut Account, id: u64, at: i64) {
    account.add(
        id,
        at,
        &[(id + 100_000, None), (id + 200_000, Some(&phone(id)))],
    );
}

/// Leads `1..=count`, one a second; every `every`th needs its other contact.
fn account_with(count: u64, every: u64) -> Account {
    account_where(count, |id| id % every == 0)
}

/// Leads `1..=count`, one a second; those `needs` picks need their other
/// contact.
fn account_where(count: u64, needs: impl Fn(u64) -> bool) -> Account {
    let mut account = Account::new();
    for id in 1..=count {
        if needs(id) {
            needing_others(&mut account, id, T0 + id as i64);
        } else {
            let main = id + 100_000;
            account.add(id, T0 + id as i64, &[(main, Some(&phone(main)))]);
        }
    }
    account
}

/// A pass page by page: the requests each page made, and the page.
async fn pass_by_page(
    h: &Harness,
    from: &Cursor,
    seen: &dyn SeenDeals,
) -> Vec<(Vec<String>, Page)> {
    let mut pages: Vec<(Vec<String>, Page)> = Vec::new();
    let mut before = h.calls().await.len();
    loop {
        let continuation = pages.last().and_then(|(_, p)| p.next.clone());
        let page = h.fetch(from, continuation.as_ref(), seen).await.unwrap();
        let calls = h.calls().await;
        let done = page.next.is_none();
        pages.push((calls[before..].to_vec(), page));
        before = calls.len();
        assert!(pages.len() < 100, "runaway pass");
        if done {
            return pages;
        }
    }
}

/// The contact ids the leads carried in a page's continuation still owe:
/// the main one when not asked for yet, else the others not asked for.
fn owed(page: &Page) -> usize {
    let Some(next) = &page.next else { return 0 };
    let carried = next.0["carried"].as_array().cloned().unwrap_or_default();
    carried
        .iter()
        .map(|c| {
            let links: Vec<u64> = c["lead"]["_embedded"]["contacts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["id"].as_u64().unwrap())
                .collect();
            let asked: HashSet<u64> = c["asked"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_u64).collect())
                .unwrap_or_default();
            if !asked.contains(&links[0]) {
                1
            } else {
                links[1..].iter().filter(|i| !asked.contains(i)).count()
            }
        })
        .sum()
}

fn carried_ids(page: &Page) -> Vec<u64> {
    page.next
        .as_ref()
        .and_then(|n| n.0["carried"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|c| c["lead"]["id"].as_u64().unwrap())
        .collect()
}

/// The contact ids a deal was sent with, from the contacts' names.
fn contact_ids(page: &Page, deal: usize) -> Vec<u64> {
    page.deals[deal]
        .contacts
        .iter()
        .map(|c| {
            let name = c.name.as_deref().unwrap();
            name.trim_start_matches("Контакт ").parse().unwrap()
        })
        .collect()
}

fn paths(calls: &[Vec<String>]) -> Vec<String> {
    calls.concat()
}

#[tokio::test]
async fn carried_leads_ride_with_the_next_pages_contacts() {
    let mut account = Account::new();
    for id in 1..=6 {
        let main = id + 100;
        if id == 2 {
            // Main contact without a phone; the second one has it.
            account.add(
                id,
                T0 + id as i64,
                &[(main, None), (202, Some("8 900 000-02-02"))],
            );
        } else {
            account.add(id, T0 + id as i64, &[(main, Some(&phone(main)))]);
        }
    }
    let h = harness_with(account, |c| c.page_size = 3).await;
    let pages = h.pass(&cursor(T0, &[]), &NothingSeen).await.unwrap();

    assert_eq!(
        h.calls().await,
        ["leads", "contacts", "leads", "contacts", "leads"]
    );
    assert_eq!(
        h.contact_calls().await,
        [vec![101, 102, 103], vec![202, 104, 105, 106]],
        "the carried lead's other contact goes first in the next page's call"
    );
    let page_ids: Vec<Vec<&str>> = pages
        .iter()
        .map(|p| p.deals.iter().map(|d| d.id.as_str()).collect())
        .collect();
    assert_eq!(page_ids, [vec!["1", "3"], vec!["2", "4", "5", "6"], vec![]]);
    assert_eq!(
        pages[0].cursor,
        cursor(T0 + 2, &[]),
        "page 1's cursor stops at the carried lead 2, not at lead 3"
    );
    assert_eq!(pages[1].cursor, cursor(T0 + 6, &[6]));
    let carried = &pages[1].deals[0];
    assert_eq!(carried.contacts.len(), 2, "main first, then the other");
    assert!(carried.contacts[0].phones.is_empty());
    assert_eq!(carried.contacts[1].phones, ["8 900 000-02-02"]);
    let next = &pages[0].next.as_ref().unwrap().0;
    assert_eq!(next["carried"].as_array().map(Vec::len), Some(1));
    assert_eq!(next["carried"][0]["lead"]["id"], 2);
    assert_eq!(next["carried"][0]["asked"], serde_json::json!([102]));
}

#[tokio::test]
async fn the_last_page_asks_for_other_contacts_in_its_spare_room() {
    let mut account = Account::new();
    account.add(
        1,
        T0 + 1,
        &[(101, None), (201, Some("+7 900 111-22-33")), (202, None)],
    );
    account.add(2, T0 + 2, &[(102, Some("+7 900 222-33-44"))]);
    account.add(
        3,
        T0 + 3,
        &[(103, Some("not a phone")), (102, Some("+7 900 222-33-44"))],
    );
    account.add(4, T0 + 4, &[]);
    account.add(
        5,
        T0 + 5,
        &[
            (105, Some("+7 900 555-55-55")),
            (205, Some("+7 900 555-00-00")),
        ],
    );
    let h = harness(account).await;
    let pages = h.pass(&cursor(T0, &[]), &NothingSeen).await.unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(
        h.calls().await,
        ["leads", "contacts"],
        "no later request to wait for: one request for everything"
    );
    assert_eq!(
        h.contact_calls().await,
        [vec![101, 102, 103, 105, 201, 202, 205]],
        "main contacts first, then the others; 102 once"
    );
    let page = &pages[0];
    assert_eq!(ids(&pages), [1, 2, 3, 4, 5], "in the CRM's order");
    assert_eq!(contact_ids(page, 0), [101, 201, 202]);
    assert_eq!(page.deals[0].contacts[1].phones, ["+7 900 111-22-33"]);
    assert_eq!(contact_ids(page, 2), [103, 102]);
    assert!(page.deals[3].contacts.is_empty());
    assert_eq!(
        contact_ids(page, 4),
        [105],
        "a callable main contact is sent alone"
    );
    assert_eq!(page.cursor, cursor(T0 + 5, &[5]));
}

#[tokio::test]
async fn ids_that_do_not_fit_wait_for_the_next_pages_call() {
    // Leads 50, 100, …, 250 of page 1 need their other contact: 5 + 250 ids
    // for page 2's request, so the last 5 main contacts of page 2 wait.
    let h = harness(account_where(500, |id| id <= 250 && id % 50 == 0)).await;
    let by_page = pass_by_page(&h, &cursor(T0, &[]), &NothingSeen).await;
    let calls: Vec<Vec<String>> = by_page.iter().map(|(c, _)| c.clone()).collect();
    assert_eq!(
        calls,
        [
            vec!["leads", "contacts"],
            vec!["leads", "contacts"],
            vec!["leads", "contacts"]
        ],
        "one contacts request per page; the 204 page settles the rest"
    );
    let contact_calls = h.contact_calls().await;
    let sizes: Vec<usize> = contact_calls.iter().map(Vec::len).collect();
    assert_eq!(sizes, [250, 250, 5]);
    assert_eq!(
        contact_calls[1][..5],
        [200_050, 200_100, 200_150, 200_200, 200_250]
    );
    assert_eq!(contact_calls[1][5], 100_251);
    assert_eq!(contact_calls[2], (100_496..=100_500).collect::<Vec<_>>());

    let pages: Vec<&Page> = by_page.iter().map(|(_, p)| p).collect();
    assert_eq!(pages[0].deals.len(), 245);
    assert_eq!(pages[1].deals.len(), 250, "5 carried + 245 of its own");
    assert_eq!(pages[2].deals.len(), 5);
    assert_eq!(
        pages[0].cursor,
        cursor(T0 + 50, &[]),
        "held at the first carried lead"
    );
    assert_eq!(carried_ids(pages[1]), [496, 497, 498, 499, 500]);
    assert_eq!(
        pages[1].cursor,
        cursor(T0 + 495, &[495]),
        "held before lead 496, whose main contact did not fit"
    );
    assert_eq!(pages[2].cursor, cursor(T0 + 500, &[500]));
    let mut got: Vec<u64> = by_page
        .iter()
        .flat_map(|(_, p)| p.deals.iter().map(|d| d.id.parse::<u64>().unwrap()))
        .collect();
    got.sort_unstable();
    assert_eq!(
        got,
        (1..=500).collect::<Vec<_>>(),
        "none lost, none repeated"
    );
    assert_eq!(contact_ids(pages[1], 0), [100_050, 200_050]);
}

#[tokio::test]
async fn a_page_with_room_takes_the_carried_ids_in_its_one_call() {
    // 875 leads in pages of 250, one in ten needing its other contact: every
    // page's request overflows into the next, and the short last page has
    // room for all that is left.
    let h = harness(account_with(875, 10)).await;
    let by_page = pass_by_page(&h, &cursor(T0, &[]), &NothingSeen).await;
    let calls: Vec<Vec<String>> = by_page.iter().map(|(c, _)| c.clone()).collect();
    assert_eq!(paths(&calls), ["leads", "contacts"].repeat(4));
    let sizes: Vec<usize> = h.contact_calls().await.iter().map(Vec::len).collect();
    assert_eq!(sizes, [250, 250, 250, 212]);
    let owed: Vec<usize> = by_page.iter().map(|(_, p)| owed(p)).collect();
    assert_eq!(owed, [25, 47, 70, 0]);
    let mut got: Vec<u64> = by_page
        .iter()
        .flat_map(|(_, p)| p.deals.iter().map(|d| d.id.parse::<u64>().unwrap()))
        .collect();
    got.sort_unstable();
    assert_eq!(got, (1..=875).collect::<Vec<_>>());
}

#[tokio::test]
async fn the_last_page_settles_what_is_left_in_as_few_calls_as_it_takes() {
    // 1,200 leads, one in five needing its other contact: pages of 250 leave
    // more and more waiting, and the last page needs one request more.
    let h = harness(account_with(1_200, 5)).await;
    let by_page = pass_by_page(&h, &cursor(T0, &[]), &NothingSeen).await;
    let calls: Vec<Vec<String>> = by_page.iter().map(|(c, _)| c.clone()).collect();
    let mut want = ["leads", "contacts"].repeat(5);
    want.push("contacts");
    assert_eq!(paths(&calls), want, "2 per page, and 1 for the leftover");
    let sizes: Vec<usize> = h.contact_calls().await.iter().map(Vec::len).collect();
    assert_eq!(
        sizes[..5],
        [250; 5],
        "every request but the leftover is full"
    );
    let owed: Vec<usize> = by_page.iter().map(|(_, p)| owed(p)).collect();
    assert!(owed.iter().all(|o| *o <= 1_000), "{owed:?}");
    let mut got: Vec<u64> = by_page
        .iter()
        .flat_map(|(_, p)| p.deals.iter().map(|d| d.id.parse::<u64>().unwrap()))
        .collect();
    got.sort_unstable();
    assert_eq!(got, (1..=1_200).collect::<Vec<_>>());
}

#[tokio::test]
async fn more_than_a_requests_worth_of_ids_owed_cost_extra_calls_on_that_page() {
    // Pathological data: no main contact has a phone and every lead has nine
    // others, the last with a phone. Page 1 would leave 250 × 9 ids owed.
    let mut account = Account::new();
    for id in 1..=300u64 {
        let mut contacts: Vec<(u64, Option<String>)> = vec![(id * 10, None)];
        for k in 1..=9 {
            let c = 100_000 + id * 10 + k;
            contacts.push((c, (k == 9).then(|| phone(c))));
        }
        let contacts: Vec<(u64, Option<&str>)> =
            contacts.iter().map(|(c, p)| (*c, p.as_deref())).collect();
        account.add(id, T0 + id as i64, &contacts);
    }
    let h = harness(account).await;
    let by_page = pass_by_page(&h, &cursor(T0, &[]), &NothingSeen).await;
    let per_page: Vec<usize> = by_page
        .iter()
        .map(|(c, _)| c.iter().filter(|p| *p == "contacts").count())
        .collect();
    assert_eq!(
        per_page,
        [9, 3],
        "page 1: 2,250 ids owed after its request, 250 fewer per extra request \
         down to 250; the last page: 250 + 50 main + 450 others"
    );
    assert_eq!(owed(&by_page[0].1), 250);
    assert_eq!(carried_ids(&by_page[0].1).len(), 28);
    assert_eq!(by_page[0].1.deals.len(), 222);
    assert!(
        h.contact_calls().await.iter().all(|c| c.len() == 250),
        "every request full"
    );
    let all: Vec<u64> = by_page
        .iter()
        .flat_map(|(_, p)| p.deals.iter().map(|d| d.id.parse::<u64>().unwrap()))
        .collect();
    assert_eq!(all.len(), 300);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 300);
    assert!(
        by_page
            .iter()
            .all(|(_, p)| p.deals.iter().all(|d| d.contacts.len() == 10)),
        "sent with all ten contacts"
    );
}

/// A generated lead: seconds after the previous one, its contacts (id from a
/// shared pool, phone callable?), whether the state has it.
type Generated = (i64, Vec<(u64, bool)>, bool);

/// One generated account: its leads, contacts deleted, the page size.
#[derive(Debug, Clone)]
struct Case {
    leads: Vec<Generated>,
    deleted: Vec<u64>,
    page_size: u32,
}

/// A lead: seconds after the previous one, `contacts` contacts from a
/// shared pool (callable with `callable`), handled one time in ten.
fn lead(contacts: std::ops::Range<usize>, callable: f64) -> impl Strategy<Value = Generated> {
    (
        0i64..3,
        prop::collection::vec((1u64..5_000, prop::bool::weighted(callable)), contacts),
        prop::bool::weighted(0.1),
    )
}

fn case() -> impl Strategy<Value = Case> {
    let leads = prop_oneof![
        // Ordinary accounts: a few contacts per lead, half of them callable.
        3 => prop::collection::vec(lead(0..5, 0.5), 0..700),
        // Heavy ones: many contacts, few callable, so the backlog overflows.
        1 => prop::collection::vec(lead(6..14, 0.15), 200..600),
    ];
    (
        leads,
        prop::collection::vec(1u64..5_000, 0..60),
        prop_oneof![Just(250u32), 20u32..=250],
    )
        .prop_map(|(leads, deleted, page_size)| Case {
            leads,
            deleted,
            page_size,
        })
}

async fn check(case: Case) {
    let mut account = Account::new();
    let mut at = T0;
    let mut handled = Vec::new();
    let mut created = BTreeMap::new();
    for (i, (step, contacts, seen)) in case.leads.iter().enumerate() {
        let id = i as u64 + 1;
        at += step;
        let contacts: Vec<(u64, Option<String>)> = contacts
            .iter()
            .map(|(c, ok)| (*c, Some(if *ok { phone(*c) } else { "—".into() })))
            .collect();
        let contacts: Vec<(u64, Option<&str>)> =
            contacts.iter().map(|(c, p)| (*c, p.as_deref())).collect();
        account.add(id, at, &contacts);
        created.insert(id, at);
        if *seen {
            handled.push(id);
        }
    }
    for d in &case.deleted {
        account.contacts.remove(d);
    }
    // What each lead must be sent with: its main contact alone when callable,
    // else every contact that still exists, main first.
    let callable = |c: &u64| {
        account.contacts.get(c).is_some_and(|raw| {
            raw["custom_fields_values"][0]["values"][0]["value"]
                .as_str()
                .is_some_and(|p| p.starts_with('+'))
        })
    };
    let mut want: HashMap<u64, Vec<u64>> = HashMap::new();
    for lead in &account.leads {
        let id = lead["id"].as_u64().unwrap();
        if handled.contains(&id) {
            continue;
        }
        let mut links: Vec<u64> = Vec::new();
        for l in lead["_embedded"]["contacts"].as_array().unwrap() {
            let c = l["id"].as_u64().unwrap();
            if !links.contains(&c) {
                links.push(c);
            }
        }
        let sent: Vec<u64> = match links.first() {
            Some(main) if callable(main) => vec![*main],
            _ => links
                .into_iter()
                .filter(|c| account.contacts.contains_key(c))
                .collect(),
        };
        want.insert(id, sent);
    }

    let page_size = case.page_size;
    let h = harness_with(account, |c| c.page_size = page_size).await;
    let seen = Handled::of(handled.iter().copied());
    let start = cursor(T0 - 1, &[]);
    let by_page = pass_by_page(&h, &start, &seen).await;

    let mut sent: HashMap<u64, Vec<u64>> = HashMap::new();
    let mut last_at = T0 - 1;
    for (n, (calls, page)) in by_page.iter().enumerate() {
        for (i, d) in page.deals.iter().enumerate() {
            let id: u64 = d.id.parse().unwrap();
            assert!(
                sent.insert(id, contact_ids(page, i)).is_none(),
                "lead {id} sent twice"
            );
        }
        assert_eq!(calls.iter().filter(|c| *c != "contacts").count(), 1);
        let owed = owed(page);
        assert!(owed <= 1_000, "page {n}: {owed} ids owed");
        if page.next.is_none() {
            assert_eq!(owed, 0);
        }
        // The cursor never goes back and never passes a carried lead.
        let c_at = page.cursor.0["created_at"].as_i64().unwrap();
        let c_ids: Vec<u64> = serde_json::from_value(page.cursor.0["ids"].clone()).unwrap();
        assert!(c_at >= last_at, "page {n}: the cursor went back");
        last_at = c_at;
        for carried in carried_ids(page) {
            let at = created[&carried];
            assert!(
                c_at <= at,
                "page {n}: the cursor passed carried lead {carried}"
            );
            assert!(!(c_at == at && c_ids.contains(&carried)));
        }
    }
    for ids in h.contact_calls().await {
        assert!(ids.len() <= 250);
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
    }
    assert_eq!(sent.len(), want.len(), "every new lead is sent");
    for (id, contacts) in &want {
        assert_eq!(sent.get(id), Some(contacts), "lead {id}'s contacts");
    }
    if let Some(max) = created.values().max() {
        let last = &by_page.last().unwrap().1.cursor.0;
        assert_eq!(last["created_at"], *max);
        let at_max: HashSet<u64> = created
            .iter()
            .filter(|(_, at)| *at == max)
            .map(|(id, _)| *id)
            .collect();
        let got: HashSet<u64> = serde_json::from_value(last["ids"].clone()).unwrap();
        assert_eq!(got, at_max, "the pass ends past every lead");
    }
}

#[test]
fn random_accounts_lose_and_repeat_no_lead() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut runner = TestRunner::new(Config {
        cases: 24,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&case(), |case| {
            runtime.block_on(check(case));
            Ok(())
        })
        .unwrap();
}
