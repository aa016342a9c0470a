//! The `cmd` map of a batch: `{key: "method?query"}`.

use crate::bitrix24::methods::method_name;
use crate::params::Param;

/// One sub-call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Command {
    /// The key its result is filed under.
    pub key: String,
    /// The method, lower-case, without `.json`.
    pub method: String,
    /// The raw query string, before `$result` references are filled in.
    pub query: String,
}

/// The commands in the order they were sent; `cmd` as a list gets keys
/// `0`, `1`, … as PHP would give it.
pub(super) fn read_commands(cmd: Option<&Param>) -> Vec<Command> {
    let entries = cmd.and_then(Param::entries).unwrap_or_default();
    entries
        .into_iter()
        .map(|(key, value)| {
            let text = value.text().unwrap_or_default();
            let (method, query) = text.split_once('?').unwrap_or((&text, ""));
            Command {
                key,
                method: method_name(method),
                query: query.to_owned(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_keys_methods_and_queries_in_order() {
        let p: Param = serde_json::from_str(
            r#"{"cmd":{"d_2":"crm.deal.list?start=-1&filter[>ID]=5","a":"SCOPE.json","x":["odd"]}}"#,
        )
        .unwrap();
        let c = read_commands(p.get("cmd"));
        assert_eq!(c.len(), 3);
        assert_eq!(
            (c[0].key.as_str(), c[0].method.as_str()),
            ("d_2", "crm.deal.list")
        );
        assert_eq!(c[0].query, "start=-1&filter[>ID]=5");
        assert_eq!((c[1].method.as_str(), c[1].query.as_str()), ("scope", ""));
        assert_eq!(c[2].method, "");
    }
}
