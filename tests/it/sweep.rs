//! Issue 11, sections 2 and 3: `dcsite sweep` through the binary. One small
//! sweep of the baseline (per-province prices, Latin hypercube) is solved
//! once and checked from several sides; a second run with another --jobs
//! must write the same files; bad sweep files are refused before any solve;
//! an infeasible draw is a row, not a failure.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{dcsite, edit, ok, root, scratch_copy};
use polars::prelude::*;

const SAMPLES: usize = 6;

/// A sweep file in `dir` on the baseline; `vary` is the body of `[vary]`.
fn sweep_file(dir: &Path, name: &str, head: &str, vary: &str) -> PathBuf {
    let base = root().join("models/small/baseline.toml");
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!("base = \"{}\"\n{head}\n[vary]\n{vary}\n", base.display()),
    )
    .unwrap();
    path
}

const PRICES: &str =
    "\"electricity_prices.*.price_cny_per_kwh\" = { dist = \"uniform\", from_columns = [\"low\", \"high\"] }";

fn run_sweep(sweep: &Path, out: &Path, jobs: &str) {
    let o = dcsite(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--jobs",
        jobs,
        "--mip-gap",
        "0.001",
        "--threshold",
        "ningxia=100000",
        "--threshold",
        "frontier=300000",
        "--threshold",
        "inner_mongolia=100000",
        "--quiet",
    ]);
    ok(&o, "dcsite sweep");
}

/// The small price sweep, solved once with --jobs 2 for every test here.
fn solved() -> &'static (tempfile::TempDir, PathBuf, PathBuf) {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let sweep = sweep_file(
            dir.path(),
            "prices.toml",
            &format!("samples = {SAMPLES}\nseed = 3\nsampling = \"lhs\""),
            PRICES,
        );
        let out = dir.path().join("out");
        run_sweep(&sweep, &out, "2");
        (dir, sweep, out)
    })
}

fn read(path: &Path) -> DataFrame {
    let f = std::fs::File::open(path).unwrap();
    ParquetReader::new(f).finish().unwrap()
}

fn f64s(df: &DataFrame, c: &str) -> Vec<Option<f64>> {
    df.column(c)
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect()
}

fn strs(df: &DataFrame, c: &str) -> Vec<Option<String>> {
    df.column(c)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.map(str::to_string))
        .collect()
}

fn bools(df: &DataFrame, c: &str) -> Vec<Option<bool>> {
    df.column(c).unwrap().bool().unwrap().iter().collect()
}

fn csv(path: &Path) -> DataFrame {
    CsvReadOptions::default()
        .with_has_header(true)
        .into_reader_with_file_handle(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

/// numpy's default percentile: linear between order statistics.
fn percentile(v: &[f64], q: f64) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let h = (v.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    v[lo] + (h - h.floor()) * (v[hi] - v[lo])
}

#[test]
fn a_fixed_seed_writes_the_same_files_with_one_job_or_two() {
    let (dir, sweep, out) = solved();
    let again = dir.path().join("again");
    run_sweep(sweep, &again, "1");
    for f in [
        "regions.parquet",
        "regions.csv",
        "sites.parquet",
        "sites.csv",
        "robust.csv",
        "robust.geojson",
        "robust.qml",
        "regret.csv",
        "regret_costs.parquet",
    ] {
        assert!(
            std::fs::read(out.join(f)).unwrap() == std::fs::read(again.join(f)).unwrap(),
            "{f} differs between --jobs 2 and --jobs 1"
        );
    }
    // scenarios.parquet: the same but for the timing column.
    let a = read(&out.join("scenarios.parquet"))
        .drop("solve_seconds")
        .unwrap();
    let b = read(&again.join("scenarios.parquet"))
        .drop("solve_seconds")
        .unwrap();
    assert!(a.equals_missing(&b), "scenarios.parquet differs:\n{a}\n{b}");
    // sweep.json names the sweep file, the same in both.
    assert_eq!(
        std::fs::read(out.join("sweep.json")).unwrap(),
        std::fs::read(again.join("sweep.json")).unwrap()
    );
}

#[test]
fn every_draw_lies_in_its_own_stratum_of_its_row_range() {
    let (_, _, out) = solved();
    let s = read(&out.join("scenarios.parquet"));
    assert_eq!(s.height(), SAMPLES);
    let ids: Vec<Option<f64>> = f64s(&s, "scenario_id");
    assert_eq!(
        ids,
        (0..SAMPLES).map(|i| Some(i as f64)).collect::<Vec<_>>()
    );
    let prices = csv(&root().join("data/small/electricity_prices.csv"));
    let provinces = strs(&prices, "province");
    let (low, high) = (f64s(&prices, "low"), f64s(&prices, "high"));
    for (i, p) in provinces.iter().enumerate() {
        let key = format!(
            "electricity_prices.{}.price_cny_per_kwh",
            p.as_ref().unwrap()
        );
        let v = f64s(&s, &key);
        let (lo, hi) = (low[i].unwrap(), high[i].unwrap());
        let mut strata: Vec<usize> = v
            .iter()
            .map(|x| {
                let x = x.unwrap();
                assert!((lo..=hi).contains(&x), "{key} = {x} outside [{lo}, {hi}]");
                (((x - lo) / (hi - lo)) * SAMPLES as f64).floor() as usize
            })
            .collect();
        strata.sort();
        assert_eq!(strata, (0..SAMPLES).collect::<Vec<_>>(), "{key}: {v:?}");
    }
    for st in strs(&s, "status") {
        assert!(
            matches!(st.as_deref(), Some("optimal")),
            "every price draw of the baseline has a plan: {st:?}"
        );
    }
}

#[test]
fn robust_csv_is_recomputed_from_regions_parquet() {
    let (_, _, out) = solved();
    let regions = read(&out.join("regions.parquet"));
    let robust = csv(&out.join("robust.csv"));
    let (levels, ids) = (strs(&regions, "level"), strs(&regions, "region_id"));
    let cards = f64s(&regions, "cards_total");
    let (r_levels, r_ids) = (strs(&robust, "level"), strs(&robust, "id"));
    assert_eq!(robust.height(), 11 + 3, "11 regions and 3 tiers");
    let thresholds = [
        ("ningxia", 100_000.0),
        ("frontier", 300_000.0),
        ("inner_mongolia", 100_000.0),
    ];
    for r in 0..robust.height() {
        let (level, id) = (r_levels[r].clone().unwrap(), r_ids[r].clone().unwrap());
        let v: Vec<f64> = (0..regions.height())
            .filter(|&i| levels[i].as_deref() == Some(&level) && ids[i].as_deref() == Some(&id))
            .map(|i| cards[i].unwrap())
            .collect();
        assert_eq!(v.len(), SAMPLES, "{id}: one row per scenario");
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let close = |col: &str, want: f64| {
            let got = f64s(&robust, col)[r].unwrap();
            assert!(
                (got - want).abs() <= 0.05 + 1e-9 * want.abs(),
                "{id} {col}: {got} vs {want}"
            );
        };
        close("cards_mean", mean);
        close("cards_p10", percentile(&v, 0.1));
        close("cards_p50", percentile(&v, 0.5));
        close("cards_p90", percentile(&v, 0.9));
        // The same per accelerator, from its own regions.parquet column.
        for accel in ["h200", "ascend_910c"] {
            let cards = f64s(&regions, &format!("cards_{accel}"));
            let v: Vec<f64> = (0..regions.height())
                .filter(|&i| levels[i].as_deref() == Some(&level) && ids[i].as_deref() == Some(&id))
                .map(|i| cards[i].unwrap())
                .collect();
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            close(&format!("cards_{accel}_mean"), mean);
            close(&format!("cards_{accel}_p10"), percentile(&v, 0.1));
            close(&format!("cards_{accel}_p50"), percentile(&v, 0.5));
            close(&format!("cards_{accel}_p90"), percentile(&v, 0.9));
        }
        for c in [100_000.0, 300_000.0] {
            let col = format!("p_cards_ge_{c}");
            let got = f64s(&robust, &col)[r];
            match thresholds.iter().find(|t| t.0 == id && t.1 == c) {
                Some(_) => {
                    let want = v.iter().filter(|&&x| x >= c).count() as f64 / v.len() as f64;
                    assert!(
                        (got.unwrap() - want).abs() < 1e-6,
                        "{id} {col}: {got:?} vs {want}"
                    );
                }
                None => assert_eq!(got, None, "{id} {col}: only on the rows given it"),
            }
        }
    }
}

#[test]
fn robust_geojson_is_read_by_gdal_and_recomputed_from_sites_parquet() {
    let (_, _, out) = solved();
    let path = out.join("robust.geojson");
    let info = common::ogrinfo_summary(&path);
    assert!(info.contains("Geometry: Point"), "{info}");
    assert!(info.contains("Feature Count: 25"), "{info}");
    for field in ["p_built: Real", "cards_mean: Real", "cooling_mode: String"] {
        assert!(info.contains(field), "{field} in {info}");
    }
    let sites = read(&out.join("sites.parquet"));
    let ids = strs(&sites, "site_id");
    let built: Vec<Option<bool>> = sites
        .column("built")
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .collect();
    let cooling = strs(&sites, "cooling");
    let cards = f64s(&sites, "cards_total");
    for f in common::features(&path) {
        let p = &f["properties"];
        let id = p["site_id"].as_str().unwrap();
        let rows: Vec<usize> = (0..sites.height())
            .filter(|&i| ids[i].as_deref() == Some(id))
            .collect();
        assert_eq!(rows.len(), SAMPLES);
        let n_built = rows.iter().filter(|&&i| built[i] == Some(true)).count();
        let p_built = p["p_built"].as_f64().unwrap();
        assert!(
            (p_built - n_built as f64 / SAMPLES as f64).abs() < 1e-6,
            "{id}"
        );
        let mean = rows.iter().map(|&i| cards[i].unwrap()).sum::<f64>() / SAMPLES as f64;
        assert!(
            (p["cards_mean"].as_f64().unwrap() - mean).abs() <= 0.05,
            "{id}"
        );
        if n_built > 0 {
            let k = p["cooling_mode"].as_str().unwrap();
            let with_k = rows
                .iter()
                .filter(|&&i| cooling[i].as_deref() == Some(k))
                .count();
            for other in ["air", "cold_plate", "immersion"] {
                let n = rows
                    .iter()
                    .filter(|&&i| cooling[i].as_deref() == Some(other))
                    .count();
                assert!(n <= with_k, "{id}: {other} more often than the mode {k}");
            }
        } else {
            assert!(p["cooling_mode"].is_null());
        }
    }
    let qml = std::fs::read_to_string(out.join("robust.qml")).unwrap();
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(&qml, options).expect("robust.qml is XML");
    let renderer = doc
        .descendants()
        .find(|n| n.has_tag_name("renderer-v2"))
        .unwrap();
    assert_eq!(renderer.attribute("type"), Some("graduatedSymbol"));
    assert_eq!(renderer.attribute("attr"), Some("p_built"));
    let ranges: Vec<(f64, f64)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("range"))
        .map(|n| {
            let f = |a| n.attribute(a).unwrap().parse::<f64>().unwrap();
            (f("lower"), f("upper"))
        })
        .collect();
    assert_eq!(ranges.first().map(|r| r.0), Some(0.0));
    assert_eq!(
        ranges.last().map(|r| r.1),
        Some(1.0),
        "classes cover [0, 1]"
    );
}

#[test]
fn the_min_max_regret_plan_is_recomputed_from_its_costs() {
    let (_, _, out) = solved();
    let regret = csv(&out.join("regret.csv"));
    let costs = read(&out.join("regret_costs.parquet"));
    let scen = read(&out.join("scenarios.parquet"));
    let own = f64s(&scen, "sites_cost_cny");
    let (rank, scenario, cost) = (
        f64s(&costs, "rank"),
        f64s(&costs, "scenario_id"),
        f64s(&costs, "cost_cny"),
    );
    let n_plans = regret.height();
    assert!(n_plans >= 1);
    // cost[k][s]
    let mut table = vec![vec![None; SAMPLES]; n_plans];
    for i in 0..costs.height() {
        table[rank[i].unwrap() as usize - 1][scenario[i].unwrap() as usize] = cost[i];
    }
    let reference: Vec<f64> = (0..SAMPLES)
        .map(|s| {
            table
                .iter()
                .filter_map(|row| row[s])
                .chain(own[s])
                .fold(f64::INFINITY, f64::min)
        })
        .collect();
    let max_regret: Vec<Option<f64>> = table
        .iter()
        .map(|row| {
            row.iter()
                .zip(&reference)
                .map(|(c, r)| c.map(|c| c - r))
                .collect::<Option<Vec<f64>>>()
                .map(|v| v.into_iter().fold(f64::NEG_INFINITY, f64::max))
        })
        .collect();
    let written = f64s(&regret, "max_regret_cny");
    for k in 0..n_plans {
        if let (Some(a), Some(b)) = (max_regret[k], written[k]) {
            assert!((a - b).abs() <= 1.0, "plan {}: {a} vs {b}", k + 1);
        }
    }
    let best = (0..n_plans)
        .filter(|&k| max_regret[k].is_some())
        .min_by(|&a, &b| max_regret[a].unwrap().total_cmp(&max_regret[b].unwrap()))
        .unwrap();
    let flags: Vec<Option<bool>> = bools(&regret, "min_max_regret");
    assert_eq!(
        flags[best],
        Some(true),
        "the min-max-regret plan is #{}",
        best + 1
    );
    assert_eq!(flags.iter().filter(|f| **f == Some(true)).count(), 1);
    // A plan evaluated in a scenario where it is the optimum costs what that
    // scenario's own sites cost: the same sites, the same LP.
    let sites = read(&out.join("sites.parquet"));
    let plan1 = strs(&regret, "plan")[0].clone().unwrap();
    let (sid, built, cool) = (
        f64s(&sites, "scenario_id"),
        sites.column("built").unwrap().bool().unwrap().clone(),
        strs(&sites, "cooling"),
    );
    let site_ids = strs(&sites, "site_id");
    let mega: Vec<Option<bool>> = sites
        .column("mega_cluster")
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .collect();
    let mut checked = 0;
    for s in 0..SAMPLES {
        let label: Vec<String> = (0..sites.height())
            .filter(|&i| sid[i] == Some(s as f64) && built.get(i) == Some(true))
            .map(|i| {
                format!(
                    "{}:{}{}",
                    site_ids[i].as_ref().unwrap(),
                    cool[i].as_ref().unwrap(),
                    if mega[i] == Some(true) { "+mega" } else { "" }
                )
            })
            .collect();
        if label.join(";") == plan1 {
            let c = table[0][s].unwrap();
            assert!(
                (c - own[s].unwrap()).abs() <= 1.0,
                "scenario {s}: {c} vs {:?}",
                own[s]
            );
            checked += 1;
        }
    }
    assert_eq!(checked as f64, f64s(&regret, "optimal_in")[0].unwrap());
}

#[test]
fn an_infeasible_draw_is_a_row_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    // 5 M H200 cards do not fit in the regions' power quotas.
    let sweep = sweep_file(
        dir.path(),
        "supply.toml",
        "",
        "\"targets.h200.min\" = { grid = [500000, 5000000] }\n\"targets.h200.max\" = { grid = [6000000] }",
    );
    let out = dir.path().join("out");
    let o = dcsite(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--mip-gap",
        "0.001",
        "--json",
    ]);
    ok(&o, "a sweep with an infeasible draw");
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["scenarios"], 2);
    assert_eq!(json["statuses"]["infeasible"], 1);
    let s = read(&out.join("scenarios.parquet"));
    let status = strs(&s, "status");
    assert_eq!(
        status,
        vec![Some("optimal".into()), Some("infeasible".into())]
    );
    let why = strs(&s, "explanation")[1].clone().unwrap();
    assert!(
        why.contains("power"),
        "the explanation names what conflicts: {why}"
    );
    assert_eq!(f64s(&s, "objective_cny")[1], None);
    let regions = read(&out.join("regions.parquet"));
    assert!(f64s(&regions, "scenario_id")
        .iter()
        .all(|x| *x == Some(0.0)));
}

/// Runs a bad sweep: exit 2, the sweep file and the key named, nothing written.
fn refused(vary: &str, head: &str, key: &str, also: &str) {
    let dir = tempfile::tempdir().unwrap();
    let sweep = sweep_file(dir.path(), "bad.toml", head, vary);
    let out = dir.path().join("out");
    let o = dcsite(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.toml"), "names the sweep file: {err}");
    assert!(err.contains(key), "names the key {key}: {err}");
    assert!(err.contains(also), "says {also}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out.exists(), "nothing written");
}

#[test]
fn a_bad_sweep_key_is_refused_naming_the_file_and_key() {
    refused(
        "\"parameters.domestic_shar\" = { grid = [0.1] }",
        "",
        "parameters.domestic_shar",
        "did you mean domestic_share",
    );
}

#[test]
fn an_unknown_table_row_is_refused_naming_the_file_and_key() {
    refused(
        "\"electricity_prices.atlantis.price_cny_per_kwh\" = { dist = \"uniform\", min = 0.3, max = 0.4 }",
        "samples = 3",
        "electricity_prices.atlantis.price_cny_per_kwh",
        "unknown row \"atlantis\"",
    );
}

#[test]
fn a_value_outside_the_schema_is_refused_naming_the_file_and_key() {
    // A negative price in a distribution's support…
    refused(
        "\"electricity_prices.ningxia.price_cny_per_kwh\" = { dist = \"uniform\", min = -0.1, max = 0.4 }",
        "samples = 3",
        "electricity_prices.ningxia.price_cny_per_kwh",
        "-0.1",
    );
    // … and a grid value outside a scenario key's range, checked against
    // the schema once when the sweep is read.
    refused(
        "\"parameters.domestic_share\" = { grid = [0.2, 1.5] }",
        "",
        "parameters.domestic_share",
        "1.5",
    );
}

#[test]
fn report_draws_the_probability_map_the_fans_and_the_regret_table() {
    let (dir, _, out) = solved();
    let html = dir.path().join("sweep.html");
    let o = dcsite(&[
        "report",
        out.to_str().unwrap(),
        "-o",
        html.to_str().unwrap(),
    ]);
    ok(&o, "dcsite report on a sweep folder");
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("id=\"probability-map\""));
    assert_eq!(
        page.matches("class=\"p-built\"").count(),
        25,
        "one circle per site"
    );
    assert_eq!(
        page.matches("class=\"fan\"").count(),
        14,
        "11 regions and 3 tiers"
    );
    assert!(page.contains("id=\"regret-table\""));
    assert_eq!(page.matches("class=\"min-max-regret\"").count(), 1);
    assert!(!page.contains("<script"), "nothing loaded, nothing run");
}

#[test]
fn collect_with_no_regret_plans_only_merges() {
    // One shard of the small price sweep, collected with --regret-plans 0
    // (what a 100,000-scenario collect uses).
    let (_, sweep, out) = solved();
    let dir = tempfile::tempdir().unwrap();
    let again = dir.path().join("again");
    let o = dcsite(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        again.to_str().unwrap(),
        "--shard",
        "0/1",
        "--mip-gap",
        "0.001",
        "--quiet",
    ]);
    ok(&o, "dcsite sweep --shard 0/1");
    let o = dcsite(&[
        "sweep",
        "collect",
        again.to_str().unwrap(),
        "--regret-plans",
        "0",
        "--threshold",
        "ningxia=100000",
        "--threshold",
        "frontier=300000",
        "--threshold",
        "inner_mongolia=100000",
    ]);
    ok(&o, "dcsite sweep collect --regret-plans 0");
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("regret not evaluated (--regret-plans 0)"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // The merged tables and robust statistics are the sweep's own.
    for f in [
        "robust.csv",
        "robust.geojson",
        "regions.parquet",
        "regions.csv",
        "sites.parquet",
        "sites.csv",
    ] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f}"
        );
    }
    // regret.csv: its header, no plan evaluated.
    let regret = std::fs::read_to_string(again.join("regret.csv")).unwrap();
    assert_eq!(regret.lines().count(), 1, "{regret}");
    assert!(regret.starts_with("arm,rank,plan,"), "{regret}");
}

// Issue 23: nothing lost in sweeps (the sweep file and the drawing of
// scenarios).

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// stderr of a run, asserting it did not panic.
fn stderr_of(o: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// objective_cny of `dcsite solve <scenario>` with the sweep tests' gap.
fn solve_objective(scenario: &Path, out: &Path) -> f64 {
    let o = dcsite(&[
        "solve",
        s(scenario),
        "--out",
        s(out),
        "--mip-gap",
        "0.001",
        "--quiet",
    ]);
    ok(&o, "dcsite solve");
    common::read_json(&out.join("summary.json"))["objective_cny"]
        .as_f64()
        .unwrap()
}

/// Runs a sweep with --mip-gap 0.001 into `out`; its scenarios.parquet.
fn sweep_scenarios(sweep: &Path, out: &Path) -> DataFrame {
    let o = dcsite(&[
        "sweep",
        s(sweep),
        "--out",
        s(out),
        "--mip-gap",
        "0.001",
        "--jobs",
        "2",
        "--regret-plans",
        "0",
        "--quiet",
    ]);
    ok(&o, "dcsite sweep");
    read(&out.join("scenarios.parquet"))
}

#[test]
fn an_extends_grid_solves_each_scenario_file_with_the_other_keys_on_top() {
    // A scratch copy: the sweep in models/small/sweeps/, its scenario files
    // relative to it.
    let (dir, baseline) = scratch_copy();
    let models = baseline.parent().unwrap();
    std::fs::write(
        models.join("levy.toml"),
        "extends = \"baseline.toml\"\nname = \"levy\"\n[overrides.levy_share]\nh200 = 0.25\n",
    )
    .unwrap();
    // What scenario 1 is: the levy file with the share the sweep sets.
    let levy_share = models.join("levy_015.toml");
    std::fs::write(
        &levy_share,
        "extends = \"levy.toml\"\n[parameters]\ndomestic_share = 0.15\n",
    )
    .unwrap();
    let base_share = models.join("baseline_015.toml");
    std::fs::write(
        &base_share,
        "extends = \"baseline.toml\"\n[parameters]\ndomestic_share = 0.15\n",
    )
    .unwrap();
    std::fs::create_dir_all(models.join("sweeps")).unwrap();
    let sweep = models.join("sweeps/policies.toml");
    std::fs::write(
        &sweep,
        "[vary]\nextends = { grid = [\"../baseline.toml\", \"../levy.toml\"] }\n\
         \"parameters.domestic_share\" = { grid = [0.15] }\n",
    )
    .unwrap();
    let sc = sweep_scenarios(&sweep, &dir.path().join("out"));
    assert_eq!(
        strs(&sc, "extends"),
        vec![Some("../baseline.toml".into()), Some("../levy.toml".into())],
        "the scenario files as written"
    );
    assert_eq!(
        strs(&sc, "status"),
        vec![Some("optimal".into()), Some("optimal".into())]
    );
    let obj = f64s(&sc, "objective_cny");
    let plain_levy = solve_objective(&levy_share, &dir.path().join("levy_out"));
    let plain_base = solve_objective(&base_share, &dir.path().join("base_out"));
    assert_eq!(obj[1], Some(plain_levy), "scenario 1 is levy.toml + 0.15");
    assert_eq!(
        obj[0],
        Some(plain_base),
        "scenario 0 is baseline.toml + 0.15"
    );
    // The levy adds 500,000 × 175,000 × 0.25 CNY or more: really another scenario.
    assert!(
        plain_levy - plain_base > 2.0e10,
        "{plain_levy} vs {plain_base}"
    );
    // Two shards and a collect (which hashes the extends files among the
    // inputs) merge into the one-process sweep's files.
    let shards = dir.path().join("shards");
    for i in ["0/2", "1/2"] {
        let o = dcsite(&[
            "sweep",
            s(&sweep),
            "--out",
            s(&shards),
            "--shard",
            i,
            "--mip-gap",
            "0.001",
            "--quiet",
        ]);
        ok(&o, &format!("shard {i}"));
    }
    let o = dcsite(&[
        "sweep",
        "collect",
        s(&shards),
        "--regret-plans",
        "0",
        "--quiet",
    ]);
    ok(&o, "collect");
    let manifest = std::fs::read_to_string(shards.join("parts/manifest-0000of0002.json")).unwrap();
    assert!(manifest.contains("levy.toml"), "{manifest}");
    for f in ["robust.csv", "regions.parquet", "sites.parquet"] {
        assert_eq!(
            std::fs::read(dir.path().join("out").join(f)).unwrap(),
            std::fs::read(shards.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn a_tables_grid_swaps_the_table_file_as_a_scenario_would() {
    let (dir, baseline) = scratch_copy();
    let data = dir.path().join("data/small");
    let cheap = data.join("prices_cheap.csv");
    std::fs::copy(data.join("electricity_prices.csv"), &cheap).unwrap();
    // Every province at the low end of its range.
    let text = std::fs::read_to_string(&cheap).unwrap();
    let low: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let c: Vec<&str> = l.splitn(6, ',').collect();
            if i == 0 || c.len() < 6 {
                return l.to_string();
            }
            format!("{},{},{},{},{},{}", c[0], c[1], c[3], c[3], c[4], c[5])
        })
        .collect();
    std::fs::write(&cheap, low.join("\n") + "\n").unwrap();
    let models = baseline.parent().unwrap();
    let swapped = models.join("cheap.toml");
    std::fs::write(
        &swapped,
        "extends = \"baseline.toml\"\n[tables]\nelectricity_prices = \"../../data/small/prices_cheap.csv\"\n",
    )
    .unwrap();
    let sweep = dir.path().join("tables.toml");
    std::fs::write(
        &sweep,
        "base = \"models/small/baseline.toml\"\n[vary]\n\
         \"tables.electricity_prices\" = { grid = [\"data/small/electricity_prices.csv\", \"data/small/prices_cheap.csv\"] }\n",
    )
    .unwrap();
    let sc = sweep_scenarios(&sweep, &dir.path().join("out"));
    let obj = f64s(&sc, "objective_cny");
    let plain_base = solve_objective(&baseline, &dir.path().join("base_out"));
    let plain_cheap = solve_objective(&swapped, &dir.path().join("cheap_out"));
    assert_eq!(obj[0], Some(plain_base));
    assert_eq!(
        obj[1],
        Some(plain_cheap),
        "the cheap prices file swapped in"
    );
    assert!(plain_cheap < plain_base, "{plain_cheap} vs {plain_base}");

    // A bad cell of an alternative is named by its file, row and column.
    let bad = data.join("prices_bad.csv");
    std::fs::copy(data.join("electricity_prices.csv"), &bad).unwrap();
    edit(&bad, "ningxia,Ningxia,0.36,", "ningxia,Ningxia,cheap,");
    std::fs::write(
        &sweep,
        "base = \"models/small/baseline.toml\"\n[vary]\n\
         \"tables.electricity_prices\" = { grid = [\"data/small/prices_bad.csv\"] }\n",
    )
    .unwrap();
    let out = dir.path().join("bad_out");
    let o = dcsite(&["sweep", s(&sweep), "--out", s(&out)]);
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("prices_bad.csv"), "{err}");
    assert!(err.contains("price_cny_per_kwh"), "{err}");
    assert!(err.contains("3"), "row 3: {err}");
    assert!(!out.exists());
}

/// A sweep file in a temporary folder; exit 2 naming each of `names`, no panic.
fn refused_with(text: &str, args: &[&str], names: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let sweep = dir.path().join("bad.toml");
    std::fs::write(&sweep, text).unwrap();
    let out = dir.path().join("out");
    let mut all = vec!["sweep", s(&sweep), "--out", s(&out)];
    all.extend_from_slice(args);
    let o = dcsite(&all);
    let err = stderr_of(&o);
    assert_eq!(o.status.code(), Some(2), "{text}\n{err}");
    for n in names {
        assert!(err.contains(n), "names {n}: {err}");
    }
    assert!(!out.exists(), "nothing written");
}

#[test]
fn a_cell_varied_twice_is_refused_naming_both_keys() {
    refused(
        &format!(
            "{PRICES}\n\"electricity_prices.ningxia.price_cny_per_kwh\" = {{ grid = [0.3, 0.4] }}"
        ),
        "samples = 2",
        "electricity_prices.ningxia.price_cny_per_kwh",
        "electricity_prices.*.price_cny_per_kwh",
    );
}

#[test]
fn a_swapped_table_whose_cells_are_also_varied_is_refused() {
    // Issue 23 campaign: a `tables.electricity_prices` grid beside a draw of
    // the prices drew against the base's table and wrote over the swapped
    // one's, so the swap was lost with exit 0.
    let prices = root().join("data/small/electricity_prices.csv");
    for cells in [
        PRICES.to_string(),
        "\"electricity_prices.ningxia.price_cny_per_kwh\" = { grid = [0.3] }".to_string(),
    ] {
        refused(
            &format!(
                "\"tables.electricity_prices\" = {{ grid = [\"{}\"] }}\n{cells}",
                prices.display()
            ),
            "samples = 1",
            "tables.electricity_prices",
            "varied by both",
        );
    }
}

#[test]
fn bad_extends_and_tables_keys_are_refused_naming_the_file_and_key() {
    let base = root().join("models/small/baseline.toml");
    let head = format!("base = \"{}\"\n[vary]\n", base.display());
    // Not a grid of files.
    refused_with(
        &format!("{head}extends = {{ dist = \"uniform\", min = 0, max = 1 }}\n"),
        &[],
        &["bad.toml", "extends", "grid"],
    );
    refused_with(
        &format!("{head}\"tables.sites\" = {{ grid = [1, 2] }}\n"),
        &[],
        &["bad.toml", "tables.sites"],
    );
    // No such table, no such file.
    refused_with(
        &format!("{head}\"tables.towns\" = {{ grid = [\"x.csv\"] }}\n"),
        &[],
        &["bad.toml", "tables.towns"],
    );
    refused_with(
        &format!("{head}\"tables.sites\" = {{ grid = [\"nowhere.csv\"] }}\n"),
        &[],
        &["bad.toml", "tables.sites", "nowhere.csv"],
    );
    refused_with(
        &format!("{head}extends = {{ grid = [\"nowhere.toml\"] }}\n"),
        &[],
        &["bad.toml", "extends", "nowhere.toml"],
    );
    // A scenario file of the grid with a bad key: named by that file.
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "extends = \"{}\"\n[parameters]\nutilisaton = 0.5\n",
            base.display()
        ),
    )
    .unwrap();
    refused_with(
        &format!("{head}extends = {{ grid = [\"{}\"] }}\n", policy.display()),
        &[],
        &["policy.toml", "utilisaton"],
    );
    // A table of other rows: a sweep varies values, not rows.
    let sites = dir.path().join("sites.csv");
    let text = std::fs::read_to_string(root().join("data/small/sites.csv")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.pop();
    std::fs::write(&sites, lines.join("\n") + "\n").unwrap();
    refused_with(
        &format!(
            "{head}\"tables.sites\" = {{ grid = [\"{}\"] }}\n",
            sites.display()
        ),
        &[],
        &["bad.toml", "tables.sites", "rows"],
    );
}

#[test]
fn counts_from_the_command_line_are_bounded_with_exit_2() {
    let base = root().join("models/small/baseline.toml");
    let text = format!(
        "base = \"{}\"\n[vary]\n\"parameters.domestic_share\" = {{ grid = [0.15] }}\n",
        base.display()
    );
    for (args, flag) in [
        (&["--shard", "0/0"][..], "--shard"),
        (&["--shard", "5/3"][..], "--shard"),
        (&["--shard", "x/é"][..], "--shard"),
        (&["--jobs", "18446744073709551615"][..], "--jobs"),
        (&["--jobs", "0"][..], "--jobs"),
        (
            &["--regret-plans", "18446744073709551615"][..],
            "--regret-plans",
        ),
        (&["--time-limit", "1e19"][..], "--time-limit"),
        (&["--time-limit", "1e300"][..], "--time-limit"),
    ] {
        refused_with(&text, args, &[flag]);
    }
    // A shard from the environment: a count of 0, an index out of range.
    let dir = tempfile::tempdir().unwrap();
    let sweep = dir.path().join("plan.toml");
    std::fs::write(&sweep, &text).unwrap();
    for (env, args, named) in [
        (
            &[
                ("SLURM_ARRAY_TASK_ID", "0"),
                ("SLURM_ARRAY_TASK_COUNT", "0"),
            ][..],
            &[][..],
            "SLURM_ARRAY_TASK_ID",
        ),
        (
            &[("SLURM_ARRAY_TASK_ID", "7"), ("SLURM_ARRAY_TASK_MAX", "3")][..],
            &[][..],
            "SLURM_ARRAY_TASK",
        ),
        (
            &[("SLURM_ARRAY_TASK_ID", "-1")][..],
            &[][..],
            "SLURM_ARRAY_TASK_ID",
        ),
        (
            &[("JOB_COMPLETION_INDEX", "0")][..],
            &["--shards", "0"][..],
            "--shards",
        ),
        (
            &[("JOB_COMPLETION_INDEX", "5")][..],
            &["--shards", "2"][..],
            "JOB_COMPLETION_INDEX",
        ),
    ] {
        let out = dir.path().join("env_out");
        let mut c = common::bin();
        c.args(["sweep", s(&sweep), "--out", s(&out)]).args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        let err = stderr_of(&o);
        assert_eq!(o.status.code(), Some(2), "{env:?}: {err}");
        assert!(err.contains(named), "{env:?}: {err}");
        assert!(!out.exists());
    }
    for (args, flag) in [
        (&["--shards", "0"][..], "--shards"),
        (
            &["--shards", "2", "--jobs", "18446744073709551615"][..],
            "--jobs",
        ),
        (&["--shards", "18446744073709551615"][..], "--shards"),
        (
            &["--shards", "2", "--time-limit", "1e19"][..],
            "--time-limit",
        ),
    ] {
        let mut all = vec!["sweep", "plan", s(&sweep)];
        all.extend_from_slice(args);
        let o = dcsite(&all);
        let err = stderr_of(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag), "{err}");
    }
}

#[test]
fn a_one_scenario_shard_of_ten_million_costs_one_scenario() {
    // Before issue 23 every shard drew and checked all 10,000,000 scenarios
    // (about 2 h); now it draws its own (and one per text grid value).
    let dir = tempfile::tempdir().unwrap();
    let sweep = sweep_file(
        dir.path(),
        "huge.toml",
        "samples = 10000000\nseed = 11\nsampling = \"lhs\"",
        PRICES,
    );
    let out = dir.path().join("out");
    let o = run_shard_of(&sweep, &out, "9999999/10000000", &[]);
    ok(&o, "one shard of a 10 M sweep");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("1 of the sweep's 10000000 scenarios; solved 1"),
        "{text}"
    );
    let parts: Vec<_> = std::fs::read_dir(out.join("parts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("scenarios-"))
        .collect();
    assert_eq!(parts.len(), 1, "{parts:?}");
    let sc = read(&out.join("parts").join(&parts[0]));
    assert_eq!(f64s(&sc, "scenario_id"), vec![Some(9_999_999.0)]);
    // Its draws lie in the rows' ranges (the stratum of the last sample).
    let prices = csv(&root().join("data/small/electricity_prices.csv"));
    for (i, p) in strs(&prices, "province").iter().enumerate() {
        let key = format!(
            "electricity_prices.{}.price_cny_per_kwh",
            p.as_ref().unwrap()
        );
        let x = f64s(&sc, &key)[0].unwrap();
        let (lo, hi) = (
            f64s(&prices, "low")[i].unwrap(),
            f64s(&prices, "high")[i].unwrap(),
        );
        assert!((lo..=hi).contains(&x), "{key} = {x} outside [{lo}, {hi}]");
    }
    // `sweep plan` does not depend on the number of scenarios either.
    let o = dcsite(&["sweep", "plan", s(&sweep), "--shards", "1000"]);
    ok(&o, "sweep plan of a 10 M sweep");
    assert!(String::from_utf8_lossy(&o.stdout).contains("10000000 scenarios in 1000 shards"));
}

/// The Latin hypercube's strata, per key, drawn by index: every stratum once.
#[test]
fn latin_hypercube_strata_drawn_by_index_are_a_permutation() {
    let dir = tempfile::tempdir().unwrap();
    for n in [1usize, 2, 3, 7, 64, 1000, 4099] {
        let sweep = sweep_file(
            dir.path(),
            "lhs.toml",
            &format!("samples = {n}\nseed = 5\nsampling = \"lhs\""),
            "\"parameters.utilisation\" = { dist = \"uniform\", min = 0.5, max = 0.9 }\n\
             \"parameters.domestic_share\" = { dist = \"uniform\", min = 0.1, max = 0.2 }",
        );
        let sw = dcsite::study::sweep::read_sweep(&sweep).unwrap();
        for (key, (lo, hi)) in [
            ("parameters.utilisation", (0.5, 0.9)),
            ("parameters.domestic_share", (0.1, 0.2)),
        ] {
            let d = sw.dims.iter().position(|x| x.key == key).unwrap();
            let mut seen = vec![false; n];
            for id in 0..n {
                let x = sw.draw(id)[d].as_float().unwrap();
                let k = (((x - lo) / (hi - lo)) * n as f64).floor() as usize;
                // Values print with 10 significant digits: the stratum edge may round.
                let k = k.min(n - 1);
                seen[k] = true;
            }
            let used = seen.iter().filter(|x| **x).count();
            assert!(
                used + n / 500 >= n,
                "{n} samples use {used} strata of {key}"
            );
        }
    }
}

mod fuzz {
    //! Bounded fuzz over sweep files: random and mutated TOML through the
    //! library's parser, the probes and draws of what it accepts; never a
    //! panic. The binary's exit codes for a sample are checked above.
    use super::*;
    use proptest::prelude::*;

    fn keys() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "parameters.domestic_share",
            "parameters.horizon_years",
            "parameters.utilisation",
            "targets.h200.min",
            "overrides.levy_share.h200",
            "electricity_prices.*.price_cny_per_kwh",
            "electricity_prices.ningxia.price_cny_per_kwh",
            "electricity_prices.ningxia.low",
            "sites.*.max_it_mw",
            "subsidies.*.value",
            "subsidies.cp_central_capex.value",
            "extends",
            "tables.sites",
            "tables.electricity_prices",
            "tables.clusters",
            "tables.nope",
            "bounds.region.ningxia.max_cards",
            "name",
            "subsidy_scenario",
            "",
            "*",
            "é.ü",
            "parameters",
        ])
        .prop_map(str::to_string)
    }

    fn number() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "0",
                "-1",
                "0.5",
                "1e308",
                "-1e308",
                "nan",
                "inf",
                "-inf",
                "1.5",
                "9223372036854775807",
                "-9223372036854775808",
                "1e-320",
                "600000",
            ])
            .prop_map(str::to_string),
            any::<f64>().prop_map(|x| format!("{x:?}")),
            any::<i64>().prop_map(|x| x.to_string()),
        ]
    }

    fn spec() -> impl Strategy<Value = String> {
        let base = root().join("models/small");
        let files = vec![
            format!("\"{}\"", base.join("levy_on_top.toml").display()),
            format!("\"{}\"", base.join("central_push.toml").display()),
            format!("\"{}\"", root().join("data/small/sites.csv").display()),
            format!(
                "\"{}\"",
                root().join("data/small/electricity_prices.csv").display()
            ),
            "\"nowhere\"".into(),
            "\"\"".into(),
            "\"/dev/null\"".into(),
            "\"é\"".into(),
        ];
        prop_oneof![
            prop::collection::vec(number(), 0..4)
                .prop_map(|v| format!("{{ grid = [{}] }}", v.join(", "))),
            prop::collection::vec(prop::sample::select(files), 0..3)
                .prop_map(|v| format!("{{ grid = [{}] }}", v.join(", "))),
            (number(), number())
                .prop_map(|(a, b)| format!("{{ dist = \"uniform\", min = {a}, max = {b} }}")),
            (number(), number(), number()).prop_map(|(a, m, b)| format!(
                "{{ dist = \"triangular\", min = {a}, mode = {m}, max = {b} }}"
            )),
            (number(), number())
                .prop_map(|(m, s)| format!("{{ dist = \"normal\", mean = {m}, sd = {s} }}")),
            Just("{ dist = \"uniform\", from_columns = [\"low\", \"high\"] }".to_string()),
            Just("{ dist = \"uniform\", from_columns = [\"low\"] }".to_string()),
            Just("{ dist = \"poisson\" }".to_string()),
            Just("{ grid = [0.1], dist = \"uniform\" }".to_string()),
            Just("3".to_string()),
        ]
    }

    /// A key with a distribution that suits it.
    fn valid_entry() -> impl Strategy<Value = (String, String)> {
        let m = root().join("models/small");
        let d = root().join("data/small");
        prop::sample::select(vec![
            (
                "parameters.domestic_share".to_string(),
                "{ grid = [0.15, 0.2] }".to_string(),
            ),
            (
                "electricity_prices.*.price_cny_per_kwh".into(),
                "{ dist = \"uniform\", from_columns = [\"low\", \"high\"] }".into(),
            ),
            (
                "overrides.levy_share.h200".into(),
                "{ dist = \"triangular\", min = 0.0, mode = 0.25, max = 0.25 }".into(),
            ),
            (
                "targets.h200.min".into(),
                "{ dist = \"normal\", mean = 500000, sd = 50000 }".into(),
            ),
            (
                "subsidies.cp_central_capex.value".into(),
                "{ grid = [0.0, 0.1] }".into(),
            ),
            (
                "extends".into(),
                format!(
                    "{{ grid = [\"{}\", \"{}\"] }}",
                    m.join("levy_on_top.toml").display(),
                    m.join("central_push.toml").display()
                ),
            ),
            (
                "tables.electricity_prices".into(),
                format!(
                    "{{ grid = [\"{}\"] }}",
                    d.join("electricity_prices.csv").display()
                ),
            ),
        ])
    }

    fn sweep_text() -> impl Strategy<Value = String> {
        let base = format!(
            "base = \"{}\"\n",
            root().join("models/small/baseline.toml").display()
        );
        (
            prop::option::of(prop_oneof![
                4 => (1u64..40).prop_map(|n| n.to_string()),
                1 => Just("10000000".to_string()),
                1 => number(),
            ]),
            prop::option::of(prop_oneof![
                4 => (0u64..1000).prop_map(|n| n.to_string()),
                1 => number(),
            ]),
            prop::sample::select(vec!["", "sampling = \"lhs\"\n", "sampling = \"x\"\n"]),
            prop::collection::vec(prop_oneof![8 => valid_entry(), 1 => (keys(), spec())], 0..4),
            prop::bool::weighted(0.9),
        )
            .prop_map(move |(samples, seed, sampling, vary, with_base)| {
                let mut t = if with_base {
                    base.clone()
                } else {
                    String::new()
                };
                if let Some(n) = samples {
                    t.push_str(&format!("samples = {n}\n"));
                }
                if let Some(n) = seed {
                    t.push_str(&format!("seed = {n}\n"));
                }
                t.push_str(sampling);
                t.push_str("[vary]\n");
                for (k, v) in vary {
                    t.push_str(&format!("\"{k}\" = {v}\n"));
                }
                t
            })
    }

    /// A text with up to 6 characters replaced or inserted.
    fn mutated() -> impl Strategy<Value = String> {
        (
            sweep_text(),
            prop::collection::vec(
                (
                    any::<prop::sample::Index>(),
                    prop::sample::select(vec![
                        '"', '[', ']', '=', '.', '*', '\n', '#', 'é', '0', '{', '}', ',', '\'',
                    ]),
                    any::<bool>(),
                ),
                0..6,
            ),
        )
            .prop_map(|(text, edits)| {
                let mut c: Vec<char> = text.chars().collect();
                for (i, ch, insert) in edits {
                    let at = i.index(c.len() + 1);
                    if insert || at == c.len() {
                        c.insert(at, ch);
                    } else {
                        c[at] = ch;
                    }
                }
                c.into_iter().collect()
            })
    }

    #[test]
    fn sweep_files_never_panic() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let config = ProptestConfig {
            cases: 3000,
            max_shrink_iters: 200,
            failure_persistence: None,
            ..ProptestConfig::default()
        };
        // A fixed stream of cases: the same 3,000 files in every run, so the
        // count of accepted files below is a fact of the test, not of luck.
        let rng = proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm);
        let mut runner = proptest::test_runner::TestRunner::new_with_rng(config, rng);
        let accepted = AtomicUsize::new(0);
        let result = runner.run(&prop_oneof![sweep_text(), mutated()], |text| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("fuzz.toml");
            std::fs::write(&path, &text).unwrap();
            if let Ok(sw) = dcsite::study::sweep::read_sweep(&path) {
                accepted.fetch_add(1, Ordering::Relaxed);
                let _ = sw.check_ids(&sw.probe_ids());
                let n = sw.len();
                prop_assert!((1..=dcsite::study::sweep::spec::MAX_SCENARIOS).contains(&n));
                for id in [0, n / 2, n - 1] {
                    let values = sw.draw(id);
                    prop_assert_eq!(values.len(), sw.dims.len());
                    let _ = sw.instance(id);
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        // Enough of the files are accepted for the draws to be exercised too.
        let accepted = accepted.load(Ordering::Relaxed);
        assert!(
            accepted >= 150,
            "only {accepted} of 3000 sweep files accepted"
        );
    }
}

// Issue 25: a sweep's grid keys define arms, and every statistic is given
// per arm (pooled only with --pooled). A grid of two on a Ningxia per-card
// grant (none, or GRANT CNY per card) over the same 6 price draws.

/// The per-card grant of the second arm, CNY per card.
const GRANT: f64 = 4000.0;
const GRANT_KEY: &str = "subsidies.nx_cards.value";

/// The gridded sweep, solved once with --pooled and a Ningxia threshold;
/// its folder and the terminal summary.
fn gridded() -> &'static (tempfile::TempDir, PathBuf, String) {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf, String)> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("nx.toml");
        std::fs::write(
            &base,
            format!(
                "extends = \"{}\"\nname = \"nx\"\n[[subsidies]]\nprogramme_id = \"nx_cards\"\n\
                 region_id = \"ningxia\"\nkind = \"per_card_cny\"\nvalue = 0\n\
                 cap_cny = 3000000000\napplies_to = \"all\"\n",
                root().join("models/small/baseline.toml").display()
            ),
        )
        .unwrap();
        let sweep = dir.path().join("grant.toml");
        std::fs::write(
            &sweep,
            format!(
                "base = \"{}\"\nsamples = {SAMPLES}\nseed = 3\nsampling = \"lhs\"\n[vary]\n{PRICES}\n\
                 \"{GRANT_KEY}\" = {{ grid = [0, {GRANT}] }}\n",
                base.display()
            ),
        )
        .unwrap();
        let out = dir.path().join("out");
        // One shard of one, then a collect: a second collect (without
        // --pooled) reads the same parts.
        let o = run_shard_of(&sweep, &out, "0/1", &["--jobs", "2", "--quiet"]);
        ok(&o, "the gridded sweep's shard");
        let o = dcsite(&[
            "sweep",
            "collect",
            s(&out),
            "--jobs",
            "2",
            "--mip-gap",
            "0.001",
            "--threshold",
            "ningxia=100000",
            "--regret-plans",
            "3",
            "--pooled",
        ]);
        ok(&o, "the gridded sweep");
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        (dir, out, text)
    })
}

/// Per scenario id: its arm, read from the grid key's column of scenarios.csv
/// (0: no grant, 1: the grant), independent of the `arm` column.
fn arm_by_scenario(out: &Path) -> Vec<usize> {
    let sc = csv(&out.join("scenarios.csv"));
    let ids = f64s(&sc, "scenario_id");
    let grant = f64s(&sc, GRANT_KEY);
    let mut arm = vec![usize::MAX; ids.len()];
    for (id, g) in ids.iter().zip(&grant) {
        arm[id.unwrap() as usize] = usize::from(g.unwrap() == GRANT);
    }
    assert_eq!(arm.iter().filter(|a| **a == 1).count(), SAMPLES);
    arm
}

/// The gridded sweep's folder, terminal summary, arm per scenario, and its
/// table `kind` read from `<kind>.csv`, checked equal to `<kind>.parquet`
/// (the spreadsheet's copy).
fn gridded_table(kind: &str) -> (&'static Path, &'static str, Vec<usize>, DataFrame) {
    let (_, out, text) = gridded();
    let table = csv(&out.join(format!("{kind}.csv")));
    assert!(read(&out.join(format!("{kind}.parquet"))).equals_missing(&table));
    (out, text, arm_by_scenario(out), table)
}

/// The row of robust.csv (or regret.csv) of `arm` (`None`: pooled) and id.
fn arm_rows(t: &DataFrame, arm: Option<usize>) -> Vec<usize> {
    let arms = f64s(t, "arm");
    (0..t.height())
        .filter(|&r| arms[r] == arm.map(|a| a as f64))
        .collect()
}

#[test]
fn per_arm_probabilities_are_recounted_from_the_scenario_rows() {
    let (out, text, arm, regions) = gridded_table("regions");
    let (sid, level, rid, cards) = (
        f64s(&regions, "scenario_id"),
        strs(&regions, "level"),
        strs(&regions, "region_id"),
        f64s(&regions, "cards_total"),
    );
    let ningxia = |a: Option<usize>| -> Vec<f64> {
        (0..regions.height())
            .filter(|&i| {
                level[i].as_deref() == Some("region") && rid[i].as_deref() == Some("ningxia")
            })
            .filter(|&i| a.is_none_or(|a| arm[sid[i].unwrap() as usize] == a))
            .map(|i| cards[i].unwrap())
            .collect()
    };
    let robust = csv(&out.join("robust.csv"));
    let json = common::read_json(&out.join("sweep.json"));
    let mut p = Vec::new();
    for a in [Some(0), Some(1), None] {
        let v = ningxia(a);
        let want = v.iter().filter(|&&x| x >= 100_000.0).count() as f64 / v.len() as f64;
        let rows = arm_rows(&robust, a);
        assert_eq!(rows.len(), 14, "11 regions and 3 tiers in arm {a:?}");
        let r = rows
            .into_iter()
            .find(|&r| strs(&robust, "id")[r].as_deref() == Some("ningxia"))
            .unwrap();
        let got = f64s(&robust, "p_cards_ge_100000")[r].unwrap();
        assert!((got - want).abs() < 1e-6, "arm {a:?}: {got} vs {want}");
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let close = |col: &str, want: f64| {
            let got = f64s(&robust, col)[r].unwrap();
            assert!(
                (got - want).abs() <= 0.05,
                "arm {a:?} {col}: {got} vs {want}"
            );
        };
        close("cards_mean", mean);
        close("cards_p10", percentile(&v, 0.1));
        close("cards_p90", percentile(&v, 0.9));
        let grant = f64s(&robust, GRANT_KEY)[r];
        assert_eq!(grant, a.map(|a| [0.0, GRANT][a]), "the arm's grid value");
        // sweep.json and the terminal say the same, per arm.
        let k = a.unwrap_or(2);
        assert_eq!(json["arms"][k]["thresholds"][0]["p"].as_f64(), Some(got));
        let line = format!(
            "P(ningxia ≥ 100,000 cards) = {got:.3} ({} of the {} scenarios with a plan)",
            (got * v.len() as f64).round(),
            v.len()
        );
        assert!(text.contains(&line), "{line} in\n{text}");
        p.push(got);
    }
    assert!(p[1] > p[0], "the grant raises Ningxia's chances: {p:?}");
    assert!(
        text.contains(&format!("arm 1 ({GRANT_KEY} = {GRANT})")),
        "{text}"
    );
    assert!(text.contains("all arms pooled"), "{text}");
}

#[test]
fn per_arm_site_probabilities_are_recounted_from_sites_parquet() {
    let (out, _, arm, sites) = gridded_table("sites");
    let (sid, site, built) = (
        f64s(&sites, "scenario_id"),
        strs(&sites, "site_id"),
        sites.column("built").unwrap().bool().unwrap().clone(),
    );
    let features = common::features(&out.join("robust.geojson"));
    assert_eq!(
        features.len(),
        25 * 3,
        "a feature per site and arm, and pooled"
    );
    for f in &features {
        let p = &f["properties"];
        let a = p["arm"].as_u64().map(|a| a as usize);
        assert_eq!(p[GRANT_KEY].as_f64(), a.map(|a| [0.0, GRANT][a]));
        let id = p["site_id"].as_str().unwrap();
        let rows: Vec<usize> = (0..sites.height())
            .filter(|&i| site[i].as_deref() == Some(id))
            .filter(|&i| a.is_none_or(|a| arm[sid[i].unwrap() as usize] == a))
            .collect();
        let n_built = rows.iter().filter(|&&i| built.get(i) == Some(true)).count();
        let want = n_built as f64 / rows.len() as f64;
        let got = p["p_built"].as_f64().unwrap();
        assert!(
            (got - want).abs() < 1e-6,
            "{id} in arm {a:?}: {got} vs {want}"
        );
    }
    let info = common::ogrinfo_summary(&out.join("robust.geojson"));
    assert!(
        info.contains("arm: Integer"),
        "QGIS can filter by arm: {info}"
    );
}

#[test]
fn per_arm_regret_is_recomputed_from_regret_costs() {
    let (_, out, _) = gridded();
    let arm = arm_by_scenario(out);
    let regret = csv(&out.join("regret.csv"));
    let costs = read(&out.join("regret_costs.parquet"));
    let own = f64s(&read(&out.join("scenarios.parquet")), "sites_cost_cny");
    let (c_arm, rank, scenario, cost) = (
        f64s(&costs, "arm"),
        f64s(&costs, "rank"),
        f64s(&costs, "scenario_id"),
        f64s(&costs, "cost_cny"),
    );
    for a in [Some(0usize), Some(1), None] {
        let rows = arm_rows(&regret, a);
        assert!(!rows.is_empty(), "arm {a:?} evaluates plans");
        let ids: Vec<usize> = (0..arm.len())
            .filter(|&s| a.is_none_or(|a| arm[s] == a))
            .collect();
        // cost[k][s] for the arm's plans in the arm's scenarios.
        let mut table = vec![vec![None; arm.len()]; rows.len()];
        for i in 0..costs.height() {
            if c_arm[i] == a.map(|a| a as f64) {
                let s = scenario[i].unwrap() as usize;
                assert!(ids.contains(&s), "arm {a:?} priced outside its scenarios");
                table[rank[i].unwrap() as usize - 1][s] = cost[i];
            }
        }
        let reference = |s: usize| {
            table
                .iter()
                .filter_map(|row| row[s])
                .chain(own[s])
                .fold(f64::INFINITY, f64::min)
        };
        let mut best: Option<(f64, usize)> = None;
        for (k, &r) in rows.iter().enumerate() {
            let c: Vec<f64> = ids.iter().map(|&s| table[k][s].unwrap()).collect();
            let regrets: Vec<f64> = ids
                .iter()
                .map(|&s| table[k][s].unwrap() - reference(s))
                .collect();
            let max = regrets.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let expected = c.iter().sum::<f64>() / c.len() as f64;
            let got = |col: &str| f64s(&regret, col)[r].unwrap();
            assert!(
                (got("max_regret_cny") - max).abs() <= 1.0,
                "arm {a:?} plan {}",
                k + 1
            );
            assert!(
                (got("expected_cost_cny") - expected).abs() <= 1.0,
                "arm {a:?} plan {}",
                k + 1
            );
            if best.is_none_or(|b| max < b.0) {
                best = Some((max, r));
            }
        }
        let flags: Vec<Option<bool>> = bools(&regret, "min_max_regret");
        let marked: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&r| flags[r] == Some(true))
            .collect();
        assert_eq!(
            marked,
            vec![best.unwrap().1],
            "arm {a:?}: one min-max-regret plan, recomputed"
        );
    }
}

#[test]
fn report_shows_each_arm_and_the_threshold_probabilities() {
    let (dir, out, _) = gridded();
    let html = dir.path().join("grant.html");
    let o = dcsite(&["report", s(out), "-o", s(&html)]);
    ok(&o, "dcsite report on a gridded sweep");
    let page = std::fs::read_to_string(&html).unwrap();
    for id in [
        "arm-arm0",
        "arm-arm1",
        "arm-pooled",
        "probability-map-arm1",
        "regret-table-pooled",
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert_eq!(
        page.matches("class=\"p-built\"").count(),
        75,
        "25 sites × (2 arms + pooled)"
    );
    assert_eq!(page.matches("class=\"fan\"").count(), 42);
    assert!(page.contains(&format!("{GRANT_KEY} = {GRANT}")));
    let json = common::read_json(&out.join("sweep.json"));
    assert!(page.contains("id=\"threshold-table\""));
    for k in 0..3 {
        let p = json["arms"][k]["thresholds"][0]["p"].to_string();
        assert!(page.contains(&format!("data-p=\"{p}\"")), "arm {k}: {p}");
    }
}

#[test]
fn without_pooled_a_gridded_sweep_gives_arms_only() {
    // The same parts collected again without --pooled: no pooled row anywhere.
    let (_, out, _) = gridded();
    let dir = tempfile::tempdir().unwrap();
    let again = dir.path().join("again");
    copy_dir(out, &again);
    let o = dcsite(&[
        "sweep",
        "collect",
        s(&again),
        "--threshold",
        "ningxia=100000",
        "--regret-plans",
        "3",
        "--mip-gap",
        "0.001",
        "--quiet",
    ]);
    ok(&o, "collect without --pooled");
    let robust = csv(&again.join("robust.csv"));
    assert!(arm_rows(&robust, None).is_empty());
    assert_eq!(robust.height(), 28);
    let regret = csv(&again.join("regret.csv"));
    assert!(arm_rows(&regret, None).is_empty());
    assert_eq!(common::features(&again.join("robust.geojson")).len(), 50);
    // The arms' rows are the --pooled run's, byte for byte.
    let text = |p: &Path| std::fs::read_to_string(p).unwrap();
    let first: Vec<String> = text(&out.join("robust.csv"))
        .lines()
        .take(29)
        .map(str::to_string)
        .collect();
    let second: Vec<String> = text(&again.join("robust.csv"))
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(first, second);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// `dcsite sweep SWEEP --out OUT --shard SHARD --mip-gap 0.001` and `more`.
fn run_shard_of(sweep: &Path, out: &Path, shard: &str, more: &[&str]) -> std::process::Output {
    let mut args = vec![
        "sweep",
        s(sweep),
        "--out",
        s(out),
        "--shard",
        shard,
        "--mip-gap",
        "0.001",
    ];
    args.extend_from_slice(more);
    dcsite(&args)
}
