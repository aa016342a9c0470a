//! One process per state file: an advisory lock on `<state>.lock`.

use crate::{Error, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// Held for as long as a process writes the state file; released when dropped
/// or when the process dies (the OS drops `flock` locks with the process).
#[derive(Debug)]
pub struct StateLock {
    _file: File,
    path: PathBuf,
}

impl StateLock {
    /// Takes the lock next to `state_path`, or fails at once with a message that
    /// says another process holds it.
    pub fn acquire(state_path: &Path) -> Result<Self> {
        let path = lock_path(state_path);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| {
                Error::state(format!(
                    "cannot create the lock file {}: {e}",
                    path.display()
                ))
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file, path }),
            Err(TryLockError::WouldBlock) => Err(Error::state(format!(
                "another liner-sync process is using the state file {} (it holds {}); \
                 wait for it to finish, or stop it, then run again",
                state_path.display(),
                path.display()
            ))),
            Err(TryLockError::Error(e)) => {
                Err(Error::state(format!("cannot lock {}: {e}", path.display())))
            }
        }
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// `<state>.lock` beside the state file.
pub fn lock_path(state_path: &Path) -> PathBuf {
    super::with_suffix(state_path, ".lock")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("s.db");
        let first = StateLock::acquire(&state).unwrap();
        let second = StateLock::acquire(&state).unwrap_err();
        assert!(
            second.to_string().contains("another liner-sync process"),
            "{second}"
        );
        drop(first);
        StateLock::acquire(&state).unwrap();
    }
}
