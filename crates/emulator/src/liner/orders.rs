//! `GET /v2/order/`: the account's orders (calling projects), paged.

use serde_json::{Value, json};

use crate::params::Param;

/// Default and largest page sizes.
const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 100;

/// One page of orders in the documented shape, or the message for a bad
/// `offset`/`limit` (empty ones take their defaults).
pub(crate) fn order_page(orders: &[(u64, String)], query: &Param) -> Result<Value, String> {
    let given = |name: &str| {
        query
            .get(name)
            .filter(|v| v.text().is_none_or(|t| !t.is_empty()))
    };
    let offset = match given("offset") {
        None => 0,
        Some(v) => v
            .integer()
            .filter(|n| *n >= 0)
            .ok_or("offset: must be a non-negative integer")?,
    };
    let limit = match given("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => v
            .integer()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or("limit: must be between 1 and 100")?,
    };
    let list: Vec<Value> = orders
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit as usize)
        .map(|(id, code)| order(*id, code))
        .collect();
    Ok(json!({ "list": list }))
}

/// An order object with the fields of the docs' example.
fn order(id: u64, code: &str) -> Value {
    json!({
        "id": id,
        "code": code,
        "serviceTitle": format!("Проект {code}"),
        "title": format!("Обзвон «{code}»"),
        "callSchedule": [["09:00", "21:00"]],
        "callHolidayOverrides": ["2027-01-01"],
        "autoDialingEnabled": true,
        "predictiveModeEnabled": false,
        "aiModeEnabled": false,
        "standaloneAiModeEnabled": false,
        "aiModePrompt": "",
        "aiModeFirstPhrase": "",
        "aiDefaultLanguage": "ru",
        "amdDetectionEnabled": false,
        "callRecordRule": "client_is_connected",
        "callCenterPhone": "+79001234567",
        "additionalCallCenterPhones": [],
        "sipEndpointUsageScheme": "random_default",
        "agentUserIds": [],
    })
}
