//! One lead waiting for its contacts: which ids it still owes a contacts
//! request, and when it has what it needs to be sent.
//!
//! A lead needs its main contact first. It is ready when that one has a
//! callable phone (sent with it alone), when it has no other contacts, or
//! once every other contact has been asked for (sent with all of them, main
//! first). Asked for means requested, whether amoCRM returned it or not: a
//! deleted contact is not asked for again.

use crate::contacts::Loaded;
use crate::mapping::{self, ContactLinks};
use crate::next_page::Carried;
use crate::page::{Fresh, all_ids, assemble};
use liner_sync_core::Contact;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};

/// A lead of this pass that is not sent yet.
#[derive(Debug, Clone)]
pub(crate) struct Waiting {
    /// Its place in the CRM's order within this fetch.
    pub place: usize,
    pub id: u64,
    pub at: Option<i64>,
    pub lead: Value,
    links: ContactLinks,
    /// Its contacts loaded so far, as amoCRM sent them.
    loaded: HashMap<u64, Value>,
    /// Its contact ids requested so far.
    asked: BTreeSet<u64>,
}

/// What a waiting lead needs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Its main contact, not asked for yet.
    Main,
    /// The other contacts not asked for yet: the main one has no callable
    /// phone.
    Others,
    /// Nothing more.
    Ready,
}

/// A lead with the contacts it is sent with.
#[derive(Debug)]
pub(crate) struct Ready {
    pub place: usize,
    pub id: u64,
    pub at: Option<i64>,
    pub lead: Value,
    /// Main first.
    pub contacts: Vec<Contact>,
}

impl Waiting {
    /// A lead just listed, nothing asked for yet.
    pub fn fresh(f: Fresh) -> Self {
        Self {
            place: f.place,
            id: f.id,
            at: f.at,
            lead: f.lead,
            links: f.links,
            loaded: HashMap::new(),
            asked: BTreeSet::new(),
        }
    }

    /// A lead carried from the previous page; `None` without a readable id.
    pub fn carried(place: usize, c: Carried) -> Option<Self> {
        let id = mapping::id_of(&c.lead)?;
        let links = mapping::contact_links(&c.lead);
        let mine: HashSet<u64> = all_ids(&links).collect();
        let loaded = c
            .contacts
            .into_iter()
            .filter_map(|raw| mapping::id_of(&raw).map(|id| (id, raw)))
            .filter(|(id, _)| mine.contains(id))
            .collect();
        Some(Self {
            place,
            id,
            at: mapping::created_at(&c.lead),
            asked: c.asked.into_iter().filter(|i| mine.contains(i)).collect(),
            lead: c.lead,
            links,
            loaded,
        })
    }

    /// The lead as carried to the next page.
    pub fn into_carried(mut self) -> Carried {
        let contacts = all_ids(&self.links)
            .filter_map(|i| self.loaded.remove(&i))
            .collect();
        Carried {
            lead: self.lead,
            contacts,
            asked: self.asked.into_iter().collect(),
        }
    }

    fn stage(&self) -> Stage {
        let Some(main) = self.links.main else {
            return Stage::Ready;
        };
        if !self.asked.contains(&main) {
            return Stage::Main;
        }
        if self.main_is_callable() || self.unasked_others().next().is_none() {
            Stage::Ready
        } else {
            Stage::Others
        }
    }

    fn main_is_callable(&self) -> bool {
        self.links
            .main
            .and_then(|m| self.loaded.get(&m))
            .and_then(mapping::contact)
            .is_some_and(|(_, c)| mapping::has_callable_phone(&c))
    }

    fn unasked_others(&self) -> impl Iterator<Item = u64> + '_ {
        self.links
            .others
            .iter()
            .copied()
            .filter(|i| !self.asked.contains(i))
    }

    /// True when it has what it needs.
    pub fn is_ready(&self) -> bool {
        self.stage() == Stage::Ready
    }

    /// The ids it needs now, in order: its main contact, or else the other
    /// contacts not asked for yet.
    pub fn owed(&self) -> Vec<u64> {
        match self.stage() {
            Stage::Main => self.links.main.into_iter().collect(),
            Stage::Others => self.unasked_others().collect(),
            Stage::Ready => Vec::new(),
        }
    }

    /// The ids it will need if its main contact, not asked for yet, turns
    /// out to have no callable phone: worth asking for only where a request
    /// has room left and no later request is coming.
    pub fn maybe_owed(&self) -> Vec<u64> {
        match self.stage() {
            Stage::Main => self.unasked_others().collect(),
            Stage::Others | Stage::Ready => Vec::new(),
        }
    }

    /// Takes in a contacts request: the ids it asked for and what came back.
    pub fn take(&mut self, asked: &HashSet<u64>, loaded: &Loaded) {
        for i in all_ids(&self.links) {
            if asked.contains(&i) {
                self.asked.insert(i);
                if let Some(raw) = loaded.get(&i) {
                    self.loaded.insert(i, raw.clone());
                }
            }
        }
    }

    /// The lead with its contacts as loaded: the main one alone when it has
    /// a callable phone, else all of them, main first.
    pub fn into_ready(self) -> Ready {
        let contacts = if self.main_is_callable() {
            assemble(self.links.main, |i| self.loaded.get(&i))
        } else {
            assemble(all_ids(&self.links), |i| self.loaded.get(&i))
        };
        Ready {
            place: self.place,
            id: self.id,
            at: self.at,
            lead: self.lead,
            contacts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lead(id: u64, contacts: &[u64]) -> Value {
        let links: Vec<Value> = contacts
            .iter()
            .enumerate()
            .map(|(i, c)| json!({"id": c, "is_main": i == 0}))
            .collect();
        json!({"id": id, "created_at": 1000 + id, "_embedded": {"contacts": links}})
    }

    fn contact(id: u64, phone: &str) -> Value {
        json!({"id": id, "name": format!("c{id}"),
               "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": phone}]}]})
    }

    fn waiting(id: u64, contacts: &[u64]) -> Waiting {
        let lead = lead(id, contacts);
        Waiting::carried(
            0,
            Carried {
                lead,
                contacts: vec![],
                asked: vec![],
            },
        )
        .unwrap()
    }

    fn answer(w: &mut Waiting, ids: &[u64], found: &[Value]) {
        let asked = ids.iter().copied().collect();
        let loaded = found
            .iter()
            .map(|c| (mapping::id_of(c).unwrap(), c.clone()))
            .collect();
        w.take(&asked, &loaded);
    }

    #[test]
    fn a_callable_main_contact_is_enough() {
        let mut w = waiting(1, &[10, 11, 12]);
        assert_eq!((w.owed(), w.maybe_owed()), (vec![10], vec![11, 12]));
        answer(&mut w, &[10], &[contact(10, "+7 900 111-22-33")]);
        assert!(w.is_ready());
        assert_eq!(w.owed(), Vec::<u64>::new());
        let ready = w.into_ready();
        assert_eq!(ready.contacts.len(), 1);
        assert_eq!(ready.contacts[0].phones, ["+7 900 111-22-33"]);
    }

    #[test]
    fn without_a_callable_main_the_others_are_owed_until_all_are_asked() {
        let mut w = waiting(1, &[10, 11, 12]);
        answer(&mut w, &[10, 99], &[contact(10, "no phone")]);
        assert_eq!((w.owed(), w.maybe_owed()), (vec![11, 12], vec![]));
        answer(&mut w, &[11], &[]);
        assert_eq!(w.owed(), [12], "11 is gone: not asked again");
        let carried = w.clone().into_carried();
        assert_eq!(carried.asked, [10, 11]);
        assert_eq!(carried.contacts, [contact(10, "no phone")]);
        let mut back = Waiting::carried(3, carried).unwrap();
        assert_eq!((back.place, back.id, back.at), (3, 1, Some(1001)));
        assert_eq!(back.owed(), [12]);
        answer(&mut back, &[12], &[contact(12, "8 900 000-12-12")]);
        assert!(back.is_ready());
        let ready = back.into_ready();
        let phones: Vec<_> = ready.contacts.iter().map(|c| c.phones.clone()).collect();
        assert_eq!(phones, [vec!["no phone"], vec!["8 900 000-12-12"]]);
    }

    #[test]
    fn main_and_others_asked_together_settle_at_once() {
        let mut w = waiting(1, &[10, 11]);
        answer(&mut w, &[10, 11], &[contact(11, "+7 900 111-22-33")]);
        assert!(w.is_ready(), "the main contact is gone, the other is here");
        assert_eq!(w.into_ready().contacts.len(), 1);
    }

    #[test]
    fn leads_without_contacts_or_others_need_only_what_they_have() {
        assert!(waiting(1, &[]).is_ready());
        let mut single = waiting(2, &[20]);
        assert!(!single.is_ready());
        answer(&mut single, &[20], &[]);
        assert!(single.is_ready(), "no other contact to wait for");
        assert!(single.into_ready().contacts.is_empty());
    }

    #[test]
    fn carried_contacts_of_other_leads_are_ignored() {
        let c = Carried {
            lead: lead(1, &[10, 11]),
            contacts: vec![contact(10, "x"), contact(77, "+7 900 111-22-33")],
            asked: vec![10, 77],
        };
        let w = Waiting::carried(0, c).unwrap();
        assert_eq!(w.owed(), [11]);
        assert_eq!(w.clone().into_carried().asked, [10]);
        assert!(
            Waiting::carried(
                0,
                Carried {
                    lead: json!({"name": "no id"}),
                    contacts: vec![],
                    asked: vec![],
                }
            )
            .is_none()
        );
    }
}
