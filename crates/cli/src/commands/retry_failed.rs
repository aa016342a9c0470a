//! `liner-sync retry-failed`: reads each dead letter afresh from its CRM
//! (a phone may have been fixed since) and sends it through the normal
//! mapping and submission path; every other deal stays as it is.

use super::pipeline;
use crate::config::LoadedConfig;
use crate::error::{CliError, exit};
use crate::output;
use crate::signals;
use liner_sync_core::engine::{PassReport, SourceJob};
use liner_sync_core::state::DeadLetter;
use std::collections::BTreeSet;

/// Re-sends the dead letters of `source` (or every enabled source), only
/// those in `ids` when any are given. Returns the exit code.
pub async fn execute(
    loaded: &LoadedConfig,
    source: Option<&str>,
    ids: &[String],
) -> Result<u8, CliError> {
    let pipeline = pipeline::open(loaded, source, false, vec![])?;
    signals::stop_on_signals(pipeline.engine.stop_handle());
    let letters = pipeline.store.dead_letters(source)?;
    let mut unmatched: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
    let mut reports = Vec::new();
    for job in &pipeline.jobs {
        let name = job.source.name();
        let chosen: Vec<&DeadLetter> = letters
            .iter()
            .filter(|l| l.source == name)
            .filter(|l| ids.is_empty() || ids.contains(&l.record.deal_id))
            .collect();
        for letter in &chosen {
            unmatched.remove(letter.record.deal_id.as_str());
        }
        if chosen.is_empty() {
            continue;
        }
        let deals = match read_again(job, &chosen).await {
            Ok(deals) => deals,
            Err(e) if e.stops_run() => return Err(e.into()),
            Err(e) => {
                outln!("{name}: could not read the deals again: {e}");
                reports.push(exit::INCOMPLETE);
                continue;
            }
        };
        let report = pipeline.engine.redrive(job, deals).await;
        out!("{}", summary(&report, chosen.len()));
        reports.push(output::exit_code(&report));
    }
    for id in unmatched {
        outln!("deal {id}: not a rejected or failed deal of the chosen source(s); left alone");
    }
    if letters.is_empty() {
        outln!("no rejected or failed deals");
    }
    Ok(reports.into_iter().max().unwrap_or(exit::OK))
}

/// The chosen deals as the CRM has them now; those it no longer has are
/// named and left as they are.
async fn read_again(
    job: &SourceJob,
    chosen: &[&DeadLetter],
) -> liner_sync_core::Result<Vec<liner_sync_core::Deal>> {
    let mut deals = Vec::new();
    for letter in chosen {
        let id = &letter.record.deal_id;
        match job.source.deal(id).await? {
            Some(deal) => deals.push(deal),
            None => outln!(
                "{}: deal {id} is no longer in the CRM; its row is left as it is",
                job.source.name()
            ),
        }
    }
    Ok(deals)
}

fn summary(report: &PassReport, chosen: usize) -> String {
    let mut out = String::new();
    for s in &report.sources {
        out.push_str(&format!(
            "{}: {chosen} dead letter(s), {} read again: {} sent, {} rejected, {} failed\n",
            s.name, s.fetched, s.sent, s.rejected, s.failed
        ));
        for (reason, n) in &s.rejections {
            out.push_str(&format!("  rejected again: {reason} ({n})\n"));
        }
    }
    if let Some(stop) = &report.stop {
        out.push_str(&format!("stopped: {stop}\n"));
    }
    out
}
