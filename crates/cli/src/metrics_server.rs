//! `--metrics-addr`: `/metrics` in the Prometheus text format and `/healthz`.
//!
//! The `metrics` facade is fed by core (every HTTP request, retry and
//! rate-limit wait) and by [`MetricEvents`] (pass figures); this module
//! installs the Prometheus recorder behind it and serves what it renders.

use crate::error::CliError;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use liner_sync_core::telemetry::MetricEvents;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Clone)]
struct Served {
    handle: PrometheusHandle,
    events: Arc<MetricEvents>,
}

/// Installs the recorder and serves it on `addr` until the process ends.
/// Returns the address bound (useful with port 0).
pub async fn start(addr: SocketAddr, events: Arc<MetricEvents>) -> Result<SocketAddr, CliError> {
    let handle = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| CliError::internal(format!("cannot install the metrics recorder: {e}")))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::config(format!("--metrics-addr {addr}: cannot listen: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| CliError::internal(format!("--metrics-addr {addr}: {e}")))?;
    let app = Router::new()
        .route("/metrics", get(render))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(Served { handle, events });
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!("the metrics endpoint stopped: {e}");
        }
    });
    tracing::info!(address = %bound, "serving /metrics and /healthz");
    Ok(bound)
}

async fn render(State(served): State<Served>) -> impl IntoResponse {
    served.events.refresh_lag();
    served.handle.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        served.handle.render(),
    )
}
