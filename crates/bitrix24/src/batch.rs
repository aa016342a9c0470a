//! `batch` requests: up to 50 sub-calls in one HTTP request, each written as
//! a `method?query` string in PHP `http_build_query` style, and the reply
//! split back per sub-call.

use crate::error::ApiError;
use serde_json::{Map, Value, json};

/// Sub-calls one `batch` may hold; more fail with `ERROR_BATCH_LENGTH_EXCEEDED`.
pub(crate) const MAX_COMMANDS: usize = 50;

/// The `cmd` map of one `batch` request. Keys are never numeric: with numeric
/// keys Bitrix24 may report errors as a list that names no sub-call.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    cmd: Map<String, Value>,
}

impl Batch {
    /// Adds a sub-call; `false` when the batch is already full.
    pub fn push(&mut self, key: String, method: &str, params: &Value) -> bool {
        if self.cmd.len() >= MAX_COMMANDS {
            return false;
        }
        debug_assert!(key.bytes().any(|b| b.is_ascii_alphabetic()), "{key}");
        self.cmd.insert(key, Value::String(command(method, params)));
        true
    }

    /// Adds a sub-call another part of the source built; `false` when the
    /// batch is already full.
    pub fn push_command(&mut self, command: &Command) -> bool {
        self.push(command.key.to_owned(), command.method, &command.params)
    }

    /// Sub-calls so far.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.cmd.len()
    }

    /// The JSON body: `{"halt": 0, "cmd": {...}}`.
    pub fn body(&self) -> Value {
        json!({"halt": 0, "cmd": self.cmd})
    }
}

/// One sub-call to send along with a batch another part of the source builds.
#[derive(Debug, Clone)]
pub(crate) struct Command {
    /// Its key in `cmd`; never numeric.
    pub key: &'static str,
    /// The REST method.
    pub method: &'static str,
    /// The method's parameters.
    pub params: Value,
}

/// What one sub-call of a batch got back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// Its `result`.
    Done(Value),
    /// The error Bitrix24 reported for it by its key.
    Failed(ApiError),
    /// Neither a result nor an error under its key.
    Missing,
}

/// `method?key=value&…` with `params` flattened the way PHP's
/// `http_build_query` does (`filter[>=DATE_CREATE]=…`, `select[]=ID`), keys and
/// values percent-encoded as PHP's `urlencode` does.
pub(crate) fn command(method: &str, params: &Value) -> String {
    let mut pairs = Vec::new();
    if let Value::Object(map) = params {
        for (key, value) in map {
            flatten(encode(key), value, &mut pairs);
        }
    }
    if pairs.is_empty() {
        method.to_owned()
    } else {
        format!("{method}?{}", pairs.join("&"))
    }
}

fn flatten(key: String, value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push(format!("{key}={}", u8::from(*b))),
        Value::Number(n) => out.push(format!("{key}={}", encode(&n.to_string()))),
        Value::String(s) => out.push(format!("{key}={}", encode(s))),
        Value::Object(map) => {
            for (sub, value) in map {
                flatten(format!("{key}[{}]", encode(sub)), value, out);
            }
        }
        Value::Array(items) => {
            let scalars = items.iter().all(|v| !v.is_array() && !v.is_object());
            for (i, item) in items.iter().enumerate() {
                // `[]` reads back in order for scalars; nested lists need an
                // index so their members stay together.
                let sub = if scalars {
                    String::new()
                } else {
                    i.to_string()
                };
                flatten(format!("{key}[{sub}]"), item, out);
            }
        }
    }
}

/// PHP `urlencode`: letters, digits and `-_.` stay, a space becomes `+`,
/// every other byte of the UTF-8 text becomes `%XX`.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A `batch` reply split per sub-call.
#[derive(Debug, Default)]
pub(crate) struct BatchReply {
    /// Each sub-call's `result`, by key.
    pub results: Map<String, Value>,
    /// Failed sub-calls: the key when Bitrix24 named it, and the error.
    pub errors: Vec<(Option<String>, ApiError)>,
}

impl BatchReply {
    /// Reads the outer `result` of a `batch` reply. Empty sections arrive as
    /// `[]` instead of `{}`.
    pub fn parse(result: &Value) -> Result<Self, String> {
        let outer = match result {
            Value::Object(outer) => outer,
            Value::Array(items) if items.is_empty() => return Ok(Self::default()),
            other => return Err(format!("batch result is {}, not an object", kind(other))),
        };
        let results = match outer.get("result") {
            Some(Value::Object(map)) => map.clone(),
            Some(Value::Array(items)) if items.is_empty() => Map::new(),
            None | Some(Value::Null) => Map::new(),
            Some(other) => {
                return Err(format!(
                    "batch result.result is {}, not an object",
                    kind(other)
                ));
            }
        };
        let errors = match outer.get("result_error") {
            Some(Value::Object(map)) => {
                map.iter().map(|(key, e)| sub_error(Some(key), e)).collect()
            }
            Some(Value::Array(items)) => items.iter().map(|e| sub_error(None, e)).collect(),
            _ => Vec::new(),
        };
        Ok(Self { results, errors })
    }

    /// Takes one sub-call's result or error out of the reply.
    pub fn take(&mut self, key: &str) -> Outcome {
        if let Some(result) = self.results.remove(key) {
            return Outcome::Done(result);
        }
        match self
            .errors
            .iter()
            .position(|(k, _)| k.as_deref() == Some(key))
        {
            Some(i) => Outcome::Failed(self.errors.remove(i).1),
            None => Outcome::Missing,
        }
    }
}

/// One entry of `result_error`: normally `{"error", "error_description"}`,
/// sometimes just a text under the error code.
fn sub_error(key: Option<&String>, value: &Value) -> (Option<String>, ApiError) {
    if let Some(api) = ApiError::from_json(value) {
        return (key.cloned(), api);
    }
    let description = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    // Our keys are lowercase; an uppercase key is Bitrix24's error code.
    match key {
        Some(code) if code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') => {
            let api = ApiError {
                code: code.clone(),
                description,
            };
            (None, api)
        }
        key => (
            key.cloned(),
            ApiError {
                code: String::new(),
                description,
            },
        ),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> Value {
        let path = format!("{}/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn commands_are_php_query_strings() {
        let cases = [
            (json!({}), "crm.deal.list"),
            (json!({"id": 410}), "crm.deal.list?id=410"),
            (
                json!({"filter": {"@ID": [1, 2, 3]}, "select": ["ID", "PHONE"]}),
                "crm.deal.list?filter[%40ID][]=1&filter[%40ID][]=2&filter[%40ID][]=3&select[]=ID&select[]=PHONE",
            ),
            (
                json!({"filter": {">=DATE_CREATE": "2026-11-01T00:00:00+03:00"}}),
                "crm.deal.list?filter[%3E%3DDATE_CREATE]=2026-11-01T00%3A00%3A00%2B03%3A00",
            ),
            (
                json!({"filter": {"TITLE": "Квартира у моря & дом"}}),
                "crm.deal.list?filter[TITLE]=%D0%9A%D0%B2%D0%B0%D1%80%D1%82%D0%B8%D1%80%D0%B0+%D1%83+%D0%BC%D0%BE%D1%80%D1%8F+%26+%D0%B4%D0%BE%D0%BC",
            ),
            (
                json!({"start": -1, "flag": true, "off": false, "none": null}),
                "crm.deal.list?flag=1&off=0&start=-1",
            ),
            (
                json!({"order": {"ID": "ASC"}}),
                "crm.deal.list?order[ID]=ASC",
            ),
            (
                json!({"a": [[1, 2], {"b": "c"}]}),
                "crm.deal.list?a[0][]=1&a[0][]=2&a[1][b]=c",
            ),
            (
                json!({"k=v&x": "a=b&c#d"}),
                "crm.deal.list?k%3Dv%26x=a%3Db%26c%23d",
            ),
            (json!(["not", "an", "object"]), "crm.deal.list"),
        ];
        for (params, want) in cases {
            assert_eq!(command("crm.deal.list", &params), want, "{params}");
        }
    }

    #[test]
    fn a_batch_holds_at_most_fifty_commands() {
        let mut batch = Batch::default();
        for i in 0..MAX_COMMANDS {
            assert!(batch.push(
                format!("contacts_{i}"),
                "crm.contact.list",
                &json!({"filter": {"@ID": [i]}})
            ));
        }
        assert!(!batch.push("one_more".into(), "scope", &json!({})));
        assert_eq!(batch.len(), MAX_COMMANDS);
        let body = batch.body();
        assert_eq!(body["halt"], 0);
        assert_eq!(
            body["cmd"]["contacts_7"],
            "crm.contact.list?filter[%40ID][]=7"
        );
    }

    #[test]
    fn reads_the_real_list_batch() {
        let reply =
            BatchReply::parse(&sample("batch_response_list_pages_real_trimmed.json")["result"])
                .unwrap();
        assert_eq!(reply.results.len(), 3);
        assert_eq!(reply.results["cmd1"][0]["ID"], "1657");
        assert!(reply.errors.is_empty(), "result_error: [] is no error");
    }

    #[test]
    fn reads_sub_call_errors_in_every_shape() {
        let reply =
            BatchReply::parse(&sample("batch_response_OPERATION_TIME_LIMIT_real.json")["result"])
                .unwrap();
        assert!(reply.results.is_empty());
        assert_eq!(reply.errors.len(), 1);
        assert_eq!(reply.errors[0].1.code, "OPERATION_TIME_LIMIT");

        let listed = json!({"result": [], "result_error": [{"error": "", "error_description": "Not found"}]});
        let reply = BatchReply::parse(&listed).unwrap();
        assert_eq!(
            reply.errors,
            vec![(
                None,
                ApiError {
                    code: String::new(),
                    description: "Not found".into()
                }
            )]
        );

        let by_code = json!({"result": {}, "result_error": {"OPERATION_TIME_LIMIT": "Method is blocked due to operation time limit."}});
        let reply = BatchReply::parse(&by_code).unwrap();
        assert_eq!(reply.errors[0].0, None);
        assert_eq!(reply.errors[0].1.code, "OPERATION_TIME_LIMIT");

        assert!(BatchReply::parse(&json!([])).unwrap().results.is_empty());
        assert!(BatchReply::parse(&json!("x")).is_err());
        assert!(BatchReply::parse(&json!({"result": 5})).is_err());
    }

    #[test]
    fn one_sub_call_is_taken_out_of_a_reply() {
        let mut reply = BatchReply::parse(&json!({
            "result": {"a": [1], "b": []},
            "result_error": {"c": {"error": "", "error_description": "General error."}}
        }))
        .unwrap();
        assert_eq!(reply.take("a"), Outcome::Done(json!([1])));
        assert_eq!(reply.take("a"), Outcome::Missing, "taken once");
        assert_eq!(
            reply.take("c"),
            Outcome::Failed(ApiError {
                code: String::new(),
                description: "General error.".into()
            })
        );
        assert_eq!(reply.take("d"), Outcome::Missing);
        assert!(reply.errors.is_empty());
        assert_eq!(reply.results.len(), 1, "b stays for its reader");
    }

    proptest::proptest! {
        #[test]
        fn encoding_is_php_urlencode_and_reversible(text in ".{0,40}") {
            let encoded = encode(&text);
            proptest::prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.+%".contains(&b)));
            let mut bytes = Vec::new();
            let mut rest = encoded.as_bytes();
            while let Some((&b, tail)) = rest.split_first() {
                match b {
                    b'+' => { bytes.push(b' '); rest = tail; }
                    b'%' => {
                        let hex = std::str::from_utf8(&tail[..2]).unwrap();
                        bytes.push(u8::from_str_radix(hex, 16).unwrap());
                        rest = &tail[2..];
                    }
                    _ => { bytes.push(b); rest = tail; }
                }
            }
            proptest::prop_assert_eq!(String::from_utf8(bytes).unwrap(), text);
        }

        #[test]
        fn any_reply_or_params_are_handled_without_panicking(value in crate::testing::json()) {
            let _ = command("crm.deal.list", &value);
            let _ = BatchReply::parse(&value);
        }
    }
}
