//! Turns a scenario and its tables into a domain [`Instance`], or every
//! problem found on the way.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::problem::{cut, found_number, shown, Problem, Problems};
use super::scenario::{load_scenario, Scenario};
use super::schema;
use super::table::{read_table_capped, sheet_row, RawTable};
use crate::domain::*;
use crate::spatial::crs::{CrsError, InputCrs};

/// Counts shown by `dcsite validate`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadSummary {
    /// Rows per table, in load order.
    pub rows: Vec<(&'static str, usize)>,
    /// Regions per tier.
    pub regions_per_tier: Vec<(Tier, usize)>,
    pub subsidy_programmes: usize,
    /// Warnings of the scenario's what-ifs (a price moved outside its range
    /// widens the range), for stderr.
    pub warnings: Vec<String>,
}

/// Loads a scenario file and everything it names.
pub fn load(scenario_path: &Path) -> Result<(Scenario, Instance, LoadSummary), Problems> {
    let scenario = load_scenario(scenario_path)?;
    let (instance, summary) = load_tables(&scenario)?;
    Ok((scenario, instance, summary))
}

/// Why a load within a deadline stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadError {
    Problems(Problems),
    TimeUp(TimeUp),
}

impl From<Problems> for LoadError {
    fn from(p: Problems) -> Self {
        LoadError::Problems(p)
    }
}

/// [`load`] that stops with [`LoadError::TimeUp`] once `deadline` passes
/// (checked between tables and between loading steps).
pub fn load_within(
    scenario_path: &Path,
    deadline: Option<&Deadline>,
) -> Result<(Scenario, Instance, LoadSummary), LoadError> {
    check_deadline(deadline, "reading the scenario").map_err(LoadError::TimeUp)?;
    let scenario = load_scenario(scenario_path)?;
    let (instance, summary) = load_tables_within(&scenario, deadline)?;
    Ok((scenario, instance, summary))
}

/// [`load_tables`] within a deadline.
pub fn load_tables_within(
    sc: &Scenario,
    deadline: Option<&Deadline>,
) -> Result<(Instance, LoadSummary), LoadError> {
    let mut time_up = None;
    let r = load_tables_inner(sc, deadline, &mut time_up);
    match (r, time_up) {
        (_, Some(t)) => Err(LoadError::TimeUp(t)),
        (r, None) => r.map_err(LoadError::Problems),
    }
}

/// Loads the tables a scenario names and applies its parameters.
pub fn load_tables(sc: &Scenario) -> Result<(Instance, LoadSummary), Problems> {
    load_tables_inner(sc, None, &mut None)
}

fn load_tables_inner(
    sc: &Scenario,
    deadline: Option<&Deadline>,
    time_up: &mut Option<TimeUp>,
) -> Result<(Instance, LoadSummary), Problems> {
    let raw = read_raw(sc, deadline, time_up)?;
    instance_from_raw(sc, raw, deadline, time_up)
}

/// The seven tables of a scenario as read from their files, before the
/// scenario's what-ifs, with the problems reading them found. A sweep reads
/// them once and turns them into an instance for every drawn scenario.
#[derive(Debug, Clone)]
pub struct RawTables {
    /// In the order of [`Scenario::tables`]' `iter()`.
    pub tables: [RawTable; 7],
    /// The optional planning clusters table (`tables.clusters`).
    pub clusters: Option<RawTable>,
    problems: Problems,
}

/// Reads the tables a scenario names (nothing of the scenario applied yet).
pub fn read_raw_tables(sc: &Scenario) -> Result<RawTables, Problems> {
    read_raw(sc, None, &mut None)
}

/// [`load_tables`] from tables already read: the scenario's what-ifs,
/// parameters and overrides applied to a copy of `raw`.
pub fn load_from_raw(sc: &Scenario, raw: RawTables) -> Result<(Instance, LoadSummary), Problems> {
    instance_from_raw(sc, raw, None, &mut None)
}

fn read_raw(
    sc: &Scenario,
    deadline: Option<&Deadline>,
    time_up: &mut Option<TimeUp>,
) -> Result<RawTables, Problems> {
    // Between steps: once the deadline has passed, stop (the caller reports
    // `time_up`, not the problems).
    macro_rules! checkpoint {
        ($stage:expr) => {
            if let Err(t) = check_deadline(deadline, $stage) {
                *time_up = Some(t);
                return Err(Problems::default());
            }
        };
    }
    let mut p = Problems::default();
    let limit = check_table_files(sc, &mut p);
    if !p.is_empty() {
        return Err(p);
    }
    let stage = "loading the tables";
    // In the order of `Tables::iter`.
    let specs: [&'static schema::Table; 7] = [
        &schema::REGIONS,
        &schema::SITES,
        &schema::ELECTRICITY_PRICES,
        &schema::SUBSIDIES,
        &schema::DEMAND,
        &schema::ACCELERATORS,
        &schema::COOLING,
    ];
    let mut tables: [Option<RawTable>; 7] = Default::default();
    for ((table, (_, path)), spec) in tables.iter_mut().zip(sc.tables.iter()).zip(specs) {
        checkpoint!(stage);
        *table = read_table_capped(path, spec, limit, &mut p);
    }
    checkpoint!(stage);
    let t_clusters = sc
        .tables
        .clusters
        .as_ref()
        .map(|path| read_table_capped(path, &schema::CLUSTERS, limit, &mut p));
    if matches!(t_clusters, Some(None)) {
        return Err(p);
    }
    checkpoint!(stage);
    if tables.iter().any(Option::is_none) {
        return Err(p);
    }
    Ok(RawTables {
        tables: tables.map(|t| t.expect("checked above")),
        clusters: t_clusters.flatten(),
        problems: p,
    })
}

/// Every table file the scenario names exists; the largest size a table
/// may have (its environment variable's, or the default where that is wrong).
fn check_table_files(sc: &Scenario, p: &mut Problems) -> u64 {
    for (name, path) in sc.tables.iter() {
        if !path.exists() {
            p.push(key_problem(
                sc,
                &format!("tables.{name}"),
                "an existing file",
                format!("no file {}", path.display()),
            ));
        }
    }
    let limit = match super::file::max_table_bytes() {
        Ok(n) => n,
        Err(found) => {
            p.push(Problem::new(
                Path::new(super::file::MAX_TABLE_BYTES_ENV),
                None,
                None,
                "a whole number of bytes ≥ 1 (the largest table file)",
                found,
            ));
            super::file::DEFAULT_MAX_TABLE_BYTES
        }
    };
    if let Some(path) = &sc.tables.clusters {
        if !path.exists() {
            p.push(key_problem(
                sc,
                "tables.clusters",
                "an existing file",
                format!("no file {}", path.display()),
            ));
        }
    }
    limit
}

fn instance_from_raw(
    sc: &Scenario,
    raw: RawTables,
    deadline: Option<&Deadline>,
    time_up: &mut Option<TimeUp>,
) -> Result<(Instance, LoadSummary), Problems> {
    macro_rules! checkpoint {
        ($stage:expr) => {
            if let Err(t) = check_deadline(deadline, $stage) {
                *time_up = Some(t);
                return Err(Problems::default());
            }
        };
    }
    let RawTables {
        tables: mut t,
        clusters: t_clusters,
        problems: mut p,
    } = raw;
    // Scenario what-ifs ([sites], [set], [[subsidies]]) edit the tables as
    // read; problems found from here on in cells they wrote name their key.
    let from = p.len();
    let what_ifs = super::whatif::apply(sc, &mut t.each_mut(), &mut p);
    let [t_regions, t_sites, t_prices, t_subsidies, t_demand, t_accel, t_cooling] = &mut t;

    checkpoint!("loading the tables");
    let regions = regions_from(t_regions);
    let sites = sites_from(t_sites, sc, &mut p);
    checkpoint!("checking the tables");
    let prices = prices_from(t_prices, &mut p);
    let accelerators = accelerators_from(t_accel, &mut p);
    let cooling = cooling_from(t_cooling);
    let demand = demand_from(t_demand, &mut p);

    // Cross-references.
    let region_ids: HashSet<&str> = regions.iter().map(|r| r.id.as_str()).collect();
    let site_ids: HashSet<&str> = sites.iter().map(|s| s.id.as_str()).collect();
    let accel_ids: HashSet<&str> = accelerators.iter().map(|a| a.id.as_str()).collect();
    check_site_refs(t_sites, &sites, &region_ids, &prices, &mut p);
    let clusters = match &t_clusters {
        Some(t) => clusters_from(t, &region_ids, &mut p),
        _ => Vec::new(),
    };

    checkpoint!("checking the tables");
    let subsidies = subsidies_from(t_subsidies, sc, &region_ids, &site_ids, &mut p);

    // Scenario parameters, targets, bounds and overrides, in this order.
    let params = params_from(sc, &accel_ids, &mut p);
    let mut inst = Instance {
        name: sc.name.clone(),
        deliveries: super::deliveries::deliveries_from(sc, &accel_ids, &params, &mut p),
        targets: targets_from(sc, &accel_ids, &mut p),
        region_bounds: region_bounds_from(sc, &region_ids, &mut p),
        tier_bounds: tier_bounds_from(sc, &mut p),
        cluster_bounds: cluster_bounds_from(sc, &clusters, &mut p),
        params,
        regions,
        sites,
        prices,
        accelerators,
        cooling,
        subsidies,
        demand,
        clusters,
    };
    apply_overrides(sc, &mut inst, &mut p);

    what_ifs.remap(&mut p, from);
    if !p.is_empty() {
        return Err(p);
    }
    let summary = load_summary(&t, t_clusters.as_ref(), &inst, what_ifs.warnings);
    Ok((inst, summary))
}

/// Every site's region and province, checked against the regions and
/// electricity prices tables.
fn check_site_refs(
    t_sites: &RawTable,
    sites: &[Site],
    region_ids: &HashSet<&str>,
    prices: &[PriceZone],
    p: &mut Problems,
) {
    let province_ids: HashSet<&str> = prices.iter().map(|r| r.province.as_str()).collect();
    for (i, s) in sites.iter().enumerate() {
        if !s.region_id.is_empty() && !region_ids.contains(s.region_id.as_str()) {
            p.push(unknown_ref(
                t_sites,
                i,
                "region_id",
                &s.region_id,
                "regions",
                region_ids,
            ));
        }
        if !s.province.is_empty() && !province_ids.contains(s.province.as_str()) {
            p.push(unknown_ref(
                t_sites,
                i,
                "province",
                &s.province,
                "electricity_prices",
                &province_ids,
            ));
        }
    }
}

/// The subsidies of the scenario's subsidy scenario. Every row is checked,
/// whichever scenario it belongs to: a broken row of another scenario is a
/// broken table all the same.
fn subsidies_from(
    t: &RawTable,
    sc: &Scenario,
    region_ids: &HashSet<&str>,
    site_ids: &HashSet<&str>,
    p: &mut Problems,
) -> Vec<Subsidy> {
    let mut subsidies = Vec::new();
    let mut scenario_names = HashSet::new();
    let mut programmes: HashMap<(String, String), usize> = HashMap::new();
    for i in 0..t.n_rows {
        let scen = t.text("scenario", i);
        scenario_names.insert(scen.clone());
        let programme_id = t.text("programme_id", i);
        // Every scenario of the table, not only the one in use: a duplicate
        // elsewhere is a broken table all the same.
        if let Some(first) = programmes.insert((scen.clone(), programme_id.clone()), i) {
            programmes.insert((scen.clone(), programme_id.clone()), first);
            p.push(Problem::new(
                &t.file,
                Some(sheet_row(i)),
                Some("programme_id"),
                format!(
                    "a programme id unique within its scenario ({})",
                    shown(&scen)
                ),
                format!(
                    "{} again (first on row {})",
                    shown(&programme_id),
                    sheet_row(first)
                ),
            ));
        }
        let (region_id, site_id) = subsidy_refs(t, i, region_ids, site_ids, p);
        let kind = SubsidyKind::parse(&t.text("kind", i));
        let value = t.real("value", i);
        check_subsidy_value(t, i, kind, value, p);
        let applies_to = AppliesTo::parse(&t.text("applies_to", i));
        if scen != sc.subsidy_scenario {
            continue;
        }
        if let (Some(kind), Some(applies_to)) = (kind, applies_to) {
            subsidies.push(Subsidy {
                programme_id,
                region_id,
                site_id,
                kind,
                value,
                cap_cny: t.opt_real("cap_cny", i),
                applies_to,
            });
        }
    }
    check_subsidy_scenario(sc, scenario_names, p);
    subsidies
}

/// A subsidy row's region and site, checked: at least one, each known.
fn subsidy_refs(
    t: &RawTable,
    i: usize,
    region_ids: &HashSet<&str>,
    site_ids: &HashSet<&str>,
    p: &mut Problems,
) -> (Option<String>, Option<String>) {
    let region_id = t.opt_text("region_id", i);
    let site_id = t.opt_text("site_id", i);
    if region_id.is_none() && site_id.is_none() {
        p.push(Problem::new(
            &t.file,
            Some(sheet_row(i)),
            Some("region_id"),
            "a region_id or a site_id",
            "both empty",
        ));
    }
    if let Some(r) = &region_id {
        if !region_ids.contains(r.as_str()) {
            p.push(unknown_ref(t, i, "region_id", r, "regions", region_ids));
        }
    }
    if let Some(s) = &site_id {
        if !site_ids.contains(s.as_str()) {
            p.push(unknown_ref(t, i, "site_id", s, "sites", site_ids));
        }
    }
    (region_id, site_id)
}

/// A subsidy's value within the range its kind allows.
fn check_subsidy_value(
    t: &RawTable,
    i: usize,
    kind: Option<SubsidyKind>,
    value: f64,
    p: &mut Problems,
) {
    let Some(k) = kind else { return };
    let (file, row) = (&t.file, Some(sheet_row(i)));
    if k == SubsidyKind::ElectricityCnyPerKwh && value > 10.0 {
        p.push(Problem::new(
            file,
            row,
            Some("value"),
            "CNY/kWh from 0 to 10 for kind electricity_cny_per_kwh",
            shown(&t.text("value", i)),
        ));
    }
    if k.is_share() && value > 1.0 {
        p.push(Problem::new(
            file,
            row,
            Some("value"),
            format!("a share from 0 to 1 for kind {}", k.as_str()),
            shown(&t.text("value", i)),
        ));
    }
}

/// The scenario's subsidy scenario: none, or one of the subsidies table.
fn check_subsidy_scenario(sc: &Scenario, scenario_names: HashSet<String>, p: &mut Problems) {
    if sc.subsidy_scenario != "none" && !scenario_names.contains(&sc.subsidy_scenario) {
        let mut known: Vec<_> = scenario_names.into_iter().collect();
        known.sort();
        p.push(key_problem(
            sc,
            "subsidy_scenario",
            format!(
                "none or a scenario of {} ({})",
                sc.tables.subsidies.display(),
                known.join(", ")
            ),
            shown(&sc.subsidy_scenario),
        ));
    }
}

/// The scenario's accelerator targets (`[targets.<accel>]`).
fn targets_from(
    sc: &Scenario,
    accel_ids: &HashSet<&str>,
    p: &mut Problems,
) -> BTreeMap<String, Target> {
    let mut targets = BTreeMap::new();
    for (a, t) in &sc.targets {
        let key = format!("targets.{a}");
        if !accel_ids.contains(a.as_str()) {
            p.push(key_problem(
                sc,
                &key,
                format!("an accelerator of {}", sc.tables.accelerators.display()),
                shown(a),
            ));
        }
        if let Some(target) = target_from(sc, &key, t, p) {
            targets.insert(a.clone(), target);
        }
    }
    targets
}

/// One target: either cards, or min and/or max, with min ≤ max.
fn target_from(
    sc: &Scenario,
    key: &str,
    t: &super::scenario::TargetSpec,
    p: &mut Problems,
) -> Option<Target> {
    let mut ok = true;
    for (leaf, v) in [("cards", t.cards), ("min", t.min), ("max", t.max)] {
        if let Some(v) = v {
            ok &= check_number(
                sc,
                &format!("targets.<accel>.{leaf}"),
                &format!("{key}.{leaf}"),
                v,
                p,
            );
        }
    }
    let target = match (t.cards, t.min, t.max) {
        (Some(c), None, None) => Target {
            min: c,
            max: Some(c),
        },
        (None, min, max) => Target {
            min: min.unwrap_or(0.0),
            max,
        },
        _ => {
            p.push(key_problem(
                sc,
                key,
                "either cards, or min and/or max",
                "cards together with min or max",
            ));
            return None;
        }
    };
    if ok && target.max.is_some_and(|m| m < target.min) {
        p.push(key_problem(
            sc,
            key,
            "min ≤ max",
            format!(
                "min {} max {}",
                found_number(target.min),
                found_number(target.max.unwrap_or(f64::NAN))
            ),
        ));
    }
    Some(target)
}

/// The scenario's card bounds of regions (`[bounds.region.<region>]`).
fn region_bounds_from(
    sc: &Scenario,
    region_ids: &HashSet<&str>,
    p: &mut Problems,
) -> BTreeMap<String, CardBounds> {
    let mut region_bounds = BTreeMap::new();
    for (r, b) in &sc.bounds.region {
        if !region_ids.contains(r.as_str()) {
            p.push(key_problem(
                sc,
                &format!("bounds.region.{r}"),
                "a region of regions.csv",
                shown(r),
            ));
        }
        check_bounds(
            sc,
            &format!("bounds.region.{r}"),
            b.min_cards,
            b.max_cards,
            p,
        );
        region_bounds.insert(
            r.clone(),
            CardBounds {
                min_cards: b.min_cards,
                max_cards: b.max_cards,
            },
        );
    }
    region_bounds
}

/// The scenario's card bounds of tiers (`[bounds.tier.<tier>]`).
fn tier_bounds_from(sc: &Scenario, p: &mut Problems) -> BTreeMap<Tier, CardBounds> {
    let mut tier_bounds = BTreeMap::new();
    for (t, b) in &sc.bounds.tier {
        let key = format!("bounds.tier.{t}");
        match Tier::parse(t) {
            Some(tier) => {
                check_bounds(sc, &key, b.min_cards, b.max_cards, p);
                tier_bounds.insert(
                    tier,
                    CardBounds {
                        min_cards: b.min_cards,
                        max_cards: b.max_cards,
                    },
                );
            }
            None => p.push(key_problem(
                sc,
                &key,
                "core, regional or frontier",
                shown(t),
            )),
        }
    }
    tier_bounds
}

/// The scenario's card bounds of planning clusters (`[bounds.cluster.<cluster>]`).
fn cluster_bounds_from(
    sc: &Scenario,
    clusters: &[Cluster],
    p: &mut Problems,
) -> BTreeMap<String, CardBounds> {
    let mut cluster_bounds = BTreeMap::new();
    for (c, b) in &sc.bounds.cluster {
        let key = format!("bounds.cluster.{c}");
        if !clusters.iter().any(|x| &x.id == c) {
            p.push(key_problem(
                sc,
                &key,
                match &sc.tables.clusters {
                    Some(path) => format!("a cluster of {}", path.display()),
                    None => "a cluster of the clusters table (tables.clusters)".into(),
                },
                shown(c),
            ));
        }
        check_bounds(sc, &key, b.min_cards, b.max_cards, p);
        cluster_bounds.insert(
            c.clone(),
            CardBounds {
                min_cards: b.min_cards,
                max_cards: b.max_cards,
            },
        );
    }
    cluster_bounds
}

/// The scenario's `[overrides]`: quota and capacity scales, per-region
/// quotas and PUE caps, levy shares.
fn apply_overrides(sc: &Scenario, inst: &mut Instance, p: &mut Problems) {
    let o = &sc.overrides;
    let scaled: Vec<(Quota, &str)> = Quota::ALL
        .into_iter()
        .filter_map(|q| Some((q, q.traits().scale_key?)))
        .collect();
    for (q, key) in &scaled {
        check_number(sc, key, key, o.quota_scale(*q), p);
    }
    let key = "overrides.site_capacity_scale";
    check_number(sc, key, key, o.site_capacity_scale, p);
    for r in &mut inst.regions {
        for (q, _) in &scaled {
            if let Some(limit) = &mut r.quotas[*q] {
                *limit *= o.quota_scale(*q);
            }
        }
    }
    apply_region_overrides(sc, &mut inst.regions, p);
    for s in &mut inst.sites {
        s.max_it_mw *= o.site_capacity_scale;
    }
    for (a, v) in &o.levy_share {
        let key = format!("overrides.levy_share.{a}");
        match inst.accelerators.iter_mut().find(|x| &x.id == a) {
            Some(x) => {
                if check_number(sc, "overrides.levy_share.<accel>", &key, *v, p) {
                    x.levy_share = *v;
                }
            }
            None => p.push(key_problem(
                sc,
                &key,
                "an accelerator of accelerators.csv",
                shown(a),
            )),
        }
    }
}

/// `[overrides.regions.<region>]`: the quotas of regions.csv, its PUE cap,
/// then the quotas only a scenario sets, each checked before it is set.
fn apply_region_overrides(sc: &Scenario, regions: &mut [Region], p: &mut Problems) {
    let in_table = |yes: bool| {
        Quota::ALL
            .into_iter()
            .filter(move |q| q.traits().in_table == yes)
            .map(Some)
    };
    let leaves: Vec<Option<Quota>> = in_table(true)
        .chain([None])
        .chain(in_table(false))
        .collect();
    for (rid, ov) in &sc.overrides.regions {
        let key = format!("overrides.regions.{rid}");
        let Some(r) = regions.iter_mut().find(|r| &r.id == rid) else {
            p.push(key_problem(sc, &key, "a region of regions.csv", shown(rid)));
            continue;
        };
        for &q in &leaves {
            let (leaf, v) = match q {
                Some(q) => (q.traits().key, ov.quota(q)),
                None => ("pue_cap", ov.pue_cap),
            };
            let Some(v) = v else { continue };
            let doc = format!("overrides.regions.<region>.{leaf}");
            if check_number(sc, &doc, &format!("{key}.{leaf}"), v, p) {
                match q {
                    Some(q) => r.quotas[q] = Some(v),
                    None => r.pue_cap = v,
                }
            }
        }
    }
}

/// Rows per table and regions per tier, for `dcsite validate`.
fn load_summary(
    tables: &[RawTable; 7],
    clusters: Option<&RawTable>,
    inst: &Instance,
    warnings: Vec<String>,
) -> LoadSummary {
    let names = [
        "regions",
        "sites",
        "electricity_prices",
        "subsidies",
        "demand",
        "accelerators",
        "cooling",
    ];
    let mut rows: Vec<(&'static str, usize)> = names
        .into_iter()
        .zip(tables.iter().map(|t| t.n_rows))
        .collect();
    if let Some(t) = clusters {
        rows.push(("clusters", t.n_rows));
    }
    LoadSummary {
        warnings,
        rows,
        regions_per_tier: Tier::ALL
            .iter()
            .map(|t| (*t, inst.regions.iter().filter(|r| r.tier == *t).count()))
            .collect(),
        subsidy_programmes: inst.subsidies.len(),
    }
}

/// A problem with a scenario key, against the file of the `extends` chain
/// that sets it, with its line.
fn key_problem(
    sc: &Scenario,
    key: &str,
    expected: impl Into<String>,
    found: impl Into<String>,
) -> Problem {
    let (file, line) = sc.locate(key);
    Problem::new(&file, line, Some(key), expected, found)
}

/// Checks a scenario number against its documented range (`doc_key` as in
/// [`schema::SCENARIO_NUMBERS`]); records a problem naming `key` otherwise.
fn check_number(sc: &Scenario, doc_key: &str, key: &str, v: f64, p: &mut Problems) -> bool {
    match schema::scenario_number(doc_key).check_number(v) {
        Ok(()) => true,
        Err(expected) => {
            p.push(key_problem(sc, key, expected, found_number(v)));
            false
        }
    }
}

fn check_bounds(sc: &Scenario, key: &str, min: Option<f64>, max: Option<f64>, p: &mut Problems) {
    let mut ok = true;
    for (leaf, v) in [("min_cards", min), ("max_cards", max)] {
        if let Some(v) = v {
            let doc = format!("bounds.<region, tier or cluster>.{leaf}");
            ok &= check_number(sc, &doc, &format!("{key}.{leaf}"), v, p);
        }
    }
    if let (true, Some(a), Some(b)) = (ok, min, max) {
        if a > b {
            p.push(key_problem(
                sc,
                key,
                "min_cards ≤ max_cards",
                format!(
                    "min_cards {}, max_cards {}",
                    found_number(a),
                    found_number(b)
                ),
            ));
        }
    }
}

fn unknown_ref(
    t: &RawTable,
    i: usize,
    column: &str,
    value: &str,
    target: &str,
    known: &HashSet<&str>,
) -> Problem {
    let mut k: Vec<String> = known.iter().map(|id| cut(id, 40)).collect();
    k.sort();
    let list = if k.len() > 12 {
        format!("{}, …", k[..12].join(", "))
    } else {
        k.join(", ")
    };
    Problem::new(
        &t.file,
        Some(sheet_row(i)),
        Some(column),
        format!("an id of {target} ({list})"),
        format!("unknown {}", shown(value)),
    )
}

/// Clusters of the clusters table; every member an id of regions, no region
/// in two clusters.
fn clusters_from(t: &RawTable, region_ids: &HashSet<&str>, p: &mut Problems) -> Vec<Cluster> {
    let mut first: HashMap<String, (usize, String)> = HashMap::new();
    (0..t.n_rows)
        .map(|i| {
            let id = t.text("cluster_id", i);
            let members: Vec<String> = t
                .text("regions", i)
                .split(';')
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty())
                .collect();
            for m in &members {
                if !region_ids.contains(m.as_str()) {
                    p.push(unknown_ref(t, i, "regions", m, "regions", region_ids));
                } else if let Some((row, other)) = first.get(m) {
                    p.push(Problem::new(
                        &t.file,
                        Some(sheet_row(i)),
                        Some("regions"),
                        "each region in at most one cluster",
                        format!(
                            "{} again (already in cluster {} on row {})",
                            shown(m),
                            shown(other),
                            sheet_row(*row)
                        ),
                    ));
                } else {
                    first.insert(m.clone(), (i, id.clone()));
                }
            }
            Cluster {
                id,
                name_en: t.text("name_en", i),
                name_zh: t.text("name_zh", i),
                kind: ClusterKind::parse(&t.text("kind", i)).unwrap_or(ClusterKind::Other),
                regions: members,
                source: t.text("source", i),
            }
        })
        .collect()
}

fn regions_from(t: &RawTable) -> Vec<Region> {
    (0..t.n_rows)
        .map(|i| Region {
            id: t.text("region_id", i),
            name_en: t.text("name_en", i),
            name_zh: t.text("name_zh", i),
            tier: Tier::parse(&t.text("tier", i)).unwrap_or(Tier::Frontier),
            quotas: quotas_from(t, i),
            pue_cap: t.real("pue_cap", i),
            green_share: t.real("green_share", i),
        })
        .collect()
}

/// The quotas of row `i` of regions.csv: those it has columns for.
fn quotas_from(t: &RawTable, i: usize) -> PerQuota<Option<f64>> {
    let mut quotas = PerQuota::default();
    for q in Quota::ALL {
        let c = q.traits();
        if c.in_table {
            quotas[q] = Some(t.real(c.key, i));
        }
    }
    quotas
}

/// China's bounding box, to tell swapped coordinates from real ones.
fn in_china(lat: f64, lon: f64) -> bool {
    (15.0..=56.0).contains(&lat) && (70.0..=140.0).contains(&lon)
}

fn check_coords(t: &RawTable, i: usize, lat: f64, lon: f64, p: &mut Problems) {
    if lat.is_finite() && lon.is_finite() && !in_china(lat, lon) && in_china(lon, lat) {
        p.push(Problem::new(
            &t.file,
            Some(sheet_row(i)),
            Some("lat"),
            "latitude in lat and longitude in lon",
            format!("lat {lat}, lon {lon}: apparently swapped"),
        ));
    }
}

/// Converts one site's `lat`/`lon` cells to WGS 84 (lat, lon), recording
/// problems: out-of-range degrees, an unknown `crs`, a point PROJ cannot
/// transform, apparently swapped coordinates.
fn site_coords(
    t: &RawTable,
    i: usize,
    code: Option<&str>,
    from_cell: bool,
    crs_cache: &mut HashMap<String, Result<InputCrs, CrsError>>,
    p: &mut Problems,
) -> (f64, f64) {
    let (y, x) = (t.real("lat", i), t.real("lon", i));
    if !(y.is_finite() && x.is_finite()) {
        // Empty or not a number: already reported by the table reader.
        return (y, x);
    }
    let Some(crs) = site_crs(t, i, code, from_cell, crs_cache, p) else {
        return (y, x);
    };
    let geographic = crs.is_none_or(InputCrs::is_geographic);
    let in_range = !geographic || degrees_in_range(t, i, y, x, p);
    let Some(crs) = crs.filter(|c| !c.is_wgs84()) else {
        check_coords(t, i, y, x, p);
        return (y, x);
    };
    let direct = if in_range {
        Some(crs.to_wgs84(x, y))
    } else {
        None
    };
    let lands_in_china = matches!(direct, Some(Ok((lon, lat))) if in_china(lat, lon));
    if !lands_in_china && swapped(t, i, crs, geographic, (y, x), p) {
        return (y, x);
    }
    match direct {
        // Out of range: reported above.
        None => (y, x),
        Some(Ok((lon, lat))) => (lat, lon),
        Some(Err(e)) => {
            p.push(Problem::new(
                &t.file,
                Some(sheet_row(i)),
                Some("crs"),
                format!(
                    "coordinates PROJ can transform from {} to WGS 84",
                    crs.code()
                ),
                match e {
                    CrsError::Transform { message, .. } => format!("lat {y}, lon {x}: {message}"),
                    other => format!("lat {y}, lon {x}: {other}"),
                },
            ));
            (y, x)
        }
    }
}

/// The coordinate system of a site's cells: `Some(None)` for WGS 84 as
/// given (no code), `None` when the code is unknown (reported once: by
/// `sites_from` for the scenario's `input_crs`, here for a `crs` cell).
fn site_crs<'c>(
    t: &RawTable,
    i: usize,
    code: Option<&str>,
    from_cell: bool,
    crs_cache: &'c mut HashMap<String, Result<InputCrs, CrsError>>,
    p: &mut Problems,
) -> Option<Option<&'c InputCrs>> {
    let Some(code) = code else {
        return Some(None);
    };
    let entry = crs_cache
        .entry(code.to_string())
        .or_insert_with(|| InputCrs::new(code));
    match entry {
        Ok(crs) => Some(Some(&*crs)),
        // An unknown input_crs of the scenario is reported once, by sites_from.
        Err(_) if !from_cell => None,
        Err(e) => {
            p.push(Problem::new(
                &t.file,
                Some(sheet_row(i)),
                Some("crs"),
                "a coordinate system PROJ knows (EPSG:4490, EPSG:4547, EPSG:3857, a PROJ \
                 string) or GCJ-02 / BD-09",
                e.to_string(),
            ));
            None
        }
    }
}

/// Whether geographic `lat`/`lon` cells are within ±90° and ±180°; each
/// one that is not is reported.
fn degrees_in_range(t: &RawTable, i: usize, y: f64, x: f64, p: &mut Problems) -> bool {
    let mut in_range = true;
    for (column, v, limit) in [("lat", y, 90.0), ("lon", x, 180.0)] {
        if v.abs() > limit {
            in_range = false;
            p.push(Problem::new(
                &t.file,
                Some(sheet_row(i)),
                Some(column),
                format!("a value from -{limit} to {limit}"),
                shown(&t.text(column, i)),
            ));
        }
    }
    in_range
}

/// Whether a point outside China (or outside the CRS's domain) as given is
/// inside once exchanged: the columns are apparently swapped (reported).
fn swapped(
    t: &RawTable,
    i: usize,
    crs: &InputCrs,
    geographic: bool,
    (y, x): (f64, f64),
    p: &mut Problems,
) -> bool {
    let Ok((lon, lat)) = crs.to_wgs84(y, x) else {
        return false;
    };
    if !in_china(lat, lon) {
        return false;
    }
    let expected = if geographic {
        format!("latitude in lat and longitude in lon (crs {})", crs.code())
    } else {
        format!("northing in lat and easting in lon (crs {})", crs.code())
    };
    p.push(Problem::new(
        &t.file,
        Some(sheet_row(i)),
        Some("lat"),
        expected,
        format!("lat {y}, lon {x}: apparently swapped"),
    ));
    true
}

/// The sites of the table. The table's cells go as they are read, a column
/// at a time (only its file and row count stay): with a million sites, the
/// text cells and the `Site` values would not fit beside each other in 3×
/// the file's size.
fn sites_from(t: &mut RawTable, sc: &Scenario, p: &mut Problems) -> Vec<Site> {
    let mut crs_cache = HashMap::new();
    // The scenario's input_crs applies to rows without a crs cell; an unknown
    // one is reported once, against the scenario.
    let default_crs = match sc.input_crs.as_deref() {
        None => None,
        Some(code) => match InputCrs::new(code) {
            Ok(crs) => {
                crs_cache.insert(code.to_string(), Ok(crs));
                Some(code)
            }
            Err(e) => {
                p.push(key_problem(
                    sc,
                    "input_crs",
                    "a coordinate system PROJ knows (EPSG:4490, EPSG:4547, EPSG:3857, a PROJ \
                     string) or GCJ-02 / BD-09",
                    e.to_string(),
                ));
                crs_cache.insert(code.to_string(), Err(e));
                Some(code)
            }
        },
    };
    let mut sites: Vec<Site> = (0..t.n_rows)
        .map(|i| {
            let cell = t.get("crs", i);
            let code = cell.or(default_crs);
            let (lat, lon) = site_coords(t, i, code, cell.is_some(), &mut crs_cache, p);
            Site {
                id: String::new(),
                name_en: String::new(),
                name_zh: String::new(),
                region_id: String::new(),
                province: String::new(),
                lat,
                lon,
                mean_temp_c: t.real("mean_temp_c", i),
                max_it_mw: t.real("max_it_mw", i),
                fixed_cost_cny: t.real("fixed_cost_cny", i),
                grid_lead_months: t.real("grid_lead_months", i),
                status: SiteStatus::parse(&t.text("status", i)).unwrap_or(SiteStatus::Excluded),
                ready_it_mw: t.opt_real("ready_it_mw", i),
            }
        })
        .collect();
    type Field = fn(&mut Site) -> &mut String;
    let texts: [(&str, Field); 5] = [
        ("site_id", |s| &mut s.id),
        ("name_en", |s| &mut s.name_en),
        ("name_zh", |s| &mut s.name_zh),
        ("region_id", |s| &mut s.region_id),
        ("province", |s| &mut s.province),
    ];
    t.drop_columns_except(&texts.map(|x| x.0));
    for (column, field) in texts {
        for (i, s) in sites.iter_mut().enumerate() {
            *field(s) = t.text(column, i);
        }
        t.drop_column(column);
    }
    sites
}

fn prices_from(t: &RawTable, p: &mut Problems) -> Vec<PriceZone> {
    (0..t.n_rows)
        .map(|i| {
            let z = PriceZone {
                province: t.text("province", i),
                price_cny_per_kwh: t.real("price_cny_per_kwh", i),
                low: t.real("low", i),
                high: t.real("high", i),
            };
            if z.low > z.price_cny_per_kwh || z.price_cny_per_kwh > z.high {
                p.push(Problem::new(
                    &t.file,
                    Some(sheet_row(i)),
                    Some("price_cny_per_kwh"),
                    "low ≤ price_cny_per_kwh ≤ high",
                    format!("{} ≤ {} ≤ {}", z.low, z.price_cny_per_kwh, z.high),
                ));
            }
            z
        })
        .collect()
}

fn accelerators_from(t: &RawTable, p: &mut Problems) -> Vec<Accelerator> {
    (0..t.n_rows)
        .map(|i| {
            let a = accelerator_from(t, i);
            check_min_servers_per_rack(t, i, &a, p);
            check_range(t, i, "price_cny_per_card", "price_low", "price_high", p);
            check_range(t, i, "perf_h200_eq", "perf_low", "perf_high", p);
            a
        })
        .collect()
}

/// A lower density may not be denser than the design density: at most
/// `rack_kw / server_kw` (rounded) servers per rack.
fn check_min_servers_per_rack(t: &RawTable, i: usize, a: &Accelerator, p: &mut Problems) {
    let Some(n) = a.min_servers_per_rack else {
        return;
    };
    if !(a.rack_kw > 0.0 && a.server_kw > 0.0) {
        return; // reported as a range problem already
    }
    let dense = a.dense_servers_per_rack();
    if n > dense {
        p.push(Problem::new(
            &t.file,
            Some(sheet_row(i)),
            Some("min_servers_per_rack"),
            format!(
                "at most the {dense} servers of a rack at the design density \
                 (rack_kw {} / server_kw {}, rounded)",
                a.rack_kw, a.server_kw
            ),
            n.to_string(),
        ));
    }
}

/// An optional `low`/`high` pair around a value: both or neither, and
/// low ≤ value ≤ high.
fn check_range(t: &RawTable, i: usize, value: &str, low: &str, high: &str, p: &mut Problems) {
    let v = t.real(value, i);
    match (t.opt_real(low, i), t.opt_real(high, i)) {
        (None, None) => {}
        (Some(l), Some(h)) => {
            if l > v || v > h {
                p.push(Problem::new(
                    &t.file,
                    Some(sheet_row(i)),
                    Some(value),
                    format!("{low} ≤ {value} ≤ {high}"),
                    format!("{l} ≤ {v} ≤ {h}"),
                ));
            }
        }
        (l, _) => {
            let missing = if l.is_none() { low } else { high };
            p.push(Problem::new(
                &t.file,
                Some(sheet_row(i)),
                Some(missing),
                format!(
                    "a number when {} is given",
                    if l.is_none() { high } else { low }
                ),
                "an empty cell".to_string(),
            ));
        }
    }
}

fn accelerator_from(t: &RawTable, i: usize) -> Accelerator {
    Accelerator {
        id: t.text("accel_id", i),
        name: t.text("name", i),
        origin: Origin::parse(&t.text("origin", i)).unwrap_or(Origin::Imported),
        cards_per_server: t.real("cards_per_server", i).max(1.0) as u32,
        server_kw: t.real("server_kw", i),
        rack_kw: t.real("rack_kw", i),
        min_servers_per_rack: t
            .opt_real("min_servers_per_rack", i)
            .map(|n| n.max(1.0) as u32),
        price_cny_per_card: t.real("price_cny_per_card", i),
        server_cost_cny: t.real("server_cost_cny", i),
        levy_share: t.real("levy_share", i),
        perf_h200_eq: t.real("perf_h200_eq", i),
    }
}

fn cooling_from(t: &RawTable) -> Vec<Cooling> {
    (0..t.n_rows)
        .map(|i| Cooling {
            id: t.text("cooling_id", i),
            name: t.text("name", i),
            pue_base: t.real("pue_base", i),
            pue_per_deg_c: t.real("pue_per_deg_c", i),
            ref_temp_c: t.real("ref_temp_c", i),
            capex_cny_per_mw_it: t.real("capex_cny_per_mw_it", i),
            lead_months: t.real("lead_months", i),
            max_rack_kw: t.real("max_rack_kw", i),
            capex_cny_per_rack: t.opt_real("capex_cny_per_rack", i).unwrap_or(0.0),
            wue_l_per_kwh: t.real("wue_l_per_kwh", i),
            opex_cny_per_mw_it_year: t.real("opex_cny_per_mw_it_year", i),
        })
        .collect()
}

fn demand_from(t: &RawTable, p: &mut Problems) -> Vec<DemandNode> {
    (0..t.n_rows)
        .map(|i| {
            let lat = t.real("lat", i);
            let lon = t.real("lon", i);
            check_coords(t, i, lat, lon, p);
            DemandNode {
                id: t.text("node_id", i),
                name_en: t.text("name_en", i),
                name_zh: t.text("name_zh", i),
                lat,
                lon,
                weight: t.real("weight", i),
                cards: t.opt_real("cards", i),
                max_rtt_ms: t.real("max_rtt_ms", i),
            }
        })
        .collect()
}

fn params_from(sc: &Scenario, accel_ids: &HashSet<&str>, p: &mut Problems) -> Params {
    check_parameter_numbers(sc, p);
    let s = &sc.parameters;
    let mut check = |key: &str, ok: bool, expected: &str, found: String| {
        if !ok {
            p.push(key_problem(
                sc,
                &format!("parameters.{key}"),
                expected,
                found,
            ));
        }
    };
    let basis = match s.domestic_share_basis.as_str() {
        "cards" => ShareBasis::Cards,
        "h200_eq" => ShareBasis::H200Eq,
        other => {
            check(
                "domestic_share_basis",
                false,
                "cards or h200_eq",
                shown(other),
            );
            ShareBasis::Cards
        }
    };
    for a in &s.mega_accelerators {
        check(
            "mega_accelerators",
            accel_ids.contains(a.as_str()),
            "accelerators of accelerators.csv",
            shown(a),
        );
    }
    Params {
        horizon_years: s.horizon_years,
        discount_rate: s.discount_rate,
        utilisation: s.utilisation,
        inference_share: s.inference_share,
        mega_cards: s.mega_cards,
        mega_count: s.mega_count,
        mega_accelerators: s.mega_accelerators.clone(),
        min_site_cards: s.min_site_cards,
        domestic_share: s.domestic_share,
        domestic_share_basis: basis,
        deadline_months: s.deadline_months,
        fibre_us_per_km: s.fibre_us_per_km,
        route_factor: s.route_factor,
        overhead_ms: s.overhead_ms,
        tce_per_mwh: s.tce_per_mwh,
        network_cny_per_card_ms_year: s.network_cny_per_card_ms_year,
        max_sites_per_city: s.max_sites_per_city,
        campus_phase_mw: s.campus_phase_mw,
        campus_phase_months: s.campus_phase_months,
        install_days: s.install_days,
        start_year: s.start_year,
        power_contract_cny_per_kw_month: s.power_contract_cny_per_kw_month,
        hall_start_step_months: s.hall_start_step_months,
    }
}

/// The scenario's numeric parameters, each within its documented range.
fn check_parameter_numbers(sc: &Scenario, p: &mut Problems) {
    let s = &sc.parameters;
    for (name, v) in [
        ("horizon_years", f64::from(s.horizon_years)),
        ("discount_rate", s.discount_rate),
        ("utilisation", s.utilisation),
        ("inference_share", s.inference_share),
        ("mega_cards", s.mega_cards),
        ("mega_count", f64::from(s.mega_count)),
        ("min_site_cards", s.min_site_cards),
        ("domestic_share", s.domestic_share),
        ("deadline_months", s.deadline_months),
        ("fibre_us_per_km", s.fibre_us_per_km),
        ("route_factor", s.route_factor),
        ("overhead_ms", s.overhead_ms),
        ("tce_per_mwh", s.tce_per_mwh),
        (
            "network_cny_per_card_ms_year",
            s.network_cny_per_card_ms_year,
        ),
        ("campus_phase_months", s.campus_phase_months),
        ("install_days", s.install_days),
        (
            "power_contract_cny_per_kw_month",
            s.power_contract_cny_per_kw_month,
        ),
        ("hall_start_step_months", s.hall_start_step_months),
    ] {
        let key = format!("parameters.{name}");
        check_number(sc, &key, &key, v, p);
    }
    if let Some(n) = s.max_sites_per_city {
        let key = "parameters.max_sites_per_city";
        check_number(sc, key, key, n as f64, p);
    }
    if let Some(mw) = s.campus_phase_mw {
        let key = "parameters.campus_phase_mw";
        check_number(sc, key, key, mw, p);
    }
    if let Some(y) = s.start_year {
        let key = "parameters.start_year";
        check_number(sc, key, key, f64::from(y), p);
    }
}
