//! The one error type shared by the engine, the sources and the sink.
//!
//! Every error carries a [`ErrorKind`] that decides what the engine does with it:
//! retry it, reject the deal, or stop the run. Messages are one line, written for
//! the operator, and never contain a secret: connectors build them from status
//! codes and API error texts, and strip URLs from transport errors.

use std::fmt;
use std::time::Duration;

/// What went wrong, in the terms the engine acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The configuration is invalid; nothing was attempted.
    Config,
    /// Credentials were refused or have expired; the run stops and marks nothing.
    Auth,
    /// The remote side asked us to slow down (429, Bitrix24 `QUERY_LIMIT_EXCEEDED`).
    RateLimited,
    /// A network error, timeout, 5xx or a garbled reply; worth retrying.
    Temporary,
    /// The remote side refused this one item (Liner 400/422 or `success:false`).
    Rejected,
    /// A reply or a stored value could not be understood and retrying will not help.
    InvalidData,
    /// The local state store failed or is unusable.
    State,
    /// A bug or an unexpected condition inside liner-sync.
    Internal,
}

impl ErrorKind {
    /// A short lowercase name, used in logs, metrics and the state file.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Auth => "auth",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Temporary => "temporary",
            ErrorKind::Rejected => "rejected",
            ErrorKind::InvalidData => "invalid_data",
            ErrorKind::State => "state",
            ErrorKind::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with a kind, a one-line message, the system it came from and, for
/// rate limits, how long the remote side asked us to wait.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    target: Option<&'static str>,
    retry_after: Option<Duration>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A new error of `kind` with an operator-facing message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            target: None,
            retry_after: None,
            source: None,
        }
    }

    /// Shorthand for [`ErrorKind::Config`].
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Config, message)
    }

    /// Shorthand for [`ErrorKind::Auth`].
    pub fn auth(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Auth, message)
    }

    /// Shorthand for [`ErrorKind::Temporary`].
    pub fn temporary(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Temporary, message)
    }

    /// Shorthand for [`ErrorKind::RateLimited`].
    pub fn rate_limited(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::RateLimited, message)
    }

    /// Shorthand for [`ErrorKind::Rejected`].
    pub fn rejected(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Rejected, message)
    }

    /// Shorthand for [`ErrorKind::InvalidData`].
    pub fn invalid_data(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidData, message)
    }

    /// Shorthand for [`ErrorKind::State`].
    pub fn state(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::State, message)
    }

    /// Shorthand for [`ErrorKind::Internal`].
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// Names the system the error came from (`"liner"`, `"bitrix24"`, a source name).
    pub fn with_target(mut self, target: &'static str) -> Self {
        self.target = Some(target);
        self
    }

    /// Records how long the remote side asked us to wait before the next attempt.
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// Attaches the underlying cause. It must not carry a secret in its `Display`.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Prefixes the message with more context, e.g. the deal or the method.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// Replaces every one of `secrets` in the message by `[redacted]`, should
    /// a server have echoed one back. Kind, target and wait stay; empty
    /// secrets are ignored.
    pub fn redact<'a>(mut self, secrets: impl IntoIterator<Item = &'a str>) -> Self {
        for secret in secrets {
            if !secret.is_empty() && self.message.contains(secret) {
                self.message = self.message.replace(secret, "[redacted]");
            }
        }
        self
    }

    /// The kind that decides what the engine does.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The operator-facing message without kind or target.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The system the error came from, if known.
    pub fn target(&self) -> Option<&'static str> {
        self.target
    }

    /// How long the remote side asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// True when retrying the same request later may succeed.
    pub fn is_temporary(&self) -> bool {
        matches!(self.kind, ErrorKind::Temporary | ErrorKind::RateLimited)
    }

    /// True when the whole run must stop at once (bad credentials, bad config,
    /// an unusable state file).
    pub fn stops_run(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Auth | ErrorKind::Config | ErrorKind::State
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(target) = self.target {
            write!(f, "{target}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<rusqlite::Error> for Error {
    /// Keeps SQLite's error as the source, so the state store can tell a
    /// damaged file from other failures ([`crate::state::StateStore::explain`]).
    fn from(e: rusqlite::Error) -> Self {
        Error::state(format!("state database error: {e}")).with_source(e)
    }
}

/// Result with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_kinds_are_retryable_and_others_are_not() {
        let cases = [
            (ErrorKind::Temporary, true, false),
            (ErrorKind::RateLimited, true, false),
            (ErrorKind::Auth, false, true),
            (ErrorKind::Config, false, true),
            (ErrorKind::State, false, true),
            (ErrorKind::Rejected, false, false),
            (ErrorKind::InvalidData, false, false),
            (ErrorKind::Internal, false, false),
        ];
        for (kind, temporary, stops) in cases {
            let e = Error::new(kind, "x");
            assert_eq!(e.is_temporary(), temporary, "{kind}");
            assert_eq!(e.stops_run(), stops, "{kind}");
        }
    }

    #[test]
    fn redact_replaces_every_secret_and_keeps_the_rest() {
        let e = Error::rate_limited("echo: tok3n and s3cret, tok3n again")
            .with_target("x")
            .with_retry_after(Duration::from_secs(3))
            .redact(["tok3n", "", "s3cret", "absent"]);
        assert_eq!(
            e.message(),
            "echo: [redacted] and [redacted], [redacted] again"
        );
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.target(), Some("x"));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
    }

    #[test]
    fn display_is_one_line_with_target_and_context() {
        let e = Error::rejected("phone is invalid")
            .context("deal 42")
            .with_target("liner");
        assert_eq!(e.to_string(), "liner: deal 42: phone is invalid");
    }
}
