//! Errors that end a command, and the exit code each one means.

use crate::config::ConfigFileError;
use liner_sync_core::engine::StopReason;
use liner_sync_core::{Error, ErrorKind};
use std::fmt;

/// Exit codes (also listed in the README).
pub mod exit {
    /// Everything was done.
    pub const OK: u8 = 0;
    /// An unexpected internal error.
    pub const INTERNAL: u8 = 1;
    /// The configuration or the command line is wrong.
    pub const CONFIG: u8 = 2;
    /// A CRM or Liner refused the credentials; nothing was marked for it.
    pub const AUTH: u8 = 3;
    /// A CRM or Liner was unreachable or kept failing; what is left goes on the next run.
    pub const INCOMPLETE: u8 = 4;
    /// The state file is locked by another process, damaged, or newer than this program.
    pub const STATE: u8 = 5;
    /// Stopped by Ctrl-C or SIGTERM after finishing and saving in-flight work.
    pub const INTERRUPTED: u8 = 130;
}

/// A command's failure: an exit code and a one-line reason (plus, for
/// configuration errors, a snippet of the file on the following lines).
#[derive(Debug, Clone)]
pub struct CliError {
    /// The process exit code.
    pub code: u8,
    /// What went wrong.
    pub message: String,
}

impl CliError {
    /// A configuration error.
    pub fn config(message: impl Into<String>) -> Self {
        Self {
            code: exit::CONFIG,
            message: message.into(),
        }
    }

    /// An internal error.
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            code: exit::INTERNAL,
            message: message.into(),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<ConfigFileError> for CliError {
    fn from(e: ConfigFileError) -> Self {
        Self::config(e.to_string())
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        Self {
            code: code_for_kind(e.kind()),
            message: e.to_string(),
        }
    }
}

/// The exit code an error of `kind` leads to.
pub fn code_for_kind(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Config => exit::CONFIG,
        ErrorKind::Auth => exit::AUTH,
        ErrorKind::State => exit::STATE,
        ErrorKind::Internal => exit::INTERNAL,
        _ => exit::INCOMPLETE,
    }
}

/// The exit code a pass's stop reason leads to.
pub fn code_for_stop(stop: &StopReason) -> u8 {
    match stop {
        StopReason::Interrupted => exit::INTERRUPTED,
        StopReason::Auth(_) => exit::AUTH,
        StopReason::Config(_) => exit::CONFIG,
        StopReason::SinkUnavailable(_) => exit::INCOMPLETE,
        StopReason::State(_) => exit::STATE,
    }
}
