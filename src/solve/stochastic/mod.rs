//! Two-stage plans under uncertain outcomes (`dcsite hedge`): the site
//! decisions (which cooling is built where, where the training clusters go,
//! and where the scenario prices it the grid power contracted at each
//! option) are shared by every outcome (here and now) while servers,
//! deliveries, flows and subsidies are each outcome's own (wait and see).
//!
//! Objective: Σ p_k · cost_k + λ · CVaR_α(cost), with the CVaR in
//! Rockafellar and Uryasev's linear form: η + Σ p_k · u_k / (1 − α) with
//! u_k ≥ cost_k − η, u_k ≥ 0. Two ways to the same optimum:
//! - `extensive.rs`: every outcome's model in one MIP (small trees, and
//!   every tree with contracted power);
//! - `lshaped/`: the L-shaped decomposition, a master over the site
//!   decisions and one LP per outcome, re-solved in parallel, with a proven
//!   gap (from [`L_SHAPED_OUTCOMES`] outcomes on);
//!
//! and `second.rs`: the whole-server plan of every outcome once the sites
//! are decided. Every outcome's plan is read back and checked against every
//! target and limit of its own scenario.

mod extensive;
mod lshaped;
mod problem;
mod second;

use crate::solve::base::options::{SolveError, SolveOptions};

pub use problem::{
    expected, risk_objective, same_options, value_at_risk, FirstStage, Known, LShapedStats,
    Outcome, Risk, TwoStage,
};

/// Outcomes from which [`solve_two_stage`] decomposes (L-shaped) unless
/// `StrategyOptions::l_shaped` says otherwise.
pub const L_SHAPED_OUTCOMES: usize = 50;

/// Whether [`solve_two_stage`] decomposes `outcomes` with these options:
/// never where contracted power is priced (a continuous first-stage
/// decision, which the loop's master over the sites does not take), nor
/// where hall start months are decisions.
pub fn decomposes(outcomes: &[Outcome], opts: &SolveOptions) -> bool {
    let contracts = outcomes
        .iter()
        .any(|o| o.p.inst.params.power_contract_cny_per_kw_month > 0.0);
    let starts = outcomes.iter().any(|o| o.p.decides_hall_starts());
    !contracts
        && !starts
        && opts
            .strategy
            .l_shaped
            .unwrap_or(outcomes.len() >= L_SHAPED_OUTCOMES)
}

/// Solves the two-stage plan of `outcomes` (probabilities summing to 1,
/// every outcome with the first's sites and options: [`same_options`]),
/// or with `fixed` the second stage of those site decisions only (the
/// value of a given first stage, e.g. the expected-value plan's): the
/// extensive form, or from [`L_SHAPED_OUTCOMES`] outcomes on (or as
/// `opts.strategy.l_shaped` says) the L-shaped decomposition; the extensive
/// form always where contracted power is priced.
pub fn solve_two_stage(
    outcomes: &[Outcome],
    risk: Risk,
    opts: &SolveOptions,
    fixed: Option<&FirstStage>,
) -> Result<TwoStage, SolveError> {
    if decomposes(outcomes, opts) {
        lshaped::solve(outcomes, risk, opts, fixed, &Known::default())
    } else {
        extensive::solve(outcomes, risk, opts, fixed)
    }
}

/// [`solve_two_stage`] from what is [`Known`] beforehand.
pub fn solve_two_stage_from(
    outcomes: &[Outcome],
    risk: Risk,
    opts: &SolveOptions,
    known: &Known,
) -> Result<TwoStage, SolveError> {
    if decomposes(outcomes, opts) {
        lshaped::solve(outcomes, risk, opts, None, known)
    } else {
        extensive::solve(outcomes, risk, opts, None)
    }
}
