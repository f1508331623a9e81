//! The link rows of share demands (`serve[d,s] ≤ x_d × (T − T_min ×
//! (1 − open[s]))`): the floor `T_min` recomputed by hand from the tables,
//! and the optimum with the rows equal to the optimum without them (a
//! re-solve of the same scenario with the rows switched off).

use crate::common::*;
use dcsite::milp::{DemandSize, Prepared};
use dcsite::solve::{solve, SolveOptions};

/// The small set's scenarios with share demands that the solve tests compare.
const SMALL_SCENARIOS: [&str; 2] = [
    "models/small/baseline.toml",
    "models/small/rollout_2026.toml",
];

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
    for scenario in SMALL_SCENARIOS {
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

/// A solve seeded with the link rows another solve found (`link_seed`, as
/// `dcsite offer` passes them between levels) is a solve of the same model:
/// the same optimum within the gap, every row checked;
/// a seed of another length is ignored.
#[test]
fn a_seeded_solve_has_the_optimum_of_a_fresh_one() {
    for scenario in SMALL_SCENARIOS {
        let p = prepared(scenario);
        let opts = SolveOptions::default();
        let fresh = solve(&p, &opts).unwrap();
        let seed = fresh.link_active.clone().expect("the cut loop ran");
        assert_eq!(seed.len(), p.pairs.len());
        let seeded = solve(
            &p,
            &SolveOptions {
                link_seed: Some(seed.clone()),
                ..opts.clone()
            },
        )
        .unwrap();
        assert_eq!(seeded.status.as_str(), "optimal", "{scenario}");
        let gap = dcsite::solve::DEFAULT_MIP_GAP * fresh.objective_cny;
        assert!(
            (seeded.objective_cny - fresh.objective_cny).abs() <= gap,
            "{scenario}: {} against {}",
            seeded.objective_cny,
            fresh.objective_cny
        );
        let (a, b) = (fresh.link_rows.unwrap(), seeded.link_rows.unwrap());
        assert!(b.rows_in_model >= a.rows_in_model, "{b:?} against {a:?}");
        // Every row the seed held is still in the seeded model.
        let held = seeded.link_active.unwrap();
        assert!(seed.iter().zip(held.iter()).all(|(s, h)| !s || *h));
        // A seed of another length changes nothing.
        let other = solve(
            &p,
            &SolveOptions {
                link_seed: Some(vec![true; 3].into()),
                ..opts.clone()
            },
        )
        .unwrap();
        assert_eq!(other.objective_cny, fresh.objective_cny, "{scenario}");
        assert_eq!(other.link_rows, fresh.link_rows, "{scenario}");
    }
}
