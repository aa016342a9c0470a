//! Loads contacts by id: `crm.contact.list` sub-calls of up to 50 ids each,
//! in as few `batch` requests as the 50 sub-call limit allows (one, unless a
//! page names more than 2,400 contacts).
//!
//! The caller may add sub-calls of its own (the next page's list and links)
//! to the first batch; they never go alone.

use crate::batch::{Batch, BatchReply, Command, MAX_COMMANDS, Outcome};
use crate::client::Client;
use crate::listed;
use crate::mapping;
use liner_sync_core::{Contact, Result};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use tracing::warn;

/// Ids per `crm.contact.list` call: one page.
const CONTACTS_PER_CALL: usize = 50;

const CONTACT_SELECT: [&str; 6] = ["ID", "NAME", "SECOND_NAME", "LAST_NAME", "PHONE", "IM"];

const _: () = assert!(
    listed::COMMANDS < MAX_COMMANDS,
    "the next page's sub-calls and one contacts call must fit in one batch"
);

/// The contacts loaded, and what is left of the first batch's reply.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    /// Contact id → contact; ids that did not come back are absent.
    pub contacts: HashMap<u64, Contact>,
    /// The first batch's reply without the contacts: the results of the
    /// caller's extra sub-calls. `None` when no batch was sent, so they were
    /// not sent either.
    pub extra: Option<BatchReply>,
}

/// Loads the contacts `ids`; `extra` rides in the first batch. No ids, no
/// request.
pub(crate) async fn load(
    client: &Client,
    source: &str,
    ids: &BTreeSet<u64>,
    extra: &[Command],
) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    for (batch, keys) in plan(ids, extra) {
        let mut reply = client.batch(&batch).await?;
        absorb(source, &keys, &mut reply, &mut loaded.contacts);
        if loaded.extra.is_none() {
            loaded.extra = Some(reply);
        }
    }
    Ok(loaded)
}

/// The batches to send and the contacts keys of each: `extra` first, then
/// one `crm.contact.list` per 50 ids, a new batch whenever one is full.
fn plan(ids: &BTreeSet<u64>, extra: &[Command]) -> Vec<(Batch, Vec<String>)> {
    if ids.is_empty() {
        return Vec::new();
    }
    let ids: Vec<u64> = ids.iter().copied().collect();
    let mut batches = Vec::new();
    let mut batch = Batch::default();
    let mut keys = Vec::new();
    for command in extra {
        let fitted = batch.push_command(command);
        debug_assert!(fitted, "extra sub-calls beyond the batch limit");
    }
    for (i, chunk) in ids.chunks(CONTACTS_PER_CALL).enumerate() {
        let key = format!("contacts_{i}");
        let params = json!({"filter": {"@ID": chunk}, "select": CONTACT_SELECT});
        if !batch.push(key.clone(), "crm.contact.list", &params) {
            batches.push((std::mem::take(&mut batch), std::mem::take(&mut keys)));
            batch.push(key.clone(), "crm.contact.list", &params);
        }
        keys.push(key);
    }
    batches.push((batch, keys));
    batches
}

/// Takes the contacts out of `reply`. A failed sub-call leaves its contacts
/// out: their deals keep the contacts that loaded.
fn absorb(
    source: &str,
    keys: &[String],
    reply: &mut BatchReply,
    contacts: &mut HashMap<u64, Contact>,
) {
    for key in keys {
        match reply.take(key) {
            Outcome::Done(rows) => {
                for row in mapping::rows(Some(&rows)).unwrap_or_default() {
                    if let Some((id, contact)) = mapping::contact(row) {
                        contacts.insert(id, contact);
                    }
                }
            }
            Outcome::Failed(api) => warn!(
                source,
                sub_call = %key,
                code = %api.code,
                description = %api.description,
                "a Bitrix24 batch sub-call failed; its deals keep the contacts that loaded"
            ),
            Outcome::Missing => warn!(
                source,
                sub_call = %key,
                "the batch did not answer a contacts call; its deals keep the contacts that loaded"
            ),
        }
    }
    reply.errors.retain(|(key, api)| {
        if key.is_none() {
            warn!(
                source,
                code = %api.code,
                description = %api.description,
                "a Bitrix24 batch sub-call failed and the reply does not say which"
            );
        }
        key.is_some()
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(range: std::ops::RangeInclusive<u64>) -> BTreeSet<u64> {
        range.collect()
    }

    fn next_page() -> Vec<Command> {
        ["list", "links"]
            .into_iter()
            .map(|key| Command {
                key,
                method: "crm.deal.list",
                params: json!({"filter": {">ID": 150}, "start": -1}),
            })
            .collect()
    }

    #[test]
    fn one_call_per_fifty_ids_after_the_extra_sub_calls() {
        let plans = plan(&ids(1..=120), &next_page());
        assert_eq!(plans.len(), 1);
        let (batch, keys) = &plans[0];
        assert_eq!(batch.len(), 5);
        assert_eq!(keys, &["contacts_0", "contacts_1", "contacts_2"]);
        let body = batch.body();
        let cmd = body["cmd"]["contacts_0"].as_str().unwrap();
        assert!(
            cmd.starts_with("crm.contact.list?filter[%40ID][]=1&filter[%40ID][]=2&"),
            "{cmd}"
        );
        assert!(cmd.ends_with("select[]=ID&select[]=NAME&select[]=SECOND_NAME&select[]=LAST_NAME&select[]=PHONE&select[]=IM"), "{cmd}");
        assert!(cmd.contains("filter[%40ID][]=50&select"), "{cmd}");
        assert!(
            body["cmd"]["contacts_2"]
                .as_str()
                .unwrap()
                .starts_with("crm.contact.list?filter[%40ID][]=101&")
        );
        assert_eq!(
            body["cmd"]["list"],
            "crm.deal.list?filter[%3EID]=150&start=-1"
        );
    }

    #[test]
    fn no_ids_no_batch_not_even_for_the_extra_sub_calls() {
        assert!(plan(&BTreeSet::new(), &next_page()).is_empty());
    }

    #[test]
    fn more_contacts_than_a_batch_holds_split_into_more_batches() {
        // 48 calls fit beside the next page's two; 2,401 ids need 49.
        let plans = plan(&ids(1..=2401), &next_page());
        let sizes: Vec<(usize, usize)> = plans.iter().map(|(b, k)| (b.len(), k.len())).collect();
        assert_eq!(sizes, [(50, 48), (1, 1)]);
        assert_eq!(plans[1].1, ["contacts_48"]);
        assert!(
            plans[1].0.body()["cmd"]["contacts_48"]
                .as_str()
                .unwrap()
                .starts_with("crm.contact.list?filter[%40ID][]=2401&")
        );
        let plans = plan(&ids(1..=2400), &next_page());
        assert_eq!(plans.len(), 1);
        let plans = plan(&ids(1..=10_000), &[]);
        let sizes: Vec<usize> = plans.iter().map(|(b, _)| b.len()).collect();
        assert_eq!(sizes, [50, 50, 50, 50]);
        assert!(plans.iter().all(|(b, _)| b.len() <= MAX_COMMANDS));
    }

    #[test]
    fn a_reply_gives_the_contacts_that_came_back_and_keeps_the_rest() {
        let mut reply = BatchReply::parse(&json!({
            "result": {"contacts_0": [{"ID": "1", "NAME": "A", "PHONE": [{"VALUE": "89001234567"}]}, "odd"],
                       "list": [{"ID": "151"}]},
            "result_error": {"contacts_1": {"error": "", "error_description": "Access denied."},
                             "links": {"error": "", "error_description": "General error."}}
        }))
        .unwrap();
        let mut contacts = HashMap::new();
        let keys = ["contacts_0".to_owned(), "contacts_1".to_owned()];
        absorb("b24", &keys, &mut reply, &mut contacts);
        assert_eq!(contacts.len(), 1);
        assert_eq!(contacts[&1].phones, ["89001234567"]);
        assert_eq!(reply.take("list"), Outcome::Done(json!([{"ID": "151"}])));
        assert!(matches!(reply.take("links"), Outcome::Failed(_)));

        let mut unnamed = BatchReply::parse(&json!({
            "result": [], "result_error": [{"error": "", "error_description": "Not found"}]
        }))
        .unwrap();
        absorb("b24", &keys, &mut unnamed, &mut contacts);
        assert!(unnamed.errors.is_empty());
    }

    /// A contacts batch reply: the real contact with wrong types in it,
    /// under the keys asked for and others.
    fn contacts_reply() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let path = format!(
            "{}/testdata/crm.contact.get_response.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let contact = liner_sync_core::testing::read_json(path)["result"].clone();
        let template = json!({
            "result": {"contacts_0": [contact.clone(), {"ID": "2"}], "contacts_1": {"0": contact}, "list": []},
            "result_error": {"contacts_2": {"error": "", "error_description": "Access denied."},
                             "QUERY_LIMIT_EXCEEDED": "Too many requests"}
        });
        prop_oneof![
            3 => liner_sync_core::testing::mutated(template, crate::testing::json()),
            1 => crate::testing::json(),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_contacts_reply_gives_the_contacts_it_holds(value in contacts_reply()) {
            let Ok(mut reply) = BatchReply::parse(&value) else { return Ok(()) };
            let keys: Vec<String> = (0..3).map(|i| format!("contacts_{i}")).collect();
            let mut contacts = HashMap::new();
            absorb("b24", &keys, &mut reply, &mut contacts);
            proptest::prop_assert!(contacts.keys().all(|id| (1..=mapping::MAX_ID).contains(id)));
            for key in &keys {
                let left = reply.take(key);
                proptest::prop_assert!(!matches!(left, Outcome::Done(_)), "{} left: {:?}", key, left);
            }
            proptest::prop_assert!(reply.errors.iter().all(|(key, _)| key.is_some()));
        }
    }
}
