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
///
/// A [`child`](Self::child) flag is also stopped when its parent is, but
/// stopping the child leaves the parent alone: one pass of a long-running
/// process can end on Liner being down while the process goes on.
#[derive(Debug, Clone, Default)]
pub struct Stop {
    inner: Arc<Inner>,
    parent: Option<Arc<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    stopped: AtomicBool,
    reason: Mutex<Option<StopReason>>,
    notify: Notify,
}

impl Inner {
    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    fn reason(&self) -> Option<StopReason> {
        self.reason.lock().ok().and_then(|r| r.clone())
    }
}

impl Stop {
    /// A flag that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A new flag that is also set whenever this one is.
    pub fn child(&self) -> Self {
        Self {
            inner: Arc::default(),
            parent: Some(self.inner.clone()),
        }
    }

    /// Sets the flag; the first reason wins.
    pub fn stop(&self, reason: StopReason) {
        if let Ok(mut slot) = self.inner.reason.lock() {
            slot.get_or_insert(reason);
        }
        self.inner.stopped.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    /// True once [`stop`](Self::stop) was called, here or on the parent.
    pub fn is_stopped(&self) -> bool {
        self.inner.is_stopped() || self.parent.as_ref().is_some_and(|p| p.is_stopped())
    }

    /// The first reason given here, else the parent's.
    pub fn reason(&self) -> Option<StopReason> {
        self.inner
            .reason()
            .or_else(|| self.parent.as_ref().and_then(|p| p.reason()))
    }

    /// Resolves once the flag (or the parent's) is set.
    pub async fn stopped(&self) {
        loop {
            let own = self.inner.notify.notified();
            let parent = self.parent.as_ref().map(|p| p.notify.notified());
            if self.is_stopped() {
                return;
            }
            match parent {
                Some(parent) => {
                    tokio::select! {
                        () = own => {}
                        () = parent => {}
                    }
                }
                None => own.await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_child_stops_with_its_parent_but_not_the_other_way() {
        let parent = Stop::new();
        let child = parent.child();
        child.stop(StopReason::SinkUnavailable("down".into()));
        assert!(child.is_stopped() && !parent.is_stopped());

        let other = parent.child();
        let waiting = tokio::spawn({
            let other = other.clone();
            async move { other.stopped().await }
        });
        parent.stop(StopReason::Interrupted);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(other.reason(), Some(StopReason::Interrupted));
        assert_eq!(
            child.reason(),
            Some(StopReason::SinkUnavailable("down".into()))
        );
    }
}
