//! Merging the part files of a sweep and what follows from them: the merged
//! tables (scenarios, regions, sites), the robust statistics (robust.csv,
//! robust.geojson + robust.qml) and the regret of the most frequent plans
//! (regret.csv, regret_costs.parquet).
//!
//! The part files are read through Polars' lazy Parquet scans; no solved
//! plan is held, only table rows (and, for the regret, the cost of each
//! evaluated plan in each scenario).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde_json::json;

use super::run::{parquet_bytes, round};
use super::spec::{Dist, Sweep};
use super::SweepError;
use crate::export::geo_layers::{collection, feature, point};
use crate::milp::Prepared;
use crate::solve::shadow::fixed_sites_lp;
use crate::solve::SolveOptions;

/// Where a collect puts each file it makes: (name, bytes).
pub type Write<'a> = dyn FnMut(&str, &[u8]) -> Result<(), SweepError> + 'a;

/// `--threshold region=cards`: the probability that a region (or tier)
/// hosts at least `cards` cards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Threshold {
    pub id: String,
    pub cards: u64,
}

/// What to compute when collecting.
pub struct CollectOptions<'a> {
    pub thresholds: &'a [Threshold],
    /// How many of the most frequent plans regret.csv evaluates.
    pub regret_plans: usize,
    pub jobs: usize,
    pub solve: &'a SolveOptions,
}

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
    pub robust: Vec<(String, String, f64, f64, f64, f64)>,
}

/// The part files of `kind` in `dir`, sorted by name.
fn part_files(dir: &Path, kind: &str) -> Result<Vec<PathBuf>, SweepError> {
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir)
        .map_err(|e| SweepError::Internal(format!("reading {}: {e}", dir.display())))?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(&format!("{kind}-")) && name.ends_with(".parquet") {
            files.push(e.path());
        }
    }
    files.sort();
    Ok(files)
}

/// Every part of `kind`, as one lazy frame sorted by `by` (stable: a
/// scenario's rows keep their order).
fn scan(dir: &Path, kind: &str, by: &str) -> Result<LazyFrame, SweepError> {
    let files = part_files(dir, kind)?;
    if files.is_empty() {
        return Err(SweepError::Internal(format!(
            "no {kind} part files in {}",
            dir.display()
        )));
    }
    // One scan over every file (Polars reads them in parallel), not one
    // plan per file: a 100,000-scenario sweep has tens of thousands of parts.
    let paths = files
        .iter()
        .map(|f| PlRefPath::try_from_path(f))
        .collect::<PolarsResult<Vec<_>>>()?;
    Ok(
        LazyFrame::scan_parquet_files(paths.into_iter().collect(), Default::default())?.sort(
            [by],
            SortMultipleOptions::default().with_maintain_order(true),
        ),
    )
}

fn f64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    Ok(df
        .column(name)?
        .cast(&DataType::Float64)?
        .f64()?
        .iter()
        .collect())
}

fn strs(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|s| s.map(str::to_string))
        .collect())
}

/// Mean, p10, p50 and p90 (linear interpolation between order statistics,
/// as numpy's default) of a column, per group.
/// The aliases are `mean` … `p90` after `prefix`.
fn stats_as(column: &str, prefix: &str) -> Vec<Expr> {
    let c = || col(column).cast(DataType::Float64);
    vec![
        c().mean().alias(format!("{prefix}mean")),
        c().quantile(lit(0.1), QuantileMethod::Linear)
            .alias(format!("{prefix}p10")),
        c().quantile(lit(0.5), QuantileMethod::Linear)
            .alias(format!("{prefix}p50")),
        c().quantile(lit(0.9), QuantileMethod::Linear)
            .alias(format!("{prefix}p90")),
    ]
}

fn stats(column: &str) -> Vec<Expr> {
    stats_as(column, "")
}

/// Merges the parts in `parts_dir` and writes every output through `write`
/// (name, bytes); `progress(done, total)` follows the regret evaluation.
pub fn collect(
    sweep: &Sweep,
    parts_dir: &Path,
    opts: &CollectOptions,
    write: &mut Write,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Summary, SweepError> {
    // scenarios.parquet: every id exactly once.
    let scenarios = scan(parts_dir, "scenarios", "id")?.collect()?;
    let ids: Vec<u64> = scenarios.column("id")?.u64()?.iter().flatten().collect();
    let expected = sweep.len();
    if ids.len() != expected || ids.iter().enumerate().any(|(i, &id)| id != i as u64) {
        return Err(SweepError::Internal(format!(
            "the parts hold {} scenario rows, not ids 0 to {} once each",
            ids.len(),
            expected.saturating_sub(1)
        )));
    }
    let status = strs(&scenarios, "status")?;
    let sites_cost = f64s(&scenarios, "sites_cost_cny")?;
    write("scenarios.parquet", &parquet_bytes(scenarios.clone())?)?;
    drop(scenarios);
    let mut statuses: Vec<(String, usize)> =
        ["optimal", "feasible", "infeasible", "no_plan", "error"]
            .iter()
            .map(|s| {
                (
                    s.to_string(),
                    status.iter().filter(|x| x.as_deref() == Some(*s)).count(),
                )
            })
            .collect();
    statuses.retain(|(s, n)| *n > 0 || s == "optimal" || s == "infeasible");
    let with_plan: Vec<usize> = (0..ids.len())
        .filter(|&i| matches!(status[i].as_deref(), Some("optimal" | "feasible")))
        .collect();

    // regions.parquet and robust.csv.
    let regions = scan(parts_dir, "regions", "scenario")?.collect()?;
    write("regions.parquet", &parquet_bytes(regions.clone())?)?;
    let mut agg = vec![len().alias("n_plans")];
    agg.extend(stats("cards_total"));
    // The same statistics per accelerator (`cards_<accelerator>` columns).
    let accel_columns: Vec<String> = regions
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .filter(|c| c.starts_with("cards_") && c != "cards_total")
        .collect();
    for c in &accel_columns {
        agg.extend(stats_as(c, &format!("{c}_")));
    }
    let mut cards_levels: Vec<u64> = opts.thresholds.iter().map(|t| t.cards).collect();
    cards_levels.sort_unstable();
    cards_levels.dedup();
    for &c in &cards_levels {
        agg.push(
            col("cards_total")
                .gt_eq(lit(c))
                .cast(DataType::Float64)
                .mean()
                .alias(format!("p_ge_{c}")),
        );
    }
    let robust = regions
        .lazy()
        .group_by_stable([col("level"), col("id")])
        .agg(agg)
        .collect()?;
    let (levels, region_ids) = (strs(&robust, "level")?, strs(&robust, "id")?);
    let n_plans: Vec<Option<f64>> = f64s(&robust, "n_plans")?;
    let mut cols = vec![
        Column::new("level".into(), levels.clone()),
        Column::new("id".into(), region_ids.clone()),
        Column::new(
            "n_plans".into(),
            n_plans
                .iter()
                .map(|x| x.map(|v| v as u64))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "n_scenarios".into(),
            vec![ids.len() as u64; robust.height()],
        ),
    ];
    let mut summary_robust = Vec::new();
    let stat: Vec<Vec<Option<f64>>> = ["mean", "p10", "p50", "p90"]
        .iter()
        .map(|s| f64s(&robust, s))
        .collect::<PolarsResult<_>>()?;
    for (i, name) in ["cards_mean", "cards_p10", "cards_p50", "cards_p90"]
        .iter()
        .enumerate()
    {
        cols.push(Column::new(
            (*name).into(),
            stat[i]
                .iter()
                .map(|x| x.map(|v| round(v, 1)))
                .collect::<Vec<_>>(),
        ));
    }
    for c in &accel_columns {
        for s in ["mean", "p10", "p50", "p90"] {
            let name = format!("{c}_{s}");
            let v = f64s(&robust, &name)?;
            cols.push(Column::new(
                name.into(),
                v.iter().map(|x| x.map(|v| round(v, 1))).collect::<Vec<_>>(),
            ));
        }
    }
    for r in 0..robust.height() {
        let v = |k: usize| stat[k][r].unwrap_or(0.0);
        summary_robust.push((
            levels[r].clone().unwrap_or_default(),
            region_ids[r].clone().unwrap_or_default(),
            v(0),
            v(1),
            v(2),
            v(3),
        ));
    }
    // P(cards ≥ c), on the rows of the regions and tiers given that threshold.
    for &c in &cards_levels {
        let p = f64s(&robust, &format!("p_ge_{c}"))?;
        let values: Vec<Option<f64>> = (0..robust.height())
            .map(|r| {
                let id = region_ids[r].as_deref().unwrap_or("");
                opts.thresholds
                    .iter()
                    .any(|t| t.cards == c && t.id == id)
                    .then(|| p[r].map(|x| round(x, 6)))
                    .flatten()
            })
            .collect();
        cols.push(Column::new(format!("p_cards_ge_{c}").into(), values));
    }
    let robust_csv = crate::export::csv::csv_text(DataFrame::new_infer_height(cols)?)?;
    write("robust.csv", robust_csv.as_bytes())?;

    // sites.parquet, robust.geojson and robust.qml.
    let sites = scan(parts_dir, "sites", "scenario")?.collect()?;
    write("sites.parquet", &parquet_bytes(sites.clone())?)?;
    let mut agg = vec![
        len().alias("n_plans"),
        col("built").cast(DataType::Float64).mean().alias("p_built"),
    ];
    agg.extend(stats("cards_total"));
    let per_site = sites
        .clone()
        .lazy()
        .group_by_stable([col("site_id")])
        .agg(agg)
        .collect()?;
    let coolings = sites
        .clone()
        .lazy()
        .filter(col("built"))
        .group_by_stable([col("site_id"), col("cooling")])
        .agg([len().alias("n")])
        .collect()?;
    let mut mode: HashMap<String, (String, u64)> = HashMap::new();
    let cooling_order: Vec<&str> = sweep
        .base_instance
        .cooling
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    let rank = |c: &str| {
        cooling_order
            .iter()
            .position(|x| *x == c)
            .unwrap_or(usize::MAX)
    };
    let (cs, ck, cn) = (
        strs(&coolings, "site_id")?,
        strs(&coolings, "cooling")?,
        f64s(&coolings, "n")?,
    );
    for i in 0..coolings.height() {
        let (Some(s), Some(k), Some(n)) = (&cs[i], &ck[i], cn[i]) else {
            continue;
        };
        let n = n as u64;
        let e = mode.entry(s.clone()).or_insert((k.clone(), 0));
        if n > e.1 || (n == e.1 && rank(k) < rank(&e.0)) {
            *e = (k.clone(), n);
        }
    }
    let site_ids = strs(&per_site, "site_id")?;
    let p_built = f64s(&per_site, "p_built")?;
    let site_n = f64s(&per_site, "n_plans")?;
    let site_stat: Vec<Vec<Option<f64>>> = ["mean", "p10", "p90"]
        .iter()
        .map(|s| f64s(&per_site, s))
        .collect::<PolarsResult<_>>()?;
    let mut features = Vec::new();
    for (i, id) in site_ids.iter().enumerate() {
        let id = id.clone().unwrap_or_default();
        let Some(site) = sweep.base_instance.sites.iter().find(|s| s.id == id) else {
            continue;
        };
        let built_n = (p_built[i].unwrap_or(0.0) * site_n[i].unwrap_or(0.0)).round();
        let (cooling, cooling_n) = match mode.get(&id) {
            Some((k, n)) => (json!(k), json!(round(*n as f64 / built_n.max(1.0), 6))),
            None => (serde_json::Value::Null, serde_json::Value::Null),
        };
        let num = |x: Option<f64>, d: i32| {
            x.map(|v| json!(round(v, d)))
                .unwrap_or(serde_json::Value::Null)
        };
        let mut props = serde_json::Map::new();
        props.insert("site_id".into(), json!(id));
        props.insert("name_en".into(), json!(site.name_en));
        props.insert("name_zh".into(), json!(site.name_zh));
        props.insert("region_id".into(), json!(site.region_id));
        props.insert("n_plans".into(), json!(site_n[i].unwrap_or(0.0) as u64));
        props.insert("p_built".into(), num(p_built[i], 6));
        props.insert("cards_mean".into(), num(site_stat[0][i], 1));
        props.insert("cards_p10".into(), num(site_stat[1][i], 1));
        props.insert("cards_p90".into(), num(site_stat[2][i], 1));
        props.insert("cooling_mode".into(), cooling);
        props.insert("p_cooling_mode".into(), cooling_n);
        features.push(feature(point(site.lon, site.lat), props));
    }
    write("robust.geojson", collection(features, "robust").as_bytes())?;
    write(
        "robust.qml",
        crate::export::qml::probability_qml("p_built", "cards_mean").as_bytes(),
    )?;

    // Plans: the built (site, cooling) of each scenario with a plan.
    let built = sites
        .lazy()
        .filter(col("built"))
        .select([
            col("scenario"),
            col("site_id"),
            col("cooling"),
            col("mega_cluster"),
        ])
        .collect()?;
    let (bs, bi, bc) = (
        built.column("scenario")?.u64()?.clone(),
        strs(&built, "site_id")?,
        strs(&built, "cooling")?,
    );
    let bm: Vec<Option<bool>> = built.column("mega_cluster")?.bool()?.iter().collect();
    let mut plan_of: BTreeMap<u64, String> = BTreeMap::new();
    for i in 0..built.height() {
        let (Some(s), Some(site), Some(k)) = (bs.get(i), &bi[i], &bc[i]) else {
            continue;
        };
        let e = plan_of.entry(s).or_default();
        if !e.is_empty() {
            e.push(';');
        }
        e.push_str(&format!(
            "{site}:{k}{}",
            if bm[i] == Some(true) { "+mega" } else { "" }
        ));
    }
    drop(built);
    let mut counts: HashMap<&str, (usize, u64)> = HashMap::new();
    for &i in &with_plan {
        let s = i as u64;
        let plan = plan_of.get(&s).map(String::as_str).unwrap_or("");
        let e = counts.entry(plan).or_insert((0, s));
        e.0 += 1;
    }
    let plans_found = counts.len();
    let mut ranked: Vec<(&str, usize, u64)> =
        counts.iter().map(|(p, (n, f))| (*p, *n, *f)).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    ranked.truncate(opts.regret_plans);
    let plans: Vec<(String, usize)> = ranked.iter().map(|(p, n, _)| (p.to_string(), *n)).collect();
    let (regret, min_max) = regret(
        sweep,
        &with_plan,
        &sites_cost,
        &plans,
        opts,
        write,
        progress,
    )?;
    Ok(Summary {
        scenarios: ids.len(),
        statuses,
        plans_found,
        regret,
        min_max_regret: min_max,
        robust: summary_robust,
    })
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

/// Evaluates each plan in every scenario with a plan, writes regret.csv and
/// regret_costs.parquet, and names the min-max-regret plan.
#[allow(clippy::too_many_arguments)]
fn regret(
    sweep: &Sweep,
    with_plan: &[usize],
    sites_cost: &[Option<f64>],
    plans: &[(String, usize)],
    opts: &CollectOptions,
    write: &mut Write,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(Vec<PlanRegret>, Option<usize>), SweepError> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let parsed: Vec<Vec<(String, String, bool)>> = plans.iter().map(|(p, _)| entries(p)).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()
        .map_err(|e| SweepError::Internal(e.to_string()))?;
    let done = AtomicUsize::new(0);
    let total = with_plan.len();
    // cost[s][k]: plan k in the s-th scenario with a plan.
    let cost: Vec<Vec<Option<f64>>> = pool.install(|| {
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
                            .map(|plan| plan_cost(&p, plan, opts.solve).map(f64::round))
                            .collect()
                    }
                    Err(_) => vec![None; parsed.len()],
                };
                progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                row
            })
            .collect()
    });
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
    let mut out = Vec::new();
    let (mut c_rank, mut c_scen, mut c_cost, mut c_ref, mut c_regret) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (k, (plan, n)) in plans.iter().enumerate() {
        let mut costs = Vec::new();
        let mut regrets = Vec::new();
        let mut worst: Option<(f64, u64)> = None;
        let mut infeasible = 0;
        for (s, &id) in with_plan.iter().enumerate() {
            let c = cost[s][k];
            let r = match (c, reference[s]) {
                (Some(c), Some(r)) => Some(c - r),
                _ => None,
            };
            c_rank.push(k as u64 + 1);
            c_scen.push(id as u64);
            c_cost.push(c);
            c_ref.push(reference[s]);
            c_regret.push(r);
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
        out.push(PlanRegret {
            rank: k + 1,
            plan: plan.clone(),
            optimal_in: *n,
            feasible_in: costs.len(),
            infeasible_in: infeasible,
            expected_cost_cny: mean(&costs).map(f64::round),
            cvar90_cost_cny: cvar90(&costs).map(f64::round),
            max_regret_cny: worst.map(|w| w.0),
            mean_regret_cny: mean(&regrets).map(f64::round),
            worst_scenario: worst.map(|w| w.1),
        });
    }
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
    let col_u = |name: &str, v: Vec<u64>| Column::new(name.into(), v);
    let col_f = |name: &str, v: Vec<Option<f64>>| Column::new(name.into(), v);
    let df = DataFrame::new_infer_height(vec![
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
    ])?;
    write("regret.csv", crate::export::csv::csv_text(df)?.as_bytes())?;
    let long = DataFrame::new_infer_height(vec![
        col_u("rank", c_rank),
        col_u("scenario", c_scen),
        col_f("cost_cny", c_cost),
        col_f("reference_cny", c_ref),
        col_f("regret_cny", c_regret),
    ])?;
    write("regret_costs.parquet", &parquet_bytes(long)?)?;
    Ok((out, min_max))
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
