use super::*;
use crate::SeenDeals;
use chrono::TimeZone;

fn created() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc.with_ymd_and_hms(2026, 11, 2, 7, 0, 0).unwrap()
}

#[test]
fn outcomes_move_from_pending_to_final() {
    let s = StateStore::in_memory().unwrap();
    assert_eq!(s.outcome("b24", "1").unwrap(), None);
    assert!(s.mark_pending("b24", "1", created()).unwrap());
    assert_eq!(s.outcome("b24", "1").unwrap(), Some(Outcome::Pending));
    assert!(!s.seen("b24").is_handled("1"));
    s.mark_sent("b24", "1", Some("77")).unwrap();
    let r = s.deal("b24", "1").unwrap().unwrap();
    assert_eq!(
        (r.outcome, r.lead_id.as_deref(), r.attempts),
        (Outcome::Sent, Some("77"), 1)
    );
    assert!(s.seen("b24").is_handled("1"));
    assert!(
        !s.seen("other").is_handled("1"),
        "deals are keyed by source"
    );
}

#[test]
fn temporary_failures_give_up_after_the_limit() {
    let s = StateStore::in_memory().unwrap();
    for attempt in 1..=3 {
        assert_eq!(s.mark_pending("b24", "9", created()).unwrap(), attempt == 1);
        let outcome = s.mark_attempt_failed("b24", "9", "liner: 503", 3).unwrap();
        let want = if attempt < 3 {
            Outcome::Pending
        } else {
            Outcome::Failed
        };
        assert_eq!(outcome, want, "attempt {attempt}");
    }
    let r = s.deal("b24", "9").unwrap().unwrap();
    assert_eq!(
        (r.attempts, r.last_error.as_deref()),
        (3, Some("liner: 503"))
    );
}

#[test]
fn forget_and_undo_only_touch_pending_rows() {
    let s = StateStore::in_memory().unwrap();
    s.mark_pending("b24", "1", created()).unwrap();
    s.forget("b24", "1").unwrap();
    assert_eq!(s.outcome("b24", "1").unwrap(), None);
    s.mark_pending("b24", "2", created()).unwrap();
    s.mark_sent("b24", "2", None).unwrap();
    s.forget("b24", "2").unwrap();
    assert_eq!(s.outcome("b24", "2").unwrap(), Some(Outcome::Sent));
    s.mark_pending("b24", "3", created()).unwrap();
    s.mark_pending("b24", "3", created()).unwrap();
    s.undo_attempt("b24", "3").unwrap();
    assert_eq!(s.deal("b24", "3").unwrap().unwrap().attempts, 1);
}

#[test]
fn counts_recent_and_rejections() {
    let s = StateStore::in_memory().unwrap();
    s.mark_rejected(
        "b24",
        "5",
        created(),
        "no valid phone: the deal has no contact",
    )
    .unwrap();
    s.mark_pending("b24", "6", created()).unwrap();
    s.mark_sent("b24", "6", None).unwrap();
    s.mark_pending("b24", "7", created()).unwrap();
    let c = s.counts("b24").unwrap();
    assert_eq!((c.pending, c.sent, c.rejected, c.failed), (1, 1, 1, 0));
    let problems = s
        .recent("b24", &[Outcome::Rejected, Outcome::Failed], 10)
        .unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(
        problems[0].last_error.as_deref(),
        Some("no valid phone: the deal has no contact")
    );
}

#[test]
fn cursors_round_trip_per_source() {
    let s = StateStore::in_memory().unwrap();
    assert_eq!(s.cursor("b24").unwrap(), None);
    let c = Cursor::new(serde_json::json!({"last_id": 42})).unwrap();
    s.save_cursor("b24", &c).unwrap();
    s.save_cursor("b24", &c).unwrap();
    assert_eq!(s.cursor("b24").unwrap(), Some(c));
    assert_eq!(s.sources().unwrap(), vec!["b24".to_owned()]);
}

#[test]
fn pass_history_is_kept_short() {
    let s = StateStore::in_memory().unwrap();
    for i in 0..(KEEP + 5) {
        let pass = PassRecord {
            started_at: format!("2026-11-25T10:{:02}:00Z", i % 60),
            finished_at: String::new(),
            fetched: i,
            sent: 0,
            rejected: 0,
            failed: 0,
            skipped: 0,
            error: (i % 2 == 1).then(|| "bitrix24: timed out".to_owned()),
        };
        s.record_pass("b24", &pass).unwrap();
    }
    let all = s.passes("b24", 1000).unwrap();
    assert_eq!(all.len() as u64, KEEP);
    assert_eq!(all[0].fetched, KEEP + 4);
    assert!(s.last_clean_pass("b24").unwrap().is_some());
}

const KEEP: u64 = 200;

#[test]
fn files_survive_reopening_and_refuse_a_second_writer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/state.db");
    let s = StateStore::open(&path).unwrap();
    s.mark_pending("b24", "1", created()).unwrap();
    s.mark_sent("b24", "1", None).unwrap();
    let second = StateStore::open(&path).unwrap_err();
    assert!(
        second.to_string().contains("another liner-sync process"),
        "{second}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "a new state file is private to its owner"
        );
    }
    let reader = StateStore::open_read_only(&path).unwrap().unwrap();
    assert_eq!(reader.outcome("b24", "1").unwrap(), Some(Outcome::Sent));
    drop(s);
    let again = StateStore::open(&path).unwrap();
    assert_eq!(again.outcome("b24", "1").unwrap(), Some(Outcome::Sent));
}

#[test]
fn refuses_garbage_foreign_and_newer_files_without_touching_them() {
    let dir = tempfile::tempdir().unwrap();

    let garbage = dir.path().join("garbage.db");
    std::fs::write(
        &garbage,
        b"this is not a database, just some text that got here",
    )
    .unwrap();
    let before = std::fs::read(&garbage).unwrap();
    let e = StateStore::open(&garbage).unwrap_err();
    assert!(
        e.to_string()
            .contains("damaged or not a liner-sync state file"),
        "{e}"
    );
    assert_eq!(std::fs::read(&garbage).unwrap(), before);

    let foreign = dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let e = StateStore::open(&foreign).unwrap_err();
    assert!(e.to_string().contains("not a liner-sync state file"), "{e}");

    let newer = dir.path().join("newer.db");
    rusqlite::Connection::open(&newer)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); PRAGMA user_version = 99;")
        .unwrap();
    let e = StateStore::open(&newer).unwrap_err();
    assert!(e.to_string().contains("newer liner-sync"), "{e}");
}

#[test]
fn an_emptied_file_is_refused_untouched_not_taken_for_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    std::fs::write(&path, b"").unwrap();
    let e = StateStore::open(&path).unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::State);
    let message = e.to_string();
    assert!(
        message.contains(&path.display().to_string()) && message.contains("empty (0 bytes)"),
        "{message}"
    );
    let e = StateStore::open_read_only(&path).unwrap_err();
    assert!(e.to_string().contains("empty (0 bytes)"), "{e}");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
    assert!(!with_suffix(&path, "-wal").exists());
}

#[test]
fn a_new_file_is_whole_from_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let store = StateStore::open(&path).unwrap();
    // The main file alone, as a crash right after creation would leave it:
    // the schema must be in it, not only in the WAL beside it.
    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    let alone = rusqlite::Connection::open(&copy).unwrap();
    let version: i64 = alone
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert!(!with_suffix(&path, ".new").exists());
    drop(store);
}

#[test]
fn damage_found_after_opening_names_the_file_and_stops_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    {
        let s = StateStore::open(&path).unwrap();
        for id in 0..400 {
            s.mark_pending("b24", &id.to_string(), created()).unwrap();
        }
    }
    // Page 1 (the header and the schema) stays; every table's pages go.
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 3 * 4096, "the deals fill several pages");
    for (i, b) in bytes.iter_mut().enumerate().skip(4096) {
        *b = (i * 131 % 251) as u8;
    }
    std::fs::write(&path, &bytes).unwrap();

    let s = StateStore::open(&path).unwrap();
    let e = s.outcome("b24", "7").unwrap_err();
    let e = s.explain(e);
    assert_eq!(e.kind(), crate::ErrorKind::State);
    let message = e.to_string();
    assert!(
        message.contains(&path.display().to_string()) && message.contains("is damaged"),
        "{message}"
    );
    let later = s.mark_pending("b24", "9999", created()).unwrap_err();
    assert!(later.to_string().contains("found damaged"), "{later}");
    drop(s);
    assert!(
        std::fs::read(&path).unwrap() == bytes,
        "the file was written"
    );
}

#[test]
fn other_database_errors_name_the_file() {
    let s = StateStore::in_memory().unwrap();
    let e = s.explain(Error::from(rusqlite::Error::InvalidQuery));
    assert!(e.to_string().contains("state file :memory:"), "{e}");
    let unrelated = s.explain(Error::state("disk full"));
    assert_eq!(unrelated.to_string(), "disk full");
    assert!(s.mark_pending("b24", "1", created()).is_ok(), "not damage");
}

#[test]
fn read_only_open_of_a_missing_file_is_none() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        StateStore::open_read_only(&dir.path().join("none.db"))
            .unwrap()
            .is_none()
    );
}

#[test]
fn token_pairs_round_trip_and_old_files_gain_the_table() {
    use crate::auth::{TokenPair, TokenVault};
    use crate::config::Secret;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    {
        // A version-1 file, as the first release wrote it.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE deals (source TEXT NOT NULL, deal_id TEXT NOT NULL, outcome TEXT NOT NULL, lead_id TEXT,
                attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, deal_created_at TEXT, first_seen_at TEXT NOT NULL,
                updated_at TEXT NOT NULL, PRIMARY KEY (source, deal_id)) WITHOUT ROWID;
             CREATE TABLE cursors (source TEXT PRIMARY KEY, cursor TEXT NOT NULL, updated_at TEXT NOT NULL);
             CREATE TABLE passes (id INTEGER PRIMARY KEY, source TEXT NOT NULL, started_at TEXT NOT NULL,
                finished_at TEXT NOT NULL, fetched INTEGER NOT NULL, sent INTEGER NOT NULL, rejected INTEGER NOT NULL,
                failed INTEGER NOT NULL, skipped INTEGER NOT NULL, error TEXT);
             INSERT INTO cursors VALUES ('b24', '{\"last_id\":7}', '2026-11-01T00:00:00Z');
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    let s = StateStore::open(&path).unwrap();
    assert_eq!(
        s.cursor("b24").unwrap(),
        Some(Cursor(serde_json::json!({"last_id": 7})))
    );
    assert!(s.load_tokens("amo").unwrap().is_none());
    let pair = TokenPair {
        access_token: Secret::new("acc"),
        refresh_token: Secret::new("ref"),
        expires_at: created(),
    };
    s.save_tokens("amo", &pair, "seedfp").unwrap();
    let (back, seed) = s.load_tokens("amo").unwrap().unwrap();
    assert_eq!(
        (
            back.access_token.expose(),
            back.refresh_token.expose(),
            seed.as_str()
        ),
        ("acc", "ref", "seedfp")
    );
    assert_eq!(back.expires_at, created());
}

#[test]
fn dead_letters_are_the_rejected_and_failed_deals_by_source() {
    let store = StateStore::in_memory().unwrap();
    let at = chrono::Utc::now();
    store.mark_rejected("b", "1", at, "no valid phone").unwrap();
    store.mark_pending("a", "2", at).unwrap();
    store
        .mark_attempt_failed("a", "2", "liner: HTTP 503", 1)
        .unwrap();
    store.mark_pending("a", "3", at).unwrap();
    store.mark_sent("a", "3", None).unwrap();
    store.mark_pending("a", "4", at).unwrap();
    let all: Vec<(String, String, Outcome)> = store
        .dead_letters(None)
        .unwrap()
        .into_iter()
        .map(|d| (d.source, d.record.deal_id, d.record.outcome))
        .collect();
    assert_eq!(
        all,
        [
            ("a".into(), "2".into(), Outcome::Failed),
            ("b".into(), "1".into(), Outcome::Rejected)
        ]
    );
    let b = store.dead_letters(Some("b")).unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].record.last_error.as_deref(), Some("no valid phone"));
}

#[test]
fn the_last_complete_pass_had_no_error_and_no_failure() {
    let store = StateStore::in_memory().unwrap();
    let pass = |failed, error: Option<&str>| PassRecord {
        started_at: "2026-11-02T09:00:00Z".into(),
        finished_at: "2026-11-02T09:00:05Z".into(),
        fetched: 1,
        sent: 1,
        rejected: 0,
        failed,
        skipped: 0,
        error: error.map(str::to_owned),
    };
    assert_eq!(store.last_complete_pass("b24").unwrap(), None);
    store.record_pass("b24", &pass(0, None)).unwrap();
    store.record_pass("b24", &pass(1, None)).unwrap();
    store.record_pass("b24", &pass(0, Some("down"))).unwrap();
    let last = store.last_complete_pass("b24").unwrap().unwrap();
    assert_eq!((last.failed, last.error), (0, None));
    assert_eq!(store.passes("b24", 10).unwrap().len(), 3);
}
