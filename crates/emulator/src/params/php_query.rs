//! PHP's `parse_str`: `filter[>ID]=5&select[]=ID&order[ID]=ASC` into a tree.

use super::percent::decode_component;
use super::value::Param;

/// PHP's `max_input_vars`: pairs beyond it are dropped.
const MAX_PAIRS: usize = 1000;
/// PHP's `max_input_nesting_level`: deeper keys are dropped.
const MAX_DEPTH: usize = 64;

/// Parses a query string or form body the way PHP fills `$_GET`/`$_POST`.
/// Every value is `Text`; every array is a `Map` (`[]` appends at the next
/// integer key).
pub(crate) fn parse_php_query(query: &str) -> Param {
    let mut root = Param::empty_map();
    for pair in query.split('&').filter(|p| !p.is_empty()).take(MAX_PAIRS) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode_component(raw_key);
        let Some(path) = key_path(&key) else { continue };
        if path.len() > MAX_DEPTH + 1 {
            continue;
        }
        insert(&mut root, &path, Param::Text(decode_component(raw_value)));
    }
    root
}

/// `a[b][]` → `[Some("a"), Some("b"), None]`; `None` for a nameless key.
fn key_path(key: &str) -> Option<Vec<Option<String>>> {
    let (base, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if base.is_empty() {
        return None;
    }
    let mut path = vec![Some(base.to_owned())];
    while let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            if path.len() == 1 {
                // PHP turns an unclosed bracket into part of the name.
                path[0] = Some(format!("{base}_{inner}"));
            }
            break;
        };
        let segment = &inner[..close];
        path.push((!segment.is_empty()).then(|| segment.to_owned()));
        rest = &inner[close + 1..];
    }
    Some(path)
}

fn insert(node: &mut Param, path: &[Option<String>], value: Param) {
    let Some((first, rest)) = path.split_first() else {
        *node = value;
        return;
    };
    if !matches!(node, Param::Map(_)) {
        *node = Param::empty_map();
    }
    let Param::Map(entries) = node else { return };
    let key = match first {
        Some(key) => key.clone(),
        None => next_index(entries).to_string(),
    };
    let slot = match entries.iter().position(|(k, _)| *k == key) {
        Some(i) => &mut entries[i].1,
        None => {
            entries.push((key, Param::Null));
            let last = entries.len() - 1;
            &mut entries[last].1
        }
    };
    insert(slot, rest, value);
}

fn next_index(entries: &[(String, Param)]) -> u64 {
    entries
        .iter()
        .filter_map(|(k, _)| k.parse::<u64>().ok())
        .max()
        .map_or(0, |max| max + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(s: &str) -> Param {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn bracket_syntax_builds_the_json_shape() {
        let p =
            parse_php_query("filter[%3EID]=5&select[]=ID&select[]=TITLE&order[ID]=ASC&start=-1");
        assert_eq!(
            p,
            json(
                r#"{"filter":{">ID":"5"},"select":{"0":"ID","1":"TITLE"},"order":{"ID":"ASC"},"start":"-1"}"#
            )
        );
        assert_eq!(p.get("select").unwrap().items().unwrap().len(), 2);
    }

    #[test]
    fn raw_brackets_and_nested_lists() {
        let p = parse_php_query(
            "filter[@ID][]=1&filter[@ID][]=2&filter[%3E%3DDATE_CREATE]=2026-01-01+10:00:00",
        );
        let ids = p
            .get("filter")
            .unwrap()
            .get("@ID")
            .unwrap()
            .items()
            .unwrap();
        assert_eq!(ids, [&Param::Text("1".into()), &Param::Text("2".into())]);
        assert_eq!(
            p.get("filter")
                .unwrap()
                .get(">=DATE_CREATE")
                .unwrap()
                .text()
                .unwrap(),
            "2026-01-01 10:00:00"
        );
    }

    #[test]
    fn odd_input_does_not_panic() {
        for q in [
            "",
            "&&",
            "=",
            "[a]=1",
            "a[=1",
            "a]=1",
            "a[b]c=1",
            "a=%",
            "a[]=1&a[5]=2&a[]=3",
            "a=1&a[b]=2",
        ] {
            let _ = parse_php_query(q);
        }
        assert_eq!(parse_php_query("a[=1"), json(r#"{"a_":"1"}"#));
        assert_eq!(
            parse_php_query("a[]=1&a[5]=2&a[]=3"),
            json(r#"{"a":{"0":"1","5":"2","6":"3"}}"#)
        );
    }

    #[test]
    fn an_unencoded_equals_sign_in_a_key_splits_there_as_in_php() {
        assert_eq!(
            parse_php_query("filter[>=ID]=5"),
            json(r#"{"filter_>":"ID]=5"}"#)
        );
    }

    #[test]
    fn absurd_depth_is_dropped() {
        let deep = format!("a{}=1", "[x]".repeat(100));
        assert_eq!(parse_php_query(&deep), Param::empty_map());
    }
}
