//! The middleware in front of every fake: latency, fault injection and the
//! request log.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::faults::{Fault, Faults};
use crate::html::nginx_error_page;
use crate::malformed::truncated_json;
use crate::record::{RecordedRequest, Recorder, SubCalls};
use crate::system::FakeSystem;

/// What the middleware shares with its fake.
pub(crate) struct Observer<S> {
    pub system: Arc<S>,
    pub faults: Arc<Faults>,
    pub recorder: Arc<Recorder>,
}

/// Delays, maybe replaces the reply with a fault, and records the request.
pub(crate) async fn observe<S: FakeSystem>(
    State(observer): State<Arc<Observer<S>>>,
    request: Request,
    next: Next,
) -> Response {
    let at = Instant::now();
    let (path, method) = observer.system.describe(request.uri().path());
    let latency = observer.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let response = match observer.faults.decide() {
        Some(fault) => fault_reply(observer.system.as_ref(), fault),
        None => next.run(request).await,
    };
    let sub_calls = response
        .extensions()
        .get::<SubCalls>()
        .map(|calls| calls.0.clone())
        .unwrap_or_default();
    observer.recorder.push(RecordedRequest {
        path,
        method,
        status: response.status().as_u16(),
        sub_calls,
        at,
    });
    response
}

fn fault_reply<S: FakeSystem>(system: &S, fault: Fault) -> Response {
    match fault {
        Fault::AuthBroken => system.auth_error(),
        Fault::Status(status) => system.status_error(status),
        Fault::Temporary { pick } => system.temporary_error(pick),
        Fault::Html { pick } => {
            let statuses = system.html_statuses();
            let status = statuses
                .get((pick % statuses.len().max(1) as u64) as usize)
                .copied()
                .unwrap_or(502);
            nginx_error_page(status)
        }
        Fault::Malformed { cut } => {
            truncated_json(system.sample_body(), system.sample_content_type(), cut)
        }
    }
}
