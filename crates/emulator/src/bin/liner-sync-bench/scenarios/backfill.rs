//! A backfill of a big CRM (by default a Bitrix24 portal of 1,000,000 deals) with every rate
//! limit off: throughput and resident memory as it goes; then incremental
//! passes over the state it left, with nothing new.

use std::time::Instant;

use serde_json::json;

use super::lead_creates;
use crate::report::{Report, fixed};
use crate::traffic::Traffic;
use crate::world::{Limits, World};
use crate::{BenchResult, Setup};

/// Points of the backfill's progress (leads accepted) where resident memory
/// is shown.
const PROGRESS: [f64; 5] = [0.1, 0.25, 0.5, 0.75, 0.95];
/// Incremental passes timed after the backfill.
const INCREMENTAL_PASSES: usize = 3;

/// The backfill, then the incremental passes.
pub async fn run(setup: &Setup) -> BenchResult<Report> {
    let deals = setup.backfill_deals;
    let generating = Instant::now();
    let crm = setup.backfill_crm;
    let world = World::start(setup, crm.alone(deals), &Limits::off()).await?;
    let generated_s = generating.elapsed().as_secs_f64();
    let source = crm.source();
    let (backfill, summary) = world.run(Some(source)).await?;
    let counts = summary.total();
    let accepted = world.sandbox.liner.received_count() as u64;
    let crm_requests = Traffic::of(&crm.requests(&world.sandbox)).total;
    let rss = backfill.rss_at_progress(accepted, &PROGRESS);
    let wall = backfill.wall.as_secs_f64();
    let state_mib = file_mib(&world, "state.db") + file_mib(&world, "state.db-wal");
    let mut rows = vec![vec![
        "backfill".to_owned(),
        counts.fetched.to_string(),
        counts.sent.to_string(),
        format!("{wall:.2} s"),
        format!("{:.0}", counts.sent as f64 / wall),
        format!("{} ms/lead", fixed(backfill.cpu_ms_per(counts.sent), 3)),
        fixed(backfill.peak_rss_mib(), 1),
        rss.iter()
            .map(|mib| fixed(*mib, 1))
            .collect::<Vec<_>>()
            .join(" / "),
        crm_requests.to_string(),
    ]];
    let mut incremental = Vec::new();
    for _ in 0..INCREMENTAL_PASSES {
        crm.clear_requests(&world.sandbox);
        let (pass, summary) = world.run(Some(source)).await?;
        let counts = summary.total();
        if counts.sent != 0 || lead_creates(&world.sandbox).len() as u64 != accepted {
            return Err("the incremental pass sent leads, yet nothing was new".into());
        }
        let requests = Traffic::of(&crm.requests(&world.sandbox)).total;
        rows.push(vec![
            "incremental".to_owned(),
            counts.fetched.to_string(),
            "0".to_owned(),
            format!("{:.3} s", pass.wall.as_secs_f64()),
            "-".to_owned(),
            format!(
                "{} ms",
                fixed(pass.cpu.map(|c| c.as_secs_f64() * 1000.0), 0)
            ),
            fixed(pass.peak_rss_mib(), 1),
            "-".to_owned(),
            requests.to_string(),
        ]);
        incremental.push(json!({
            "wall_s": pass.wall.as_secs_f64(),
            "cpu_s": pass.cpu.map(|c| c.as_secs_f64()),
            "peak_rss_mib": pass.peak_rss_mib(),
            "deals_fetched": counts.fetched,
            "skipped": counts.skipped,
            "crm_requests": requests,
        }));
    }
    Ok(Report {
        scenario: "backfill",
        title: format!(
            "Backfill of {deals} {} deals, rate limits off; then incremental passes with nothing new",
            crm.label()
        ),
        headers: vec![
            "pass",
            "deals read",
            "leads",
            "wall",
            "leads/s",
            "CPU",
            "peak RSS MiB",
            "RSS MiB at 10/25/50/75/95 %",
            "CRM requests",
        ],
        rows,
        notes: vec![format!(
            "The state then holds {} deal rows ({state_mib:.0} MiB with its WAL). \
             Generating the portal's data took {generated_s:.1} s (not counted).",
            counts.sent + counts.rejected
        )],
        json: json!({
            "crm": crm.label(),
            "deals": deals,
            "deals_fetched": counts.fetched,
            "leads_sent": counts.sent,
            "rejected": counts.rejected,
            "wall_s": wall,
            "leads_per_s": counts.sent as f64 / wall,
            "cpu_s": backfill.cpu.map(|c| c.as_secs_f64()),
            "cpu_ms_per_lead": backfill.cpu_ms_per(counts.sent),
            "peak_rss_mib": backfill.peak_rss_mib(),
            "rss_mib_at_progress": PROGRESS.iter().zip(&rss).map(|(p, r)| json!([p, r])).collect::<Vec<_>>(),
            "crm_requests": crm_requests,
            "state_mib": state_mib,
            "incremental": incremental,
        }),
    })
}

/// A file's size in MiB, 0 when it is missing.
fn file_mib(world: &World, name: &str) -> f64 {
    std::fs::metadata(world.dir().join(name)).map_or(0.0, |m| m.len() as f64 / 1024.0 / 1024.0)
}
