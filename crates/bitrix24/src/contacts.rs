//! Loads the contacts of a page of deals with as few `batch` requests as the
//! phones allow.
//!
//! The first batch asks for every primary contact (`crm.contact.list` by id)
//! and, in the sub-calls left, for each deal's contact links
//! (`crm.deal.contact.items.get`), which reveal secondary contacts. A deal
//! whose known contacts have no callable phone and that has, or may have,
//! secondary contacts not yet loaded gets a follow-up batch; a second one
//! only when the first revealed new contacts.
//!
//! The caller may add one sub-call of its own to the first batch (the next
//! page's `crm.deal.list`); it takes a slot before the link look-ups.

use crate::batch::{Batch, BatchReply, Command, MAX_COMMANDS, Outcome};
use crate::client::Client;
use crate::mapping::{self, Link};
use liner_sync_core::Contact;
use liner_sync_core::Result;
use liner_sync_core::phone::{normalize_phone, phone_candidates};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use tracing::warn;

/// The main batch and at most two follow-ups.
const MAX_ROUNDS: usize = 3;

/// Ids per `crm.contact.list` call: one page.
const CONTACTS_PER_CALL: usize = 50;

const CONTACT_SELECT: [&str; 6] = ["ID", "NAME", "SECOND_NAME", "LAST_NAME", "PHONE", "IM"];

/// The contacts of a page's deals, and what the caller's extra sub-call got.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    /// Deal id → its contacts.
    pub contacts: HashMap<u64, Vec<Contact>>,
    /// The extra sub-call's outcome; `None` when no batch was sent, so it
    /// was not sent either.
    pub extra: Option<Outcome>,
}

/// Loads the contacts of `deals` (deal id → primary contact id), primary
/// first, then by the deal's sort order. Deals without a primary contact
/// have none and cost no request. `extra` rides in the first batch, which is
/// never sent for it alone.
pub(crate) async fn load(
    client: &Client,
    source: &str,
    deals: &BTreeMap<u64, u64>,
    extra: Option<Command>,
) -> Result<Loaded> {
    let mut known = Known::default();
    let mut extra_outcome = None;
    for round in 0..MAX_ROUNDS {
        let (contact_ids, link_deals) = if round == 0 {
            let primaries: BTreeSet<u64> = deals.values().copied().collect();
            (
                primaries.into_iter().collect(),
                deals.keys().copied().collect(),
            )
        } else {
            known.still_needed(deals)
        };
        let rider = if round == 0 { extra.as_ref() } else { None };
        let Some((batch, asked)) = plan(&contact_ids, &link_deals, rider) else {
            break;
        };
        let mut reply = client.batch(&batch).await?;
        if let Some(rider) = rider {
            extra_outcome = Some(reply.take(rider.key));
        }
        known.absorb(source, &asked, reply);
    }
    Ok(Loaded {
        contacts: deals
            .iter()
            .map(|(&deal, &primary)| (deal, known.contacts_of(deal, primary)))
            .collect(),
        extra: extra_outcome,
    })
}

/// What one batch asked for, to read its reply.
#[derive(Default)]
struct Asked {
    contacts: Vec<(String, Vec<u64>)>,
    links: Vec<(String, u64)>,
}

/// The rider, then contacts (they decide phones), then as many link
/// look-ups as fit. `None` when there is nothing to ask about contacts.
fn plan(
    contact_ids: &[u64],
    link_deals: &[u64],
    rider: Option<&Command>,
) -> Option<(Batch, Asked)> {
    if contact_ids.is_empty() && link_deals.is_empty() {
        return None;
    }
    let mut batch = Batch::default();
    let mut asked = Asked::default();
    if let Some(rider) = rider {
        batch.push(rider.key.to_owned(), rider.method, &rider.params);
    }
    for (i, ids) in contact_ids.chunks(CONTACTS_PER_CALL).enumerate() {
        let key = format!("contacts_{i}");
        let params = json!({"filter": {"@ID": ids}, "select": CONTACT_SELECT});
        if !batch.push(key.clone(), "crm.contact.list", &params) {
            break;
        }
        asked.contacts.push((key, ids.to_vec()));
    }
    for &deal in link_deals
        .iter()
        .take(MAX_COMMANDS.saturating_sub(batch.len()))
    {
        let key = format!("links_{deal}");
        if batch.push(
            key.clone(),
            "crm.deal.contact.items.get",
            &json!({"id": deal}),
        ) {
            asked.links.push((key, deal));
        }
    }
    (!batch.is_empty()).then_some((batch, asked))
}

/// Everything learnt so far.
#[derive(Default)]
struct Known {
    contacts: HashMap<u64, Contact>,
    /// Contacts asked for that did not come back (deleted, hidden, failed).
    missing: HashSet<u64>,
    /// Each deal's links, once read (empty when the look-up failed).
    links: HashMap<u64, Vec<Link>>,
}

impl Known {
    fn absorb(&mut self, source: &str, asked: &Asked, mut reply: BatchReply) {
        for (key, api) in &reply.errors {
            warn!(
                source,
                sub_call = key.as_deref().unwrap_or("?"),
                code = %api.code,
                description = %api.description,
                "a Bitrix24 batch sub-call failed; its deals keep the contacts that loaded"
            );
        }
        for (key, ids) in &asked.contacts {
            let rows = reply.results.remove(key).unwrap_or_default();
            for row in mapping::rows(Some(&rows)).unwrap_or_default() {
                if let Some((id, contact)) = mapping::contact(row) {
                    self.contacts.insert(id, contact);
                }
            }
            self.missing
                .extend(ids.iter().filter(|id| !self.contacts.contains_key(id)));
        }
        for (key, deal) in &asked.links {
            let links = reply
                .results
                .get(key)
                .map(mapping::links)
                .unwrap_or_default();
            self.links.insert(*deal, links);
        }
    }

    /// The follow-up: links of deals without a phone whose links are unknown,
    /// and the secondary contacts of such deals that are not loaded yet.
    fn still_needed(&self, deals: &BTreeMap<u64, u64>) -> (Vec<u64>, Vec<u64>) {
        let mut contact_ids = BTreeSet::new();
        let mut link_deals = Vec::new();
        for (&deal, &primary) in deals {
            if self.contacts_of(deal, primary).iter().any(callable) {
                continue;
            }
            match self.links.get(&deal) {
                None => link_deals.push(deal),
                Some(links) => contact_ids.extend(
                    links
                        .iter()
                        .map(|l| l.contact_id)
                        .filter(|id| !self.contacts.contains_key(id) && !self.missing.contains(id)),
                ),
            }
        }
        (contact_ids.into_iter().collect(), link_deals)
    }

    fn contacts_of(&self, deal: u64, primary: u64) -> Vec<Contact> {
        let secondary = self
            .links
            .get(&deal)
            .into_iter()
            .flatten()
            .map(|l| l.contact_id)
            .filter(|&id| id != primary);
        let mut seen = HashSet::new();
        std::iter::once(primary)
            .chain(secondary)
            .filter(|id| seen.insert(*id))
            .filter_map(|id| self.contacts.get(&id).cloned())
            .collect()
    }
}

/// True when one of the contact's phones is a number Liner can call.
fn callable(contact: &Contact) -> bool {
    contact
        .phones
        .iter()
        .flat_map(|p| phone_candidates(p))
        .any(|p| normalize_phone(p).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(phone: Option<&str>) -> Contact {
        Contact {
            phones: phone.into_iter().map(str::to_owned).collect(),
            ..Contact::default()
        }
    }

    fn link(id: u64, sort: i64) -> Link {
        Link {
            contact_id: id,
            sort,
            primary: false,
        }
    }

    #[test]
    fn the_first_batch_fills_up_with_link_look_ups() {
        let (batch, asked) = plan(
            &(1..=50).collect::<Vec<_>>(),
            &(101..=150).collect::<Vec<_>>(),
            None,
        )
        .unwrap();
        assert_eq!(batch.len(), MAX_COMMANDS);
        assert_eq!(asked.contacts.len(), 1);
        assert_eq!(asked.links.len(), 49);
        let body = batch.body();
        let cmd = body["cmd"]["contacts_0"].as_str().unwrap();
        assert!(
            cmd.starts_with("crm.contact.list?filter[%40ID][]=1&filter[%40ID][]=2&"),
            "{cmd}"
        );
        assert!(cmd.ends_with("select[]=ID&select[]=NAME&select[]=SECOND_NAME&select[]=LAST_NAME&select[]=PHONE&select[]=IM"), "{cmd}");
        assert_eq!(
            body["cmd"]["links_101"],
            "crm.deal.contact.items.get?id=101"
        );
        assert!(plan(&[], &[], None).is_none());
    }

    #[test]
    fn an_extra_sub_call_takes_a_link_slot_but_never_goes_alone() {
        let next = Command {
            key: "next_page",
            method: "crm.deal.list",
            params: json!({"filter": {">ID": 150}, "start": -1}),
        };
        let (batch, asked) = plan(
            &(1..=50).collect::<Vec<_>>(),
            &(101..=150).collect::<Vec<_>>(),
            Some(&next),
        )
        .unwrap();
        assert_eq!(batch.len(), MAX_COMMANDS);
        assert_eq!(asked.contacts.len(), 1);
        assert_eq!(asked.links.len(), 48);
        assert_eq!(asked.links.last().map(|l| l.1), Some(148));
        assert_eq!(
            batch.body()["cmd"]["next_page"],
            "crm.deal.list?filter[%3EID]=150&start=-1"
        );
        assert!(plan(&[], &[], Some(&next)).is_none());
    }

    #[test]
    fn follow_ups_only_for_deals_without_a_callable_phone() {
        let deals: BTreeMap<u64, u64> = [(1, 10), (2, 20), (3, 30), (4, 40)].into();
        let mut known = Known::default();
        known.contacts.insert(10, contact(Some("+7 900 123-45-67")));
        known.contacts.insert(20, contact(Some("123")));
        known.contacts.insert(21, contact(Some("8 812 555 35 35")));
        known.contacts.insert(30, contact(None));
        known.missing.insert(41);
        known.links.insert(1, vec![link(11, 200)]);
        known.links.insert(2, vec![link(21, 300), link(22, 200)]);
        known.links.insert(4, vec![link(41, 100)]);
        // 1 has a phone; 2 has one through 21; 3's links are unknown; 4's
        // secondary contact failed to load.
        assert_eq!(known.still_needed(&deals), (vec![], vec![3]));

        known.contacts.remove(&21);
        assert_eq!(known.still_needed(&deals), (vec![21, 22], vec![3]));
    }

    #[test]
    fn contacts_come_primary_first_then_by_sort_without_duplicates() {
        let mut known = Known::default();
        for id in [5, 6, 7] {
            known.contacts.insert(
                id,
                Contact {
                    name: Some(id.to_string()),
                    ..Contact::default()
                },
            );
        }
        known.links.insert(
            1,
            mapping::links(&json!([
                {"CONTACT_ID": 7, "SORT": 300, "IS_PRIMARY": "N"},
                {"CONTACT_ID": 5, "SORT": 10, "IS_PRIMARY": "Y"},
                {"CONTACT_ID": 6, "SORT": 200, "IS_PRIMARY": "N"},
                {"CONTACT_ID": 8, "SORT": 100, "IS_PRIMARY": "N"}
            ])),
        );
        let names: Vec<_> = known
            .contacts_of(1, 5)
            .into_iter()
            .filter_map(|c| c.name)
            .collect();
        assert_eq!(names, ["5", "6", "7"]);
        let names: Vec<_> = known
            .contacts_of(2, 6)
            .into_iter()
            .filter_map(|c| c.name)
            .collect();
        assert_eq!(names, ["6"]);
    }

    #[test]
    fn a_reply_marks_contacts_that_did_not_come_back() {
        let mut known = Known::default();
        let asked = Asked {
            contacts: vec![("contacts_0".into(), vec![1, 2])],
            links: vec![("links_9".into(), 9), ("links_8".into(), 8)],
        };
        let reply = BatchReply::parse(&json!({
            "result": {"contacts_0": [{"ID": "1", "NAME": "A", "PHONE": [{"VALUE": "89001234567"}]}],
                       "links_9": [{"CONTACT_ID": 1, "SORT": 10, "IS_PRIMARY": "Y"}]},
            "result_error": {"links_8": {"error": "", "error_description": "Access denied."}}
        }))
        .unwrap();
        known.absorb("b24", &asked, reply);
        assert!(known.contacts.contains_key(&1));
        assert!(known.missing.contains(&2));
        assert_eq!(known.links[&9].len(), 1);
        assert!(
            known.links[&8].is_empty(),
            "a failed look-up is not asked again"
        );
    }
}
