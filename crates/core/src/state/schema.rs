//! The state file's schema, its version, and the checks that refuse a file
//! that is not ours or is newer than this program.

use crate::{Error, Result};
use rusqlite::Connection;
use std::path::Path;

/// The schema version this program writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// `MIGRATIONS[n]` takes a file from version `n` to `n + 1`.
const MIGRATIONS: [&str; 2] = [CREATE_V1, ADD_TOKENS_V2];

const CREATE_V1: &str = "
CREATE TABLE deals (
    source          TEXT NOT NULL,
    deal_id         TEXT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('pending', 'sent', 'rejected', 'failed')),
    lead_id         TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    deal_created_at TEXT,
    first_seen_at   TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (source, deal_id)
) WITHOUT ROWID;
CREATE INDEX deals_by_outcome ON deals (source, outcome, updated_at);
CREATE TABLE cursors (
    source     TEXT PRIMARY KEY,
    cursor     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE passes (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    fetched     INTEGER NOT NULL,
    sent        INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    skipped     INTEGER NOT NULL,
    error       TEXT
);
CREATE INDEX passes_by_source ON passes (source, id);
";

/// OAuth token pairs, newest only, per source. `seed` fingerprints the
/// refresh token from the configuration the pair descends from, so a new one
/// put there (after re-authorising) replaces the stored chain.
const ADD_TOKENS_V2: &str = "
CREATE TABLE tokens (
    source        TEXT PRIMARY KEY,
    access_token  TEXT NOT NULL,
    refresh_token TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    seed          TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
";

/// Sets the connection up and brings an empty file to the current schema.
/// Refuses files that are not liner-sync state or were written by a newer
/// version, without changing them.
pub fn prepare(conn: &Connection, path: &Path, writable: bool) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(|e| unreadable(path, &e))?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
        .map_err(|e| unreadable(path, &e))?;
    if version > SCHEMA_VERSION {
        return Err(Error::state(format!(
            "{} was written by a newer liner-sync (state schema {version}, this program knows {SCHEMA_VERSION}); \
             upgrade liner-sync or point state.path elsewhere",
            path.display()
        )));
    }
    if version == 0 && tables > 0 {
        return Err(Error::state(format!(
            "{} is an SQLite database but not a liner-sync state file; refusing to touch it. \
             Point state.path at a new file",
            path.display()
        )));
    }
    if version != 0 {
        check_tables(conn, path, version)?;
    }
    if writable {
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| unreadable(path, &e))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        migrate(conn, version)?;
    }
    Ok(())
}

/// Brings a file of schema `version` to [`SCHEMA_VERSION`] in one transaction.
pub fn migrate(conn: &Connection, version: i64) -> Result<()> {
    if version >= SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.unchecked_transaction()?;
    for step in MIGRATIONS
        .iter()
        .skip(usize::try_from(version).unwrap_or(0))
    {
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// True for SQLite's verdicts on a file that is damaged or no database at all.
pub fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

/// The error for a file found damaged after it was opened (SQLite reads the
/// pages of a table only when they are needed).
pub fn damaged(path: &Path, e: &rusqlite::Error) -> Error {
    Error::state(format!(
        "the state file {} is damaged ({e}); liner-sync stopped and writes nothing more to it. \
         Restore it from a backup, or move it away to start afresh \
         (every deal since start_from would then be sent again)",
        path.display()
    ))
}

/// Refuses a file whose tables are not those of schema `version`, before
/// anything is written to it: a damaged header (a negative version, one
/// that went back) or another program's database would otherwise fail half
/// way through a migration, or be migrated.
fn check_tables(conn: &Connection, path: &Path, version: i64) -> Result<()> {
    let found = table_names(conn).map_err(|e| unreadable(path, &e))?;
    let steps = usize::try_from(version).ok();
    let wanted = match steps {
        Some(steps) => {
            let fresh = Connection::open_in_memory()?;
            for step in MIGRATIONS.iter().take(steps) {
                fresh.execute_batch(step)?;
            }
            Some(table_names(&fresh)?)
        }
        None => None,
    };
    if wanted.as_ref() == Some(&found) {
        return Ok(());
    }
    Err(Error::state(format!(
        "{} says it is liner-sync state of schema {version} but {}; it is damaged or not a \
         liner-sync state file. It was left untouched: restore it from a backup, or point \
         state.path at a new file",
        path.display(),
        match wanted {
            Some(wanted) => format!(
                "holds the tables [{}], not [{}]",
                found.join(", "),
                wanted.join(", ")
            ),
            None => "no schema has that number".to_owned(),
        }
    )))
}

/// The file's own tables (SQLite's internal ones left out), by name.
fn table_names(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )?;
    stmt.query_map([], |row| row.get(0))?.collect()
}

fn unreadable(path: &Path, e: &rusqlite::Error) -> Error {
    Error::state(format!(
        "cannot read the state file {} ({e}); it is damaged or not a liner-sync state file. \
         It was left untouched: restore it from a backup, or move it away to start afresh \
         (every deal since start_from would then be sent again)",
        path.display()
    ))
}
