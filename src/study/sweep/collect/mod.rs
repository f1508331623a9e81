//! Merging the part files of a sweep and what follows from them: the merged
//! tables (scenarios, regions, sites; as CSV too when a spreadsheet holds
//! them), the robust statistics (robust.csv, robust.geojson + robust.qml)
//! and the regret of the most frequent plans (regret.csv,
//! regret_costs.parquet), every statistic per arm (grid point, `arms`) and
//! over every scenario pooled only when asked.
//!
//! The merge streams: the part files are read a few at a time and merged by
//! windows of scenario ids into the tables, written a row group at a time;
//! the statistics are gathered as the rows go by. No solved plan is held,
//! nor every row of a table: per scenario only whether it has a plan (and,
//! for the regret, its sites cost and the cost of each evaluated plan).
//!
//! From the bottom up: `arms` says which scenarios each arm holds and its
//! grid values; `parts` lists and reads the part files and checks
//! the scenario parts (every id once); `merge` merges a table's parts into
//! one file; `statistics` gathers the robust statistics as its rows go by;
//! `regret` prices each arm's most frequent plans in its scenarios; [`collect`]
//! runs them in that order. `verify` comes before all of them, for
//! `dcsite sweep collect DIR`: it checks the shards' manifests and stages
//! their parts, which [`collect`] then reads as one process's.

pub mod arms;
mod merge;
mod parts;
mod regret;
mod statistics;
pub mod verify;

use std::io::Write as _;
use std::path::Path;

use polars::prelude::DataFrame;
use serde_json::json;

use crate::export::{write_file_atomic, AtomicFile};
use crate::solve::SolveOptions;
use crate::study::sweep::error::SweepError;
use crate::study::sweep::run::parquet_bytes;
use crate::study::sweep::spec::{Dist, Sweep};
use arms::{ArmOf, Arms};
use merge::merge_parts;
use parts::{parts_of, read_part, scenario_facts, window, Part, ScenarioFacts};
use regret::{regret, Candidates, ScenarioCosts};
use statistics::{RegionStats, SiteStats};

pub use regret::PlanRegret;
pub use statistics::{RobustRow, Threshold, ThresholdShare};

/// What to compute when collecting.
pub struct CollectOptions<'a> {
    pub thresholds: &'a [Threshold],
    /// How many of each arm's most frequent plans regret.csv evaluates.
    pub regret_plans: usize,
    pub jobs: usize,
    pub solve: &'a SolveOptions,
    /// The statistics over every scenario too, the arms pooled (`--pooled`).
    pub pooled: bool,
}

/// What a collect found in one arm (or every scenario pooled).
#[derive(Debug, Clone, PartialEq)]
pub struct ArmSummary {
    pub arm: ArmOf,
    /// The arm in words (`arm 1 (key = value)`).
    pub label: String,
    pub scenarios: usize,
    /// Scenarios per status, in a fixed order.
    pub statuses: Vec<(String, usize)>,
    pub plans_found: usize,
    pub regret: Vec<PlanRegret>,
    /// Rank of the min-max-regret plan among those feasible in every scenario of the arm.
    pub min_max_regret: Option<usize>,
    /// Per region and tier: its cards.
    pub robust: Vec<RobustRow>,
    /// P(cards ≥ c) of each `--threshold`.
    pub thresholds: Vec<ThresholdShare>,
}

/// What a collect found, for the terminal and sweep.json.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub scenarios: usize,
    /// Scenarios per status, in a fixed order.
    pub statuses: Vec<(String, usize)>,
    /// Distinct plans over the whole sweep.
    pub plans_found: usize,
    /// Per arm, then the pool when asked.
    pub arms: Vec<ArmSummary>,
    /// The arms and their grid values.
    pub grid: Arms,
}

fn put(out: &Path, name: &str, bytes: &[u8]) -> Result<(), SweepError> {
    Ok(write_file_atomic(&out.join(name), bytes, true)?)
}

/// The most rows a table also written as CSV has: what a spreadsheet holds
/// (1,048,576 rows with the header).
pub const CSV_MAX_ROWS: usize = 1_048_575;

/// Merges the parts in `parts_dir` into the folder `out` (scenarios,
/// regions and sites .parquet, each also as .csv when it has at most
/// [`CSV_MAX_ROWS`] rows, robust.*, regret.*), each file written
/// atomically; `progress(done, total)` follows the regret evaluation.
///
/// The merge streams: the scenario parts' id and status columns are read
/// first (every id once, or nothing is written), then each table is merged
/// a window of ids at a time (`merge`) while its statistics are gathered as
/// counts per value and arm (`statistics`); only per-scenario flags (has a
/// plan) and, when the regret is evaluated, each scenario's sites cost are
/// held for the whole sweep.
pub fn collect(
    sweep: &Sweep,
    parts_dir: &Path,
    opts: &CollectOptions,
    out: &Path,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Summary, SweepError> {
    let expected = sweep.len();
    let arms = Arms::of(sweep, opts.pooled);
    let facts = scenario_facts(parts_dir, expected, sweep.samples, opts.regret_plans > 0)?;
    // scenarios.parquet: every id exactly once (checked above).
    merge_table(&facts.parts, &facts, "scenarios", out, &mut |_| Ok(()))?;
    let (robust, shares) = regions(parts_dir, &facts, opts, &arms, out)?;
    let ss = sites(sweep, parts_dir, &facts, &arms, out)?;
    // Each arm's most frequent plans among its scenarios with a plan.
    let groups = arms.groups();
    let found: Vec<(usize, Vec<(String, usize)>)> = groups
        .iter()
        .map(|a| ss.most_frequent(*a, opts.regret_plans))
        .collect();
    let candidates: Candidates = groups
        .iter()
        .zip(&found)
        .map(|(a, f)| (*a, f.1.clone()))
        .collect();
    let scen = ScenarioCosts {
        has_plan: &facts.has_plan,
        sites_cost: &facts.sites_cost,
    };
    let r = regret(
        sweep,
        &arms,
        &scen,
        &candidates,
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
    let summaries = groups
        .iter()
        .zip(found)
        .map(|(&arm, (plans_found, _))| ArmSummary {
            arm,
            label: arms.label(arm),
            scenarios: arms.scenarios(arm),
            statuses: match arm {
                Some(a) => facts.arm_statuses[a].clone(),
                None => facts.statuses.clone(),
            },
            plans_found,
            regret: r.plans.iter().filter(|p| p.arm == arm).cloned().collect(),
            min_max_regret: r.min_max.iter().find(|m| m.0 == arm).and_then(|m| m.1),
            robust: robust.iter().filter(|x| x.arm == arm).cloned().collect(),
            thresholds: shares.iter().filter(|x| x.arm == arm).cloned().collect(),
        })
        .collect();
    Ok(Summary {
        scenarios: expected,
        statuses: facts.statuses,
        plans_found: ss.plans_found(),
        arms: summaries,
        grid: arms,
    })
}

/// Merges the parts of `kind` into `<kind>.parquet` in `out`, and into
/// `<kind>.csv` when it fits a spreadsheet ([`CSV_MAX_ROWS`]); `each` sees
/// the rows as they are written, in order.
fn merge_table(
    parts: &[Part],
    facts: &ScenarioFacts,
    kind: &str,
    out: &Path,
    each: &mut dyn FnMut(&DataFrame) -> Result<(), SweepError>,
) -> Result<(), SweepError> {
    let rows: usize = parts.iter().map(|p| p.rows).sum();
    let mut csv = CsvFile::start(&out.join(format!("{kind}.csv")), rows)?;
    merge_parts(
        parts,
        "scenario_id",
        window(rows, facts.has_plan.len(), facts.span),
        &out.join(format!("{kind}.parquet")),
        &mut |df| {
            csv.write(df)?;
            each(df)
        },
    )?;
    csv.commit()
}

/// A CSV table written a run of rows at a time (the header once), atomically;
/// nothing when the table has more rows than [`CSV_MAX_ROWS`].
struct CsvFile {
    file: Option<AtomicFile>,
    header: bool,
}

impl CsvFile {
    fn start(path: &Path, rows: usize) -> Result<CsvFile, SweepError> {
        let file = if rows <= CSV_MAX_ROWS {
            Some(AtomicFile::create(path, true)?)
        } else {
            None
        };
        Ok(CsvFile {
            file,
            header: false,
        })
    }

    fn write(&mut self, df: &DataFrame) -> Result<(), SweepError> {
        let Some(f) = self.file.as_mut() else {
            return Ok(());
        };
        let text = crate::export::csv::csv_text(df.clone())?;
        let body = if self.header {
            text.split_once('\n').map(|x| x.1).unwrap_or("")
        } else {
            text.as_str()
        };
        self.header = true;
        f.file()
            .write_all(body.as_bytes())
            .map_err(|e| SweepError::Internal(format!("writing {}: {e}", f.path().display())))
    }

    fn commit(mut self) -> Result<(), SweepError> {
        match self.file.take() {
            Some(f) => Ok(f.commit()?),
            None => Ok(()),
        }
    }
}

/// regions.parquet (and .csv) and robust.csv; the rows of the terminal
/// summary and the thresholds' shares.
fn regions(
    parts_dir: &Path,
    facts: &ScenarioFacts,
    opts: &CollectOptions,
    arms: &Arms,
    out: &Path,
) -> Result<(Vec<RobustRow>, Vec<ThresholdShare>), SweepError> {
    let parts = parts_of(parts_dir, "regions", "scenario_id", &facts.batch_min)?;
    let schema = read_part(&parts[0].path, None)?.clear();
    let mut rs = RegionStats::new(&schema, arms);
    merge_table(&parts, facts, "regions", out, &mut |df| Ok(rs.add(df)?))?;
    let (table, robust, shares) = rs.robust_table(opts.thresholds)?;
    drop(rs);
    let robust_csv = crate::export::csv::csv_text(table)?;
    put(out, "robust.csv", robust_csv.as_bytes())?;
    Ok((robust, shares))
}

/// sites.parquet (and .csv), robust.geojson and robust.qml; each scenario's plan.
fn sites(
    sweep: &Sweep,
    parts_dir: &Path,
    facts: &ScenarioFacts,
    arms: &Arms,
    out: &Path,
) -> Result<SiteStats, SweepError> {
    let parts = parts_of(parts_dir, "sites", "scenario_id", &facts.batch_min)?;
    let mut ss = SiteStats::new(arms);
    merge_table(&parts, facts, "sites", out, &mut |df| {
        Ok(ss.add(df, &facts.has_plan)?)
    })?;
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

/// sweep.json: what was swept, how, and what came of it, per arm.
pub fn sweep_json(sweep: &Sweep, s: &Summary, opts: &CollectOptions) -> String {
    let statuses = |st: &[(String, usize)]| {
        st.iter()
            .map(|(k, n)| (k.clone(), json!(n)))
            .collect::<serde_json::Map<_, _>>()
    };
    let arms: Vec<serde_json::Value> = s
        .arms
        .iter()
        .map(|a| {
            let mut v = s.grid.json(a.arm);
            v["statuses"] = json!(statuses(&a.statuses));
            v["plans_found"] = json!(a.plans_found);
            v["plans_evaluated"] = json!(a.regret.len());
            v["min_max_regret_plan"] = json!(a
                .min_max_regret
                .and_then(|r| a.regret.get(r - 1))
                .map(|r| json!({
                    "rank": r.rank, "plan": r.plan, "max_regret_cny": r.max_regret_cny,
                    "expected_cost_cny": r.expected_cost_cny,
                })));
            v["thresholds"] = json!(a
                .thresholds
                .iter()
                .map(|t| json!({"id": t.id, "cards": t.cards, "n_plans": t.n_plans, "p": t.share}))
                .collect::<Vec<_>>());
            v
        })
        .collect();
    let v = json!({
        "dcsite_version": env!("CARGO_PKG_VERSION"),
        "sweep_file": sweep.path.display().to_string(),
        "base": sweep.base.path.display().to_string(),
        "seed": sweep.seed,
        "samples": sweep.samples,
        "sampling": sweep.sampling.as_str(),
        "grid_points": sweep.grid_points,
        "scenarios": s.scenarios,
        "statuses": statuses(&s.statuses),
        "varied": sweep.dims.iter().map(|d| json!({
            "key": d.key, "vary_key": d.vary_key, "distribution": describe(&d.dist),
        })).collect::<Vec<_>>(),
        "thresholds": opts.thresholds.iter().map(|t| json!({"id": t.id, "cards": t.cards})).collect::<Vec<_>>(),
        "pooled": s.arms.iter().any(|a| a.arm.is_none()),
        "regret": {
            "plans_found": s.plans_found,
            "cap": opts.regret_plans,
            "basis": "net present cost with each plan's sites and coolings fixed and server counts continuous (the pricing LP); per arm, each of the arm's most frequent plans in every scenario of the arm, regret against the cheapest of the scenario's own sites and every plan the arm evaluates",
        },
        "arms": arms,
    });
    let mut text = serde_json::to_string_pretty(&v).expect("JSON serialises");
    text.push('\n');
    text
}
