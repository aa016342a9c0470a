use super::*;
use liner_sync_core::config::Rate;

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
