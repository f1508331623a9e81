//! The link rows of share demands (`serve[d,s] ≤ x_d × (T − T_min ×
//! (1 − open[s]))`): the floor `T_min` recomputed by hand from the tables,
//! and the optimum with the rows equal to the optimum without them (a
//! re-solve of the same scenario with the rows switched off).

use crate::common::*;
use dcsite::milp::{DemandSize, Prepared};
use dcsite::solve::{solve, SolveOptions};

fn prepared(scenario: &str) -> Prepared {
    let (_, inst, _) = dcsite::data::load(&root().join(scenario)).unwrap();
    Prepared::new(inst)
}

/// The floor of the shipped baselines: the H200 minimum at its performance,
/// plus the Ascend cards the dual-track share (counted in cards) asks for
/// beside it, at theirs; read from the scenario and accelerators.csv.
#[test]
fn the_floor_is_the_least_h200_eq_the_targets_and_the_share_allow() {
    for (scenario, accelerators) in [
        ("models/baseline.toml", "data/accelerators.csv"),
        ("models/small/baseline.toml", "data/small/accelerators.csv"),
    ] {
        let p = prepared(scenario);
        let perf = |id: &str| {
            let text = std::fs::read_to_string(root().join(accelerators)).unwrap();
            let mut lines = text.lines();
            let head: Vec<&str> = lines.next().unwrap().split(',').collect();
            let col = head.iter().position(|h| *h == "perf_h200_eq").unwrap();
            let row = lines.find(|l| l.starts_with(&format!("{id},"))).unwrap();
            row.split(',').nth(col).unwrap().parse::<f64>().unwrap()
        };
        let h200 = p.inst.targets["h200"].min;
        let share = p.inst.params.domestic_share;
        let ascend = h200 * share / (1.0 - share);
        let want = h200 * perf("h200") + ascend * perf("ascend_910c");
        let got = p.share_floor.expect("share demands with a floor");
        assert!(
            (got - want).abs() <= 1e-9 * want,
            "{scenario}: {got} against {want}"
        );
        assert!(p.disaggregate_links);
        assert!(p
            .demand
            .iter()
            .all(|d| matches!(d, DemandSize::ShareOfTotal(_))));
    }
}

/// The rows only cut off plans that serve a city more than its demand from
/// one site: the optimum with them is the optimum without them, each
/// proven within the default gap (small baseline and its rollout).
#[test]
fn the_optimum_with_the_share_links_is_the_optimum_without_them() {
    for scenario in [
        "models/small/baseline.toml",
        "models/small/rollout_2026.toml",
    ] {
        let with = prepared(scenario);
        let mut without = with.clone();
        without.share_floor = None;
        without.disaggregate_links = false;
        let opts = SolveOptions::default();
        let a = solve(&with, &opts).unwrap();
        let b = solve(&without, &opts).unwrap();
        assert!(a.link_rows.is_some() && b.link_rows.is_none());
        let gap = a.mip_gap.max(b.mip_gap).max(1e-4);
        let diff = (a.objective_cny - b.objective_cny).abs();
        assert!(
            diff <= gap * a.objective_cny.abs(),
            "{scenario}: {} with the rows, {} without",
            a.objective_cny,
            b.objective_cny
        );
    }
}
