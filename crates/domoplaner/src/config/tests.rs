use super::*;
use liner_sync_core::config::Location;
use serde_json::{Value, json};

const FEED_TOKEN: &str = "feedT0ken-8c1d2e3f";
const API_TOKEN: &str = "apiT0ken-5a6b7c8d";

fn feed() -> String {
    format!("https://domoplaner.ru/dc-api/feeds/243-{FEED_TOKEN}/")
}

fn settings(entries: &[(&str, Value)]) -> SourceSettings {
    let mut s = SourceSettings::new(Location { line: 3, column: 5 });
    for (i, (k, v)) in entries.iter().enumerate() {
        let line = 4 + i as u64;
        s.insert((*k).to_owned(), v.clone(), Location { line, column: 7 });
    }
    s
}

fn with_feed(mut entries: Vec<(&'static str, Value)>) -> SourceSettings {
    entries.insert(0, ("feed_url", json!(feed())));
    settings(&entries)
}

#[test]
fn a_feed_url_alone_takes_every_default() {
    let c = DomoplanerConfig::from_settings(&with_feed(vec![])).unwrap();
    assert_eq!(c.feed_url.expose(), feed());
    assert_eq!(c.timezone.0, chrono_tz::Europe::Moscow);
    assert_eq!(c.records_path().unwrap().as_str(), "deals");
    assert_eq!(c.client_id_path().unwrap().as_str(), "client.id");
    assert_eq!(c.external_id, ExternalId::Deal);
    assert!(c.enrich.is_none());
    assert_eq!(c.timeout.0, Duration::from_secs(60));
    assert_eq!(c.max_attempts, 6);
    let fields = c.deal_fields();
    assert_eq!(fields.created_at.unwrap().as_str(), "dt_create");
    assert_eq!(fields.phones.unwrap().as_str(), "client.phones[].value");
}

#[test]
fn every_key_can_be_set() {
    let c = DomoplanerConfig::from_settings(&with_feed(vec![
        ("timezone", json!("Asia/Yekaterinburg")),
        ("records", json!("data.items")),
        (
            "fields",
            json!({"created_at": "/Дата создания", "phones": "buyer.tel",
                   "custom": {"house": "house.name"}}),
        ),
        ("client_id", json!("buyer.id")),
        ("external_id", json!("client")),
        (
            "enrich",
            json!({"api_base": "https://api.example.ru/v1", "token": API_TOKEN, "rate_limit": "2/s"}),
        ),
        ("timeout", json!("2m")),
        ("max_attempts", json!(3)),
    ]))
    .unwrap();
    assert_eq!(c.timezone.0, chrono_tz::Asia::Yekaterinburg);
    assert_eq!(c.records_path().unwrap().as_str(), "data.items");
    assert_eq!(c.client_id_path().unwrap().as_str(), "buyer.id");
    assert_eq!(c.external_id, ExternalId::Client);
    let fields = c.deal_fields();
    assert_eq!(fields.created_at.unwrap().as_str(), "/Дата создания");
    assert_eq!(fields.phones.unwrap().as_str(), "buyer.tel");
    assert_eq!(
        fields.name.unwrap().as_str(),
        "client.name",
        "defaults stay"
    );
    assert_eq!(fields.custom["house"].as_str(), "house.name");
    assert_eq!(fields.custom["price"].as_str(), "price");
    let enrich = c.enrich.unwrap();
    assert_eq!(enrich.token.expose(), API_TOKEN);
    assert_eq!(enrich.rate_limit.to_string(), "2/s");
    assert_eq!(
        enrich.base().unwrap().as_str(),
        "https://api.example.ru/v1/"
    );
    assert_eq!((c.timeout.0, c.max_attempts), (Duration::from_secs(120), 3));
}

#[test]
fn the_enrich_rate_has_a_default() {
    let c = DomoplanerConfig::from_settings(&with_feed(vec![(
        "enrich",
        json!({"api_base": "https://api.example.ru/", "token": API_TOKEN}),
    )]))
    .unwrap();
    assert_eq!(c.enrich.unwrap().rate_limit.to_string(), "5/s");
}

#[test]
fn mistakes_are_refused_with_the_key_named() {
    let cases: Vec<(Vec<(&'static str, Value)>, &str)> = vec![
        (vec![("timezone", json!("Moscow"))], "IANA"),
        (vec![("external_id", json!("lead"))], "external_id"),
        (
            vec![("fields", json!({"phone": "x"}))],
            "unknown field `phone`",
        ),
        (vec![("fields", json!({"id": "a[x]"}))], "fields"),
        (vec![("records", json!("a..b"))], "records"),
        (
            vec![("webhook_url", json!("x"))],
            "unknown field `webhook_url`",
        ),
        (vec![("max_attempts", json!(0))], "max_attempts"),
        (vec![("timeout", json!("0s"))], "timeout"),
        (
            vec![(
                "enrich",
                json!({"api_base": "api.example.ru", "token": API_TOKEN}),
            )],
            "enrich.api_base",
        ),
        (
            vec![(
                "enrich",
                json!({"api_base": "https://api.example.ru/leads/get-by-id", "token": API_TOKEN}),
            )],
            "remove /leads/get-by-id",
        ),
        (
            vec![("enrich", json!({"api_base": "https://api.example.ru"}))],
            "missing field `token`",
        ),
        (
            vec![("enrich", json!({"api_base": "https://x.ru", "token": ""}))],
            "must not be empty",
        ),
    ];
    for (entries, needle) in cases {
        let shown = format!("{entries:?}");
        let err = DomoplanerConfig::from_settings(&with_feed(entries)).unwrap_err();
        assert!(err.message.contains(needle), "{shown}: {err}");
        for secret in [FEED_TOKEN, API_TOKEN] {
            assert!(!err.to_string().contains(secret), "{err}");
        }
    }
    let err = DomoplanerConfig::from_settings(&settings(&[])).unwrap_err();
    assert!(err.message.contains("missing field `feed_url`"), "{err}");
    let err = DomoplanerConfig::from_settings(&settings(&[(
        "feed_url",
        json!(format!("domoplaner.ru/feeds/{FEED_TOKEN}")),
    )]))
    .unwrap_err();
    assert!(err.message.starts_with("feed_url must be"), "{err}");
    assert!(!err.message.contains(FEED_TOKEN), "{err}");
    assert_eq!(err.location, Some(Location { line: 3, column: 5 }));
}

#[test]
fn debug_hides_the_feed_token_and_the_api_token() {
    let mut c = DomoplanerConfig::new(Secret::new(feed()));
    c.enrich = Some(EnrichConfig {
        api_base: EnvString("https://api.example.ru/".into()),
        token: Secret::new(API_TOKEN),
        rate_limit: default_enrich_rate(),
    });
    let broken = DomoplanerConfig::new(Secret::new(format!("not a url {FEED_TOKEN}")));
    for config in [c, broken] {
        let shown = format!("{config:?}");
        for secret in [FEED_TOKEN, API_TOKEN] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("[redacted]"), "{shown}");
    }
    let shown = format!("{:?}", DomoplanerConfig::new(Secret::new(feed())));
    assert!(
        shown.contains("https://domoplaner.ru/[redacted]"),
        "{shown}"
    );
    assert!(shown.contains("Europe/Moscow"), "{shown}");
}
