//! Shared test helpers: running the binary (`bin`, `dcsite`, `ok`), reading
//! what it writes (`read_json`, `features`, `ogrinfo_summary`, file modes),
//! small instances built in code, and copies of the default data that a test
//! may break on purpose.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dcsite::domain::*;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The names of the small set's scenarios (`models/small/*.toml`), sorted.
pub fn scenarios() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root().join("models/small"))
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path();
            (path.extension()? == "toml")
                .then(|| path.file_stem().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    out.sort();
    out
}

/// The dcsite binary, run in the crate root (paths like `models/small/baseline.toml`
/// resolve), without colour.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dcsite"));
    c.current_dir(root()).env("NO_COLOR", "1");
    c
}

/// Runs dcsite with `args` in the crate root and waits for it.
pub fn dcsite(args: &[&str]) -> Output {
    bin().args(args).output().expect("dcsite runs")
}

/// Asserts that a run succeeded, showing its exit code and stderr otherwise.
pub fn ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what} failed ({:?}): {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A JSON file as a value.
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The features of a GeoJSON FeatureCollection file.
pub fn features(path: &Path) -> Vec<serde_json::Value> {
    read_json(path)["features"].as_array().unwrap().clone()
}

/// What `ogrinfo -ro -al -so` (GDAL) prints about a file; it must succeed.
pub fn ogrinfo_summary(path: &Path) -> String {
    let o = Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .arg(path)
        .output()
        .expect("ogrinfo (gdal-bin) is installed by scripts/setup.sh");
    assert!(
        o.status.success(),
        "ogrinfo failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Copies the small set (data/small/*.csv and models/small/baseline.toml) into
/// a fresh folder with the same layout; returns it and the scenario path.
pub fn scratch_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data/small");
    std::fs::create_dir_all(&data).unwrap();
    for e in std::fs::read_dir(root().join("data/small")).unwrap() {
        let e = e.unwrap();
        if e.path().extension().is_some_and(|x| x == "csv") {
            std::fs::copy(e.path(), data.join(e.file_name())).unwrap();
        }
    }
    let models = dir.path().join("models/small");
    std::fs::create_dir_all(&models).unwrap();
    let sc = models.join("baseline.toml");
    std::fs::copy(root().join("models/small/baseline.toml"), &sc).unwrap();
    (dir, sc)
}

/// Replaces `from` by `to` (first occurrence) in a file; panics if absent.
pub fn edit(path: &Path, from: &str, to: &str) {
    let s = std::fs::read_to_string(path).unwrap();
    assert!(s.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, s.replacen(from, to, 1)).unwrap();
}

/// Removes a column from a CSV file whose cells before the column hold no
/// commas (text after it, such as a `source` column, may).
pub fn drop_column(path: &Path, name: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let idx = text
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|c| c == name)
        .unwrap();
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.splitn(idx + 2, ',').collect();
            f.remove(idx);
            f.join(",")
        })
        .collect();
    std::fs::write(path, out.join("\n") + "\n").unwrap();
}

/// A region with ample quotas.
pub fn region(id: &str, tier: Tier) -> Region {
    let mut quotas = PerQuota::default();
    quotas[Quota::Power] = Some(1e6);
    quotas[Quota::Energy] = Some(1e12);
    Region {
        id: id.into(),
        name_en: id.into(),
        name_zh: id.into(),
        tier,
        quotas,
        pue_cap: 2.0,
        green_share: 0.0,
    }
}

pub fn site(id: &str, region: &str, province: &str, lat: f64, lon: f64) -> Site {
    Site {
        id: id.into(),
        name_en: id.into(),
        name_zh: id.into(),
        region_id: region.into(),
        province: province.into(),
        lat,
        lon,
        mean_temp_c: 0.0,
        max_it_mw: 1.0,
        fixed_cost_cny: 0.0,
        grid_lead_months: 0.0,
        status: SiteStatus::Candidate,
        ready_it_mw: None,
    }
}

pub fn price(province: &str, p: f64) -> PriceZone {
    PriceZone {
        province: province.into(),
        price_cny_per_kwh: p,
        low: p,
        high: p,
    }
}

/// One card per server, 1 kW per server, free hardware.
pub fn accel(id: &str, origin: Origin) -> Accelerator {
    Accelerator {
        id: id.into(),
        name: id.into(),
        origin,
        cards_per_server: 1,
        server_kw: 1.0,
        rack_kw: 10.0,
        min_servers_per_rack: None,
        price_cny_per_card: 0.0,
        server_cost_cny: 0.0,
        levy_share: 0.0,
        perf_h200_eq: 1.0,
    }
}

/// PUE exactly 1 everywhere, free to build and run.
pub fn cooling(id: &str) -> Cooling {
    Cooling {
        id: id.into(),
        name: id.into(),
        pue_base: 1.0,
        pue_per_deg_c: 0.0,
        ref_temp_c: 0.0,
        capex_cny_per_mw_it: 0.0,
        lead_months: 0.0,
        max_rack_kw: 100.0,
        capex_cny_per_rack: 0.0,
        wue_l_per_kwh: 0.0,
        opex_cny_per_mw_it_year: 0.0,
    }
}

/// One year, no discounting, full utilisation: AF = 1/(1+0) ... = 1 with rate 0.
pub fn params() -> Params {
    Params {
        horizon_years: 1,
        discount_rate: 0.0,
        utilisation: 1.0,
        inference_share: 0.0,
        mega_cards: 0.0,
        mega_count: 0,
        mega_accelerators: vec!["h200".into()],
        min_site_cards: 0.0,
        domestic_share: 0.0,
        domestic_share_basis: ShareBasis::Cards,
        deadline_months: 12.0,
        fibre_us_per_km: 4.9,
        route_factor: 1.5,
        overhead_ms: 2.0,
        tce_per_mwh: 0.1229,
        network_cny_per_card_ms_year: 0.0,
        max_sites_per_city: None,
        campus_phase_mw: None,
        campus_phase_months: 3.0,
        start_year: None,
        install_days: 30.0,
        power_contract_cny_per_kw_month: 0.0,
        hall_start_step_months: 0.0,
    }
}

/// Two sites in one region, one accelerator "h200" with an exact target of `cards`.
pub fn two_sites(cards: f64, price_a: f64, price_b: f64) -> Instance {
    let mut targets = BTreeMap::new();
    targets.insert(
        "h200".to_string(),
        Target {
            min: cards,
            max: Some(cards),
        },
    );
    Instance {
        name: "two_sites".into(),
        regions: vec![region("r", Tier::Core)],
        sites: vec![
            site("a", "r", "pa", 30.0, 110.0),
            site("b", "r", "pb", 31.0, 111.0),
        ],
        prices: vec![price("pa", price_a), price("pb", price_b)],
        accelerators: vec![accel("h200", Origin::Imported)],
        cooling: vec![cooling("liquid")],
        subsidies: vec![],
        demand: vec![],
        params: params(),
        targets,
        region_bounds: BTreeMap::new(),
        tier_bounds: BTreeMap::new(),
        clusters: Vec::new(),
        cluster_bounds: BTreeMap::new(),
        deliveries: Vec::new(),
    }
}

/// The process umask (from /proc/self/status; 0o022 where it cannot be read).
pub fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

/// Asserts that dcsite wrote `path` with mode 0644 (less the umask), like every file it writes.
pub fn assert_mode_0644(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode,
        0o644 & !umask(),
        "{} has mode {mode:o}, expected 644 less the umask {:o}",
        path.display(),
        umask()
    );
}

/// Net present cost (CNY) of the LP relaxation of `inst`, the plan's binary
/// decisions fixed. Without the variable bounds that mirror a row (the
/// pricing LP): a bound of whole servers (servers ≤ floor(site kW / server
/// kW)) would move in steps with a site's capacity, and a finite difference
/// of it is not the capacity row's price. `None` when infeasible.
pub fn fixed_lp_cost(inst: &Instance, plan: &dcsite::plan::Plan) -> Option<f64> {
    let p = dcsite::milp::Prepared::new(inst.clone());
    let lp = dcsite::milp::build(&p, dcsite::milp::Integrality::Pricing);
    let mut fixed = Vec::new();
    for (o, opt) in p.options.iter().enumerate() {
        let on = plan.sites[opt.site].cooling == Some(opt.cooling);
        fixed.push((lp.vars.open[o], if on { 1.0 } else { 0.0 }));
    }
    for (s, m) in lp.vars.mega.iter().enumerate() {
        if let Some(m) = m {
            fixed.push((*m, if plan.sites[s].mega_cluster { 1.0 } else { 0.0 }));
        }
    }
    dcsite::solve::run_highs(lp, &dcsite::solve::SolveOptions::default(), &fixed)
        .ok()
        .map(|(raw, _)| raw.objective)
}

/// Runs a command with a wall clock of `secs` seconds as a guard against a
/// hang (not a timing assertion): past it the run is killed and the test
/// fails, showing its stderr.
pub fn run_guarded(c: &mut Command, secs: u64) -> Output {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let mut child = c
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!(
                "still running after {secs} s: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

/// The cells of one CSV line (RFC 4180 quotes; no line breaks in cells).
pub fn cells(line: &str) -> Vec<String> {
    let (mut out, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    out.push(cell);
    out
}

/// The rows of a CSV file, each cell by its header's name.
pub fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = cells(lines.next().unwrap());
    lines
        .map(|l| header.iter().cloned().zip(cells(l)).collect())
        .collect()
}

/// The probability and prepared instance of each `[[outcomes]]` entry of
/// the scenario file `rel` (a path under the project root).
pub fn outcome_instances(rel: &str) -> Vec<(f64, dcsite::milp::Prepared)> {
    let sc = dcsite::data::scenario::load_scenario(&root().join(rel)).expect("loads");
    dcsite::data::outcomes::outcomes_of(&sc)
        .expect("outcomes")
        .into_iter()
        .map(|o| {
            let (inst, _) = dcsite::data::load::load_tables(&o.scenario).expect("tables");
            (o.probability, dcsite::milp::Prepared::new(inst))
        })
        .collect()
}
