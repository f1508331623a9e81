//! The part files as a collect reads them: listed by kind, read a few at a
//! time in parallel, each with a lower bound of its ids; and what the
//! scenario parts say, checked before anything is written (every scenario
//! id exactly once).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::study::sweep::error::SweepError;

/// The part files of `kind` in `dir`, sorted by name.
pub(super) fn part_files(dir: &Path, kind: &str) -> Result<Vec<PathBuf>, SweepError> {
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

/// Rows merged at a time, about: a table's window of scenario ids holds
/// this many rows on average, so that what a merge holds (the window's rows,
/// sorted, and its CSV text) does not grow with the sweep. A sweep of the
/// small set's 25 sites merges its sites 655 scenarios at a time, one of
/// the national set's 125 sites 131 at a time.
pub(super) const WINDOW_ROWS: u64 = 1 << 14;

/// The merge's window of a table of `rows` rows over `ids` scenario ids,
/// whose parts span `span` ids each (the median): ids of about
/// [`WINDOW_ROWS`] rows, and never narrower than a part, so that a row
/// waits for one or two windows, not for many (with interleaved shards a
/// part spans batch size × shards ids, and every shard's part is read at
/// once).
pub(super) fn window(rows: usize, ids: usize, span: u64) -> u64 {
    let per_id = (rows as u64).div_ceil(ids.max(1) as u64).max(1);
    (WINDOW_ROWS / per_id).max(span).max(1)
}

/// Part files read at once (in parallel).
const READ_AHEAD: usize = 64;

/// One part file: its path, a lower bound of the ids in it (`None`: it has
/// no rows) and its number of rows.
pub(super) struct Part {
    pub(super) path: PathBuf,
    pub(super) min: Option<u64>,
    pub(super) rows: usize,
}

pub(super) fn read_part(path: &Path, columns: Option<&[&str]>) -> Result<DataFrame, SweepError> {
    let file = std::fs::File::open(path)
        .map_err(|e| SweepError::Internal(format!("reading {}: {e}", path.display())))?;
    let reader = ParquetReader::new(file)
        .read_parallel(ParallelStrategy::None)
        .with_columns(columns.map(|c| c.iter().map(|s| s.to_string()).collect()));
    Ok(reader.finish()?)
}

/// Reads `files` (only `columns`, or every column) [`READ_AHEAD`] at a time
/// in parallel and hands each frame to `each` in the order of `files`.
pub(super) fn for_each_part(
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
pub(super) fn parts_of(
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

pub(super) fn u64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<u64>>> {
    Ok(df.column(name)?.u64()?.iter().collect())
}

/// What the scenario parts say, read before anything is written.
pub(super) struct ScenarioFacts {
    pub(super) statuses: Vec<(String, usize)>,
    /// The same per arm.
    pub(super) arm_statuses: Vec<Vec<(String, usize)>>,
    /// Per scenario id: whether it has a plan (optimal or feasible).
    pub(super) has_plan: Vec<bool>,
    /// Per scenario id, when the regret needs it: `sites_cost_cny`.
    pub(super) sites_cost: Vec<Option<f64>>,
    /// Per batch (the part's name after `scenarios`): its smallest id.
    pub(super) batch_min: HashMap<String, Option<u64>>,
    /// The median span of a part's ids (the merge's narrowest window).
    pub(super) span: u64,
    pub(super) parts: Vec<Part>,
}

/// The statuses a scenario row may have, in the order sweep.json counts them.
const STATUSES: [&str; 5] = ["optimal", "feasible", "infeasible", "no_plan", "error"];

/// Reads the id, status (and, for the regret, sites_cost_cny) columns of
/// every scenario part and checks that they hold every id once; statuses
/// are counted per arm of `samples` ids.
pub(super) fn scenario_facts(
    parts_dir: &Path,
    expected: usize,
    samples: usize,
    with_cost: bool,
) -> Result<ScenarioFacts, SweepError> {
    let files = part_files(parts_dir, "scenarios")?;
    let mut tally = Tally::new(expected, with_cost, files.len());
    tally.samples = samples.max(1);
    tally.counts = vec![[0; 5]; expected.div_ceil(tally.samples)];
    let columns: &[&str] = if with_cost {
        &["scenario_id", "status", "sites_cost_cny"]
    } else {
        &["scenario_id", "status"]
    };
    for_each_part(&files, Some(columns), &mut |i, df| {
        tally.add(&files[i], &df)
    })?;
    tally.finish()
}

/// What [`scenario_facts`] gathers as the scenario parts go by.
struct Tally {
    expected: usize,
    with_cost: bool,
    /// Scenarios per arm.
    samples: usize,
    /// Per arm, rows per status of [`STATUSES`].
    counts: Vec<[usize; 5]>,
    seen: Vec<bool>,
    has_plan: Vec<bool>,
    sites_cost: Vec<Option<f64>>,
    rows: usize,
    /// An id out of range or seen twice.
    bad: bool,
    parts: Vec<Part>,
    batch_min: HashMap<String, Option<u64>>,
    /// Per part with rows: the span of its ids.
    spans: Vec<u64>,
}

impl Tally {
    fn new(expected: usize, with_cost: bool, files: usize) -> Tally {
        Tally {
            expected,
            with_cost,
            samples: 1,
            counts: Vec::new(),
            seen: vec![false; expected],
            has_plan: vec![false; expected],
            sites_cost: if with_cost {
                vec![None; expected]
            } else {
                Vec::new()
            },
            rows: 0,
            bad: false,
            parts: Vec::with_capacity(files),
            batch_min: HashMap::new(),
            spans: Vec::with_capacity(files),
        }
    }

    /// Takes in the frame of the scenario part at `path`.
    fn add(&mut self, path: &Path, df: &DataFrame) -> Result<(), SweepError> {
        let ids = u64s(df, "scenario_id")?;
        let status = strs(df, "status")?;
        let cost = if self.with_cost {
            f64s(df, "sites_cost_cny")?
        } else {
            Vec::new()
        };
        let min = ids.iter().flatten().min().copied();
        if let (Some(lo), Some(hi)) = (min, ids.iter().flatten().max()) {
            self.spans.push((hi - lo).saturating_add(1));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(b) = name.strip_prefix("scenarios") {
            self.batch_min.insert(b.to_string(), min);
        }
        self.parts.push(Part {
            path: path.to_path_buf(),
            min,
            rows: df.height(),
        });
        for (r, id) in ids.iter().enumerate() {
            let Some(id) = id.map(|x| x as usize) else {
                continue;
            };
            self.rows += 1;
            if id >= self.expected || self.seen[id] {
                self.bad = true;
                continue;
            }
            self.seen[id] = true;
            let st = status[r].as_deref();
            if let Some(k) = STATUSES.iter().position(|n| Some(*n) == st) {
                self.counts[id / self.samples][k] += 1;
            }
            self.has_plan[id] = matches!(st, Some("optimal" | "feasible"));
            if self.with_cost {
                self.sites_cost[id] = cost[r];
            }
        }
        Ok(())
    }

    /// The facts, once every part is read and every id was found once.
    fn finish(mut self) -> Result<ScenarioFacts, SweepError> {
        let (rows, expected) = (self.rows, self.expected);
        if self.bad || rows != expected {
            return Err(SweepError::Internal(format!(
                "the parts hold {rows} scenario rows, not ids 0 to {} once each",
                expected.saturating_sub(1)
            )));
        }
        let mut all = [0usize; 5];
        for arm in &self.counts {
            for (a, n) in all.iter_mut().zip(arm) {
                *a += n;
            }
        }
        Ok(ScenarioFacts {
            statuses: named(&all),
            arm_statuses: self.counts.iter().map(named).collect(),
            has_plan: self.has_plan,
            sites_cost: self.sites_cost,
            batch_min: self.batch_min,
            span: median(&mut self.spans),
            parts: self.parts,
        })
    }
}

/// Counts per status by name: the statuses that occur, and always
/// `optimal` and `infeasible`.
fn named(counts: &[usize; 5]) -> Vec<(String, usize)> {
    let mut statuses: Vec<(String, usize)> = STATUSES
        .iter()
        .zip(counts)
        .map(|(s, n)| (s.to_string(), *n))
        .collect();
    statuses.retain(|(s, n)| *n > 0 || s == "optimal" || s == "infeasible");
    statuses
}

/// The median of `v` (the upper one of an even count; 0 when empty).
fn median(v: &mut [u64]) -> u64 {
    if v.is_empty() {
        return 0;
    }
    let mid = v.len() / 2;
    *v.select_nth_unstable(mid).1
}

pub(super) fn f64s(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    Ok(df
        .column(name)?
        .cast(&DataType::Float64)?
        .f64()?
        .iter()
        .collect())
}

pub(super) fn strs(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|s| s.map(str::to_string))
        .collect())
}
