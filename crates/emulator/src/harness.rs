//! What every running fake owns: its server, fault knobs and request log.

use std::io;
use std::sync::Arc;

use axum::{Router, middleware};

use crate::faults::Faults;
use crate::observe::{Observer, observe};
use crate::record::{RecordedRequest, Recorder};
use crate::server::{ServerHandle, serve};
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
        let recorder = Arc::new(Recorder::default());
        let observer = Arc::new(Observer {
            system,
            faults: faults.clone(),
            recorder: recorder.clone(),
        });
        let router = routes.layer(middleware::from_fn_with_state(observer, observe::<S>));
        let server = serve(router, port).await?;
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
