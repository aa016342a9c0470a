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

#[test]
fn a_reader_that_stops_early_does_not_make_it_panic() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_liner-sync"))
        .args(["demo", "--deals", "20"])
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("demo:"), "{first}");
    // The reader is gone (like `| head -1`); the rest of the output hits a closed pipe.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
