//! `crm.deal.list` as the source pages it: the request for the page after an
//! id, and the rows of its reply.

use crate::cursor::Position;
use crate::error::TARGET;
use crate::mapping;
use chrono::{DateTime, SecondsFormat, Utc};
use liner_sync_core::{Error, Result};
use serde_json::{Value, json};
use tracing::warn;

/// The method.
pub(crate) const METHOD: &str = "crm.deal.list";

/// Rows per `crm.deal.list` page; fixed by Bitrix24.
pub(crate) const PAGE_SIZE: usize = 50;

/// The deal fields read; `UF_*` adds the custom fields.
const DEAL_SELECT: [&str; 15] = [
    "ID",
    "TITLE",
    "DATE_CREATE",
    "CATEGORY_ID",
    "STAGE_ID",
    "CONTACT_ID",
    "SOURCE_ID",
    "ASSIGNED_BY_ID",
    "COMMENTS",
    "UTM_SOURCE",
    "UTM_MEDIUM",
    "UTM_CAMPAIGN",
    "UTM_CONTENT",
    "UTM_TERM",
    "UF_*",
];

/// How far back the server-side date filter reaches before the start date.
/// The filter's time zone handling is undocumented, so it only narrows the
/// read; the exact comparison happens here, on `DATE_CREATE` with its offset.
const DATE_FILTER_SLACK: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// The parameters of the page of deals with ids above `after`, created
/// before `until` when the pass has an end.
pub(crate) fn params(after: u64, position: &Position, until: Option<DateTime<Utc>>) -> Value {
    let mut filter = json!({">ID": after});
    if let Some(from) = server_date_from(position) {
        filter[">=DATE_CREATE"] = json!(from);
    }
    if let Some(until) = server_date_until(until) {
        filter["<DATE_CREATE"] = json!(until);
    }
    json!({
        "order": {"ID": "ASC"},
        "filter": filter,
        "select": DEAL_SELECT,
        "start": -1,
    })
}

/// The creation date the server-side filter starts at, while the position
/// still needs one: [`DATE_FILTER_SLACK`] before the start date.
pub(crate) fn server_date_from(position: &Position) -> Option<String> {
    position
        .date_filter()
        .map(|from| (from - DATE_FILTER_SLACK).to_rfc3339_opts(SecondsFormat::Secs, false))
}

/// The creation date the server-side filter ends at for a pass that ends at
/// `until`: [`DATE_FILTER_SLACK`] after it (the exact cut is made here).
pub(crate) fn server_date_until(until: Option<DateTime<Utc>>) -> Option<String> {
    until.map(|until| (until + DATE_FILTER_SLACK).to_rfc3339_opts(SecondsFormat::Secs, false))
}

/// The rows of a `crm.deal.list` result with their ids, sorted by id, and
/// how many rows came (the stop rule counts those). Rows without a usable id
/// are logged and left out.
pub(crate) fn rows_with_ids(source: &str, result: &Value) -> Result<(usize, Vec<(u64, Value)>)> {
    let rows = mapping::rows(Some(result)).ok_or_else(|| {
        Error::invalid_data("crm.deal.list: result is not a list").with_target(TARGET)
    })?;
    let count = rows.len();
    let mut with_ids: Vec<(u64, Value)> = rows
        .into_iter()
        .filter_map(|row| match mapping::row_id(row) {
            Some(id) => Some((id, row.clone())),
            None => {
                let id = row.get("ID").map(Value::to_string).unwrap_or_default();
                warn!(source, id = %id.chars().take(40).collect::<String>(), "skipping a deal row without a usable ID");
                None
            }
        })
        .collect();
    with_ids.sort_by_key(|(id, _)| *id);
    with_ids.dedup_by_key(|(id, _)| *id);
    Ok((count, with_ids))
}
