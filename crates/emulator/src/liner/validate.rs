//! The lead-create body checks of a strict Liner: types, formats and orders.

use serde_json::{Map, Value};

/// Optional fields that must be strings when present.
const STRING_FIELDS: &[&str] = &[
    "vkId",
    "telegramUserName",
    "telegramPhone",
    "instagramLogin",
    "name",
    "sourceComment",
    "externalIdBitrix24",
    "externalIdAmo",
    "externalIdMacro",
    "externalIdDomoplaner",
];

/// Optional fields that must be integers when present.
const INTEGER_FIELDS: &[&str] = &["priority", "utcOffset", "statusId"];

/// Checks a create body against the account's `(id, code)` orders. The
/// error names every bad field: `"phone: invalid format; orderId: …"`.
pub(crate) fn validate_lead(body: &Value, orders: &[(u64, String)]) -> Result<(), String> {
    let Some(lead) = body.as_object() else {
        return Err("body: must be a JSON object".into());
    };
    let mut problems = Vec::new();
    check_lead_type(lead, &mut problems);
    check_phone(lead, &mut problems);
    check_order(lead, orders, &mut problems);
    for field in INTEGER_FIELDS {
        if present(lead, field).is_some_and(|v| v.as_i64().is_none()) {
            problems.push(format!("{field}: must be an integer"));
        }
    }
    if let Some(offset) = present(lead, "utcOffset").and_then(Value::as_i64)
        && !(-12..=14).contains(&offset)
    {
        problems.push("utcOffset: must be between -12 and 14".into());
    }
    for field in STRING_FIELDS {
        if present(lead, field).is_some_and(|v| !v.is_string()) {
            problems.push(format!("{field}: must be a string"));
        }
    }
    if present(lead, "customValues").is_some_and(|v| !v.is_object()) {
        problems.push("customValues: must be an object".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// A field's value unless it is absent or `null` (Liner's "not set").
fn present<'a>(lead: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    lead.get(field).filter(|v| !v.is_null())
}

fn check_lead_type(lead: &Map<String, Value>, problems: &mut Vec<String>) {
    match present(lead, "leadType") {
        None => problems.push("leadType: required".into()),
        Some(Value::String(t)) if t == "straight" || t == "selection" => {}
        Some(_) => problems.push("leadType: must be one of straight, selection".into()),
    }
}

fn check_phone(lead: &Map<String, Value>, problems: &mut Vec<String>) {
    match present(lead, "phone") {
        None => problems.push("phone: required".into()),
        Some(Value::String(phone)) if phone.is_empty() => problems.push("phone: required".into()),
        Some(Value::String(phone)) if !is_e164(phone) => {
            problems.push("phone: invalid format".into())
        }
        Some(Value::String(_)) => {}
        Some(_) => problems.push("phone: must be a string".into()),
    }
}

/// `^\+?[1-9][0-9]{9,14}$`.
fn is_e164(phone: &str) -> bool {
    let digits = phone.strip_prefix('+').unwrap_or(phone);
    (10..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

fn check_order(lead: &Map<String, Value>, orders: &[(u64, String)], problems: &mut Vec<String>) {
    let id = match present(lead, "orderId") {
        None => None,
        Some(v) => match v.as_u64().filter(|id| *id > 0) {
            Some(id) => Some(id),
            None => {
                problems.push("orderId: must be a positive integer".into());
                return;
            }
        },
    };
    let code = match present(lead, "orderCode") {
        None => None,
        Some(Value::String(code)) if !code.is_empty() => Some(code.as_str()),
        Some(_) => {
            problems.push("orderCode: must be a non-empty string".into());
            return;
        }
    };
    let by_id = id.map(|id| orders.iter().find(|(order, _)| *order == id));
    let by_code = code.map(|code| orders.iter().find(|(_, c)| c == code));
    match (id, code) {
        (None, None) => problems.push("orderId: orderId or orderCode is required".into()),
        _ => {
            if let (Some(id), Some(None)) = (id, by_id) {
                problems.push(format!("orderId: order {id} not found"));
            }
            if let (Some(code), Some(None)) = (code, by_code) {
                problems.push(format!("orderCode: order \"{code}\" not found"));
            }
            if let (Some(Some(a)), Some(Some(b))) = (by_id, by_code)
                && a.0 != b.0
            {
                problems.push(format!("orderCode: does not belong to order {}", a.0));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn orders() -> Vec<(u64, String)> {
        vec![(101, "main".into()), (102, "spb".into())]
    }

    #[test]
    fn e164() {
        for ok in ["79001234567", "+79001234567", "4915112345678", "1234567890"] {
            assert!(is_e164(ok), "{ok}");
        }
        for bad in [
            "8 900 123 45 67",
            "+7900",
            "07900123456",
            "+",
            "",
            "7900123456789012",
            "79OO1234567",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
    }

    #[test]
    fn order_rules() {
        let check = |body: Value| validate_lead(&body, &orders());
        let base = |extra: Value| {
            let mut b = json!({"leadType": "straight", "phone": "79001234567"});
            b.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            b
        };
        assert!(check(base(json!({"orderId": 101}))).is_ok());
        assert!(check(base(json!({"orderCode": "spb"}))).is_ok());
        assert!(check(base(json!({"orderId": 102, "orderCode": "spb"}))).is_ok());
        assert!(check(base(json!({}))).unwrap_err().contains("orderId"));
        assert!(
            check(base(json!({"orderId": 999})))
                .unwrap_err()
                .contains("orderId")
        );
        assert!(
            check(base(json!({"orderId": "101"})))
                .unwrap_err()
                .contains("orderId")
        );
        assert!(
            check(base(json!({"orderCode": "msk"})))
                .unwrap_err()
                .contains("orderCode")
        );
        assert!(
            check(base(json!({"orderId": 101, "orderCode": "spb"})))
                .unwrap_err()
                .contains("orderCode")
        );
    }
}
