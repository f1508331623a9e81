//! Near-optimal ranges ("modelling to generate alternatives", the technique
//! energy-system modellers know from PyPSA's MGA): after the optimum, the
//! fewest and the most cards each region, tier and site can hold in any plan
//! whose net present cost is within a share of the optimum.
//!
//! Each bound is one solve of the model with continuous server counts and
//! binary site decisions, plus the row cost ≤ (1 + share) × optimum, with the
//! group's cards as the objective (minimised, then maximised). The model is
//! built once and cloned; the solves run in parallel. Server counts are
//! continuous in these solves (as in phase 1 of `solve`), so a bound can
//! exceed what whole servers allow by under one server per site; a solve
//! stopped by its time limit returns the best plan it found, so a range is
//! never wider than the plans actually found (an inner bound).

use good_lp::Expression;
use rayon::prelude::*;

use super::{run_highs_from, Plan, SolveError, SolveOptions, Values};
use crate::domain::Tier;
use crate::milp::{self, Integrality, Model, Prepared, RowKey, Sense, CNY_PER_OBJECTIVE_UNIT};
use crate::plan::{CardRange, NearOptimal};

/// Time limit of each range solve, seconds.
pub const PER_SOLVE_SECONDS: f64 = 3.0;

/// Which sites make up a group.
#[derive(Clone, Copy)]
enum Group {
    Region(usize),
    Tier(Tier),
    Site(usize),
}

fn in_group(p: &Prepared, g: Group, site: usize) -> bool {
    match g {
        Group::Region(r) => p.region_of_site[site] == r,
        Group::Tier(t) => p.inst.regions[p.region_of_site[site]].tier == t,
        Group::Site(s) => s == site,
    }
}

/// Cards of the group's servers, as an expression of `model`'s variables.
fn cards_of(p: &Prepared, model: &Model, g: Group) -> Expression {
    let mut e = Expression::default();
    for (o, opt) in p.options.iter().enumerate() {
        if !in_group(p, g, opt.site) {
            continue;
        }
        for (i, &a) in opt.accels.iter().enumerate() {
            e.add_mul(
                p.inst.accelerators[a].cards_per_server as f64,
                model.vars.servers[o][i],
            );
        }
    }
    e
}

/// The fewest (`sign` = 1) or most (`sign` = −1) cards of a group within the
/// cost bound; `start` is the plan (columns of the base model) to warm-start from.
fn extreme(
    p: &Prepared,
    base: &Model,
    g: Group,
    sign: f64,
    opts: &SolveOptions,
    start: &[f64],
) -> Result<(f64, bool), SolveError> {
    let mut m = base.clone();
    let cards = cards_of(p, &m, g);
    let mut objective = Expression::default();
    objective.add_mul(sign, cards.clone());
    m.objective = objective;
    m.cny_per_objective_unit = 1.0;
    let values_of =
        |raw_cols: &[f64], column: &std::collections::HashMap<good_lp::Variable, usize>| {
            let v = Values {
                cols: raw_cols.to_vec(),
                column,
            };
            cards.eval_with(&v)
        };
    let (raw, parts) = run_highs_from(m, opts, &[], Some(start))?;
    let limited = raw.status != super::Status::Optimal;
    Ok((values_of(&raw.cols, &parts.column), limited))
}

/// Near-optimal ranges of `plan` for every region, tier and buildable site.
pub fn near_optimal(
    p: &Prepared,
    plan: &Plan,
    share: f64,
    opts: &SolveOptions,
) -> Result<NearOptimal, SolveError> {
    let cost_bound_cny = plan.objective_cny + share * plan.objective_cny.abs();
    let mut base = milp::build(p, Integrality::ContinuousServers);
    // The cost row: the model's own objective (millions of CNY) within the bound.
    base.rows.push(milp::Row {
        key: RowKey::CostBound,
        lhs: base.objective.clone(),
        sense: Sense::Le,
        rhs: cost_bound_cny / CNY_PER_OBJECTIVE_UNIT,
    });
    // The plan as a starting point, in the base model's columns.
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
    let mut groups: Vec<Group> = (0..p.inst.regions.len()).map(Group::Region).collect();
    groups.extend(Tier::ALL.iter().map(|&t| Group::Tier(t)));
    let buildable: Vec<usize> = (0..p.inst.sites.len())
        .filter(|&s| p.site_reason[s].is_none())
        .collect();
    groups.extend(buildable.iter().map(|&s| Group::Site(s)));
    // A group with no option at all holds 0 cards in every plan.
    let mut o = opts.clone();
    o.log = false;
    // A range needs its ends to about 1 % of the cards, not a proof to 1e-4;
    // each solve is bounded so that the ranges cost a few plain solves.
    o.mip_gap = Some(0.01);
    o.time_limit_s = Some(PER_SOLVE_SECONDS);
    let tasks: Vec<(usize, f64)> = (0..groups.len())
        .flat_map(|g| [(g, 1.0), (g, -1.0)])
        .collect();
    let results: Vec<Result<(f64, bool), SolveError>> = tasks
        .par_iter()
        .map(|&(g, sign)| {
            let has_option = p.options.iter().any(|opt| in_group(p, groups[g], opt.site));
            if !has_option {
                return Ok((0.0, false));
            }
            extreme(p, &base, groups[g], sign, &o, &start)
        })
        .collect();
    let mut limited = 0;
    let mut ranges = Vec::with_capacity(groups.len());
    let mut it = results.into_iter();
    while let (Some(lo), Some(hi)) = (it.next(), it.next()) {
        let ((lo, l1), (hi, l2)) = (lo?, hi?);
        limited += l1 as usize + l2 as usize;
        // Servers are continuous here: round to whole cards, never below 0.
        ranges.push(CardRange {
            min_cards: lo.max(0.0).round(),
            max_cards: hi.max(0.0).round(),
        });
    }
    let nr = p.inst.regions.len();
    let mut sites = vec![None; p.inst.sites.len()];
    for (k, &s) in buildable.iter().enumerate() {
        sites[s] = Some(ranges[nr + Tier::ALL.len() + k]);
    }
    Ok(NearOptimal {
        share,
        cost_bound_cny,
        regions: ranges[..nr].to_vec(),
        tiers: Tier::ALL
            .iter()
            .enumerate()
            .map(|(i, &t)| (t, ranges[nr + i]))
            .collect(),
        sites,
        limited,
        per_solve_seconds: PER_SOLVE_SECONDS,
    })
}
