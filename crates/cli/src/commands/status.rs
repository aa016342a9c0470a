//! `liner-sync status`: what the state file says, per source.

use crate::config::LoadedConfig;
use crate::error::CliError;
use liner_sync_core::Result;
use liner_sync_core::engine::backfill_key_parts;
use liner_sync_core::state::{Outcome, PassRecord, StateStore};
use serde_json::{Value, json};

const PROBLEMS_SHOWN: usize = 5;

/// Prints the status of every configured source (and any the state still has).
pub fn execute(loaded: &LoadedConfig, as_json: bool) -> Result<(), CliError> {
    let path = loaded.state_path();
    let store = StateStore::open_read_only(&path)?;
    let status = match &store {
        Some(store) => status_of(loaded, Some(store)).map_err(|e| store.explain(e))?,
        None => status_of(loaded, None)?,
    };
    if as_json {
        outln!("{status:#}");
    } else {
        out!("{}", text(&status));
    }
    Ok(())
}

/// What the state file (if any) says of every configured source and of any
/// source only the state still has.
fn status_of(loaded: &LoadedConfig, store: Option<&StateStore>) -> Result<Value> {
    let mut names: Vec<String> = loaded
        .config
        .sources
        .iter()
        .map(|s| s.name.clone())
        .collect();
    if let Some(store) = store {
        for key in store.sources()? {
            let name = backfill_key_parts(&key).map_or(key.clone(), |(owner, _)| owner.to_owned());
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    let sources = names
        .iter()
        .map(|name| source_status(loaded, store, name))
        .collect::<Result<Vec<_>>>()?;
    let path = loaded.state_path();
    Ok(
        json!({ "state": path.display().to_string(), "exists": store.is_some(), "sources": sources }),
    )
}

fn source_status(loaded: &LoadedConfig, store: Option<&StateStore>, name: &str) -> Result<Value> {
    let entry = loaded.config.sources.iter().find(|s| s.name == name);
    let kind = entry.map(|e| e.kind.as_str());
    let Some(store) = store else {
        return Ok(
            json!({"name": name, "kind": kind, "configured": entry.is_some(), "cursor": null}),
        );
    };
    let counts = store.counts(name)?;
    let last_pass = store
        .passes(name, 1)?
        .into_iter()
        .next()
        .map(|p| pass_json(&p));
    let complete = store.last_complete_pass(name)?;
    let lag = complete.as_ref().and_then(|p| {
        let started = chrono::DateTime::parse_from_rfc3339(&p.started_at).ok()?;
        Some((chrono::Utc::now() - started.to_utc()).num_seconds().max(0))
    });
    let mut backfills = Vec::new();
    for key in store.sources()? {
        if let Some((owner, window)) = backfill_key_parts(&key)
            && owner == name
        {
            backfills.push(json!({
                "window": window,
                "cursor": store.cursor(&key)?.map(|c| c.0),
                "last_pass": store.passes(&key, 1)?.first().map(pass_json),
            }));
        }
    }
    let problems: Vec<Value> = store
        .recent(
            name,
            &[Outcome::Rejected, Outcome::Failed, Outcome::Pending],
            PROBLEMS_SHOWN,
        )?
        .into_iter()
        .map(|r| {
            json!({"deal_id": r.deal_id, "outcome": r.outcome.as_str(), "attempts": r.attempts,
                        "reason": r.last_error, "at": r.updated_at})
        })
        .collect();
    Ok(json!({
        "name": name,
        "kind": kind,
        "configured": entry.is_some(),
        "enabled": entry.map(|e| e.enabled),
        "cursor": store.cursor(name)?.map(|c| c.0),
        "counts": {"sent": counts.sent, "rejected": counts.rejected, "failed": counts.failed, "pending": counts.pending},
        "last_pass": last_pass,
        "last_clean_pass": store.last_clean_pass(name)?,
        "last_success": complete.map(|p| p.finished_at),
        "cursor_lag_seconds": lag,
        "backfills": backfills,
        "recent_problems": problems,
    }))
}

fn pass_json(p: &PassRecord) -> Value {
    json!({"started_at": p.started_at, "finished_at": p.finished_at, "fetched": p.fetched,
           "sent": p.sent, "rejected": p.rejected, "failed": p.failed, "skipped": p.skipped, "error": p.error})
}

fn text(status: &Value) -> String {
    let mut out = format!("state: {}\n", status["state"].as_str().unwrap_or_default());
    if status["exists"] == false {
        out.push_str("  (no state file yet: nothing has run)\n");
    }
    for s in status["sources"].as_array().into_iter().flatten() {
        let kind = s["kind"].as_str().unwrap_or("not configured any more");
        out.push_str(&format!(
            "\n{} ({kind})\n",
            s["name"].as_str().unwrap_or_default()
        ));
        match &s["cursor"] {
            Value::Null => out.push_str("  cursor:    none yet\n"),
            c => out.push_str(&format!("  cursor:    {c}\n")),
        }
        if let Some(c) = s.get("counts") {
            out.push_str(&format!(
                "  deals:     {} sent, {} rejected, {} failed, {} pending\n",
                c["sent"], c["rejected"], c["failed"], c["pending"]
            ));
        }
        if let Some(p) = s.get("last_pass").filter(|p| !p.is_null()) {
            out.push_str(&format!(
                "  last pass: {}: {} fetched, {} sent, {} rejected, {} failed, {} already handled\n",
                p["finished_at"].as_str().unwrap_or_default(), p["fetched"], p["sent"], p["rejected"], p["failed"], p["skipped"]
            ));
            if let Some(e) = p["error"].as_str() {
                out.push_str(&format!("             stopped early: {e}\n"));
            }
        }
        if let Some(at) = s.get("last_success").and_then(Value::as_str) {
            out.push_str(&format!(
                "  caught up: {at} (cursor lag {}s: every deal created before the start of that pass is settled)\n",
                s["cursor_lag_seconds"]
            ));
        }
        for b in s
            .get("backfills")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let pass = &b["last_pass"];
            out.push_str(&format!(
                "  backfill {}: cursor {}; last pass {}: {} fetched, {} sent, {} rejected, {} failed, {} already handled\n",
                b["window"].as_str().unwrap_or_default(),
                b["cursor"],
                pass["finished_at"].as_str().unwrap_or("never"),
                pass["fetched"], pass["sent"], pass["rejected"], pass["failed"], pass["skipped"]
            ));
        }
        for problem in s
            .get("recent_problems")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.push_str(&format!(
                "  {} deal {} ({} attempt(s), {}): {}\n",
                problem["outcome"].as_str().unwrap_or_default(),
                problem["deal_id"].as_str().unwrap_or_default(),
                problem["attempts"],
                problem["at"].as_str().unwrap_or_default(),
                problem["reason"]
                    .as_str()
                    .unwrap_or("in flight or interrupted")
            ));
        }
    }
    out
}
