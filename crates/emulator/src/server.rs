//! Serving a router on 127.0.0.1 until the owner lets go.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running HTTP server. Dropping it stops accepting at once and closes idle
/// keep-alive connections, so a dropped fake cannot answer from a client's
/// connection pool either.
#[derive(Debug)]
pub(crate) struct ServerHandle {
    addr: SocketAddr,
    task: JoinHandle<()>,
    _stop: oneshot::Sender<()>,
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds `127.0.0.1:port` (0 = any free port), so the address is known
/// before the router that may need it is built.
pub(crate) async fn bind(port: u16) -> io::Result<TcpListener> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await
}

/// Serves `router` on `listener`.
pub(crate) fn serve(listener: TcpListener, router: Router) -> io::Result<ServerHandle> {
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        if let Err(error) = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!(%error, %addr, "fake server stopped");
        }
    });
    Ok(ServerHandle {
        addr,
        task,
        _stop: stop,
    })
}
