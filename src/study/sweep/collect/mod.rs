//! Merging the part files of a sweep and what follows from them: the merged
//! tables (scenarios, regions, sites), the robust statistics (robust.csv,
//! robust.geojson + robust.qml) and the regret of the most frequent plans
//! (regret.csv, regret_costs.parquet).
//!
//! The merge streams: the part files are read a few at a time and merged by
//! windows of scenario ids into the tables, written a row group at a time;
//! the statistics are gathered as the rows go by. No solved plan is held,
//! nor every row of a table: per scenario only whether it has a plan (and,
//! for the regret, its sites cost and the cost of each evaluated plan).
//!
//! From the bottom up: `parts` lists and reads the part files and checks
//! the scenario parts (every id once); `merge` merges a table's parts into
//! one file; `statistics` gathers the robust statistics as its rows go by;
//! `regret` prices the most frequent plans in every scenario; [`collect`]
//! runs them in that order. `verify` comes before all of them, for
//! `dcsite sweep collect DIR`: it checks the shards' manifests and stages
//! their parts, which [`collect`] then reads as one process's.

mod merge;
mod parts;
mod regret;
mod statistics;
pub mod verify;

use std::path::Path;

use serde_json::json;

use crate::export::write_file_atomic;
use crate::solve::SolveOptions;
use crate::study::sweep::error::SweepError;
use crate::study::sweep::run::parquet_bytes;
use crate::study::sweep::spec::{Dist, Sweep};
use merge::merge_parts;
use parts::{parts_of, read_part, scenario_facts, ScenarioFacts};
use regret::regret;
use statistics::{RegionStats, SiteStats};

pub use regret::PlanRegret;
pub use statistics::{RobustRow, Threshold};

/// What to compute when collecting.
pub struct CollectOptions<'a> {
    pub thresholds: &'a [Threshold],
    /// How many of the most frequent plans regret.csv evaluates.
    pub regret_plans: usize,
    pub jobs: usize,
    pub solve: &'a SolveOptions,
}

/// What a collect found, for the terminal and sweep.json.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub scenarios: usize,
    /// Scenarios per status, in a fixed order.
    pub statuses: Vec<(String, usize)>,
    pub plans_found: usize,
    pub regret: Vec<PlanRegret>,
    /// Rank of the min-max-regret plan among those feasible in every scenario.
    pub min_max_regret: Option<usize>,
    /// Per region and tier: (level, id, mean, p10, p50, p90) cards.
    pub robust: Vec<RobustRow>,
}

fn put(out: &Path, name: &str, bytes: &[u8]) -> Result<(), SweepError> {
    Ok(write_file_atomic(&out.join(name), bytes, true)?)
}

/// Merges the parts in `parts_dir` into the folder `out` (scenarios,
/// regions and sites .parquet, robust.*, regret.*), each file written
/// atomically; `progress(done, total)` follows the regret evaluation.
///
/// The merge streams: the scenario parts' id and status columns are read
/// first (every id once, or nothing is written), then each table is merged
/// a window of ids at a time (`merge`) while its statistics are gathered as
/// counts per value (`statistics`); only per-scenario flags (has a plan)
/// and, when the regret is evaluated, each scenario's sites cost are held
/// for the whole sweep.
pub fn collect(
    sweep: &Sweep,
    parts_dir: &Path,
    opts: &CollectOptions,
    out: &Path,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Summary, SweepError> {
    let expected = sweep.len();
    let facts = scenario_facts(parts_dir, expected, opts.regret_plans > 0)?;

    // scenarios.parquet: every id exactly once (checked above).
    merge_parts(
        &facts.parts,
        "id",
        facts.window,
        &out.join("scenarios.parquet"),
        &mut |_| Ok(()),
    )?;
    let robust = regions(parts_dir, &facts, opts, expected, out)?;
    let ss = sites(sweep, parts_dir, &facts, out)?;

    // The most frequent plans among the scenarios with a plan.
    let (plans_found, plans) = ss.most_frequent(opts.regret_plans);
    // Without plans to evaluate, no scenario is needed.
    let with_plan: Vec<usize> = if plans.is_empty() {
        Vec::new()
    } else {
        (0..expected).filter(|&i| facts.has_plan[i]).collect()
    };
    let r = regret(
        sweep,
        &with_plan,
        &facts.sites_cost,
        &plans,
        opts.jobs,
        opts.solve,
        progress,
    )?;
    put(
        out,
        "regret.csv",
        crate::export::csv::csv_text(r.table)?.as_bytes(),
    )?;
    put(out, "regret_costs.parquet", &parquet_bytes(r.costs)?)?;
    Ok(Summary {
        scenarios: expected,
        statuses: facts.statuses,
        plans_found,
        regret: r.plans,
        min_max_regret: r.min_max,
        robust,
    })
}

/// regions.parquet and robust.csv; the rows of the terminal summary.
fn regions(
    parts_dir: &Path,
    facts: &ScenarioFacts,
    opts: &CollectOptions,
    expected: usize,
    out: &Path,
) -> Result<Vec<RobustRow>, SweepError> {
    let parts = parts_of(parts_dir, "regions", "scenario", &facts.batch_min)?;
    let schema = read_part(&parts[0].path, None)?.clear();
    let mut rs = RegionStats::new(&schema);
    merge_parts(
        &parts,
        "scenario",
        facts.window,
        &out.join("regions.parquet"),
        &mut |df| Ok(rs.add(df)?),
    )?;
    let (table, robust) = rs.robust_table(expected, opts.thresholds)?;
    drop(rs);
    let robust_csv = crate::export::csv::csv_text(table)?;
    put(out, "robust.csv", robust_csv.as_bytes())?;
    Ok(robust)
}

/// sites.parquet, robust.geojson and robust.qml; each scenario's plan.
fn sites(
    sweep: &Sweep,
    parts_dir: &Path,
    facts: &ScenarioFacts,
    out: &Path,
) -> Result<SiteStats, SweepError> {
    let parts = parts_of(parts_dir, "sites", "scenario", &facts.batch_min)?;
    let mut ss = SiteStats::new();
    merge_parts(
        &parts,
        "scenario",
        facts.window,
        &out.join("sites.parquet"),
        &mut |df| Ok(ss.add(df, &facts.has_plan)?),
    )?;
    ss.finish(&facts.has_plan);
    put(out, "robust.geojson", ss.robust_geojson(sweep).as_bytes())?;
    put(
        out,
        "robust.qml",
        crate::export::qml::probability_qml("p_built", "cards_mean").as_bytes(),
    )?;
    Ok(ss)
}

/// A distribution in words, for sweep.json.
fn describe(d: &Dist) -> serde_json::Value {
    match d {
        Dist::Grid(v) => json!({"grid": v.iter().map(|x| x.to_string()).collect::<Vec<_>>()}),
        Dist::Uniform { min, max } => json!({"dist": "uniform", "min": min, "max": max}),
        Dist::Triangular { min, mode, max } => {
            json!({"dist": "triangular", "min": min, "mode": mode, "max": max})
        }
        Dist::Normal { mean, sd, lo, hi } => json!({
            "dist": "normal", "mean": mean, "sd": sd,
            "truncated_to": [
                if lo.is_finite() { json!(lo) } else { serde_json::Value::Null },
                if hi.is_finite() { json!(hi) } else { serde_json::Value::Null },
            ],
        }),
    }
}

/// sweep.json: what was swept, how, and what came of it.
pub fn sweep_json(sweep: &Sweep, s: &Summary, opts: &CollectOptions) -> String {
    let v = json!({
        "dcsite_version": env!("CARGO_PKG_VERSION"),
        "sweep_file": sweep.path.display().to_string(),
        "base": sweep.base.path.display().to_string(),
        "seed": sweep.seed,
        "samples": sweep.samples,
        "sampling": sweep.sampling.as_str(),
        "grid_points": sweep.grid_points,
        "scenarios": s.scenarios,
        "statuses": s.statuses.iter().map(|(k, n)| (k.clone(), json!(n))).collect::<serde_json::Map<_, _>>(),
        "varied": sweep.dims.iter().map(|d| json!({
            "key": d.key, "vary_key": d.vary_key, "distribution": describe(&d.dist),
        })).collect::<Vec<_>>(),
        "thresholds": opts.thresholds.iter().map(|t| json!({"id": t.id, "cards": t.cards})).collect::<Vec<_>>(),
        "regret": {
            "plans_found": s.plans_found,
            "plans_evaluated": s.regret.len(),
            "cap": opts.regret_plans,
            "basis": "net present cost with each plan's sites and coolings fixed and server counts continuous (the pricing LP); regret against the cheapest of the scenario's own sites and every evaluated plan",
            "min_max_regret_plan": s.min_max_regret.and_then(|r| s.regret.get(r - 1)).map(|r| json!({
                "rank": r.rank, "plan": r.plan, "max_regret_cny": r.max_regret_cny,
                "expected_cost_cny": r.expected_cost_cny,
            })),
        },
    });
    let mut text = serde_json::to_string_pretty(&v).expect("JSON serialises");
    text.push('\n');
    text
}
