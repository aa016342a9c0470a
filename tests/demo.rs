//! The README's first command: `liner-sync demo` runs the real pipeline
//! against the emulators and reports what it did.

use std::process::Command;

#[test]
fn demo_delivers_every_callable_deal_of_every_crm() {
    let out = Command::new(env!("CARGO_BIN_EXE_liner-sync"))
        .args(["demo", "--deals", "120", "--json"])
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let sources = summary["sources"].as_array().unwrap();
    assert!(sources.iter().any(|s| s["kind"] == "bitrix24"));
    let mut sent = 0;
    for source in sources {
        assert_eq!(source["fetched"], 120, "{source}");
        assert_eq!(source["failed"], 0, "{source}");
        let (s, r) = (
            source["sent"].as_u64().unwrap(),
            source["rejected"].as_u64().unwrap(),
        );
        assert_eq!(s + r, 120, "every deal is sent or rejected: {source}");
        assert!(
            s > 90,
            "most generated deals have a callable phone: {source}"
        );
        sent += s;
    }
    assert_eq!(summary["liner_received"], sent);
}

#[test]
fn demo_explains_itself_in_plain_words() {
    let out = Command::new(env!("CARGO_BIN_EXE_liner-sync"))
        .args(["demo", "--deals", "30"])
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("generated deals"), "{stdout}");
    assert!(stdout.contains("sent"), "{stdout}");
    assert!(stdout.contains("liner received"), "{stdout}");
}
