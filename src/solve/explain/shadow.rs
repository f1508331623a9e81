//! Shadow prices: the marginal value of one more unit of a quota, cap, target
//! or demand, from the LP in which the binary decisions of a plan are fixed
//! and server counts are continuous.
//!
//! The pricing LP ([`Integrality::Pricing`]) has no variable bounds that
//! mirror a row (servers ≤ site capacity, subsidy ≤ cap): with both present,
//! HiGHS may put the marginal value on the bound and report 0 for the row.
//! An LP dual is a one-sided derivative only where the LP is not degenerate,
//! so every lever row that binds or has a non-zero dual is re-solved with its
//! limit one step lower and one step higher; where those one-sided values do
//! not agree with the dual within 1 %, the price is reported as degenerate
//! with both sides.
//!
//! The pricing LP is built and solved once per plan (`pricing.rs`, shared
//! with the unbuilt sites), and the one-sided re-solves run from its basis
//! on the LP reduced by the plan's decisions (`reduced.rs`): the same costs,
//! without the closed sites' rows and columns.

use rayon::prelude::*;

pub use super::pricing::fixed_sites_lp;
use super::pricing::{pricing_lp, PlanLp, PricingLp};
use crate::milp::{self, Family, Prepared, RowKey};
use crate::plan::Plan;
use crate::plan::{OneSided, ShadowPrice};
use crate::solve::base::options::{SolveError, SolveOptions};

/// Most rows whose dual is checked by one-sided re-solves (two LPs each).
pub const MAX_CHECKED: usize = 40;

/// Rows that get a shadow price (the family's traits say).
fn priced(f: Family) -> bool {
    f.traits().priced
}

/// Shadow prices of a plan's quotas, caps, targets and demands.
pub fn shadow_prices(
    p: &Prepared,
    plan: &Plan,
    opts: &SolveOptions,
) -> Result<Vec<ShadowPrice>, SolveError> {
    let lp = PlanLp::new(p, plan, opts)?;
    Ok(shadow_prices_of(p, plan, opts, &lp))
}

/// [`shadow_prices`] from the plan's pricing LP, built and solved once
/// ([`PlanLp`]): the prices are its duals, and the checks re-solve it,
/// reduced by the plan's decisions, from its basis for every step; each
/// step's LP is built again and solved from scratch only if that fails.
pub(crate) fn shadow_prices_of(
    p: &Prepared,
    plan: &Plan,
    opts: &SolveOptions,
    lp: &PlanLp,
) -> Vec<ShadowPrice> {
    let (mut out, mut checks) = dual_prices(p, plan, &lp.base);
    order_checks(&out, &mut checks);
    let sides = match one_sided_warm(lp, opts, &checks) {
        Some(x) => x,
        None => one_sided_cold(p, plan, opts, &lp.base, &checks),
    };
    mark_checked(&mut out, sides);
    out
}

/// The dual price of every priced row of a built site, in the order of the
/// model's rows, and the rows to check by one-sided re-solves: (index in
/// the prices, row, step) for every lever row that binds or has a non-zero
/// dual.
fn dual_prices(
    p: &Prepared,
    plan: &Plan,
    base: &PricingLp,
) -> (Vec<ShadowPrice>, Vec<(usize, usize, f64)>) {
    let scale = milp::CNY_PER_OBJECTIVE_UNIT;
    let built = |key: RowKey| match key {
        // A closed hall's capacity row only says that it holds nothing.
        RowKey::SitePower { option } | RowKey::PeriodReady { option, .. } => {
            let o = &p.options[option];
            plan.sites[o.site].cooling == Some(o.cooling)
        }
        _ => true,
    };
    let mut out = Vec::new();
    let mut checks = Vec::new();
    for (i, &(key, _, rhs)) in base.model_rows.iter().enumerate() {
        let family = key.family();
        if !priced(family) || !built(key) {
            continue;
        }
        let per_unit = family.row_units_per_unit();
        let dual = base.row_duals.get(i).copied().unwrap_or(0.0);
        let v = dual * scale * per_unit;
        let v = if v.abs() < 1e-6 { 0.0 } else { v };
        let tol = 1e-6 * (1.0 + rhs.abs());
        if family.is_lever() && (v != 0.0 || base.slack[i] <= tol) {
            // Step: one planner unit, or 1e-4 of the limit when that is larger.
            let step = (1e-4 * (rhs / per_unit).abs()).max(1.0);
            checks.push((out.len(), i, step));
        }
        out.push(ShadowPrice {
            key,
            constraint: key.name(p),
            words: key.words(p),
            family,
            region: key.region(p),
            cny_per_unit: v,
            unit: family.unit(),
            checked: false,
            one_sided: None,
        });
    }
    (out, checks)
}

/// The checks worth their re-solves, at most [`MAX_CHECKED`]: quotas, caps,
/// targets and shares before site limits; larger values first.
fn order_checks(out: &[ShadowPrice], checks: &mut Vec<(usize, usize, f64)>) {
    checks.sort_by(|a, b| {
        let rank = |k: usize| out[k].family.traits().site_limit as u8;
        rank(a.0)
            .cmp(&rank(b.0))
            .then(
                out[b.0]
                    .cny_per_unit
                    .abs()
                    .total_cmp(&out[a.0].cny_per_unit.abs()),
            )
            .then(a.0.cmp(&b.0))
    });
    checks.truncate(MAX_CHECKED);
}

/// The one-sided values of `checks` (index in the output, row, step), each
/// from the pricing LP built again with the row's limit a step lower and a
/// step higher and solved from scratch (in parallel); a side whose LP fails
/// is `None`.
fn one_sided_cold(
    p: &Prepared,
    plan: &Plan,
    opts: &SolveOptions,
    base: &PricingLp,
    checks: &[(usize, usize, f64)],
) -> Vec<(usize, OneSided)> {
    checks
        .par_iter()
        .map(|&(k, i, step)| {
            let per_unit = base.model_rows[i].0.family().row_units_per_unit();
            let at = |d: f64| {
                pricing_lp(p, plan, opts, Some((i, d * step * per_unit)), &[])
                    .ok()
                    .map(|x| x.cost_cny)
            };
            let down = at(-1.0).map(|c| (base.cost_cny - c) / step);
            let up = at(1.0).map(|c| (c - base.cost_cny) / step);
            (k, OneSided { step, down, up })
        })
        .collect()
}

/// Marks the checked prices, and keeps the one-sided values of those whose
/// sides do not agree with the dual (a degenerate price).
fn mark_checked(out: &mut [ShadowPrice], sides: Vec<(usize, OneSided)>) {
    for (k, s) in sides {
        out[k].checked = true;
        let v = out[k].cny_per_unit;
        // Agreement within 1 %, or within the LP's own accuracy (about 1000 CNY
        // of net present cost over the step) for values near zero.
        let agrees = |x: Option<f64>| {
            x.is_some_and(|x| (x - v).abs() <= 0.01 * v.abs().max(x.abs()) + 1e3 / s.step)
        };
        if !(agrees(s.down) && agrees(s.up)) {
            out[k].one_sided = Some(s);
        }
    }
}

/// The one-sided values of `checks` (index in the output, row, step) from
/// the plan's pricing LP reduced by its fixed decisions ([`PlanLp::reduced`]):
/// the row's limit moved a step down, then up, the LP re-solved from the
/// basis it has (a few dual simplex iterations instead of a solve from
/// scratch), and the limit put back. `None` if the LP cannot be reduced or
/// HiGHS fails on any of them (the caller solves each from scratch).
fn one_sided_warm(
    lp: &PlanLp,
    opts: &SolveOptions,
    checks: &[(usize, usize, f64)],
) -> Option<Vec<(usize, OneSided)>> {
    if checks.is_empty() {
        return Some(Vec::new());
    }
    let rows: Vec<usize> = checks.iter().map(|&(_, i, _)| i).collect();
    let mut reduced = lp.reduced(&rows, opts)?;
    if opts.log {
        eprintln!(
            "explain: shadow-price checks on the pricing LP reduced to {} columns × {} rows ({} rows whole)",
            reduced.size.0,
            reduced.size.1,
            lp.base.model_rows.len()
        );
    }
    let cost = reduced.cost_cny;
    let mut out = Vec::with_capacity(checks.len());
    for &(k, i, step) in checks {
        let per_unit = lp.base.model_rows[i].0.family().row_units_per_unit();
        let d = step * per_unit;
        let sides = reduced.costs_with_row_moved(i, &[-d, d])?;
        let down = sides[0].map(|c| (cost - c) / step);
        let up = sides[1].map(|c| (c - cost) / step);
        out.push((k, OneSided { step, down, up }));
    }
    Some(out)
}
