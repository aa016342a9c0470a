//! One walk over the feed: every record streamed out of the body (never the
//! whole feed as one parsed tree), judged, and only the new deals kept.

use crate::reader::{Fresh, Reader, Verdict, Window};
use liner_sync_core::records::for_each_record;
use liner_sync_core::{NothingSeen, SeenDeals};
use serde_json::Value;
use std::collections::HashSet;

/// Reasons of unreadable records kept for the log; the rest are counted.
pub(crate) const REASONS_KEPT: usize = 10;

/// What one walk found.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Records in the feed.
    pub read: usize,
    /// Created outside the pass's window.
    pub outside: usize,
    /// Already handled (or a repeat of a key earlier in this feed).
    pub handled: usize,
    /// Records that cannot be deals.
    pub unreadable: usize,
    /// The first [`REASONS_KEPT`] reasons.
    pub reasons: Vec<String>,
    /// New deals, oldest first.
    pub fresh: Vec<Fresh>,
    /// The first client id of a deal that maps, when the deals are not kept.
    pub first_client: Option<String>,
}

impl Tally {
    fn count(&mut self, verdict: Verdict, keep: bool) {
        match verdict {
            Verdict::Outside => self.outside += 1,
            Verdict::Handled => self.handled += 1,
            Verdict::Unreadable(reason) => {
                self.unreadable += 1;
                if self.reasons.len() < REASONS_KEPT {
                    self.reasons.push(reason);
                }
            }
            Verdict::New(fresh) if keep => self.fresh.push(*fresh),
            Verdict::New(fresh) => {
                if self.first_client.is_none() {
                    self.first_client = fresh.client_id;
                }
            }
        }
    }

    /// Deals that map, whether kept or not.
    pub fn mapped(&self) -> usize {
        self.read - self.outside - self.handled - self.unreadable
    }

    /// Sorts the new deals oldest first (the feed's order among equals) and
    /// drops repeats of one key: with `external_id: client`, a client's
    /// earliest new deal stands for all of them.
    fn settle(&mut self) {
        self.fresh.sort_by_key(|f| f.deal.created_at);
        let mut keys = HashSet::new();
        let before = self.fresh.len();
        self.fresh.retain(|f| keys.insert(f.deal.id.clone()));
        self.handled += before - self.fresh.len();
    }
}

/// Walks `body`: records created within `window` and not handled in `seen`
/// are kept as new deals.
pub(crate) fn new_deals(
    reader: &Reader,
    body: &[u8],
    window: Window,
    seen: &dyn SeenDeals,
) -> Result<Tally, String> {
    let mut tally = walk(reader, body, |tally, record| {
        tally.count(reader.judge(&record, window, seen), true);
    })?;
    tally.settle();
    Ok(tally)
}

/// Walks `body` counting what maps, keeping nothing.
pub(crate) fn census(reader: &Reader, body: &[u8]) -> Result<Tally, String> {
    walk(reader, body, |tally, record| {
        tally.count(reader.judge(&record, Window::all(), &NothingSeen), false);
    })
}

/// Walks `body` for the record keyed `key`.
pub(crate) fn find(reader: &Reader, body: &[u8], key: &str) -> Result<Option<Fresh>, String> {
    let mut found = None;
    walk(reader, body, |_, record| {
        if found.is_none() && reader.key_of(&record).as_deref() == Some(key) {
            let verdict = reader.judge(&record, Window::all(), &NothingSeen);
            if let Verdict::New(fresh) = verdict {
                found = Some(*fresh);
            }
        }
    })?;
    Ok(found)
}

fn walk(
    reader: &Reader,
    body: &[u8],
    mut each: impl FnMut(&mut Tally, Value),
) -> Result<Tally, String> {
    let mut tally = Tally::default();
    tally.read = for_each_record(body, &reader.records, |record| each(&mut tally, record))?;
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DomoplanerConfig, ExternalId};
    use liner_sync_core::config::Secret;
    use proptest::prelude::Strategy as _;
    use serde_json::json;

    fn reader(key: ExternalId) -> Reader {
        let mut config = DomoplanerConfig::new(Secret::new("https://x.ru/f/abc"));
        config.external_id = key;
        Reader::new(&config).unwrap()
    }

    fn start() -> Window {
        let start = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00+03:00").unwrap();
        Window {
            start: start.into(),
            until: None,
        }
    }

    struct Seen(&'static str);

    impl SeenDeals for Seen {
        fn is_handled(&self, id: &str) -> bool {
            id == self.0
        }
    }

    fn feed() -> String {
        json!({"generated": "2026-11-25 10:00:00", "deals": [
            {"id": 1, "dt_create": "2026-10-30 10:00:00", "client": {"id": 10}},
            {"id": 2, "dt_create": "2026-11-03 10:00:00", "client": {"id": 20}},
            {"id": 3, "dt_create": "2026-11-02 10:00:00", "client": {"id": 20}},
            {"id": 4, "dt_create": "2026-11-02 11:00:00", "client": {"id": 40}},
            {"id": 5},
            {"dt_create": "2026-11-02 12:00:00"}
        ]})
        .to_string()
    }

    #[test]
    fn keeps_only_new_deals_oldest_first() {
        let tally = new_deals(
            &reader(ExternalId::Deal),
            feed().as_bytes(),
            start(),
            &Seen("4"),
        )
        .unwrap();
        let ids: Vec<_> = tally.fresh.iter().map(|f| f.deal.id.as_str()).collect();
        assert_eq!(ids, ["3", "2"]);
        assert_eq!(
            (tally.read, tally.outside, tally.handled, tally.unreadable),
            (6, 1, 1, 2)
        );
        assert_eq!(tally.mapped(), 2);
        assert!(tally.reasons[0].contains("record 5"), "{:?}", tally.reasons);
    }

    #[test]
    fn one_deal_per_client() {
        let tally = new_deals(
            &reader(ExternalId::Client),
            feed().as_bytes(),
            start(),
            &NothingSeen,
        )
        .unwrap();
        let shown: Vec<_> = tally
            .fresh
            .iter()
            .map(|f| (f.deal.id.as_str(), f.deal.raw["id"].as_u64()))
            .collect();
        assert_eq!(
            shown,
            [("20", Some(3)), ("40", Some(4))],
            "the earliest deal of client 20"
        );
        assert_eq!(tally.handled, 1);
    }

    #[test]
    fn census_and_find() {
        let r = reader(ExternalId::Deal);
        let tally = census(&r, feed().as_bytes()).unwrap();
        assert_eq!((tally.read, tally.mapped(), tally.unreadable), (6, 4, 2));
        assert!(tally.fresh.is_empty());
        assert_eq!(tally.first_client.as_deref(), Some("10"));
        let found = find(&r, feed().as_bytes(), "1").unwrap().unwrap();
        assert_eq!(found.client_id.as_deref(), Some("10"));
        assert!(find(&r, feed().as_bytes(), "99").unwrap().is_none());
    }

    #[test]
    fn a_feed_without_deals_there_is_an_error() {
        let r = reader(ExternalId::Deal);
        let e = new_deals(&r, br#"{"items": []}"#, start(), &NothingSeen).unwrap_err();
        assert!(e.contains("no records at 'deals'"), "{e}");
        let empty = new_deals(&r, br#"{"deals": []}"#, start(), &NothingSeen).unwrap();
        assert_eq!(empty.read, 0);
    }

    /// The tally's numbers agree with each other and with the window.
    fn consistent(
        tally: &Tally,
        window: Window,
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        proptest::prop_assert!(tally.read >= tally.outside + tally.handled + tally.unreadable);
        proptest::prop_assert!(tally.reasons.len() == tally.unreadable.min(REASONS_KEPT));
        proptest::prop_assert!(
            tally
                .fresh
                .windows(2)
                .all(|w| w[0].deal.created_at <= w[1].deal.created_at)
        );
        let keys: HashSet<_> = tally.fresh.iter().map(|f| &f.deal.id).collect();
        proptest::prop_assert_eq!(keys.len(), tally.fresh.len(), "a key handed out twice");
        proptest::prop_assert!(
            tally
                .fresh
                .iter()
                .all(|f| f.deal.created_at >= window.start)
        );
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn any_feed_is_walked_or_refused_with_a_reason(
            body in proptest::prop_oneof![
                3 => crate::testing::feed().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
                1 => crate::testing::body(),
            ],
            by_client in proptest::prelude::any::<bool>(),
        ) {
            let r = reader(if by_client { ExternalId::Client } else { ExternalId::Deal });
            match new_deals(&r, &body, start(), &Seen("3")) {
                Ok(tally) => consistent(&tally, start())?,
                Err(why) => proptest::prop_assert!(
                    why.starts_with("not JSON") || why.starts_with("no records at"), "{}", why
                ),
            }
            match census(&r, &body) {
                Ok(tally) => proptest::prop_assert_eq!(
                    tally.mapped() + tally.outside + tally.handled + tally.unreadable,
                    tally.read
                ),
                Err(why) => proptest::prop_assert!(!why.is_empty()),
            }
            let _ = find(&r, &body, "2");
        }

        #[test]
        fn a_feed_cut_off_anywhere_is_never_taken_for_a_whole_one(
            feed in crate::testing::feed(),
            cut in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            let body = serde_json::to_vec(&feed).unwrap();
            let cut = cut.index(body.len());
            let r = reader(ExternalId::Deal);
            // Only a feed that reads whole can be cut off.
            proptest::prop_assume!(new_deals(&r, &body, start(), &NothingSeen).is_ok());
            let why = new_deals(&r, &body[..cut], start(), &NothingSeen).unwrap_err();
            proptest::prop_assert!(why.starts_with("not JSON"), "{}", why);
            let reply = liner_sync_core::testing::reply(200, body[..cut].to_vec());
            let e = crate::error::unreadable_feed(&reply, &why, "deals");
            proptest::prop_assert!(e.is_temporary(), "a cut-off feed is retried: {}", e);
        }
    }
}
