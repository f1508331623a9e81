//! The L-shaped decomposition of a two-stage plan (issue 28) against the
//! extensive form: the same optimum within the gap on 20 outcomes of the
//! 2026 rollout (four supply outcomes of models/supply_risk_2026.toml, each
//! at five electricity price levels), risk-neutral and with a CVaR
//! weight; its bound below the extensive form's optimum; a given first
//! stage valued the same both ways.

use crate::common::*;
use dcsite::data::outcomes::outcomes_of;
use dcsite::milp::Prepared;
use dcsite::solve::stochastic::{
    solve_two_stage, solve_two_stage_from, FirstStage, Known, Outcome, Risk, TwoStage,
};
use dcsite::solve::{SolveOptions, Status};

/// The 20 outcomes: each of the first four supply outcomes of
/// supply_risk_2026 (their probabilities scaled to sum to 1) with every
/// electricity price scaled by 0.8, 0.9, 1, 1.1 or 1.25, at a fifth of its
/// probability.
fn twenty() -> Vec<(f64, Prepared)> {
    let sc = dcsite::data::scenario::load_scenario(&root().join("models/supply_risk_2026.toml"))
        .expect("the scenario loads");
    let supply: Vec<_> = outcomes_of(&sc)
        .expect("its outcomes")
        .into_iter()
        .take(4)
        .collect();
    let mass: f64 = supply.iter().map(|o| o.probability).sum();
    let mut out = Vec::new();
    for o in supply {
        let (inst, _) = dcsite::data::load::load_tables(&o.scenario).expect("tables");
        for scale in [0.8, 0.9, 1.0, 1.1, 1.25] {
            let mut inst = inst.clone();
            for z in &mut inst.prices {
                z.price_cny_per_kwh *= scale;
            }
            out.push((o.probability / mass / 5.0, Prepared::new(inst)));
        }
    }
    out
}

fn opts(l_shaped: bool, gap: f64) -> SolveOptions {
    let mut o = SolveOptions {
        mip_gap: Some(gap),
        ..SolveOptions::default()
    };
    o.strategy.l_shaped = Some(l_shaped);
    o
}

/// The outcomes of `tree`, each with its probability.
fn views(tree: &[(f64, Prepared)]) -> Vec<Outcome<'_>> {
    tree.iter()
        .map(|(q, p)| Outcome { p, probability: *q })
        .collect()
}

fn both(tree: &[(f64, Prepared)], risk: Risk, gap: f64) -> (TwoStage, TwoStage) {
    let views = views(tree);
    let ext = solve_two_stage(&views, risk, &opts(false, gap), None).expect("extensive form");
    let dec = solve_two_stage(&views, risk, &opts(true, gap), None).expect("L-shaped");
    (ext, dec)
}

/// Each answer within the gap of the other's, and each bound below both.
fn agree(ext: &TwoStage, dec: &TwoStage, gap: f64) {
    let (a, b) = (ext.objective_cny, dec.objective_cny);
    assert!(
        (a - b).abs() <= 2.0 * gap * a.abs(),
        "extensive {a} against L-shaped {b}"
    );
    assert!(
        dec.bound_cny <= a * (1.0 + 1e-9),
        "the L-shaped bound {} is above the extensive optimum {a}",
        dec.bound_cny
    );
    assert!(
        ext.bound_cny <= b * (1.0 + 1e-9),
        "the extensive bound {} is above the L-shaped plan {b}",
        ext.bound_cny
    );
    assert_eq!(dec.status, Status::Optimal, "gap {}", dec.mip_gap);
    assert!(dec.mip_gap <= gap + 1e-12);
    let stats = dec.decomposition.as_ref().expect("the loop's figures");
    assert!(stats.cuts > 0 && stats.mip_rounds > 0);
    assert!(ext.decomposition.is_none());
}

#[test]
fn l_shaped_matches_the_extensive_form_on_20_outcomes() {
    let tree = twenty();
    assert_eq!(tree.len(), 20);
    let neutral = Risk {
        alpha: 0.9,
        lambda: 0.0,
    };
    let (ext, dec) = both(&tree, neutral, 1e-3);
    agree(&ext, &dec, 1e-3);
    // Every outcome's plan builds the sites built now (checked against its
    // own rows inside), and the costs add up to the objective.
    let probs: Vec<f64> = tree.iter().map(|t| t.0).collect();
    let e: f64 = dec.costs_cny.iter().zip(&probs).map(|(c, p)| c * p).sum();
    assert!((e - dec.objective_cny).abs() <= 1e-9 * e.abs());
    for plan in &dec.plans {
        for &(s, k) in &dec.first_stage.built {
            assert!(plan.sites[s].built && plan.sites[s].cooling == Some(k));
        }
    }
}

#[test]
fn l_shaped_matches_the_extensive_form_with_a_cvar_weight() {
    let tree = twenty();
    let averse = Risk {
        alpha: 0.75,
        lambda: 0.5,
    };
    let (ext, dec) = both(&tree, averse, 1e-3);
    agree(&ext, &dec, 1e-3);
}

#[test]
fn seeds_change_where_the_loop_starts_not_its_optimum() {
    // Seeds that serve every outcome (the extensive form's own sites, the
    // first outcome's deterministic plan) and one that serves none (nothing
    // built): the same optimum within the gap each time.
    let tree = twenty();
    let views = views(&tree);
    let neutral = Risk {
        alpha: 0.9,
        lambda: 0.0,
    };
    let ext = solve_two_stage(&views, neutral, &opts(false, 1e-3), None).expect("extensive");
    let own = dcsite::solve::solve(&tree[0].1, &SolveOptions::default()).expect("outcome 0");
    for seeds in [
        vec![ext.first_stage.clone()],
        vec![FirstStage::of(&own)],
        vec![FirstStage::default(), FirstStage::of(&own)],
    ] {
        let known = Known {
            seeds,
            floors_cny: Vec::new(),
        };
        let dec = solve_two_stage_from(&views, neutral, &opts(true, 1e-3), &known)
            .expect("L-shaped from the seeds");
        agree(&ext, &dec, 1e-3);
    }
}

#[test]
fn a_given_first_stage_is_valued_the_same_both_ways() {
    let tree = twenty();
    let views = views(&tree);
    let risk = Risk {
        alpha: 0.75,
        lambda: 0.25,
    };
    let plan = solve_two_stage(&views, risk, &opts(false, 1e-3), None).expect("a plan");
    let fs = plan.first_stage.clone();
    let a = solve_two_stage(&views, risk, &opts(false, 1e-4), Some(&fs)).expect("extensive");
    let b = solve_two_stage(&views, risk, &opts(true, 1e-4), Some(&fs)).expect("by outcome");
    assert_eq!(a.first_stage, b.first_stage);
    assert!(
        (a.objective_cny - b.objective_cny).abs() <= 2e-4 * a.objective_cny.abs(),
        "{} against {}",
        a.objective_cny,
        b.objective_cny
    );
}

#[test]
fn l_shaped_finds_sites_that_serve_every_outcome() {
    // hedge.rs's three-site tree: small sites, demand up to 250 cards, so
    // that most site sets cannot serve the larger outcomes; the master
    // learns that from the elastic pins. Same optimum as the extensive form
    // (itself checked there against every site set enumerated).
    let tree: Vec<(f64, Prepared)> = crate::hedge::tree()
        .into_iter()
        .map(|(q, i)| (q, Prepared::new(i)))
        .collect();
    for lambda in [0.0, 1.0] {
        let risk = Risk { alpha: 0.5, lambda };
        let (ext, dec) = both(&tree, risk, 1e-6);
        assert!(
            (ext.objective_cny - dec.objective_cny).abs() <= 1e-6 * ext.objective_cny,
            "lambda {lambda}: extensive {} against L-shaped {}",
            ext.objective_cny,
            dec.objective_cny
        );
        assert_eq!(ext.first_stage, dec.first_stage);
        assert_eq!(dec.status, Status::Optimal);
        // The floors hedge gives the loop: each outcome's own optimum's
        // bound with continuous servers, below its own optimum, and so
        // below its cost under any shared sites; with them, and a seed
        // that serves no outcome (nothing built), the same optimum.
        let floors: Vec<f64> = tree
            .iter()
            .map(|(_, p)| {
                let own = dcsite::solve::solve(p, &opts(false, 1e-6)).expect("own optimum");
                let floor = own.sites_bound_cny.expect("a phases bound");
                assert!(floor <= own.objective_cny * (1.0 + 1e-9));
                floor
            })
            .collect();
        let known = Known {
            seeds: vec![FirstStage::default()],
            floors_cny: floors,
        };
        let views = views(&tree);
        let from = solve_two_stage_from(&views, risk, &opts(true, 1e-6), &known)
            .expect("L-shaped from floors");
        assert!(
            (ext.objective_cny - from.objective_cny).abs() <= 1e-6 * ext.objective_cny,
            "lambda {lambda}: extensive {} against L-shaped from floors {}",
            ext.objective_cny,
            from.objective_cny
        );
        assert!(from.bound_cny <= ext.objective_cny * (1.0 + 1e-9));
        assert_eq!(ext.first_stage, from.first_stage);
    }
}

#[test]
fn an_unknown_method_exits_2_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("h");
    let o = dcsite(&[
        "hedge",
        "models/supply_risk_2026.toml",
        "--out",
        out.to_str().unwrap(),
        "--method",
        "benders",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--method") && err.contains("benders"), "{err}");
    assert!(err.contains("l-shaped"), "the choices are named: {err}");
    assert!(!err.contains("panicked"));
    assert!(!out.exists(), "nothing written");
}
