//! Synthetic national instances: the generator is reproducible and valid, and
//! a time-limited solve of a large one reports `feasible` with an honest gap.

use crate::common;
use crate::support;

use common::root;
use dcsite::milp::Prepared;
use dcsite::solve::{solve, SolveOptions, Status};
use support::synth::{write_synth, SynthSpec};

fn generate(sites: usize, cities: usize, seed: u64) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let spec = SynthSpec {
        sites,
        cities,
        seed,
    };
    let sc = write_synth(&spec, &root().join("data/small"), dir.path()).unwrap();
    (dir, sc)
}

#[test]
fn the_generator_is_reproducible_and_writes_valid_data() {
    let (a, sa) = generate(120, 80, 7);
    let (b, _) = generate(120, 80, 7);
    for f in ["data/sites.csv", "data/demand.csv", "scenario.toml"] {
        assert_eq!(
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
            "{f} differs for the same seed"
        );
    }
    let (_, inst, summary) = dcsite::data::load(&sa).expect("synthetic data validates");
    assert_eq!(inst.sites.len(), 120);
    assert_eq!(inst.demand.len(), 80);
    assert_eq!(summary.regions_per_tier.len(), 3);
    // Every site lies in China's bounding box and every city has a site in reach.
    assert!(inst
        .sites
        .iter()
        .all(|s| (15.0..56.0).contains(&s.lat) && (70.0..140.0).contains(&s.lon)));
    let p = Prepared::new(inst);
    for d in 0..p.inst.demand.len() {
        assert!(
            p.pairs.iter().any(|x| x.demand == d),
            "city {d} out of reach"
        );
    }
}

#[test]
fn a_time_limited_large_solve_reports_feasible_and_its_gap() {
    let (_dir, sc) = generate(1000, 300, 1);
    let (_, inst, _) = dcsite::data::load(&sc).unwrap();
    let p = Prepared::new(inst);
    let opts = SolveOptions {
        time_limit_s: Some(5.0),
        ..SolveOptions::default()
    };
    let plan = solve(&p, &opts).expect("a plan within the limit");
    assert_eq!(plan.status, Status::Feasible, "gap {}", plan.mip_gap);
    assert!(
        plan.mip_gap > 1e-4 && plan.mip_gap < 0.05,
        "gap {}",
        plan.mip_gap
    );
    let target = p.inst.targets["h200"].min as u64;
    assert_eq!(
        plan.cards_of(0),
        target,
        "the plan still meets the H200 target exactly"
    );
}

/// Pair pricing stopped early gives a bound no higher than the LP of the
/// model with every pair (solved here with every pair in the model), and
/// priced out it gives that LP's value.
#[test]
fn the_pricing_bound_is_below_the_lp_with_every_pair() {
    use dcsite::milp::{self, Integrality};
    use dcsite::solve::{pairs, run_highs};
    let (_dir, sc) = generate(400, 40, 3);
    let text = std::fs::read_to_string(&sc).unwrap();
    std::fs::write(&sc, text.replace("max_sites_per_city = 25", "")).unwrap();
    let (_, inst, _) = dcsite::data::load(&sc).unwrap();
    let mut p = Prepared::new(inst);
    // Without the share link rows, which take pricing's place up to
    // 30,000 pairs: pricing is what this test is about.
    assert!(p.share_floor.is_some() && p.disaggregate_links);
    p.share_floor = None;
    p.disaggregate_links = false;
    let opts = SolveOptions::default();
    assert!(pairs::applies(&p, &opts), "{} pairs", p.pairs.len());
    let (full, _) = run_highs(milp::build(&p, Integrality::Lp), &opts, &[]).unwrap();
    let full = full.objective;
    let tol = 1e-7 * full.abs();
    // Stopped as soon as the RMP is within 5 % (from the first round) or
    // 0.2 % (from a later one) of the bound.
    for (stop, rounds) in [(0.05, 1), (0.002, 2)] {
        let early = pairs::price(&p, &opts, stop).unwrap();
        assert!(!early.priced_out, "{early:?}");
        assert!(early.rounds >= rounds, "{early:?}");
        assert!(
            early.lower_bound <= full + tol,
            "{} > {full}",
            early.lower_bound
        );
        assert!(
            early.rmp_value >= full - tol,
            "{} < {full}",
            early.rmp_value
        );
        assert!(early.gap() <= stop, "{}", early.gap());
    }
    // To the end: the bound is the full LP's value.
    let done = pairs::price(&p, &opts, 0.0).unwrap();
    assert!(done.priced_out, "{done:?}");
    assert!(
        (done.lower_bound - full).abs() <= 1e-6 * full.abs(),
        "{} vs {full}",
        done.lower_bound
    );
    assert!(done.active.iter().filter(|&&a| a).count() < p.pairs.len() / 2);
    // A priced plan's bound for callers (a two-stage plan's floors) is the
    // pricing bound, below the LP with every pair, never the restricted
    // model's own.
    let lean = SolveOptions {
        explain: dcsite::solve::Explain::PlanOnly,
        ..SolveOptions::default()
    };
    let plan = dcsite::solve::solve(&p, &lean).unwrap();
    let stats = plan.pairs.as_ref().expect("solved by pricing");
    assert_eq!(plan.sites_bound_cny, stats.lower_bound_cny);
    let bound = plan.sites_bound_cny.expect("a bound");
    assert!(bound <= full + tol, "{bound} > {full}");
}
