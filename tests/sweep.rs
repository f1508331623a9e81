//! Issue 11, sections 2 and 3: `dcsite sweep` through the binary. One small
//! sweep of the baseline (per-province prices, Latin hypercube) is solved
//! once and checked from several sides; a second run with another --jobs
//! must write the same files; bad sweep files are refused before any solve;
//! an infeasible draw is a row, not a failure.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{dcsite, ok, root};
use polars::prelude::*;

const SAMPLES: usize = 6;

/// A sweep file in `dir` on the baseline; `vary` is the body of `[vary]`.
fn sweep_file(dir: &Path, name: &str, head: &str, vary: &str) -> PathBuf {
    let base = root().join("models/baseline.toml");
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
        "sites.parquet",
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
    let ids: Vec<Option<f64>> = f64s(&s, "id");
    assert_eq!(
        ids,
        (0..SAMPLES).map(|i| Some(i as f64)).collect::<Vec<_>>()
    );
    let prices = csv(&root().join("data/electricity_prices.csv"));
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
    let (levels, ids) = (strs(&regions, "level"), strs(&regions, "id"));
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
        f64s(&costs, "scenario"),
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
    let flags: Vec<Option<bool>> = regret
        .column("min_max_regret")
        .unwrap()
        .bool()
        .unwrap()
        .iter()
        .collect();
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
        f64s(&sites, "scenario"),
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
    assert!(f64s(&regions, "scenario").iter().all(|x| *x == Some(0.0)));
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
    // … and a grid value outside a scenario key's range, found when the
    // scenario with it is drawn and checked.
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
