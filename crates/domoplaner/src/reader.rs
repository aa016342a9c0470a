//! Reading one feed record: is it new, and which deal is it?

use crate::config::{DomoplanerConfig, ExternalId};
use chrono::{DateTime, Utc};
use liner_sync_core::records::{FieldMap, JsonPath, Moments};
use liner_sync_core::{Deal, SeenDeals};
use serde_json::Value;

/// A new deal, with its client's id for the leads API.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fresh {
    /// The deal; its id is the dedupe key (the deal's or the client's id).
    pub deal: Deal,
    /// The client's id, if the record has one.
    pub client_id: Option<String>,
}

/// The creation times a pass reads: `[start, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// Deals created before it are never new.
    pub start: DateTime<Utc>,
    /// Deals created at or after it belong to a later pass (a backfill's end).
    pub until: Option<DateTime<Utc>>,
}

impl Window {
    /// Every creation time there is.
    pub fn all() -> Self {
        Self {
            start: DateTime::<Utc>::MIN_UTC,
            until: None,
        }
    }

    fn holds(&self, at: DateTime<Utc>) -> bool {
        at >= self.start && self.until.is_none_or(|until| at < until)
    }
}

/// What one record is to this pass.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// Created outside the pass's window: not new in this pass.
    Outside,
    /// The state already has a final outcome for it.
    Handled,
    /// It cannot be a deal; the reason names the record and the path.
    Unreadable(String),
    /// A deal to send.
    New(Box<Fresh>),
}

/// Turns feed records into deals with the configured paths.
#[derive(Debug, Clone)]
pub(crate) struct Reader {
    /// Where the records are in the feed.
    pub records: JsonPath,
    fields: FieldMap,
    /// A field map whose only path is the client id's: `id_of` reads it as
    /// text the same way deal ids are read.
    client_ids: FieldMap,
    key: ExternalId,
    moments: Moments,
}

impl Reader {
    /// The reader `config` describes; `config` must already be valid.
    pub fn new(config: &DomoplanerConfig) -> Result<Self, String> {
        Ok(Self {
            records: config.records_path()?,
            fields: config.deal_fields(),
            client_ids: FieldMap {
                id: Some(config.client_id_path()?),
                ..FieldMap::default()
            },
            key: config.external_id,
            moments: Moments::new(config.timezone.0),
        })
    }

    /// The id that keys `record` in the state and in Liner.
    pub fn key_of(&self, record: &Value) -> Option<String> {
        match self.key {
            ExternalId::Deal => self.fields.id_of(record),
            ExternalId::Client => self.client_ids.id_of(record),
        }
    }

    /// Decides what `record` is: cheap checks (time, state) come before
    /// mapping, since most records of a full feed are old or handled.
    pub fn judge(&self, record: &Value, window: Window, seen: &dyn SeenDeals) -> Verdict {
        let created = self
            .fields
            .created_at
            .as_ref()
            .and_then(|p| p.first(record))
            .and_then(|v| self.moments.parse(v));
        match created {
            Some(at) if !window.holds(at) => return Verdict::Outside,
            Some(_) => {}
            None => return self.unreadable(record),
        }
        let Some(key) = self.key_of(record) else {
            return self.unreadable(record);
        };
        if seen.is_handled(&key) {
            return Verdict::Handled;
        }
        match self.fields.deal(record, &self.moments) {
            Ok(mut deal) => {
                deal.id = key;
                Verdict::New(Box::new(Fresh {
                    deal,
                    client_id: self.client_ids.id_of(record),
                }))
            }
            Err(reason) => Verdict::Unreadable(reason),
        }
    }

    /// Why `record` cannot be a deal.
    fn unreadable(&self, record: &Value) -> Verdict {
        let reason = match self.fields.deal(record, &self.moments) {
            Err(reason) => reason,
            Ok(deal) => format!(
                "record {}: no client id at '{}' (external_id: client)",
                deal.id,
                self.client_ids.id.as_ref().map_or("", JsonPath::as_str)
            ),
        };
        Verdict::Unreadable(reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liner_sync_core::NothingSeen;
    use liner_sync_core::config::Secret;
    use serde_json::json;

    struct Seen(&'static [&'static str]);

    impl SeenDeals for Seen {
        fn is_handled(&self, id: &str) -> bool {
            self.0.contains(&id)
        }
    }

    fn reader(edit: impl FnOnce(&mut DomoplanerConfig)) -> Reader {
        let mut config = DomoplanerConfig::new(Secret::new("https://x.ru/f/abc"));
        edit(&mut config);
        Reader::new(&config).unwrap()
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn start() -> Window {
        Window {
            start: at("2026-11-01T00:00:00+03:00"),
            until: None,
        }
    }

    fn record(id: u64, at: &str) -> Value {
        json!({"id": id, "dt_create": at, "title": "Квартира 2к", "price": 5_400_000,
               "status_id": 101, "utm_source": "yandex",
               "client": {"id": 4_260_303, "name": "Иван Иванов", "telegram": "@ivan",
                          "phones": [{"id": 1, "type": 1, "value": "+7 900 123-45-67"}]}})
    }

    #[test]
    fn a_new_record_becomes_a_deal_in_utc() {
        let r = reader(|_| {});
        let Verdict::New(fresh) =
            r.judge(&record(51, "2026-11-02 09:00:00"), start(), &NothingSeen)
        else {
            panic!("not new")
        };
        let deal = &fresh.deal;
        assert_eq!(deal.id, "51");
        assert_eq!(deal.created_at.to_rfc3339(), "2026-11-02T06:00:00+00:00");
        assert_eq!(deal.contacts[0].phones, ["+7 900 123-45-67"]);
        assert_eq!(deal.contacts[0].name.as_deref(), Some("Иван Иванов"));
        assert_eq!(deal.contacts[0].telegram.as_deref(), Some("@ivan"));
        assert_eq!(deal.stage_id.as_deref(), Some("101"));
        assert_eq!(deal.utm.source.as_deref(), Some("yandex"));
        assert_eq!(deal.custom_fields["price"], json!(5_400_000));
        assert_eq!(fresh.client_id.as_deref(), Some("4260303"));
    }

    #[test]
    fn the_start_is_inclusive_and_local() {
        let r = reader(|_| {});
        // 2026-11-01 00:00 in Moscow is the start itself.
        assert!(matches!(
            r.judge(&record(1, "2026-11-01 00:00:00"), start(), &NothingSeen),
            Verdict::New(_)
        ));
        assert_eq!(
            r.judge(&record(2, "2026-10-31 23:59:59"), start(), &NothingSeen),
            Verdict::Outside
        );
        let window = Window {
            until: Some(at("2026-11-02T09:00:00+03:00")),
            ..start()
        };
        assert_eq!(
            r.judge(&record(4, "2026-11-02 09:00:00"), window, &NothingSeen),
            Verdict::Outside,
            "the end is exclusive"
        );
        let ekb = reader(|c| c.timezone.0 = chrono_tz::Asia::Yekaterinburg);
        // 01:59 in Yekaterinburg (+5) is 23:59 in Moscow the day before.
        assert_eq!(
            ekb.judge(&record(3, "2026-11-01 01:59:00"), start(), &NothingSeen),
            Verdict::Outside
        );
    }

    #[test]
    fn handled_records_are_not_mapped() {
        let r = reader(|_| {});
        assert_eq!(
            r.judge(&record(7, "2026-11-02 09:00:00"), start(), &Seen(&["7"])),
            Verdict::Handled
        );
        let by_client = reader(|c| c.external_id = ExternalId::Client);
        assert_eq!(
            by_client.judge(
                &record(7, "2026-11-02 09:00:00"),
                start(),
                &Seen(&["4260303"])
            ),
            Verdict::Handled
        );
        let Verdict::New(fresh) =
            by_client.judge(&record(8, "2026-11-02 09:00:00"), start(), &Seen(&["8"]))
        else {
            panic!("the deal id is not the key any more")
        };
        assert_eq!(fresh.deal.id, "4260303");
    }

    #[test]
    fn unreadable_records_say_why() {
        let r = reader(|_| {});
        let cases = [
            (
                json!({"dt_create": "2026-11-02 09:00:00"}),
                "without an id at 'id'",
            ),
            (
                json!({"id": 5}),
                "record 5: no creation time at 'dt_create'",
            ),
            (json!({"id": 6, "dt_create": "вчера"}), "is not a date-time"),
            (json!("a string"), "without an id"),
        ];
        for (record, needle) in cases {
            match r.judge(&record, start(), &NothingSeen) {
                Verdict::Unreadable(why) => assert!(why.contains(needle), "{why}"),
                other => panic!("{record}: {other:?}"),
            }
        }
        let by_client = reader(|c| c.external_id = ExternalId::Client);
        let mut lonely = record(9, "2026-11-02 09:00:00");
        lonely["client"] = Value::Null;
        match by_client.judge(&lonely, start(), &NothingSeen) {
            Verdict::Unreadable(why) => {
                assert_eq!(
                    why,
                    "record 9: no client id at 'client.id' (external_id: client)"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn configured_paths_win() {
        let r = reader(|c| {
            c.fields =
                serde_json::from_value(json!({"created_at": "/Дата", "phones": "tel"})).unwrap();
            c.client_id = Some(JsonPath::parse("buyer").unwrap());
            c.external_id = ExternalId::Client;
        });
        let rec =
            json!({"id": 1, "Дата": "02.11.2026 09:00", "tel": "8 900 111-22-33", "buyer": 77});
        let Verdict::New(fresh) = r.judge(&rec, start(), &NothingSeen) else {
            panic!("not new")
        };
        assert_eq!(fresh.deal.id, "77");
        assert_eq!(fresh.deal.contacts[0].phones, ["8 900 111-22-33"]);
    }

    proptest::proptest! {
        #[test]
        fn any_record_is_judged_without_panicking(
            record in proptest::prop_oneof![
                crate::testing::mutated_record(),
                crate::testing::json(),
            ],
            by_client in proptest::prelude::any::<bool>(),
            zone in proptest::sample::select(vec![
                chrono_tz::Europe::Moscow,
                chrono_tz::America::New_York,
                chrono_tz::Etc::GMTMinus14,
            ]),
        ) {
            let r = reader(|c| {
                c.timezone.0 = zone;
                if by_client {
                    c.external_id = ExternalId::Client;
                }
            });
            match r.judge(&record, start(), &NothingSeen) {
                Verdict::New(fresh) => {
                    proptest::prop_assert!(fresh.deal.created_at >= start().start);
                    proptest::prop_assert_eq!(Some(fresh.deal.id.clone()), r.key_of(&record));
                    if by_client {
                        proptest::prop_assert_eq!(fresh.client_id, r.key_of(&record));
                    }
                }
                Verdict::Unreadable(why) => proptest::prop_assert!(!why.is_empty()),
                Verdict::Outside | Verdict::Handled => {}
            }
        }
    }
}
