//! Issue 13: `solve --write-model` writes the full model with the plan's row
//! and column names; HiGHS reads it back (from the file, through its C API)
//! and reaches the same optimum as `dcsite solve`.

mod common;

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
            "models/baseline.toml",
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
            .args(["solve", "models/baseline.toml", "--quiet", "--out"])
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
