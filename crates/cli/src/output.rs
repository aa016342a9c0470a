//! Printing what a pass did, and the exit code it means.

use crate::error::{code_for_kind, code_for_stop, exit};
use liner_sync_core::engine::{PassReport, SourceReport};
use serde_json::{Value, json};

/// The exit code for a finished pass: the most serious problem wins.
pub fn exit_code(report: &PassReport) -> u8 {
    let mut codes = vec![exit::OK];
    if let Some(stop) = &report.stop {
        codes.push(code_for_stop(stop));
    }
    for source in &report.sources {
        if let Some((kind, _)) = &source.error {
            codes.push(code_for_kind(*kind));
        }
        if source.failed > 0 {
            codes.push(exit::INCOMPLETE);
        }
    }
    let rank = |code: &u8| match *code {
        exit::INTERRUPTED => 6,
        exit::STATE => 5,
        exit::AUTH => 4,
        exit::CONFIG => 3,
        exit::INTERNAL => 2,
        exit::INCOMPLETE => 1,
        _ => 0,
    };
    codes.into_iter().max_by_key(rank).unwrap_or(exit::OK)
}

/// The human summary of a pass, one block per source.
pub fn text(report: &PassReport, dry_run: bool) -> String {
    let mut out = String::new();
    let sent = if dry_run { "would send" } else { "sent" };
    for s in &report.sources {
        out.push_str(&format!(
            "{} ({}): {} fetched, {} {sent}, {} rejected, {} failed, {} already handled\n",
            s.name, s.kind, s.fetched, s.sent, s.rejected, s.failed, s.skipped
        ));
        if s.started_from_now {
            let at = s
                .cursor_after
                .as_ref()
                .map(|c| c.to_string())
                .unwrap_or_default();
            out.push_str(&format!(
                "  first run without start_from: recorded the current position {at}; nothing sent. \
                 Deals created from now on will be sent (set start_from to send older ones)\n"
            ));
        }
        if s.resent > 0 {
            out.push_str(&format!(
                "  {} deal(s) were pending from an earlier run and were sent again\n",
                s.resent
            ));
        }
        if !s.rejections.is_empty() {
            let reasons: Vec<String> = s
                .rejections
                .iter()
                .map(|(r, n)| format!("{r} ({n})"))
                .collect();
            out.push_str(&format!("  rejected: {}\n", reasons.join("; ")));
        }
        if let (Some(before), Some(after)) = (&s.cursor_before, &s.cursor_after)
            && before != after
            && !dry_run
        {
            out.push_str(&format!("  cursor: {before} → {after}\n"));
        }
        if let Some((_, message)) = &s.error {
            out.push_str(&format!("  stopped early: {message}\n"));
        }
        if s.failed > 0 {
            out.push_str("  deals that failed are tried again on the next run\n");
        }
    }
    if let Some(stop) = &report.stop {
        out.push_str(&format!("pass stopped: {stop}\n"));
    }
    out
}

/// One source's figures as JSON.
pub fn source_json(s: &SourceReport) -> Value {
    json!({
        "name": s.name,
        "kind": s.kind.as_str(),
        "fetched": s.fetched,
        "sent": s.sent,
        "rejected": s.rejected,
        "failed": s.failed,
        "skipped": s.skipped,
        "resent": s.resent,
        "rejections": s.rejections,
        "cursor_before": s.cursor_before.as_ref().map(|c| &c.0),
        "cursor_after": s.cursor_after.as_ref().map(|c| &c.0),
        "started_from_now": s.started_from_now,
        "error": s.error.as_ref().map(|(_, m)| m),
    })
}

/// The whole pass as JSON.
pub fn json(report: &PassReport) -> Value {
    json!({
        "sources": report.sources.iter().map(source_json).collect::<Vec<_>>(),
        "stopped": report.stop.as_ref().map(|s| s.to_string()),
        "exit_code": exit_code(report),
    })
}

/// Writes `text` to stdout. A closed pipe means the reader has seen enough:
/// the process ends quietly with code 0 (the work was done before printing).
pub fn write_stdout(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("liner-sync: cannot write to stdout: {e}");
    }
}
