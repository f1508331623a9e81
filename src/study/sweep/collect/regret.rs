//! The regret of the plans a sweep found: the most frequent plans, each
//! priced in every scenario with a plan (its sites and coolings fixed,
//! servers continuous: the pricing LP), against the cheapest of the
//! scenario's own sites and every evaluated plan (regret.csv,
//! regret_costs.parquet), and the min-max-regret plan among them.

use polars::prelude::*;

use crate::milp::Prepared;
use crate::solve::shadow::fixed_sites_lp;
use crate::solve::SolveOptions;
use crate::study::sweep::error::SweepError;
use crate::study::sweep::spec::Sweep;

/// The regret of one plan over the scenarios that have a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRegret {
    /// 1 = the plan that is optimal in the most scenarios.
    pub rank: usize,
    /// `site:cooling` of every built site, in sites.csv order, `+mega` on the
    /// site of a mega cluster, `;`-separated.
    pub plan: String,
    /// Scenarios in which it is the optimal plan.
    pub optimal_in: usize,
    pub feasible_in: usize,
    pub infeasible_in: usize,
    pub expected_cost_cny: Option<f64>,
    pub cvar90_cost_cny: Option<f64>,
    pub max_regret_cny: Option<f64>,
    pub mean_regret_cny: Option<f64>,
    pub worst_scenario: Option<u64>,
}

/// (site id, cooling id, mega cluster) of a plan's label.
fn entries(plan: &str) -> Vec<(String, String, bool)> {
    plan.split(';')
        .filter(|e| !e.is_empty())
        .filter_map(|e| {
            let (site, rest) = e.split_once(':')?;
            let (cooling, mega) = match rest.strip_suffix("+mega") {
                Some(k) => (k, true),
                None => (rest, false),
            };
            Some((site.to_string(), cooling.to_string(), mega))
        })
        .collect()
}

/// The net present cost of a plan's sites in one scenario (servers
/// continuous); `None` when the plan cannot be built there (an option that
/// does not exist) or cannot meet the scenario's targets and limits.
fn plan_cost(p: &Prepared, plan: &[(String, String, bool)], opts: &SolveOptions) -> Option<f64> {
    let inst = &p.inst;
    let mut open = vec![false; p.options.len()];
    let mut mega = vec![false; inst.sites.len()];
    for (site, cooling, m) in plan {
        let o = p.options.iter().position(|o| {
            inst.sites[o.site].id == *site && inst.cooling[o.cooling].id == *cooling
        })?;
        open[o] = true;
        mega[p.options[o].site] = *m;
    }
    fixed_sites_lp(p, &open, &mega, opts)
        .ok()
        .map(|f| f.cost_cny)
}

/// CVaR 90 %: the mean of the worst tenth of `costs` (the ⌈n / 10⌉ largest).
fn cvar90(costs: &[f64]) -> Option<f64> {
    if costs.is_empty() {
        return None;
    }
    let mut v = costs.to_vec();
    v.sort_by(|a, b| b.total_cmp(a));
    let k = v.len().div_ceil(10);
    Some(v[..k].iter().sum::<f64>() / k as f64)
}

/// What the regret evaluation found, and its two tables.
pub(super) struct Regret {
    pub(super) plans: Vec<PlanRegret>,
    /// Rank of the min-max-regret plan.
    pub(super) min_max: Option<usize>,
    /// regret.csv: a row per plan.
    pub(super) table: DataFrame,
    /// regret_costs.parquet: each plan in each scenario with a plan.
    pub(super) costs: DataFrame,
}

/// Evaluates each of `plans` (label, scenarios it is optimal in) in every
/// scenario of `with_plan` on a pool of `jobs` threads, and names the
/// min-max-regret plan; `progress(done, total)` follows the scenarios.
pub(super) fn regret(
    sweep: &Sweep,
    with_plan: &[usize],
    sites_cost: &[Option<f64>],
    plans: &[(String, usize)],
    jobs: usize,
    solve: &SolveOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Regret, SweepError> {
    let parsed: Vec<Vec<(String, String, bool)>> = plans.iter().map(|(p, _)| entries(p)).collect();
    let cost = plan_costs(sweep, with_plan, &parsed, jobs, solve, progress)?;
    // Each scenario's reference: the cheapest of its own plan's sites and
    // every evaluated plan, all on the same basis (servers continuous).
    let reference: Vec<Option<f64>> = with_plan
        .iter()
        .enumerate()
        .map(|(s, &id)| {
            cost[s]
                .iter()
                .flatten()
                .copied()
                .chain(sites_cost[id])
                .min_by(|a, b| a.total_cmp(b))
        })
        .collect();
    let mut long = LongColumns::default();
    let out: Vec<PlanRegret> = plans
        .iter()
        .enumerate()
        .map(|(k, (plan, n))| {
            let of = PlanCosts {
                k,
                with_plan,
                cost: &cost,
                reference: &reference,
            };
            plan_regret(&of, plan, *n, &mut long)
        })
        .collect();
    // Among the plans that can be built and meet the targets in every
    // scenario: the smallest worst-case regret (ties: the more frequent).
    let min_max = out
        .iter()
        .filter(|r| r.infeasible_in == 0 && r.max_regret_cny.is_some())
        .min_by(|a, b| {
            a.max_regret_cny
                .unwrap_or(f64::INFINITY)
                .total_cmp(&b.max_regret_cny.unwrap_or(f64::INFINITY))
                .then(a.rank.cmp(&b.rank))
        })
        .map(|r| r.rank);
    Ok(Regret {
        table: regret_table(&out, min_max)?,
        costs: long.frame()?,
        plans: out,
        min_max,
    })
}

/// cost[s][k]: plan k in the s-th scenario of `with_plan`, evaluated in
/// parallel on a pool of `jobs` threads.
fn plan_costs(
    sweep: &Sweep,
    with_plan: &[usize],
    parsed: &[Vec<(String, String, bool)>],
    jobs: usize,
    solve: &SolveOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<Vec<Option<f64>>>, SweepError> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| SweepError::Internal(e.to_string()))?;
    let done = AtomicUsize::new(0);
    let total = with_plan.len();
    Ok(pool.install(|| {
        with_plan
            .par_iter()
            .with_max_len(1)
            .map(|&id| {
                if parsed.is_empty() {
                    // `--regret-plans 0`: nothing to evaluate, no scenario to load.
                    return Vec::new();
                }
                let row = match sweep.instance(id) {
                    Ok((_, inst)) => {
                        let p = Prepared::new(inst);
                        parsed
                            .iter()
                            .map(|plan| plan_cost(&p, plan, solve).map(f64::round))
                            .collect()
                    }
                    Err(_) => vec![None; parsed.len()],
                };
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                row
            })
            .collect()
    }))
}

/// The costs that one plan's regret reads: plan `k`'s column of `cost`.
struct PlanCosts<'a> {
    k: usize,
    with_plan: &'a [usize],
    cost: &'a [Vec<Option<f64>>],
    reference: &'a [Option<f64>],
}

/// The columns of regret_costs.parquet, a row per plan and scenario.
#[derive(Default)]
struct LongColumns {
    rank: Vec<u64>,
    scenario: Vec<u64>,
    cost: Vec<Option<f64>>,
    reference: Vec<Option<f64>>,
    regret: Vec<Option<f64>>,
}

impl LongColumns {
    fn frame(self) -> PolarsResult<DataFrame> {
        let col_u = |name: &str, v: Vec<u64>| Column::new(name.into(), v);
        let col_f = |name: &str, v: Vec<Option<f64>>| Column::new(name.into(), v);
        DataFrame::new_infer_height(vec![
            col_u("rank", self.rank),
            col_u("scenario", self.scenario),
            col_f("cost_cny", self.cost),
            col_f("reference_cny", self.reference),
            col_f("regret_cny", self.regret),
        ])
    }
}

/// The regret of plan `of.k` (`plan`, optimal in `n` scenarios) over the
/// scenarios with a plan; its rows go to `long`.
fn plan_regret(of: &PlanCosts, plan: &str, n: usize, long: &mut LongColumns) -> PlanRegret {
    let k = of.k;
    let mut costs = Vec::new();
    let mut regrets = Vec::new();
    let mut worst: Option<(f64, u64)> = None;
    let mut infeasible = 0;
    for (s, &id) in of.with_plan.iter().enumerate() {
        let c = of.cost[s][k];
        let r = match (c, of.reference[s]) {
            (Some(c), Some(r)) => Some(c - r),
            _ => None,
        };
        long.rank.push(k as u64 + 1);
        long.scenario.push(id as u64);
        long.cost.push(c);
        long.reference.push(of.reference[s]);
        long.regret.push(r);
        match (c, r) {
            (Some(c), Some(r)) => {
                costs.push(c);
                regrets.push(r);
                if worst.is_none_or(|w| r > w.0) {
                    worst = Some((r, id as u64));
                }
            }
            _ => infeasible += 1,
        }
    }
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    PlanRegret {
        rank: k + 1,
        plan: plan.to_string(),
        optimal_in: n,
        feasible_in: costs.len(),
        infeasible_in: infeasible,
        expected_cost_cny: mean(&costs).map(f64::round),
        cvar90_cost_cny: cvar90(&costs).map(f64::round),
        max_regret_cny: worst.map(|w| w.0),
        mean_regret_cny: mean(&regrets).map(f64::round),
        worst_scenario: worst.map(|w| w.1),
    }
}

/// regret.csv as a table: a row per evaluated plan.
fn regret_table(out: &[PlanRegret], min_max: Option<usize>) -> PolarsResult<DataFrame> {
    let col_u = |name: &str, v: Vec<u64>| Column::new(name.into(), v);
    let col_f = |name: &str, v: Vec<Option<f64>>| Column::new(name.into(), v);
    DataFrame::new_infer_height(vec![
        col_u("rank", out.iter().map(|r| r.rank as u64).collect()),
        Column::new(
            "plan".into(),
            out.iter().map(|r| r.plan.clone()).collect::<Vec<_>>(),
        ),
        col_u(
            "n_sites",
            out.iter().map(|r| entries(&r.plan).len() as u64).collect(),
        ),
        col_u(
            "optimal_in",
            out.iter().map(|r| r.optimal_in as u64).collect(),
        ),
        col_u(
            "feasible_in",
            out.iter().map(|r| r.feasible_in as u64).collect(),
        ),
        col_u(
            "infeasible_in",
            out.iter().map(|r| r.infeasible_in as u64).collect(),
        ),
        col_f(
            "expected_cost_cny",
            out.iter().map(|r| r.expected_cost_cny).collect(),
        ),
        col_f(
            "cvar90_cost_cny",
            out.iter().map(|r| r.cvar90_cost_cny).collect(),
        ),
        col_f(
            "max_regret_cny",
            out.iter().map(|r| r.max_regret_cny).collect(),
        ),
        col_f(
            "mean_regret_cny",
            out.iter().map(|r| r.mean_regret_cny).collect(),
        ),
        Column::new(
            "worst_scenario".into(),
            out.iter().map(|r| r.worst_scenario).collect::<Vec<_>>(),
        ),
        Column::new(
            "min_max_regret".into(),
            out.iter()
                .map(|r| Some(r.rank) == min_max)
                .collect::<Vec<_>>(),
        ),
    ])
}
