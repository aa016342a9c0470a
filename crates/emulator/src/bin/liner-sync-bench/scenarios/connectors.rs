//! Each connector alone, in a clean run with every rate limit off: CRM
//! requests per page of deals, and what the whole pipeline does per lead.

use serde_json::json;

use super::{Crm, lead_creates};
use crate::report::{Report, fixed, met};
use crate::traffic::Traffic;
use crate::world::{Limits, World};
use crate::{BenchResult, Setup};

/// Deals in the CRM of each run.
fn deals(quick: bool) -> usize {
    if quick { 10_000 } else { 100_000 }
}

/// One run per connector.
pub async fn run(setup: &Setup) -> BenchResult<Report> {
    let deals = deals(setup.quick);
    let mut rows = Vec::new();
    let mut results = Vec::new();
    for crm in Crm::ALL {
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
        let per_page = crm
            .page_size()
            .map(|size| traffic.total as f64 * size as f64 / counts.fetched.max(1) as f64);
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
            "target",
            "by method",
            "leads",
            "leads/s",
            "CPU ms/lead",
            "peak RSS MiB",
        ],
        rows,
        notes: vec![
            "requests/page = CRM requests × page size / deals read, every request of the run \
             counted (start-up ones included), phones and contacts included."
                .to_owned(),
            "leads/s and CPU are liner-sync's own (a child process); the fakes run in this \
             process on the same cores."
                .to_owned(),
        ],
        json: json!(results),
    })
}
