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

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde_json::json;

use super::run::{parquet_bytes, round};
use super::spec::{Dist, Sweep};
use super::SweepError;
use crate::export::geo_layers::{collection, feature, point};
use crate::export::{write_file_atomic, AtomicFile};
use crate::milp::Prepared;
use crate::solve::shadow::fixed_sites_lp;
use crate::solve::SolveOptions;

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
    if files.is_empty() {
        return Err(SweepError::Internal(format!(
            "no {kind} part files in {}",
            dir.display()
        )));
    }
    Ok(files)
}

/// Polars' row group size: `ParquetWriter` cuts a frame of `n` rows into
/// `n / ROW_GROUP` equal row groups (the last one takes the remainder), or
/// writes it as one when that is 0 or 1. The merge cuts the same way.
const ROW_GROUP: usize = 512 * 512;

/// The row group sizes `ParquetWriter::finish` gives a one-chunk frame of
/// `rows` rows (`chunk_df_for_writing`, `split_df_as_ref`), so that a merged
/// table is the file the in-memory merge wrote, byte for byte.
fn row_group_sizes(rows: usize) -> Vec<usize> {
    let n = rows / ROW_GROUP;
    if n <= 1 {
        return vec![rows];
    }
    let size = rows / n;
    let mut sizes = vec![size; n - 1];
    sizes.push(rows - size * (n - 1));
    sizes
}

/// Scenario ids merged at a time, at least: the rows of the parts that hold
/// ids of the window are in memory, sorted, then written (a window is a few
/// thousand scenarios, whatever the sweep's size). A window is as wide as
/// the ids a typical part spans (a shard's batch: batch size × shards), so
/// that a row waits for one or two windows, not for many.
const WINDOW: u64 = 4096;

/// Part files read at once (in parallel).
const READ_AHEAD: usize = 64;

/// One part file: its path, a lower bound of the ids in it (`None`: it has
/// no rows) and its number of rows.
struct Part {
    path: PathBuf,
    min: Option<u64>,
    rows: usize,
}

fn read_part(path: &Path, columns: Option<&[&str]>) -> Result<DataFrame, SweepError> {
    let file = std::fs::File::open(path)
        .map_err(|e| SweepError::Internal(format!("reading {}: {e}", path.display())))?;
    let reader = ParquetReader::new(file)
        .read_parallel(ParallelStrategy::None)
        .with_columns(columns.map(|c| c.iter().map(|s| s.to_string()).collect()));
    Ok(reader.finish()?)
}

/// Reads `files` (only `columns`, or every column) [`READ_AHEAD`] at a time
/// in parallel and hands each frame to `each` in the order of `files`.
fn for_each_part(
    files: &[PathBuf],
    columns: Option<&[&str]>,
    each: &mut dyn FnMut(usize, DataFrame) -> Result<(), SweepError>,
) -> Result<(), SweepError> {
    use rayon::prelude::*;
    for (c, chunk) in files.chunks(READ_AHEAD).enumerate() {
        let frames: Vec<Result<DataFrame, SweepError>> =
            chunk.par_iter().map(|f| read_part(f, columns)).collect();
        for (i, df) in frames.into_iter().enumerate() {
            each(c * READ_AHEAD + i, df?)?;
        }
    }
    Ok(())
}

/// The parts of `kind` with a lower bound of their ids: a part's batch's
/// smallest scenario id from `scenario_min` (the scenario part its name
/// shares), else the smallest of its own `key` column.
fn parts_of(
    dir: &Path,
    kind: &str,
    key: &str,
    scenario_min: &HashMap<String, Option<u64>>,
) -> Result<Vec<Part>, SweepError> {
    use rayon::prelude::*;
    let files = part_files(dir, kind)?;
    let batch_min = |f: &Path| {
        let name = f.file_name()?.to_str()?;
        scenario_min
            .get(name.strip_prefix(kind)?)
            .copied()
            .flatten()
    };
    files
        .par_iter()
        .map(|f| match batch_min(f) {
            Some(min) => {
                let file = std::fs::File::open(f)
                    .map_err(|e| SweepError::Internal(format!("reading {}: {e}", f.display())))?;
                Ok(Part {
                    path: f.clone(),
                    min: Some(min),
                    rows: ParquetReader::new(file).num_rows()?,
                })
            }
            None => {
                let df = read_part(f, Some(&[key]))?;
                Ok(Part {
                    path: f.clone(),
                    min: df.column(key)?.u64()?.min(),
                    rows: df.height(),
                })
            }
        })
        .collect()
}

/// A Parquet file written a row group at a time: rows are buffered until
/// the next row group is full ([`row_group_sizes`] of the table's rows), so
/// the row groups depend on the rows alone, not on how the parts were cut.
struct RowGroups<W: std::io::Write> {
    writer: polars::io::parquet::write::BatchedWriter<W>,
    buf: Option<DataFrame>,
    /// The sizes of the row groups still to write, in reverse.
    sizes: Vec<usize>,
}

impl<W: std::io::Write> RowGroups<W> {
    fn new(w: W, schema: &Schema, rows: usize) -> PolarsResult<Self> {
        // The options of `parquet_bytes` (Polars' defaults: zstd, statistics).
        let mut sizes = row_group_sizes(rows);
        sizes.reverse();
        Ok(RowGroups {
            writer: ParquetWriter::new(w).batched(schema)?,
            buf: None,
            sizes,
        })
    }

    fn push(&mut self, df: DataFrame) -> PolarsResult<()> {
        let mut all = match self.buf.take() {
            None => df,
            Some(mut b) => {
                b.vstack_mut_owned(df)?;
                b
            }
        };
        while let Some(&size) = self.sizes.last() {
            // The last row group takes whatever is left (at `finish`).
            if self.sizes.len() == 1 || all.height() < size {
                break;
            }
            self.sizes.pop();
            self.write(all.slice(0, size))?;
            all = all.slice(size as i64, usize::MAX);
        }
        self.buf = Some(all);
        Ok(())
    }

    fn write(&mut self, mut group: DataFrame) -> PolarsResult<()> {
        // One chunk: one row group.
        group.rechunk_mut_par();
        self.writer.write_batch(&group)
    }

    fn finish(mut self) -> PolarsResult<()> {
        if let Some(b) = self.buf.take() {
            if b.height() > 0 {
                self.write(b)?;
            }
        }
        self.writer.finish()?;
        Ok(())
    }
}

/// Merges `parts` into the Parquet file `dest`, sorted by `key` (stable: a
/// scenario's rows keep their order), and hands each sorted run of rows to
/// `each`, in order. A k-way merge by windows of `window` ids: the parts
/// that may hold ids of the window are read, their rows below its end are
/// sorted and written, the rest wait for the next window. Memory: the rows
/// of the parts that overlap a window (with N interleaved shards, N parts)
/// and one row group. `dest` is written atomically.
fn merge_parts(
    parts: &[Part],
    key: &str,
    window: u64,
    dest: &Path,
    each: &mut dyn FnMut(&DataFrame) -> Result<(), SweepError>,
) -> Result<(), SweepError> {
    let empty = read_part(&parts[0].path, None)?.clear();
    let mut order: Vec<(u64, &Path)> = parts
        .iter()
        .filter_map(|p| Some((p.min?, p.path.as_path())))
        .collect();
    // Name order among parts with the same lower bound.
    order.sort_by_key(|p| p.0);
    let mut file = AtomicFile::create(dest, true)?;
    let rows = parts.iter().map(|p| p.rows).sum();
    let mut out = RowGroups::new(file.file(), empty.schema(), rows)?;
    let mut pending: Option<DataFrame> = None;
    let mut next = 0;
    let mut lo = 0;
    // The largest id written so far.
    let mut last: Option<u64> = None;
    while next < order.len() || pending.is_some() {
        if pending.is_none() {
            lo = lo.max(order[next].0);
        }
        let hi = lo.saturating_add(window.max(1));
        let end = next + order[next..].iter().take_while(|p| p.0 < hi).count();
        let files: Vec<PathBuf> = order[next..end].iter().map(|p| p.1.to_path_buf()).collect();
        next = end;
        for_each_part(&files, None, &mut |_, df| {
            match pending.as_mut() {
                None => pending = Some(df),
                Some(p) => {
                    p.vstack_mut_owned(df)?;
                }
            }
            Ok(())
        })?;
        if let Some(p) = pending.take() {
            let keys = p.column(key)?.u64()?;
            if keys.null_count() > 0 {
                return Err(SweepError::Internal(format!(
                    "{}: a part has rows without a {key} id",
                    dest.display()
                )));
            }
            let below: BooleanChunked = keys.lt(hi);
            let ready = p.filter(&below)?;
            let rest = p.filter(&!&below)?;
            drop(p);
            if ready.height() > 0 {
                let ready = ready.sort(
                    [key],
                    SortMultipleOptions::default().with_maintain_order(true),
                )?;
                let keys = ready.column(key)?.u64()?;
                // A part whose rows lie below its batch's smallest scenario id
                // would come too late: refuse rather than write it unsorted.
                if keys.min() < last {
                    return Err(SweepError::Internal(format!(
                        "{}: the {key} ids of the parts are not where their batches say",
                        dest.display()
                    )));
                }
                last = keys.max().or(last);
                each(&ready)?;
                out.push(ready)?;
            }
            if rest.height() > 0 {
                if hi == u64::MAX {
                    return Err(SweepError::Internal(format!(
                        "{}: {key} ids beyond the last window",
                        dest.display()
                    )));
                }
                pending = Some(rest);
            }
        }
        lo = hi;
    }
    out.finish()?;
    file.commit()?;
    Ok(())
}

/// The values of an integer column in a group, as counts per value: the
/// mean and quantiles Polars would compute from the values themselves, in
/// memory that does not grow with the number of rows.
#[derive(Default)]
struct Hist {
    counts: HashMap<u64, u64>,
    n: u64,
    sum: u128,
}

impl Hist {
    fn add(&mut self, v: u64) {
        *self.counts.entry(v).or_insert(0) += 1;
        self.n += 1;
        self.sum += v as u128;
    }

    /// The mean (exact: the sum of whole numbers is exact in f64 below 2^53,
    /// as Polars' Kahan sum of the same values).
    fn mean(&self) -> Option<f64> {
        (self.n > 0).then(|| self.sum as f64 / self.n as f64)
    }

    /// The share of values ≥ `c`.
    fn share_ge(&self, c: u64) -> Option<f64> {
        let k: u64 = self
            .counts
            .iter()
            .filter(|(v, _)| **v >= c)
            .map(|(_, n)| n)
            .sum();
        (self.n > 0).then(|| k as f64 / self.n as f64)
    }

    /// The values sorted, with their counts.
    fn sorted(&self) -> Vec<(u64, u64)> {
        let mut v: Vec<(u64, u64)> = self.counts.iter().map(|(k, n)| (*k, *n)).collect();
        v.sort_unstable();
        v
    }

    /// Quantile `q` with linear interpolation between order statistics, as
    /// Polars' `QuantileMethod::Linear` (numpy's default) computes it.
    fn quantile(sorted: &[(u64, u64)], n: u64, q: f64) -> Option<f64> {
        let at = |rank: u64| {
            let mut seen = 0;
            for (v, c) in sorted {
                seen += c;
                if rank < seen {
                    return *v as f64;
                }
            }
            sorted.last().map(|x| x.0 as f64).unwrap_or(f64::NAN)
        };
        match n {
            0 => None,
            1 => Some(at(0)),
            _ => {
                let float_idx = (n as f64 - 1.0) * q;
                let idx = (float_idx as u64).min(n - 1);
                let top = float_idx.ceil() as u64;
                let lower = at(idx);
                if idx == top {
                    return Some(lower);
                }
                let upper = at(idx + 1);
                Some(if lower == upper {
                    lower
                } else {
                    (float_idx - idx as f64) * (upper - lower) + lower
                })
            }
        }
    }

    /// Mean, p10, p50, p90.
    fn stats(&self) -> [Option<f64>; 4] {
        let s = self.sorted();
        [
            self.mean(),
            Hist::quantile(&s, self.n, 0.1),
            Hist::quantile(&s, self.n, 0.5),
            Hist::quantile(&s, self.n, 0.9),
        ]
    }
}

/// Groups numbered in the order they first appear (as `group_by_stable`).
#[derive(Default)]
struct Groups {
    index: HashMap<String, HashMap<String, usize>>,
    keys: Vec<(String, String)>,
}

impl Groups {
    fn of(&mut self, a: &str, b: &str) -> usize {
        if let Some(i) = self.index.get(a).and_then(|m| m.get(b)) {
            return *i;
        }
        let i = self.keys.len();
        self.index
            .entry(a.to_string())
            .or_default()
            .insert(b.to_string(), i);
        self.keys.push((a.to_string(), b.to_string()));
        i
    }
}

fn u64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<u64>>> {
    Ok(df.column(name)?.u64()?.iter().collect())
}

/// What the scenario parts say, read before anything is written.
struct ScenarioFacts {
    statuses: Vec<(String, usize)>,
    /// Per scenario id: whether it has a plan (optimal or feasible).
    has_plan: Vec<bool>,
    /// Per scenario id, when the regret needs it: `sites_cost_cny`.
    sites_cost: Vec<Option<f64>>,
    /// Per batch (the part's name after `scenarios`): its smallest id.
    batch_min: HashMap<String, Option<u64>>,
    /// The merge's window: [`WINDOW`] or the median span of a part's ids.
    window: u64,
    parts: Vec<Part>,
}

/// Reads the id, status (and, for the regret, sites_cost_cny) columns of
/// every scenario part and checks that they hold every id once.
fn scenario_facts(
    parts_dir: &Path,
    expected: usize,
    with_cost: bool,
) -> Result<ScenarioFacts, SweepError> {
    let files = part_files(parts_dir, "scenarios")?;
    let names = ["optimal", "feasible", "infeasible", "no_plan", "error"];
    let mut counts = [0usize; 5];
    let mut seen = vec![false; expected];
    let mut has_plan = vec![false; expected];
    let mut sites_cost = if with_cost {
        vec![None; expected]
    } else {
        Vec::new()
    };
    let (mut rows, mut bad) = (0usize, false);
    let mut parts = Vec::with_capacity(files.len());
    let mut batch_min = HashMap::new();
    let mut spans: Vec<u64> = Vec::with_capacity(files.len());
    let columns: &[&str] = if with_cost {
        &["id", "status", "sites_cost_cny"]
    } else {
        &["id", "status"]
    };
    for_each_part(&files, Some(columns), &mut |i, df| {
        let ids = u64s(&df, "id")?;
        let status = strs(&df, "status")?;
        let cost = if with_cost {
            f64s(&df, "sites_cost_cny")?
        } else {
            Vec::new()
        };
        let min = ids.iter().flatten().min().copied();
        if let (Some(lo), Some(hi)) = (min, ids.iter().flatten().max()) {
            spans.push((hi - lo).saturating_add(1));
        }
        let name = files[i]
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(b) = name.strip_prefix("scenarios") {
            batch_min.insert(b.to_string(), min);
        }
        parts.push(Part {
            path: files[i].clone(),
            min,
            rows: df.height(),
        });
        for (r, id) in ids.iter().enumerate() {
            let Some(id) = id.map(|x| x as usize) else {
                continue;
            };
            rows += 1;
            if id >= expected || seen[id] {
                bad = true;
                continue;
            }
            seen[id] = true;
            let st = status[r].as_deref();
            if let Some(k) = names.iter().position(|n| Some(*n) == st) {
                counts[k] += 1;
            }
            has_plan[id] = matches!(st, Some("optimal" | "feasible"));
            if with_cost {
                sites_cost[id] = cost[r];
            }
        }
        Ok(())
    })?;
    if bad || rows != expected {
        return Err(SweepError::Internal(format!(
            "the parts hold {rows} scenario rows, not ids 0 to {} once each",
            expected.saturating_sub(1)
        )));
    }
    let mut statuses: Vec<(String, usize)> = names
        .iter()
        .zip(counts)
        .map(|(s, n)| (s.to_string(), n))
        .collect();
    statuses.retain(|(s, n)| *n > 0 || s == "optimal" || s == "infeasible");
    Ok(ScenarioFacts {
        statuses,
        has_plan,
        sites_cost,
        batch_min,
        window: WINDOW.max(median(&mut spans)),
        parts,
    })
}

/// The median of `v` (the upper one of an even count; 0 when empty).
fn median(v: &mut [u64]) -> u64 {
    if v.is_empty() {
        return 0;
    }
    let mid = v.len() / 2;
    *v.select_nth_unstable(mid).1
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

fn put(out: &Path, name: &str, bytes: &[u8]) -> Result<(), SweepError> {
    Ok(write_file_atomic(&out.join(name), bytes, true)?)
}

/// The robust statistics of regions.parquet, gathered as its rows stream
/// by: per (level, id), in the order they first appear, the row count and
/// the counts per value of `cards_total` and each `cards_<accelerator>`.
struct RegionStats {
    /// `cards_total` first, then the accelerator columns.
    columns: Vec<String>,
    groups: Groups,
    n: Vec<u64>,
    hist: Vec<Vec<Hist>>,
}

impl RegionStats {
    fn add(&mut self, df: &DataFrame) -> PolarsResult<()> {
        let level = df.column("level")?.str()?;
        let id = df.column("id")?.str()?;
        let cols = self
            .columns
            .iter()
            .map(|c| df.column(c)?.cast(&DataType::UInt64))
            .collect::<PolarsResult<Vec<_>>>()?;
        let cols = cols
            .iter()
            .map(|c| c.u64().cloned())
            .collect::<PolarsResult<Vec<_>>>()?;
        let values: Vec<Vec<Option<u64>>> = cols.iter().map(|c| c.iter().collect()).collect();
        for (r, (l, i)) in level.iter().zip(id.iter()).enumerate() {
            let g = self.groups.of(l.unwrap_or(""), i.unwrap_or(""));
            if g == self.n.len() {
                self.n.push(0);
                self.hist
                    .push((0..self.columns.len()).map(|_| Hist::default()).collect());
            }
            self.n[g] += 1;
            for (c, v) in values.iter().enumerate() {
                if let Some(v) = v[r] {
                    self.hist[g][c].add(v);
                }
            }
        }
        Ok(())
    }
}

/// The statistics of sites.parquet, gathered as its rows stream by (per
/// site in the order they first appear), and each scenario's plan.
struct SiteStats {
    groups: Groups,
    n: Vec<u64>,
    built: Vec<u64>,
    cards: Vec<Hist>,
    /// Per site: built rows per cooling, in the order they first appear.
    coolings: Vec<Vec<(String, u64)>>,
    /// The plan of the scenario being read: (scenario, label).
    current: Option<(u64, String)>,
    /// The next scenario id whose plan is not counted yet.
    next_id: u64,
    /// Per plan label: (scenarios with a plan that have it, first such id).
    plans: HashMap<String, (usize, u64)>,
}

impl SiteStats {
    fn new() -> SiteStats {
        SiteStats {
            groups: Groups::default(),
            n: Vec::new(),
            built: Vec::new(),
            cards: Vec::new(),
            coolings: Vec::new(),
            current: None,
            next_id: 0,
            plans: HashMap::new(),
        }
    }

    /// Counts the plan of scenario `id` when it has one.
    fn count(&mut self, has_plan: &[bool], id: u64, plan: &str) {
        if has_plan.get(id as usize) == Some(&true) {
            match self.plans.get_mut(plan) {
                Some(e) => e.0 += 1,
                None => {
                    self.plans.insert(plan.to_string(), (1, id));
                }
            }
        }
    }

    /// Counts the scenarios before `id` not counted yet: none of their
    /// sites is built, their plan is empty.
    fn skip_to(&mut self, has_plan: &[bool], id: u64) {
        // Ids past the sweep (none, once the parts are checked) have no plan.
        for i in self.next_id..id.min(has_plan.len() as u64) {
            self.count(has_plan, i, "");
        }
        self.next_id = self.next_id.max(id);
    }

    /// Counts the plan of scenario `id`, whose rows are all read.
    fn done(&mut self, has_plan: &[bool], id: u64, plan: &str) {
        self.skip_to(has_plan, id);
        if self.next_id == id {
            self.count(has_plan, id, plan);
            self.next_id = id.saturating_add(1);
        }
    }

    fn add(&mut self, df: &DataFrame, has_plan: &[bool]) -> PolarsResult<()> {
        let scenario = df.column("scenario")?.u64()?;
        let site = df.column("site_id")?.str()?;
        let built = df.column("built")?.bool()?;
        let cooling = df.column("cooling")?.str()?;
        let mega = df.column("mega_cluster")?.bool()?;
        let cards = df.column("cards_total")?.cast(&DataType::UInt64)?;
        let cards = cards.u64()?;
        for r in 0..df.height() {
            let s = site.get(r);
            let g = self.groups.of(s.unwrap_or(""), "");
            if g == self.n.len() {
                self.n.push(0);
                self.built.push(0);
                self.cards.push(Hist::default());
                self.coolings.push(Vec::new());
            }
            self.n[g] += 1;
            if let Some(c) = cards.get(r) {
                self.cards[g].add(c);
            }
            let is_built = built.get(r) == Some(true);
            let k = cooling.get(r);
            if is_built {
                self.built[g] += 1;
                if let (Some(_), Some(k)) = (s, k) {
                    match self.coolings[g].iter_mut().find(|(c, _)| c == k) {
                        Some(e) => e.1 += 1,
                        None => self.coolings[g].push((k.to_string(), 1)),
                    }
                }
            }
            let Some(sc) = scenario.get(r) else { continue };
            if let Some((id, plan)) = self.current.take_if(|c| c.0 != sc) {
                self.done(has_plan, id, &plan);
            }
            let plan = &mut self.current.get_or_insert_with(|| (sc, String::new())).1;
            let (true, Some(s), Some(k)) = (is_built, s, k) else {
                continue;
            };
            if !plan.is_empty() {
                plan.push(';');
            }
            plan.push_str(s);
            plan.push(':');
            plan.push_str(k);
            if mega.get(r) == Some(true) {
                plan.push_str("+mega");
            }
        }
        Ok(())
    }

    /// Counts the plans of the last scenario read and of those after it.
    fn finish(&mut self, has_plan: &[bool]) {
        if let Some((id, plan)) = self.current.take() {
            self.done(has_plan, id, &plan);
        }
        self.skip_to(has_plan, has_plan.len() as u64);
    }
}

/// Merges the parts in `parts_dir` into the folder `out` (scenarios,
/// regions and sites .parquet, robust.*, regret.*), each file written
/// atomically; `progress(done, total)` follows the regret evaluation.
///
/// The merge streams: the scenario parts' id and status columns are read
/// first (every id once, or nothing is written), then each table is merged
/// a window of ids at a time ([`merge_parts`]) while its statistics are
/// gathered as counts per value ([`Hist`]); only per-scenario flags (has a
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
    let facts = scenario_facts(parts_dir, expected, opts.regret_plans > 0)?;

    // scenarios.parquet: every id exactly once (checked above).
    merge_parts(
        &facts.parts,
        "id",
        facts.window,
        &out.join("scenarios.parquet"),
        &mut |_| Ok(()),
    )?;

    // regions.parquet and robust.csv.
    let parts = parts_of(parts_dir, "regions", "scenario", &facts.batch_min)?;
    let schema = read_part(&parts[0].path, None)?.clear();
    // The same statistics per accelerator (`cards_<accelerator>` columns).
    let accel_columns: Vec<String> = schema
        .get_column_names()
        .iter()
        .map(|c| c.to_string())
        .filter(|c| c.starts_with("cards_") && c != "cards_total")
        .collect();
    let mut rs = RegionStats {
        columns: std::iter::once("cards_total".to_string())
            .chain(accel_columns.iter().cloned())
            .collect(),
        groups: Groups::default(),
        n: Vec::new(),
        hist: Vec::new(),
    };
    merge_parts(
        &parts,
        "scenario",
        facts.window,
        &out.join("regions.parquet"),
        &mut |df| Ok(rs.add(df)?),
    )?;
    let mut cards_levels: Vec<u64> = opts.thresholds.iter().map(|t| t.cards).collect();
    cards_levels.sort_unstable();
    cards_levels.dedup();
    let height = rs.n.len();
    let (levels, region_ids): (Vec<Option<String>>, Vec<Option<String>>) = rs
        .groups
        .keys
        .iter()
        .map(|(l, i)| (Some(l.clone()), Some(i.clone())))
        .unzip();
    // Per column (cards_total, then each accelerator): mean, p10, p50, p90.
    let col_stats: Vec<Vec<[Option<f64>; 4]>> = (0..rs.columns.len())
        .map(|c| rs.hist.iter().map(|h| h[c].stats()).collect())
        .collect();
    let stat =
        |c: usize, k: usize| -> Vec<Option<f64>> { col_stats[c].iter().map(|s| s[k]).collect() };
    let mut cols = vec![
        Column::new("level".into(), levels.clone()),
        Column::new("id".into(), region_ids.clone()),
        Column::new(
            "n_plans".into(),
            rs.n.iter().map(|n| Some(*n)).collect::<Vec<_>>(),
        ),
        Column::new("n_scenarios".into(), vec![expected as u64; height]),
    ];
    for (k, name) in ["cards_mean", "cards_p10", "cards_p50", "cards_p90"]
        .iter()
        .enumerate()
    {
        cols.push(Column::new(
            (*name).into(),
            stat(0, k)
                .iter()
                .map(|x| x.map(|v| round(v, 1)))
                .collect::<Vec<_>>(),
        ));
    }
    for (c, name) in accel_columns.iter().enumerate() {
        for (k, s) in ["mean", "p10", "p50", "p90"].iter().enumerate() {
            cols.push(Column::new(
                format!("{name}_{s}").into(),
                stat(c + 1, k)
                    .iter()
                    .map(|x| x.map(|v| round(v, 1)))
                    .collect::<Vec<_>>(),
            ));
        }
    }
    let summary_robust: Vec<(String, String, f64, f64, f64, f64)> = (0..height)
        .map(|r| {
            let v = |k: usize| col_stats[0][r][k].unwrap_or(0.0);
            (
                rs.groups.keys[r].0.clone(),
                rs.groups.keys[r].1.clone(),
                v(0),
                v(1),
                v(2),
                v(3),
            )
        })
        .collect();
    // P(cards ≥ c), on the rows of the regions and tiers given that threshold.
    for &c in &cards_levels {
        let values: Vec<Option<f64>> = (0..height)
            .map(|r| {
                let id = rs.groups.keys[r].1.as_str();
                opts.thresholds
                    .iter()
                    .any(|t| t.cards == c && t.id == id)
                    .then(|| rs.hist[r][0].share_ge(c).map(|x| round(x, 6)))
                    .flatten()
            })
            .collect();
        cols.push(Column::new(format!("p_cards_ge_{c}").into(), values));
    }
    drop(rs);
    let robust_csv = crate::export::csv::csv_text(DataFrame::new_infer_height(cols)?)?;
    put(out, "robust.csv", robust_csv.as_bytes())?;

    // sites.parquet, robust.geojson and robust.qml; each scenario's plan.
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
    let mut features = Vec::new();
    for (i, (id, _)) in ss.groups.keys.iter().enumerate() {
        let Some(site) = sweep.base_instance.sites.iter().find(|s| s.id == *id) else {
            continue;
        };
        let site_n = ss.n[i] as f64;
        let p_built = (ss.n[i] > 0).then(|| ss.built[i] as f64 / site_n);
        let built_n = (p_built.unwrap_or(0.0) * site_n).round();
        // The most frequent cooling where built (ties: the earlier in cooling.csv).
        let mut mode: Option<(&str, u64)> = None;
        for (k, n) in &ss.coolings[i] {
            let e = mode.get_or_insert((k.as_str(), 0));
            if *n > e.1 || (*n == e.1 && rank(k) < rank(e.0)) {
                *e = (k.as_str(), *n);
            }
        }
        let (cooling, cooling_n) = match mode {
            Some((k, n)) => (json!(k), json!(round(n as f64 / built_n.max(1.0), 6))),
            None => (serde_json::Value::Null, serde_json::Value::Null),
        };
        let num = |x: Option<f64>, d: i32| {
            x.map(|v| json!(round(v, d)))
                .unwrap_or(serde_json::Value::Null)
        };
        let st = ss.cards[i].stats();
        let mut props = serde_json::Map::new();
        props.insert("site_id".into(), json!(id));
        props.insert("name_en".into(), json!(site.name_en));
        props.insert("name_zh".into(), json!(site.name_zh));
        props.insert("region_id".into(), json!(site.region_id));
        props.insert("n_plans".into(), json!(ss.n[i]));
        props.insert("p_built".into(), num(p_built, 6));
        props.insert("cards_mean".into(), num(st[0], 1));
        props.insert("cards_p10".into(), num(st[1], 1));
        props.insert("cards_p90".into(), num(st[3], 1));
        props.insert("cooling_mode".into(), cooling);
        props.insert("p_cooling_mode".into(), cooling_n);
        features.push(feature(point(site.lon, site.lat), props));
    }
    put(
        out,
        "robust.geojson",
        collection(features, "robust").as_bytes(),
    )?;
    put(
        out,
        "robust.qml",
        crate::export::qml::probability_qml("p_built", "cards_mean").as_bytes(),
    )?;

    // The most frequent plans among the scenarios with a plan.
    let plans_found = ss.plans.len();
    let mut ranked: Vec<(&str, usize, u64)> = ss
        .plans
        .iter()
        .map(|(p, (n, f))| (p.as_str(), *n, *f))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    ranked.truncate(opts.regret_plans);
    let plans: Vec<(String, usize)> = ranked.iter().map(|(p, n, _)| (p.to_string(), *n)).collect();
    // Without plans to evaluate, no scenario is needed.
    let with_plan: Vec<usize> = if plans.is_empty() {
        Vec::new()
    } else {
        (0..expected).filter(|&i| facts.has_plan[i]).collect()
    };
    let (regret, min_max) = regret(
        sweep,
        &with_plan,
        &facts.sites_cost,
        &plans,
        opts,
        out,
        progress,
    )?;
    Ok(Summary {
        scenarios: expected,
        statuses: facts.statuses,
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
    dir: &Path,
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
    put(
        dir,
        "regret.csv",
        crate::export::csv::csv_text(df)?.as_bytes(),
    )?;
    let long = DataFrame::new_infer_height(vec![
        col_u("rank", c_rank),
        col_u("scenario", c_scen),
        col_f("cost_cny", c_cost),
        col_f("reference_cny", c_ref),
        col_f("regret_cny", c_regret),
    ])?;
    put(dir, "regret_costs.parquet", &parquet_bytes(long)?)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What the in-memory merge did: one scan, sorted by `key`, collected.
    fn scan_sorted(files: &[PathBuf], key: &str) -> DataFrame {
        let paths = files
            .iter()
            .map(|f| PlRefPath::try_from_path(f))
            .collect::<PolarsResult<Vec<_>>>()
            .unwrap();
        LazyFrame::scan_parquet_files(paths.into_iter().collect(), Default::default())
            .unwrap()
            .sort(
                [key],
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .collect()
            .unwrap()
    }

    fn write_part(path: &Path, df: DataFrame) {
        std::fs::write(path, parquet_bytes(df).unwrap()).unwrap();
    }

    #[test]
    fn row_groups_as_parquet_writer_cuts_a_frame() {
        assert_eq!(row_group_sizes(0), vec![0]);
        assert_eq!(row_group_sizes(10), vec![10]);
        assert_eq!(row_group_sizes(2 * ROW_GROUP - 1), vec![2 * ROW_GROUP - 1]);
        assert_eq!(
            row_group_sizes(1_400_448),
            vec![280_089, 280_089, 280_089, 280_089, 280_092]
        );
        assert_eq!(row_group_sizes(2 * ROW_GROUP), vec![ROW_GROUP, ROW_GROUP]);
    }

    #[test]
    fn histogram_stats_are_polars_mean_and_linear_quantiles() {
        // Values with repeats and spread, several group sizes.
        let mut x: u64 = 12345;
        for n in [1usize, 2, 3, 7, 10, 11, 64, 257, 1000] {
            let mut h = Hist::default();
            let mut v = Vec::new();
            for _ in 0..n {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let val = (x >> 33) % 50 * 1000 + (x >> 20) % 3;
                h.add(val);
                v.push(val);
            }
            let df = df!("v" => &v).unwrap();
            let c = || col("v").cast(DataType::Float64);
            let want = df
                .lazy()
                .select([
                    c().mean().alias("mean"),
                    c().quantile(lit(0.1), QuantileMethod::Linear).alias("p10"),
                    c().quantile(lit(0.5), QuantileMethod::Linear).alias("p50"),
                    c().quantile(lit(0.9), QuantileMethod::Linear).alias("p90"),
                    c().gt_eq(lit(25_000u64))
                        .cast(DataType::Float64)
                        .mean()
                        .alias("ge"),
                ])
                .collect()
                .unwrap();
            let got = h.stats();
            for (k, name) in ["mean", "p10", "p50", "p90"].iter().enumerate() {
                let w = f64s(&want, name).unwrap()[0];
                assert_eq!(
                    got[k].map(f64::to_bits),
                    w.map(f64::to_bits),
                    "{name} of {n}"
                );
            }
            assert_eq!(h.share_ge(25_000), f64s(&want, "ge").unwrap()[0], "{n}");
        }
    }

    #[test]
    fn interleaved_parts_merge_as_one_sorted_scan() {
        // 5 shards of 1,000 ids in batches of 37 (written out of order within
        // a shard), each id with 0 to 3 rows; files named as shards name them.
        let dir = tempfile::tempdir().unwrap();
        let (n, shards, batch) = (10_000u64, 5u64, 37usize);
        let mut files = Vec::new();
        let mut scenario_min = HashMap::new();
        for s in 0..shards {
            let ids: Vec<u64> = (s..n).step_by(shards as usize).collect();
            let mut chunks: Vec<&[u64]> = ids.chunks(batch).collect();
            chunks.swap(1, 2);
            for (b, chunk) in chunks.iter().enumerate() {
                let (mut key, mut row, mut label) = (Vec::new(), Vec::new(), Vec::new());
                for &id in *chunk {
                    for r in 0..(id % 4) {
                        key.push(id);
                        row.push(r);
                        label.push(format!("s{id}r{r}"));
                    }
                }
                let name = format!("-{s:04}of{shards:04}-{b:06}.parquet");
                let path = dir.path().join(format!("regions{name}"));
                write_part(
                    &path,
                    df!("scenario" => &key, "row" => &row, "label" => &label).unwrap(),
                );
                scenario_min.insert(name, chunk.iter().min().copied());
                files.push(path);
            }
        }
        files.sort();
        let want = scan_sorted(&files, "scenario");
        let parts = parts_of(dir.path(), "regions", "scenario", &scenario_min).unwrap();
        let dest = dir.path().join("merged.parquet");
        let mut seen = 0;
        let mut last = 0;
        merge_parts(&parts, "scenario", WINDOW, &dest, &mut |df| {
            let k = df.column("scenario")?.u64()?;
            assert!(k.min().unwrap() >= last);
            last = k.max().unwrap();
            seen += df.height();
            Ok(())
        })
        .unwrap();
        let got = ParquetReader::new(std::fs::File::open(&dest).unwrap())
            .finish()
            .unwrap();
        assert_eq!(seen, want.height());
        assert!(got.equals_missing(&want));
        // Byte for byte what ParquetWriter makes of the sorted frame.
        assert!(std::fs::read(&dest).unwrap() == parquet_bytes(want).unwrap());
        // Without the batches' lower bounds the parts' own ids are read.
        let parts = parts_of(dir.path(), "regions", "scenario", &HashMap::new()).unwrap();
        let dest2 = dir.path().join("merged2.parquet");
        merge_parts(&parts, "scenario", WINDOW, &dest2, &mut |_| Ok(())).unwrap();
        assert!(std::fs::read(&dest).unwrap() == std::fs::read(&dest2).unwrap());
        // Windows narrower than a part: rows wait for later windows.
        for window in [1, 50, 1000] {
            merge_parts(&parts, "scenario", window, &dest2, &mut |_| Ok(())).unwrap();
            assert!(
                std::fs::read(&dest).unwrap() == std::fs::read(&dest2).unwrap(),
                "window {window}"
            );
        }
        // No staging file is left behind.
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".dcsite-tmp-"))
            .collect();
        assert!(left.is_empty());
    }

    #[test]
    fn a_failed_merge_leaves_the_destination_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("regions-0000of0001-000000.parquet");
        write_part(&path, df!("scenario" => &[3u64, 4, 5]).unwrap());
        let dest = dir.path().join("merged.parquet");
        std::fs::write(&dest, b"old").unwrap();
        // A lower bound above the part's ids: caught, nothing replaced.
        let parts = vec![
            Part {
                path: path.clone(),
                min: Some(0),
                rows: 3,
            },
            Part {
                path: path.clone(),
                min: Some(5000),
                rows: 3,
            },
        ];
        let err = merge_parts(&parts, "scenario", WINDOW, &dest, &mut |_| Ok(())).unwrap_err();
        assert!(
            err.to_string().contains("not where their batches say"),
            "{err}"
        );
        assert_eq!(std::fs::read(&dest).unwrap(), b"old");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}
