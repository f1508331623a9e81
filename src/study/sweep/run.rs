//! Solving the scenarios of a shard in parallel and streaming their results
//! into part files (`parts/<kind>-<shard>-<batch>.parquet`), a batch at a
//! time: nothing of a solved scenario is held once its batch is written.

use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

use polars::prelude::*;

use super::error::SweepError;
use super::spec::Sweep;
use crate::export::write_file_atomic;
use crate::milp::{Prepared, Quota, RowKey};
use crate::solve::shadow::fixed_sites_lp;
use crate::solve::{solve, Explain, Plan, SolveError, SolveOptions};

/// Which scenarios one process solves: the ids `i` with `i % count == index`
/// (interleaved, so that shards get similar work whatever the grid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };
    /// The scenario ids of this shard among `n`.
    pub fn ids(self, n: usize) -> impl Iterator<Item = usize> + Clone {
        (self.index..n).step_by(self.count.max(1))
    }
    /// `0003of0004`: the part of a part file's name that names the shard.
    pub fn label(self) -> String {
        format!("{:04}of{:04}", self.index, self.count)
    }
}

/// One region's or tier's figures in one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionRow {
    /// `region` or `tier`.
    pub level: &'static str,
    pub id: String,
    /// Per accelerator, in the order of accelerators.csv.
    pub cards: Vec<u64>,
    pub it_mw: f64,
    /// Subsidy paid there, net present value, CNY.
    pub subsidy_cny: f64,
    /// Shadow price of the region's power quota (CNY per MW), from the LP with
    /// the plan's sites fixed (not checked by re-solves); regions only.
    pub power_quota_cny_per_mw: Option<f64>,
    /// Shadow price of the energy-use quota (CNY per tce/year); regions only.
    pub energy_quota_cny_per_tce: Option<f64>,
}

/// One candidate site in one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteRow {
    pub site_id: String,
    pub built: bool,
    pub cooling: Option<String>,
    pub mega_cluster: bool,
    pub cards: Vec<u64>,
}

/// What one scenario of a sweep came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub id: usize,
    /// The drawn values, one per [`super::spec::Dim`].
    pub values: Vec<toml::Value>,
    /// `optimal`, `feasible`, `infeasible`, `no_plan` or `error`.
    pub status: &'static str,
    /// Why there is no plan (infeasible: the constraint families and numbers
    /// that conflict; otherwise the solver's message).
    pub explanation: Option<String>,
    pub objective_cny: Option<f64>,
    pub mip_gap: Option<f64>,
    /// Net present cost of the plan's sites with server counts continuous
    /// (the basis on which regret.csv compares plans), CNY.
    pub sites_cost_cny: Option<f64>,
    /// Loading, preparing and solving, seconds (the one timing column).
    pub solve_seconds: f64,
    /// Of which in the solver (`solve`, the plan only: building, HiGHS, reading the
    /// plan back), not written: what a shard's overhead is measured against.
    pub solver_seconds: f64,
    pub regions: Vec<RegionRow>,
    pub sites: Vec<SiteRow>,
}

impl Outcome {
    pub fn has_plan(&self) -> bool {
        matches!(self.status, "optimal" | "feasible")
    }
}

/// Rounds to `d` decimals (stable output, no float noise).
pub(super) fn round(x: f64, d: i32) -> f64 {
    let s = 10f64.powi(d);
    (x * s).round() / s
}

/// Which options a plan opens and which sites hold a mega cluster.
pub(super) fn decisions(p: &Prepared, plan: &Plan) -> (Vec<bool>, Vec<bool>) {
    let open = p
        .options
        .iter()
        .map(|o| plan.sites[o.site].cooling == Some(o.cooling))
        .collect();
    let mega = plan.sites.iter().map(|s| s.mega_cluster).collect();
    (open, mega)
}

/// Draws, loads, prepares and solves scenario `id` (no extras: see
/// [`solve`] with [`Explain::PlanOnly`]); a scenario without a plan is an outcome too.
pub fn solve_one(sweep: &Sweep, id: usize, opts: &SolveOptions) -> Outcome {
    let t0 = Instant::now();
    let mut out = Outcome {
        id,
        values: Vec::new(),
        status: "error",
        explanation: None,
        objective_cny: None,
        mip_gap: None,
        sites_cost_cny: None,
        solve_seconds: 0.0,
        solver_seconds: 0.0,
        regions: Vec::new(),
        sites: Vec::new(),
    };
    let inst = match sweep.instance(id) {
        Ok((values, inst)) => {
            out.values = values;
            inst
        }
        Err(problems) => {
            // Checked before any solve; kept as an outcome all the same.
            out.values = sweep.draw(id);
            out.explanation = Some(problems.to_string().trim().to_string());
            return out;
        }
    };
    let p = Prepared::new(inst);
    let t_solver = Instant::now();
    let lean = SolveOptions {
        explain: Explain::PlanOnly,
        ..opts.clone()
    };
    let solved = solve(&p, &lean);
    out.solver_seconds = t_solver.elapsed().as_secs_f64();
    match solved {
        Ok(plan) => fill(&mut out, &p, &plan, opts),
        Err(SolveError::Infeasible { reasons, .. }) => {
            out.status = "infeasible";
            out.explanation = Some(if reasons.is_empty() {
                "no plan satisfies every constraint".into()
            } else {
                reasons.join("; ")
            });
        }
        Err(e @ SolveError::NoSolution { .. }) => {
            out.status = "no_plan";
            out.explanation = Some(e.to_string());
        }
        Err(e) => out.explanation = Some(e.to_string()),
    }
    out.solve_seconds = t0.elapsed().as_secs_f64();
    out
}

fn fill(out: &mut Outcome, p: &Prepared, plan: &Plan, opts: &SolveOptions) {
    let inst = &p.inst;
    out.status = plan.status.as_str();
    out.objective_cny = Some(plan.objective_cny.round());
    out.mip_gap = Some(plan.mip_gap);
    let (open, mega) = decisions(p, plan);
    let priced = fixed_sites_lp(p, &open, &mega, opts).ok();
    out.sites_cost_cny = priced.as_ref().map(|f| f.cost_cny.round());
    let price = |want: RowKey| {
        priced.as_ref().and_then(|f| {
            f.prices
                .iter()
                .find(|(k, _)| *k == want)
                .map(|(_, v)| round(*v, 2))
        })
    };
    let n_acc = inst.accelerators.len();
    let group = |level: &'static str, id: String, member: &dyn Fn(usize) -> bool| {
        let mut row = RegionRow {
            level,
            id,
            cards: vec![0; n_acc],
            it_mw: 0.0,
            subsidy_cny: 0.0,
            power_quota_cny_per_mw: None,
            energy_quota_cny_per_tce: None,
        };
        for s in plan.sites.iter().filter(|s| member(s.site)) {
            for (a, c) in s.cards.iter().enumerate() {
                row.cards[a] += c;
            }
            row.it_mw += s.it_mw;
            row.subsidy_cny += s.subsidy_cny;
        }
        row.it_mw = round(row.it_mw, 6);
        row.subsidy_cny = row.subsidy_cny.round();
        row
    };
    for (r, region) in inst.regions.iter().enumerate() {
        let mut row = group("region", region.id.clone(), &|s| p.region_of_site[s] == r);
        row.power_quota_cny_per_mw = price(RowKey::RegionQuota {
            quota: Quota::Power,
            region: r,
        });
        row.energy_quota_cny_per_tce = price(RowKey::RegionQuota {
            quota: Quota::Energy,
            region: r,
        });
        out.regions.push(row);
    }
    for tier in crate::domain::Tier::ALL {
        let row = group("tier", tier.as_str().to_string(), &|s| {
            inst.regions[p.region_of_site[s]].tier == tier
        });
        out.regions.push(row);
    }
    for s in &plan.sites {
        out.sites.push(SiteRow {
            site_id: inst.sites[s.site].id.clone(),
            built: s.built,
            cooling: s.cooling.map(|k| inst.cooling[k].id.clone()),
            mega_cluster: s.mega_cluster,
            cards: s.cards.clone(),
        });
    }
}

/// Scenarios per part file: small enough that a killed run loses little and
/// memory stays flat, large enough that files stay few.
pub const BATCH: usize = 64;

/// Solves the scenarios of `shard` on `jobs` threads, writing their results
/// into `parts_dir` a batch at a time; `done` sees every outcome as it
/// arrives (for a progress bar). Returns how many were solved.
pub fn run_shard(
    sweep: &Sweep,
    shard: Shard,
    opts: &SolveOptions,
    jobs: usize,
    parts_dir: &Path,
    done: &(dyn Fn(&Outcome) + Sync),
) -> Result<usize, SweepError> {
    let ids: Vec<usize> = shard.ids(sweep.len()).collect();
    let mut commit = |_: &[usize], _: Vec<String>| Ok(());
    run_ids(
        sweep,
        shard,
        &ids,
        0,
        BATCH,
        opts,
        jobs,
        parts_dir,
        done,
        &mut commit,
    )
}

/// What is called after each batch's part files are written: the batch's
/// ids and part file names.
pub type Commit<'a> = dyn FnMut(&[usize], Vec<String>) -> Result<(), SweepError> + 'a;

/// Solves scenarios `ids` of `shard` on `jobs` threads, writing `batch` of
/// them at a time into part files numbered from `first`, and calling
/// `commit` after each batch is written. Returns how many were solved.
#[allow(clippy::too_many_arguments)]
pub fn run_ids(
    sweep: &Sweep,
    shard: Shard,
    ids: &[usize],
    first: usize,
    batch_size: usize,
    opts: &SolveOptions,
    jobs: usize,
    parts_dir: &Path,
    done: &(dyn Fn(&Outcome) + Sync),
    commit: &mut Commit,
) -> Result<usize, SweepError> {
    use rayon::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| SweepError::Internal(e.to_string()))?;
    let (tx, rx) = mpsc::sync_channel::<Outcome>(4 * jobs.max(1));
    let batch_size = batch_size.max(1);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            pool.install(|| {
                ids.par_iter().with_max_len(1).for_each_with(tx, |tx, &id| {
                    let _ = tx.send(solve_one(sweep, id, opts));
                })
            })
        });
        let mut batch = Vec::with_capacity(batch_size.min(BATCH));
        let mut n_batch = first;
        let mut solved = 0;
        let mut flush = |batch: &mut Vec<Outcome>, n: usize| -> Result<(), SweepError> {
            batch.sort_by_key(|o| o.id);
            let ids: Vec<usize> = batch.iter().map(|o| o.id).collect();
            let names = write_parts(sweep, shard, n, batch, parts_dir)?;
            commit(&ids, names)
        };
        for o in rx {
            done(&o);
            batch.push(o);
            solved += 1;
            if batch.len() == batch_size {
                flush(&mut batch, n_batch)?;
                n_batch += 1;
            }
        }
        if !batch.is_empty() {
            flush(&mut batch, n_batch)?;
        }
        Ok(solved)
    })
}

/// Writes one batch as three part files (scenarios, regions, sites), empties
/// it and returns the files' names.
fn write_parts(
    sweep: &Sweep,
    shard: Shard,
    n: usize,
    batch: &mut Vec<Outcome>,
    dir: &Path,
) -> Result<Vec<String>, SweepError> {
    batch.sort_by_key(|o| o.id);
    let acc = sweep.accelerator_ids();
    let mut names = Vec::with_capacity(3);
    for (kind, df) in [
        ("scenarios", scenarios_frame(sweep, batch)?),
        ("regions", regions_frame(&acc, batch)?),
        ("sites", sites_frame(&acc, batch)?),
    ] {
        let name = format!("{kind}-{}-{n:06}.parquet", shard.label());
        write_file_atomic(&dir.join(&name), &parquet_bytes(df)?, false)?;
        names.push(name);
    }
    batch.clear();
    Ok(names)
}

/// A frame as Parquet bytes (zstd, statistics on).
pub(super) fn parquet_bytes(mut df: DataFrame) -> PolarsResult<Vec<u8>> {
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf).finish(&mut df)?;
    Ok(buf)
}

fn scenarios_frame(sweep: &Sweep, batch: &[Outcome]) -> PolarsResult<DataFrame> {
    let mut cols = vec![
        Column::new(
            "scenario_id".into(),
            batch.iter().map(|o| o.id as u64).collect::<Vec<_>>(),
        ),
        Column::new(
            "arm".into(),
            batch
                .iter()
                .map(|o| sweep.arm_of(o.id) as u64)
                .collect::<Vec<_>>(),
        ),
    ];
    for (d, dim) in sweep.dims.iter().enumerate() {
        let name = PlSmallStr::from(dim.key.as_str());
        let v = |o: &Outcome| o.values.get(d).cloned();
        cols.push(if dim.is_text() {
            Column::new(
                name,
                batch
                    .iter()
                    .map(|o| v(o).and_then(|x| x.as_str().map(str::to_string)))
                    .collect::<Vec<_>>(),
            )
        } else {
            Column::new(
                name,
                batch
                    .iter()
                    .map(|o| {
                        v(o).and_then(|x| match x {
                            toml::Value::Float(f) => Some(f),
                            toml::Value::Integer(i) => Some(i as f64),
                            _ => None,
                        })
                    })
                    .collect::<Vec<_>>(),
            )
        });
    }
    cols.push(Column::new(
        "status".into(),
        batch.iter().map(|o| o.status).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "explanation".into(),
        batch
            .iter()
            .map(|o| o.explanation.clone())
            .collect::<Vec<_>>(),
    ));
    let f = |g: &dyn Fn(&Outcome) -> Option<f64>| batch.iter().map(g).collect::<Vec<_>>();
    cols.push(Column::new("objective_cny".into(), f(&|o| o.objective_cny)));
    cols.push(Column::new("mip_gap".into(), f(&|o| o.mip_gap)));
    cols.push(Column::new(
        "sites_cost_cny".into(),
        f(&|o| o.sites_cost_cny),
    ));
    cols.push(Column::new(
        "solve_seconds".into(),
        f(&|o| Some(round(o.solve_seconds, 3))),
    ));
    DataFrame::new_infer_height(cols)
}

/// Every row of a batch's outcomes with its scenario id, and the
/// `scenario_id` column of those rows.
fn rows_of<'a, T>(
    batch: &'a [Outcome],
    rows: impl Fn(&'a Outcome) -> &'a Vec<T>,
) -> (Vec<(u64, &'a T)>, Column) {
    let out: Vec<(u64, &T)> = batch
        .iter()
        .flat_map(|o| rows(o).iter().map(move |r| (o.id as u64, r)))
        .collect();
    let scenario = Column::new(
        "scenario_id".into(),
        out.iter().map(|r| r.0).collect::<Vec<_>>(),
    );
    (out, scenario)
}

fn regions_frame(acc: &[String], batch: &[Outcome]) -> PolarsResult<DataFrame> {
    let (rows, scenario) = rows_of(batch, |o| &o.regions);
    let mut cols = vec![
        scenario,
        Column::new(
            "level".into(),
            rows.iter().map(|r| r.1.level).collect::<Vec<_>>(),
        ),
        Column::new(
            "region_id".into(),
            rows.iter().map(|r| r.1.id.as_str()).collect::<Vec<_>>(),
        ),
    ];
    cards_columns(acc, rows.iter().map(|r| &r.1.cards), &mut cols);
    cols.push(Column::new(
        "it_mw".into(),
        rows.iter().map(|r| r.1.it_mw).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "subsidy_cny".into(),
        rows.iter().map(|r| r.1.subsidy_cny).collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "power_quota_cny_per_mw".into(),
        rows.iter()
            .map(|r| r.1.power_quota_cny_per_mw)
            .collect::<Vec<_>>(),
    ));
    cols.push(Column::new(
        "energy_quota_cny_per_tce".into(),
        rows.iter()
            .map(|r| r.1.energy_quota_cny_per_tce)
            .collect::<Vec<_>>(),
    ));
    DataFrame::new_infer_height(cols)
}

/// `cards_<accelerator>` columns and `cards_total`.
fn cards_columns<'a>(
    acc: &[String],
    cards: impl Iterator<Item = &'a Vec<u64>> + Clone,
    cols: &mut Vec<Column>,
) {
    for (a, id) in acc.iter().enumerate() {
        cols.push(Column::new(
            format!("cards_{id}").into(),
            cards
                .clone()
                .map(|c| c.get(a).copied().unwrap_or(0))
                .collect::<Vec<_>>(),
        ));
    }
    cols.push(Column::new(
        "cards_total".into(),
        cards.map(|c| c.iter().sum::<u64>()).collect::<Vec<_>>(),
    ));
}

fn sites_frame(acc: &[String], batch: &[Outcome]) -> PolarsResult<DataFrame> {
    let (rows, scenario) = rows_of(batch, |o| &o.sites);
    let mut cols = vec![
        scenario,
        Column::new(
            "site_id".into(),
            rows.iter()
                .map(|r| r.1.site_id.as_str())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "built".into(),
            rows.iter().map(|r| r.1.built).collect::<Vec<_>>(),
        ),
        Column::new(
            "cooling".into(),
            rows.iter()
                .map(|r| r.1.cooling.as_deref())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "mega_cluster".into(),
            rows.iter().map(|r| r.1.mega_cluster).collect::<Vec<_>>(),
        ),
    ];
    cards_columns(acc, rows.iter().map(|r| &r.1.cards), &mut cols);
    DataFrame::new_infer_height(cols)
}

/// The columns and types of each kind of part file this sweep writes
/// (`collect` checks every part against them).
pub(super) fn part_schemas(sweep: &Sweep) -> PolarsResult<Vec<(&'static str, Schema)>> {
    let acc = sweep.accelerator_ids();
    Ok(vec![
        (
            "scenarios",
            (**scenarios_frame(sweep, &[])?.schema()).clone(),
        ),
        ("regions", (**regions_frame(&acc, &[])?.schema()).clone()),
        ("sites", (**sites_frame(&acc, &[])?.schema()).clone()),
    ])
}
