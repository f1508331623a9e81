//! The regret of the plans a sweep found, per arm: each arm's most frequent
//! plans, each priced in every scenario of the arm with a plan (its sites
//! and coolings fixed, servers continuous: the pricing LP), against the
//! cheapest of the scenario's own sites and every plan the arm evaluates
//! (regret.csv, regret_costs.parquet), and the arm's min-max-regret plan;
//! the same over every scenario pooled when asked. A plan is priced once
//! per scenario however many groups evaluate it.

use polars::prelude::*;

use super::arms::{ArmOf, Arms};
use crate::milp::Prepared;
use crate::solve::shadow::fixed_sites_lp;
use crate::solve::SolveOptions;
use crate::study::sweep::error::SweepError;
use crate::study::sweep::spec::Sweep;

/// The regret of one plan over the scenarios that have a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRegret {
    /// The arm whose scenarios it is evaluated in (`None`: every scenario, pooled).
    pub arm: ArmOf,
    /// 1 = the plan that is optimal in the most scenarios of the arm.
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
    /// Per arm (then the pool), its plans in rank order.
    pub(super) plans: Vec<PlanRegret>,
    /// Per arm (then the pool): the rank of its min-max-regret plan.
    pub(super) min_max: Vec<(ArmOf, Option<usize>)>,
    /// regret.csv: a row per arm and plan.
    pub(super) table: DataFrame,
    /// regret_costs.parquet: each arm's plans in each of its scenarios with a plan.
    pub(super) costs: DataFrame,
}

/// The plans each arm (and the pool) evaluates: (label, scenarios of the
/// arm it is optimal in), most frequent first.
pub(super) type Candidates = Vec<(ArmOf, Vec<(String, usize)>)>;

/// What the scenarios bring to the regret: per id whether it has a plan,
/// and its own sites' cost.
pub(super) struct ScenarioCosts<'a> {
    pub(super) has_plan: &'a [bool],
    pub(super) sites_cost: &'a [Option<f64>],
}

/// Evaluates each arm's candidate plans in every scenario of the arm with a
/// plan (and the pool's in every scenario), each plan priced once per
/// scenario on a pool of `jobs` threads, and names each arm's
/// min-max-regret plan; `progress(done, total)` follows the scenarios.
pub(super) fn regret(
    sweep: &Sweep,
    arms: &Arms,
    scen: &ScenarioCosts,
    candidates: &Candidates,
    jobs: usize,
    solve: &SolveOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Regret, SweepError> {
    // The distinct plans, and each candidate's index among them.
    let mut labels: Vec<&str> = Vec::new();
    let index: Vec<Vec<usize>> = candidates
        .iter()
        .map(|(_, plans)| {
            plans
                .iter()
                .map(
                    |(p, _)| match labels.iter().position(|l| *l == p.as_str()) {
                        Some(i) => i,
                        None => {
                            labels.push(p.as_str());
                            labels.len() - 1
                        }
                    },
                )
                .collect()
        })
        .collect();
    let covers = |g: usize, id: usize| candidates[g].0.is_none_or(|a| a == arms.arm(id as u64));
    // Without plans to evaluate, no scenario is needed.
    let with_plan: Vec<usize> = if labels.is_empty() {
        Vec::new()
    } else {
        (0..scen.has_plan.len())
            .filter(|&i| scen.has_plan[i])
            .collect()
    };
    // Per scenario of `with_plan`: the plans it prices.
    let needed: Vec<Vec<usize>> = with_plan
        .iter()
        .map(|&id| {
            let mut v: Vec<usize> = (0..candidates.len())
                .filter(|&g| covers(g, id))
                .flat_map(|g| index[g].iter().copied())
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let parsed: Vec<Vec<(String, String, bool)>> = labels.iter().map(|p| entries(p)).collect();
    let cost = plan_costs(sweep, &with_plan, &needed, &parsed, jobs, solve, progress)?;
    let mut long = LongColumns::default();
    let mut out = Vec::new();
    let mut min_max = Vec::new();
    for (g, (arm, plans)) in candidates.iter().enumerate() {
        let ctx = GroupCosts {
            arm: *arm,
            scenarios: (0..with_plan.len())
                .filter(|&s| covers(g, with_plan[s]))
                .collect(),
            with_plan: &with_plan,
            cost: &cost,
            index: &index[g],
            sites_cost: scen.sites_cost,
        };
        let reference = ctx.reference();
        let rows: Vec<PlanRegret> = plans
            .iter()
            .enumerate()
            .map(|(k, (plan, n))| plan_regret(&ctx, &reference, k, plan, *n, &mut long))
            .collect();
        min_max.push((*arm, min_max_of(&rows)));
        out.extend(rows);
    }
    Ok(Regret {
        table: regret_table(arms, &out, &min_max)?,
        costs: long.frame(arms)?,
        plans: out,
        min_max,
    })
}

/// Among the plans that can be built and meet the targets in every
/// scenario: the smallest worst-case regret (ties: the more frequent).
fn min_max_of(rows: &[PlanRegret]) -> Option<usize> {
    rows.iter()
        .filter(|r| r.infeasible_in == 0 && r.max_regret_cny.is_some())
        .min_by(|a, b| {
            a.max_regret_cny
                .unwrap_or(f64::INFINITY)
                .total_cmp(&b.max_regret_cny.unwrap_or(f64::INFINITY))
                .then(a.rank.cmp(&b.rank))
        })
        .map(|r| r.rank)
}

/// The priced plans of one scenario: (plan index, cost).
type Priced = Vec<(usize, Option<f64>)>;

/// Per scenario of `with_plan`, the plans of `needed` priced there, in
/// parallel on a pool of `jobs` threads.
fn plan_costs(
    sweep: &Sweep,
    with_plan: &[usize],
    needed: &[Vec<usize>],
    parsed: &[Vec<(String, String, bool)>],
    jobs: usize,
    solve: &SolveOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<Priced>, SweepError> {
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
            .zip(needed.par_iter())
            .with_max_len(1)
            .map(|(&id, plans)| {
                let row = match sweep.instance(id) {
                    Ok((_, inst)) => {
                        let p = Prepared::new(inst);
                        plans
                            .iter()
                            .map(|&k| (k, plan_cost(&p, &parsed[k], solve).map(f64::round)))
                            .collect()
                    }
                    Err(_) => plans.iter().map(|&k| (k, None)).collect(),
                };
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                row
            })
            .collect()
    }))
}

/// The costs one arm's (or the pool's) regret reads.
struct GroupCosts<'a> {
    arm: ArmOf,
    /// Positions in `with_plan` of the group's scenarios.
    scenarios: Vec<usize>,
    with_plan: &'a [usize],
    cost: &'a [Priced],
    /// The group's plans, by rank: their indices among the distinct plans.
    index: &'a [usize],
    sites_cost: &'a [Option<f64>],
}

impl GroupCosts<'_> {
    /// The cost of the group's plan `k` in scenario position `s`.
    fn cost(&self, s: usize, k: usize) -> Option<f64> {
        let i = self.index[k];
        self.cost[s].iter().find(|(j, _)| *j == i).and_then(|x| x.1)
    }

    /// Each of the group's scenarios' reference: the cheapest of its own
    /// plan's sites and the group's plans, all on the same basis (servers
    /// continuous).
    fn reference(&self) -> Vec<Option<f64>> {
        self.scenarios
            .iter()
            .map(|&s| {
                (0..self.index.len())
                    .filter_map(|k| self.cost(s, k))
                    .chain(self.sites_cost.get(self.with_plan[s]).copied().flatten())
                    .min_by(|a, b| a.total_cmp(b))
            })
            .collect()
    }
}

/// The columns of regret_costs.parquet, a row per arm, plan and scenario.
#[derive(Default)]
struct LongColumns {
    arm: Vec<ArmOf>,
    rank: Vec<u64>,
    scenario: Vec<u64>,
    cost: Vec<Option<f64>>,
    reference: Vec<Option<f64>>,
    regret: Vec<Option<f64>>,
}

impl LongColumns {
    fn frame(self, arms: &Arms) -> PolarsResult<DataFrame> {
        let col_u = |name: &str, v: Vec<u64>| Column::new(name.into(), v);
        let col_f = |name: &str, v: Vec<Option<f64>>| Column::new(name.into(), v);
        let mut cols = arms.columns(&self.arm);
        cols.truncate(1);
        cols.extend([
            col_u("rank", self.rank),
            col_u("scenario_id", self.scenario),
            col_f("cost_cny", self.cost),
            col_f("reference_cny", self.reference),
            col_f("regret_cny", self.regret),
        ]);
        DataFrame::new_infer_height(cols)
    }
}

/// The regret of the group's plan `k` (`plan`, optimal in `n` of its
/// scenarios) over the group's scenarios with a plan; its rows go to `long`.
fn plan_regret(
    of: &GroupCosts,
    reference: &[Option<f64>],
    k: usize,
    plan: &str,
    n: usize,
    long: &mut LongColumns,
) -> PlanRegret {
    let mut costs = Vec::new();
    let mut regrets = Vec::new();
    let mut worst: Option<(f64, u64)> = None;
    let mut infeasible = 0;
    for (i, &s) in of.scenarios.iter().enumerate() {
        let id = of.with_plan[s] as u64;
        let c = of.cost(s, k);
        let r = match (c, reference[i]) {
            (Some(c), Some(r)) => Some(c - r),
            _ => None,
        };
        long.arm.push(of.arm);
        long.rank.push(k as u64 + 1);
        long.scenario.push(id);
        long.cost.push(c);
        long.reference.push(reference[i]);
        long.regret.push(r);
        match (c, r) {
            (Some(c), Some(r)) => {
                costs.push(c);
                regrets.push(r);
                if worst.is_none_or(|w| r > w.0) {
                    worst = Some((r, id));
                }
            }
            _ => infeasible += 1,
        }
    }
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    PlanRegret {
        arm: of.arm,
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

/// regret.csv as a table: a row per arm (then the pool) and evaluated plan.
fn regret_table(
    arms: &Arms,
    out: &[PlanRegret],
    min_max: &[(ArmOf, Option<usize>)],
) -> PolarsResult<DataFrame> {
    let col_u = |name: &str, v: Vec<u64>| Column::new(name.into(), v);
    let col_f = |name: &str, v: Vec<Option<f64>>| Column::new(name.into(), v);
    let is_min_max = |r: &PlanRegret| min_max.contains(&(r.arm, Some(r.rank)));
    let mut cols = arms.columns(&out.iter().map(|r| r.arm).collect::<Vec<_>>());
    cols.extend([
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
            out.iter().map(is_min_max).collect::<Vec<_>>(),
        ),
    ]);
    DataFrame::new_infer_height(cols)
}
