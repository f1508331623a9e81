//! Scenario files (TOML): which tables, which subsidy scenario, parameters,
//! targets and bounds. A scenario may `extends` another and change only what
//! differs; table paths resolve relative to the file that names them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::problem::{Problem, Problems};

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
}

/// Per-region overrides of the regions table.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct RegionOverride {
    pub power_quota_mw: Option<f64>,
    pub energy_quota_tce: Option<f64>,
    pub pue_cap: Option<f64>,
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
        }
    }
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
    /// The file it was loaded from.
    #[serde(skip)]
    pub path: PathBuf,
}

fn none() -> String {
    "none".into()
}

/// Reads a scenario file, following `extends` chains.
pub fn load_scenario(path: &Path) -> Result<Scenario, Problems> {
    let mut problems = Problems::default();
    let value = match load_value(path, &mut Vec::new(), &mut problems) {
        Some(v) => v,
        None => return Err(problems),
    };
    let mut scenario: Scenario = match toml::Value::Table(value).try_into() {
        Ok(s) => s,
        Err(e) => {
            let msg = e.to_string();
            let msg: Vec<&str> = msg
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            problems.push(Problem::new(
                path,
                None,
                None,
                "a scenario with [tables] naming all seven tables and only known keys",
                msg.join(" "),
            ));
            return Err(problems);
        }
    };
    scenario.path = path.to_path_buf();
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
    problems: &mut Problems,
) -> Option<toml::Table> {
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    if chain.contains(&canonical) {
        problems.push(Problem::new(
            path,
            None,
            Some("extends"),
            "a chain of scenarios without a cycle",
            format!("{} extends itself", path.display()),
        ));
        return None;
    }
    chain.push(canonical);
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            problems.push(Problem::new(
                path,
                None,
                None,
                "a readable scenario file",
                e.to_string(),
            ));
            return None;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut table: toml::Table = match text.parse() {
        Ok(t) => t,
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
            return None;
        }
    };
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    // Table paths are relative to the file that names them.
    if let Some(toml::Value::Table(tables)) = table.get_mut("tables") {
        for (key, v) in tables.iter_mut() {
            match v {
                toml::Value::String(s) => {
                    let p = dir.join(&*s);
                    *s = p.to_string_lossy().into_owned();
                }
                other => {
                    problems.push(Problem::new(
                        path,
                        None,
                        Some(&format!("tables.{key}")),
                        "a file path (string)",
                        other.type_str(),
                    ));
                }
            }
        }
    }
    let parent = match table.get("extends") {
        None => None,
        Some(toml::Value::String(p)) => Some(dir.join(p)),
        Some(other) => {
            problems.push(Problem::new(
                path,
                None,
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
                    None,
                    Some("extends"),
                    "an existing scenario file",
                    format!("no file {}", parent.display()),
                ));
                return None;
            }
            let mut base = load_value(&parent, chain, problems)?;
            table.remove("extends");
            // The child's own name and description must not be inherited.
            base.remove("name");
            base.remove("description");
            merge(&mut base, table);
            Some(base)
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
