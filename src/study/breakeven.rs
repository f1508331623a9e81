//! Break-even: the smallest level of a subsidy lever at which a region hosts
//! at least a given number of cards.
//!
//! The search evaluates a coarse grid of levels (in parallel where cores
//! allow), then bisects between the last level that falls short and the first
//! that is enough, until the bracket is narrower than the tolerance. It relies
//! on the region's cards not falling when its own subsidy rises, which the
//! tests check on the default data.

use rayon::prelude::*;

use crate::domain::{AppliesTo, Subsidy, SubsidyKind};
use crate::milp::Prepared;
use crate::solve::{solve, Plan, SolveError, SolveOptions};

/// What to search for.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub region: String,
    pub cards: f64,
    pub lever: SubsidyKind,
    pub applies_to: AppliesTo,
    /// Highest level tried; the lever's natural maximum when `None`.
    pub max_level: Option<f64>,
    /// Width of the final bracket; a lever-specific default when `None`.
    pub tolerance: Option<f64>,
}

/// One evaluated level.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub level: f64,
    pub cards_in_region: u64,
    pub objective_cny: f64,
    /// Net present value of what the lever pays.
    pub subsidy_npv_cny: f64,
    pub status: &'static str,
}

/// The outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The smallest level found (within the tolerance), if any level is enough.
    pub level: Option<f64>,
    pub tolerance: f64,
    pub max_level: f64,
    /// Every level evaluated, sorted.
    pub curve: Vec<Point>,
    /// When no level is enough: what binds in the region at the highest level.
    pub binding_instead: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BreakevenError {
    #[error("unknown region {0}")]
    UnknownRegion(String),
    #[error("at level {level}: {source}")]
    Solve {
        level: f64,
        #[source]
        source: SolveError,
    },
}

const PROGRAMME: &str = "breakeven";

/// Relative MIP gap used for break-even solves unless the caller sets one:
/// tighter than HiGHS's default so that neighbouring levels compare optima.
pub const MIP_GAP: f64 = 1e-5;

/// The lever's name on the command line, in the CSV and in messages
/// (kebab-case; the `kind` spelling of subsidies.csv, `per_card_cny`, is
/// accepted by the command line as an alias).
pub fn lever_name(lever: SubsidyKind) -> &'static str {
    match lever {
        SubsidyKind::ElectricityCnyPerKwh => "electricity-cny-per-kwh",
        SubsidyKind::ElectricityShare => "electricity-share",
        SubsidyKind::CapexShare => "capex-share",
        SubsidyKind::PerCardCny => "per-card-cny",
    }
}

/// Decimals a tolerance justifies: 3 for 0.001 and 0.005, 0 for 1000.
pub fn decimals(tolerance: f64) -> usize {
    if tolerance > 0.0 && tolerance.is_finite() {
        (-tolerance.log10()).ceil().clamp(0.0, 12.0) as usize
    } else {
        6
    }
}

/// `level` rounded to the nearest multiple of 10^-decimals.
pub fn snap(level: f64, decimals: usize) -> f64 {
    let k = 10f64.powi(decimals as i32);
    (level * k).round() / k
}

/// `level` rounded down to a multiple of 10^-decimals (a level that is
/// already one, up to float noise, stays).
pub fn floor_to(level: f64, decimals: usize) -> f64 {
    let k = 10f64.powi(decimals as i32);
    ((level * k) + 1e-6).floor() / k
}

/// A level written with the decimals its tolerance justifies.
pub fn level_text(level: f64, tolerance: f64) -> String {
    let d = decimals(tolerance);
    format!("{:.d$}", snap(level, d))
}

/// The highest level a lever may be searched up to, and the finest tolerance
/// that means anything for it (CNY/kWh to 1e-6, shares to 1e-6, CNY per card
/// to 1): the same ceilings as the `value` column of subsidies.csv.
pub fn lever_limits(lever: SubsidyKind) -> (f64, f64) {
    match lever {
        SubsidyKind::ElectricityCnyPerKwh => (10.0, 1e-6),
        SubsidyKind::ElectricityShare | SubsidyKind::CapexShare => (1.0, 1e-6),
        SubsidyKind::PerCardCny => (1e7, 1.0),
    }
}

/// The natural range and default tolerance of a lever in a region.
pub fn lever_range(p: &Prepared, region: &str, lever: SubsidyKind) -> (f64, f64) {
    match lever {
        SubsidyKind::ElectricityCnyPerKwh => {
            let max = p
                .inst
                .sites
                .iter()
                .enumerate()
                .filter(|(_, s)| s.region_id == region)
                .map(|(i, _)| p.price_of_site[i])
                .fold(0.0, f64::max);
            (max, 0.001)
        }
        SubsidyKind::ElectricityShare | SubsidyKind::CapexShare => (1.0, 0.005),
        SubsidyKind::PerCardCny => {
            let max = p
                .inst
                .accelerators
                .iter()
                .map(|a| a.price_cny_per_card * (1.0 + a.levy_share))
                .fold(0.0, f64::max);
            (max, 1000.0)
        }
    }
}

/// Solves the scenario with the lever at `level` in the spec's region.
pub fn evaluate(
    base: &Prepared,
    spec: &Spec,
    level: f64,
    opts: &SolveOptions,
) -> Result<(Point, Plan, Prepared), BreakevenError> {
    let mut inst = (*base.inst).clone();
    inst.subsidies.push(Subsidy {
        programme_id: PROGRAMME.into(),
        region_id: Some(spec.region.clone()),
        site_id: None,
        kind: spec.lever,
        value: level,
        cap_cny: None,
        applies_to: spec.applies_to,
    });
    let p =
        Prepared::new_within(inst, opts.deadline.as_ref()).map_err(|t| BreakevenError::Solve {
            level,
            source: SolveError::TimeUp(t),
        })?;
    let plan = solve(&p, opts).map_err(|source| BreakevenError::Solve { level, source })?;
    let cards = plan
        .sites
        .iter()
        .filter(|s| p.inst.sites[s.site].region_id == spec.region)
        .map(|s| s.cards.iter().sum::<u64>())
        .sum();
    let paid = plan
        .subsidies
        .iter()
        .find(|s| s.programme_id == PROGRAMME)
        .map(|s| s.npv_cny)
        .unwrap_or(0.0);
    Ok((
        Point {
            level,
            cards_in_region: cards,
            objective_cny: plan.objective_cny,
            subsidy_npv_cny: paid,
            status: plan.status.as_str(),
        },
        plan,
        p,
    ))
}

/// Searches the smallest sufficient level. `step` is called after each evaluation.
pub fn search(
    base: &Prepared,
    spec: &Spec,
    opts: &SolveOptions,
    step: &(dyn Fn(&Point) + Sync),
) -> Result<Outcome, BreakevenError> {
    if base.inst.region(&spec.region).is_none() {
        return Err(BreakevenError::UnknownRegion(spec.region.clone()));
    }
    let (natural_max, natural_tol) = lever_range(base, &spec.region, spec.lever);
    let tol = spec.tolerance.unwrap_or(natural_tol);
    // Every level tried is a multiple of 10^-d, the precision the tolerance
    // justifies, so that levels print without float noise; the maximum is
    // rounded down onto that grid (by less than the tolerance).
    let d = decimals(tol);
    let max_level = floor_to(spec.max_level.unwrap_or(natural_max), d);
    let need = spec.cards.ceil() as u64;
    let mut evaluated = coarse_grid(base, spec, opts, step, max_level, d)?;
    let enough = |pt: &Point| pt.cards_in_region >= need;
    let mut curve: Vec<Point> = evaluated.iter().map(|x| x.0.clone()).collect();
    if enough(&curve[0]) {
        return Ok(Outcome {
            level: Some(0.0),
            tolerance: tol,
            max_level,
            curve,
            binding_instead: vec![],
        });
    }
    let last = curve.last().expect("grid is not empty");
    if !enough(last) {
        let (_, plan, p) = evaluated.pop().expect("grid is not empty");
        return Ok(Outcome {
            level: None,
            tolerance: tol,
            max_level,
            curve,
            binding_instead: what_binds(&p, &plan, &spec.region),
        });
    }
    let first_ok = curve
        .iter()
        .position(enough)
        .expect("the last level is enough");
    let mut lo = curve[first_ok - 1].level;
    let mut hi = curve[first_ok].level;
    while hi - lo > tol {
        let mid = snap(lo + 0.5 * (hi - lo), d);
        // Adjacent floats (or levels on the tolerance's grid): the bracket
        // cannot narrow any further.
        if mid <= lo || mid >= hi {
            break;
        }
        let (pt, _, _) = evaluate(base, spec, mid, opts)?;
        step(&pt);
        if enough(&pt) {
            hi = mid;
        } else {
            lo = mid;
        }
        curve.push(pt);
    }
    curve.sort_by(|a, b| a.level.total_cmp(&b.level));
    Ok(Outcome {
        level: Some(hi),
        tolerance: tol,
        max_level,
        curve,
        binding_instead: vec![],
    })
}

/// The levels 0, ¼, ½, ¾, 1 of `max_level` (on the grid of 10^-d),
/// evaluated in parallel; `step` is called after each evaluation.
fn coarse_grid(
    base: &Prepared,
    spec: &Spec,
    opts: &SolveOptions,
    step: &(dyn Fn(&Point) + Sync),
    max_level: f64,
    d: usize,
) -> Result<Vec<(Point, Plan, Prepared)>, BreakevenError> {
    let grid: Vec<f64> = (0..=4)
        .map(|k| snap(max_level * k as f64 / 4.0, d).min(max_level))
        .collect();
    grid.par_iter()
        .map(|&l| {
            let r = evaluate(base, spec, l, opts);
            if let Ok((pt, _, _)) = &r {
                step(pt);
            }
            r
        })
        .collect()
}

/// What keeps cards out of a region: its binding rows, the options that
/// cannot exist there, and cities it cannot reach.
fn what_binds(p: &Prepared, plan: &Plan, region: &str) -> Vec<String> {
    let r = p.inst.regions.iter().position(|x| x.id == region);
    let mut out: Vec<String> = plan
        .binding
        .iter()
        .filter(|b| r.is_some() && b.region == r)
        .map(|b| format!("binding: {} ({})", b.words, b.name))
        .collect();
    for (i, s) in p.inst.sites.iter().enumerate() {
        if s.region_id != region {
            continue;
        }
        if let Some(r) = &p.site_reason[i] {
            out.push(format!("site {} cannot be built: {r}", s.id));
        } else {
            for (_, r) in &p.option_reasons[i] {
                out.push(format!("site {}: {r}", s.id));
            }
        }
    }
    if out.is_empty() {
        out.push("nothing in the region binds: other regions stay cheaper even with the full lever (latency and demand elsewhere)".into());
    }
    out
}

/// The explored curve as CSV: the lever (kebab-case, as on the command
/// line), its level (with the decimals the tolerance justifies), cards in
/// the region, total cost, subsidy paid.
pub fn curve_csv(outcome: &Outcome, lever: SubsidyKind) -> String {
    let mut s = String::from("lever,level,cards_in_region,objective_cny,subsidy_npv_cny,status\n");
    for pt in &outcome.curve {
        s.push_str(&format!(
            "{},{},{},{},{},{}\n",
            lever_name(lever),
            level_text(pt.level, outcome.tolerance),
            pt.cards_in_region,
            pt.objective_cny.round() as i64,
            pt.subsidy_npv_cny.round() as i64,
            pt.status
        ));
    }
    s
}
