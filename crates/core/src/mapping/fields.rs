//! Resolving a deal field reference (`title`, `UF_CRM_…`, `/RAW/POINTER`) to a value.

use crate::Deal;
use serde_json::Value;

/// Names a mapping rule can use besides CRM custom field keys and JSON pointers.
pub const WELL_KNOWN_FIELDS: &[&str] = &[
    "id",
    "title",
    "created_at",
    "pipeline",
    "stage",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "contact_name",
];

/// The value `reference` names in `deal`, if it has one.
///
/// A reference is a well-known name (see [`WELL_KNOWN_FIELDS`]), a custom field
/// key (`UF_CRM_1721244482250`), or a JSON pointer into the raw deal
/// (`/UF_CRM_5/0`).
pub fn resolve(deal: &Deal, reference: &str) -> Option<Value> {
    let text = |v: &Option<String>| v.as_ref().map(|s| Value::String(s.clone()));
    let found = match reference {
        "id" => Some(Value::String(deal.id.clone())),
        "title" => text(&deal.title),
        "created_at" => Some(Value::String(deal.created_at.to_rfc3339())),
        "pipeline" => text(&deal.pipeline_id),
        "stage" => text(&deal.stage_id),
        "utm_source" => text(&deal.utm.source),
        "utm_medium" => text(&deal.utm.medium),
        "utm_campaign" => text(&deal.utm.campaign),
        "utm_content" => text(&deal.utm.content),
        "utm_term" => text(&deal.utm.term),
        "contact_name" => deal
            .contacts
            .iter()
            .find_map(|c| c.name.clone())
            .map(Value::String),
        pointer if pointer.starts_with('/') => deal.raw.pointer(pointer).cloned(),
        key => deal.custom_fields.get(key).cloned(),
    };
    found.filter(|v| !is_empty(v))
}

/// `value` as text for templates and comparisons: strings as they are,
/// arrays joined with ", ", other scalars in JSON form.
pub fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(as_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// Fills `{reference}` placeholders in `template` from `deal`; unknown or empty
/// references become empty text. `{{` and `}}` stand for literal braces.
pub fn render(template: &str, deal: &Deal) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
        } else if let Some(close) = tail.strip_prefix('{').and_then(|t| t.find('}')) {
            let reference = tail[1..=close].trim();
            if let Some(value) = resolve(deal, reference) {
                out.push_str(&as_text(&value));
            }
            rest = &tail[close + 2..];
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out.trim().to_owned()
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn deal() -> Deal {
        let mut d = Deal::new(
            "410",
            chrono::Utc
                .with_ymd_and_hms(2024, 8, 30, 12, 29, 0)
                .unwrap(),
        );
        d.title = Some("New Deal #1".into());
        d.utm.source = Some("google".into());
        d.custom_fields.insert("UF_CRM_1".into(), json!("Hello"));
        d.custom_fields.insert("UF_CRM_EMPTY".into(), json!(""));
        d.raw = json!({"ID": "410", "UF_CRM_LIST": ["a", "b"]});
        d
    }

    #[test]
    fn resolves_names_custom_fields_and_pointers() {
        let d = deal();
        assert_eq!(resolve(&d, "id"), Some(json!("410")));
        assert_eq!(resolve(&d, "utm_source"), Some(json!("google")));
        assert_eq!(resolve(&d, "UF_CRM_1"), Some(json!("Hello")));
        assert_eq!(resolve(&d, "/UF_CRM_LIST/1"), Some(json!("b")));
        assert_eq!(resolve(&d, "UF_CRM_EMPTY"), None);
        assert_eq!(resolve(&d, "UF_CRM_MISSING"), None);
        assert_eq!(resolve(&d, "stage"), None);
    }

    #[test]
    fn renders_templates() {
        let d = deal();
        assert_eq!(
            render("Сделка {id}: {title}", &d),
            "Сделка 410: New Deal #1"
        );
        assert_eq!(render("{stage}|{ /UF_CRM_LIST }", &d), "|a, b");
        assert_eq!(render("{{literal}} {id", &d), "{literal} {id");
    }
}
