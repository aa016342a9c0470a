//! The pure part of reading one page of leads: which listed leads are new,
//! which are done, what each emitted deal carries, and the page's cursor.

use crate::cursor::{Mark, Position};
use crate::mapping::{self, ContactLinks};
use chrono::Utc;
use liner_sync_core::{Contact, Deal, SeenDeals};
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};
use tracing::warn;

/// Leads created more than this far in the future (by the local clock) are
/// sent but do not move the cursor: one mistyped date must not make every
/// later lead look old.
pub(crate) const FUTURE_TOLERANCE_SECS: i64 = 3600;

/// A listed lead that needs its contacts.
pub(crate) struct Fresh {
    /// Its place in the CRM's order within this fetch.
    pub place: usize,
    pub id: u64,
    pub at: Option<i64>,
    pub lead: Value,
    pub links: ContactLinks,
}

/// What one fetch has emitted and finished so far.
pub(crate) struct Emitting<'s> {
    /// The source's name, for logs.
    source: &'s str,
    /// Emitted deals with their place in the CRM's order.
    deals: Vec<(usize, Deal)>,
    /// Done leads (emitted, dropped or handled) with a usable `created_at`.
    done: Vec<(i64, u64)>,
    /// The latest `created_at` that may move the cursor.
    horizon: i64,
    /// Leads left out because the state has them.
    pub skipped_seen: usize,
}

impl<'s> Emitting<'s> {
    pub fn new(source: &'s str) -> Self {
        Self {
            source,
            deals: Vec::new(),
            done: Vec::new(),
            horizon: Utc::now().timestamp() + FUTURE_TOLERANCE_SECS,
            skipped_seen: 0,
        }
    }

    /// A lead that is finished without being emitted.
    pub fn note_done(&mut self, at: Option<i64>, id: u64) {
        if let Some(at) = at.filter(|t| *t <= self.horizon) {
            self.done.push((at, id));
        }
    }

    /// Emits a lead with its contacts (main first).
    pub fn emit(
        &mut self,
        place: usize,
        id: u64,
        at: Option<i64>,
        lead: &Value,
        contacts: Vec<Contact>,
    ) {
        let created = at.and_then(mapping::to_time).unwrap_or_else(Utc::now);
        self.deals
            .push((place, mapping::deal(id, lead, created, contacts)));
        self.note_done(at, id);
    }

    /// How many deals are emitted.
    pub fn emitted(&self) -> usize {
        self.deals.len()
    }

    /// Sorts the listed leads of a page into new ones (returned, in order)
    /// and finished ones (noted). `taken`: ids already in this fetch (the
    /// carried leads); `wanted`: the pipeline and status filter.
    pub fn sort(
        &mut self,
        leads: Vec<Value>,
        position: &Position,
        from: i64,
        taken: &mut HashSet<u64>,
        wanted: impl Fn(&Value) -> bool,
        seen: &dyn SeenDeals,
    ) -> Vec<Fresh> {
        let source = self.source;
        let first_place = taken.len();
        let mut fresh = Vec::new();
        for lead in leads {
            let Some(id) = mapping::id_of(&lead) else {
                warn!(source, "an amoCRM lead without a readable id; skipped");
                continue;
            };
            let at = mapping::created_at(&lead);
            match at {
                Some(t) if t < from => continue,
                Some(t) if position.covers(t, id) => {
                    self.note_done(at, id);
                    continue;
                }
                Some(t) if t > self.horizon => warn!(
                    source,
                    lead = id,
                    created_at = t,
                    "an amoCRM lead created in the future; it does not move the cursor"
                ),
                Some(_) => {}
                None => warn!(
                    source,
                    lead = id,
                    "an amoCRM lead without a readable created_at; it does not move the cursor"
                ),
            }
            if !taken.insert(id) {
                continue;
            }
            if !wanted(&lead) {
                self.note_done(at, id);
                continue;
            }
            if seen.is_handled(&id.to_string()) {
                self.skipped_seen += 1;
                self.note_done(at, id);
                continue;
            }
            fresh.push(Fresh {
                place: first_place + fresh.len(),
                id,
                at,
                links: mapping::contact_links(&lead),
                lead,
            });
        }
        fresh
    }

    /// The pass's read mark after this fetch (`before`: the mark of the
    /// pages before), and the page's cursor: never behind `position`, never
    /// past the earliest of `carried_at` (leads carried to the next page).
    pub fn cursor(
        &self,
        position: &Position,
        before: Option<&Mark>,
        carried_at: impl IntoIterator<Item = Option<i64>>,
    ) -> (Option<Mark>, Position) {
        let mut reached = before.cloned();
        for (at, id) in &self.done {
            match reached.as_mut() {
                Some(mark) => mark.note(*at, *id),
                None => {
                    let mut mark = Mark::at(*at);
                    mark.ids.insert(*id);
                    reached = Some(mark);
                }
            }
        }
        let held = carried_at
            .into_iter()
            .flatten()
            .filter(|t| *t <= self.horizon)
            .min()
            .map(|at| {
                let mut ids: BTreeSet<u64> = self
                    .done
                    .iter()
                    .filter(|(t, _)| *t == at)
                    .map(|(_, id)| *id)
                    .collect();
                if let Some(before) = before.filter(|m| m.at == at) {
                    ids.extend(before.ids.iter().copied());
                }
                Mark { at, ids }
            });
        let cursor = position.advanced(reached.as_ref(), held);
        (reached, cursor)
    }

    /// The deals in the CRM's order: carried leads first, then the page's.
    pub fn into_deals(mut self) -> Vec<Deal> {
        self.deals.sort_by_key(|(place, _)| *place);
        self.deals.into_iter().map(|(_, deal)| deal).collect()
    }
}

/// The contacts `ids` in order, from the raw contacts at hand.
pub(crate) fn assemble<'a>(
    ids: impl IntoIterator<Item = u64>,
    find: impl Fn(u64) -> Option<&'a Value>,
) -> Vec<Contact> {
    ids.into_iter()
        .filter_map(|id| find(id).and_then(mapping::contact))
        .map(|(_, contact)| contact)
        .collect()
}

/// A lead's contact ids, main first.
pub(crate) fn all_ids(links: &ContactLinks) -> impl Iterator<Item = u64> + '_ {
    links.main.into_iter().chain(links.others.iter().copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use liner_sync_core::NothingSeen;
    use serde_json::json;

    fn lead(id: u64, at: i64) -> Value {
        json!({"id": id, "created_at": at, "pipeline_id": 1, "status_id": 2,
               "_embedded": {"contacts": [{"id": id + 100, "is_main": true}]}})
    }

    fn position(at: i64, ids: &[u64]) -> Position {
        Position {
            mark: Mark {
                at,
                ids: ids.iter().copied().collect(),
            },
            start: None,
        }
    }

    struct Seen(Vec<u64>);

    impl SeenDeals for Seen {
        fn is_handled(&self, id: &str) -> bool {
            self.0.iter().any(|s| s.to_string() == id)
        }
    }

    #[test]
    fn sorting_drops_old_covered_unwanted_and_handled_leads() {
        let mut out = Emitting::new("amo");
        let p = position(1000, &[5]);
        let leads = vec![
            lead(1, 300),                                           // before the window
            lead(5, 1000),                                          // covered by the cursor
            lead(6, 1000),                                          // a tie not read yet
            lead(7, 1001),                                          // handled
            json!({"id": 8, "created_at": 1002, "pipeline_id": 9}), // other pipeline
            lead(6, 1000),                                          // listed twice
            json!({"created_at": 1003}),                            // no id
            lead(10, 1004),
        ];
        let mut taken = HashSet::from([99]);
        let fresh = out.sort(
            leads,
            &p,
            400,
            &mut taken,
            |l| l["pipeline_id"] == 1,
            &Seen(vec![7]),
        );
        let got: Vec<(usize, u64)> = fresh.iter().map(|f| (f.place, f.id)).collect();
        assert_eq!(got, [(1, 6), (2, 10)], "places after the one carried lead");
        assert_eq!(out.skipped_seen, 1);
        assert_eq!(out.done, [(1000, 5), (1001, 7), (1002, 8)]);
        assert_eq!(fresh[0].links.main, Some(106));
    }

    #[test]
    fn the_cursor_collects_the_done_and_stops_at_carried_leads() {
        let p = position(1000, &[5]);
        let mut out = Emitting::new("amo");
        out.note_done(Some(1000), 6);
        out.emit(0, 7, Some(1005), &lead(7, 1005), Vec::new());
        out.note_done(None, 8);
        let (reached, cursor) = out.cursor(&p, None, [None]);
        assert_eq!(reached.as_ref().map(|m| m.at), Some(1005));
        assert_eq!(cursor, position(1005, &[7]));

        let (_, held) = out.cursor(&p, None, [Some(1003), Some(1001), None]);
        assert_eq!(
            held,
            position(1001, &[]),
            "stops at the earliest carried lead"
        );
        let (_, held) = out.cursor(&p, None, [Some(1000)]);
        assert_eq!(held, position(1000, &[5, 6]));

        let before = Mark {
            at: 1003,
            ids: [1].into_iter().collect(),
        };
        let (reached, held) = out.cursor(&p, Some(&before), [Some(1003)]);
        assert_eq!(reached.unwrap().at, 1005);
        assert_eq!(
            held,
            position(1003, &[1]),
            "the earlier pages' ties at the carried second"
        );

        let future = Emitting::new("amo");
        let (reached, cursor) = future.cursor(&p, None, [Some(i64::MAX)]);
        assert_eq!((reached, cursor), (None, p.clone()));
        let mut far = Emitting::new("amo");
        far.note_done(Some(i64::MAX), 1);
        assert!(far.done.is_empty(), "past the horizon");
        let _ = far.sort(vec![], &p, 0, &mut HashSet::new(), |_| true, &NothingSeen);
    }

    proptest::proptest! {
        #[test]
        fn any_page_of_leads_is_sorted_and_never_moves_the_cursor_back(
            page in proptest::prop_oneof![
                3 => crate::testing::mutated("leads_list_page_official.json"),
                1 => crate::testing::json(),
            ],
            contact in crate::testing::mutated("contact_with_phone_official.json"),
            at in 0i64..=2_000_000_000,
            ids in proptest::collection::btree_set(0u64..20, 0..3),
            carried in proptest::option::of(proptest::prelude::any::<i64>()),
        ) {
            let Ok(leads) = crate::api::leads_of(&page) else { return Ok(()) };
            let p = Position { mark: Mark { at, ids }, start: Some(at / 2) };
            let mut out = Emitting::new("amo");
            let mut taken = HashSet::new();
            let fresh = out.sort(leads, &p, p.window_start(3600), &mut taken, |_| true, &NothingSeen);
            proptest::prop_assert!(fresh.windows(2).all(|w| w[0].place < w[1].place && w[0].id != w[1].id));
            for f in &fresh {
                let contacts = assemble(all_ids(&f.links), |id| {
                    (mapping::id_of(&contact) == Some(id)).then_some(&contact)
                });
                out.emit(f.place, f.id, f.at, &f.lead, contacts);
            }
            let (_, cursor) = out.cursor(&p, None, [carried]);
            proptest::prop_assert!(cursor.mark.at >= p.mark.at);
            if cursor.mark.at == p.mark.at {
                proptest::prop_assert!(cursor.mark.ids.is_superset(&p.mark.ids));
            }
            let deals = out.into_deals();
            proptest::prop_assert_eq!(deals.len(), fresh.len());
        }
    }
}
