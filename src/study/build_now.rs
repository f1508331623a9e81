//! What to do now at each site a two-stage plan builds, in the terms a
//! capacity planner commits in: by when its hall must be started, how much
//! power to contract, in how many outcomes (and with what probability) it
//! is used, and what it is worth, found by re-solving the two-stage plan
//! without it (every other site decision free again).
//!
//! Unless the scenario makes them decisions of their own, the hall's start
//! month and the contracted power follow from the outcomes' plans: a hall
//! must be started by the earliest month any outcome that uses it needs it
//! started (its lead time before that outcome's first period with cards
//! there), and the power contracted must carry the most any outcome draws
//! there. Where they are decisions (`hall_start_step_months`,
//! `power_contract_cny_per_kw_month`), the first stage's values.

use crate::domain::SiteStatus;
use crate::milp::Prepared;
use crate::plan::Status;
use crate::solve::stochastic::{solve_two_stage_from, Known, Outcome, Risk, TwoStage};
use crate::solve::{SolveError, SolveOptions};

/// What a site built now is worth: the two-stage objective re-solved
/// without it, less the plan's.
#[derive(Debug, Clone, PartialEq)]
pub enum Worth {
    /// That much more without it (CNY; within the two solves' gaps).
    Cny(f64),
    /// No site plan serves every outcome without it.
    Indispensable,
    /// An existing or required site: not a decision.
    Committed,
    /// The re-solve did not end with a plan (its error).
    NotComputed(String),
}

/// One site built now.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteNow {
    pub site: usize,
    pub cooling: usize,
    /// Hosts the training cluster.
    pub mega: bool,
    /// Outcomes that put cards there, and their probability.
    pub outcomes_using: usize,
    pub probability_used: f64,
    /// The latest month to start its new hall so that it is ready in every
    /// outcome that uses it (the earliest of their `hall_start_month`);
    /// `None` when those outcomes use IT in service only. Where the start is
    /// a decision (`start_decided`), the month the plan starts it.
    pub start_by_month: Option<f64>,
    /// Whether `start_by_month` is a decision of the plan
    /// (`hall_start_step_months`: the site's fixed cost is paid then).
    pub start_decided: bool,
    /// The power to contract, facility MW: the first stage's decision where
    /// the scenario prices contracted power, else the most any outcome draws.
    pub contract_mw: f64,
    /// Whether `contract_mw` is a decision of the plan (priced by
    /// `power_contract_cny_per_kw_month`) rather than derived from the draws.
    pub contract_decided: bool,
    /// The most facility power (MW, IT × PUE) any outcome draws there.
    pub peak_draw_mw: f64,
    /// The most IT MW any outcome uses there.
    pub it_mw: f64,
    /// The probability-weighted capex spent there, CNY.
    pub expected_capex_cny: f64,
    pub worth: Worth,
}

/// The sites `two` builds now, in site order, each with its figures; with
/// `worth`, each candidate's worth by one two-stage re-solve without it
/// (`outcomes` are those `two` was solved for; the re-solves start from
/// `known`, valid with a site left out, and from `two`'s own sites). A worth
/// needs both plans proven within the gap: it is their difference.
pub fn build_now(
    outcomes: &[Outcome],
    two: &TwoStage,
    risk: Risk,
    opts: &SolveOptions,
    worth: bool,
    known: &Known,
) -> Vec<SiteNow> {
    let Some(p0) = outcomes.first().map(|o| o.p) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for &(s, cooling) in &two.first_stage.built {
        let mut using = 0;
        let mut probability_used = 0.0;
        let mut start_by: Option<f64> = None;
        let (mut contract_mw, mut it_mw, mut capex) = (0.0f64, 0.0f64, 0.0);
        for (plan, o) in two.plans.iter().zip(outcomes) {
            let sp = &plan.sites[s];
            capex += o.probability * sp.capex_cny;
            if sp.cards.iter().sum::<u64>() == 0 {
                continue;
            }
            using += 1;
            probability_used += o.probability;
            contract_mw = contract_mw.max(sp.facility_mw);
            it_mw = it_mw.max(sp.it_mw);
            if let Some(m) = sp.hall_start_month {
                start_by = Some(start_by.map_or(m, |b: f64| b.min(m)));
            }
        }
        let status = p0.inst.sites[s].status;
        let worth = if !matches!(status, SiteStatus::Candidate) {
            Worth::Committed
        } else if !worth {
            Worth::NotComputed("not asked".into())
        } else if two.status != Status::Optimal {
            Worth::NotComputed(format!(
                "the two-stage plan is proven only to a {:.3} % gap",
                100.0 * two.mip_gap
            ))
        } else {
            let known = known.and_seed(&two.first_stage);
            worth_of(outcomes, s, two.objective_cny, risk, opts, &known)
        };
        let decided = two.first_stage.contract_at(s);
        let start = two.first_stage.hall_start_at(s);
        out.push(SiteNow {
            start_decided: start.is_some(),
            contract_decided: decided.is_some(),
            peak_draw_mw: contract_mw,
            contract_mw: decided.unwrap_or(contract_mw),
            site: s,
            cooling,
            mega: two.first_stage.mega.contains(&s),
            outcomes_using: using,
            probability_used,
            start_by_month: start.or(start_by),
            it_mw,
            expected_capex_cny: capex,
            worth,
        });
    }
    out
}

/// The two-stage plan of `outcomes` with site `s` excluded in every one,
/// against `objective_cny`.
fn worth_of(
    outcomes: &[Outcome],
    s: usize,
    objective_cny: f64,
    risk: Risk,
    opts: &SolveOptions,
    known: &Known,
) -> Worth {
    let without: Vec<Prepared> = outcomes
        .iter()
        .map(|o| {
            let mut inst = (*o.p.inst).clone();
            inst.sites[s].status = SiteStatus::Excluded;
            Prepared::new(inst)
        })
        .collect();
    let views: Vec<Outcome> = without
        .iter()
        .zip(outcomes)
        .map(|(p, o)| Outcome {
            p,
            probability: o.probability,
        })
        .collect();
    match solve_two_stage_from(&views, risk, opts, known) {
        Ok(two) if two.status != Status::Optimal => Worth::NotComputed(format!(
            "the plan without it is proven only to a {:.3} % gap",
            100.0 * two.mip_gap
        )),
        Ok(two) => Worth::Cny(two.objective_cny - objective_cny),
        Err(SolveError::Infeasible { .. }) => Worth::Indispensable,
        Err(e) => Worth::NotComputed(e.to_string()),
    }
}
