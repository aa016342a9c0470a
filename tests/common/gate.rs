//! A TCP gate in front of an emulator: open, it passes every byte through;
//! closed, the system behind it is unreachable (new connections are cut at
//! once, open ones are cut too), as in a network outage.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{AbortHandle, JoinHandle};

/// A switchable TCP proxy on 127.0.0.1. Dropping it stops it.
pub struct Gate {
    addr: SocketAddr,
    open: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
    accepting: JoinHandle<()>,
}

impl Gate {
    /// An open gate to `base_url` (`http://127.0.0.1:PORT`).
    pub async fn to(base_url: &str) -> Gate {
        let target: SocketAddr = base_url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("an emulator's base URL is http://IP:PORT");
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let open = Arc::new(AtomicBool::new(true));
        let links = Arc::new(Mutex::new(Vec::new()));
        let accepting = tokio::spawn(accept(listener, target, open.clone(), links.clone()));
        Gate {
            addr,
            open,
            links,
            accepting,
        }
    }

    /// `http://127.0.0.1:PORT` of the gate.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// From now on the system is unreachable; connections in use are cut.
    pub fn close(&self) {
        self.open.store(false, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    /// From now on connections go through again.
    pub fn open(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.accepting.abort();
        self.close();
    }
}

async fn accept(
    listener: TcpListener,
    target: SocketAddr,
    open: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
) {
    while let Ok((client, _)) = listener.accept().await {
        if !open.load(Ordering::SeqCst) {
            drop(client);
            continue;
        }
        let link = tokio::spawn(pass_through(client, target));
        links.lock().unwrap().push(link.abort_handle());
    }
}

async fn pass_through(mut client: TcpStream, target: SocketAddr) {
    if let Ok(mut server) = TcpStream::connect(target).await {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    }
}
