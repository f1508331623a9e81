//! The result figures that README.md and models/README.md quote, recomputed
//! from the shipped scenarios with the binary (issue 25, "docs true"): each
//! claim is a sentence of a document with its figures filled in from the
//! output files; a document that no longer says it fails the test with the
//! sentence it should say, so an update is a copy and paste. Timings are not
//! here: they are measurements and live in BENCHMARKS.md with their commands.

use crate::common;

use std::collections::HashMap;
use std::path::Path;

use common::*;
use dcsite::report::html::fmt_int;

/// A document with its whitespace folded (line breaks in Markdown are spaces).
fn doc(name: &str) -> String {
    let text = std::fs::read_to_string(root().join(name)).expect("the document exists");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks that `text` (whitespace folded) appears in `doc`; returns what
/// to write otherwise.
fn claim(doc: &str, file: &str, text: String, missing: &mut Vec<String>) {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if !doc.contains(&folded) {
        missing.push(format!("{file} should say: {folded}"));
    }
}

fn finish(missing: Vec<String>) {
    assert!(
        missing.is_empty(),
        "documents out of date with the code:\n  {}",
        missing.join("\n  ")
    );
}

/// CNY as billions with two decimals ("8.47").
fn bn(cny: f64) -> String {
    format!("{:.2}", cny / 1e9)
}

fn num(row: &HashMap<String, String>, col: &str) -> f64 {
    row.get(col)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("column {col} is a number in {row:?}"))
}

fn solve_into(scenario: &str, dir: &Path) -> serde_json::Value {
    let out = dir.to_str().expect("UTF-8 path");
    ok(
        &dcsite(&["solve", scenario, "--out", out, "--quiet", "--no-report"]),
        scenario,
    );
    read_json(&dir.join("summary.json"))
}

/// The shadow price of a row in summary.json, CNY per unit.
fn shadow(summary: &serde_json::Value, row: &str) -> f64 {
    summary["shadow_prices"]
        .as_array()
        .expect("shadow_prices")
        .iter()
        .find(|s| s["constraint"] == row)
        .and_then(|s| s["cny_per_unit"].as_f64())
        .unwrap_or_else(|| panic!("no shadow price of {row}"))
}

#[test]
fn readme_compare_costs_of_central_push_are_the_measured_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    ok(
        &dcsite(&[
            "compare",
            "models/small/baseline.toml",
            "models/small/central_push.toml",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--no-report",
        ]),
        "compare",
    );
    let rows = csv_rows(&out.join("comparison.csv"));
    let total = rows
        .iter()
        .find(|r| r["level"] == "total" && r["scenario"] == "central_push")
        .expect("central_push's total row");
    let mut missing = vec![];
    claim(
        &doc("README.md"),
        "README.md",
        format!(
            "central_push lowers the provider's cost by {} bn but pays {} bn of subsidy, so the country pays {} bn more",
            bn(-num(total, "delta_objective_cny")),
            bn(num(total, "delta_subsidy_paid_cny")),
            bn(num(total, "delta_resource_cost_cny")),
        ),
        &mut missing,
    );
    finish(missing);
}

#[test]
fn models_readme_rollout_2026_figures_are_the_measured_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let s = solve_into("models/small/rollout_2026.toml", &tmp.path().join("ro"));
    let no_deliveries = tmp.path().join("nodel.toml");
    std::fs::write(
        &no_deliveries,
        format!(
            "extends = \"{}\"\ndeliveries = []\n",
            root().join("models/small/rollout_2026.toml").display()
        ),
    )
    .unwrap();
    let n = solve_into(no_deliveries.to_str().unwrap(), &tmp.path().join("nodel"));
    let d = doc("models/small/README.md");
    let mut missing = vec![];
    let f = "models/small/README.md";
    let obj = |v: &serde_json::Value| v["objective_cny"].as_f64().unwrap();
    let model = |v: &serde_json::Value, k: &str| v["model"][k].as_u64().unwrap();
    claim(
        &d,
        f,
        format!(
            "Optimal, {} bn CNY (net present cost at month 0, later cards discounted; the same scenario without its deliveries, `deliveries = []`, costs {} bn undiscounted), {} columns ({} integer) and {} rows (without deliveries {} columns, {} integer, {} rows)",
            bn(obj(&s)),
            bn(obj(&n)),
            model(&s, "columns"),
            model(&s, "integer_columns"),
            model(&s, "rows"),
            model(&n, "columns"),
            model(&n, "integer_columns"),
            model(&n, "rows"),
        ),
        &mut missing,
    );
    claim(
        &d,
        f,
        format!(
            "each February card costs {} CNY more than a December one",
            fmt_int(shadow(&s, "delivery-min-h200-m1"))
        ),
        &mut missing,
    );
    claim(
        &d,
        f,
        format!(
            "March's 100,000 cost {} CNY each (`delivery-h200-m2`)",
            fmt_int(shadow(&s, "delivery-h200-m2"))
        ),
        &mut missing,
    );
    claim(
        &d,
        f,
        format!(
            "both periods: {} (February) and {} (March) CNY per domestic card",
            fmt_int(shadow(&s, "period-dual-track-m1")),
            fmt_int(shadow(&s, "period-dual-track-m2"))
        ),
        &mut missing,
    );
    claim(
        &d,
        f,
        format!(
            "(shadow price {} CNY per MW;",
            fmt_int(shadow(&s, "period-ready-ulanqab-air-m2").abs())
        ),
        &mut missing,
    );
    claim(
        &d,
        f,
        format!(
            "one more MW there is worth {} CNY",
            fmt_int(shadow(&s, "site-power-ulanqab-air").abs())
        ),
        &mut missing,
    );
    finish(missing);
}

#[test]
fn models_readme_forecast_2028_figures_are_the_measured_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let s = solve_into("models/small/forecast_2028.toml", &tmp.path().join("free"));
    let by_cluster = &s["cards_by_cluster"];
    let by_region = &s["cards_by_region"];
    let cards = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap_or(0.0);
    let d = doc("models/small/README.md");
    let f = "models/small/README.md";
    let mut missing = vec![];
    claim(
        &d,
        f,
        format!(
            "Free, the model puts {} of {} cards in 京津冀蒙",
            fmt_int(cards(by_cluster, "jingjinjimeng")),
            fmt_int(s["cards_total"].as_f64().unwrap())
        ),
        &mut missing,
    );
    claim(
        &d,
        f,
        format!(
            "{} in the Greater Bay Area",
            fmt_int(cards(by_region, "gba"))
        ),
        &mut missing,
    );
    claim(
        &d,
        f,
        format!(
            "the rest in Guizhou ({}) and Qinghai ({}); net present cost {} bn CNY",
            fmt_int(cards(by_region, "guizhou")),
            fmt_int(cards(by_region, "qinghai")),
            fmt_thousands_2(s["objective_cny"].as_f64().unwrap() / 1e9)
        ),
        &mut missing,
    );
    let out = tmp.path().join("implied");
    ok(
        &dcsite(&[
            "implied",
            "models/small/forecast_2028_gba_energy.toml",
            "--ranges",
            "models/small/forecast_ranges.csv",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--no-report",
        ]),
        "implied",
    );
    let rows = csv_rows(&out.join("implied.csv"));
    let total = rows
        .iter()
        .find(|r| r["level"] == "total")
        .expect("implied.csv's total row");
    let extra = num(total, "extra_cost_cny");
    let cheapest = s["objective_cny"].as_f64().unwrap();
    claim(
        &d,
        f,
        format!(
            "{} bn CNY ({:.1} %) dearer than the free optimum",
            bn(extra),
            100.0 * extra / cheapest
        ),
        &mut missing,
    );
    claim(
        &d,
        f,
        format!(
            "{} cards move, {} CNY per card moved",
            fmt_int(num(total, "cards_moved")),
            fmt_int(num(total, "cny_per_card_moved"))
        ),
        &mut missing,
    );
    for r in rows.iter().filter(|r| r["level"] == "cluster") {
        claim(
            &d,
            f,
            format!(
                "| {} | {} | {} | {}",
                fmt_int(num(r, "free_cards")),
                fmt_int(num(r, "plan_cards")),
                r["binding"],
                fmt_int(num(r, "premium_cny_per_card"))
            ),
            &mut missing,
        );
    }
    finish(missing);
}

/// 1042.14 as "1,042.14".
fn fmt_thousands_2(x: f64) -> String {
    let whole = x.trunc();
    format!("{}{}", fmt_int(whole), &format!("{:.2}", x - whole)[1..])
}

/// No shipped file points at the planning folder beside the project (notes
/// that a clone does not have): sources are carried into
/// data/SOURCES.md instead.
#[test]
fn no_shipped_file_cites_the_planning_folder() {
    let needle = ["..", "/shared"].concat();
    let mut found = vec![];
    let mut stack = vec![root()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" && name != "out" {
                    stack.push(path);
                }
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                if text.contains(&needle) {
                    found.push(path.strip_prefix(root()).unwrap().display().to_string());
                }
            }
        }
    }
    found.sort();
    assert!(found.is_empty(), "files citing {needle}: {found:?}");
}
