//! The SQLite state file: one row per deal with its outcome, one cursor per
//! source, and a short history of passes.
//!
//! Rules the engine relies on:
//! * a deal is written `pending` before its lead is submitted and `sent`,
//!   `rejected` or `failed` after, so a crash in between leaves `pending`
//!   and the next pass re-sends it;
//! * the file is never reset: a damaged, foreign, newer or emptied file is an
//!   error, and a file found damaged while in use is not written again;
//! * a new file is created whole, never left empty by a crash;
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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

/// The state file, open for one process.
#[derive(Debug)]
pub struct StateStore {
    conn: Mutex<Connection>,
    path: PathBuf,
    read_only: bool,
    /// Set once [`StateStore::explain`] found the file damaged: every later
    /// call fails, so nothing more is written to it.
    damaged: AtomicBool,
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
        if !path.exists() {
            create(path)?;
        }
        refuse_empty(path)?;
        let conn = Connection::open(path).map_err(|e| {
            Error::state(format!(
                "cannot open the state file {}: {e}",
                path.display()
            ))
        })?;
        schema::prepare(&conn, path, true)?;
        Ok(Self {
            conn: Mutex::new(conn),
            path: path.to_owned(),
            read_only: false,
            damaged: AtomicBool::new(false),
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
        refuse_empty(path)?;
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
            damaged: AtomicBool::new(false),
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
            damaged: AtomicBool::new(false),
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
        if self.damaged.load(Ordering::SeqCst) {
            return Err(Error::state(format!(
                "the state file {} was found damaged; nothing more is written to it",
                self.path.display()
            )));
        }
        self.conn
            .lock()
            .map_err(|_| Error::internal("the state store lock was poisoned by a panic"))
    }

    /// `e`, an error from this store, as the operator should read it. SQLite
    /// reads a table's pages only when they are needed, so damage can show
    /// after the file opened well: the error then names the file and what to
    /// do, and the store refuses every later call so nothing more is written
    /// to the file. Other database errors get the file's name.
    pub fn explain(&self, e: Error) -> Error {
        let cause = std::error::Error::source(&e).and_then(|s| s.downcast_ref::<rusqlite::Error>());
        match cause {
            Some(cause) if schema::is_damage(cause) => {
                self.damaged.store(true, Ordering::SeqCst);
                schema::damaged(&self.path, cause)
            }
            Some(_) => e.context(format_args!("state file {}", self.path.display())),
            None => e,
        }
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

/// Creates a new state file whole: built beside `path` (without a WAL, so
/// all of it is in the one file) and renamed into place. A crash can leave
/// no file or a complete one, never an empty file that [`refuse_empty`]
/// would take for a damaged state.
fn create(path: &Path) -> Result<()> {
    let fresh = with_suffix(path, ".new");
    for leftover in ["", "-journal", "-wal", "-shm"] {
        // Left by a crash during an earlier creation; the lock is ours.
        let _ = std::fs::remove_file(with_suffix(&fresh, leftover));
    }
    let cannot = |e: &dyn std::fmt::Display| {
        Error::state(format!(
            "cannot create the state file {}: {e}",
            path.display()
        ))
    };
    let conn = Connection::open(&fresh).map_err(|e| cannot(&e))?;
    owner_only(&fresh)?;
    schema::migrate(&conn, 0)?;
    conn.close().map_err(|(_, e)| cannot(&e))?;
    std::fs::rename(&fresh, path).map_err(|e| cannot(&e))
}

/// A state file of no bytes lost its content (liner-sync never leaves one
/// empty; SQLite writes the first page as soon as it sets WAL mode): taking
/// it for a new file would send every deal since start_from again.
fn refuse_empty(path: &Path) -> Result<()> {
    if std::fs::metadata(path).map_or(true, |m| m.len() > 0) {
        return Ok(());
    }
    Err(Error::state(format!(
        "the state file {} is empty (0 bytes): it lost what it held. It was left untouched: \
         restore it from a backup, or delete it to start afresh \
         (every deal since start_from would then be sent again)",
        path.display()
    )))
}

/// `path` with `suffix` added to its file name (`state.db` → `state.db-wal`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
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
