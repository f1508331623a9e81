//! `dcsite hedge` against an independent extensive form (issue 28, "An
//! independent extensive form written in PuLP, in the test venv, on a small
//! tree: the same optimum"). tests/system/hedge_pulp.py reads the scenario
//! of tests/fixtures/hedge_pulp and its tables itself, builds the two-stage
//! model from docs/MODELLING.md in PuLP (site decisions shared by every
//! outcome, whole servers, the CVaR in Rockafellar and Uryasev's linear
//! form) and solves it with PuLP's bundled CBC to a relative gap of 1e-7;
//! it reads nothing dcsite writes. Both must find the same optimum, the same
//! cost in every outcome and the same sites, cooling and training-cluster
//! site, risk-neutral (tree.toml) and with λ = 0.5 (tree_averse.toml, where
//! the CVaR moves the training cluster).
//!
//! dcsite's own status at this gap is `feasible` (gap 1.9e-4 and 1.4e-4):
//! its bound is the optimum with continuous server counts, and whole
//! servers cost more than that; CBC proves its plan optimal all the same.
//!
//! PuLP comes from the test venv that scripts/setup.sh makes in
//! target/test-venv; without it the test fails naming it.

use crate::common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::{dcsite, ok, read_json, root};
use serde_json::Value;

/// dcsite's gap for the plans compared here: tight, so that its plan is the
/// optimum to well within the tolerance below.
const GAP: &str = "1e-6";
/// Relative tolerance of every comparison (objective, per-outcome costs).
const REL: f64 = 1e-6;

/// Runs tests/system/hedge_pulp.py on `scenario` in the test venv.
fn pulp(scenario: &Path) -> Value {
    let python = root().join("target/test-venv/bin/python");
    assert!(
        python.exists(),
        "run scripts/setup.sh (PuLP in target/test-venv)"
    );
    let check = Command::new(&python)
        .args(["-c", "import pulp"])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "run scripts/setup.sh (PuLP in target/test-venv): {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let o = Command::new(python)
        .arg(root().join("tests/system/hedge_pulp.py"))
        .arg(scenario)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "hedge_pulp.py failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Runs `dcsite hedge` on `scenario` at [`GAP`] with `--method method`;
/// its hedge.json.
fn hedge(scenario: &Path, method: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = dcsite(&[
        "hedge",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--mip-gap",
        GAP,
        "--method",
        method,
        "--no-report",
        "--no-gpkg",
        "--quiet",
    ]);
    ok(&o, "dcsite hedge");
    read_json(&out.join("hedge.json"))
}

fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what}: a number, found {v}"))
}

fn close(a: f64, b: f64, what: &str) {
    assert!(
        (a - b).abs() <= REL * a.abs().max(b.abs()).max(1.0),
        "{what}: dcsite {a} against PuLP {b} (difference {}, relative {:e})",
        a - b,
        (a - b).abs() / b.abs().max(1.0)
    );
}

/// (site, cooling) built now, and the training cluster's sites, of hedge.json.
fn dcsite_first_stage(h: &Value) -> (BTreeSet<(String, String)>, BTreeSet<String>) {
    let sites = h["first_stage"].as_array().unwrap();
    let built = sites
        .iter()
        .map(|s| {
            (
                s["site_id"].as_str().unwrap().to_string(),
                s["cooling"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mega = sites
        .iter()
        .filter(|s| s["mega_cluster"].as_bool() == Some(true))
        .map(|s| s["site_id"].as_str().unwrap().to_string())
        .collect();
    (built, mega)
}

fn pulp_first_stage(p: &Value) -> (BTreeSet<(String, String)>, BTreeSet<String>) {
    let built = p["first_stage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x[0].as_str().unwrap().to_string(),
                x[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mega = p["mega_sites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    (built, mega)
}

/// The same optimum, costs and first stage; returns PuLP's answer.
fn same_optimum(file: &str, lambda: f64) -> Value {
    let scenario = root().join("tests/fixtures/hedge_pulp").join(file);
    let p = pulp(&scenario);
    assert_eq!(num(&p["lambda"], "lambda"), lambda);
    // Both ways dcsite solves a two-stage plan against the one PuLP model.
    for method in ["extensive", "l-shaped"] {
        let h = hedge(&scenario, method);
        assert_eq!(h["method"], method);
        agrees(&h, &p);
    }
    p
}

/// dcsite's hedge.json `h` against PuLP's answer `p`.
fn agrees(h: &Value, p: &Value) {
    let lambda = num(&p["lambda"], "lambda");
    assert_eq!(p["status"], "Optimal", "{p}");
    assert_eq!(num(&h["risk"]["lambda"], "risk.lambda"), lambda);
    assert_eq!(h["risk"]["alpha"], p["alpha"]);

    // The objective: dcsite's against CBC's optimum and against the same
    // objective recomputed from PuLP's per-outcome costs (the CVaR by its
    // definition, not by the linear form).
    let obj = num(&h["objective_cny"], "objective_cny");
    close(obj, num(&p["objective_cny"], "PuLP objective"), "objective");
    close(
        obj,
        num(&p["objective_from_costs_cny"], "PuLP objective from costs"),
        "objective from the costs",
    );
    // dcsite's proven bound is a bound of the true optimum.
    let bound = num(&h["bound_cny"], "bound_cny");
    assert!(
        bound <= num(&p["objective_cny"], "PuLP objective") * (1.0 + 1e-7) + 1.0,
        "dcsite's bound {bound} above the optimum PuLP proves, {}",
        p["objective_cny"]
    );
    close(
        num(&h["expected_cost_cny"], "expected_cost_cny"),
        num(&p["expected_cost_cny"], "PuLP expected cost"),
        "expected cost",
    );
    close(
        num(&h["cvar_cny"], "cvar_cny"),
        num(&p["cvar_cny"], "PuLP CVaR"),
        "CVaR",
    );

    // Every outcome, in order: its name, probability and cost.
    let outcomes = h["outcomes"].as_array().unwrap();
    let costs = p["costs_cny"].as_array().unwrap();
    assert_eq!(outcomes.len(), costs.len());
    for (k, (o, c)) in outcomes.iter().zip(costs).enumerate() {
        assert_eq!(o["name"], p["names"][k]);
        assert_eq!(o["probability"], p["probabilities"][k]);
        close(
            num(&o["cost_cny"], "cost_cny"),
            num(c, "PuLP cost"),
            &format!("cost of outcome {}", o["name"]),
        );
    }

    // The first stage: the same (site, cooling) built and the same
    // training-cluster site.
    assert_eq!(
        dcsite_first_stage(h),
        pulp_first_stage(p),
        "first stage (built, mega): dcsite against PuLP"
    );
}

#[test]
fn hedge_matches_an_independent_pulp_extensive_form() {
    let neutral = same_optimum("tree.toml", 0.0);
    let averse = same_optimum("tree_averse.toml", 0.5);
    // The CVaR weight moves a first-stage decision on this tree (the
    // training cluster's site), so the λ > 0 comparison checks the CVaR
    // rows, not only a plan both variants share.
    assert_ne!(
        pulp_first_stage(&neutral).1,
        pulp_first_stage(&averse).1,
        "the fixture no longer moves the training cluster under λ = 0.5"
    );
}
