//! Pipelines and stages: Bitrix24-style categories and stage ids mapped onto
//! amoCRM's numeric `pipeline_id` and `status_id`.

use crate::data::FakeDeal;

/// The shared "won" status of every pipeline.
pub(crate) const WON: u64 = 142;
/// The shared "lost" status of every pipeline.
pub(crate) const LOST: u64 = 143;

/// The pipeline of a deal category.
pub(crate) fn pipeline_id(category: u32) -> u64 {
    7_000_000 + u64::from(category)
}

/// The deal's stage as a status: 142/143 for won/lost, otherwise an id
/// unique to the pipeline and stage.
pub(crate) fn status_id(deal: &FakeDeal) -> u64 {
    let stage = deal.stage_id.rsplit(':').next().unwrap_or_default();
    let position = match stage {
        "WON" => return WON,
        "LOSE" | "LOST" => return LOST,
        "NEW" => 1,
        "PREPARATION" => 2,
        "PREPAYMENT_INVOICE" => 3,
        "EXECUTING" => 4,
        "FINAL_INVOICE" => 5,
        _ => 9,
    };
    60_000_000 + u64::from(deal.category_id) * 100 + position
}
