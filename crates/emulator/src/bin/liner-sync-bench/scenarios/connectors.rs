//! Each connector alone, in a clean run with every rate limit off: CRM
//! requests per page of deals, and what the whole pipeline does per lead.
//!
//! Each connector runs twice, over half the deals and over all of them: the
//! difference is the cost of the extra pages alone (what a page costs in a
//! pass of any length), the rest is what a pass costs once (start-up calls,
//! a last look for contacts).

use serde_json::json;

use super::{Crm, lead_creates};
use crate::child::Measured;
use crate::report::{Report, fixed, met};
use crate::summary::Counts;
use crate::traffic::Traffic;
use crate::world::{Limits, World};
use crate::{BenchResult, Setup};

/// Deals in the CRM of each run.
fn deals(quick: bool) -> usize {
    if quick { 10_000 } else { 100_000 }
}

/// One clean run of `deals` in `crm` alone.
struct CleanRun {
    measured: Measured,
    counts: Counts,
    traffic: Traffic,
}

async fn clean_run(setup: &Setup, crm: Crm, deals: usize) -> BenchResult<CleanRun> {
    let world = World::start(setup, crm.alone(deals), &Limits::off()).await?;
    let (measured, summary) = world.run(Some(crm.source())).await?;
    let traffic = Traffic::of(&crm.requests(&world.sandbox));
    let counts = summary.total();
    let accepted = lead_creates(&world.sandbox).len() as u64;
    if accepted != counts.sent {
        return Err(format!(
            "{}: liner-sync says {} sent, the fake Liner accepted {accepted}",
            crm.label(),
            counts.sent
        )
        .into());
    }
    Ok(CleanRun {
        measured,
        counts,
        traffic,
    })
}

/// Two runs per connector.
pub async fn run(setup: &Setup) -> BenchResult<Report> {
    let deals = deals(setup.quick);
    let mut rows = Vec::new();
    let mut results = Vec::new();
    for crm in Crm::ALL {
        let half = clean_run(setup, crm, deals / 2).await?;
        let CleanRun {
            measured,
            counts,
            traffic,
        } = clean_run(setup, crm, deals).await?;
        let whole_run = crm
            .page_size()
            .map(|size| traffic.total as f64 * size as f64 / counts.fetched.max(1) as f64);
        let extra_deals = counts.fetched.saturating_sub(half.counts.fetched).max(1) as f64;
        let extra_requests = traffic.total as f64 - half.traffic.total as f64;
        let per_page = crm
            .page_size()
            .map(|size| extra_requests * size as f64 / extra_deals);
        let per_pass = per_page.zip(crm.page_size()).map(|(per_page, size)| {
            traffic.total as f64 - per_page * counts.fetched as f64 / size as f64
        });
        let target = crm.target_per_page();
        let page = crm
            .page_size()
            .map_or_else(|| "whole feed".to_owned(), |size| format!("{size}"));
        let leads_per_s = counts.sent as f64 / measured.wall.as_secs_f64();
        rows.push(vec![
            crm.label().to_owned(),
            counts.fetched.to_string(),
            traffic.total.to_string(),
            page,
            fixed(per_page, 2),
            fixed(per_pass, 1),
            fixed(whole_run, 3),
            target.map_or_else(
                || "-".to_owned(),
                |t| format!("≤ {t}: {}", met(per_page.is_some_and(|p| p <= t))),
            ),
            traffic.methods(),
            counts.sent.to_string(),
            format!("{leads_per_s:.0}"),
            fixed(measured.cpu_ms_per(counts.sent), 3),
            fixed(measured.peak_rss_mib(), 1),
        ]);
        results.push(json!({
            "crm": crm.label(),
            "deals_fetched": counts.fetched,
            "crm_requests": traffic.total,
            "crm_requests_by_method": traffic.by_method,
            "crm_refused": traffic.refused(),
            "page_size": crm.page_size(),
            "requests_per_page": per_page,
            "requests_once_per_pass": per_pass,
            "requests_per_page_whole_run": whole_run,
            "half_run": { "deals_fetched": half.counts.fetched, "crm_requests": half.traffic.total },
            "target_per_page": target,
            "leads_sent": counts.sent,
            "rejected": counts.rejected,
            "wall_s": measured.wall.as_secs_f64(),
            "leads_per_s": leads_per_s,
            "cpu_s": measured.cpu.map(|c| c.as_secs_f64()),
            "cpu_ms_per_lead": measured.cpu_ms_per(counts.sent),
            "peak_rss_mib": measured.peak_rss_mib(),
        }));
    }
    Ok(Report {
        scenario: "connectors",
        title: format!(
            "CRM requests per page in a clean run, {deals} deals per connector, rate limits off"
        ),
        headers: vec![
            "CRM",
            "deals",
            "requests",
            "page",
            "requests/page",
            "+ once a pass",
            "whole run/page",
            "target (per page)",
            "by method",
            "leads",
            "leads/s",
            "CPU ms/lead",
            "peak RSS MiB",
        ],
        rows,
        notes: vec![
            format!(
                "requests/page = the requests the second half of the deals added × page size / \
                 the deals it added (a run over {} deals, then one over {deals}); \
                 \"+ once a pass\" = the rest of the full run's requests; \"whole run/page\" \
                 = all of the full run's requests × page size / deals read. Phones and \
                 contacts included.",
                deals / 2
            ),
            "leads/s and CPU are liner-sync's own (a child process); the fakes run in this \
             process on the same cores."
                .to_owned(),
        ],
        json: json!(results),
    })
}
