//! Every CRM at its documented limit, enforced by its fake, with liner-sync
//! at its default settings: how many 429/503 replies it provokes (target 0).

use liner_sync_emulator::SandboxOptions;
use serde_json::json;

use super::Crm;
use crate::report::{Report, fixed, met};
use crate::traffic::{Traffic, steady_rate};
use crate::world::{Limits, World};
use crate::{BenchResult, Setup};

/// Deals in each CRM: enough for Bitrix24 to spend its 50-request burst
/// and then run at its 2 requests a second for a while.
fn deals_per_crm(quick: bool) -> usize {
    if quick { 2_500 } else { 5_000 }
}

/// One run of all four sources against enforcing fakes.
pub async fn run(setup: &Setup) -> BenchResult<Report> {
    let per_crm = deals_per_crm(setup.quick);
    let options = SandboxOptions {
        deals: per_crm,
        ..SandboxOptions::default()
    };
    let limits = Limits {
        liner: "off".to_owned(),
        crm: None,
    };
    let world = World::start(setup, options, &limits).await?;
    let (measured, summary) = world.run(None).await?;
    let mut rows = Vec::new();
    let mut results = Vec::new();
    let mut refused_total = 0;
    for crm in Crm::ALL {
        let requests = crm.requests(&world.sandbox);
        let traffic = Traffic::of(&requests);
        let (_, span, rate) = steady_rate(&requests);
        refused_total += traffic.refused();
        let fetched = summary
            .sources
            .iter()
            .find(|(name, _)| name == crm.source())
            .map_or(0, |(_, c)| c.fetched);
        rows.push(vec![
            crm.label().to_owned(),
            fetched.to_string(),
            traffic.total.to_string(),
            traffic.too_many.to_string(),
            traffic.unavailable.to_string(),
            traffic.other_errors.to_string(),
            format!("{:.1} s", span.as_secs_f64()),
            fixed(rate, 2),
            met(traffic.refused() == 0),
        ]);
        results.push(json!({
            "crm": crm.label(),
            "deals_fetched": fetched,
            "requests": traffic.total,
            "replies_429": traffic.too_many,
            "replies_503": traffic.unavailable,
            "other_errors": traffic.other_errors,
            "first_to_last_s": span.as_secs_f64(),
            "requests_per_s": rate,
        }));
    }
    Ok(Report {
        scenario: "limits",
        title: format!(
            "429/503 replies provoked under the default limits, four sources at once ({per_crm} deals each), target 0"
        ),
        headers: vec![
            "CRM",
            "deals",
            "requests",
            "429",
            "503",
            "other errors",
            "first→last",
            "requests/s",
            "zero",
        ],
        rows,
        notes: vec![
            "The fakes enforce the documented limits (Bitrix24: leaky bucket of 50 draining 2/s, \
             503 QUERY_LIMIT_EXCEEDED; amoCRM: 7/s, 429, then a block); MACRO and Domoplaner \
             publish none. liner-sync's CRM settings are its defaults; Liner's limit is off here \
             so that reading, not Liner, sets the pace (Liner's own 429s are in `rate`)."
                .to_owned(),
            format!(
                "wall {:.1} s; {refused_total} refused in all",
                measured.wall.as_secs_f64()
            ),
        ],
        json: json!({
            "deals_per_crm": per_crm,
            "wall_s": measured.wall.as_secs_f64(),
            "refused_total": refused_total,
            "crms": results,
        }),
    })
}
