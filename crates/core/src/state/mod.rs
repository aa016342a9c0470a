//! The SQLite state file: one row per deal with its outcome, one cursor per
//! source, and a short history of passes.
//!
//! Rules the engine relies on:
//! * a deal is written `pending` before its lead is submitted and `sent`,
//!   `rejected` or `failed` after, so a crash in between leaves `pending`
//!   and the next pass re-sends it;
//! * the file is never reset: a damaged, foreign or newer file is an error;
//! * one process writes a file at a time ([`StateLock`]).

mod dead_letters;
mod deals;
mod lock;
mod passes;
mod schema;
mod tokens;

pub use dead_letters::DeadLetter;
pub use deals::{DealRecord, Outcome, OutcomeCounts, SeenInState};
pub use lock::{StateLock, lock_path};
pub use passes::PassRecord;
pub use schema::SCHEMA_VERSION;
pub use tokens::OnDemandVault;

use crate::{Cursor, Error, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The state file, open for one process.
#[derive(Debug)]
pub struct StateStore {
    conn: Mutex<Connection>,
    path: PathBuf,
    read_only: bool,
    _lock: Option<StateLock>,
}

impl StateStore {
    /// Opens (creating if needed) the state file for writing, holding its lock
    /// for the life of the store.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::state(format!(
                    "cannot create the state directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        let lock = StateLock::acquire(path)?;
        let created = !path.exists();
        let conn = Connection::open(path).map_err(|e| {
            Error::state(format!(
                "cannot open the state file {}: {e}",
                path.display()
            ))
        })?;
        if created {
            owner_only(path)?;
        }
        schema::prepare(&conn, path, true)?;
        Ok(Self {
            conn: Mutex::new(conn),
            path: path.to_owned(),
            read_only: false,
            _lock: Some(lock),
        })
    }

    /// Opens an existing state file read-only, without the lock (for `status`
    /// and dry runs while another process may be writing). `Ok(None)` when the
    /// file does not exist yet.
    pub fn open_read_only(path: &Path) -> Result<Option<Self>> {
        if !path.exists() {
            return Ok(None);
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| {
            Error::state(format!(
                "cannot open the state file {}: {e}",
                path.display()
            ))
        })?;
        schema::prepare(&conn, path, false)?;
        Ok(Some(Self {
            conn: Mutex::new(conn),
            path: path.to_owned(),
            read_only: true,
            _lock: None,
        }))
    }

    /// A throw-away store in memory (tests, dry runs without a state file).
    pub fn in_memory() -> Result<Self> {
        let conn = Connection::open_in_memory()?;
        schema::prepare(&conn, Path::new(":memory:"), true)?;
        Ok(Self {
            conn: Mutex::new(conn),
            path: PathBuf::from(":memory:"),
            read_only: false,
            _lock: None,
        })
    }

    /// The file this store reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when opened with [`StateStore::open_read_only`].
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    pub(crate) fn conn(&self) -> Result<MutexGuard<'_, Connection>> {
        self.conn
            .lock()
            .map_err(|_| Error::internal("the state store lock was poisoned by a panic"))
    }

    /// The committed cursor of `source`, if it has one.
    pub fn cursor(&self, source: &str) -> Result<Option<Cursor>> {
        let text: Option<String> = self
            .conn()?
            .query_row(
                "SELECT cursor FROM cursors WHERE source = ?1",
                params![source],
                |row| row.get(0),
            )
            .optional()?;
        text.map(|t| {
            serde_json::from_str(&t).map(Cursor).map_err(|e| {
                Error::state(format!(
                    "the stored cursor of source '{source}' is not valid JSON ({e}); \
                     it was left untouched"
                ))
            })
        })
        .transpose()
    }

    /// Commits `cursor` as `source`'s new read position.
    pub fn save_cursor(&self, source: &str, cursor: &Cursor) -> Result<()> {
        self.conn()?.execute(
            "INSERT INTO cursors (source, cursor, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
            params![source, cursor.to_json(), now()],
        )?;
        Ok(())
    }

    /// Every source name the state knows, from cursors and deals.
    pub fn sources(&self) -> Result<Vec<String>> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT source FROM cursors UNION SELECT DISTINCT source FROM deals ORDER BY 1",
        )?;
        let names = stmt
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(names)
    }
}

/// The state may hold OAuth tokens: a new file is readable by its owner only
/// (SQLite gives its `-wal` and `-shm` files the same mode).
fn owner_only(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|e| {
            Error::state(format!(
                "cannot restrict the permissions of {}: {e}",
                path.display()
            ))
        })?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// A non-negative count column.
pub(crate) fn count(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    row.get::<_, i64>(idx)
        .map(|n| u64::try_from(n).unwrap_or(0))
}

/// Now, as stored: RFC 3339 UTC with seconds, which sorts as text.
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests;
