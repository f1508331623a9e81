//! Scenario files (TOML): which tables, which subsidy scenario, parameters,
//! targets and bounds. A scenario may `extends` another and change only what
//! differs; table paths resolve relative to the file that names them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::problem::{Problem, Problems};
use crate::domain::rows::Quota;

/// The tables a scenario uses. Paths are absolute once loaded.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Tables {
    pub regions: PathBuf,
    pub sites: PathBuf,
    pub electricity_prices: PathBuf,
    pub subsidies: PathBuf,
    pub demand: PathBuf,
    pub accelerators: PathBuf,
    pub cooling: PathBuf,
    /// Planning clusters (optional: without it the plan has no cluster level).
    #[serde(default)]
    pub clusters: Option<PathBuf>,
}

impl Tables {
    pub fn iter(&self) -> [(&'static str, &Path); 7] {
        [
            ("regions", &self.regions),
            ("sites", &self.sites),
            ("electricity_prices", &self.electricity_prices),
            ("subsidies", &self.subsidies),
            ("demand", &self.demand),
            ("accelerators", &self.accelerators),
            ("cooling", &self.cooling),
        ]
    }
}

/// A card target: `cards` (exact) or `min` / `max`.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    pub cards: Option<f64>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct BoundSpec {
    pub min_cards: Option<f64>,
    pub max_cards: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Bounds {
    #[serde(default)]
    pub region: BTreeMap<String, BoundSpec>,
    #[serde(default)]
    pub tier: BTreeMap<String, BoundSpec>,
    #[serde(default)]
    pub cluster: BTreeMap<String, BoundSpec>,
}

/// Per-region overrides of the regions table.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct RegionOverride {
    pub power_quota_mw: Option<f64>,
    pub energy_quota_tce: Option<f64>,
    pub pue_cap: Option<f64>,
    /// Cooling water per year, m³; no cap unless set.
    pub water_quota_m3: Option<f64>,
}

impl RegionOverride {
    /// The region's limit of a quota kind, where the scenario sets one (the
    /// field named by the kind's key).
    pub fn quota(&self, q: Quota) -> Option<f64> {
        match q {
            Quota::Power => self.power_quota_mw,
            Quota::Energy => self.energy_quota_tce,
            Quota::Water => self.water_quota_m3,
        }
    }
}

/// Changes to the tables that a scenario makes without copying them.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// Multiplies every region's power quota.
    #[serde(default = "one")]
    pub power_quota_scale: f64,
    /// Multiplies every region's energy-use quota.
    #[serde(default = "one")]
    pub energy_quota_scale: f64,
    /// Multiplies every site's max_it_mw.
    #[serde(default = "one")]
    pub site_capacity_scale: f64,
    /// Levy share by accelerator id.
    #[serde(default)]
    pub levy_share: BTreeMap<String, f64>,
    #[serde(default)]
    pub regions: BTreeMap<String, RegionOverride>,
}

fn one() -> f64 {
    1.0
}

impl Overrides {
    /// What every region's limit of a quota kind is multiplied by (the
    /// field named by the kind's scale key; 1 for a kind without one).
    pub fn quota_scale(&self, q: Quota) -> f64 {
        match q {
            Quota::Power => self.power_quota_scale,
            Quota::Energy => self.energy_quota_scale,
            Quota::Water => 1.0,
        }
    }
}

impl Default for Overrides {
    fn default() -> Self {
        Overrides {
            power_quota_scale: 1.0,
            energy_quota_scale: 1.0,
            site_capacity_scale: 1.0,
            levy_share: BTreeMap::new(),
            regions: BTreeMap::new(),
        }
    }
}

/// Scenario parameters as written in TOML; defaults documented in models/README.md.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ParamSpec {
    pub horizon_years: u32,
    pub discount_rate: f64,
    pub utilisation: f64,
    pub inference_share: f64,
    pub mega_cards: f64,
    pub mega_count: u32,
    pub mega_accelerators: Vec<String>,
    pub min_site_cards: f64,
    pub domestic_share: f64,
    /// "cards" or "h200_eq".
    pub domestic_share_basis: String,
    pub deadline_months: f64,
    pub fibre_us_per_km: f64,
    pub route_factor: f64,
    pub overhead_ms: f64,
    pub tce_per_mwh: f64,
    pub network_cny_per_card_ms_year: f64,
    /// Serve each city only from its nearest candidate sites within budget.
    pub max_sites_per_city: Option<usize>,
    /// IT MW a campus brings online per phase; whole sites at once when unset.
    pub campus_phase_mw: Option<f64>,
    /// Months between two phases of a campus.
    pub campus_phase_months: f64,
    /// Days within which delivered cards are installed (`[[deliveries]]`).
    pub install_days: f64,
    /// The calendar year whose January is month 0 (reports show months as
    /// `2026-02`); unset: months are shown as numbers.
    pub start_year: Option<u32>,
    /// Capacity charge of contracted grid power, CNY per kW per month; 0:
    /// no contract is modelled.
    pub power_contract_cny_per_kw_month: f64,
    /// Months between the start months a new hall may be given (a decision
    /// with phased deliveries); 0: every hall starts at month 0.
    pub hall_start_step_months: f64,
}

impl Default for ParamSpec {
    fn default() -> Self {
        ParamSpec {
            horizon_years: 5,
            discount_rate: 0.08,
            utilisation: 0.8,
            inference_share: 0.0,
            mega_cards: 0.0,
            mega_count: 0,
            mega_accelerators: vec!["h200".into()],
            min_site_cards: 0.0,
            domestic_share: 0.0,
            domestic_share_basis: "cards".into(),
            deadline_months: 120.0,
            fibre_us_per_km: 4.9,
            route_factor: 1.5,
            overhead_ms: 2.0,
            tce_per_mwh: 0.1229,
            network_cny_per_card_ms_year: 0.0,
            max_sites_per_city: None,
            campus_phase_mw: None,
            campus_phase_months: 3.0,
            install_days: 30.0,
            start_year: None,
            power_contract_cny_per_kw_month: 0.0,
            hall_start_step_months: 0.0,
        }
    }
}

/// `[risk]`: objective = expected cost + `lambda` × CVaR at level `alpha`.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RiskSpec {
    /// The CVaR's level: the mean of the costliest 1 − alpha of the
    /// probability mass. In [0, 1).
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// The CVaR's weight; 0 is risk-neutral.
    #[serde(default)]
    pub lambda: f64,
}

fn default_alpha() -> f64 {
    0.9
}

impl RiskSpec {
    /// What is out of range: the key under `[risk]`, what it must be, the
    /// value found (the scenario's keys and `dcsite hedge`'s flags alike).
    pub fn problems(&self) -> Vec<(&'static str, &'static str, f64)> {
        let mut out = Vec::new();
        if !(0.0..1.0).contains(&self.alpha) {
            out.push(("alpha", "a level in [0, 1)", self.alpha));
        }
        if !(self.lambda.is_finite() && self.lambda >= 0.0) {
            out.push(("lambda", "a weight ≥ 0", self.lambda));
        }
        out
    }
}

impl Default for RiskSpec {
    fn default() -> Self {
        RiskSpec {
            alpha: default_alpha(),
            lambda: 0.0,
        }
    }
}

/// `[sites.<site_id>]` of a scenario.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SiteWhatIf {
    pub status: String,
}

/// A scenario after `extends` is resolved.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Resolved away while loading; kept so the field is accepted.
    #[serde(default)]
    pub extends: Option<String>,
    #[serde(default = "none")]
    pub subsidy_scenario: String,
    pub tables: Tables,
    #[serde(default)]
    pub targets: BTreeMap<String, TargetSpec>,
    #[serde(default)]
    pub parameters: ParamSpec,
    #[serde(default)]
    pub bounds: Bounds,
    #[serde(default)]
    pub overrides: Overrides,
    /// Coordinate system of the `lat`/`lon` columns of sites.csv for rows whose
    /// `crs` cell is empty, e.g. `"EPSG:4490"`, `"GCJ-02"`; `None` means WGS 84.
    #[serde(default)]
    pub input_crs: Option<String>,
    /// What-if: `[sites.<site_id>] status = "excluded"` replaces a site's status.
    #[serde(default)]
    pub sites: BTreeMap<String, SiteWhatIf>,
    /// What-if: `[[subsidies]]` programmes added to the subsidy scenario in use
    /// (the columns of subsidies.csv but `scenario`). A child's list replaces
    /// its parent's.
    #[serde(default)]
    pub subsidies: Vec<toml::Table>,
    /// Phased deliveries: `[[deliveries]]` with `month`, `accelerator` and
    /// `cards` or `min_cards` / `max_cards`. A child's list replaces its
    /// parent's.
    #[serde(default)]
    pub deliveries: Vec<toml::Table>,
    /// What-if: `[set] "table.row_id.column" = value` sets one table cell.
    #[serde(default)]
    pub set: BTreeMap<String, toml::Value>,
    /// Two-stage plans (`dcsite hedge`): `[[outcomes]]`, each a `name`, a
    /// `probability` and scenario keys written on top of this scenario
    /// (`data::outcomes`); `solve` plans the scenario itself.
    #[serde(default)]
    pub outcomes: Vec<toml::Table>,
    /// The weight of the CVaR in a two-stage plan's objective.
    #[serde(default)]
    pub risk: RiskSpec,
    /// The file it was loaded from.
    #[serde(skip)]
    pub path: PathBuf,
    /// The files of the `extends` chain with their text, the file itself
    /// first, then its parent, …: to tell which file holds a key, on which line.
    #[serde(skip)]
    pub sources: Vec<(PathBuf, String)>,
    /// The scenario as one TOML table, `extends` merged (table paths
    /// absolute): what a sweep changes keys of before reading it again.
    #[serde(skip)]
    pub merged: toml::Table,
}

impl Scenario {
    /// The file that sets a dotted key (`parameters.utilisation`,
    /// `overrides.regions.jjj.pue_cap`) and its line, the nearest file of the
    /// `extends` chain first; the scenario itself without a line when no file
    /// spells the key out.
    pub fn locate(&self, key: &str) -> (PathBuf, Option<usize>) {
        // A key inside an inline table (`beijing = { status = "x" }`) is on
        // the line of the nearest enclosing key that is spelt out.
        let mut k = key;
        loop {
            if let Some(found) = locate_in(&self.sources, k) {
                return found;
            }
            match k.rsplit_once('.') {
                Some((parent, _)) => k = parent,
                None => return (self.path.clone(), None),
            }
        }
    }

    /// The file and line of `[set] "<cell>" = …`, nearest file first.
    pub fn locate_set(&self, cell: &str) -> (PathBuf, Option<usize>) {
        let quoted = [format!("\"{cell}\""), format!("'{cell}'")];
        for (path, text) in &self.sources {
            let mut in_set = false;
            for (i, raw) in text.lines().enumerate() {
                let line = raw.trim();
                if line.starts_with('[') {
                    in_set = line.starts_with("[set]");
                    continue;
                }
                let Some((lhs, _)) = line.split_once('=') else {
                    continue;
                };
                let lhs = lhs.trim();
                if (in_set && quoted.iter().any(|q| lhs == q))
                    || quoted.iter().any(|q| lhs == format!("set.{q}"))
                {
                    return (path.clone(), Some(i + 1));
                }
            }
        }
        // Not quoted (`sites.x.y = 1` under [set] is a table "sites"): the
        // line where that table starts.
        self.locate(&format!("set.{cell}"))
    }

    /// The file and line of the `n`-th (0-based) `[[subsidies]]` entry: the
    /// nearest file of the chain that has any (a child's list replaces its
    /// parent's).
    pub fn locate_subsidy(&self, n: usize) -> (PathBuf, Option<usize>) {
        self.locate_entry("subsidies", n)
    }

    /// The file and line of the `n`-th (0-based) `[[<array>]]` entry
    /// (`subsidies`, `deliveries`): the nearest file of the chain that has
    /// any (a child's list replaces its parent's).
    pub fn locate_entry(&self, array: &str, n: usize) -> (PathBuf, Option<usize>) {
        let header = format!("[[{array}]]");
        for (path, text) in &self.sources {
            let lines: Vec<usize> = text
                .lines()
                .enumerate()
                .filter(|(_, l)| l.trim().starts_with(&header))
                .map(|(i, _)| i + 1)
                .collect();
            if !lines.is_empty() {
                return (path.clone(), lines.get(n).copied());
            }
            if key_line(text, array).is_some() {
                return (path.clone(), key_line(text, array));
            }
        }
        (self.path.clone(), None)
    }
}

/// The file of `sources` (nearest first) that spells out `key`, and its line.
fn locate_in(sources: &[(PathBuf, String)], key: &str) -> Option<(PathBuf, Option<usize>)> {
    sources
        .iter()
        .find_map(|(path, text)| key_line(text, key).map(|line| (path.clone(), Some(line))))
}

/// A serde message with its quoted value cut to 80 characters.
pub(crate) fn cut_quoted(s: &str) -> String {
    match (s.find('"'), s.rfind('"')) {
        (Some(a), Some(b)) if b > a => format!(
            "{}{}{}",
            &s[..a],
            super::problem::shown(&s[a + 1..b]),
            &s[b + 1..]
        ),
        _ => s.to_string(),
    }
}

/// The parts of a dotted TOML key, unquoted.
fn key_parts(s: &str) -> Vec<String> {
    s.split('.')
        .map(|p| p.trim().trim_matches('"').trim_matches('\'').to_string())
        .collect()
}

/// The 1-based line of `text` that sets the dotted `key` (through a
/// `[section]` header and a `key = value` line, dotted keys allowed).
pub fn key_line(text: &str, key: &str) -> Option<usize> {
    let want = key_parts(key);
    let mut section: Vec<String> = Vec::new();
    // The first line inside the key (a table written as dotted keys under
    // it, `[set]` then `sites.x.y = 1`), when no line names it exactly.
    let mut inside = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with("[[") {
            section.clear();
            continue;
        }
        if let Some(h) = line.strip_prefix('[') {
            let h = h.split(']').next().unwrap_or("");
            section = key_parts(h);
            if section == want {
                return Some(i + 1);
            }
            continue;
        }
        let Some((lhs, _)) = line.split_once('=') else {
            continue;
        };
        if lhs.trim().is_empty() || lhs.trim_start().starts_with('#') {
            continue;
        }
        let mut full = section.clone();
        full.extend(key_parts(lhs));
        if full == want {
            return Some(i + 1);
        }
        if inside.is_none() && full.len() > want.len() && full.starts_with(&want) {
            inside = Some(i + 1);
        }
    }
    inside
}

/// Which keys a scenario file may hold, as a tree.
#[derive(Clone, Copy)]
enum Shape {
    /// A value.
    Leaf,
    /// A table with these keys only.
    Fixed(&'static [(&'static str, Shape)]),
    /// A table with any keys (ids), each holding this.
    Map(&'static Shape),
}

const LEAF: Shape = Shape::Leaf;
const TARGET_KEYS: Shape = Shape::Fixed(&[("cards", LEAF), ("min", LEAF), ("max", LEAF)]);
const BOUND_KEYS: Shape = Shape::Fixed(&[("min_cards", LEAF), ("max_cards", LEAF)]);
const REGION_OVERRIDE_KEYS: Shape = Shape::Fixed(&[
    ("power_quota_mw", LEAF),
    ("energy_quota_tce", LEAF),
    ("pue_cap", LEAF),
    ("water_quota_m3", LEAF),
]);
const SCENARIO_KEYS: Shape = Shape::Fixed(&[
    ("name", LEAF),
    ("description", LEAF),
    ("extends", LEAF),
    ("subsidy_scenario", LEAF),
    ("input_crs", LEAF),
    (
        "tables",
        Shape::Fixed(&[
            ("regions", LEAF),
            ("sites", LEAF),
            ("electricity_prices", LEAF),
            ("subsidies", LEAF),
            ("demand", LEAF),
            ("accelerators", LEAF),
            ("cooling", LEAF),
            ("clusters", LEAF),
        ]),
    ),
    ("targets", Shape::Map(&TARGET_KEYS)),
    ("sites", Shape::Map(&Shape::Fixed(&[("status", LEAF)]))),
    ("subsidies", LEAF),
    ("deliveries", LEAF),
    ("set", Shape::Map(&LEAF)),
    // Entries checked one by one (check_keys): scenario keys and their own.
    ("outcomes", LEAF),
    ("risk", Shape::Fixed(&[("alpha", LEAF), ("lambda", LEAF)])),
    (
        "parameters",
        Shape::Fixed(&[
            ("horizon_years", LEAF),
            ("discount_rate", LEAF),
            ("utilisation", LEAF),
            ("inference_share", LEAF),
            ("mega_cards", LEAF),
            ("mega_count", LEAF),
            ("mega_accelerators", LEAF),
            ("min_site_cards", LEAF),
            ("domestic_share", LEAF),
            ("domestic_share_basis", LEAF),
            ("deadline_months", LEAF),
            ("fibre_us_per_km", LEAF),
            ("route_factor", LEAF),
            ("overhead_ms", LEAF),
            ("tce_per_mwh", LEAF),
            ("network_cny_per_card_ms_year", LEAF),
            ("max_sites_per_city", LEAF),
            ("campus_phase_mw", LEAF),
            ("campus_phase_months", LEAF),
            ("install_days", LEAF),
            ("start_year", LEAF),
            ("power_contract_cny_per_kw_month", LEAF),
            ("hall_start_step_months", LEAF),
        ]),
    ),
    (
        "bounds",
        Shape::Fixed(&[
            ("region", Shape::Map(&BOUND_KEYS)),
            ("tier", Shape::Map(&BOUND_KEYS)),
            ("cluster", Shape::Map(&BOUND_KEYS)),
        ]),
    ),
    (
        "overrides",
        Shape::Fixed(&[
            ("power_quota_scale", LEAF),
            ("energy_quota_scale", LEAF),
            ("site_capacity_scale", LEAF),
            ("levy_share", Shape::Map(&LEAF)),
            ("regions", Shape::Map(&REGION_OVERRIDE_KEYS)),
        ]),
    ),
]);

/// Edit distance (Levenshtein) of two short words.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The known word nearest to `word`, when it is near enough to be a typo.
pub fn did_you_mean<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    known
        .into_iter()
        .map(|k| (distance(word, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Every key of `table` that `shape` does not allow, as (dotted key, keys allowed there).
fn unknown_keys(
    table: &toml::Table,
    shape: Shape,
    prefix: &str,
    out: &mut Vec<(String, Vec<&'static str>)>,
) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        let inner = match shape {
            Shape::Leaf => return,
            Shape::Map(inner) => *inner,
            Shape::Fixed(keys) => match keys.iter().find(|(name, _)| name == k) {
                Some((_, inner)) => *inner,
                None => {
                    out.push((key, keys.iter().map(|(n, _)| *n).collect()));
                    continue;
                }
            },
        };
        if let (toml::Value::Table(t), Shape::Fixed(_) | Shape::Map(_)) = (v, inner) {
            unknown_keys(t, inner, &key, out);
        }
    }
}

/// Whether a scenario may hold the dotted `key` as a value (a leaf of the
/// scenario's keys: `parameters.domestic_share`, `targets.h200.min`,
/// `overrides.levy_share.h200`); otherwise the keys allowed where it goes
/// wrong (empty when `key` names a table, not a value).
pub fn value_key(key: &str) -> Result<(), Vec<&'static str>> {
    let mut shape = SCENARIO_KEYS;
    for part in key.split('.') {
        shape = match shape {
            Shape::Leaf => return Err(Vec::new()),
            Shape::Map(inner) => *inner,
            Shape::Fixed(keys) => match keys.iter().find(|(name, _)| *name == part) {
                Some((_, inner)) => *inner,
                None => return Err(keys.iter().map(|(n, _)| *n).collect()),
            },
        };
    }
    match shape {
        Shape::Leaf => Ok(()),
        _ => Err(Vec::new()),
    }
}

/// Reports the keys of one scenario file that no scenario may hold, against
/// that file, with their line and the nearest known key.
fn check_keys(path: &Path, text: &str, table: &toml::Table, problems: &mut Problems) -> bool {
    let mut unknown = Vec::new();
    unknown_keys(table, SCENARIO_KEYS, "", &mut unknown);
    // An outcome holds scenario keys, besides its name and probability.
    if let Some(toml::Value::Array(entries)) = table.get("outcomes") {
        for (i, e) in entries.iter().enumerate() {
            if let toml::Value::Table(t) = e {
                let mut t = t.clone();
                t.remove("name");
                t.remove("probability");
                unknown_keys(&t, SCENARIO_KEYS, &format!("outcomes[{i}]"), &mut unknown);
            }
        }
    }
    for (key, known) in &unknown {
        let leaf = key.rsplit('.').next().unwrap_or(key);
        let hint = match did_you_mean(leaf, known.iter().copied()) {
            Some(k) => format!(" (did you mean {k}?)"),
            None => String::new(),
        };
        problems.push(Problem::new(
            path,
            key_line(text, key),
            Some(key),
            format!("a known key ({})", known.join(", ")),
            format!("unknown key {}{hint}", super::problem::shown(leaf)),
        ));
    }
    unknown.is_empty()
}

fn none() -> String {
    "none".into()
}

/// Reads a scenario file, following `extends` chains.
pub fn load_scenario(path: &Path) -> Result<Scenario, Problems> {
    let mut problems = Problems::default();
    let mut sources = Vec::new();
    let value = match load_value(path, &mut Vec::new(), &mut sources, &mut problems) {
        Some(v) if problems.is_empty() => v,
        _ => return Err(problems),
    };
    let mut scenario: Scenario = match toml::Value::Table(value.clone()).try_into() {
        Ok(s) => s,
        Err(e) => {
            let msg = e.to_string();
            let msg: Vec<&str> = msg
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            let msg = msg.join(" ");
            // "invalid type: …, expected u32 in `parameters.horizon_years`": name
            // the key, in the file that sets it, with its line.
            match msg.rsplit_once(" in `") {
                Some((what, key)) => {
                    let key = key.trim_end_matches('`');
                    let (file, line) =
                        locate_in(&sources, key).unwrap_or_else(|| (path.to_path_buf(), None));
                    problems.push(Problem::new(
                        &file,
                        line,
                        Some(key),
                        "a value of the type models/README.md documents for this key",
                        cut_quoted(what),
                    ));
                }
                None => problems.push(Problem::new(
                    path,
                    None,
                    None,
                    "a scenario with [tables] naming all seven tables and only known keys",
                    cut_quoted(&msg),
                )),
            }
            return Err(problems);
        }
    };
    scenario.path = path.to_path_buf();
    scenario.sources = sources;
    scenario.merged = value;
    for (key, v) in [
        ("name", &scenario.name),
        ("description", &scenario.description),
    ] {
        if v.chars().any(char::is_control) {
            let (file, line) = scenario.locate(key);
            problems.push(Problem::new(
                &file,
                line,
                Some(key),
                "text without control characters (escape sequences, line breaks)",
                super::problem::shown(v),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    if scenario.name.is_empty() {
        scenario.name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    Ok(scenario)
}

fn load_value(
    path: &Path,
    chain: &mut Vec<PathBuf>,
    sources: &mut Vec<(PathBuf, String)>,
    problems: &mut Problems,
) -> Option<toml::Table> {
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if chain.contains(&canonical) {
        // Named at the `extends` line that closes the cycle.
        let (file, line) = match sources.last() {
            Some((f, text)) => (f.clone(), key_line(text, "extends")),
            None => (path.to_path_buf(), None),
        };
        problems.push(Problem::new(
            &file,
            line,
            Some("extends"),
            "a chain of scenarios without a cycle",
            format!("{} extends itself", path.display()),
        ));
        return None;
    }
    chain.push(canonical);
    let text = read_scenario_text(path, problems)?;
    let text = text.as_str();
    let mut table = parse_scenario(path, text, problems)?;
    sources.push((path.to_path_buf(), text.to_string()));
    check_keys(path, text, &table, problems);
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    resolve_table_paths(path, text, &dir, &mut table, problems);
    let parent = match table.get("extends") {
        None => None,
        Some(toml::Value::String(p)) => Some(dir.join(p)),
        Some(other) => {
            problems.push(Problem::new(
                path,
                key_line(text, "extends"),
                Some("extends"),
                "a scenario file path (string)",
                other.type_str(),
            ));
            return None;
        }
    };
    match parent {
        None => Some(table),
        Some(parent) => {
            if !parent.exists() {
                problems.push(Problem::new(
                    path,
                    key_line(text, "extends"),
                    Some("extends"),
                    "an existing scenario file",
                    format!("no file {}", parent.display()),
                ));
                return None;
            }
            let mut base = load_value(&parent, chain, sources, problems)?;
            table.remove("extends");
            // The child's own name and description must not be inherited.
            base.remove("name");
            base.remove("description");
            merge(&mut base, table);
            Some(base)
        }
    }
}

/// A scenario file's text (UTF-8, without a byte-order mark), or the problem.
fn read_scenario_text(path: &Path, problems: &mut Problems) -> Option<String> {
    let bytes =
        match super::file::read_regular(path, super::file::MAX_SCENARIO_BYTES, "scenario file", "")
        {
            Ok(b) => b,
            Err((expected, found)) => {
                problems.push(Problem::new(path, None, None, expected, found));
                return None;
            }
        };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let line = e.as_bytes()[..valid]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            problems.push(Problem::new(
                path,
                Some(line),
                None,
                "UTF-8 text",
                format!("an invalid byte sequence at byte {valid}"),
            ));
            return None;
        }
    };
    Some(match text.strip_prefix('\u{feff}') {
        Some(t) => t.to_string(),
        None => text,
    })
}

/// A scenario file's text as TOML, or the problem with its line.
fn parse_scenario(path: &Path, text: &str, problems: &mut Problems) -> Option<toml::Table> {
    match text.parse::<toml::Table>() {
        Ok(t) => Some(t),
        Err(e) => {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            problems.push(Problem::new(
                path,
                line,
                None,
                "valid TOML",
                e.message().to_string(),
            ));
            None
        }
    }
}

/// Table paths are relative to the file that names them: joined to `dir`.
fn resolve_table_paths(
    path: &Path,
    text: &str,
    dir: &Path,
    table: &mut toml::Table,
    problems: &mut Problems,
) {
    let Some(toml::Value::Table(tables)) = table.get_mut("tables") else {
        return;
    };
    for (key, v) in tables.iter_mut() {
        match v {
            toml::Value::String(s) => {
                let p = dir.join(&*s);
                *s = p.to_string_lossy().into_owned();
            }
            other => {
                let key = format!("tables.{key}");
                problems.push(Problem::new(
                    path,
                    key_line(text, &key),
                    Some(&key),
                    "a file path (string)",
                    other.type_str(),
                ));
            }
        }
    }
}

/// Deep merge: tables merge key by key, everything else is replaced.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}
