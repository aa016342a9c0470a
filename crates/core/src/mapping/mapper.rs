//! Deal → Liner lead, or a reason why the deal cannot be called.

use super::fields::{as_text, render, resolve};
use super::template::{LeadTemplate, Route, RouteCondition};
use crate::phone::{normalize_phone, phone_candidates};
use crate::{Contact, CrmKind, Deal, Lead};

/// What the mapper made of a deal.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    /// A lead ready to submit.
    Lead(Box<Lead>),
    /// The deal cannot become a lead; the reason is recorded in the state.
    Rejected(String),
}

/// Turns deals of one source into leads with that source's rules.
#[derive(Debug, Clone)]
pub struct Mapper {
    kind: CrmKind,
    base: LeadTemplate,
    routes: Vec<Route>,
}

impl Mapper {
    /// A mapper for deals of `kind`, with `base` (defaults overlaid with the
    /// source's `lead:` block) and the source's routes, first match wins.
    ///
    /// Fails when some deal could end up with neither `order_id` nor
    /// `order_code`, since Liner needs one of them.
    pub fn new(kind: CrmKind, base: LeadTemplate, routes: Vec<Route>) -> Result<Self, String> {
        let has_order = |t: &LeadTemplate| t.order_id.is_some() || t.order_code.is_some();
        if !has_order(&base) {
            return Err(
                "no Liner order: set order_id or order_code under defaults: or the source's lead:"
                    .into(),
            );
        }
        Ok(Self { kind, base, routes })
    }

    /// Every order id and code a lead of this mapper can carry, for `check`.
    pub fn orders(&self) -> Vec<(Option<u64>, Option<String>)> {
        std::iter::once(&self.base)
            .chain(self.routes.iter().map(|r| &r.lead))
            .map(|t| {
                let t = self.base.overlay(t);
                (t.order_id, t.order_code)
            })
            .collect()
    }

    /// Maps one deal.
    pub fn map(&self, deal: &Deal) -> Mapped {
        let (phone, contact) = match first_valid_phone(&deal.contacts) {
            Ok(found) => found,
            Err(reason) => return Mapped::Rejected(reason),
        };
        let rules = match self.routes.iter().find(|r| matches(&r.when, deal)) {
            Some(route) => self.base.overlay(&route.lead),
            None => self.base.clone(),
        };
        let messenger = |pick: fn(&Contact) -> Option<&String>| {
            pick(contact)
                .or_else(|| deal.contacts.iter().find_map(pick))
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let external_id = Some(deal.id.clone());
        let mut lead = Lead {
            lead_type: rules.lead_type.unwrap_or_default(),
            phone,
            order_id: rules.order_id,
            order_code: rules.order_code.clone(),
            name: contact
                .name
                .clone()
                .or_else(|| deal.contacts.iter().find_map(|c| c.name.clone()))
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty()),
            source_comment: rules
                .source_comment
                .as_deref()
                .map(|t| render(t, deal))
                .filter(|c| !c.is_empty()),
            external_id_bitrix24: None,
            external_id_amo: None,
            external_id_macro: None,
            external_id_domoplaner: None,
            priority: rules.priority,
            utc_offset: rules.utc_offset,
            status_id: rules.status_id,
            telegram_user_name: messenger(|c| c.telegram.as_ref())
                .map(|t| t.trim_start_matches('@').to_owned()),
            telegram_phone: None,
            vk_id: messenger(|c| c.vk.as_ref()),
            instagram_login: messenger(|c| c.instagram.as_ref())
                .map(|t| t.trim_start_matches('@').to_owned()),
            custom_values: rules
                .custom_values
                .iter()
                .filter_map(|(field, reference)| {
                    resolve(deal, reference).map(|v| (field.clone(), v))
                })
                .collect(),
        };
        match self.kind {
            CrmKind::Bitrix24 => lead.external_id_bitrix24 = external_id,
            CrmKind::Amocrm => lead.external_id_amo = external_id,
            CrmKind::Macrocrm => lead.external_id_macro = external_id,
            CrmKind::Domoplaner => lead.external_id_domoplaner = external_id,
        }
        Mapped::Lead(Box::new(lead))
    }
}

/// The first phone that normalises, primary contact first, with its contact;
/// or why there is none.
fn first_valid_phone(contacts: &[Contact]) -> Result<(String, &Contact), String> {
    if contacts.is_empty() {
        return Err("no valid phone: the deal has no contact".into());
    }
    let mut first_problem = None;
    for contact in contacts {
        for raw in contact.phones.iter().flat_map(|p| phone_candidates(p)) {
            match normalize_phone(raw) {
                Ok(phone) => return Ok((phone, contact)),
                Err(why) => {
                    first_problem.get_or_insert_with(|| format!("\"{raw}\": {why}"));
                }
            }
        }
    }
    Err(match first_problem {
        Some(problem) => format!("no valid phone: {problem}"),
        None => "no valid phone: the deal's contacts have no phone number".into(),
    })
}

fn matches(when: &RouteCondition, deal: &Deal) -> bool {
    let ok = |cond: &Option<super::template::OneOrMany>, value: Option<&String>| {
        cond.as_ref()
            .is_none_or(|c| c.accepts(value.map(String::as_str)))
    };
    ok(&when.pipeline, deal.pipeline_id.as_ref())
        && ok(&when.stage, deal.stage_id.as_ref())
        && ok(&when.utm_source, deal.utm.source.as_ref())
        && ok(&when.utm_campaign, deal.utm.campaign.as_ref())
        && when.fields.iter().all(|(reference, accepted)| {
            let value = resolve(deal, reference).map(|v| as_text(&v));
            accepted.accepts(value.as_deref())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::OneOrMany;
    use chrono::TimeZone;
    use serde_json::json;

    fn contact(name: &str, phones: &[&str]) -> Contact {
        Contact {
            name: Some(name.into()),
            phones: phones.iter().map(|p| (*p).into()).collect(),
            ..Contact::default()
        }
    }

    fn deal(contacts: Vec<Contact>) -> Deal {
        let mut d = Deal::new(
            "37",
            chrono::Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap(),
        );
        d.title = Some("Квартира 2к".into());
        d.pipeline_id = Some("1".into());
        d.custom_fields
            .insert("UF_CRM_BUDGET".into(), json!("5000000"));
        d.contacts = contacts;
        d
    }

    fn base() -> LeadTemplate {
        LeadTemplate {
            order_id: Some(101),
            order_code: Some("main".into()),
            utc_offset: Some(3),
            priority: Some(0),
            ..LeadTemplate::default()
        }
    }

    fn lead(m: Mapped) -> Lead {
        match m {
            Mapped::Lead(l) => *l,
            Mapped::Rejected(r) => panic!("rejected: {r}"),
        }
    }

    #[test]
    fn maps_the_primary_contacts_phone_and_name() {
        let m = Mapper::new(CrmKind::Bitrix24, base(), vec![]).unwrap();
        let l = lead(m.map(&deal(vec![
            contact("Иван Петров", &["8 (900) 123-45-67"]),
            contact("Second", &["+7 812 555 35 35"]),
        ])));
        assert_eq!(l.phone, "79001234567");
        assert_eq!(l.name.as_deref(), Some("Иван Петров"));
        assert_eq!(l.external_id_bitrix24.as_deref(), Some("37"));
        assert_eq!(l.external_id_amo, None);
        assert_eq!(l.order_id, Some(101));
        assert_eq!(l.utc_offset, Some(3));
    }

    #[test]
    fn falls_back_to_the_next_valid_phone() {
        let m = Mapper::new(CrmKind::Amocrm, base(), vec![]).unwrap();
        let l = lead(m.map(&deal(vec![
            contact("No phone", &["123", ""]),
            contact("Анна", &["+7 812 555 35 35"]),
        ])));
        assert_eq!(l.phone, "78125553535");
        assert_eq!(l.name.as_deref(), Some("Анна"));
        assert_eq!(l.external_id_amo.as_deref(), Some("37"));
    }

    #[test]
    fn rejects_deals_without_a_callable_phone() {
        let m = Mapper::new(CrmKind::Bitrix24, base(), vec![]).unwrap();
        let cases = [
            (vec![], "no valid phone: the deal has no contact"),
            (
                vec![contact("A", &[])],
                "no valid phone: the deal's contacts have no phone number",
            ),
            (
                vec![contact("A", &["8 900 12"])],
                "no valid phone: \"8 900 12\": too few digits (6)",
            ),
        ];
        for (contacts, want) in cases {
            assert_eq!(m.map(&deal(contacts)), Mapped::Rejected(want.into()));
        }
    }

    #[test]
    fn messengers_custom_values_comment_and_routes() {
        let mut template = base();
        template
            .custom_values
            .insert("10".into(), "UF_CRM_BUDGET".into());
        template
            .custom_values
            .insert("11".into(), "UF_CRM_NONE".into());
        template.source_comment = Some("Сделка {id}: {title}".into());
        let route = Route {
            when: RouteCondition {
                pipeline: Some(OneOrMany::Many(vec!["1".into(), "2".into()])),
                ..RouteCondition::default()
            },
            lead: LeadTemplate {
                order_id: Some(102),
                order_code: Some("spb".into()),
                ..LeadTemplate::default()
            },
        };
        let m = Mapper::new(CrmKind::Bitrix24, template, vec![route]).unwrap();
        let mut c = contact("Олег", &["9001234567"]);
        c.telegram = Some("@oleg".into());
        c.vk = Some("12345".into());
        let l = lead(m.map(&deal(vec![c])));
        assert_eq!(l.telegram_user_name.as_deref(), Some("oleg"));
        assert_eq!(l.vk_id.as_deref(), Some("12345"));
        assert_eq!(l.custom_values.get("10"), Some(&json!("5000000")));
        assert!(!l.custom_values.contains_key("11"));
        assert_eq!(l.source_comment.as_deref(), Some("Сделка 37: Квартира 2к"));
        assert_eq!(
            (l.order_id, l.order_code.as_deref()),
            (Some(102), Some("spb"))
        );
        assert_eq!(
            l.utc_offset,
            Some(3),
            "route keeps the base fields it does not set"
        );
    }

    #[test]
    fn needs_an_order() {
        assert!(Mapper::new(CrmKind::Bitrix24, LeadTemplate::default(), vec![]).is_err());
    }

    #[test]
    fn lead_serialises_as_liners_camel_case_body() {
        let m = Mapper::new(CrmKind::Bitrix24, base(), vec![]).unwrap();
        let l = lead(m.map(&deal(vec![contact("Иван", &["89001234567"])])));
        assert_eq!(
            serde_json::to_value(&l).unwrap(),
            json!({
                "leadType": "straight", "phone": "79001234567", "orderId": 101,
                "orderCode": "main", "name": "Иван", "externalIdBitrix24": "37",
                "priority": 0, "utcOffset": 3
            })
        );
    }
}
