//! The solve wing: a scenario's model solved with HiGHS (through good_lp),
//! the answer read back into a plan, checked against every row, and
//! explained. One entry point, [`solve`]; its floors, from the bottom:
//!
//! - `adapter/`: the HiGHS adapter, the only code with `unsafe` and FFI;
//! - `base/`: what a solve is told and how it fails, one HiGHS run, the
//!   cut loop's link rows, the phases 0-2, reading and checking the plan;
//! - `strategy/`: pair pricing, Benders decomposition and dcsite's own
//!   branch and bound, behind one trait, chosen by `SolveOptions`;
//! - `explain/`: binding rows, shadow prices, unbuilt sites, near-optimal
//!   ranges, infeasibility;
//! - here and `solution_file.rs`: the entry points.

pub mod adapter;
pub mod base;
pub mod explain;
pub mod solution_file;
pub mod stochastic;
pub mod strategy;

pub use base::check::check_plan;
pub use base::names::{column_names, write_model};
pub use base::options::{
    Explain, Relaxation, SolveError, SolveOptions, StrategyOptions, DEFAULT_MIP_GAP,
};
pub use base::read::{ModelParts, RawSolution, Values};
pub use base::run::{run_highs, run_highs_from};
pub use explain::binding::binding_rows;
pub use explain::diagnose::diagnose;
pub use explain::near_optimal::{near_optimal, near_optimal_within};
pub use explain::shadow::shadow_prices;
pub use explain::{elastic, near_optimal, shadow};
pub use solution_file::{parse_solution, plan_from_solution, read_solution, MAX_SOLUTION_BYTES};
pub use strategy::{benders, branch, pairs};

use crate::milp::Prepared;
pub use crate::plan::{
    Binding, CardRange, Flow, LinkStats, NearOptimal, OneSided, PairStats, Plan, ShadowPrice,
    SitePlan, Status, SubsidyPaid,
};

/// The HiGHS library linked into this binary, as "HiGHS <major>.<minor>.<patch>".
pub fn highs_version() -> &'static str {
    adapter::version()
}

/// Solves a prepared instance: the strategy `opts` chooses
/// ([`strategy::choose`]) solves it by the base's phases, the answer is
/// checked against every target and limit ([`check_plan`]), and explained
/// as `opts.explain` asks ([`explain::plan`]); an infeasible scenario is
/// explained by its reasons and, with [`Explain::Full`], verified fixes.
/// `compare`, `sweep`, `breakeven`, `implied` and the near-optimal ranges
/// all solve through here.
pub fn solve(p: &Prepared, opts: &SolveOptions) -> Result<Plan, SolveError> {
    let solved = strategy::choose(p, opts)
        .solve(p, opts, &[])
        .map_err(|e| explain::infeasibility(p, opts, e))?;
    explain::plan(p, solved, opts)
}
