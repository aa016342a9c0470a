//! What every running fake owns: its server, fault knobs and request log.

use std::io;
use std::sync::Arc;

use axum::{Router, middleware};
use tokio::net::TcpListener;

use crate::faults::Faults;
use crate::observe::{Observer, observe};
use crate::record::{RecordedRequest, Recorder};
use crate::server::{ServerHandle, bind, serve};
use crate::system::FakeSystem;

/// The shared half of a fake; the system-specific half holds the data.
#[derive(Debug)]
pub(crate) struct Harness {
    faults: Arc<Faults>,
    recorder: Arc<Recorder>,
    server: ServerHandle,
}

impl Harness {
    /// Wraps `routes` in the fault/recording middleware for `system`, driven
    /// by `faults`, and serves them on `127.0.0.1:port`.
    pub async fn start<S: FakeSystem>(
        system: Arc<S>,
        routes: Router,
        faults: Arc<Faults>,
        port: u16,
    ) -> io::Result<Self> {
        Self::start_on(Listener::bind(port).await?, system, routes, faults)
    }

    /// As [`Harness::start`], on a listener bound beforehand (for a fake
    /// whose replies carry its own URL).
    pub fn start_on<S: FakeSystem>(
        listener: Listener,
        system: Arc<S>,
        routes: Router,
        faults: Arc<Faults>,
    ) -> io::Result<Self> {
        let recorder = Arc::new(Recorder::default());
        let observer = Arc::new(Observer {
            system,
            faults: faults.clone(),
            recorder: recorder.clone(),
        });
        let router = routes.layer(middleware::from_fn_with_state(observer, observe::<S>));
        let server = serve(listener.0, router)?;
        Ok(Harness {
            faults,
            recorder,
            server,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.addr())
    }

    /// The fault knobs.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.recorder.all()
    }

    /// Forgets every request so far.
    pub fn clear_requests(&self) {
        self.recorder.clear();
    }
}

/// A bound, not yet serving, socket on 127.0.0.1.
#[derive(Debug)]
pub(crate) struct Listener(TcpListener);

impl Listener {
    /// Binds `127.0.0.1:port` (0 = any free port).
    pub async fn bind(port: u16) -> io::Result<Self> {
        Ok(Listener(bind(port).await?))
    }

    /// `http://127.0.0.1:PORT`, as the harness will report it.
    pub fn base_url(&self) -> io::Result<String> {
        Ok(format!("http://{}", self.0.local_addr()?))
    }
}
