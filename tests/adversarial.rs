//! Regression tests for the holes adversarial testing found (issue 10): one
//! test per hole, each through the real binary. Input errors must exit 2
//! naming the file and the column or TOML key, lose nothing and echo no more
//! than the offending cell.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use dcsite::domain::*;
use rand::{Rng, SeedableRng};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts exit 2 and that stderr names every one of `parts`.
fn refused(o: &Output, parts: &[&str]) -> String {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "expected exit 2, stderr:\n{err}");
    for p in parts {
        assert!(err.contains(p), "{p:?} not in:\n{err}");
    }
    err
}

fn validate(sc: &Path) -> Output {
    dcsite(&["validate", sc.to_str().unwrap()])
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The files of a folder, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn staging_left(parent: &Path) -> Vec<String> {
    listing(parent)
        .into_iter()
        .filter(|n| n.starts_with(".dcsite-staging-") || n.starts_with(".dcsite-old-"))
        .collect()
}

/// Solves the baseline quickly (a 5 % gap: a plan in a fraction of a second;
/// these tests are about files, not optima).
fn solve_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "solve",
        "models/baseline.toml",
        "--out",
        out,
        "--quiet",
        "--mip-gap",
        "0.05",
    ];
    v.extend_from_slice(extra);
    v
}

fn wait_with_timeout(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("dcsite still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------- 1. ranges

#[test]
fn server_power_near_zero_is_refused_naming_file_row_and_column() {
    for v in ["0", "1e-14", "1e-10", "1e-6", "0.1", "250"] {
        let (dir, sc) = scratch_copy();
        edit(
            &dir.path().join("data/accelerators.csv"),
            "imported,8,10.2,",
            &format!("imported,8,{v},"),
        );
        let err = refused(
            &validate(&sc),
            &["accelerators.csv", "row 2", "column server_kw", v],
        );
        assert!(err.contains("above 0.1 and at most 200 kW"), "{err}");
        // solve refuses before solving and writes nothing.
        let out = dir.path().join("out");
        refused(
            &dcsite(&["solve", s(&sc), "--out", s(&out)]),
            &["column server_kw"],
        );
        assert!(!out.exists());
    }
}

#[test]
fn every_physical_column_has_a_range() {
    let cases = [
        (
            "accelerators.csv",
            "imported,8,10.2,",
            "imported,65,10.2,",
            "cards_per_server",
        ),
        ("accelerators.csv", ",175000,", ",0,", "price_cny_per_card"),
        (
            "accelerators.csv",
            ",175000,",
            ",1e25,",
            "price_cny_per_card",
        ),
        (
            "sites.csv",
            ",600,200000000,5,",
            ",1e15,200000000,5,",
            "max_it_mw",
        ),
        (
            "electricity_prices.csv",
            "ningxia,Ningxia,0.36,0.30",
            "ningxia,Ningxia,0.36,0",
            "low",
        ),
        (
            "demand.csv",
            "31.23,121.47,4.7,20",
            "31.23,121.47,1e300,20",
            "weight",
        ),
        (
            "cooling.csv",
            "1.15,0.015,5,51000000",
            "1.15,0.015,5,1e30",
            "capex_cny_per_mw_it",
        ),
    ];
    for (file, from, to, column) in cases {
        let (dir, sc) = scratch_copy();
        edit(&dir.path().join("data").join(file), from, to);
        refused(&validate(&sc), &[file, &format!("column {column}")]);
    }
    // Every numeric column of every table documents a range.
    for t in dcsite::data::schema::ALL {
        for c in t.columns {
            let numeric = matches!(
                c.kind,
                dcsite::data::schema::Kind::Real | dcsite::data::schema::Kind::Integer
            );
            // lat/lon of sites depend on the crs and are checked by the loader.
            if numeric && !(t.name == "sites" && (c.name == "lat" || c.name == "lon")) {
                assert!(
                    c.min.is_some() && c.max.is_some(),
                    "{}.{} has no range",
                    t.name,
                    c.name
                );
            }
        }
    }
    let doc = String::from_utf8(dcsite(&["schema"]).stdout).unwrap();
    assert!(
        doc.contains("| `server_kw` | number | kW | yes | > 0.1, ≤ 200 |"),
        "{doc}"
    );
    assert!(doc.contains("`parameters.horizon_years`"), "{doc}");
}

// ------------------------------------------------------------ 2. TOML numbers

#[test]
fn every_toml_number_is_finite_and_in_range() {
    let cases: [(&str, &str, &str); 8] = [
        (
            "[parameters]",
            "[overrides.regions.jjj]\npower_quota_mw = nan\n\n[parameters]",
            "overrides.regions.jjj.power_quota_mw",
        ),
        (
            "[parameters]",
            "[overrides.regions.jjj]\npue_cap = nan\n\n[parameters]",
            "overrides.regions.jjj.pue_cap",
        ),
        (
            "[parameters]",
            "[overrides]\nsite_capacity_scale = 1e308\n\n[parameters]",
            "overrides.site_capacity_scale",
        ),
        (
            "[parameters]",
            "[overrides.levy_share]\nh200 = inf\n\n[parameters]",
            "overrides.levy_share.h200",
        ),
        ("min = 500000 ", "min = 1e300 ", "targets.h200.min"),
        (
            "horizon_years = 5",
            "horizon_years = 4294967295",
            "parameters.horizon_years",
        ),
        (
            "utilisation = 0.8",
            "utilisation = nan",
            "parameters.utilisation",
        ),
        (
            "mega_cards = 100000",
            "mega_cards = 1e300",
            "parameters.mega_cards",
        ),
    ];
    for (from, to, key) in cases {
        let (_dir, sc) = scratch_copy();
        edit(&sc, from, to);
        let t = Instant::now();
        let err = refused(&validate(&sc), &["baseline.toml", &format!("column {key}")]);
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{key} took {:?}",
            t.elapsed()
        );
        // The line of the key is given.
        let line = std::fs::read_to_string(&sc)
            .unwrap()
            .lines()
            .position(|l| l.trim_start().starts_with(key.rsplit('.').next().unwrap()))
            .unwrap()
            + 1;
        assert!(
            err.contains(&format!("row {line}")),
            "{key}: no row {line} in\n{err}"
        );
    }
    // A bound on a region or tier too.
    let (_dir, sc) = scratch_copy();
    edit(
        &sc,
        "[parameters]",
        "[bounds.region.jjj]\nmax_cards = 1e300\n\n[parameters]",
    );
    refused(&validate(&sc), &["column bounds.region.jjj.max_cards"]);
}

#[test]
fn a_value_of_the_wrong_type_is_named_by_key_and_cut() {
    let (_dir, sc) = scratch_copy();
    let long = "A".repeat(300);
    edit(
        &sc,
        "horizon_years = 5 ",
        &format!("horizon_years = \"{long}\" "),
    );
    let line = std::fs::read_to_string(&sc)
        .unwrap()
        .lines()
        .position(|l| l.contains("horizon_years"))
        .unwrap()
        + 1;
    let err = refused(
        &validate(&sc),
        &[
            &format!("baseline.toml: row {line}, column parameters.horizon_years"),
            "u32",
        ],
    );
    assert!(!err.contains(&"A".repeat(81)), "{err}");
    let (_dir, sc) = scratch_copy();
    edit(&sc, "horizon_years = 5 ", "horizon_years = -3 ");
    refused(&validate(&sc), &["column parameters.horizon_years", "-3"]);
}

/// The scenario numbers added with the water-use quota and campus phases go
/// through the same checks: out of range is refused naming file and key.
#[test]
fn water_quota_and_campus_phases_out_of_range_are_named_by_key() {
    for (add, key, found) in [
        (
            "\n[overrides.regions.jjj]\nwater_quota_m3 = -5\n",
            "column overrides.regions.jjj.water_quota_m3",
            "-5",
        ),
        (
            "\n[overrides.regions.jjj]\nwater_quota_m3 = nan\n",
            "column overrides.regions.jjj.water_quota_m3",
            "NaN",
        ),
        ("", "column parameters.campus_phase_mw", "0"),
        ("", "column parameters.campus_phase_months", "1000"),
    ] {
        let (_dir, sc) = scratch_copy();
        if add.is_empty() {
            let leaf = key.rsplit('.').next().unwrap();
            edit(
                &sc,
                "[parameters]\n",
                &format!("[parameters]\n{leaf} = {found}\n"),
            );
        } else {
            let text = std::fs::read_to_string(&sc).unwrap();
            std::fs::write(&sc, text + add).unwrap();
        }
        refused(&validate(&sc), &["baseline.toml", key, found]);
    }
}

#[test]
fn a_bad_number_in_an_extends_parent_is_named_against_the_parent() {
    let (_dir, sc) = scratch_copy();
    edit(&sc, "utilisation = 0.8", "utilisation = nan");
    let child = sc.with_file_name("child.toml");
    std::fs::write(&child, "extends = \"baseline.toml\"\nname = \"child\"\n").unwrap();
    let err = refused(&validate(&child), &["column parameters.utilisation"]);
    assert!(
        err.lines()
            .any(|l| l.contains("baseline.toml: row") && l.contains("parameters.utilisation")),
        "{err}"
    );
}

#[test]
fn the_annuity_factor_is_the_closed_form() {
    let mut p = params();
    p.horizon_years = 5;
    p.discount_rate = 0.08;
    let sum: f64 = (1..=5).map(|t| 1.08f64.powi(-t)).sum();
    assert!((p.annuity_factor() - sum).abs() < 1e-12);
    p.discount_rate = 0.0;
    assert_eq!(p.annuity_factor(), 5.0);
    p.horizon_years = u32::MAX;
    p.discount_rate = 0.08;
    let t = Instant::now();
    assert!((p.annuity_factor() - 12.5).abs() < 1e-9);
    assert!(t.elapsed() < Duration::from_millis(10));
}

#[test]
fn breakeven_refuses_extreme_levels_and_tolerances() {
    let base = [
        "breakeven",
        "models/baseline.toml",
        "--region",
        "central",
        "--cards",
        "100000",
        "--lever",
        "per-card-cny",
        "--quiet",
    ];
    let mut a = base.to_vec();
    a.extend(["--max-level", "1e300"]);
    refused(&dcsite(&a), &["--max-level", "1e300"]);
    let mut a = base.to_vec();
    a.extend(["--tolerance", "1e-300"]);
    refused(&dcsite(&a), &["--tolerance", "1e-300"]);
    let mut a = base.to_vec();
    a[7] = "capex-share";
    a.extend(["--max-level", "1.5"]);
    refused(&dcsite(&a), &["--max-level", "capex-share"]);
}

#[test]
fn the_bisection_stops_when_the_bracket_cannot_narrow() {
    use dcsite::study::breakeven::{search, Spec};
    // Site a (region r) pays 1.0 CNY/kWh, site b (region q) 0.5: region r
    // wins the cards once its discount passes 0.5 CNY/kWh.
    let mut inst = two_sites(8.0, 1.0, 0.5);
    inst.regions.push(region("q", Tier::Core));
    inst.sites[1].region_id = "q".into();
    let p = dcsite::milp::Prepared::new(inst);
    let spec = Spec {
        region: "r".into(),
        cards: 8.0,
        lever: SubsidyKind::ElectricityCnyPerKwh,
        applies_to: AppliesTo::All,
        max_level: None,
        // Far below the spacing of floats near 0.5: without the stop this never ends.
        tolerance: Some(1e-300),
    };
    let opts = dcsite::solve::SolveOptions::default();
    let t = Instant::now();
    let out = search(&p, &spec, &opts, &|_| {}).expect("search ends");
    assert!(t.elapsed() < Duration::from_secs(60));
    let level = out.level.expect("a level is enough");
    assert!((level - 0.5).abs() < 1e-3, "level {level}");
    assert!(out.curve.len() < 80, "{} evaluations", out.curve.len());
}

// -------------------------------------------------------------- 3. nothing lost

#[test]
fn force_replaces_the_whole_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plan");
    let o = dcsite(&solve_args(s(&out), &["--crs", "EPSG:4490"]));
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(out.join("report.html"), "stale").unwrap();
    assert!(listing(&out).iter().any(|n| n.contains("epsg-4490")));
    // Without --force: refused, nothing touched.
    let o = dcsite(&solve_args(s(&out), &[]));
    refused(&o, &["plan", "--force"]);
    assert!(out.join("report.html").exists());
    let o = dcsite(&solve_args(s(&out), &["--force"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        listing(&out),
        [
            "cities.geojson",
            "cities.qml",
            "flows.geojson",
            "flows.qml",
            "reach.geojson",
            "reach.qml",
            "regions.csv",
            "sites.geojson",
            "sites.qml",
            "summary.json"
        ],
        "exactly one plan after --force"
    );
    assert_eq!(staging_left(dir.path()), Vec::<String>::new());
    // A folder with anything else in it is not a plan: --force leaves it alone.
    for (name, dirlike) in [("notes.txt", false), ("sub", true)] {
        let other = dir.path().join(format!("project-{name}"));
        std::fs::create_dir(&other).unwrap();
        if dirlike {
            std::fs::create_dir(other.join(name)).unwrap();
        } else {
            std::fs::write(other.join(name), "mine").unwrap();
        }
        let o = dcsite(&solve_args(s(&other), &["--force"]));
        refused(&o, &[name, "does not write"]);
        assert_eq!(listing(&other), [name]);
    }
}

#[test]
fn two_concurrent_solves_into_one_new_folder_do_not_mix() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plan");
    let a = bin()
        .args(solve_args(s(&out), &["--crs", "EPSG:4490"]))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let b = bin()
        .args(solve_args(s(&out), &[]))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let codes = [a.status.code(), b.status.code()];
    assert!(
        codes == [Some(0), Some(2)] || codes == [Some(2), Some(0)],
        "{codes:?}\n{}\n{}",
        stderr(&a),
        stderr(&b)
    );
    let loser = if codes[0] == Some(2) { &a } else { &b };
    let err = stderr(loser);
    assert!(
        err.contains("another dcsite run is writing") || err.contains("not empty"),
        "{err}"
    );
    // One complete plan: the --crs copies only if the winner asked for them.
    let crs_files = listing(&out).iter().filter(|n| n.contains("epsg")).count();
    assert_eq!(crs_files, if codes[0] == Some(0) { 6 } else { 0 });
    assert_eq!(staging_left(dir.path()), Vec::<String>::new());
}

#[test]
fn a_folder_that_appears_during_a_solve_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plan");
    let mut child = bin()
        // The full default gap: the solve takes long enough to interfere.
        .args(["solve", "models/baseline.toml", "--out", s(&out), "--quiet"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once the run has staged its folder, someone else fills the destination.
    let start = Instant::now();
    while staging_left(dir.path()).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no staging folder"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("mine.txt"), "keep me").unwrap();
    wait_with_timeout(&mut child, Duration::from_secs(120));
    let o = child.wait_with_output().unwrap();
    if o.status.success() {
        // The solve finished before the folder appeared: nothing to check.
        eprintln!("solve committed before the folder appeared; race not exercised");
        return;
    }
    refused(&o, &["appeared", "plan"]);
    assert_eq!(listing(&out), ["mine.txt"]);
    assert_eq!(staging_left(dir.path()), Vec::<String>::new());
}

fn signal_midway(sig: i32, code: i32) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plan");
    let o = dcsite(&solve_args(s(&out), &[]));
    assert!(o.status.success(), "{}", stderr(&o));
    let before = listing(&out);
    let sites = std::fs::read(out.join("sites.geojson")).unwrap();
    let mut child = bin()
        .args([
            "solve",
            "models/baseline.toml",
            "--out",
            s(&out),
            "--quiet",
            "--force",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while staging_left(dir.path()).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no staging folder"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    unsafe { libc::kill(child.id() as i32, sig) };
    let st = wait_with_timeout(&mut child, Duration::from_secs(30));
    if st.code() == Some(0) {
        eprintln!("solve finished before the signal; race not exercised");
        return;
    }
    assert_eq!(st.code(), Some(code), "exit status {st:?}");
    assert_eq!(staging_left(dir.path()), Vec::<String>::new());
    assert_eq!(listing(&out), before);
    assert_eq!(std::fs::read(out.join("sites.geojson")).unwrap(), sites);
}

#[test]
fn sigterm_removes_the_staging_folder_and_exits_143() {
    signal_midway(libc::SIGTERM, 143);
}

#[test]
fn sigint_removes_the_staging_folder_and_exits_130() {
    signal_midway(libc::SIGINT, 130);
}

#[test]
fn stale_staging_folders_of_dead_processes_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let mut dead = Command::new("true").spawn().unwrap();
    let dead_pid = dead.id();
    dead.wait().unwrap();
    let me = std::process::id();
    let stale = dir
        .path()
        .join(format!(".dcsite-staging-pid{dead_pid}-0-0"));
    let recent = dir
        .path()
        .join(format!(".dcsite-staging-pid{dead_pid}-0-1"));
    let alive = dir.path().join(format!(".dcsite-staging-pid{me}-0-0"));
    let foreign = dir.path().join(".dcsite-staging-abc123");
    for d in [&stale, &recent, &alive, &foreign] {
        std::fs::create_dir(d).unwrap();
        std::fs::write(d.join("sites.geojson"), "{}").unwrap();
    }
    let touch = |path: &std::path::Path, when: &str| {
        let o = Command::new("touch")
            .args(["-d", when])
            .arg(path)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    };
    for d in [&stale, &alive, &foreign] {
        touch(d, "2 hours ago");
    }
    // Any run that opens an output folder there cleans up, even one whose
    // scenario is then refused.
    let (_d, sc) = scratch_copy();
    edit(&sc, "utilisation = 0.8", "utilisation = 2");
    let out = dir.path().join("plan");
    let refused_run = || {
        refused(
            &dcsite(&["solve", s(&sc), "--out", s(&out)]),
            &["parameters.utilisation"],
        )
    };
    // No successful run in this folder yet: nothing is old enough to go.
    refused_run();
    assert!(stale.exists(), "kept until a run has succeeded here");
    // A successful run an hour ago (its folder and dcsite's lock file beside
    // it): the dead process's folder written before it goes, the one written
    // after it stays (it might be a run on another machine sharing the folder).
    let done = dir.path().join("done");
    std::fs::create_dir(&done).unwrap();
    std::fs::write(done.join("summary.json"), "{}").unwrap();
    std::fs::write(dir.path().join(".done.dcsite-lock"), "").unwrap();
    touch(&done, "1 hour ago");
    refused_run();
    assert!(
        !stale.exists(),
        "the dead process's staging folder older than the last success is removed"
    );
    assert!(
        recent.exists(),
        "a dead process's folder newer than the last success is kept"
    );
    assert!(alive.exists(), "a live process's staging folder is kept");
    assert!(foreign.exists(), "a folder without an owner PID is kept");
    assert!(done.exists() && !out.exists());
}

/// summary.json without the figures that differ between runs.
fn stable_summary(bytes: &[u8]) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(bytes).expect("complete summary.json");
    if let Some(m) = v.as_object_mut() {
        m.remove("solve_seconds");
        m.remove("build_seconds");
    }
    v
}

fn same_plan(dir: &Path, reference: &BTreeMap<String, Vec<u8>>) -> bool {
    let names = listing(dir);
    if names.iter().collect::<Vec<_>>() != reference.keys().collect::<Vec<_>>() {
        return false;
    }
    names.iter().all(|n| {
        let got = std::fs::read(dir.join(n)).unwrap();
        if n == "summary.json" {
            stable_summary(&got) == stable_summary(&reference[n])
        } else {
            got == reference[n]
        }
    })
}

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    listing(dir)
        .into_iter()
        .map(|n| {
            let b = std::fs::read(dir.join(&n)).unwrap();
            (n, b)
        })
        .collect()
}

fn restore(dir: &Path, plan: &BTreeMap<String, Vec<u8>>) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir(dir).unwrap();
    for (n, b) in plan {
        std::fs::write(dir.join(n), b).unwrap();
    }
}

#[test]
fn killing_a_forced_solve_never_leaves_a_mixed_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plan");
    let reference = dir.path().join("reference");
    // Old plan: with the EPSG:4490 copies; new plan: without.
    let o = dcsite(&solve_args(s(&out), &["--crs", "EPSG:4490"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let old = snapshot(&out);
    let t = Instant::now();
    let o = dcsite(&solve_args(s(&reference), &[]));
    let full = t.elapsed();
    assert!(o.status.success(), "{}", stderr(&o));
    let new = snapshot(&reference);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(10);
    let (mut kept_old, mut got_new) = (0, 0);
    for i in 0..20 {
        let mut child = bin()
            .args(solve_args(s(&out), &["--force"]))
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if i % 2 == 0 {
            // Anywhere in the run.
            std::thread::sleep(full.mul_f64(rng.random_range(0.0..1.2)));
        } else {
            // Around the swap: once the last files are being staged, after
            // a random delay of up to 100 ms.
            let start = Instant::now();
            let delay = Duration::from_micros(rng.random_range(0..100_000));
            loop {
                let staged = std::fs::read_dir(dir.path())
                    .unwrap()
                    .flatten()
                    .filter(|e| {
                        e.file_name()
                            .to_string_lossy()
                            .starts_with(".dcsite-staging-")
                    })
                    .any(|e| e.path().join("summary.json").exists());
                if staged || start.elapsed() > full * 3 {
                    break;
                }
            }
            std::thread::sleep(delay);
        }
        let _ = child.kill();
        let _ = child.wait();
        if same_plan(&out, &old) {
            kept_old += 1;
        } else if same_plan(&out, &new) {
            got_new += 1;
            restore(&out, &old);
        } else {
            panic!("mixed folder after a kill: {:?}", listing(&out));
        }
    }
    eprintln!("kill test: {kept_old} kept the old plan, {got_new} had the new one");
    // A later run removes what the killed runs staged once a run has
    // succeeded there since: the first run below succeeds, the second cleans.
    for _ in 0..2 {
        let o = dcsite(&solve_args(s(&out), &["--force"]));
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert!(same_plan(&out, &new));
    assert_eq!(staging_left(dir.path()), Vec::<String>::new());
}

#[test]
fn report_does_not_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("cmp");
    std::fs::create_dir(&folder).unwrap();
    let fixture = root().join("tests/fixtures/report_comparison");
    for n in listing(&fixture) {
        std::fs::copy(fixture.join(&n), folder.join(&n)).unwrap();
    }
    let o = dcsite(&["report", s(&folder)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = folder.join("report.html");
    std::fs::write(&html, "mine").unwrap();
    refused(
        &dcsite(&["report", s(&folder)]),
        &["report.html", "--force"],
    );
    assert_eq!(std::fs::read_to_string(&html).unwrap(), "mine");
    let o = dcsite(&["report", s(&folder), "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_ne!(std::fs::read_to_string(&html).unwrap(), "mine");
}

// ------------------------------------------------------------- 4. input files

fn point_table_at(sc: &Path, table: &str, target: &Path) {
    let text = std::fs::read_to_string(sc).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{table} = ")))
        .unwrap()
        .to_string();
    edit(sc, &line, &format!("{table} = \"{}\"", target.display()));
}

#[test]
fn a_fifo_or_a_device_as_a_table_is_an_input_error_not_a_hang() {
    let (dir, sc) = scratch_copy();
    let fifo = dir.path().join("regions.fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    point_table_at(&sc, "regions", &fifo);
    point_table_at(&sc, "sites", Path::new("/dev/zero"));
    let mut child = bin()
        .args(["validate", s(&sc)])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_with_timeout(&mut child, Duration::from_secs(20));
    let o = child.wait_with_output().unwrap();
    refused(
        &o,
        &[
            "regions.fifo",
            "named pipe",
            "/dev/zero",
            "character device",
        ],
    );
}

#[test]
fn a_table_larger_than_the_cap_is_refused() {
    let (_dir, sc) = scratch_copy();
    let o = bin()
        .args(["validate", s(&sc)])
        .env("DCSITE_MAX_TABLE_BYTES", "1000")
        .output()
        .unwrap();
    refused(
        &o,
        &[
            "regions.csv",
            "at most 1000 bytes",
            "DCSITE_MAX_TABLE_BYTES",
        ],
    );
    let o = bin()
        .args(["validate", s(&sc)])
        .env("DCSITE_MAX_TABLE_BYTES", "lots")
        .output()
        .unwrap();
    refused(&o, &["DCSITE_MAX_TABLE_BYTES", "lots"]);
}

#[test]
fn messages_never_echo_more_than_the_offending_cell() {
    // A file that is no table at all (think /etc/shadow) is not echoed.
    let (dir, sc) = scratch_copy();
    let secret = dir.path().join("shadow");
    std::fs::write(
        &secret,
        "root:$6$SECRETSALT$SECRETHASHSECRETHASHSECRETHASHSECRETHASHSECRETHASH:19000:0:99999:7:::\n\
         daemon:*:19000:0:99999:7:::\n",
    )
    .unwrap();
    point_table_at(&sc, "regions", &secret);
    let err = refused(&validate(&sc), &["shadow", "not shown"]);
    assert!(!err.contains("SECRET"), "{err}");
    // An unknown column is named once, cut to 80 characters.
    let (dir, sc) = scratch_copy();
    let long = format!("x{}", "y".repeat(300));
    edit(&dir.path().join("data/cooling.csv"), "wue_l_per_kwh", &long);
    let err = refused(&validate(&sc), &["cooling.csv", "unknown column"]);
    assert_eq!(err.matches("xyyyy").count(), 1, "{err}");
    assert!(!err.contains(&"y".repeat(81)), "{err}");
    // Control characters in a cell are escaped, never sent raw.
    let (dir, sc) = scratch_copy();
    edit(
        &dir.path().join("data/regions.csv"),
        "jjj,Beijing-Tianjin-Hebei,",
        "jjj,\"Beijing\u{1b}[2J\u{1b}[31m\rHebei\",",
    );
    let err = refused(
        &validate(&sc),
        &["regions.csv", "row 2", "column name_en", "\\u{1b}"],
    );
    assert!(!err.contains('\u{1b}') && !err.contains('\r'), "{err:?}");
    // A scenario name with an escape sequence is refused too.
    let (_dir, sc) = scratch_copy();
    edit(&sc, "name = \"baseline\"", "name = \"base\\u001b[2Jline\"");
    let err = refused(&validate(&sc), &["baseline.toml", "column name"]);
    assert!(!err.contains('\u{1b}'), "{err:?}");
}

#[test]
fn printed_problems_are_capped_with_counts() {
    let (dir, sc) = scratch_copy();
    let path = dir.path().join("data/sites.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let header = text.lines().next().unwrap();
    let mut bad = String::from(header);
    bad.push('\n');
    for i in 0..500 {
        bad.push_str(&format!(
            "s{i},S,S,jjj,beijing,40,116,10,lots,1,1,candidate,,,\n"
        ));
    }
    std::fs::write(&path, bad).unwrap();
    let err = refused(&validate(&sc), &["500 input problems", "and 300 more"]);
    assert!(err.lines().count() < 230, "{} lines", err.lines().count());
    assert!(err.contains("sites.csv, column max_it_mw: 300"), "{err}");
}

#[test]
fn validate_tells_when_a_table_lies_outside_the_scenario_tree() {
    let (dir, sc) = scratch_copy();
    let elsewhere = tempfile::tempdir().unwrap();
    let regions = elsewhere.path().join("regions.csv");
    std::fs::copy(dir.path().join("data/regions.csv"), &regions).unwrap();
    point_table_at(&sc, "regions", &regions);
    let o = validate(&sc);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("note: tables.regions") && text.contains("outside"),
        "{text}"
    );
    assert!(!text.contains("tables.sites"), "{text}");
}

// -------------------------------------------------------------- 5. CSV injection

#[test]
fn formula_cells_are_neutralised_in_csv_outputs() {
    let (dir, sc) = scratch_copy();
    edit(
        &dir.path().join("data/regions.csv"),
        "jjj,Beijing-Tianjin-Hebei,",
        "jjj,=1+2,",
    );
    edit(
        &dir.path().join("data/regions.csv"),
        "yrd,Yangtze River Delta,",
        "yrd,@SUM(A1),",
    );
    let out = dir.path().join("plan");
    let o = dcsite(&[
        "solve",
        s(&sc),
        "--out",
        s(&out),
        "--quiet",
        "--mip-gap",
        "0.05",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(out.join("regions.csv")).unwrap();
    assert!(
        csv.contains(",'=1+2,") && csv.contains(",'@SUM(A1),"),
        "{csv}"
    );
    assert!(!csv.contains(",=1+2,"), "{csv}");
    // Numbers stay numbers (a negative shadow price is not quoted).
    let jjj = csv.lines().find(|l| l.starts_with("region,jjj,")).unwrap();
    assert!(jjj.contains(",150.0,") || jjj.contains(",150,"), "{jjj}");
    // comparison.csv: a scenario named like a formula.
    let other = sc.with_file_name("other.toml");
    std::fs::write(
        &other,
        "extends = \"baseline.toml\"\nname = \"-2+3\"\n[overrides]\npower_quota_scale = 1.1\n",
    )
    .unwrap();
    let cmp = dir.path().join("cmp");
    let o = dcsite(&[
        "compare",
        s(&sc),
        s(&other),
        "--out",
        s(&cmp),
        "--quiet",
        "--mip-gap",
        "0.05",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(cmp.join("comparison.csv")).unwrap();
    assert!(csv.contains(",'-2+3,") || csv.contains(",'-2+3\n"), "{csv}");
    assert!(csv.contains("'=1+2"), "{csv}");
}

// -------------------------------------------------------------------- 6. messages

#[test]
fn an_unknown_key_in_an_extends_parent_is_named_in_the_parent_with_its_line() {
    let (_dir, sc) = scratch_copy();
    edit(&sc, "horizon_years = 5", "horizon_yeras = 5");
    let child = sc.with_file_name("child.toml");
    std::fs::write(&child, "extends = \"baseline.toml\"\nname = \"child\"\n").unwrap();
    let line = std::fs::read_to_string(&sc)
        .unwrap()
        .lines()
        .position(|l| l.contains("horizon_yeras"))
        .unwrap()
        + 1;
    let err = refused(
        &validate(&child),
        &[
            &format!("baseline.toml: row {line}, column parameters.horizon_yeras"),
            "did you mean horizon_years?",
        ],
    );
    assert!(!err.contains("child.toml"), "{err}");
}

#[test]
fn an_io_error_is_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the output's parent folder should be.
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, "").unwrap();
    let out = blocker.join("plan");
    let o = dcsite(&solve_args(s(&out), &[]));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("blocker"), "{err}");
    let cause = err.rsplit(": ").next().unwrap().trim().to_string();
    assert_eq!(err.matches(&cause).count(), 1, "printed twice: {err}");
}

// ----------------------------------------------------------- 7. from issue 9

#[test]
fn duplicate_programme_ids_in_any_subsidy_scenario_are_refused() {
    let (dir, sc) = scratch_copy();
    // The baseline uses no subsidy scenario; central_push gets a duplicate.
    edit(
        &dir.path().join("data/subsidies.csv"),
        "central_push,cp_central_power,",
        "central_push,cp_central_capex,",
    );
    refused(
        &validate(&sc),
        &[
            "subsidies.csv",
            "row 3",
            "column programme_id",
            "first on row 2",
        ],
    );
}

// ------------------------------------------------------------------ 8. fuzzing

/// Cases per property: 48 by default (a few seconds), more on demand with
/// `DCSITE_FUZZ_CASES=5000 cargo test --release --test adversarial fuzz`.
fn fuzz_cases() -> u32 {
    std::env::var("DCSITE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

const EXTREMES: &[&str] = &[
    "nan",
    "inf",
    "-inf",
    "0",
    "-0",
    "1e-300",
    "1e-14",
    "1e300",
    "1e308",
    "4294967295",
    "-1",
    "0.5",
    "1",
    "64",
    "65",
    "200",
    "1e9",
    "1e10",
];

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: fuzz_cases(), .. ProptestConfig::default() })]

    /// Any number in any numeric cell: either refused naming that file and
    /// column, or accepted within the column's documented range.
    #[test]
    fn fuzz_any_table_number_is_refused_or_in_range(
        table in 0usize..7,
        pick in any::<prop::sample::Index>(),
        row in 0usize..3,
        value in prop_oneof![
            prop::sample::select(EXTREMES).prop_map(str::to_string),
            any::<f64>().prop_map(|x| format!("{x:e}")),
        ],
    ) {
        let spec = dcsite::data::schema::ALL[table];
        let numeric: Vec<_> = spec.columns.iter().filter(|c| matches!(
            c.kind,
            dcsite::data::schema::Kind::Real | dcsite::data::schema::Kind::Integer
        ) && c.min.is_some()).collect();
        prop_assume!(!numeric.is_empty());
        let col = numeric[pick.index(numeric.len())];
        let (dir, sc) = scratch_copy();
        let path = dir.path().join("data").join(format!("{}.csv", spec.name));
        let text = std::fs::read_to_string(&path).unwrap();
        let mut rows: Vec<Vec<String>> = text.lines().map(split_csv).collect();
        // Optional columns the default data leaves out are skipped.
        let idx = rows[0].iter().position(|h| h == col.name);
        prop_assume!(idx.is_some());
        let idx = idx.unwrap();
        let r = 1 + row % (rows.len() - 1);
        rows[r][idx] = value.clone();
        let out: Vec<String> = rows.iter().map(|f| join_csv(f)).collect::<Vec<_>>();
        std::fs::write(&path, out.join("\n") + "\n").unwrap();
        match dcsite::data::load(&sc) {
            Ok(_) => prop_assert!(col.check_number(value.parse::<f64>().unwrap()).is_ok(),
                "{}.{} accepted {value}", spec.name, col.name),
            Err(p) => {
                if col.check_number(value.parse::<f64>().unwrap_or(f64::NAN)).is_err() {
                    prop_assert!(p.0.iter().any(|x| x.file.ends_with(format!("{}.csv", spec.name))
                        && x.column.as_deref() == Some(col.name)), "{p}");
                }
            }
        }
    }

    /// Any number at any numeric key of a scenario: refused naming the key,
    /// or accepted within its documented range; random bytes never panic.
    #[test]
    fn fuzz_any_scenario_number_is_refused_or_in_range(
        key in prop::sample::select(vec![
            ("parameters", "horizon_years"), ("parameters", "discount_rate"),
            ("parameters", "utilisation"), ("parameters", "mega_cards"),
            ("parameters", "mega_count"), ("parameters", "route_factor"),
            ("parameters", "deadline_months"), ("parameters", "tce_per_mwh"),
            ("overrides", "power_quota_scale"), ("overrides", "site_capacity_scale"),
            ("overrides.regions.jjj", "power_quota_mw"), ("overrides.regions.jjj", "pue_cap"),
            ("overrides.levy_share", "h200"), ("targets.h200", "max"),
            ("overrides.regions.jjj", "water_quota_m3"),
            ("parameters", "campus_phase_mw"), ("parameters", "campus_phase_months"),
            ("parameters", "install_days"),
        ]),
        value in prop_oneof![
            prop::sample::select(EXTREMES).prop_map(str::to_string),
            any::<f64>().prop_map(|x| format!("{x:e}")),
            any::<i64>().prop_map(|x| x.to_string()),
        ],
        edits in proptest::collection::vec((0usize..3000, any::<u8>()), 0..4),
    ) {
        let (_dir, sc) = scratch_copy();
        let (section, leaf) = key;
        let text = std::fs::read_to_string(&sc).unwrap();
        // Drop the key where the baseline sets it, then set it in its own section.
        let mut kept: Vec<&str> = Vec::new();
        let mut current = String::new();
        for l in text.lines() {
            let t = l.trim();
            if t.starts_with('[') {
                current = t.trim_matches(|c| c == '[' || c == ']').to_string();
            }
            if current == section && t.starts_with(&format!("{leaf} ")) {
                continue;
            }
            kept.push(l);
        }
        let value_toml = match value.as_str() {
            "nan" | "inf" | "-inf" => value.clone(),
            v if v.contains(['e', '.', 'N', 'i']) => v.to_string(),
            v => v.to_string(),
        };
        let mut body = kept.join("\n");
        if body.contains(&format!("[{section}]\n")) {
            body = body.replacen(&format!("[{section}]\n"), &format!("[{section}]\n{leaf} = {value_toml}\n"), 1);
        } else {
            body = format!("{body}\n[{section}]\n{leaf} = {value_toml}\n");
        }
        let mut bytes = body.into_bytes();
        let mutated = !edits.is_empty();
        for (pos, b) in edits {
            let i = pos % bytes.len();
            bytes[i] = b;
        }
        std::fs::write(&sc, &bytes).unwrap();
        let result = dcsite::data::load(&sc);
        if mutated {
            return Ok(());
        }
        let doc = match section {
            "overrides.regions.jjj" => format!("overrides.regions.<region>.{leaf}"),
            "overrides.levy_share" => "overrides.levy_share.<accel>".to_string(),
            "targets.h200" => format!("targets.<accel>.{leaf}"),
            s => format!("{s}.{leaf}"),
        };
        let spec = dcsite::data::schema::scenario_number(&doc);
        let x: f64 = value.parse().unwrap_or(f64::NAN);
        let full = format!("{section}.{leaf}");
        match result {
            Ok((_, inst, _)) => {
                prop_assert!(spec.check_number(x).is_ok(), "{full} accepted {value}");
                prop_assert!(inst.params.annuity_factor().is_finite());
            }
            Err(p) => {
                if spec.check_number(x).is_err() {
                    prop_assert!(p.0.iter().any(|q| q.column.as_deref() == Some(full.as_str())
                        || q.column.is_none()), "{full} = {value}: {p}");
                }
            }
        }
    }
}

/// Splits one CSV line, quotes kept (the default data has quoted cells).
fn split_csv(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                out.last_mut().unwrap().push(c);
            }
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out
}

fn join_csv(fields: &[String]) -> String {
    fields.join(",")
}

#[test]
fn table_problems_name_their_row_in_every_slice_and_an_unclosed_quote_its_row() {
    // More rows than one slice of the reader (65,536 records), with a quoted
    // cell holding a comma and a line break early on: a bad cell in the
    // second slice is named by its own row.
    let (_d, sc) = scratch_copy();
    let sites = sc
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("data/sites.csv");
    let text = std::fs::read_to_string(&sites).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let first: Vec<&str> = lines.next().unwrap().split(',').take(14).collect();
    let max_col = header.split(',').position(|h| h == "max_it_mw").unwrap();
    let mut out = format!("{header}\n");
    let n = 70_000;
    for i in 0..n {
        let mut f: Vec<String> = first.iter().map(|x| x.to_string()).collect();
        f[0] = format!("s{i}");
        if i == 3 {
            f[1] = "\"Two, lines\nof name\"".into();
        }
        if i == n - 1 {
            f[max_col] = "abc".into();
        }
        out.push_str(&f.join(","));
        out.push_str(",source\n");
    }
    std::fs::write(&sites, &out).unwrap();
    // Row n + 1 (the header is row 1); the quoted line break makes it line n + 2.
    refused(
        &validate(&sc),
        &[&format!("sites.csv: row {}, column max_it_mw", n + 1)],
    );
    // A quote opened on row 4 and never closed: named at row 4.
    let (_d2, sc2) = scratch_copy();
    let sites2 = sc2
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("data/sites.csv");
    let mut rows: Vec<String> = std::fs::read_to_string(&sites2)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    rows[3] = rows[3].replacen(',', ",\"", 1);
    std::fs::write(&sites2, rows.join("\n") + "\n").unwrap();
    refused(&validate(&sc2), &["sites.csv: row 4", "a closing quote"]);
}

#[test]
fn what_if_refusals_name_their_row_also_for_dotted_and_inline_keys() {
    let (_d, sc) = scratch_copy();
    let x = sc.with_file_name("x.toml");
    // An unquoted [set] key is a table "sites": named at its line, with the fix.
    std::fs::write(
        &x,
        "extends = \"baseline.toml\"\n\n[set]\nsites.beijing.max_it_mw = 5\n",
    )
    .unwrap();
    refused(
        &validate(&x),
        &[
            "x.toml: row 4, column [set] \"sites\"",
            "write the whole cell in quotes",
        ],
    );
    // A site what-if as an inline table: named at the line of the table.
    std::fs::write(
        &x,
        "extends = \"baseline.toml\"\n\n[sites]\nbeijing = { status = \"bogus\" }\n",
    )
    .unwrap();
    refused(
        &validate(&x),
        &["x.toml: row 4, column [sites.beijing] status", "\"bogus\""],
    );
}
