use super::*;
use liner_sync_core::config::Rate;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;

const GOOD: &str = "\
liner:
  base_url: https://liner.example.com
  api_key: ${PATH}
  mode: sync
  rate_limit: 10/s
  timeout: 20s
state:
  path: /var/lib/liner-sync/state.db
defaults:
  lead_type: straight
  order_id: 101
  order_code: main
  utc_offset: 3
sources:
  - name: b24
    kind: bitrix24
    webhook_url: https://portal.bitrix24.ru/rest/1/abc/
    start_from: 2026-11-01T00:00:00+03:00
    lead: { order_id: 102, order_code: spb }
    routes:
      - when: { pipeline: ['1', '2'] }
        lead: { order_id: 103 }
";

// `${PATH}` stands in for a secret from the environment: it is always set,
// so the tests need not change the environment of a multi-threaded process.

fn error(text: &str) -> ConfigFileError {
    load_str("sync.yaml", text).unwrap_err()
}

#[test]
fn a_realistic_config_loads() {
    let c = load_str("sync.yaml", GOOD).unwrap();
    assert_eq!(c.liner.api_key.expose(), std::env::var("PATH").unwrap());
    assert_eq!(c.liner.rate_limit.to_string(), "10/s");
    assert_eq!(c.sources.len(), 1);
    let s = &c.sources[0];
    assert_eq!((s.name.as_str(), s.kind.as_str()), ("b24", "bitrix24"));
    assert_eq!(s.lead.order_id, Some(102));
    assert_eq!(s.routes.len(), 1);
    assert_eq!(
        s.start_from.unwrap().to_rfc3339(),
        "2026-10-31T21:00:00+00:00"
    );
    let webhook: serde_json::Value = s
        .settings
        .deserialize::<std::collections::BTreeMap<String, serde_json::Value>>()
        .unwrap()["webhook_url"]
        .clone();
    assert_eq!(webhook, "https://portal.bitrix24.ru/rest/1/abc/");
}

#[test]
fn unknown_keys_and_bad_values_name_their_line() {
    let e = error(&GOOD.replace("  timeout: 20s", "  timeout: 20s\n  speed: fast"));
    assert!(
        e.one_line()
            .starts_with("sync.yaml:7:3: unknown field `speed`"),
        "{e}"
    );

    let e = error(&GOOD.replace("rate_limit: 10/s", "rate_limit: fast"));
    assert!(e.one_line().starts_with("sync.yaml:5:"), "{e}");
    assert!(e.one_line().contains("'fast' is not a rate"), "{e}");

    let e = error(&GOOD.replace("order_id: 101", "order_id: many"));
    assert!(e.one_line().starts_with("sync.yaml:11:"), "{e}");
    assert!(
        e.to_string().contains("order_id: many"),
        "the snippet shows the line: {e}"
    );
}

#[test]
fn a_missing_variable_is_named() {
    let text = GOOD.replace("${PATH}", "${LINER_SYNC_TEST_MISSING_VAR}");
    let e = error(&text);
    assert!(
        e.one_line()
            .contains("LINER_SYNC_TEST_MISSING_VAR is not set"),
        "{e}"
    );
    assert!(e.one_line().starts_with("sync.yaml:3:"), "{e}");
}

#[test]
fn sources_are_checked() {
    let e = error(&GOOD.replace("kind: bitrix24", "kind: salesforce"));
    assert!(
        e.one_line()
            .contains("unknown kind 'salesforce'; known kinds: bitrix24, amocrm"),
        "{e}"
    );
    assert!(e.one_line().starts_with("sync.yaml:16:5:"), "{e}");

    let twice = format!("{GOOD}  - name: b24\n    kind: bitrix24\n    webhook_url: x\n");
    assert!(
        error(&twice)
            .one_line()
            .contains("two sources are named 'b24'")
    );

    let e = error(&GOOD.replace("name: b24", "name: 'b 24'"));
    assert!(e.one_line().contains("must be letters, digits"), "{e}");

    let e = error(&GOOD.replace(
        "start_from: 2026-11-01T00:00:00+03:00",
        "start_from: last week",
    ));
    assert!(
        e.one_line().contains("'last week' is not a date-time"),
        "{e}"
    );

    let none = GOOD.split("sources:").next().unwrap().to_owned() + "sources: []\n";
    assert!(error(&none).one_line().contains("sources: is empty"));
}

#[test]
fn connector_keys_keep_their_exact_place() {
    let c = load_str(
        "sync.yaml",
        &GOOD.replace("    start_from", "    bogus: 1\n    start_from"),
    )
    .unwrap();
    let settings = &c.sources[0].settings;
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Only {
        webhook_url: String,
    }
    let e = settings.deserialize::<Only>().unwrap_err();
    assert_eq!(e.location.map(|l| (l.line, l.column)), Some((18, 5)), "{e}");
}

#[test]
fn liner_block_is_validated() {
    let e = error(&GOOD.replace(
        "https://liner.example.com",
        "https://liner.example.com/v2/lead/create/",
    ));
    assert!(e.one_line().contains("should be the host only"), "{e}");
}

#[test]
fn an_unquoted_off_turns_rate_limits_off_in_the_liner_block_and_in_a_source() {
    let text = GOOD
        .replace("  rate_limit: 10/s", "  rate_limit: off")
        .replace("    start_from", "    rate_limit: off\n    start_from");
    let c = load_str("sync.yaml", &text).unwrap();
    assert_eq!(c.liner.rate_limit, Rate::Unlimited);
    let b24 = liner_sync_bitrix24::Bitrix24Config::from_settings(&c.sources[0].settings).unwrap();
    assert_eq!(b24.rate_limit, Rate::Unlimited);
}

/// YAML-ish text: anything, or the tokens YAML and the loader react to in
/// any order (indentation, lists, flow collections, anchors, tags, quotes,
/// `${...}`), or nesting deeper than any file needs.
fn yaml_text() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "\n",
        "  ",
        "- ",
        ": ",
        "liner:",
        "sources:",
        "name: a",
        "kind: amocrm",
        "base_url:",
        "{",
        "}",
        "[",
        "]",
        ",",
        "&a ",
        "*a",
        "!!str ",
        "!!binary ",
        "'",
        "\"",
        "#",
        "|",
        ">",
        "${PATH}",
        "${NOPE}",
        "${",
        "$$",
        "~",
        "null",
        "off",
        "1e309",
        "-1",
        "\t",
        "? ",
        "---",
        "...",
        "<<: *a",
        "%YAML 1.2",
    ]);
    prop_oneof![
        any::<String>(),
        prop::collection::vec(token, 0..40).prop_map(|t| t.concat()),
        (1usize..5000).prop_map(|n| format!("liner: {}", "[".repeat(n))),
        (1usize..5000).prop_map(|n| format!("sources:\n{}", "- ".repeat(n))),
    ]
}

/// `sync.example.yaml` with real-looking values where it reads the
/// environment.
fn example() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../sync.example.yaml"
    ))
    .unwrap()
    .replace("${LINER_API_KEY}", "liner-key")
    .replace(
        "${BITRIX24_WEBHOOK_URL}",
        "https://p.bitrix24.ru/rest/1/c0de/",
    )
    .replace("${AMO_TOKEN}", "amo-token")
    .replace("${MACRO_APP_SECRET}", "macro-secret")
    .replace("${MACRO_COMPANY_TOKEN}", "company-token")
    .replace(
        "${DOMOPLANER_FEED_URL}",
        "https://x.domoplaner.ru/feeds/9f2c4e7a1b3d.json",
    )
}

/// A configuration to break: the test config or the example config.
fn base_config() -> impl Strategy<Value = String> {
    prop::sample::select(vec![GOOD.to_owned(), example()])
}

/// One edit of a configuration's lines: delete, repeat, swap, indent,
/// uncomment, a new value, a new key, or the file cut off.
fn edit(lines: &mut Vec<String>, how: u8, at: Index, other: Index, value: &str) {
    if lines.is_empty() {
        return;
    }
    let i = at.index(lines.len());
    let j = other.index(lines.len());
    match how {
        0 => {
            lines.remove(i);
        }
        1 => lines.insert(i, lines[i].clone()),
        2 => lines.swap(i, j),
        3 => lines[i].insert_str(0, ["  ", "\t", " "][j % 3]),
        4 => lines[i] = lines[i].replacen("  ", "", 1),
        5 => lines[i] = lines[i].replacen("# ", "", 1),
        6 => {
            if let Some((key, _)) = lines[i].split_once(": ") {
                lines[i] = format!("{key}: {value}");
            } else {
                lines[i].push_str(value);
            }
        }
        7 => {
            let indent: String = lines[i].chars().take_while(|c| *c == ' ').collect();
            lines.insert(i, format!("{indent}{value}"));
        }
        _ => {
            let cut = other.index(lines[i].len() + 1);
            let cut = (0..=cut)
                .rev()
                .find(|c| lines[i].is_char_boundary(*c))
                .unwrap_or(0);
            lines[i].truncate(cut);
            lines.truncate(i + 1);
        }
    }
}

/// A value or a line an operator might mistype.
fn value() -> impl Strategy<Value = String> {
    let odd = prop::sample::select(vec![
        "0",
        "-1",
        "18446744073709551616",
        "1e309",
        "true",
        "off",
        "~",
        "''",
        "[]",
        "{}",
        "0s",
        "100000000y",
        "9999999999/s",
        "-5/s",
        "0/s",
        "2026-13-45",
        "${UNSET_LINER_SYNC_VAR}",
        "$$",
        "*a",
        "&a x",
        "!!binary AAAA",
        "http://",
        "https://x/?a#b",
        "Europe/Nowhere",
        "{ style: since, param: from, limit: 0 }",
        "{ style: page_limit, first_page: 18446744073709551615 }",
        "lookback: 300000y",
        "max_attempts: 0",
        "timeout: 0s",
        "burst: 0",
        "schedule: '* * *'",
        "external_id: client",
        "method: post",
        "records: '[['",
        "fields: { id: 'a..b' }",
        "enrich: { api_base: 'https://api.domoplaner.ru/', token: t }",
        "client_id: x",
        "refresh_token: r",
        "webhook_url: https://p.bitrix24.ru/rest/1/",
        "pipelines: [0]",
    ]);
    prop_oneof![odd.prop_map(str::to_owned), ".{0,12}"]
}

/// A source context for connectors that keep tokens, built once.
fn context() -> &'static liner_sync_core::SourceContext {
    static CONTEXT: std::sync::OnceLock<liner_sync_core::SourceContext> =
        std::sync::OnceLock::new();
    CONTEXT.get_or_init(|| liner_sync_core::SourceContext {
        vault: std::sync::Arc::new(liner_sync_core::state::StateStore::in_memory().unwrap()),
    })
}

/// `load_str`'s error is one line that starts with the file's name and, when
/// it has a place, a place in the file.
fn clear(e: &ConfigFileError, text: &str) -> Result<(), TestCaseError> {
    let line = e.one_line();
    prop_assert!(line.starts_with("sync.yaml:"), "{}", line);
    prop_assert!(
        !line.contains("in Options"),
        "advice for the program: {}",
        line
    );
    prop_assert!(!line.contains('\n'), "{}", line);
    prop_assert!(line.len() > "sync.yaml: ".len(), "{}", line);
    if let Some(at) = e.location {
        prop_assert!(
            at.line as usize <= text.lines().count() + 1,
            "{} past the end",
            line
        );
    }
    let _ = e.to_string();
    Ok(())
}

proptest! {
    #[test]
    fn any_text_is_a_config_or_an_error_that_says_where(text in yaml_text()) {
        if let Err(e) = load_str("sync.yaml", &text) {
            clear(&e, &text)?;
        }
    }
}

proptest! {
    #![proptest_config(liner_sync_core::testing::config(64))]

    #[test]
    fn a_broken_config_loads_and_builds_or_says_what_is_wrong(
        base in base_config(),
        edits in prop::collection::vec((0..9u8, any::<Index>(), any::<Index>(), value()), 1..5),
    ) {
        let mut lines: Vec<String> = base.lines().map(str::to_owned).collect();
        for (how, at, other, value) in &edits {
            edit(&mut lines, *how, *at, *other, value);
        }
        let text = lines.join("\n");
        let config = match load_str("sync.yaml", &text) {
            Ok(config) => config,
            Err(e) => return clear(&e, &text),
        };
        let loaded = crate::config::LoadedConfig {
            config,
            file: "sync.yaml".into(),
            text: text.clone(),
        };
        let _ = loaded.state_path();
        let _ = loaded.selected_sources(None);
        if let Err(e) = liner_sync_liner::LinerClient::new(&loaded.config.liner) {
            prop_assert!(!e.to_string().is_empty());
        }
        for entry in &loaded.config.sources {
            if let Err(e) = crate::registry::build_source(&loaded, entry, context()) {
                let shown = e.to_string();
                prop_assert!(!shown.is_empty());
                prop_assert!(shown.contains(&entry.name) || shown.starts_with("sync.yaml"), "{}", shown);
            }
        }
    }
}

#[test]
fn parser_messages_speak_to_the_operator() {
    // serde-saphyr's messages advise its caller to set its options (found by
    // the property below, which duplicates lines).
    let e = error(&GOOD.replace("  mode: sync", "  mode: sync\n  mode: async"));
    assert!(
        e.one_line()
            .starts_with("sync.yaml:5:3: the key `mode` is written twice in the same block"),
        "{e}"
    );
    let head = GOOD.split("sources:").next().unwrap();
    let aliases: String = (0..3000).map(|i| format!("    y{i}: *a\n")).collect();
    let text = format!("{head}sources:\n  - name: a\n    kind: amocrm\n    x: &a [1]\n{aliases}");
    let e = error(&text);
    assert!(
        e.one_line()
            .contains("more aliases (*name), anchors or nesting"),
        "{e}"
    );
    assert!(!e.one_line().contains("Options"), "{e}");
}

#[test]
fn the_example_config_builds_every_source() {
    let text = example();
    let config = load_str("sync.yaml", &text).unwrap();
    let loaded = crate::config::LoadedConfig {
        config,
        file: "sync.yaml".into(),
        text,
    };
    assert_eq!(loaded.config.sources.len(), 4);
    for entry in &loaded.config.sources {
        crate::registry::build_source(&loaded, entry, context()).unwrap();
    }
}
