//! The seeded generator of realistic, ugly CRM data.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, FixedOffset};
use serde_json::Value;

use super::names::*;
use super::phones::{invalid_phone, valid_phone};
use super::{DataSet, Expected, FakeContact, FakeDeal, PORTAL_OFFSET};
use crate::rng::SplitMix64;

impl DataSet {
    /// `count` deals with ids from `first_id` upwards (with gaps), created
    /// 1–3 minutes apart from `first_created` (shown at +03:00), and their
    /// contacts. The same seed gives the same data.
    ///
    /// The mix: ~8 % deals without a contact, ~5 % whose only contact has an
    /// invalid phone, ~10 % whose primary contact has no phone and whose second
    /// contact has one, some contacts with two phones (the first valid one
    /// counts), ~15 % with a Telegram handle, UTM tags and `UF_CRM_*` fields
    /// now and then. Phones come in every format people type, St Petersburg,
    /// Kazan and 800 numbers included, sometimes with non-breaking spaces.
    pub fn generate(
        seed: u64,
        count: usize,
        first_id: u64,
        first_created: DateTime<FixedOffset>,
    ) -> DataSet {
        let mut generator = Generator {
            rng: SplitMix64::new(seed),
            data: DataSet::empty(),
        };
        let mut id = first_id;
        let mut created = first_created.with_timezone(&PORTAL_OFFSET);
        for i in 0..count {
            if i > 0 {
                id += if generator.rng.chance(0.85) {
                    1
                } else {
                    generator.rng.between(2, 6)
                };
                created += Duration::seconds(generator.rng.between(60, 180) as i64);
            }
            generator.deal(id, created);
        }
        generator.data
    }
}

struct Generator {
    rng: SplitMix64,
    data: DataSet,
}

/// Who the deal's contacts are, and which one a pipeline must call.
struct Cast {
    contact_ids: Vec<u64>,
    expected: Expected,
}

impl Generator {
    fn deal(&mut self, id: u64, created: DateTime<FixedOffset>) {
        let cast = self.cast(id);
        let category_id = match self.rng.below(10) {
            0..=5 => 0,
            6..=8 => 1,
            _ => 2,
        };
        let stage = if self.rng.chance(0.85) {
            "NEW"
        } else {
            "PREPARATION"
        };
        let stage_id = if category_id == 0 {
            stage.to_owned()
        } else {
            format!("C{category_id}:{stage}")
        };
        let utm_source = self
            .rng
            .chance(0.4)
            .then(|| (*self.rng.pick(UTM_SOURCES)).to_owned());
        let utm_campaign = (utm_source.is_some() && self.rng.chance(0.7))
            .then(|| (*self.rng.pick(UTM_CAMPAIGNS)).to_owned());
        let deal = FakeDeal {
            id,
            title: self.title(),
            created,
            category_id,
            stage_id,
            contact_ids: cast.contact_ids,
            utm_source,
            utm_campaign,
            custom: self.custom_fields(),
            expected: cast.expected,
        };
        self.data.deals.push(deal);
    }

    fn cast(&mut self, deal_id: u64) -> Cast {
        // Contact ids derive from the deal id, so data sets generated with
        // different id ranges never collide in one fake.
        let first = deal_id.wrapping_mul(4);
        let roll = self.rng.next_f64();
        if roll < 0.08 {
            return Cast {
                contact_ids: Vec::new(),
                expected: Expected::default(),
            };
        }
        if roll < 0.13 {
            let mut contact = self.person(first, true);
            let invalid = (0..self.rng.between(1, 2)).map(|_| invalid_phone(&mut self.rng));
            contact.phones = invalid.map(|p| (p, "WORK".to_owned())).collect();
            self.data.contacts.push(contact);
            return Cast {
                contact_ids: vec![first],
                expected: Expected::default(),
            };
        }
        if roll < 0.23 {
            let mut primary = self.person(first, false);
            if self.rng.chance(0.3) {
                primary
                    .ims
                    .push(("VK".into(), format!("id{}", self.rng.digits(8))));
            }
            self.data.contacts.push(primary);
            let expected = self.callable(first.wrapping_add(1), false);
            return Cast {
                contact_ids: vec![first, first.wrapping_add(1)],
                expected,
            };
        }
        let second = self.rng.chance(0.08);
        let expected = self.callable(first, !second);
        let mut contact_ids = vec![first];
        if second {
            // The primary contact's phone wins over this one.
            let mut other = self.person(first.wrapping_add(1), false);
            other.phones = vec![(valid_phone(&mut self.rng).typed, "MOBILE".into())];
            self.data.contacts.push(other);
            contact_ids.push(first.wrapping_add(1));
        }
        Cast {
            contact_ids,
            expected,
        }
    }

    /// A contact with at least one valid phone; what a pipeline must send.
    fn callable(&mut self, id: u64, may_lack_name: bool) -> Expected {
        let mut contact = self.person(id, may_lack_name);
        let phone = valid_phone(&mut self.rng);
        let kind = (*self.rng.pick(&["MOBILE", "WORK", "HOME"])).to_owned();
        if self.rng.chance(0.12) {
            if self.rng.chance(0.5) {
                contact
                    .phones
                    .push((invalid_phone(&mut self.rng), "WORK".into()));
                contact.phones.push((phone.typed, kind));
            } else {
                contact.phones.push((phone.typed, kind));
                contact
                    .phones
                    .push((valid_phone(&mut self.rng).typed, "HOME".into()));
            }
        } else {
            contact.phones.push((phone.typed, kind));
        }
        let telegram = self
            .rng
            .chance(0.15)
            .then(|| format!("{}{}", self.rng.pick(HANDLE_STEMS), self.rng.digits(3)));
        if let Some(handle) = &telegram {
            let value = if self.rng.chance(0.5) {
                format!("@{handle}")
            } else {
                handle.clone()
            };
            contact.ims.push(("TELEGRAM".into(), value));
        }
        if self.rng.chance(0.03) {
            contact
                .ims
                .push(("OPENLINE".into(), "imol|livechat|1|67|21".into()));
        }
        let expected = Expected {
            phone: Some(phone.e164),
            name: contact.display_name(),
            telegram,
        };
        self.data.contacts.push(contact);
        expected
    }

    /// A person with a Cyrillic name; the name may be partly missing when
    /// `may_lack_name`.
    fn person(&mut self, id: u64, may_lack_name: bool) -> FakeContact {
        let female = self.rng.chance(0.5);
        let (first, patronymic) = if female {
            *self.rng.pick(FEMALE_NAMES)
        } else {
            *self.rng.pick(MALE_NAMES)
        };
        let (male_surname, female_surname) = *self.rng.pick(SURNAMES);
        let surname = if female { female_surname } else { male_surname };
        let mut contact = FakeContact {
            id,
            name: Some(first.to_owned()),
            second_name: self.rng.chance(0.3).then(|| patronymic.to_owned()),
            last_name: Some(surname.to_owned()),
            phones: Vec::new(),
            ims: Vec::new(),
        };
        if may_lack_name {
            match self.rng.below(100) {
                0..=4 => contact.last_name = None,
                5..=7 => contact.name = None,
                // No name at all: a patronymic alone would leave what a
                // pipeline should call the client open to taste.
                8..=9 => {
                    contact.name = None;
                    contact.second_name = None;
                    contact.last_name = None;
                }
                _ => {}
            }
        }
        contact
    }

    fn title(&mut self) -> String {
        let template = *self.rng.pick(TITLES);
        let complex = *self.rng.pick(COMPLEXES);
        let flat = *self.rng.pick(FLAT_TYPES);
        template
            .replace("{complex}", complex)
            .replace("{flat}", flat)
    }

    fn custom_fields(&mut self) -> BTreeMap<String, Value> {
        let mut custom = BTreeMap::new();
        if self.rng.chance(0.7) {
            let complex = format!("ЖК «{}»", self.rng.pick(COMPLEXES));
            custom.insert("UF_CRM_1721244482250".to_owned(), Value::String(complex));
        }
        if self.rng.chance(0.3) {
            let count = self.rng.between(1, 3) as usize;
            let flats: Vec<Value> = (0..count)
                .map(|_| Value::String((*self.rng.pick(FLAT_TYPES)).to_owned()))
                .collect();
            custom.insert("UF_CRM_1720697698689".to_owned(), Value::Array(flats));
        }
        custom
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-02T10:15:00+03:00").unwrap()
    }

    #[test]
    fn deterministic_by_seed() {
        assert_eq!(
            DataSet::generate(9, 300, 1, start()),
            DataSet::generate(9, 300, 1, start())
        );
        assert_ne!(
            DataSet::generate(9, 300, 1, start()),
            DataSet::generate(10, 300, 1, start())
        );
    }

    #[test]
    fn ids_ascend_and_times_step_one_to_three_minutes() {
        let data = DataSet::generate(1, 500, 100, start());
        assert_eq!(data.deals.len(), 500);
        assert_eq!(data.deals[0].id, 100);
        for pair in data.deals.windows(2) {
            assert!(pair[1].id > pair[0].id);
            let step = (pair[1].created - pair[0].created).num_seconds();
            assert!((60..=180).contains(&step));
            assert_eq!(pair[1].created.offset().local_minus_utc(), 3 * 3600);
        }
    }

    #[test]
    fn the_mix_is_there() {
        let data = DataSet::generate(42, 2000, 1, start());
        let share = |f: &dyn Fn(&FakeDeal) -> bool| {
            data.deals.iter().filter(|d| f(d)).count() as f64 / data.deals.len() as f64
        };
        let no_contact = share(&|d| d.contact_ids.is_empty());
        assert!((0.05..0.11).contains(&no_contact), "{no_contact}");
        let rejected = share(&|d| d.expected.phone.is_none());
        assert!((0.10..0.17).contains(&rejected), "{rejected}");
        let two = share(&|d| d.contact_ids.len() == 2);
        assert!((0.12..0.22).contains(&two), "{two}");
        let telegram = share(&|d| d.expected.telegram.is_some());
        assert!((0.09..0.18).contains(&telegram), "{telegram}");
        let typed: Vec<&str> = data
            .contacts
            .iter()
            .flat_map(|c| c.phones.iter().map(|p| p.0.as_str()))
            .collect();
        for needle in ["812", "843", "800", "\u{a0}", "+7 (", "8 ("] {
            assert!(
                typed.iter().any(|p| p.contains(needle)),
                "no phone with {needle:?}"
            );
        }
        assert!(
            data.deals
                .iter()
                .any(|d| d.custom.values().any(Value::is_array))
        );
    }

    #[test]
    fn expected_matches_the_contacts() {
        let data = DataSet::generate(7, 1000, 1, start());
        let contact = |id: u64| data.contacts.iter().find(|c| c.id == id).unwrap();
        for deal in &data.deals {
            for id in &deal.contact_ids {
                contact(*id);
            }
            let Some(phone) = &deal.expected.phone else {
                continue;
            };
            let holder = deal
                .contact_ids
                .iter()
                .map(|id| contact(*id))
                .find(|c| {
                    c.phones.iter().any(|(typed, _)| {
                        let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
                        digits.ends_with(&phone[1..])
                    })
                })
                .unwrap();
            assert_eq!(deal.expected.name, holder.display_name());
            if holder.display_name().is_none() {
                assert_eq!(holder.second_name, None, "a patronymic alone");
            }
        }
    }
}
