//! The sweep file: a base scenario, what varies and how, and the draw of
//! every scenario of the sweep.
//!
//! ```toml
//! base = "../baseline.toml"          # relative to this file
//! samples = 500                       # draws of the random keys
//! seed = 1
//! sampling = "lhs"                    # Latin hypercube; default "monte_carlo"
//! [vary]
//! "electricity_prices.*.price_cny_per_kwh" = { dist = "uniform", from_columns = ["low", "high"] }
//! "parameters.domestic_share" = { grid = [0.15, 0.20] }
//! ```
//!
//! Scenario ids run from 0 to `grid points × samples − 1`; scenario `id` is
//! grid point `id / samples` (the grid keys in the order of `[vary]`, the
//! last fastest) with sample `id % samples`. A sample's random values depend
//! only on (seed, sample index): every grid point sees the same draws (common
//! random numbers, so grid points differ by their grid values alone), and any
//! subset of ids (a shard) is drawn alone, the same as in a whole run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::data::problem::{shown, Problem, Problems};
use crate::data::schema::{self, Column, Kind};
use crate::data::{load_from_raw, read_raw_tables, RawTables, Scenario};
use crate::domain::Instance;

/// How the random keys are sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// Independent uniform draws per key and sample.
    MonteCarlo,
    /// Latin hypercube: each key's range cut into `samples` strata of equal
    /// probability, each stratum used by exactly one sample.
    LatinHypercube,
}

impl Sampling {
    pub fn as_str(self) -> &'static str {
        match self {
            Sampling::MonteCarlo => "monte_carlo",
            Sampling::LatinHypercube => "lhs",
        }
    }
}

/// How one key varies.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    /// Every value, in turn (a full factorial with the other grid keys).
    Grid(Vec<toml::Value>),
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    /// Normal, truncated to `[lo, hi]` (the range of the key's schema).
    Normal {
        mean: f64,
        sd: f64,
        lo: f64,
        hi: f64,
    },
}

/// Where a varied value is written.
#[derive(Debug, Clone, PartialEq)]
enum Target {
    /// A scenario key, by its dotted parts.
    Scenario(Vec<String>),
    /// `[set] "<table>.<row>.<column>"`.
    Cell(String),
    /// A column of the `[[subsidies]]` entry of a programme; `entry` (the
    /// base's) is added to a scenario file of an `extends` grid that lacks it.
    Subsidy {
        programme: String,
        column: String,
        entry: toml::Table,
    },
    /// `extends`: the scenario file each grid value names (relative to the
    /// sweep file) replaces the base, the other keys applied on top.
    Extends,
    /// `tables.<t>`: the table file each grid value names (relative to the
    /// sweep file), by its slot in [`TABLE_KEYS`].
    Table(usize),
}

/// One varied value of every scenario (a wildcard key gives one per row).
#[derive(Debug, Clone)]
pub struct Dim {
    /// The concrete key, e.g. `electricity_prices.ningxia.price_cny_per_kwh`:
    /// its column name in scenarios.parquet.
    pub key: String,
    /// The key as the sweep file writes it (maybe with `*`).
    pub vary_key: String,
    pub dist: Dist,
    /// Whole numbers only (drawn values are rounded).
    integer: bool,
    target: Target,
}

impl Dim {
    pub fn is_grid(&self) -> bool {
        matches!(self.dist, Dist::Grid(_))
    }
    /// Whether its values are text (a grid of strings).
    pub fn is_text(&self) -> bool {
        matches!(&self.dist, Dist::Grid(v) if v.first().is_some_and(|x| x.is_str()))
    }
}

/// A loaded sweep.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub path: PathBuf,
    /// The base scenario (with a `[[subsidies]]` entry added for a varied
    /// programme of another subsidy scenario of the table).
    pub base: Scenario,
    /// The base scenario's instance: the ids, names and coordinates the
    /// outputs use (a sweep changes values, never rows).
    pub base_instance: Instance,
    pub raw: RawTables,
    pub samples: usize,
    pub seed: u64,
    pub sampling: Sampling,
    pub dims: Vec<Dim>,
    /// Grid points (product of the grid sizes; 1 without grid keys).
    pub grid_points: usize,
    /// Line of each `[vary]` key in the sweep file.
    lines: BTreeMap<String, usize>,
    /// The folder of the sweep file: what `extends` and `tables.<t>` values
    /// are relative to.
    dir: PathBuf,
    /// The scenario file of each value of an `extends` grid, as written.
    extends: BTreeMap<String, Scenario>,
    /// Every table file a scenario may name besides the base's (`tables.<t>`
    /// values and the tables of `extends` files), read and checked once, by
    /// slot of [`TABLE_KEYS`] and path as the scenario names it.
    other_tables: BTreeMap<(usize, PathBuf), crate::data::table::RawTable>,
}

/// Most scenarios a sweep may have.
pub const MAX_SCENARIOS: usize = 10_000_000;

/// The keys of `[tables]` a `tables.<t>` grid may vary: the seven tables
/// (slots 0-6, as [`TABLES`]) and the optional planning clusters (slot 7).
const TABLE_KEYS: [&str; 8] = [
    "regions",
    "sites",
    "electricity_prices",
    "subsidies",
    "demand",
    "accelerators",
    "cooling",
    "clusters",
];

/// The base's table names, in the order of `Scenario::tables`' `iter()`.
const TABLES: &[&str] = TABLE_KEYS.split_at(7).0;

/// The schema of the table in `slot` of [`TABLE_KEYS`].
fn table_schema(slot: usize) -> &'static schema::Table {
    [
        &schema::REGIONS,
        &schema::SITES,
        &schema::ELECTRICITY_PRICES,
        &schema::SUBSIDIES,
        &schema::DEMAND,
        &schema::ACCELERATORS,
        &schema::COOLING,
        &schema::CLUSTERS,
    ][slot]
}

/// The table paths of a scenario by slot of [`TABLE_KEYS`].
fn table_paths(sc: &Scenario) -> [Option<&Path>; 8] {
    let t = sc.tables.iter();
    [
        Some(t[0].1),
        Some(t[1].1),
        Some(t[2].1),
        Some(t[3].1),
        Some(t[4].1),
        Some(t[5].1),
        Some(t[6].1),
        sc.tables.clusters.as_deref(),
    ]
}

/// The line of `"key" = …` inside the `[vary]` section of `text`.
fn vary_line(text: &str, key: &str) -> Option<usize> {
    let quoted = [format!("\"{key}\""), format!("'{key}'"), key.to_string()];
    let mut in_vary = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('[') {
            in_vary = line.starts_with("[vary]");
            continue;
        }
        if let Some((lhs, _)) = line.split_once('=') {
            let lhs = lhs.trim();
            if in_vary && quoted.iter().any(|q| lhs == q) {
                return Some(i + 1);
            }
        }
    }
    None
}

fn top_line(text: &str, key: &str) -> Option<usize> {
    crate::data::scenario::key_line(text, key)
}

fn number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Float(x) => Some(*x),
        toml::Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

/// The schema column that holds the range of a scenario key, if numeric.
fn scenario_column(key: &str) -> Option<&'static Column> {
    let parts: Vec<&str> = key.split('.').collect();
    let doc = match parts.as_slice() {
        ["bounds", "region" | "tier", _, leaf] => format!("bounds.<region or tier>.{leaf}"),
        _ => key.to_string(),
    };
    let doc_parts: Vec<&str> = doc.split('.').collect();
    schema::SCENARIO_NUMBERS.iter().find(|c| {
        let want: Vec<&str> = c.name.split('.').collect();
        want.len() == doc_parts.len()
            && want
                .iter()
                .zip(&doc_parts)
                .all(|(w, d)| w.starts_with('<') || w == d)
    })
}

/// Reads a sweep file and its base scenario and tables, and checks every key,
/// distribution and drawn value (every scenario of the sweep is drawn and
/// loaded as a scenario would be). Problems name the sweep file and key.
pub fn load_sweep(path: &Path) -> Result<Sweep, Problems> {
    let sweep = read_sweep(path)?;
    sweep.check_ids(&(0..sweep.len()).collect::<Vec<_>>())?;
    Ok(sweep)
}

/// [`load_sweep`] without drawing any scenario: the sweep file, its base,
/// the scenario files of an `extends` grid and the table files of
/// `tables.<t>` grids (each read and checked once), every key, and each
/// distribution's support and each number of a grid against the key's schema
/// range. Its cost does not depend on the number of scenarios. For `collect`
/// (whose shards checked their scenarios from inputs with the same hashes),
/// `sweep plan` and a shard, which then check [`Sweep::probe_ids`] and their
/// own scenarios with [`Sweep::check_ids`].
pub fn read_sweep(path: &Path) -> Result<Sweep, Problems> {
    let (text, table) = parse_sweep_file(path)?;
    read_sweep_table(path, text, table)
}

/// [`read_sweep`] of a sweep given as text (`dcsite offer` makes one in
/// memory for a scenario); `path` names it in problems, and its folder is
/// what `base` and other files are relative to.
pub fn read_sweep_text(path: &Path, text: &str) -> Result<Sweep, Problems> {
    match text.parse::<toml::Table>() {
        Ok(table) => read_sweep_table(path, text.to_string(), table),
        Err(e) => Err(Problems(vec![Problem::new(
            path,
            None,
            None,
            "valid TOML",
            e.message().to_string(),
        )])),
    }
}

fn read_sweep_table(path: &Path, text: String, table: toml::Table) -> Result<Sweep, Problems> {
    let mut p = Problems::default();
    let src = Source { path, text: &text };
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let head = read_head(&src, &table, &dir, &mut p);
    let Some(base_path) = head.base_path else {
        return Err(p);
    };
    if !base_path.exists() {
        src.key_problem(
            &mut p,
            "base",
            "an existing scenario file",
            format!("no file {}", base_path.display()),
        );
        return Err(p);
    }
    // The base must load cleanly on its own: its problems are its own.
    let mut base = crate::data::load_scenario(&base_path)?;
    let raw = read_raw_tables(&base)?;
    let (base_instance, _) = load_from_raw(&base, raw.clone())?;

    let lines: BTreeMap<String, usize> = head
        .vary
        .keys()
        .filter_map(|k| vary_line(&text, k).map(|l| (k.clone(), l)))
        .collect();
    let mut dims = Vec::new();
    for (k, spec) in &head.vary {
        match resolve(k, spec, &mut base, &raw) {
            Ok(mut d) => dims.append(&mut d),
            Err((expected, found)) => p.push(Problem::new(
                path,
                lines.get(k).copied(),
                Some(&format!("vary.{}", shown(k))),
                expected,
                found,
            )),
        }
    }
    let random = dims.iter().filter(|d| !d.is_grid()).count();
    let samples = match (head.samples, random) {
        (Some(n), _) => n as usize,
        (None, 0) => 1,
        (None, _) => {
            p.push(Problem::new(
                path,
                None,
                Some("samples"),
                "samples = <draws> (there are random keys in [vary])",
                "no samples",
            ));
            1
        }
    };
    if !p.is_empty() {
        return Err(p);
    }
    let grid_points = grid_points(&src, &dims, samples)?;
    check_overlaps(path, &dims, &lines)?;
    let (extends, other_tables) = read_alternatives(path, &dir, &dims, &lines, &base)?;
    let sweep = Sweep {
        path: path.to_path_buf(),
        base,
        base_instance,
        raw,
        samples,
        seed: head.seed,
        sampling: head.sampling,
        dims,
        grid_points,
        lines,
        dir,
        extends,
        other_tables,
    };
    Ok(sweep)
}

/// A sweep file's text (without a byte-order mark) and its TOML table.
fn parse_sweep_file(path: &Path) -> Result<(String, toml::Table), Problems> {
    let mut p = Problems::default();
    let bytes = match crate::data::file::read_regular(
        path,
        crate::data::file::MAX_SCENARIO_BYTES,
        "sweep file",
        "",
    ) {
        Ok(b) => b,
        Err((expected, found)) => {
            p.push(Problem::new(path, None, None, expected, found));
            return Err(p);
        }
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
    match text.parse() {
        Ok(t) => Ok((text, t)),
        Err(e) => {
            let e: toml::de::Error = e;
            let line = e
                .span()
                .map(|s| text.get(..s.start).unwrap_or(&text).matches('\n').count() + 1);
            p.push(Problem::new(
                path,
                line,
                None,
                "valid TOML",
                e.message().to_string(),
            ));
            Err(p)
        }
    }
}

/// A sweep file's text, for problems that name a top-level key and its line.
struct Source<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Source<'_> {
    fn key_problem(&self, p: &mut Problems, key: &str, expected: &str, found: String) {
        p.push(Problem::new(
            self.path,
            top_line(self.text, key),
            Some(key),
            expected,
            found,
        ))
    }
}

/// The top-level keys of a sweep file but `[vary]`'s contents.
struct Head {
    /// `None` when there is no usable base (a problem says why).
    base_path: Option<PathBuf>,
    samples: Option<i64>,
    seed: u64,
    sampling: Sampling,
    vary: toml::Table,
}

/// Reads the top-level keys (problems go to `p`): no unknown key, the base
/// (or the first file of an `extends` grid), samples, seed, sampling and a
/// non-empty `[vary]`.
fn read_head(src: &Source, table: &toml::Table, dir: &Path, p: &mut Problems) -> Head {
    const KEYS: [&str; 5] = ["base", "samples", "seed", "sampling", "vary"];
    for k in table.keys() {
        if !KEYS.contains(&k.as_str()) {
            let hint = crate::data::scenario::did_you_mean(k, KEYS)
                .map(|h| format!(" (did you mean {h}?)"))
                .unwrap_or_default();
            src.key_problem(
                p,
                k,
                "a sweep key (base, samples, seed, sampling, vary)",
                format!("unknown key {}{hint}", shown(k)),
            );
        }
    }
    let base_path = base_path(src, table, dir, p);
    let samples = whole(src, table, p, "samples", 1, MAX_SCENARIOS as i64);
    let seed = whole(src, table, p, "seed", 0, i64::MAX).unwrap_or(0) as u64;
    let sampling = match table.get("sampling") {
        None => Sampling::MonteCarlo,
        Some(toml::Value::String(s)) if s == "monte_carlo" => Sampling::MonteCarlo,
        Some(toml::Value::String(s)) if s == "lhs" => Sampling::LatinHypercube,
        Some(v) => {
            src.key_problem(
                p,
                "sampling",
                "\"monte_carlo\" or \"lhs\" (Latin hypercube)",
                match v {
                    toml::Value::String(s) => shown(s),
                    o => o.type_str().into(),
                },
            );
            Sampling::MonteCarlo
        }
    };
    let vary = match table.get("vary") {
        Some(toml::Value::Table(t)) if !t.is_empty() => t.clone(),
        other => {
            p.push(Problem::new(
                src.path,
                top_line(src.text, "vary"),
                Some("vary"),
                "a [vary] table naming at least one key",
                other.map(|v| v.type_str()).unwrap_or("none").to_string(),
            ));
            toml::Table::new()
        }
    };
    Head {
        base_path,
        samples,
        seed,
        sampling,
        vary,
    }
}

/// The base scenario file: `base`, or without it the first scenario file
/// of an `extends` grid (the ids, names and coordinates of the outputs).
fn base_path(src: &Source, table: &toml::Table, dir: &Path, p: &mut Problems) -> Option<PathBuf> {
    let first_extends = table
        .get("vary")
        .and_then(|v| v.get("extends"))
        .and_then(|e| e.get("grid"))
        .and_then(|g| g.as_array())
        .and_then(|a| a.first())
        .and_then(|v| v.as_str());
    match table.get("base") {
        Some(toml::Value::String(s)) => Some(dir.join(s)),
        None if first_extends.is_some() => first_extends.map(|s| dir.join(s)),
        Some(v) => {
            src.key_problem(
                p,
                "base",
                "a scenario file path (string)",
                v.type_str().into(),
            );
            None
        }
        None => {
            p.push(Problem::new(
                src.path,
                None,
                Some("base"),
                "base = \"<scenario file>\" (relative to the sweep file), or an extends grid",
                "no base",
            ));
            None
        }
    }
}

/// The whole number of top-level `key`, from `min` to `max`; `None` when
/// absent or not one (a problem then says so).
fn whole(
    src: &Source,
    table: &toml::Table,
    p: &mut Problems,
    key: &str,
    min: i64,
    max: i64,
) -> Option<i64> {
    match table.get(key) {
        None => None,
        Some(toml::Value::Integer(i)) if (min..=max).contains(i) => Some(*i),
        Some(v) => {
            p.push(Problem::new(
                src.path,
                top_line(src.text, key),
                Some(key),
                format!("a whole number from {min} to {max}"),
                match v {
                    toml::Value::Integer(i) => i.to_string(),
                    toml::Value::Float(x) => x.to_string(),
                    o => o.type_str().to_string(),
                },
            ));
            None
        }
    }
}

/// The product of the grid sizes (1 without grid keys), refused when grid
/// points × samples passes [`MAX_SCENARIOS`].
fn grid_points(src: &Source, dims: &[Dim], samples: usize) -> Result<usize, Problems> {
    let grid_points = dims
        .iter()
        .filter_map(|d| match &d.dist {
            Dist::Grid(v) => Some(v.len()),
            _ => None,
        })
        .try_fold(1usize, |a, b| a.checked_mul(b))
        .unwrap_or(usize::MAX);
    if grid_points.saturating_mul(samples) > MAX_SCENARIOS {
        let mut p = Problems::default();
        p.push(Problem::new(
            src.path,
            top_line(src.text, "samples"),
            Some("samples"),
            format!("at most {MAX_SCENARIOS} scenarios (grid points × samples)"),
            format!("{grid_points} grid points × {samples} samples"),
        ));
        return Err(p);
    }
    Ok(grid_points)
}

/// Refuses one value varied by two keys: the same cell by two keys (a
/// wildcard and an explicit row, or two spellings), whose winner would
/// depend on the order of [vary]; and a cell of a table that a
/// `tables.<t>` grid swaps, which would be drawn against the base's table
/// and written over the swapped one's, so the swap would be lost.
fn check_overlaps(
    path: &Path,
    dims: &[Dim],
    lines: &BTreeMap<String, usize>,
) -> Result<(), Problems> {
    let mut p = Problems::default();
    let mut seen: BTreeMap<&str, &Dim> = BTreeMap::new();
    for d in dims {
        if let Some(first) = seen.insert(d.key.as_str(), d) {
            let (k1, k2) = (first.vary_key.as_str(), d.vary_key.as_str());
            p.push(Problem::new(
                path,
                lines.get(k2).or(lines.get(k1)).copied(),
                Some(&format!("vary.{}", shown(k2))),
                "each value varied by one [vary] key",
                format!(
                    "{} varied by both vary.{} and vary.{}",
                    shown(&d.key),
                    shown(k1),
                    shown(k2)
                ),
            ));
        }
    }
    for d in dims.iter().filter(|d| d.key.starts_with("tables.")) {
        let table = &d.key["tables.".len()..];
        let cell = format!("{table}.");
        for other in dims.iter().filter(|o| o.key.starts_with(&cell)) {
            let (k1, k2) = (d.vary_key.as_str(), other.vary_key.as_str());
            p.push(Problem::new(
                path,
                lines.get(k2).or(lines.get(k1)).copied(),
                Some(&format!("vary.{}", shown(k2))),
                format!(
                    "cells of {table} varied by one key (vary.{} swaps the whole table)",
                    shown(k1)
                ),
                format!(
                    "{} varied by both vary.{} and vary.{}",
                    shown(&other.key),
                    shown(k1),
                    shown(k2)
                ),
            ));
        }
    }
    if p.is_empty() {
        Ok(())
    } else {
        Err(p)
    }
}

/// An `extends` or `tables.<t>` value: relative to the sweep file's folder.
fn alternative_path(dir: &Path, value: &str) -> PathBuf {
    let p = dir.join(value);
    std::path::absolute(&p).unwrap_or(p)
}

/// The scenario files of an `extends` grid by value, and the table files a
/// scenario may name besides the base's.
type Alternatives = (
    BTreeMap<String, Scenario>,
    BTreeMap<(usize, PathBuf), crate::data::table::RawTable>,
);

/// Reads every scenario file of an `extends` grid and every table file of a
/// `tables.<t>` grid (and the tables those scenario files name that the base
/// does not), each once and checked as `solve` checks a scenario file and
/// its tables: problems name that file (and its line, or row and column); a
/// file that does not exist names the sweep file and key.
fn read_alternatives(
    path: &Path,
    dir: &Path,
    dims: &[Dim],
    lines: &BTreeMap<String, usize>,
    base: &Scenario,
) -> Result<Alternatives, Problems> {
    let mut r = AlternativeReader {
        base_paths: table_paths(base),
        limit: crate::data::file::max_table_bytes()
            .unwrap_or(crate::data::file::DEFAULT_MAX_TABLE_BYTES),
        out: (BTreeMap::new(), BTreeMap::new()),
        p: Problems::default(),
    };
    for d in dims {
        let Dist::Grid(values) = &d.dist else {
            continue;
        };
        let missing = |p: &mut Problems, what: &str, file: &Path| {
            p.push(Problem::new(
                path,
                lines.get(&d.vary_key).copied(),
                Some(&format!("vary.{}", shown(&d.vary_key))),
                format!("an existing {what} file (relative to the sweep file)"),
                format!("no file {}", file.display()),
            ))
        };
        let values = values.iter().filter_map(|v| v.as_str());
        match d.target {
            Target::Extends => {
                for v in values {
                    if r.out.0.contains_key(v) {
                        continue;
                    }
                    let file = dir.join(v);
                    if !file.exists() {
                        missing(&mut r.p, "scenario", &file);
                        continue;
                    }
                    r.read_scenario(v, &file);
                }
            }
            Target::Table(slot) => {
                for v in values {
                    let file = alternative_path(dir, v);
                    if file.exists() {
                        r.read_table(slot, &file);
                    } else {
                        missing(&mut r.p, &format!("{} table", TABLE_KEYS[slot]), &file);
                    }
                }
            }
            _ => {}
        }
    }
    if r.p.is_empty() {
        Ok(r.out)
    } else {
        Err(r.p)
    }
}

/// What [`read_alternatives`] has read so far, and its problems.
struct AlternativeReader<'a> {
    /// The base's own tables, never read again.
    base_paths: [Option<&'a Path>; 8],
    /// The largest table file read, bytes.
    limit: u64,
    out: Alternatives,
    p: Problems,
}

impl AlternativeReader<'_> {
    /// Reads the table `file` for `slot` of [`TABLE_KEYS`] once, unless it is
    /// the base's.
    fn read_table(&mut self, slot: usize, file: &Path) {
        let key = (slot, file.to_path_buf());
        if self.base_paths[slot] == Some(file) || self.out.1.contains_key(&key) {
            return;
        }
        let spec = table_schema(slot);
        if let Some(t) = crate::data::table::read_table_capped(file, spec, self.limit, &mut self.p)
        {
            self.out.1.insert(key, t);
        }
    }

    /// Reads the scenario `file` of the `extends` value `v`, and the tables
    /// it names that exist (a missing one names the scenario file's key).
    fn read_scenario(&mut self, v: &str, file: &Path) {
        let sc = match crate::data::load_scenario(file) {
            Ok(sc) => sc,
            Err(e) => {
                self.p.0.extend(e.0);
                return;
            }
        };
        for (slot, t) in table_paths(&sc).into_iter().enumerate() {
            let Some(t) = t else { continue };
            if t.exists() {
                self.read_table(slot, t);
            } else {
                let key = format!("tables.{}", TABLE_KEYS[slot]);
                let (f, line) = sc.locate(&key);
                self.p.push(Problem::new(
                    &f,
                    line,
                    Some(&key),
                    "an existing file",
                    format!("no file {}", t.display()),
                ));
            }
        }
        self.out.0.insert(v.to_string(), sc);
    }
}

/// Why a `[vary]` key cannot be used: (expected, found).
type Refusal = (String, String);

/// The numbers of a distribution by name (see [`bounds`]).
type Numbers<'a> = dyn Fn(&[&str]) -> Result<Vec<f64>, Refusal> + 'a;

/// Where one `[vary]` key writes: (concrete key, target, its schema column,
/// the row of its table cell), and the table of its cells.
type Targets<'a> = (
    Vec<(String, Target, Option<&'static Column>, Option<usize>)>,
    Option<&'a crate::data::table::RawTable>,
);

/// The dims of one `[vary]` key, or (expected, found).
fn resolve(
    key: &str,
    spec: &toml::Value,
    base: &mut Scenario,
    raw: &RawTables,
) -> Result<Vec<Dim>, Refusal> {
    let parts: Vec<&str> = key.split('.').collect();
    if key == "extends" || (parts.len() == 2 && parts[0] == "tables") {
        return resolve_files(key, &parts, spec);
    }
    let (targets, table_of) = targets(key, &parts, base, raw)?;
    let Some(spec) = spec.as_table() else {
        return Err((
            "a distribution: { grid = [...] }, { dist = \"uniform\", min, max } or \
             from_columns, { dist = \"triangular\", min, mode, max }, \
             { dist = \"normal\", mean, sd }"
                .into(),
            spec.type_str().into(),
        ));
    };
    let mut out = Vec::new();
    for (concrete, target, column, row) in targets {
        let numbers = |names: &[&str]| bounds(spec, names, table_of, row);
        let dist = distribution(spec, &concrete, column, &numbers)?;
        check_support(&dist, &concrete, column)?;
        if let Some(extra) = spec.keys().find(|k| {
            ![
                "grid",
                "dist",
                "min",
                "max",
                "mode",
                "mean",
                "sd",
                "from_columns",
            ]
            .contains(&k.as_str())
        }) {
            return Err((
                "grid, dist, min, max, mode, mean, sd or from_columns".into(),
                format!("unknown key {}", shown(extra)),
            ));
        }
        out.push(Dim {
            key: concrete,
            vary_key: key.to_string(),
            dist,
            integer: column.is_some_and(|c| c.kind == Kind::Integer),
            target,
        });
    }
    Ok(out)
}

/// The dim of `extends` or `tables.<t>`: a grid of scenario or table files.
fn resolve_files(key: &str, parts: &[&str], spec: &toml::Value) -> Result<Vec<Dim>, Refusal> {
    let (target, what) = if key == "extends" {
        (Target::Extends, "scenario files")
    } else {
        match TABLE_KEYS.iter().position(|t| *t == parts[1]) {
            Some(slot) => (Target::Table(slot), "table files"),
            None => {
                return Err((
                    format!("tables.<{}>", TABLE_KEYS.join(" | ")),
                    format!("unknown key {}", shown(key)),
                ))
            }
        }
    };
    let values = spec
        .as_table()
        .filter(|t| t.len() == 1)
        .and_then(|t| t.get("grid"))
        .and_then(|g| g.as_array())
        .filter(|v| !v.is_empty() && v.iter().all(|x| x.as_str().is_some_and(|s| !s.is_empty())));
    let Some(values) = values else {
        return Err((
            format!("{{ grid = [...] }} of {what} (paths relative to the sweep file)"),
            shown(&spec.to_string()),
        ));
    };
    Ok(vec![Dim {
        key: key.to_string(),
        vary_key: key.to_string(),
        dist: Dist::Grid(values.clone()),
        integer: false,
        target,
    }])
}

/// Where `key` (split into `parts`) writes: a scenario key, a table cell
/// (row `*`: every row) or the subsidy programmes it names.
fn targets<'a>(
    key: &str,
    parts: &[&str],
    base: &mut Scenario,
    raw: &'a RawTables,
) -> Result<Targets<'a>, Refusal> {
    let table = TABLES.iter().position(|t| *t == parts[0]);
    // (concrete key, target, column, from_columns values of the row)
    let mut targets: Vec<(String, Target, Option<&'static Column>, Option<usize>)> = Vec::new();
    let mut table_of: Option<&crate::data::table::RawTable> = None;
    match (table, parts) {
        (Some(ti), [t, row, column]) => {
            let rt = &raw.tables[ti];
            table_of = Some(rt);
            let file = rt
                .file
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let id_column = rt.spec.key.unwrap_or("programme_id");
            let c = crate::data::whatif::writable_column(rt, column)?;
            if *t == "subsidies" {
                for (id, target) in subsidy_targets(row, c.name, base, rt)? {
                    targets.push((format!("subsidies.{id}.{column}"), target, Some(c), None));
                }
            } else {
                let rows: Vec<usize> = if *row == "*" {
                    (0..rt.n_rows).collect()
                } else {
                    match rt.find_row(id_column, row) {
                        Some(i) => vec![i],
                        None => {
                            return Err((
                                format!("a row id of {file} ({id_column}) or *"),
                                format!("unknown row {} in {file}", shown(row)),
                            ))
                        }
                    }
                };
                for i in rows {
                    let id = rt.text(id_column, i);
                    let cell = format!("{t}.{id}.{column}");
                    targets.push((cell.clone(), Target::Cell(cell), Some(c), Some(i)));
                }
            }
        }
        _ => {
            if let Err(known) = crate::data::scenario::value_key(key) {
                let near = parts
                    .last()
                    .and_then(|l| crate::data::scenario::did_you_mean(l, known.iter().copied()))
                    .map(|h| format!(" (did you mean {h}?)"))
                    .unwrap_or_default();
                return Err((
                    "a scenario key (e.g. parameters.domestic_share, targets.h200.min, \
                     overrides.levy_share.h200), a table cell <table>.<row id>.<column> \
                     (row * for every row) or subsidies.<programme>.<column>"
                        .into(),
                    format!("unknown key {}{near}", shown(key)),
                ));
            }
            let target = Target::Scenario(parts.iter().map(|s| s.to_string()).collect());
            targets.push((key.to_string(), target, scenario_column(key), None));
        }
    }
    Ok((targets, table_of))
}

/// The numbers `names` of a distribution: from the spec, or from the
/// columns `from_columns` names in the varied `row` of `table_of`.
fn bounds(
    spec: &toml::Table,
    names: &[&str],
    table_of: Option<&crate::data::table::RawTable>,
    row: Option<usize>,
) -> Result<Vec<f64>, Refusal> {
    if let Some(cols) = spec.get("from_columns") {
        let (Some(rt), Some(i)) = (table_of, row) else {
            return Err((
                "from_columns only for a table cell".into(),
                "from_columns on a scenario key".into(),
            ));
        };
        let cols: Vec<&str> = cols
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        if cols.len() != names.len() {
            return Err((
                format!(
                    "from_columns naming {} columns ({})",
                    names.len(),
                    names.join(", ")
                ),
                format!("{} column names", cols.len()),
            ));
        }
        return cols
            .iter()
            .map(|c| {
                let col = rt
                    .spec
                    .column(c)
                    .filter(|x| matches!(x.kind, Kind::Real | Kind::Integer));
                match (col, rt.opt_real(c, i)) {
                    (Some(_), Some(x)) => Ok(x),
                    (None, _) => Err((
                        format!("a numeric column of {} in from_columns", rt.spec.name),
                        format!("column {}", shown(c)),
                    )),
                    (Some(_), None) => Err((
                        format!("a number in column {c} of every row varied"),
                        format!("an empty cell in row {}", crate::data::table::sheet_row(i)),
                    )),
                }
            })
            .collect();
    }
    names
        .iter()
        .map(|n| {
            spec.get(*n).and_then(number).ok_or_else(|| {
                (
                    format!("{} (numbers), or from_columns", names.join(", ")),
                    format!("no number {n}"),
                )
            })
        })
        .collect()
}

/// The distribution of `concrete` (of schema `column`): a grid (its numbers
/// within the column's range) or a random distribution from `bounds`.
fn distribution(
    spec: &toml::Table,
    concrete: &str,
    column: Option<&'static Column>,
    bounds: &Numbers,
) -> Result<Dist, Refusal> {
    let numeric = column.is_some_and(|c| matches!(c.kind, Kind::Real | Kind::Integer));
    Ok(
        match (spec.get("grid"), spec.get("dist").and_then(|d| d.as_str())) {
            (Some(g), None) => {
                let values = g.as_array().cloned().unwrap_or_default();
                let all_numbers = values.iter().all(|v| number(v).is_some());
                let all_text = values.iter().all(|v| v.is_str());
                if values.is_empty() || !(all_numbers || all_text) {
                    return Err((
                        "grid = [...] of numbers, or of strings".into(),
                        format!("{g}"),
                    ));
                }
                // Numbers of a key with a schema range: in it, checked once.
                if let Some(c) = column.filter(|_| numeric) {
                    for x in values.iter().filter_map(number) {
                        if let Err(expected) = c.check_number(x) {
                            return Err((
                                format!("grid values of {concrete}: {expected}"),
                                crate::data::problem::found_number(x),
                            ));
                        }
                    }
                }
                Dist::Grid(values)
            }
            (None, Some("uniform")) => match bounds(&["min", "max"])?[..] {
                [min, max] => Dist::Uniform { min, max },
                _ => unreachable!("two bounds"),
            },
            (None, Some("triangular")) => match bounds(&["min", "mode", "max"])?[..] {
                [min, mode, max] => Dist::Triangular { min, mode, max },
                _ => unreachable!("three bounds"),
            },
            (None, Some("normal")) => match bounds(&["mean", "sd"])?[..] {
                [mean, sd] => {
                    let lo = column.and_then(|c| c.min).unwrap_or(f64::NEG_INFINITY);
                    let hi = column.and_then(|c| c.max).unwrap_or(f64::INFINITY);
                    Dist::Normal { mean, sd, lo, hi }
                }
                _ => unreachable!("two parameters"),
            },
            (g, d) => {
                return Err((
                    "either grid = [...] or dist = \"uniform\" / \"triangular\" / \"normal\""
                        .into(),
                    match (g, d) {
                        (Some(_), Some(_)) => "both grid and dist".into(),
                        (None, Some(d)) => format!("dist = {}", shown(d)),
                        _ => "neither grid nor dist".into(),
                    },
                ))
            }
        },
    )
}

/// The support of a random distribution lies within the key's range (a
/// number), its ends in order.
fn check_support(
    dist: &Dist,
    concrete: &str,
    column: Option<&'static Column>,
) -> Result<(), Refusal> {
    let numeric = column.is_some_and(|c| matches!(c.kind, Kind::Real | Kind::Integer));
    if !matches!(dist, Dist::Grid(_)) {
        let Some(c) = column.filter(|_| numeric) else {
            return Err((
                "a grid for a key that is not a number".into(),
                format!("dist on {}", shown(concrete)),
            ));
        };
        let ends: Vec<(&str, f64)> = match *dist {
            Dist::Uniform { min, max } => vec![("min", min), ("max", max)],
            Dist::Triangular { min, mode, max } => {
                vec![("min", min), ("mode", mode), ("max", max)]
            }
            Dist::Normal { mean, sd, .. } => {
                if !(sd > 0.0 && sd.is_finite()) {
                    return Err(("sd > 0".into(), format!("sd {sd}")));
                }
                vec![("mean", mean)]
            }
            Dist::Grid(_) => vec![],
        };
        for (name, x) in &ends {
            if let Err(expected) = c.check_number(*x) {
                return Err((
                    format!("{name} of {concrete}: {expected}"),
                    crate::data::problem::found_number(*x),
                ));
            }
        }
        let ordered = ends.windows(2).all(|w| w[0].1 <= w[1].1);
        if !ordered {
            return Err((
                format!(
                    "{} in increasing order for {concrete}",
                    ends.iter().map(|e| e.0).collect::<Vec<_>>().join(" ≤ ")
                ),
                ends.iter()
                    .map(|(n, x)| format!("{n} {x}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ));
        }
    }
    Ok(())
}

/// Targets of `subsidies.<programme>.<column>` (programme `*`: every
/// programme of the subsidy scenario in use and of the base's
/// `[[subsidies]]`): a `[[subsidies]]` entry of the base, a `[set]` cell of
/// the programme in the scenario in use, or, for a programme of another
/// subsidy scenario of the table, an entry added to the base copying its row.
fn subsidy_targets(
    row: &str,
    column: &str,
    base: &mut Scenario,
    rt: &crate::data::table::RawTable,
) -> Result<Vec<(String, Target)>, (String, String)> {
    let entries = |base: &Scenario| -> Vec<String> {
        base.subsidies
            .iter()
            .map(|e| {
                e.get("programme_id")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    };
    let in_use: Vec<String> = (0..rt.n_rows)
        .filter(|&i| rt.get("scenario", i) == Some(base.subsidy_scenario.as_str()))
        .map(|i| rt.text("programme_id", i))
        .collect();
    let ids: Vec<String> = if row == "*" {
        let mut v = in_use.clone();
        v.extend(entries(base));
        // A programme both in use and an entry of the base is one target.
        let mut seen = std::collections::BTreeSet::new();
        v.retain(|id| seen.insert(id.clone()));
        v
    } else {
        vec![row.to_string()]
    };
    let mut out = Vec::new();
    for id in ids {
        if let Some(n) = entries(base).iter().position(|e| *e == id) {
            let entry = base.subsidies[n].clone();
            let target = Target::Subsidy {
                programme: id.clone(),
                column: column.to_string(),
                entry,
            };
            out.push((id, target));
        } else if in_use.contains(&id) {
            let cell = format!("subsidies.{id}.{column}");
            out.push((id, Target::Cell(cell)));
        } else if let Some(i) =
            (0..rt.n_rows).find(|&i| rt.get("programme_id", i) == Some(id.as_str()))
        {
            // A programme of another subsidy scenario: added to the base.
            let entry = add_programme(base, rt, i);
            let target = Target::Subsidy {
                programme: id.clone(),
                column: column.to_string(),
                entry,
            };
            out.push((id, target));
        } else {
            return Err((
                format!(
                    "a programme_id of {} (in subsidy scenario {} or another), or *",
                    rt.file
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    shown(&base.subsidy_scenario)
                ),
                format!("unknown row {}", shown(&id)),
            ));
        }
    }
    Ok(out)
}

/// Adds row `i` of the subsidies table `rt` (a programme of another subsidy
/// scenario) to the base as a `[[subsidies]]` entry; returns the entry.
fn add_programme(base: &mut Scenario, rt: &crate::data::table::RawTable, i: usize) -> toml::Table {
    let mut entry = toml::Table::new();
    for c in rt.spec.columns {
        if c.name == "scenario" || c.name == "source" {
            continue;
        }
        let Some(text) = rt.get(c.name, i) else {
            continue;
        };
        let v = match c.kind {
            Kind::Real | Kind::Integer => match text.parse::<f64>() {
                Ok(x) => toml::Value::Float(x),
                Err(_) => continue,
            },
            _ => toml::Value::String(text.to_string()),
        };
        entry.insert(c.name.to_string(), v);
    }
    base.subsidies.push(entry.clone());
    let list = base
        .merged
        .entry("subsidies")
        .or_insert_with(|| toml::Value::Array(Vec::new()));
    if let toml::Value::Array(a) = list {
        a.push(toml::Value::Table(entry.clone()));
    }
    entry
}

/// Writes `v` into `column` of the `[[subsidies]]` entry of `programme` in
/// the scenario table `t`; a scenario file of the extends grid without the
/// programme gets `entry`, as the base has it.
fn set_subsidy(
    t: &mut toml::Table,
    programme: &str,
    column: &str,
    entry: &toml::Table,
    v: &toml::Value,
) {
    let list = t
        .entry("subsidies")
        .or_insert_with(|| toml::Value::Array(Vec::new()));
    if let Some(a) = list.as_array_mut() {
        let is_it =
            |e: &toml::Value| e.get("programme_id").and_then(|p| p.as_str()) == Some(programme);
        if !a.iter().any(is_it) {
            a.push(toml::Value::Table(entry.clone()));
        }
        if let Some(e) = a
            .iter_mut()
            .find(|e| is_it(e))
            .and_then(|e| e.as_table_mut())
        {
            e.insert(column.to_string(), v.clone());
        }
    }
}

/// Φ, the standard normal distribution function.
fn phi(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// The value of a distribution at probability `u` in [0, 1) (its inverse
/// distribution function), so that Latin hypercube strata carry over.
fn quantile(dist: &Dist, u: f64) -> f64 {
    match *dist {
        Dist::Uniform { min, max } => min + u * (max - min),
        Dist::Triangular { min, mode, max } => {
            let w = max - min;
            if w <= 0.0 {
                return min;
            }
            let f = (mode - min) / w;
            if u < f {
                min + (u * w * (mode - min)).sqrt()
            } else {
                max - ((1.0 - u) * w * (max - mode)).sqrt()
            }
        }
        Dist::Normal { mean, sd, lo, hi } => {
            // Truncated to [lo, hi]: u spread over [Φ(a), Φ(b)], then Φ⁻¹ by
            // bisection (exact to the last bits within 200 halvings).
            let a = phi((lo - mean) / sd);
            let b = phi((hi - mean) / sd);
            let target = a + u * (b - a);
            let (mut x0, mut x1) = (-40.0f64, 40.0f64);
            for _ in 0..200 {
                let mid = 0.5 * (x0 + x1);
                if phi(mid) < target {
                    x0 = mid;
                } else {
                    x1 = mid;
                }
                if x1 - x0 <= f64::EPSILON * x1.abs().max(1.0) {
                    break;
                }
            }
            (mean + sd * 0.5 * (x0 + x1)).clamp(lo, hi)
        }
        Dist::Grid(_) => unreachable!("grid keys are not drawn"),
    }
}

/// A drawn number as TOML: whole numbers for whole-number keys, and
/// 10 significant digits otherwise (so that values print without noise).
fn value_of(x: f64, integer: bool) -> toml::Value {
    if integer {
        return toml::Value::Integer(x.round() as i64);
    }
    if x == 0.0 || !x.is_finite() {
        return toml::Value::Float(x);
    }
    let digits = 9 - x.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits.clamp(-300, 300));
    toml::Value::Float((x * scale).round() / scale)
}

impl Sweep {
    /// Scenarios in the sweep.
    pub fn len(&self) -> usize {
        self.grid_points * self.samples
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The accelerator ids, in the order of accelerators.csv.
    pub fn accelerator_ids(&self) -> Vec<String> {
        self.base_instance
            .accelerators
            .iter()
            .map(|a| a.id.clone())
            .collect()
    }

    /// Whether `id` names a region or a tier (for `--threshold`).
    pub fn is_region_or_tier(&self, id: &str) -> bool {
        self.base_instance.regions.iter().any(|r| r.id == id)
            || crate::domain::Tier::parse(id).is_some()
    }

    /// The values of scenario `id`, one per dim: from (seed, sample index)
    /// and the grid point alone (no other scenario is drawn).
    pub fn draw(&self, id: usize) -> Vec<toml::Value> {
        let k = id % self.samples;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(k as u64);
        let mut out = vec![toml::Value::Boolean(false); self.dims.len()];
        for (d, v) in self.grid_values(self.arm_of(id)) {
            out[d] = v;
        }
        // Random keys: one uniform number each, in order, whatever the grid.
        let mut r = 0;
        for (d, dim) in self.dims.iter().enumerate() {
            if dim.is_grid() {
                continue;
            }
            let mut u: f64 = rng.random();
            if self.sampling == Sampling::LatinHypercube {
                u = (self.stratum(r, k) as f64 + u) / self.samples as f64;
            }
            out[d] = value_of(quantile(&dim.dist, u), dim.integer);
            r += 1;
        }
        out
    }

    /// The arm (grid point) of scenario `id`: `id / samples`.
    pub fn arm_of(&self, id: usize) -> usize {
        id / self.samples.max(1)
    }

    /// The values of the grid keys at grid point `arm`, as (dim, value):
    /// the last grid key fastest.
    pub fn grid_values(&self, arm: usize) -> Vec<(usize, toml::Value)> {
        let mut g = arm;
        let mut out = Vec::new();
        for (d, dim) in self.dims.iter().enumerate().rev() {
            if let Dist::Grid(values) = &dim.dist {
                let v = &values[g % values.len()];
                g /= values.len();
                out.push((
                    d,
                    match number(v) {
                        Some(x) if dim.integer || v.is_integer() => {
                            toml::Value::Integer(x.round() as i64)
                        }
                        Some(x) => toml::Value::Float(x),
                        None => v.clone(),
                    },
                ));
            }
        }
        out.reverse();
        out
    }

    /// Sample `k`'s stratum of the `r`-th random key (Latin hypercube): a
    /// permutation of `0..samples` seeded by (seed, r) and evaluated at `k`
    /// alone, in O(1): a 4-round Feistel network on the even power of two at
    /// or above `samples`, walked along its cycle until the value is below
    /// `samples` (fewer than 4 steps on average). Each stratum is used by
    /// exactly one sample, and no other sample is drawn.
    fn stratum(&self, r: usize, k: usize) -> u64 {
        let n = self.samples as u64;
        if n <= 1 {
            return 0;
        }
        let bits = 64 - (n - 1).leading_zeros();
        let half = bits.div_ceil(2);
        let mask = (1u64 << half) - 1;
        let key = mix(self.seed ^ mix((1u64 << 63) + r as u64));
        let mut x = k as u64;
        loop {
            let (mut left, mut right) = (x >> half, x & mask);
            for round in 0..4u64 {
                let f = mix(key ^ mix(right ^ (round << 56))) & mask;
                (left, right) = (right, left ^ f);
            }
            x = (left << half) | right;
            if x < n {
                return x;
            }
        }
    }

    /// The grid value of dim `d` in scenario `values` as text, if it is one.
    fn text_value<'a>(
        &self,
        values: &'a [toml::Value],
        target: fn(&Target) -> bool,
    ) -> Option<(usize, &'a str)> {
        self.dims
            .iter()
            .position(|d| target(&d.target))
            .and_then(|d| values.get(d).and_then(|v| v.as_str()).map(|v| (d, v)))
    }

    /// The scenario of drawn `values`: the base (or the `extends` file of
    /// the scenario) with each value written to its key. Problems name the
    /// sweep file, the `[vary]` key and the id.
    pub fn scenario(&self, id: usize, values: &[toml::Value]) -> Result<Scenario, Problems> {
        let source = match self.text_value(values, |t| matches!(t, Target::Extends)) {
            Some((_, v)) => match self.extends.get(v) {
                Some(sc) => sc,
                None => {
                    let dim = self.dims.iter().find(|d| d.target == Target::Extends);
                    return Err(self.problem(
                        id,
                        values,
                        dim,
                        "a scenario file of the extends grid",
                        format!("{} was not read", shown(v)),
                    ));
                }
            },
            None => &self.base,
        };
        let mut t = source.merged.clone();
        for (dim, v) in self.dims.iter().zip(values) {
            match &dim.target {
                Target::Extends => {}
                Target::Table(slot) => {
                    let file = alternative_path(&self.dir, v.as_str().unwrap_or(""));
                    let parts = ["tables".to_string(), TABLE_KEYS[*slot].to_string()];
                    let file = toml::Value::String(file.to_string_lossy().into_owned());
                    set_key(&mut t, &parts, file);
                }
                Target::Scenario(parts) => set_key(&mut t, parts, v.clone()),
                Target::Cell(cell) => {
                    let set = t
                        .entry("set")
                        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                    if let Some(set) = set.as_table_mut() {
                        set.insert(cell.clone(), v.clone());
                    }
                }
                Target::Subsidy {
                    programme,
                    column,
                    entry,
                } => set_subsidy(&mut t, programme, column, entry, v),
            }
        }
        let mut sc: Scenario = match toml::Value::Table(t.clone()).try_into() {
            Ok(s) => s,
            Err(e) => {
                let msg = e
                    .to_string()
                    .lines()
                    .map(str::trim)
                    .collect::<Vec<_>>()
                    .join(" ");
                let dim = self.dims.iter().find(|d| msg.contains(&d.key));
                return Err(self.problem(
                    id,
                    values,
                    dim,
                    "a value of the type models/README.md documents for this key",
                    msg,
                ));
            }
        };
        sc.path = source.path.clone();
        sc.sources = source.sources.clone();
        sc.merged = t;
        Ok(sc)
    }

    fn problem(
        &self,
        id: usize,
        values: &[toml::Value],
        dim: Option<&Dim>,
        expected: &str,
        found: String,
    ) -> Problems {
        let key = dim.map(|d| d.vary_key.as_str()).unwrap_or("vary");
        Problems(vec![Problem::new(
            &self.path,
            dim.and_then(|d| self.lines.get(&d.vary_key).copied()),
            Some(&format!("vary.{}", shown(key))),
            expected,
            format!("{found} ({})", self.drawn(id, values, dim)),
        )])
    }

    /// `scenario <id>: <key> = <value>`: which scenario, and the value of
    /// `dim` in it.
    fn drawn(&self, id: usize, values: &[toml::Value], dim: Option<&Dim>) -> String {
        let drawn = match dim {
            Some(d) => {
                let i = self.dims.iter().position(|x| x.key == d.key).unwrap_or(0);
                let v = match values.get(i) {
                    Some(toml::Value::String(t)) => shown(t),
                    Some(v) => v.to_string(),
                    None => String::new(),
                };
                format!("{} = {v}", d.key)
            }
            None => "the values drawn".into(),
        };
        format!("scenario {id}: {drawn}")
    }

    /// The tables of scenario `sc`: the base's as read, and for a slot whose
    /// file differs (a `tables.<t>` value, an `extends` file's own table) the
    /// one read for it when the sweep was read.
    fn raw_of(&self, sc: &Scenario) -> Option<RawTables> {
        let mut raw = self.raw.clone();
        let base = table_paths(&self.base);
        for (slot, file) in table_paths(sc).into_iter().enumerate() {
            if file == base[slot] {
                continue;
            }
            let table = match file {
                Some(f) => Some(self.other_tables.get(&(slot, f.to_path_buf()))?.clone()),
                None => None,
            };
            match (slot, table) {
                (7, t) => raw.clusters = t,
                (s, Some(t)) => raw.tables[s] = t,
                (_, None) => return None,
            }
        }
        Some(raw)
    }

    /// Whether `file` is one of the files an `extends` or `tables.<t>` grid
    /// brings in (problems in them are named by their own file, row, column).
    fn is_alternative(&self, file: &Path) -> bool {
        self.other_tables.keys().any(|(_, f)| f == file)
            || self
                .extends
                .values()
                .any(|sc| sc.sources.iter().any(|(f, _)| f == file))
    }

    /// The instance of scenario `id`, checked as a scenario file and its
    /// tables are; every problem is named by the sweep file and `[vary]` key
    /// that drew the value (or, in a file an `extends` or `tables.<t>` grid
    /// brings in, by that file, row and column).
    pub fn instance(&self, id: usize) -> Result<(Vec<toml::Value>, Instance), Problems> {
        let values = self.draw(id);
        let sc = self.scenario(id, &values)?;
        let alternative = self
            .dims
            .iter()
            .find(|d| matches!(d.target, Target::Extends | Target::Table(_)));
        let Some(raw) = self.raw_of(&sc) else {
            return Err(self.problem(
                id,
                &values,
                alternative,
                "table files read when the sweep was read",
                "a table file of this scenario was not read".into(),
            ));
        };
        match load_from_raw(&sc, raw) {
            Ok((inst, _)) => match self.other_rows(&inst) {
                None => Ok((values, inst)),
                Some(found) => Err(self.problem(
                    id,
                    &values,
                    alternative,
                    "the base's rows (the same region, site and accelerator ids in the same \
                     order): a sweep varies values, not rows",
                    found,
                )),
            },
            Err(problems) => {
                let mut out = Problems::default();
                for p in problems.0 {
                    if self.is_alternative(&p.file) {
                        let mut p = p;
                        p.found = format!("{} ({})", p.found, self.drawn(id, &values, alternative));
                        out.push(p);
                        continue;
                    }
                    let column = p.column.clone().unwrap_or_default();
                    let dim = self.dims.iter().find(|d| {
                        column.contains(&d.key)
                            || d.key.starts_with(&format!("{column}."))
                            || match &d.target {
                                Target::Subsidy { programme, .. } => sc
                                    .subsidies
                                    .iter()
                                    .position(|e| {
                                        e.get("programme_id").and_then(|v| v.as_str())
                                            == Some(programme.as_str())
                                    })
                                    .is_some_and(|n| {
                                        column.starts_with(&format!("[[subsidies]] #{}", n + 1))
                                    }),
                                _ => false,
                            }
                    });
                    let found = format!("{} (in {})", p.found, p.file.display());
                    out.0
                        .extend(self.problem(id, &values, dim, &p.expected, found).0);
                }
                Err(out)
            }
        }
    }

    /// How the rows of `inst` differ from the base's, if they do.
    fn other_rows(&self, inst: &Instance) -> Option<String> {
        let b = &self.base_instance;
        let differ = |what: &str, a: Vec<&str>, b: Vec<&str>| -> Option<String> {
            if a == b {
                return None;
            }
            let at = a.iter().zip(&b).position(|(x, y)| x != y);
            Some(match at {
                Some(i) => format!(
                    "{what} #{}: {} where the base has {}",
                    i + 1,
                    shown(a[i]),
                    shown(b[i])
                ),
                None => format!("{} {what} where the base has {}", a.len(), b.len()),
            })
        };
        differ(
            "regions",
            inst.regions.iter().map(|r| r.id.as_str()).collect(),
            b.regions.iter().map(|r| r.id.as_str()).collect(),
        )
        .or_else(|| {
            differ(
                "sites",
                inst.sites.iter().map(|s| s.id.as_str()).collect(),
                b.sites.iter().map(|s| s.id.as_str()).collect(),
            )
        })
        .or_else(|| {
            differ(
                "accelerators",
                inst.accelerators.iter().map(|a| a.id.as_str()).collect(),
                b.accelerators.iter().map(|a| a.id.as_str()).collect(),
            )
        })
    }

    /// The scenarios that are checked once whatever the sweep's size: the
    /// first, and each text value of a grid key (a scenario file of
    /// `extends`, a table file of `tables.<t>`, a subsidy scenario…) with the
    /// other keys at their first value and sample 0. Numbers of a grid and
    /// the support of each distribution were checked against the key's
    /// schema range when the sweep was read.
    pub fn probe_ids(&self) -> Vec<usize> {
        let mut ids = vec![0];
        let mut stride = self.samples;
        for dim in self.dims.iter().rev() {
            if let Dist::Grid(values) = &dim.dist {
                if dim.is_text() {
                    ids.extend((1..values.len()).map(|j| j.saturating_mul(stride)));
                }
                stride = stride.saturating_mul(values.len());
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids.retain(|&i| i < self.len());
        ids
    }

    /// Draws and loads scenarios `ids` (in parallel) before anything is
    /// solved: the problems of the first that fail, at most 20. The cost is
    /// that of `ids` alone: no other scenario is drawn.
    pub fn check_ids(&self, ids: &[usize]) -> Result<(), Problems> {
        use rayon::prelude::*;
        let mut bad: Vec<(usize, Problems)> = ids
            .par_iter()
            .filter_map(|&id| self.instance(id).err().map(|p| (id, p)))
            .collect();
        if bad.is_empty() {
            return Ok(());
        }
        bad.sort_by_key(|(id, _)| *id);
        let mut out = Problems::default();
        for (_, p) in bad {
            for q in p.0 {
                if out.0.len() < 20 && !out.0.contains(&q) {
                    out.push(q);
                }
            }
        }
        Err(out)
    }

    /// Every file the sweep reads, by role: the sweep file, the base scenario
    /// and the files it extends, its tables, and the scenario files and table
    /// files of `extends` and `tables.<t>` grids.
    pub fn input_files(&self) -> Vec<(String, PathBuf)> {
        let mut files: Vec<(String, PathBuf)> = vec![("sweep".into(), self.path.clone())];
        let mut add = |role: &str, p: &Path| {
            if !files.iter().any(|(_, f)| f == p) {
                files.push((role.to_string(), p.to_path_buf()));
            }
        };
        for (p, _) in &self.base.sources {
            add("scenario", p);
        }
        for (name, p) in self.base.tables.iter() {
            add(name, p);
        }
        for sc in self.extends.values() {
            for (p, _) in &sc.sources {
                add("scenario", p);
            }
        }
        for (slot, p) in self.other_tables.keys() {
            add(TABLE_KEYS[*slot], p);
        }
        files
    }
}

/// Writes `v` at the dotted key `parts` of `t`, making the tables on the way.
fn set_key(t: &mut toml::Table, parts: &[String], v: toml::Value) {
    let Some((last, path)) = parts.split_last() else {
        return;
    };
    let mut at = t;
    for part in path {
        let next = at
            .entry(part.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !next.is_table() {
            *next = toml::Value::Table(toml::Table::new());
        }
        at = next.as_table_mut().expect("a table");
    }
    at.insert(last.clone(), v);
}

/// SplitMix64's finaliser: a well-mixed 64-bit hash of `z`.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
