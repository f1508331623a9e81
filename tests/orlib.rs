//! Published optima of Beasley's OR-Library capacitated warehouse location
//! instances, reached through the same model builder and solver as `dcsite solve`.

mod common;
#[path = "../examples/support/mod.rs"]
mod support;

use dcsite::solve::{solve, SolveOptions, Status};
use support::{cap_to_prepared, parse_cap};

fn orlib_dir() -> std::path::PathBuf {
    common::root().join("../shared/bench/orlib")
}

fn published(name: &str) -> f64 {
    let text = std::fs::read_to_string(orlib_dir().join("optima.csv")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name},")))
        .unwrap()
        .parse()
        .unwrap()
}

fn check(name: &str) {
    let text = std::fs::read_to_string(orlib_dir().join(format!("{name}.txt"))).unwrap();
    let cap = parse_cap(&text).unwrap();
    let p = cap_to_prepared(name, &cap, None).unwrap();
    let opts = SolveOptions {
        mip_gap: Some(1e-9),
        ..SolveOptions::default()
    };
    let plan = solve(&p, &opts).unwrap();
    assert_eq!(plan.status, Status::Optimal);
    let opt = published(name);
    let rel = (plan.objective_cny - opt).abs() / opt;
    assert!(
        rel <= 1e-6,
        "{name}: {} vs published {opt} (rel. error {rel:e})",
        plan.objective_cny
    );
}

#[test]
fn cap41_reaches_the_published_optimum() {
    check("cap41");
}

#[test]
fn cap71_reaches_the_published_optimum() {
    check("cap71");
}

#[test]
fn cap101_reaches_the_published_optimum() {
    check("cap101");
}

#[test]
fn cap131_reaches_the_published_optimum() {
    check("cap131");
}
