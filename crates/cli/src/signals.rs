//! Ctrl-C and SIGTERM: finish what is in flight, save, exit.

use liner_sync_core::engine::{Stop, StopReason};

/// Stops `stop` on the first Ctrl-C or SIGTERM; a second one exits at once.
pub fn stop_on_signals(stop: Stop) {
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::warn!(
            "stopping: finishing the requests in flight and saving (press Ctrl-C again to quit at once)"
        );
        eprintln!("liner-sync: stopping: finishing the requests in flight and saving…");
        stop.stop(StopReason::Interrupted);
        wait_for_signal().await;
        eprintln!(
            "liner-sync: quitting at once; deals in flight stay pending and are re-sent next run"
        );
        std::process::exit(i32::from(crate::error::exit::INTERRUPTED));
    });
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
