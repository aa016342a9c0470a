//! `liner-sync check`: is the configuration valid, is every system reachable
//! with its credentials, and do the configured Liner orders exist?

use super::pipeline::jobs;
use crate::config::LoadedConfig;
use crate::error::{CliError, code_for_kind, exit};
use liner_sync_core::SourceContext;
use liner_sync_core::state::{OnDemandVault, StateStore};
use liner_sync_liner::{LinerClient, Order};
use std::sync::Arc;

/// Runs every check, prints one line per check, and returns the exit code.
pub async fn execute(loaded: &LoadedConfig) -> Result<u8, CliError> {
    let context = SourceContext {
        vault: Arc::new(OnDemandVault::new(&loaded.state_path())),
    };
    let jobs = jobs(loaded, None, &context)?;
    outln!(
        "ok   config {} ({} source(s))",
        loaded.file.display(),
        jobs.len()
    );
    let mut code = exit::OK;
    let mut fail = |line: String, c: u8| {
        outln!("FAIL {line}");
        if code == exit::OK {
            code = c;
        }
    };

    let path = loaded.state_path();
    match StateStore::open_read_only(&path) {
        Ok(Some(_)) => outln!("ok   state {} is readable", path.display()),
        Ok(None) => outln!(
            "ok   state {} will be created on the first run",
            path.display()
        ),
        Err(e) => fail(format!("state: {e}"), exit::STATE),
    }

    let results = futures::future::join_all(
        jobs.iter()
            .map(|job| async move { (job, within(CHECK_TIME, job.source.check()).await) }),
    )
    .await;
    for (job, result) in results {
        let source = &job.source;
        match result {
            Ok(()) => outln!(
                "ok   source {} ({}): reachable, credentials accepted",
                source.name(),
                source.kind()
            ),
            Err(e) => fail(
                format!("source {} ({}): {e}", source.name(), source.kind()),
                code_for_kind(e.kind()),
            ),
        }
    }

    let liner = LinerClient::new(&loaded.config.liner)?;
    match within(CHECK_TIME, liner.orders()).await {
        Ok(orders) => {
            outln!(
                "ok   liner: API key accepted, {} active order(s)",
                orders.len()
            );
            for job in &jobs {
                for (id, code_name) in job.mapper.orders() {
                    match find_order(&orders, id, code_name.as_deref()) {
                        Ok(order) => outln!(
                            "ok   source {}: Liner order {} '{}' exists",
                            job.source.name(),
                            order.id,
                            order.code.as_deref().unwrap_or("")
                        ),
                        Err(why) => {
                            fail(format!("source {}: {why}", job.source.name()), exit::CONFIG)
                        }
                    }
                }
            }
        }
        Err(e) => fail(format!("liner: {e}"), code_for_kind(e.kind())),
    }
    Ok(code)
}

/// How long one check may take, retries included, before it is reported as failed.
const CHECK_TIME: std::time::Duration = std::time::Duration::from_secs(30);

/// `check` answers in seconds: a system that keeps failing (retried
/// temporary errors) is reported once `limit` has passed.
async fn within<T>(
    limit: std::time::Duration,
    work: impl std::future::Future<Output = liner_sync_core::Result<T>>,
) -> liner_sync_core::Result<T> {
    tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
        Err(liner_sync_core::Error::temporary(format!(
            "no successful answer within {}s (unreachable or failing; the log above has each attempt)",
            limit.as_secs()
        )))
    })
}

/// The order that `id` and/or `code` name, or why there is none.
fn find_order<'a>(
    orders: &'a [Order],
    id: Option<u64>,
    code: Option<&str>,
) -> Result<&'a Order, String> {
    let by_id = id.map(|id| orders.iter().find(|o| o.id == id));
    let by_code = code.map(|c| orders.iter().find(|o| o.code.as_deref() == Some(c)));
    match (by_id, by_code) {
        (Some(None), _) => Err(format!(
            "Liner has no active order with id {}",
            id.unwrap_or_default()
        )),
        (_, Some(None)) => Err(format!(
            "Liner has no active order with code '{}'",
            code.unwrap_or_default()
        )),
        (Some(Some(a)), Some(Some(b))) if a.id != b.id => Err(format!(
            "order_id {} and order_code '{}' name different Liner orders ({} is '{}')",
            a.id,
            code.unwrap_or_default(),
            a.id,
            a.code.as_deref().unwrap_or("")
        )),
        (Some(Some(order)), _) | (None, Some(Some(order))) => Ok(order),
        (None, None) => Err("no order_id or order_code configured".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orders() -> Vec<Order> {
        vec![
            Order {
                id: 101,
                code: Some("main".into()),
                title: None,
            },
            Order {
                id: 102,
                code: Some("spb".into()),
                title: None,
            },
        ]
    }

    #[test]
    fn orders_are_found_by_id_code_or_both() {
        let o = orders();
        assert_eq!(find_order(&o, Some(101), None).unwrap().id, 101);
        assert_eq!(find_order(&o, None, Some("spb")).unwrap().id, 102);
        assert_eq!(find_order(&o, Some(102), Some("spb")).unwrap().id, 102);
        assert!(
            find_order(&o, Some(103), None)
                .unwrap_err()
                .contains("id 103")
        );
        assert!(
            find_order(&o, None, Some("msk"))
                .unwrap_err()
                .contains("'msk'")
        );
        assert!(
            find_order(&o, Some(101), Some("spb"))
                .unwrap_err()
                .contains("different")
        );
    }
}
