//! `$result[key][0][ID]` references to earlier sub-call results.

use serde_json::Value;

use crate::params::encode_component;

const MARKER: &str = "$result[";

/// Replaces every `$result[key][…]` in `query` with the referenced value of
/// an earlier result, URL-encoded; a reference that leads nowhere becomes
/// empty, as PHP's lookup of a missing index would.
pub(super) fn substitute(query: &str, results: &[(String, Value)]) -> String {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    while let Some(at) = rest.find(MARKER) {
        out.push_str(&rest[..at]);
        let (path, after) = bracket_path(&rest[at + MARKER.len() - 1..]);
        out.push_str(&encode_component(&resolve(&path, results)));
        rest = after;
    }
    out.push_str(rest);
    out
}

/// `[a][0][ID]tail` → (`["a", "0", "ID"]`, `tail`).
fn bracket_path(mut text: &str) -> (Vec<&str>, &str) {
    let mut path = Vec::new();
    while let Some(inner) = text.strip_prefix('[') {
        let Some(close) = inner.find(']') else { break };
        path.push(&inner[..close]);
        text = &inner[close + 1..];
    }
    (path, text)
}

fn resolve(path: &[&str], results: &[(String, Value)]) -> String {
    let Some((key, fields)) = path.split_first() else {
        return String::new();
    };
    let Some(mut value) = results.iter().find(|(k, _)| k == key).map(|(_, v)| v) else {
        return String::new();
    };
    for field in fields {
        let next = match value {
            Value::Array(items) => field.parse::<usize>().ok().and_then(|i| items.get(i)),
            Value::Object(map) => map.get(*field),
            _ => None,
        };
        match next {
            Some(found) => value = found,
            None => return String::new(),
        }
    }
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(true) => "1".into(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fills_in_earlier_results() {
        let results = vec![(
            "page_0".to_owned(),
            json!([{"ID": "7"}, {"ID": "49", "CONTACT_ID": "55"}]),
        )];
        assert_eq!(
            substitute("filter[>ID]=$result[page_0][1][ID]&start=-1", &results),
            "filter[>ID]=49&start=-1"
        );
        assert_eq!(
            substitute("id=$result[page_0][1][CONTACT_ID]", &results),
            "id=55"
        );
        assert_eq!(substitute("id=$result[nope][0][ID]", &results), "id=");
        assert_eq!(substitute("id=$result[page_0][9][ID]", &results), "id=");
        assert_eq!(substitute("id=$result[", &results), "id=[");
        assert_eq!(substitute("plain=1", &results), "plain=1");
    }
}
