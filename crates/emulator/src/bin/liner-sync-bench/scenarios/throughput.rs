//! The whole pipeline flat out: every CRM at once, every rate limit off.

use liner_sync_emulator::SandboxOptions;
use serde_json::json;

use crate::report::{Report, fixed};
use crate::world::{Limits, World};
use crate::{BenchResult, Setup};

/// Deals in each of the four CRMs.
fn deals_per_crm(quick: bool) -> usize {
    if quick { 2_500 } else { 25_000 }
}

/// One run of all four sources.
pub async fn run(setup: &Setup) -> BenchResult<Report> {
    let per_crm = deals_per_crm(setup.quick);
    let options = SandboxOptions {
        deals: per_crm,
        enforce_rate_limits: false,
        ..SandboxOptions::default()
    };
    let world = World::start(setup, options, &Limits::off()).await?;
    let own_cpu_before = crate::procfs::own_cpu();
    let (measured, summary) = world.run(None).await?;
    let fakes_cpu = crate::procfs::own_cpu()
        .zip(own_cpu_before)
        .map(|(after, before)| after.saturating_sub(before).as_secs_f64());
    let counts = summary.total();
    let wall = measured.wall.as_secs_f64();
    let leads_per_s = counts.sent as f64 / wall;
    let cpu_ms = measured.cpu_ms_per(counts.sent);
    let rows = vec![vec![
        counts.fetched.to_string(),
        counts.sent.to_string(),
        counts.rejected.to_string(),
        format!("{wall:.2} s"),
        format!("{leads_per_s:.0}"),
        fixed(measured.cpu.map(|c| c.as_secs_f64()), 2),
        fixed(cpu_ms, 3),
        fixed(fakes_cpu, 2),
        fixed(measured.peak_rss_mib(), 1),
    ]];
    Ok(Report {
        scenario: "throughput",
        title: format!(
            "End-to-end throughput, four sources at once ({per_crm} deals each), rate limits off"
        ),
        headers: vec![
            "deals",
            "leads",
            "rejected",
            "wall",
            "leads/s",
            "liner-sync CPU s",
            "CPU ms/lead",
            "fakes CPU s",
            "peak RSS MiB",
        ],
        rows,
        notes: vec![
            "Wall time is the liner-sync process's whole life (start-up, state file, all four \
             passes). The fakes share the machine's cores; their CPU time is shown beside."
                .to_owned(),
        ],
        json: json!({
            "deals_per_crm": per_crm,
            "deals_fetched": counts.fetched,
            "leads_sent": counts.sent,
            "rejected": counts.rejected,
            "wall_s": wall,
            "leads_per_s": leads_per_s,
            "cpu_s": measured.cpu.map(|c| c.as_secs_f64()),
            "cpu_ms_per_lead": cpu_ms,
            "fakes_cpu_s": fakes_cpu,
            "peak_rss_mib": measured.peak_rss_mib(),
        }),
    })
}
