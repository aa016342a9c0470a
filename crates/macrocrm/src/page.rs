//! Sorting one page's records, as they stream out of the reply, into new
//! deals, handled ones and ones that cannot be read.

use chrono::{DateTime, Utc};
use liner_sync_core::records::{FieldMap, Moments};
use liner_sync_core::{Deal, SeenDeals};
use serde_json::Value;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use tracing::{trace, warn};

/// What decides a record's fate.
pub(crate) struct Rules<'a> {
    /// The source, for log lines.
    pub source: &'a str,
    pub fields: &'a FieldMap,
    pub moments: &'a Moments,
    /// Records created before this are not new.
    pub start: DateTime<Utc>,
    pub seen: &'a dyn SeenDeals,
    /// Since style: records at this instant with these ids came with the
    /// previous page.
    pub boundary: Option<(DateTime<Utc>, &'a [String])>,
}

/// One page, sorted.
pub(crate) struct Sorted<'a> {
    rules: Rules<'a>,
    /// New deals, in the API's order.
    pub deals: Vec<Deal>,
    /// Records the state already has an outcome for.
    pub skipped_seen: usize,
    /// Records that could not be mapped (logged and skipped).
    pub unreadable: u64,
    /// Records created before the start.
    pub before_start: usize,
    /// The newest creation time on the page.
    pub newest: Option<DateTime<Utc>>,
    /// The ids created at exactly `newest`.
    pub at_newest: Vec<String>,
    digest: DefaultHasher,
}

impl<'a> Sorted<'a> {
    /// An empty page under `rules`.
    pub fn new(rules: Rules<'a>) -> Self {
        Self {
            rules,
            deals: Vec::new(),
            skipped_seen: 0,
            unreadable: 0,
            before_start: 0,
            newest: None,
            at_newest: Vec::new(),
            digest: DefaultHasher::new(),
        }
    }

    /// Sorts one record.
    pub fn take(&mut self, record: Value) {
        let rules = &self.rules;
        match rules.fields.id_of(&record) {
            Some(id) => id.hash(&mut self.digest),
            None => record.to_string().hash(&mut self.digest),
        }
        let deal = match rules.fields.deal(&record, rules.moments) {
            Ok(deal) => deal,
            Err(reason) => {
                warn!(source = rules.source, %reason, "skipping a MACRO record that cannot be read; check fields:");
                self.unreadable += 1;
                return;
            }
        };
        let at = deal.created_at;
        if let Some((since, ids)) = rules.boundary
            && at == since
            && ids.contains(&deal.id)
        {
            return;
        }
        match self.newest {
            Some(newest) if newest > at => {}
            Some(newest) if newest == at => self.at_newest.push(deal.id.clone()),
            _ => {
                self.newest = Some(at);
                self.at_newest = vec![deal.id.clone()];
            }
        }
        if at < rules.start {
            trace!(source = rules.source, id = %deal.id, "created before the start");
            self.before_start += 1;
        } else if rules.seen.is_handled(&deal.id) {
            self.skipped_seen += 1;
        } else {
            self.deals.push(deal);
        }
    }

    /// A digest of the page's record ids, in order.
    pub fn digest(&self) -> u64 {
        self.digest.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Handled(&'static [&'static str]);

    impl SeenDeals for Handled {
        fn is_handled(&self, id: &str) -> bool {
            self.0.contains(&id)
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn fields() -> FieldMap {
        serde_json::from_value(json!({"id": "id", "created_at": "at", "phones": "phone"})).unwrap()
    }

    #[derive(Debug, PartialEq)]
    struct Summary {
        ids: Vec<String>,
        counts: (usize, u64, usize),
        newest: Option<DateTime<Utc>>,
        at_newest: Vec<String>,
        digest: u64,
    }

    fn sort(records: &[Value], boundary: Option<(DateTime<Utc>, &[String])>) -> Summary {
        let fields = fields();
        let moments = Moments::new(chrono_tz::Europe::Moscow);
        let seen = Handled(&["2"]);
        let mut page = Sorted::new(Rules {
            source: "macro",
            fields: &fields,
            moments: &moments,
            start: at("2026-11-01T00:00:00Z"),
            seen: &seen,
            boundary,
        });
        for r in records {
            page.take(r.clone());
        }
        Summary {
            ids: page.deals.iter().map(|d| d.id.clone()).collect(),
            counts: (page.skipped_seen, page.unreadable, page.before_start),
            newest: page.newest,
            at_newest: page.at_newest.clone(),
            digest: page.digest(),
        }
    }

    #[test]
    fn sorts_new_handled_early_and_unreadable_records() {
        let records = [
            json!({"id": 1, "at": "2026-11-02 09:00:00", "phone": "8 900 123-45-67"}),
            json!({"id": 2, "at": "2026-11-02 09:01:00"}),
            json!({"id": 3, "at": "2026-10-30 09:00:00"}),
            json!({"id": 4, "at": "вчера"}),
            json!({"at": "2026-11-02 09:00:00"}),
            json!({"id": 5, "at": "2026-11-02 09:01:00"}),
        ];
        let got = sort(&records, None);
        assert_eq!(got.ids, vec!["1", "5"]);
        assert_eq!(got.counts, (1, 2, 1), "seen, unreadable, before the start");
        assert_eq!(got.newest, Some(at("2026-11-02T06:01:00Z")));
        assert_eq!(got.at_newest, vec!["2", "5"]);
    }

    #[test]
    fn the_boundary_drops_what_the_previous_page_had_and_digests_tell_pages_apart() {
        let t = at("2026-11-02T06:00:00Z");
        let records = [
            json!({"id": 7, "at": "2026-11-02 09:00:00"}),
            json!({"id": 8, "at": "2026-11-02 09:00:00"}),
            json!({"id": 9, "at": "2026-11-02 09:05:00"}),
        ];
        let had = vec!["7".to_owned()];
        let got = sort(&records, Some((t, &had)));
        assert_eq!(got.ids, vec!["8", "9"]);
        let all = sort(&records, None);
        assert_eq!(
            got.digest, all.digest,
            "the digest covers what the API sent"
        );
        assert_ne!(got.digest, sort(&records[1..], None).digest);
    }
}
