//! Telling every part of a pass to stop taking new work.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Why a pass stopped before reading everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopReason {
    /// Ctrl-C or SIGTERM: in-flight work finished and was saved.
    Interrupted,
    /// Credentials were refused (Liner or a CRM); nothing was marked for it.
    Auth(String),
    /// Liner kept failing; the deals not yet delivered are left for the next pass.
    SinkUnavailable(String),
    /// The configuration does not work (e.g. Liner answers 404: wrong base_url).
    Config(String),
    /// The state file failed.
    State(String),
}

impl StopReason {
    /// The reason for an error that stops the run ([`crate::Error::stops_run`]).
    pub fn from_fatal(error: &crate::Error) -> Self {
        match error.kind() {
            crate::ErrorKind::Auth => StopReason::Auth(error.to_string()),
            crate::ErrorKind::State => StopReason::State(error.to_string()),
            _ => StopReason::Config(error.to_string()),
        }
    }
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::Interrupted => f.write_str("interrupted"),
            StopReason::Auth(why) => write!(f, "authorisation failed: {why}"),
            StopReason::SinkUnavailable(why) => write!(f, "Liner unavailable: {why}"),
            StopReason::Config(why) => write!(f, "configuration error: {why}"),
            StopReason::State(why) => write!(f, "state file error: {why}"),
        }
    }
}

/// A shared "stop now" flag with the first reason given. Cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    stopped: AtomicBool,
    reason: Mutex<Option<StopReason>>,
    notify: Notify,
}

impl Stop {
    /// A flag that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the flag; the first reason wins.
    pub fn stop(&self, reason: StopReason) {
        if let Ok(mut slot) = self.inner.reason.lock() {
            slot.get_or_insert(reason);
        }
        self.inner.stopped.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    /// True once [`stop`](Self::stop) was called.
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.load(Ordering::SeqCst)
    }

    /// The first reason given.
    pub fn reason(&self) -> Option<StopReason> {
        self.inner.reason.lock().ok().and_then(|r| r.clone())
    }

    /// Resolves once the flag is set.
    pub async fn stopped(&self) {
        loop {
            let notified = self.inner.notify.notified();
            if self.is_stopped() {
                return;
            }
            notified.await;
        }
    }
}
