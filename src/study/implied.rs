//! `dcsite implied`: the scenario solved free and with a forecast's ranges
//! as card bounds; the ranges' binding rows priced by the pricing LP
//! (`solve::shadow_prices`, each checked by one-sided re-solves).

use crate::domain::rows::{Bound, RowKey};
use crate::domain::{ForecastRange, Instance, RangeLevel};
use crate::milp::Prepared;
use crate::plan::implied::{Implied, ImpliedRow};
use crate::plan::{Plan, Totals};
use crate::solve::{solve, SolveError, SolveOptions};

/// Which of the two solves failed.
#[derive(Debug, thiserror::Error)]
pub enum ImpliedError {
    #[error("the scenario without the ranges: {0}")]
    Free(SolveError),
    #[error("with the ranges: {0}")]
    Ranges(SolveError),
}

impl ImpliedError {
    pub fn solve_error(self) -> SolveError {
        match self {
            ImpliedError::Free(e) | ImpliedError::Ranges(e) => e,
        }
    }
}

/// The row key of one side of a range.
pub fn range_key(level: &RangeLevel, bound: Bound) -> RowKey {
    match *level {
        RangeLevel::Cluster(cluster) => RowKey::ClusterBound { cluster, bound },
        RangeLevel::Region(region) => RowKey::RegionBound { region, bound },
        RangeLevel::Tier(tier) => RowKey::TierBound { tier, bound },
    }
}

/// Totals of the group a range is about.
fn group_totals(plan: &Plan, level: &RangeLevel) -> Totals {
    match level {
        RangeLevel::Cluster(c) => plan.cluster_totals().swap_remove(*c),
        RangeLevel::Region(r) => plan.region_totals().swap_remove(*r),
        RangeLevel::Tier(t) => {
            let mut all = plan.tier_totals();
            let k = all.iter().position(|(x, _)| x == t).expect("every tier");
            all.swap_remove(k).1
        }
    }
}

/// Solves the scenario free and with the ranges (in parallel), and prices
/// each range the implied plan binds at.
pub fn implied(
    inst: Instance,
    ranges: &[ForecastRange],
    opts: &SolveOptions,
) -> Result<Implied, ImpliedError> {
    let held = inst.clone().with_ranges(ranges);
    let (free, plan) = rayon::join(
        || solve(&Prepared::new(inst), opts),
        || solve(&Prepared::new(held), opts),
    );
    let plan = plan.map_err(ImpliedError::Ranges)?;
    let free = free.map_err(ImpliedError::Free)?;
    let rows = ranges
        .iter()
        .map(|r| {
            let side = [Bound::Min, Bound::Max]
                .into_iter()
                .find(|&b| plan.binding.iter().any(|x| x.key == range_key(&r.level, b)));
            let shadow = side.and_then(|b| {
                let key = range_key(&r.level, b);
                plan.shadow_prices.iter().find(|s| s.key == key).cloned()
            });
            let inst = &plan.instance;
            let name = match &r.level {
                RangeLevel::Cluster(c) => inst.clusters[*c].name_en.clone(),
                RangeLevel::Region(x) => inst.regions[*x].name_en.clone(),
                RangeLevel::Tier(t) => t.as_str().to_string(),
            };
            ImpliedRow {
                range: r.clone(),
                name,
                free_cards: group_totals(&free, &r.level).cards_total(),
                plan_cards: group_totals(&plan, &r.level).cards_total(),
                binding: side,
                shadow,
            }
        })
        .collect();
    Ok(Implied { free, plan, rows })
}
