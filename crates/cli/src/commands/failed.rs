//! `liner-sync failed`: the dead letters, deals recorded rejected or failed,
//! with why, Liner's message, attempts and when.

use crate::config::LoadedConfig;
use crate::error::{CliError, exit};
use liner_sync_core::engine::reason_category;
use liner_sync_core::state::{DeadLetter, Outcome, StateStore};
use serde_json::{Value, json};

/// Prints the dead letters of `source` (or of every source).
pub fn execute(loaded: &LoadedConfig, source: Option<&str>, as_json: bool) -> Result<u8, CliError> {
    if let Some(name) = source {
        loaded
            .selected_sources(Some(name))
            .map_err(CliError::config)?;
    }
    let letters = match StateStore::open_read_only(&loaded.state_path())? {
        Some(store) => store.dead_letters(source).map_err(|e| store.explain(e))?,
        None => Vec::new(),
    };
    let rows: Vec<Value> = letters.iter().map(row).collect();
    if as_json {
        outln!("{}", Value::Array(rows));
        return Ok(exit::OK);
    }
    if rows.is_empty() {
        outln!("no rejected or failed deals");
    }
    for r in &rows {
        outln!(
            "{} deal {}: {} ({} attempt(s), {}): {}",
            r["source"].as_str().unwrap_or_default(),
            r["deal_id"].as_str().unwrap_or_default(),
            r["outcome"].as_str().unwrap_or_default(),
            r["attempts"],
            r["at"].as_str().unwrap_or_default(),
            r["reason"].as_str().unwrap_or_default(),
        );
        if let Some(message) = r["message"].as_str().filter(|m| *m != r["reason"]) {
            outln!("    {message}");
        }
    }
    Ok(exit::OK)
}

/// One dead letter as shown.
fn row(letter: &DeadLetter) -> Value {
    let r = &letter.record;
    json!({
        "source": letter.source,
        "deal_id": r.deal_id,
        "outcome": r.outcome.as_str(),
        "reason": reason(r.outcome, r.last_error.as_deref()),
        "message": r.last_error,
        "attempts": r.attempts,
        "at": r.updated_at,
        "deal_created_at": r.deal_created_at,
    })
}

/// Why the deal is a dead letter, in a few words that group like ones.
fn reason(outcome: Outcome, message: Option<&str>) -> String {
    match (outcome, message) {
        (Outcome::Failed, _) => "delivery kept failing".to_owned(),
        (_, Some(m)) if m.starts_with("liner:") => "refused by Liner".to_owned(),
        (_, Some(m)) => reason_category(m),
        (_, None) => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_group_dead_letters() {
        let cases = [
            (
                Outcome::Failed,
                Some("liner: HTTP 503"),
                "delivery kept failing",
            ),
            (
                Outcome::Rejected,
                Some("liner: phone: invalid"),
                "refused by Liner",
            ),
            (
                Outcome::Rejected,
                Some("no valid phone: \"8 900\": too few digits"),
                "no valid phone",
            ),
            (Outcome::Rejected, None, "unknown"),
        ];
        for (outcome, message, want) in cases {
            assert_eq!(reason(outcome, message), want, "{message:?}");
        }
    }
}
