//! Infeasibility explained: the elastic model. For one family of constraints
//! at a time, every row of the family gets a penalised slack, and the smallest
//! total slack (in the planner's units) says how much that family would have
//! to give for a plan to exist.
//!
//! The elastic model has continuous server counts, so its amounts can fall
//! short by up to one server. Every alternative is therefore verified: the
//! changes are applied to the limits of the full integer model, which is
//! re-solved for feasibility; when it is still infeasible, each change grows
//! by one server's worth until it is feasible, then bisected back until one
//! unit less at the unit's resolution has no plan; a quota is then lowered to
//! what the plan found really uses of it. Only verified changes are reported.

use good_lp::{variable, Expression, IntoAffineExpression, Solution};
use rayon::prelude::*;

use crate::milp::{self, Bound, Family, Integrality, Model, Prepared, RowKey};
pub use crate::solve::base::options::Relaxation;
use crate::solve::base::options::{SolveError, SolveOptions};
use crate::solve::base::read::Values;
use crate::solve::base::run::run_highs;
use crate::solve::strategy;

/// Whether the family's amounts are whole units (its unit's kind says).
fn whole_units(family: Family) -> bool {
    family.unit_kind().whole()
}

/// The amount as text, at the resolution it was verified with (never rounded
/// below the verified amount: amounts are multiples of the resolution).
fn amount_text(x: f64, family: Family) -> String {
    if whole_units(family) {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// Resolution at which an amount is stated and searched.
fn resolution(family: Family) -> f64 {
    if whole_units(family) {
        1.0
    } else {
        0.01
    }
}

fn describe(p: &Prepared, key: RowKey, amount: f64) -> String {
    let family = key.family();
    let a = amount_text(amount, family);
    let what = key.words(p);
    match key {
        RowKey::RegionQuota { .. } => format!("raise {what} by {a} {}", family.unit()),
        RowKey::Target {
            bound: Bound::Max, ..
        }
        | RowKey::RegionBound {
            bound: Bound::Max, ..
        }
        | RowKey::TierBound {
            bound: Bound::Max, ..
        }
        | RowKey::ClusterBound {
            bound: Bound::Max, ..
        } => format!("raise {what} by {a} cards"),
        RowKey::Target { .. }
        | RowKey::RegionBound { .. }
        | RowKey::TierBound { .. }
        | RowKey::ClusterBound { .. } => {
            format!("lower {what} by {a} cards")
        }
        RowKey::DualTrack => {
            format!("accept {a} domestic cards fewer than the dual-track share asks")
        }
        RowKey::MegaCount => format!("build {a} fewer mega training clusters"),
        RowKey::Demand { city } => format!(
            "serve {a} fewer H200-eq cards of inference in {} (or give it a longer RTT budget)",
            p.inst.demand[city].id
        ),
        RowKey::SitePower { .. } | RowKey::PeriodReady { .. } => {
            format!("raise {what} by {a} MW")
        }
        RowKey::Delivery {
            bound: Bound::Max, ..
        } => format!("raise {what} by {a} cards"),
        RowKey::Delivery { .. } => format!("lower {what} by {a} cards"),
        RowKey::PeriodDualTrack { .. } => {
            format!("accept {a} domestic cards fewer than {what} asks")
        }
        _ => format!("relax {} by {a} {}", key.name(p), family.unit()),
    }
}

/// Adds a non-negative slack to every row of `families` that relaxes it, and
/// makes the objective the sum of slacks in planner units. Returns (row, slack).
fn make_elastic(model: &mut Model, families: &[Family]) -> Vec<(usize, good_lp::Variable)> {
    let mut out = Vec::new();
    let mut objective = Expression::default();
    for i in 0..model.rows.len() {
        let family = model.rows[i].family();
        if !families.contains(&family) {
            continue;
        }
        let s = model.problem_vars.add(variable().min(0));
        model.column.insert(s, model.integer.len());
        model.integer.push(false);
        model.n_columns += 1;
        // The slack moves the row's limit the way relax_sign says.
        let sign = -model.rows[i].relax_direction();
        model.rows[i].lhs.add_mul(sign, s);
        objective.add_mul(1.0 / family.row_units_per_unit(), s);
        out.push((i, s));
    }
    model.objective = objective;
    model.cny_per_objective_unit = 1.0;
    out
}

/// The step by which an unverified relaxation grows: one server's worth of
/// the row (its largest server coefficient), in planner units.
fn server_step(model: &Model, i: usize) -> f64 {
    let servers: std::collections::HashSet<good_lp::Variable> =
        model.vars.server_columns().collect();
    let r = &model.rows[i];
    let step = (&r.lhs)
        .linear_coefficients()
        .filter(|(v, _)| servers.contains(v))
        .map(|(_, c)| c.abs())
        .fold(0.0, f64::max)
        / r.family().row_units_per_unit();
    if step > 0.0 {
        step
    } else {
        resolution(r.family())
    }
}

/// Time for one check: next to the least amount, a plan of whole servers
/// takes HiGHS several seconds to find (4 s for the baseline with a tenth of
/// its power quotas, on an idle core), and a check that runs out counts as
/// no plan.
const CHECK_SECONDS: f64 = 12.0;

/// A plan of the integer model with the given changes (row key, amount in
/// planner units) to its limits, by the same phased solve as `dcsite solve`:
/// `Some(Some(plan))`, `Some(None)` when there is none, `None` when not
/// decided within the time allowed.
fn plan_with(
    p: &Prepared,
    changes: &[(RowKey, f64)],
    opts: &SolveOptions,
    seconds: f64,
) -> Option<Option<crate::plan::Plan>> {
    // Any plan will do: a loose gap, and a bounded time.
    let mut o = opts.clone();
    o.mip_gap = Some(0.05);
    o.log = false;
    // A plan near the boundary is found in seconds or not at all: proving
    // that whole servers cannot fit is what takes HiGHS long.
    let seconds = opts.relaxation_check_s.unwrap_or(seconds);
    o.time_limit_s = Some(opts.time_limit_s.unwrap_or(seconds).min(seconds));
    let r = strategy::for_relaxation(p, &o).solve(p, &o, changes);
    match r {
        Ok(solved) => Some(Some(solved.plan)),
        Err(SolveError::Infeasible { .. }) => Some(None),
        Err(_) => None,
    }
}

/// How far a plan goes past the scenario's own limit of a quota row, in
/// planner units (a region's facility MW, tce/year, m³/year): the change
/// that this plan of whole servers needs. `None` for other rows.
fn used_beyond(p: &Prepared, key: RowKey, plan: &crate::plan::Plan) -> Option<f64> {
    let totals = |r: usize| plan.region_totals().swap_remove(r);
    let region = |r: usize| &p.inst.regions[r];
    match key {
        RowKey::RegionQuota { quota, region: r } => {
            Some(totals(r).quota_use[quota] - region(r).quota(quota)?)
        }
        _ => None,
    }
}

/// Alternatives, each a list of relaxations within one family group that
/// together make the scenario feasible, each verified on the integer model.
pub fn relaxations(p: &Prepared, opts: &SolveOptions) -> Vec<Vec<Relaxation>> {
    // The families tried one group at a time, in this order.
    let found: Vec<Vec<(usize, RowKey, f64, f64)>> = Family::elastic_groups()
        .par_iter()
        .map(|group| {
            let mut model = milp::build(p, Integrality::ContinuousServers);
            let slacks = make_elastic(&mut model, group);
            if slacks.is_empty() {
                return vec![];
            }
            let keys: Vec<RowKey> = model.rows.iter().map(|r| r.key).collect();
            let steps: Vec<(usize, f64)> = slacks
                .iter()
                .map(|&(i, _)| (i, server_step(&model, i)))
                .collect();
            let mut o = opts.clone();
            o.log = false;
            o.time_limit_s = Some(opts.time_limit_s.unwrap_or(60.0).min(60.0));
            let Ok((raw, parts)) = run_highs(model, &o, &[]) else {
                return vec![];
            };
            let values = Values {
                cols: raw.cols.clone(),
                column: &parts.column,
            };
            slacks
                .iter()
                .zip(&steps)
                .filter_map(|(&(i, s), &(_, step))| {
                    let amount = values.value(s) / keys[i].family().row_units_per_unit();
                    (amount > 1e-6).then_some((i, keys[i], amount, step))
                })
                .collect()
        })
        .collect();
    let mut seen = Vec::new();
    let mut alternatives = Vec::new();
    for alt in found {
        if alt.is_empty() {
            continue;
        }
        // The combined group often repeats a single-family answer.
        let sig: Vec<(RowKey, i64)> = alt
            .iter()
            .map(|x| (x.1, (x.2 * 100.0).round() as i64))
            .collect();
        if seen.contains(&sig) {
            continue;
        }
        seen.push(sig);
        let rows: Vec<(RowKey, f64, f64)> = alt.iter().map(|x| (x.1, x.2, x.3)).collect();
        alternatives.push((alt, rows));
    }
    alternatives
        .par_iter()
        .filter_map(|(alt, rows)| {
            let amounts = verify(p, rows, opts)?;
            Some(
                alt.iter()
                    .zip(amounts)
                    .map(|(&(_, key, _, _), amount)| Relaxation {
                        key,
                        constraint: key.name(p),
                        family: key.family(),
                        amount,
                        unit: key.family().unit(),
                        text: describe(p, key, amount),
                    })
                    .collect(),
            )
        })
        .collect()
}

/// Verifies one alternative: (row, elastic amount, one server's step) per
/// change, each stated at its unit's resolution. Returns the smallest amounts
/// that make the integer model feasible (one unit less was checked and has
/// no plan within the check's time), or `None` when up to eight extra
/// servers' worth do not (or the checks ran out of time).
fn verify(p: &Prepared, alt: &[(RowKey, f64, f64)], opts: &SolveOptions) -> Option<Vec<f64>> {
    let round_up = |x: f64, res: f64| (x / res - 1e-9).ceil() * res;
    // An exact row (a target or a delivery of N cards) is moved by whole
    // servers, so that its new limit can still be met by whole servers.
    let res: Vec<f64> = alt
        .iter()
        .map(|&(key, _, step)| match key {
            RowKey::Target {
                bound: Bound::Exact,
                ..
            }
            | RowKey::Delivery {
                bound: Bound::Exact,
                ..
            } => step.max(resolution(key.family())),
            _ => resolution(key.family()),
        })
        .collect();
    let with = |k: f64| -> Vec<(RowKey, f64)> {
        alt.iter()
            .zip(&res)
            .map(|(&(key, a, step), &r)| (key, round_up(a + k * step, r)))
            .collect()
    };
    // The elastic amount (continuous servers) first, then one, two, four and
    // eight servers above it until a plan exists; then bisect back. An
    // undecided check counts as not verified.
    let mut lo = 0.0;
    let mut hi = None;
    let mut plan = None;
    for k in [0.0, 1.0, 2.0, 4.0, 8.0] {
        if let Some(Some(found)) = plan_with(p, &with(k), opts, CHECK_SECONDS) {
            hi = Some(k);
            plan = Some(found);
            break;
        }
        lo = k;
    }
    let mut hi = hi?;
    // Bisect until the two ends are neighbours at the stated resolution (a
    // card, 0.01 MW, 1 tce; a whole server on an exact row), so that one unit
    // less was checked and gave no plan. (An undecided check counts as no
    // plan, so an amount is never below a verified one.)
    for _ in 0..64 {
        let mid = 0.5 * (lo + hi);
        let a = with(mid);
        if a == with(hi) || a == with(lo) {
            break;
        }
        match plan_with(p, &a, opts, CHECK_SECONDS) {
            Some(Some(found)) => {
                hi = mid;
                plan = Some(found);
            }
            _ => lo = mid,
        }
    }
    let mut amounts: Vec<f64> = with(hi).into_iter().map(|(_, a)| a).collect();
    // A quota is then lowered to what the plan found at the verified amounts
    // really uses of it: whole servers rarely fill a limit to the 0.01 MW.
    if let Some(plan) = &plan {
        for ((&(key, _, _), &r), a) in alt.iter().zip(&res).zip(amounts.iter_mut()) {
            if let Some(used) = used_beyond(p, key, plan) {
                *a = a.min(round_up(used.max(0.0) - 1e-4 * r, r));
            }
        }
    }
    Some(amounts)
}

/// The relaxations as lines: one alternative per line, parts joined by "and".
pub fn relaxation_lines(alternatives: &[Vec<Relaxation>]) -> Vec<String> {
    alternatives
        .iter()
        .map(|alt| {
            alt.iter()
                .map(|r| r.text.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The resolution and the amount's text follow the family as they did
    /// its unit string: whole "card", "H200-eq card", "cluster", "tce/year"
    /// and "m³/year"; 0.01 for the rest.
    #[test]
    fn resolution_and_text_as_by_unit() {
        for f in Family::ALL {
            let whole = matches!(
                f.unit(),
                "card" | "H200-eq card" | "cluster" | "tce/year" | "m³/year"
            );
            assert_eq!(resolution(f), if whole { 1.0 } else { 0.01 }, "{f:?}");
            let x = 12.345;
            let text = if whole {
                format!("{x:.0}")
            } else {
                format!("{x:.2}")
            };
            assert_eq!(amount_text(x, f), text, "{f:?}");
        }
    }
}
