//! Issue 13: `solve --write-model` writes the full model with the plan's row
//! and column names; HiGHS reads it back (from the file, through its C API)
//! and reaches the same optimum as `dcsite solve`.

use crate::common;

use std::ffi::CString;
use std::process::Command;

use common::*;

/// Reads a model file with HiGHS and solves it; returns (status, objective).
fn highs_solve_file(path: &std::path::Path, gap: f64) -> (i32, f64) {
    let file = CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a fresh HiGHS instance, used and destroyed here.
    unsafe {
        let h = highs_sys::Highs_create();
        let c = |s: &str| CString::new(s).unwrap();
        highs_sys::Highs_setBoolOptionValue(h, c("output_flag").as_ptr(), 0);
        highs_sys::Highs_setDoubleOptionValue(h, c("mip_rel_gap").as_ptr(), gap);
        highs_sys::Highs_setDoubleOptionValue(h, c("time_limit").as_ptr(), 120.0);
        assert_ne!(
            highs_sys::Highs_readModel(h, file.as_ptr()),
            highs_sys::kHighsStatusError
        );
        highs_sys::Highs_run(h);
        let status = highs_sys::Highs_getModelStatus(h);
        let obj = highs_sys::Highs_getObjectiveValue(h);
        highs_sys::Highs_destroy(h);
        (status, obj)
    }
}

#[test]
fn the_written_model_has_the_plans_names_and_its_optimum() {
    let dir = tempfile::tempdir().unwrap();
    let mps = dir.path().join("baseline.mps");
    let out = dir.path().join("o");
    let o = Command::new(env!("CARGO_BIN_EXE_dcsite"))
        .args([
            "solve",
            "models/small/baseline.toml",
            "--quiet",
            "--mip-gap",
            "1e-6",
            "--out",
        ])
        .arg(&out)
        .arg("--write-model")
        .arg(&mps)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&mps).unwrap();
    for name in [
        "region-power-quota-jjj",
        "site-power-ulanqab-cold_plate",
        "dual-track-domestic-share",
        "servers-ulanqab-cold_plate-h200",
        "open-zhongwei-cold_plate",
    ] {
        assert!(text.contains(name), "{name} not in the MPS file");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let dcsite_cny = summary["objective_cny"].as_f64().unwrap();
    let (status, obj) = highs_solve_file(&mps, 1e-6);
    assert_eq!(
        status,
        highs_sys::kHighsModelStatusOptimal,
        "HiGHS status {status}"
    );
    // The file's objective is in millions of CNY.
    let highs_cny = obj * 1e6;
    assert!(
        (highs_cny - dcsite_cny).abs() <= 2e-6 * dcsite_cny,
        "HiGHS on the file: {highs_cny}, dcsite: {dcsite_cny}"
    );
}

#[test]
fn an_existing_model_file_needs_force_and_a_known_extension() {
    let dir = tempfile::tempdir().unwrap();
    let run = |file: &str| {
        Command::new(env!("CARGO_BIN_EXE_dcsite"))
            .args(["solve", "models/small/baseline.toml", "--quiet", "--out"])
            .arg(dir.path().join(format!("o-{file}")))
            .arg("--write-model")
            .arg(dir.path().join(file))
            .current_dir(root())
            .output()
            .unwrap()
    };
    let o = run("m.txt");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains(".mps or .lp"));
    std::fs::write(dir.path().join("m.lp"), "keep").unwrap();
    let o = run("m.lp");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("m.lp")).unwrap(),
        "keep"
    );
}

/// HiGHS reads a written model, solves it and writes its solution file
/// (`Highs_writeSolution`, the format of `highs --solution_file`); returns
/// the objective (millions of CNY).
fn highs_solution_file(model: &std::path::Path, sol: &std::path::Path, gap: f64) -> f64 {
    let file = CString::new(model.to_str().unwrap()).unwrap();
    let out = CString::new(sol.to_str().unwrap()).unwrap();
    // SAFETY: a fresh HiGHS instance, used and destroyed here.
    unsafe {
        let h = highs_sys::Highs_create();
        let c = |s: &str| CString::new(s).unwrap();
        highs_sys::Highs_setBoolOptionValue(h, c("output_flag").as_ptr(), 0);
        highs_sys::Highs_setDoubleOptionValue(h, c("mip_rel_gap").as_ptr(), gap);
        assert_ne!(
            highs_sys::Highs_readModel(h, file.as_ptr()),
            highs_sys::kHighsStatusError
        );
        highs_sys::Highs_run(h);
        assert_eq!(
            highs_sys::Highs_getModelStatus(h),
            highs_sys::kHighsModelStatusOptimal
        );
        assert_ne!(
            highs_sys::Highs_writeSolution(h, out.as_ptr()),
            highs_sys::kHighsStatusError
        );
        let obj = highs_sys::Highs_getObjectiveValue(h);
        highs_sys::Highs_destroy(h);
        obj
    }
}

/// The `name value` lines of a HiGHS solution file's primal columns.
fn column_values(highs_file: &str) -> Vec<(String, f64)> {
    let lines: Vec<&str> = highs_file.lines().collect();
    let primal = lines
        .iter()
        .position(|l| *l == "# Primal solution values")
        .unwrap();
    let at = primal
        + lines[primal..]
            .iter()
            .position(|l| l.starts_with("# Columns "))
            .unwrap();
    let n: usize = lines[at]["# Columns ".len()..].trim().parse().unwrap();
    lines[at + 1..at + 1 + n]
        .iter()
        .map(|l| {
            let (a, b) = l.split_once(' ').unwrap();
            (a.to_string(), b.trim().parse().unwrap())
        })
        .collect()
}

/// The same values as a Gurobi `.sol` file.
fn gurobi_sol(values: &[(String, f64)]) -> String {
    let mut s = String::from("# Solution for model baseline\n# Objective value = 0\n");
    for (n, v) in values {
        s.push_str(&format!("{n} {v}\n"));
    }
    s
}

fn solve_with(args: &[&str], extra: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dcsite"))
        .args(args)
        .args(extra)
        .current_dir(root())
        .output()
        .unwrap()
}

/// Cards per site id in a sites.geojson.
fn cards_by_site(dir: &std::path::Path) -> std::collections::BTreeMap<String, i64> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sites.geojson")).unwrap()).unwrap();
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            let cards = p["cards_total"].as_i64().unwrap();
            (p["site_id"].as_str().unwrap().to_string(), cards)
        })
        .filter(|x| x.1 > 0)
        .collect()
}

/// Issue 13: a solution found by another solver (here HiGHS on the written
/// MPS file) read back with `--read-solution`, in HiGHS's and Gurobi's
/// format: the plan has the solution's cards at each site (counted from the
/// file's server columns), its cost, and dcsite's optimum.
#[test]
fn a_solution_file_of_another_solver_becomes_the_same_plan() {
    let dir = tempfile::tempdir().unwrap();
    let (mps, sol, gsol) = (
        dir.path().join("m.mps"),
        dir.path().join("sol.txt"),
        dir.path().join("m.sol"),
    );
    let (o1, o2, o3) = (
        dir.path().join("o1"),
        dir.path().join("o2"),
        dir.path().join("o3"),
    );
    let base = [
        "solve",
        "models/small/baseline.toml",
        "--quiet",
        "--mip-gap",
        "1e-6",
    ];
    let o = solve_with(
        &base,
        &[
            "--out".as_ref(),
            o1.as_os_str(),
            "--write-model".as_ref(),
            mps.as_os_str(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let highs_obj = highs_solution_file(&mps, &sol, 1e-6);
    let text = std::fs::read_to_string(&sol).unwrap();
    let values = column_values(&text);
    std::fs::write(&gsol, gurobi_sol(&values)).unwrap();
    for (file, out) in [(&sol, &o2), (&gsol, &o3)] {
        let o = solve_with(
            &base,
            &[
                "--out".as_ref(),
                out.as_os_str(),
                "--read-solution".as_ref(),
                file.as_os_str(),
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    // The cards of the solution, from its server columns (8 cards a server).
    let mut expected = std::collections::BTreeMap::new();
    for (name, v) in &values {
        if let Some(rest) = name.strip_prefix("servers-") {
            let site = rest.split('-').next().unwrap().to_string();
            if v.round() > 0.0 {
                *expected.entry(site).or_insert(0) += 8 * v.round() as i64;
            }
        }
    }
    assert_eq!(cards_by_site(&o2), expected);
    // Both formats give the same folder (summary.json differs only in its times and file name).
    for f in ["sites.geojson", "flows.geojson", "regions.csv"] {
        assert_eq!(
            std::fs::read(o2.join(f)).unwrap(),
            std::fs::read(o3.join(f)).unwrap(),
            "{f}"
        );
    }
    let s1 = read_json(&o1.join("summary.json"));
    let s2 = read_json(&o2.join("summary.json"));
    let read_cny = s2["objective_cny"].as_f64().unwrap();
    assert!((read_cny - highs_obj * 1e6).abs() <= 1.0 + 1e-9 * read_cny);
    let own = s1["objective_cny"].as_f64().unwrap();
    assert!((read_cny - own).abs() <= 2e-6 * own, "{read_cny} vs {own}");
    // dcsite proves the read plan against its own LP bound only: "feasible"
    // with that gap unless the LP bound is within the tolerance.
    let gap = s2["mip_gap"].as_f64().unwrap();
    assert!((0.0..0.05).contains(&gap), "{gap}");
    assert_eq!(
        s2["status"],
        if gap <= 1e-6 { "optimal" } else { "feasible" }
    );
}

/// Issue 13: a solution that breaks a row is an input error naming the row
/// in the planner's words; an unknown column names its line; nothing is written.
#[test]
fn a_solution_file_that_violates_a_row_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (mps, sol) = (dir.path().join("m.mps"), dir.path().join("sol.txt"));
    let o = solve_with(
        &["solve", "models/small/baseline.toml", "--quiet"],
        &[
            "--out".as_ref(),
            dir.path().join("o").as_os_str(),
            "--write-model".as_ref(),
            mps.as_os_str(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    highs_solution_file(&mps, &sol, 1e-4);
    let mut values = column_values(&std::fs::read_to_string(&sol).unwrap());
    // The largest flow no longer served: that city's demand row breaks.
    let k = values
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| n.starts_with("serve-"))
        .max_by(|a, b| a.1 .1.total_cmp(&b.1 .1))
        .unwrap()
        .0;
    let city = values[k].0["serve-".len()..]
        .split('-')
        .next()
        .unwrap()
        .to_string();
    values[k].1 = 0.0;
    let bad = dir.path().join("bad.sol");
    std::fs::write(&bad, gurobi_sol(&values)).unwrap();
    let out = dir.path().join("refused");
    let refused = || {
        let o = solve_with(
            &["solve", "models/small/baseline.toml", "--quiet"],
            &[
                "--out".as_ref(),
                out.as_os_str(),
                "--read-solution".as_ref(),
                bad.as_os_str(),
            ],
        );
        assert_eq!(o.status.code(), Some(2));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let err = refused();
    assert!(
        err.contains(&format!(
            "violates row demand-{city} (the inference demand of"
        )),
        "{err}"
    );
    assert!(err.contains("H200-eq card"), "{err}");
    assert!(!out.join("summary.json").exists());
    // A column the model does not have, named by its line.
    std::fs::write(&bad, "# x\nopen-nowhere-air 1\n").unwrap();
    let err = refused();
    assert!(
        err.contains("line 2") && err.contains("open-nowhere-air"),
        "{err}"
    );
}
