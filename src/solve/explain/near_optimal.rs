//! Near-optimal ranges ("modelling to generate alternatives", the technique
//! energy-system modellers know from PyPSA's MGA): after the optimum, the
//! fewest and the most cards each region, tier and site can hold in any plan
//! whose net present cost is within a share of the optimum.
//!
//! Each end is the optimum of the model with continuous server counts and
//! binary site decisions, plus the row cost ≤ (1 + share) × optimum, with the
//! group's cards as the objective (minimised or maximised). Most of these
//! solves are implied by others, so the work is done in this order:
//!
//! 1. every plan found along the way (the optimum first) is kept, and each
//!    gives the cards of *every* group at once: an end is the fewest / most
//!    cards of the group over the plans found, so every reported end is
//!    attained by a plan;
//! 2. the LP relaxation of each end bounds it, and its site decisions,
//!    rounded three ways and re-solved with the servers continuous, give
//!    plans near it; an end whose best plan is within [`PROOF_CARDS`] of its
//!    bound is proven and needs no MIP (a zero fewest is proven by any plan).
//!    These LPs run on one live HiGHS instance per worker ([`live`]): an end
//!    changes its costs, a rounding the bounds of the site decisions. For an
//!    end still open, the LP's whole site decisions are kept and a small MIP
//!    ([`SUB_MIP_SECONDS`]) settles the fractional ones: usually the plan
//!    that meets the LP's bound;
//! 3. groups made of the same options (a tier of one region, the only
//!    buildable site of a region) share one range, and bounds carry between
//!    nested groups (a region holds at most its cluster's most; a cluster at
//!    least its region's fewest);
//! 4. the ends still open are proven in batches of [`MIP_BATCH`], solved in
//!    parallel: the most cards of regions, tiers and clusters (the largest
//!    groups first, whose bounds carry to the groups inside them), then their
//!    fewest (the smallest first), then the same for sites. Each end is first
//!    probed by cost ([`probe_end`]): the cheapest plan with one server's
//!    worth of cards beyond the best plan found, with the cost bound as
//!    HiGHS's objective bound, so that it prunes by cost as the plain solve
//!    does. None: the end is proven. Otherwise its plan starts the end's own
//!    MIP, which stops within [`PROOF_CARDS`] of its bound.
//!
//! A solve stopped by its time limit (what is left of the whole search's
//! budget, [`BUDGET_PER_SOLVE_TIME`] × the plain solve's time, or of the
//! run's `--time-limit`) counts in `limited`; its end is then the best plan
//! found, so a range is never wider than the plans found (an inner bound).
//! The search stops as soon as every end is proven, so the budget is a cap:
//! on the baseline at 0.5 % every end is proven well within it
//! (BENCHMARKS.md). `min_proven` / `max_proven` say which ends are exact to
//! the server. `limited` counts solves, not ends, and groups of the same
//! options share an end (a tier of one region is counted twice in
//! regions.csv). The count of unproven ends is read from the per-end flags
//! (`NearOptimal::unproven_ends`).
//!
//! The run's `--time-limit` bounds the whole search: every solve (the
//! starting plan's completion, each LP end, each rounded plan, each MIP)
//! takes its limit from what is left of the run's deadline when it starts,
//! and one that would start with less than [`MIN_SOLVE_SECONDS`] left is not
//! started (its end counts in `limited`).

mod live;

use std::collections::HashMap;
use std::ops::Range;

use good_lp::{Expression, Variable};
use rayon::prelude::*;

use crate::domain::{Deadline, Tier};
use crate::milp::{self, Integrality, Model, Prepared, RowKey, Sense, CNY_PER_OBJECTIVE_UNIT};
use crate::plan::{CardRange, NearOptimal};
use crate::plan::{Plan, Status};
use crate::solve::base::options::{SolveError, SolveOptions};
use crate::solve::base::run::run_highs_from;
use live::LiveLp;

/// Time limit of each LP of the range search, seconds (the MIPs take what
/// is left of the budget).
pub const PER_SOLVE_SECONDS: f64 = 3.0;

/// Time limit of each small MIP over an LP end's fractional site decisions
/// ([`Search::sub_mips`]), seconds.
pub const SUB_MIP_SECONDS: f64 = 0.5;

/// How many range MIPs are solved at once (in parallel), between two looks
/// at which ends the plans found leave open. A constant, not the number of
/// cores, so that the ranges do not depend on the machine.
pub const MIP_BATCH: usize = 4;

/// Relative MIP gap of the range solves: none, so that a MIP stops only
/// within [`PROOF_CARDS`] of its bound (a relative gap on half a million
/// cards would leave thousands of cards unproven).
pub const MIP_GAP: f64 = 0.0;

/// By default the whole range search (LP bounds, rounded plans, probes and
/// MIPs) may take this many times the plain solve's time (at least
/// [`MIN_BUDGET_SECONDS`]); solves the budget stops count in `limited`. A
/// cap, not what it takes: the search ends when every end is proven, on the
/// baseline at 0.5 % well within it (BENCHMARKS.md), and the cap leaves room
/// for a loaded machine. [`near_optimal_within`] takes another budget.
pub const BUDGET_PER_SOLVE_TIME: f64 = 60.0;

/// The default budget's floor, seconds.
pub const MIN_BUDGET_SECONDS: f64 = 10.0;

/// The least time a range solve is started with, seconds (HiGHS's own floor
/// on a time limit): with less left of the run's deadline or the budget, the
/// solve is skipped rather than allowed to overshoot.
pub const MIN_SOLVE_SECONDS: f64 = 0.1;

/// `base` with the time limit of one range solve that starts now: the
/// smallest of [`PER_SOLVE_SECONDS`], what is left of the run's deadline and
/// what is left of `budget`; `None` when that is less than
/// [`MIN_SOLVE_SECONDS`] (the solve is not started).
fn solve_now(base: &SolveOptions, budget: Option<&Deadline>) -> Option<SolveOptions> {
    let mut left = base.time_limit_s.unwrap_or(f64::INFINITY);
    if let Some(d) = &base.deadline {
        left = left.min(d.left_s());
    }
    if let Some(b) = budget {
        left = left.min(b.left_s());
    }
    if left < MIN_SOLVE_SECONDS {
        return None;
    }
    let mut o = base.clone();
    o.time_limit_s = Some(left);
    Some(o)
}

/// What a range solve that was not started gives: nothing found, nothing proven.
const NOT_STARTED: Found = Found {
    cols: None,
    limited: true,
    bound: f64::NEG_INFINITY,
};

/// How close (cards) a plan must come to a proven bound for its end to count
/// as proven; the MIPs are solved to this absolute gap. Less than one server
/// (8 cards), so that a proven end is exact to the server.
pub const PROOF_CARDS: f64 = 7.0;

/// Which sites make up a group.
#[derive(Clone, Copy)]
enum Group {
    Region(usize),
    Tier(Tier),
    /// A planning cluster (index into `Instance::clusters`).
    Cluster(usize),
    Site(usize),
}

/// Options of a group, in option order (the group's identity: two groups
/// with the same options hold the same cards in every plan).
/// `cluster_of` is [`crate::domain::Instance::cluster_of_region`].
fn options_of(p: &Prepared, cluster_of: &[Option<usize>], g: Group) -> Vec<usize> {
    let in_group = |site: usize| {
        let r = p.region_of_site[site];
        match g {
            Group::Region(x) => r == x,
            Group::Tier(t) => p.inst.regions[r].tier == t,
            Group::Cluster(c) => cluster_of[r] == Some(c),
            Group::Site(s) => s == site,
        }
    };
    (0..p.options.len())
        .filter(|&o| in_group(p.options[o].site))
        .collect()
}

/// Cards of the given options' servers, as an expression of `model`'s variables.
fn cards_of(p: &Prepared, model: &Model, options: &[usize]) -> Expression {
    let mut e = Expression::default();
    for &o in options {
        for (i, &a) in p.options[o].accels.iter().enumerate() {
            e.add_mul(
                p.inst.accelerators[a].cards_per_server as f64,
                model.vars.servers[o][i],
            );
        }
    }
    e
}

/// Cards of the given options as (column, cards per server) pairs.
fn card_columns(p: &Prepared, model: &Model, options: &[usize]) -> Vec<(usize, f64)> {
    let col = |v: &Variable| model.column[v];
    options
        .iter()
        .flat_map(|&o| {
            p.options[o].accels.iter().enumerate().map(move |(i, &a)| {
                (
                    col(&model.vars.servers[o][i]),
                    p.inst.accelerators[a].cards_per_server as f64,
                )
            })
        })
        .collect()
}

/// `model` with `cost ≤ bound` (its own objective, millions of CNY) as a row.
fn with_cost_row(mut model: Model, cost_bound_cny: f64) -> Model {
    model.rows.push(milp::Row {
        key: RowKey::CostBound,
        lhs: model.objective.clone(),
        sense: Sense::Le,
        rhs: cost_bound_cny / CNY_PER_OBJECTIVE_UNIT,
    });
    model
}

/// One end of one group: minimise (`sign` = 1) or maximise (−1) its cards.
struct End {
    group: usize,
    sign: f64,
}

/// What one solve of an end gave: a plan (columns), whether the solve
/// finished, and a proven bound on `sign × cards`.
struct Found {
    cols: Option<Vec<f64>>,
    limited: bool,
    bound: f64,
}

/// Solves `model` with `sign × cards of options` as the objective.
fn solve_end(
    p: &Prepared,
    base: &Model,
    options: &[usize],
    sign: f64,
    opts: &SolveOptions,
    start: Option<&[f64]>,
) -> Result<Found, SolveError> {
    let m = with_cards_objective(p, base, options, sign);
    let is_mip = m.integer.iter().any(|&i| i);
    match run_highs_from(m, opts, &[], start) {
        Ok((raw, _)) => {
            let limited = raw.status != Status::Optimal;
            Ok(Found {
                limited,
                // A MIP's dual bound is proven even when stopped; an LP's
                // objective is a bound only at its optimum.
                bound: if is_mip {
                    raw.dual_bound.min(raw.objective)
                } else if limited {
                    f64::NEG_INFINITY
                } else {
                    raw.objective
                },
                cols: Some(raw.cols),
            })
        }
        // The limit came before any plan: nothing found, nothing proven.
        Err(SolveError::NoSolution { .. }) => Ok(Found {
            cols: None,
            limited: true,
            bound: f64::NEG_INFINITY,
        }),
        Err(e) => Err(e),
    }
}

/// The proof of an end by its cost: the least cost of a plan with one
/// server's worth of cards beyond `best` (`cards ≥ best + PROOF_CARDS` for
/// the most, `≤ best − PROOF_CARDS` for the fewest), the cost bound as
/// HiGHS's objective bound so that it prunes by cost as in the plain
/// solve, stopped at its first plan. No such plan: `best` is the end
/// (bound `best ± PROOF_CARDS`). Otherwise the plan found, from which the
/// end's own MIP goes on ([`solve_end`]). `None`: the solve was stopped.
fn probe_end(
    p: &Prepared,
    base: &Model,
    options: &[usize],
    sign: f64,
    best: f64,
    cost_bound_cny: f64,
    opts: &SolveOptions,
) -> Result<Option<Found>, SolveError> {
    let k = best - sign * PROOF_CARDS;
    let mut m = base.clone();
    // The row's key only names it (the cost bound's family: it bounds the
    // plans of the range search).
    m.rows.push(milp::Row {
        key: RowKey::CostBound,
        lhs: cards_of(p, &m, options),
        sense: if sign < 0.0 { Sense::Ge } else { Sense::Le },
        rhs: k,
    });
    let mut o = opts.clone();
    o.mip_gap = None;
    o.highs_options = opts
        .highs_options
        .iter()
        .filter(|(k, _)| k != "mip_abs_gap")
        .cloned()
        .collect();
    o.highs_options.push((
        "objective_bound".into(),
        format!("{:e}", cost_bound_cny / m.cny_per_objective_unit),
    ));
    o.highs_options
        .push(("mip_max_improving_sols".into(), "1".into()));
    match run_highs_from(m, &o, &[], None) {
        Ok((raw, _)) => Ok(Some(Found {
            cols: Some(raw.cols),
            limited: false,
            bound: f64::NEG_INFINITY,
        })),
        Err(SolveError::Infeasible { .. }) => Ok(Some(Found {
            cols: None,
            limited: false,
            bound: sign * k,
        })),
        Err(SolveError::NoSolution { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// An end to prove: its group's options, its sign (1: fewest, −1: most),
/// its best plan's cards and the cost bound.
struct EndToProve<'a> {
    options: &'a [usize],
    sign: f64,
    best: f64,
    cost_bound_cny: f64,
}

/// Step 4 for one end: the probe by cost ([`probe_end`], with the options
/// `o`); if it finds a plan, the end's own MIP from it ([`solve_end`], its
/// limit taken from `budget` when it starts). The probe's plan is kept when
/// the MIP gives none.
fn prove_end(
    p: &Prepared,
    base: &Model,
    end: &EndToProve,
    o: &SolveOptions,
    mip_opts: &SolveOptions,
    budget: &Deadline,
) -> Result<Found, SolveError> {
    let (options, sign) = (end.options, end.sign);
    let Some(probe) = probe_end(p, base, options, sign, end.best, end.cost_bound_cny, o)? else {
        return Ok(NOT_STARTED);
    };
    let Some(from) = probe.cols else {
        return Ok(probe);
    };
    let Some(o) = solve_now(mip_opts, Some(budget)) else {
        return Ok(Found {
            cols: Some(from),
            limited: true,
            bound: f64::NEG_INFINITY,
        });
    };
    let mut f = solve_end(p, base, options, sign, &o, Some(&from))?;
    if f.cols.is_none() {
        f.cols = Some(from);
    }
    Ok(f)
}

/// `base` with `sign × cards of options` as its objective (in cards, not CNY).
fn with_cards_objective(p: &Prepared, base: &Model, options: &[usize], sign: f64) -> Model {
    let mut m = base.clone();
    let mut objective = Expression::default();
    objective.add_mul(sign, cards_of(p, &m, options));
    m.objective = objective;
    m.cny_per_objective_unit = 1.0;
    m
}

/// Plans near an LP end: the LP's site decisions rounded in a few ways, each
/// followed by the continuous servers re-optimised for the same end with those
/// decisions fixed (an LP); the ones that fit within the cost bound. The
/// roundings: (a) every site the LP opens at all; (b) the group's sites the
/// LP opens, other sites as in the optimum (`start`); (c) the group's sites
/// the LP opens and the other sites it opens at least half. Per site the
/// option the LP uses most; the mega clusters where the LP leans most.
#[allow(clippy::too_many_arguments)]
fn rounded_plans(
    p: &Prepared,
    lp: &Model,
    lp_cols: &[f64],
    base: &Model,
    start: &[f64],
    options: &[usize],
    sign: f64,
    opts: &SolveOptions,
) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = Vec::new();
    for fixed in rounded_fixings(p, lp, lp_cols, base, start, options) {
        let m = with_cards_objective(p, base, options, sign);
        let Some(o) = solve_now(opts, None) else {
            break;
        };
        if let Ok((raw, _)) = run_highs_from(m, &o, &fixed, None) {
            out.push(raw.cols);
        }
    }
    out
}

/// [`rounded_plans`] on a live LP whose columns are `base`'s
/// ([`same_columns`]): each rounding is a change of the site decisions'
/// bounds, `cost` the end's objective.
#[allow(clippy::too_many_arguments)]
fn rounded_plans_live(
    p: &Prepared,
    lp_cols: &[f64],
    base: &Model,
    start: &[f64],
    options: &[usize],
    live: &mut LiveLp,
    cost: &[f64],
    opts: &SolveOptions,
) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = Vec::new();
    for fixed in rounded_fixings(p, base, lp_cols, base, start, options) {
        let fixed: Vec<(usize, f64)> = fixed
            .into_iter()
            .map(|(v, x)| (base.column[&v], x))
            .collect();
        let Some(o) = solve_now(opts, None) else {
            break;
        };
        let seconds = o.time_limit_s.unwrap_or(PER_SOLVE_SECONDS);
        if let Some(a) = live.solve(cost, &fixed, seconds) {
            out.push(a.cols);
        }
    }
    out
}

/// The site decisions of [`rounded_plans`]' roundings of the LP answer
/// `lp_cols` (columns of `lp`), each once, those that close a site that
/// must open left out: `base`'s columns and their values.
fn rounded_fixings(
    p: &Prepared,
    lp: &Model,
    lp_cols: &[f64],
    base: &Model,
    start: &[f64],
    options: &[usize],
) -> Vec<Vec<(Variable, f64)>> {
    let ns = p.inst.sites.len();
    let (lp_best, opt_open) = lp_leanings(p, lp, lp_cols, base, start);
    let roundings = roundings(p, options, &lp_best, &opt_open);
    let mega = mega_order(lp, lp_cols, base, start);
    let mut out = Vec::new();
    let mut tried: Vec<&Vec<Option<usize>>> = Vec::new();
    for open in &roundings {
        if tried.contains(&open) {
            continue;
        }
        tried.push(open);
        if (0..ns).any(|s| open[s].is_none() && p.inst.sites[s].status.must_open()) {
            continue;
        }
        out.push(fixed_decisions(p, base, open, &mega));
    }
    out
}

/// The objective `sign × cards of options` as one cost per column of `model`.
fn cards_cost(p: &Prepared, model: &Model, options: &[usize], sign: f64) -> Vec<f64> {
    let mut cost = vec![0.0; model.n_columns];
    for (j, n) in card_columns(p, model, options) {
        cost[j] += sign * n;
    }
    cost
}

/// Whether `a` and `b` have the same columns: the same count and every site
/// decision and server count in the same column (the LP relaxation and the
/// range model are built in the same order).
fn same_columns(a: &Model, b: &Model) -> bool {
    let pairs = |m: &Model| -> Vec<usize> {
        let v = &m.vars;
        v.open
            .iter()
            .chain(v.mega.iter().flatten())
            .copied()
            .chain(v.server_columns())
            .map(|x| m.column[&x])
            .collect()
    };
    a.n_columns == b.n_columns && pairs(a) == pairs(b)
}

/// Per site: the option the LP (`lp_cols`) uses most and how much, and the
/// option open in the optimum (`start`, in `base`'s columns).
#[allow(clippy::type_complexity)]
fn lp_leanings(
    p: &Prepared,
    lp: &Model,
    lp_cols: &[f64],
    base: &Model,
    start: &[f64],
) -> (Vec<Option<(usize, f64)>>, Vec<Option<usize>>) {
    let value = |v: &Variable| lp_cols[lp.column[v]];
    let ns = p.inst.sites.len();
    // Per site: the option the LP uses most and how much.
    let mut lp_best: Vec<Option<(usize, f64)>> = vec![None; ns];
    // Per site: the option open in the optimum.
    let mut opt_open: Vec<Option<usize>> = vec![None; ns];
    for (o, opt) in p.options.iter().enumerate() {
        let x = value(&lp.vars.open[o]);
        if x > 1e-6 && lp_best[opt.site].is_none_or(|(_, y)| x > y) {
            lp_best[opt.site] = Some((o, x));
        }
        if start[base.column[&base.vars.open[o]]] > 0.5 {
            opt_open[opt.site] = Some(o);
        }
    }
    (lp_best, opt_open)
}

/// The three roundings of [`rounded_plans`], as the option open per site
/// (`None`: closed): (a) every site the LP opens at all; (b) the group's
/// sites the LP opens, other sites as in the optimum; (c) the group's sites
/// the LP opens and the other sites it opens at least half.
fn roundings(
    p: &Prepared,
    options: &[usize],
    lp_best: &[Option<(usize, f64)>],
    opt_open: &[Option<usize>],
) -> [Vec<Option<usize>>; 3] {
    let ns = p.inst.sites.len();
    let in_group: Vec<bool> = {
        let mut v = vec![false; ns];
        for &o in options {
            v[p.options[o].site] = true;
        }
        v
    };
    [
        lp_best.iter().map(|b| b.map(|x| x.0)).collect(),
        (0..ns)
            .map(|s| {
                if in_group[s] {
                    lp_best[s].map(|x| x.0)
                } else {
                    opt_open[s]
                }
            })
            .collect(),
        (0..ns)
            .map(|s| {
                lp_best[s]
                    .filter(|&(_, x)| in_group[s] || x >= 0.5)
                    .map(|x| x.0)
            })
            .collect(),
    ]
}

/// The sites that may hold a mega cluster, in the order they get one:
/// (site, preference), the largest preference first.
fn mega_order(lp: &Model, lp_cols: &[f64], base: &Model, start: &[f64]) -> Vec<(usize, f64)> {
    let value = |v: &Variable| lp_cols[lp.column[v]];
    // Mega clusters: the optimum's where they are open, else where the LP
    // leans most among the open sites.
    let mut mega: Vec<(usize, f64)> = lp
        .vars
        .mega
        .iter()
        .enumerate()
        .filter_map(|(s, m)| {
            let in_opt = start[base.column[base.vars.mega[s].as_ref()?]] > 0.5;
            Some((s, value(m.as_ref()?) + if in_opt { 2.0 } else { 0.0 }))
        })
        .collect();
    mega.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    mega
}

/// The site decisions of one rounding (`open`: the option open per site) as
/// values of `base`'s binaries: those options, and mega clusters at the first
/// open sites of `mega` ([`mega_order`]), as many as the scenario has.
fn fixed_decisions(
    p: &Prepared,
    base: &Model,
    open: &[Option<usize>],
    mega: &[(usize, f64)],
) -> Vec<(Variable, f64)> {
    let chosen: Vec<usize> = mega
        .iter()
        .filter(|x| open[x.0].is_some())
        .take(p.inst.params.mega_count as usize)
        .map(|x| x.0)
        .collect();
    let mut fixed: Vec<(Variable, f64)> = base
        .vars
        .open
        .iter()
        .enumerate()
        .map(|(o, v)| {
            let on = open[p.options[o].site] == Some(o);
            (*v, if on { 1.0 } else { 0.0 })
        })
        .collect();
    for (s, m) in base.vars.mega.iter().enumerate() {
        if let Some(m) = m {
            fixed.push((*m, if chosen.contains(&s) { 1.0 } else { 0.0 }));
        }
    }
    fixed
}

/// With deliveries: the plan's servers installed in each period (its
/// schedule), in `base`'s per-period columns, so that they sum to its servers.
fn fill_installed(p: &Prepared, plan: &Plan, base: &Model, start: &mut [f64]) {
    let Some(schedule) = &plan.schedule else {
        return;
    };
    for x in &schedule.installations {
        let cooling = plan.sites[x.site].cooling;
        let found = p.options.iter().enumerate().find_map(|(o, opt)| {
            let i = opt.accels.iter().position(|&a| a == x.accel)?;
            (opt.site == x.site && Some(opt.cooling) == cooling).then_some((o, i))
        });
        if let Some(v) = found.and_then(|(o, i)| base.vars.installed[o][i][x.period]) {
            start[base.column[&v]] = x.servers as f64;
        }
    }
}

/// The plan's decisions (sites, mega clusters, servers and, with deliveries,
/// servers per period) completed into a feasible point of `base`: the other
/// columns (flows, subsidies, definitions) from one LP with those fixed. The
/// decisions alone when that LP fails (HiGHS then completes the start itself).
fn complete_start(base: &Model, start: Vec<f64>, opts: &SolveOptions) -> Vec<f64> {
    let v = &base.vars;
    let fixed: Vec<(Variable, f64)> = v
        .open
        .iter()
        .chain(v.mega.iter().flatten())
        .copied()
        .chain(v.server_columns())
        .map(|x| (x, start[base.column[&x]]))
        .collect();
    let mut o = opts.clone();
    o.log = false;
    // What is left of the run, taken now (the caller's limit was taken before
    // the plain solve).
    if let Some(d) = &opts.deadline {
        if d.left_s() < MIN_SOLVE_SECONDS {
            return start;
        }
        o.time_limit_s = o.seconds_left();
    }
    match run_highs_from(base.clone(), &o, &fixed, None) {
        Ok((raw, _)) if raw.status == Status::Optimal && raw.cols.len() == start.len() => raw.cols,
        _ => start,
    }
}

/// Near-optimal ranges of `plan` for every region, tier, planning cluster and
/// buildable site.
pub fn near_optimal(
    p: &Prepared,
    plan: &Plan,
    share: f64,
    opts: &SolveOptions,
) -> Result<NearOptimal, SolveError> {
    near_optimal_within(p, plan, share, opts, None)
}

/// [`near_optimal`] with the whole search's time budget in seconds (`None`:
/// [`BUDGET_PER_SOLVE_TIME`] × the plain solve's time, at least
/// [`MIN_BUDGET_SECONDS`]). A longer budget leaves fewer ends at the best plan
/// found; with enough of it every end is proven.
pub fn near_optimal_within(
    p: &Prepared,
    plan: &Plan,
    share: f64,
    opts: &SolveOptions,
    budget_s: Option<f64>,
) -> Result<NearOptimal, SolveError> {
    let started = std::time::Instant::now();
    let budget_s =
        budget_s.unwrap_or((BUDGET_PER_SOLVE_TIME * plan.solve_seconds).max(MIN_BUDGET_SECONDS));
    let cost_bound_cny = plan.objective_cny + share * plan.objective_cny.abs();
    let base = with_cost_row(
        milp::build(p, Integrality::ContinuousServers),
        cost_bound_cny,
    );
    let lp = with_cost_row(milp::build(p, Integrality::Lp), cost_bound_cny);
    let start = complete_start(&base, plan_start(p, plan, &base), opts);
    let mut search = Search::new(p, &base, opts, start, cost_bound_cny);
    // 2. LP bounds of every end of every distinct group.
    search.lp_ends(&lp)?;
    // 4. MIPs for the ends still open. The MIPs get what is left of the budget.
    let budget = Deadline::from(started, budget_s);
    let (limited, mip_solves) = search.mip_rounds(&budget)?;
    Ok(search.ranges(share, cost_bound_cny, limited, mip_solves, budget_s))
}

/// The plan as a starting point, in the base model's columns: its site
/// decisions, mega clusters, servers and, with deliveries, servers per
/// period; the other columns 0 (see [`complete_start`]).
fn plan_start(p: &Prepared, plan: &Plan, base: &Model) -> Vec<f64> {
    let mut start = vec![0.0; base.n_columns];
    for (o, opt) in p.options.iter().enumerate() {
        let sp = &plan.sites[opt.site];
        let on = sp.cooling == Some(opt.cooling);
        start[base.column[&base.vars.open[o]]] = if on { 1.0 } else { 0.0 };
        for (i, &a) in opt.accels.iter().enumerate() {
            let n = if on { sp.servers[a] as f64 } else { 0.0 };
            start[base.column[&base.vars.servers[o][i]]] = n;
        }
    }
    for (s, m) in base.vars.mega.iter().enumerate() {
        if let Some(m) = m {
            start[base.column[m]] = if plan.sites[s].mega_cluster { 1.0 } else { 0.0 };
        }
    }
    fill_installed(p, plan, base, &mut start);
    start
}

/// The groups that get a range, in report order: regions, tiers, planning
/// clusters, then buildable sites.
struct Groups {
    /// Per group: its options ([`options_of`]).
    options: Vec<Vec<usize>>,
    /// Per group: the first group of the same options, whose range it shares.
    canon: Vec<usize>,
    /// The buildable sites, in the order of their groups.
    buildable: Vec<usize>,
    /// How many groups come before the sites' (regions, tiers, clusters).
    n_coarse: usize,
}

impl Groups {
    fn new(p: &Prepared) -> Groups {
        let mut groups: Vec<Group> = (0..p.inst.regions.len()).map(Group::Region).collect();
        groups.extend(Tier::ALL.iter().map(|&t| Group::Tier(t)));
        let nc = p.inst.clusters.len();
        groups.extend((0..nc).map(Group::Cluster));
        let buildable: Vec<usize> = (0..p.inst.sites.len())
            .filter(|&s| p.site_reason[s].is_none())
            .collect();
        groups.extend(buildable.iter().map(|&s| Group::Site(s)));
        let n_coarse = p.inst.regions.len() + Tier::ALL.len() + nc;
        // Groups of the same options share one range: `canon[g]` is the first
        // (a cluster of one region is that region).
        let cluster_of = p.inst.cluster_of_region();
        let options: Vec<Vec<usize>> = groups
            .iter()
            .map(|&g| options_of(p, &cluster_of, g))
            .collect();
        let mut first: HashMap<&[usize], usize> = HashMap::new();
        let canon: Vec<usize> = options
            .iter()
            .enumerate()
            .map(|(g, o)| *first.entry(o.as_slice()).or_insert(g))
            .collect();
        Groups {
            options,
            canon,
            buildable,
            n_coarse,
        }
    }
}

/// Pairs (smaller, larger) of distinct non-empty groups, each the first of
/// its options ([`Groups::canon`]), whose options lie within the other's.
fn nested_groups(groups: &Groups) -> Vec<(usize, usize)> {
    let distinct: Vec<usize> = (0..groups.options.len())
        .filter(|&g| groups.canon[g] == g && !groups.options[g].is_empty())
        .collect();
    let mut out = Vec::new();
    for &small in &distinct {
        for &large in &distinct {
            let (a, b) = (&groups.options[small], &groups.options[large]);
            // Options are in option order: a merge walk tells inclusion.
            if small != large && a.len() < b.len() && a.iter().all(|o| b.binary_search(o).is_ok()) {
                out.push((small, large));
            }
        }
    }
    out
}

/// The range search under way: the groups, the plans found so far and the
/// proven bounds on every group's ends.
struct Search<'a> {
    p: &'a Prepared,
    /// The model with continuous servers and the cost row.
    base: &'a Model,
    opts: &'a SolveOptions,
    groups: Groups,
    found: Plans,
    /// Per group: the proven bounds on its ends (lower bound of the fewest,
    /// upper bound of the most cards).
    bound: Vec<[f64; 2]>,
    /// The cost bound of the plans searched, CNY.
    cost_bound_cny: f64,
    /// Pairs (smaller, larger) of distinct groups whose options are one
    /// within the other: the smaller never holds more cards than the larger.
    within: Vec<(usize, usize)>,
}

impl<'a> Search<'a> {
    /// The search with one plan found, `start`; nothing is proven but the
    /// ends of the empty groups.
    fn new(
        p: &'a Prepared,
        base: &'a Model,
        opts: &'a SolveOptions,
        start: Vec<f64>,
        cost_bound_cny: f64,
    ) -> Self {
        let groups = Groups::new(p);
        let columns: Vec<Vec<(usize, f64)>> = groups
            .options
            .iter()
            .map(|o| card_columns(p, base, o))
            .collect();
        let bound: Vec<[f64; 2]> = groups
            .options
            .iter()
            .map(|o| {
                if o.is_empty() {
                    [0.0, 0.0]
                } else {
                    [0.0, f64::INFINITY]
                }
            })
            .collect();
        let mut found = Plans::new(columns);
        found.add(start);
        let within = nested_groups(&groups);
        Search {
            p,
            base,
            opts,
            groups,
            found,
            bound,
            cost_bound_cny,
            within,
        }
    }

    /// Carries proven bounds between nested groups: a group holds at most
    /// the most of any group around it, and at least the fewest of any group
    /// inside it.
    fn propagate(&mut self) {
        for &(small, large) in &self.within {
            self.bound[small][1] = self.bound[small][1].min(self.bound[large][1]);
            self.bound[large][0] = self.bound[large][0].max(self.bound[small][0]);
        }
    }

    /// Whether end `d` (0: fewest, 1: most cards) of group `g` is proven:
    /// the best plan found is within [`PROOF_CARDS`] of its bound.
    fn settled(&self, g: usize, d: usize) -> bool {
        // A probe's bound is its plan's cards ± PROOF_CARDS: allow rounding.
        let slack = PROOF_CARDS + 1e-6;
        if d == 0 {
            self.found.best[g][0].0 <= self.bound[g][0] + slack
        } else {
            self.found.best[g][1].0 >= self.bound[g][1] - slack
        }
    }

    /// The ends (each group's `signs` in turn) of the distinct, non-empty
    /// groups in `range` that the plans so far do not settle.
    fn open_ends(&self, range: Range<usize>, signs: &[f64]) -> Vec<End> {
        range
            .filter(|&g| self.groups.canon[g] == g && !self.groups.options[g].is_empty())
            .flat_map(|g| signs.iter().map(move |&sign| End { group: g, sign }))
            .filter(|e| !self.settled(e.group, (e.sign < 0.0) as usize))
            .collect()
    }
}

impl Search<'_> {
    /// Step 2: the LP of every end the plans do not settle, in parallel on
    /// one live LP per worker; its objective tightens the end's bound and
    /// its site decisions, rounded, give plans ([`rounded_plans`]). Nothing
    /// when the run is out of time.
    fn lp_ends(&mut self, lp: &Model) -> Result<(), SolveError> {
        let ends = self.open_ends(0..self.groups.options.len(), &[1.0, -1.0]);
        if run_out(self.opts) {
            return Ok(());
        }
        if !same_columns(lp, self.base) {
            return self.lp_ends_rebuilt(lp, &ends);
        }
        let (p, base, options) = (self.p, self.base, &self.groups.options);
        let lp_opts = per_solve(self.opts, false);
        let start = &self.found.plans[0];
        let solved: Vec<(Found, Vec<Vec<f64>>)> = ends
            .par_iter()
            .map_init(
                || LiveLp::new(lp, &lp_opts),
                |live, e| {
                    let Some(o) = solve_now(&lp_opts, None) else {
                        return (NOT_STARTED, Vec::new());
                    };
                    let seconds = o.time_limit_s.unwrap_or(PER_SOLVE_SECONDS);
                    let cost = cards_cost(p, base, &options[e.group], e.sign);
                    let Some(a) = live.solve(&cost, &[], seconds) else {
                        return (NOT_STARTED, Vec::new());
                    };
                    let plans = rounded_plans_live(
                        p,
                        &a.cols,
                        base,
                        start,
                        &options[e.group],
                        live,
                        &cost,
                        &lp_opts,
                    );
                    let f = Found {
                        limited: false,
                        bound: a.objective,
                        cols: Some(a.cols),
                    };
                    (f, plans)
                },
            )
            .collect();
        let mut lp_plans = Vec::with_capacity(ends.len());
        for (e, (f, plans)) in ends.iter().zip(solved) {
            tighten(&mut self.bound[e.group], e.sign, f.bound);
            for cols in plans {
                self.found.add(cols);
            }
            lp_plans.push(f.cols);
        }
        self.propagate();
        self.sub_mips(&ends, lp_plans);
        Ok(())
    }

    /// Step 2b: for each LP end still open, the LP's site decisions that are
    /// already whole kept and only the fractional ones left to a small MIP
    /// (a relaxation-induced neighbourhood); its plans join the others. An
    /// LP end with no fractional decision is itself a plan.
    fn sub_mips(&mut self, ends: &[End], lp_plans: Vec<Option<Vec<f64>>>) {
        let base = self.base;
        let v = &base.vars;
        let decisions: Vec<Variable> = v
            .open
            .iter()
            .chain(v.mega.iter().flatten())
            .copied()
            .collect();
        let mut todo = Vec::new();
        for (e, cols) in ends.iter().zip(lp_plans) {
            let Some(cols) = cols else { continue };
            let whole: Vec<(Variable, f64)> = decisions
                .iter()
                .filter_map(|&x| {
                    let y = cols[base.column[&x]];
                    ((y - y.round()).abs() < 1e-6).then_some((x, y.round()))
                })
                .collect();
            if whole.len() == decisions.len() {
                self.found.add(cols);
            } else if !self.settled(e.group, (e.sign < 0.0) as usize) {
                todo.push((e, whole));
            }
        }
        todo.retain(|(e, _)| !self.settled(e.group, (e.sign < 0.0) as usize));
        if run_out(self.opts) {
            return;
        }
        let (p, options) = (self.p, &self.groups.options);
        let mut o = per_solve(self.opts, true);
        o.time_limit_s = Some(SUB_MIP_SECONDS);
        let plans: Vec<Option<Vec<f64>>> = todo
            .par_iter()
            .map(|(e, whole)| {
                let o = solve_now(&o, None)?;
                let m = with_cards_objective(p, base, &options[e.group], e.sign);
                run_highs_from(m, &o, whole, None)
                    .ok()
                    .map(|(raw, _)| raw.cols)
            })
            .collect();
        for cols in plans.into_iter().flatten() {
            self.found.add(cols);
        }
    }

    /// [`Search::lp_ends`] with each LP built afresh: where the LP's columns
    /// are not the range model's (never for models of `milp::build`).
    fn lp_ends_rebuilt(&mut self, lp: &Model, ends: &[End]) -> Result<(), SolveError> {
        let (p, base, options) = (self.p, self.base, &self.groups.options);
        let lp_opts = per_solve(self.opts, false);
        let start = &self.found.plans[0];
        type LpEnd = Result<(Found, Vec<Vec<f64>>), SolveError>;
        let solved: Vec<LpEnd> = ends
            .par_iter()
            .map(|e| {
                let Some(o) = solve_now(&lp_opts, None) else {
                    return Ok((NOT_STARTED, Vec::new()));
                };
                let f = solve_end(p, lp, &options[e.group], e.sign, &o, None)?;
                let plans = match &f.cols {
                    Some(c) if !f.limited => {
                        rounded_plans(p, lp, c, base, start, &options[e.group], e.sign, &lp_opts)
                    }
                    _ => Vec::new(),
                };
                Ok((f, plans))
            })
            .collect();
        for (e, f) in ends.iter().zip(solved) {
            let (f, plans) = f?;
            tighten(&mut self.bound[e.group], e.sign, f.bound);
            for cols in plans {
                self.found.add(cols);
            }
        }
        self.propagate();
        Ok(())
    }

    /// Step 4: MIPs for the ends still open, within `budget`, in batches of
    /// [`MIP_BATCH`] solved in parallel, each from the best plan found for
    /// its end. Before each batch the ends are taken afresh: those the plans
    /// so far leave open, regions', tiers' and clusters' most cards first,
    /// then their fewest, then the sites' (a plan that packs one group
    /// empties others, which settles their fewest); within each, the end
    /// closest to its bound first (cheap, and its plans seed the others).
    /// Fixed batches, not a queue per worker: the same input gives the same
    /// ranges on any number of cores. Returns how many solves were stopped
    /// by a limit or not started (`limited`) and how many MIPs ran.
    fn mip_rounds(&mut self, budget: &Deadline) -> Result<(usize, usize), SolveError> {
        let mut limited = 0;
        let mut mip_solves = 0;
        // Each MIP may take what is left of the budget (and of the run).
        let mut mip_opts = per_solve(self.opts, true);
        mip_opts.time_limit_s = None;
        // Ends whose MIP ran: never solved twice (one stopped by a limit
        // stays at its best plan).
        let mut tried: Vec<(usize, bool)> = Vec::new();
        loop {
            let todo = self.next_batch(&tried);
            if todo.is_empty() {
                break;
            }
            if run_out(self.opts) || budget.left_s() < MIN_SOLVE_SECONDS {
                // Out of time: the ends left are the best plans found.
                limited += self
                    .next_ends()
                    .iter()
                    .filter(|e| !tried.contains(&(e.group, e.sign < 0.0)))
                    .count();
                break;
            }
            tried.extend(todo.iter().map(|e| (e.group, e.sign < 0.0)));
            limited += self.mip_round(&todo, &mip_opts, budget)?;
            mip_solves += todo.len();
        }
        Ok((limited, mip_solves))
    }

    /// Every open end in the order of [`Search::mip_rounds`].
    fn next_ends(&self) -> Vec<End> {
        let (n_coarse, ng) = (self.groups.n_coarse, self.groups.options.len());
        let classes = [
            (0..n_coarse, -1.0),
            (0..n_coarse, 1.0),
            (n_coarse..ng, -1.0),
            (n_coarse..ng, 1.0),
        ];
        let mut out = Vec::new();
        for (range, sign) in classes {
            let mut ends = self.open_ends(range, &[sign]);
            // The largest groups' most first and the smallest groups' fewest
            // first: their bounds carry to the groups nested in them
            // ([`Search::propagate`]); then the end closest to its bound.
            let size = |e: &End| sign * self.groups.options[e.group].len() as f64;
            ends.sort_by(|a, b| {
                size(a)
                    .total_cmp(&size(b))
                    .then(self.gap(a).total_cmp(&self.gap(b)))
            });
            out.extend(ends);
        }
        out
    }

    /// The next [`MIP_BATCH`] open ends, but none whose bound may come from
    /// another end in the batch: the most of a group inside a group whose
    /// most is in it, the fewest of a group around one whose fewest is.
    fn next_batch(&self, tried: &[(usize, bool)]) -> Vec<End> {
        let mut batch: Vec<End> = Vec::new();
        for e in self.next_ends() {
            if tried.contains(&(e.group, e.sign < 0.0)) {
                continue;
            }
            let waits = batch.iter().any(|b| {
                b.sign == e.sign
                    && self.within.iter().any(|&(small, large)| {
                        if e.sign < 0.0 {
                            (small, large) == (e.group, b.group)
                        } else {
                            (small, large) == (b.group, e.group)
                        }
                    })
            });
            if !waits {
                batch.push(e);
            }
            if batch.len() == MIP_BATCH {
                break;
            }
        }
        batch
    }

    /// Cards between an end's best plan and its bound.
    fn gap(&self, e: &End) -> f64 {
        let g = e.group;
        if e.sign > 0.0 {
            self.found.best[g][0].0 - self.bound[g][0]
        } else {
            self.bound[g][1] - self.found.best[g][1].0
        }
    }

    /// One batch of MIPs, in parallel, each started from the best plan found
    /// for its end; returns how many were stopped by a limit or not started.
    fn mip_round(
        &mut self,
        todo: &[End],
        mip_opts: &SolveOptions,
        budget: &Deadline,
    ) -> Result<usize, SolveError> {
        let (p, base, options, found) = (self.p, self.base, &self.groups.options, &self.found);
        let cost_bound_cny = self.cost_bound_cny;
        // Each MIP's limit is taken when it starts (there may be more ends
        // than threads), so the batch ends within one solve of the budget.
        let solved: Vec<Result<Found, SolveError>> = todo
            .par_iter()
            .map(|e| {
                let Some(o) = solve_now(mip_opts, Some(budget)) else {
                    return Ok(NOT_STARTED);
                };
                let d = (e.sign < 0.0) as usize;
                let best = found.best[e.group][d].0;
                let end = EndToProve {
                    options: &options[e.group],
                    sign: e.sign,
                    best,
                    cost_bound_cny,
                };
                prove_end(p, base, &end, &o, mip_opts, budget)
            })
            .collect();
        let mut limited = 0;
        for (e, f) in todo.iter().zip(solved) {
            let f = f?;
            limited += f.limited as usize;
            tighten(&mut self.bound[e.group], e.sign, f.bound);
            if let Some(cols) = f.cols {
                self.found.add(cols);
            }
        }
        self.propagate();
        Ok(limited)
    }

    /// The range of group `g`: that of the first group of the same options,
    /// its ends the best plans found.
    fn range_of(&self, g: usize) -> CardRange {
        let c = self.groups.canon[g];
        if self.groups.options[c].is_empty() {
            return CardRange {
                min_cards: 0.0,
                max_cards: 0.0,
                min_proven: true,
                max_proven: true,
            };
        }
        // Servers are continuous here: round to whole cards, never below 0.
        CardRange {
            min_cards: self.found.best[c][0].0.max(0.0).round(),
            max_cards: self.found.best[c][1].0.max(0.0).round(),
            min_proven: self.settled(c, 0),
            max_proven: self.settled(c, 1),
        }
    }

    /// The ranges of every region, tier, planning cluster and buildable site.
    fn ranges(
        &self,
        share: f64,
        cost_bound_cny: f64,
        limited: usize,
        mip_solves: usize,
        budget_s: f64,
    ) -> NearOptimal {
        let p = self.p;
        let nr = p.inst.regions.len();
        let nc = p.inst.clusters.len();
        let mut sites = vec![None; p.inst.sites.len()];
        for (k, &s) in self.groups.buildable.iter().enumerate() {
            sites[s] = Some(self.range_of(self.groups.n_coarse + k));
        }
        NearOptimal {
            share,
            cost_bound_cny,
            regions: (0..nr).map(|r| self.range_of(r)).collect(),
            tiers: Tier::ALL
                .iter()
                .enumerate()
                .map(|(i, &t)| (t, self.range_of(nr + i)))
                .collect(),
            clusters: (0..nc)
                .map(|c| self.range_of(nr + Tier::ALL.len() + c))
                .collect(),
            sites,
            limited,
            mip_solves,
            per_solve_seconds: budget_s,
        }
    }
}

/// HiGHS options of every range solve, set before the run's own
/// (`--highs-option`), which therefore win, as phase 1's do. RENS (a sub-MIP over the root LP's rounding) is off:
/// a range MIP starts from the best plan found and its cost row keeps it near
/// the optimum, where RENS's sub-MIP seldom finds a better plan and costs as
/// much as the rest of the solve (on the small baseline at 0.5 %, the search
/// took a third less time without it, every end proven: BENCHMARKS.md).
const RANGE_HIGHS_OPTIONS: [(&str, &str); 1] = [("mip_heuristic_run_rens", "false")];

/// Options of a range solve: quiet, with [`PER_SOLVE_SECONDS`] (each solve
/// gets that, or what is left of the run when it starts: [`solve_now`]) and
/// [`RANGE_HIGHS_OPTIONS`]; with `gap`, a MIP's gaps [`MIP_GAP`] and
/// [`PROOF_CARDS`].
fn per_solve(opts: &SolveOptions, gap: bool) -> SolveOptions {
    let mut o = opts.clone();
    o.log = false;
    o.time_limit_s = Some(PER_SOLVE_SECONDS);
    o.highs_defaults_first(&RANGE_HIGHS_OPTIONS);
    if gap {
        o.mip_gap = Some(MIP_GAP);
        o.highs_options
            .push(("mip_abs_gap".into(), format!("{PROOF_CARDS:.1}")));
    }
    o
}

/// Whether the run's deadline leaves less than [`MIN_SOLVE_SECONDS`].
fn run_out(opts: &SolveOptions) -> bool {
    opts.deadline
        .is_some_and(|d| d.left_s() < MIN_SOLVE_SECONDS)
}

/// The plans found (columns of the continuous-server model) and, per
/// group, the fewest and most cards among them with the plan that has them.
struct Plans {
    /// Per group: (column, cards per server) of its servers.
    columns: Vec<Vec<(usize, f64)>>,
    plans: Vec<Vec<f64>>,
    best: Vec<[(f64, usize); 2]>,
}

impl Plans {
    fn new(columns: Vec<Vec<(usize, f64)>>) -> Plans {
        let n = columns.len();
        Plans {
            columns,
            plans: Vec::new(),
            best: vec![[(f64::INFINITY, 0), (f64::NEG_INFINITY, 0)]; n],
        }
    }
    /// Adds a plan: every group's cards in it at once.
    fn add(&mut self, cols: Vec<f64>) {
        let k = self.plans.len();
        for (g, b) in self.best.iter_mut().enumerate() {
            let c: f64 = self.columns[g].iter().map(|&(j, n)| n * cols[j]).sum();
            if c < b[0].0 {
                b[0] = (c, k);
            }
            if c > b[1].0 {
                b[1] = (c, k);
            }
        }
        self.plans.push(cols);
    }
}

/// Records a proven bound on `sign × cards`: a lower bound of the fewest
/// cards (`sign` = 1) or an upper bound of the most (`sign` = −1).
fn tighten(bound: &mut [f64; 2], sign: f64, b: f64) {
    if !b.is_finite() {
        return;
    }
    if sign > 0.0 {
        bound[0] = bound[0].max(b);
    } else {
        bound[1] = bound[1].min(-b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named<'a>(o: &'a SolveOptions, name: &str) -> Vec<&'a str> {
        o.highs_options
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    #[test]
    fn range_solves_run_without_rens_unless_the_run_names_it() {
        let o = per_solve(&SolveOptions::default(), true);
        assert_eq!(named(&o, "mip_heuristic_run_rens"), ["false"]);
        // A run's own `--highs-option` comes after the range's, so HiGHS,
        // which applies them in order, runs with the run's value.
        let mut mine = SolveOptions::default();
        mine.highs_options
            .push(("mip_heuristic_run_rens".into(), "true".into()));
        for gap in [false, true] {
            let o = per_solve(&mine, gap);
            assert_eq!(named(&o, "mip_heuristic_run_rens"), ["false", "true"]);
        }
    }
}
