//! The leads of a pass waiting for contacts, oldest first, and what each
//! contacts request of a page asks for.
//!
//! A page makes one contacts request of at most 250 ids: first the ids owed
//! to leads carried from earlier pages, then the main contacts of the page's
//! new leads. Leads whose ids did not fit, or that now need their other
//! contacts, wait for the next page's request. A page makes more requests
//! only
//!
//! * when it is the last of the pass: until nothing waits. Each of its
//!   requests also fills any room left with the other contacts of leads
//!   whose main contact is asked for in it, so that it takes at most
//!   ⌈ids still unasked / 250⌉ requests in all;
//! * when more than [`BACKLOG_BOUND`] ids are owed after its request: until
//!   they are back within it.

use crate::contacts::{IDS_PER_CALL, Loaded, push_unique};
use crate::next_page::Carried;
use crate::waiting::{Ready, Waiting};
use std::collections::HashSet;

/// The most contact ids a page may leave owed to the next one (counted per
/// lead, so also the most leads carried): one request's worth. Data needing
/// a little more than one request per page (some leads whose main contact has
/// no phone) would otherwise fill any larger bound and then carry it, page
/// after page, in every continuation, for the same number of requests.
pub(crate) const BACKLOG_BOUND: usize = IDS_PER_CALL;

/// The waiting leads of one fetch, in the CRM's order.
#[derive(Debug)]
pub(crate) struct Backlog {
    waiting: Vec<Waiting>,
    per_call: usize,
    bound: usize,
}

impl Backlog {
    /// The leads carried in, oldest first.
    pub fn new(carried: Vec<Waiting>) -> Self {
        Self::with_limits(carried, IDS_PER_CALL, BACKLOG_BOUND)
    }

    fn with_limits(waiting: Vec<Waiting>, per_call: usize, bound: usize) -> Self {
        Self {
            waiting,
            per_call,
            bound,
        }
    }

    /// Adds a lead after the others.
    pub fn push(&mut self, lead: Waiting) {
        self.waiting.push(lead);
    }

    /// The ids of the leads waiting.
    pub fn ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.waiting.iter().map(|w| w.id)
    }

    /// How many leads wait.
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// The ids owed, counted per lead.
    pub fn owed(&self) -> usize {
        self.waiting.iter().map(|w| w.owed().len()).sum()
    }

    /// The ids of the next contacts request of a page that has made `made`
    /// of them (`last`: the last page of the pass), or `None` when the page
    /// is done asking.
    pub fn next_call(&self, made: usize, last: bool) -> Option<Vec<u64>> {
        let more = made == 0 || last || self.owed() > self.bound;
        if !more {
            return None;
        }
        let ids = self.plan(last);
        (!ids.is_empty()).then_some(ids)
    }

    /// Up to one request's worth of ids: every lead's owed ids in order,
    /// then on the last page the ids a lead may still need.
    fn plan(&self, last: bool) -> Vec<u64> {
        let owed = self.waiting.iter().flat_map(Waiting::owed);
        let maybe = self
            .waiting
            .iter()
            .filter(|_| last)
            .flat_map(Waiting::maybe_owed);
        let mut ids = Vec::new();
        let mut seen = HashSet::new();
        for id in owed.chain(maybe) {
            if ids.len() == self.per_call {
                break;
            }
            push_unique(&mut ids, &mut seen, id);
        }
        ids
    }

    /// Takes in a contacts request (`asked`, and what came back) and
    /// returns the leads it made ready, in order.
    pub fn settle(&mut self, asked: &[u64], loaded: &Loaded) -> Vec<Ready> {
        let asked: HashSet<u64> = asked.iter().copied().collect();
        for w in &mut self.waiting {
            w.take(&asked, loaded);
        }
        self.take_ready()
    }

    /// Removes and returns the leads that need nothing more (those without
    /// contacts, before any request).
    pub fn take_ready(&mut self) -> Vec<Ready> {
        let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(Waiting::is_ready);
        self.waiting = waiting;
        ready.into_iter().map(Waiting::into_ready).collect()
    }

    /// Every lead still waiting, with what it has: for the end of a pass,
    /// which must drop nothing.
    pub fn give_up(&mut self) -> Vec<Ready> {
        self.waiting.drain(..).map(Waiting::into_ready).collect()
    }

    /// The `created_at` of each lead still waiting.
    pub fn created(&self) -> impl Iterator<Item = Option<i64>> + '_ {
        self.waiting.iter().map(|w| w.at)
    }

    /// The leads to carry to the next page.
    pub fn into_carried(self) -> Vec<Carried> {
        self.waiting
            .into_iter()
            .map(Waiting::into_carried)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};
    use std::collections::{BTreeMap, HashMap};

    /// A lead's contacts as generated: (contact id, callable phone?), main
    /// first.
    type Cast = Vec<(u64, bool)>;

    fn lead(id: u64, cast: &Cast) -> Value {
        let links: Vec<Value> = cast
            .iter()
            .enumerate()
            .map(|(i, (c, _))| json!({"id": c, "is_main": i == 0}))
            .collect();
        json!({"id": id, "created_at": 1000 + id, "_embedded": {"contacts": links}})
    }

    fn contact(id: u64, callable: bool) -> Value {
        let phone = if callable {
            format!("+7 900 {:07}", id)
        } else {
            "none".to_owned()
        };
        json!({"id": id, "name": format!("c{id}"),
               "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": phone}]}]})
    }

    fn fresh(id: u64, cast: &Cast) -> Waiting {
        let carried = Carried {
            lead: lead(id, cast),
            contacts: vec![],
            asked: vec![],
        };
        Waiting::carried(0, carried).unwrap()
    }

    /// The account: contacts that exist (some deleted), by id.
    fn answer(existing: &BTreeMap<u64, bool>, ids: &[u64]) -> Loaded {
        ids.iter()
            .filter_map(|i| existing.get(i).map(|c| (*i, contact(*i, *c))))
            .collect()
    }

    /// One page the way `read_page` runs it; returns the requests made and
    /// the leads sent.
    fn page(
        backlog: &mut Backlog,
        existing: &BTreeMap<u64, bool>,
        last: bool,
    ) -> (Vec<Vec<u64>>, Vec<Ready>) {
        let mut sent = backlog.take_ready();
        let mut calls = Vec::new();
        while let Some(ids) = backlog.next_call(calls.len(), last) {
            assert!(calls.len() < 10_000, "runaway page");
            let loaded = answer(existing, &ids);
            sent.extend(backlog.settle(&ids, &loaded));
            calls.push(ids);
        }
        if last {
            assert_eq!(backlog.len(), 0, "the last page leaves nothing waiting");
        }
        (calls, sent)
    }

    fn cast_of(ids: &[u64]) -> Cast {
        ids.iter().map(|i| (*i, false)).collect()
    }

    #[test]
    fn carried_ids_go_first_and_a_request_stops_at_its_size() {
        let mut b = Backlog::with_limits(vec![fresh(1, &cast_of(&[10, 11, 12]))], 4, 100);
        let ids = b.next_call(0, false).unwrap();
        assert_eq!(ids, [10], "the main contact first");
        b.settle(&ids, &answer(&BTreeMap::from([(10, false)]), &ids));
        for (id, first) in [(2, 20), (3, 30), (4, 40)] {
            b.push(fresh(id, &cast_of(&[first, first + 1])));
        }
        assert_eq!(b.next_call(0, false).unwrap(), [11, 12, 20, 30]);
        assert_eq!(b.next_call(1, false), None, "one request per page");
        assert_eq!(
            b.next_call(0, true).unwrap(),
            [11, 12, 20, 30],
            "the last page fills the room"
        );
        let mut roomy = Backlog::with_limits(vec![fresh(5, &cast_of(&[50, 51, 52]))], 4, 100);
        assert_eq!(roomy.next_call(0, false).unwrap(), [50]);
        assert_eq!(roomy.next_call(0, true).unwrap(), [50, 51, 52]);
        roomy.push(fresh(6, &cast_of(&[51, 60])));
        assert_eq!(
            roomy.next_call(0, true).unwrap(),
            [50, 51, 52, 60],
            "a shared contact once"
        );
    }

    #[test]
    fn more_than_the_bound_owed_costs_more_requests_on_that_page() {
        let mut b = Backlog::with_limits(vec![], 2, 3);
        let mut existing = BTreeMap::new();
        for id in 1..=3 {
            let ids = [id * 10, id * 10 + 1, id * 10 + 2];
            b.push(fresh(id, &cast_of(&ids)));
            existing.extend(ids.map(|c| (c, false)));
        }
        let (calls, sent) = page(&mut b, &existing, false);
        assert_eq!(
            calls,
            [vec![10, 20], vec![11, 12]],
            "5 ids owed after the first request, 3 after the second"
        );
        assert_eq!(sent.iter().map(|r| r.id).collect::<Vec<_>>(), [1]);
        assert_eq!((b.owed(), b.len()), (3, 2));
        assert_eq!(
            b.into_carried()
                .iter()
                .map(|c| c.asked.clone())
                .collect::<Vec<_>>(),
            [vec![20], vec![]]
        );
    }

    /// One generated pass: each lead's contacts (id, callable), contacts
    /// deleted from the account, page sizes, request size and bound.
    #[derive(Debug, Clone)]
    struct Pass {
        leads: Vec<Cast>,
        deleted: Vec<u64>,
        pages: Vec<usize>,
        per_call: usize,
        bound: usize,
    }

    fn pass() -> impl Strategy<Value = Pass> {
        // Contact ids from a small range, so leads share contacts often.
        let cast = prop::collection::vec((1u64..150, prop::bool::weighted(0.4)), 0..6);
        (
            prop::collection::vec(cast, 0..120),
            prop::collection::vec(1u64..150, 0..10),
            prop::collection::vec(1usize..40, 1..20),
            1usize..12,
            0usize..40,
        )
            .prop_map(|(leads, deleted, pages, per_call, bound)| Pass {
                leads,
                deleted,
                pages,
                per_call,
                bound,
            })
    }

    /// The account of a pass: a contact is callable or not whichever lead
    /// lists it; a lead lists a contact once.
    fn account(p: &Pass) -> (Vec<Cast>, BTreeMap<u64, bool>) {
        let mut existing = BTreeMap::new();
        let leads = p
            .leads
            .iter()
            .map(|cast| {
                let mut own: Cast = Vec::new();
                for (c, callable) in cast {
                    let callable = *existing.entry(*c).or_insert(*callable);
                    if !own.iter().any(|(o, _)| o == c) {
                        own.push((*c, callable));
                    }
                }
                own
            })
            .collect();
        for d in &p.deleted {
            existing.remove(d);
        }
        (leads, existing)
    }

    /// The contacts a lead must be sent with: its main one alone when that
    /// is callable, else all that exist, main first.
    fn wanted(cast: &Cast, existing: &BTreeMap<u64, bool>) -> Vec<u64> {
        let main_callable = cast
            .first()
            .is_some_and(|(c, _)| existing.get(c) == Some(&true));
        cast.iter()
            .map(|(c, _)| *c)
            .take(if main_callable { 1 } else { usize::MAX })
            .filter(|c| existing.contains_key(c))
            .collect()
    }

    proptest! {
        #![proptest_config(liner_sync_core::testing::config(500))]
        #[test]
        fn no_lead_is_lost_or_sent_twice(p in pass()) {
            let (leads, existing) = account(&p);
            let mut sent: HashMap<u64, Ready> = HashMap::new();
            let mut carried: Vec<Carried> = Vec::new();
            let mut next = 0;
            let mut sizes = p.pages.iter().copied().cycle();
            loop {
                let upto = (next + sizes.next().unwrap_or(1)).min(leads.len());
                let last = upto == leads.len();
                // Through the continuation, as between two fetches.
                let mut backlog = Backlog::with_limits(
                    carried.drain(..).enumerate()
                        .filter_map(|(place, c)| Waiting::carried(place, c))
                        .collect(),
                    p.per_call,
                    p.bound,
                );
                for (id, cast) in leads.iter().enumerate().take(upto).skip(next) {
                    backlog.push(fresh(id as u64 + 1, cast));
                }
                let unasked: HashSet<u64> = backlog.waiting.iter()
                    .flat_map(|w| w.owed().into_iter().chain(w.maybe_owed()))
                    .collect();
                let owed = backlog.owed();
                let (calls, ready) = page(&mut backlog, &existing, last);

                for ids in &calls {
                    prop_assert!(!ids.is_empty() && ids.len() <= p.per_call);
                    prop_assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
                }
                if last {
                    prop_assert!(
                        calls.len() <= unasked.len().div_ceil(p.per_call),
                        "{} requests for {} ids", calls.len(), unasked.len()
                    );
                } else {
                    prop_assert_eq!(calls.is_empty(), owed == 0, "one request when ids are owed");
                    prop_assert!(backlog.owed() <= p.bound, "the backlog stays within the bound");
                    prop_assert!(backlog.len() <= backlog.owed(), "every carried lead owes an id");
                }
                for r in ready {
                    prop_assert!(!sent.contains_key(&r.id), "lead {} sent twice", r.id);
                    sent.insert(r.id, r);
                }
                carried = backlog.into_carried();
                next = upto;
                if last {
                    break;
                }
            }
            prop_assert!(carried.is_empty());
            prop_assert_eq!(sent.len(), leads.len(), "every lead is sent");
            for (id, cast) in leads.iter().enumerate() {
                // Lead ids start at 1.
                let got: Vec<u64> = sent[&(id as u64 + 1)].contacts.iter()
                    .filter_map(|c| c.name.as_deref()?.strip_prefix('c')?.parse().ok())
                    .collect();
                prop_assert_eq!(got, wanted(cast, &existing), "lead {}'s contacts", id);
            }
        }
    }
}
