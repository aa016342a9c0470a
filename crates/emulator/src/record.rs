//! The log of every HTTP request a fake answered.

use std::sync::Mutex;
use std::time::Instant;

use crate::lock::lock;

/// One HTTP request as a fake saw it, secrets removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The URL path without secrets (Bitrix24's webhook code becomes `***`),
    /// e.g. `/rest/1/***/batch`. No query string.
    pub path: String,
    /// The API method: `crm.deal.list`, `batch`, `lead/create-async`, `order`…
    pub method: String,
    /// The HTTP status of the reply.
    pub status: u16,
    /// For a Bitrix24 `batch`: the sub-call method names, in order.
    pub sub_calls: Vec<String>,
    /// When the request arrived (for the rates benchmarks measure).
    pub at: Instant,
}

/// Sub-call method names a handler attaches to its response, for the recorder.
#[derive(Debug, Clone, Default)]
pub(crate) struct SubCalls(pub Vec<String>);

/// An append-only, thread-safe list of [`RecordedRequest`]s.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    requests: Mutex<Vec<RecordedRequest>>,
}

impl Recorder {
    /// Appends one request.
    pub fn push(&self, request: RecordedRequest) {
        lock(&self.requests).push(request);
    }

    /// Every request so far, in order.
    pub fn all(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    /// Forgets every request so far.
    pub fn clear(&self) {
        lock(&self.requests).clear();
    }
}
