//! What to do now at each site a two-stage plan builds (`study::build_now`):
//! each candidate's worth against hand computations and against re-solves,
//! the power to contract and the hall start recounted from the outcomes'
//! plans.

use crate::common::*;
use dcsite::solve::stochastic::{solve_two_stage, Known, Outcome, Risk};
use dcsite::solve::SolveOptions;
use dcsite::study::build_now::{build_now, Worth};

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "{a} != {b}");
}

#[test]
fn worth_of_each_site_by_hand() {
    // hedge.rs's two-outcome model: both sites built now, 432,880 CNY
    // expected. Without a: {b} alone, 488,000 (a is worth 55,120); without
    // b: {a} alone, 452,960 (b is worth 20,080, the VSS of that model).
    let outcomes = crate::hedge::two_outcomes();
    let views: Vec<Outcome> = outcomes
        .iter()
        .map(|o| Outcome {
            p: &o.p,
            probability: o.probability,
        })
        .collect();
    let risk = Risk {
        alpha: 0.5,
        lambda: 0.0,
    };
    let opts = SolveOptions::default();
    let two = solve_two_stage(&views, risk, &opts, None).expect("a plan");
    let now = build_now(&views, &two, risk, &opts, true, &Known::default());
    assert_eq!(now.len(), 2);
    let worth = |i: usize| match &now[i].worth {
        Worth::Cny(x) => *x,
        other => panic!("{other:?}"),
    };
    close(worth(0), 55_120.0);
    close(worth(1), 20_080.0);
    // a serves the cheap outcome (0.6), b the shock (0.4): 100 one-kW
    // cards at PUE 1 each, 0.1 MW.
    assert_eq!((now[0].outcomes_using, now[1].outcomes_using), (1, 1));
    close(now[0].probability_used, 0.6);
    close(now[1].probability_used, 0.4);
    for s in &now {
        assert!(s.start_by_month.is_none(), "no phases, no hall to start");
    }
}

#[test]
fn supply_risk_sites_power_and_starts_recounted() {
    let prepared = outcome_instances("models/supply_risk_2026.toml");
    let views: Vec<Outcome> = prepared
        .iter()
        .map(|(q, p)| Outcome { p, probability: *q })
        .collect();
    let risk = Risk {
        alpha: 0.75,
        lambda: 0.0,
    };
    let opts = SolveOptions::default();
    let two = solve_two_stage(&views, risk, &opts, None).expect("a plan");
    let now = build_now(&views, &two, risk, &opts, true, &Known::default());
    assert_eq!(now.len(), two.first_stage.built.len());
    for s in &now {
        // Recounted from the outcomes' own site rows.
        let rows: Vec<_> = two.plans.iter().map(|p| &p.sites[s.site]).collect();
        let used: Vec<_> = rows
            .iter()
            .filter(|r| r.cards.iter().sum::<u64>() > 0)
            .collect();
        assert_eq!(s.outcomes_using, used.len());
        let mw = used.iter().map(|r| r.facility_mw).fold(0.0, f64::max);
        close(s.contract_mw, mw);
        let start = used
            .iter()
            .filter_map(|r| r.hall_start_month)
            .min_by(f64::total_cmp);
        assert_eq!(s.start_by_month, start);
        // Never negative beyond the two solves' gaps: the plan without the
        // site was open to the plan's optimiser too.
        match &s.worth {
            Worth::Cny(x) => assert!(*x >= -2e-4 * two.objective_cny, "{x}"),
            Worth::Committed => assert_ne!(
                views[0].p.inst.sites[s.site].status,
                dcsite::domain::SiteStatus::Candidate
            ),
            Worth::Indispensable => {}
            Worth::NotComputed(e) => panic!("{e}"),
        }
    }
    // The rollout's December halls: some site built now needs a new hall.
    assert!(now.iter().any(|s| s.start_by_month.is_some()));
}
