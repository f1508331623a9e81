//! Phase 1's own branch and bound (`solve::branch`) against HiGHS's MIP on
//! the same models: the national baseline with every city's demand a fixed
//! number of cards (so that it has link rows), and OR-Library's cap113 when
//! the search is stopped by its node limit and HiGHS goes on.

use crate::common;
use crate::support;

use dcsite::milp::Prepared;
use dcsite::solve::{solve, Explain, Plan, SolveOptions, Status};

/// A shipped scenario with each city's demand fixed at its weight's share of
/// `share` of the H200 target (so that the model has link rows): mega
/// clusters, cooling options, subsidies, quotas and the dual-track share as
/// the scenario has them.
fn with_card_demand(scenario: &str, share: f64) -> Prepared {
    let path = common::root().join(format!("models/small/{scenario}.toml"));
    let (_, mut inst, _) = dcsite::data::load(&path).unwrap();
    let target = inst.targets["h200"].min;
    let total: f64 = inst.demand.iter().map(|d| d.weight).sum();
    for d in &mut inst.demand {
        d.cards = Some((share * target * d.weight / total).round());
    }
    let p = Prepared::new(inst);
    assert!(p.disaggregate_links, "every city has a number of cards");
    p
}

fn solve_with_nodes(p: &Prepared, nodes: Option<usize>, opts: &SolveOptions) -> Plan {
    solve(p, &with_nodes(nodes, opts)).unwrap()
}

/// `opts` for the plan only, with phase 1's branch and bound at `nodes`.
fn with_nodes(nodes: Option<usize>, opts: &SolveOptions) -> SolveOptions {
    let mut o = opts.clone();
    o.strategy.branch_nodes = nodes;
    o.explain = Explain::PlanOnly;
    o
}

/// Both answers are optimal within the gap, so each objective is within the
/// gap of the other's proven bound: the two can differ by at most the gap
/// between them.
fn assert_same_optimum(a: &Plan, b: &Plan, gap: f64, what: &str) {
    assert_eq!(
        (a.status, b.status),
        (Status::Optimal, Status::Optimal),
        "{what}"
    );
    let d = (a.objective_cny - b.objective_cny).abs() / b.objective_cny;
    assert!(
        d <= gap + 1e-9,
        "{what}: {} against {} ({d:e})",
        a.objective_cny,
        b.objective_cny
    );
}

/// Every shipped scenario, its cities' demand fixed at 30 % and 90 % of the
/// H200 target: the search finishes, and its optimum is HiGHS's (measured:
/// 3-35 nodes, at most 2e-7 apart at a 1e-6 gap).
#[test]
fn every_scenario_with_card_demand_has_highs_optimum() {
    let opts = SolveOptions {
        mip_gap: Some(1e-6),
        ..SolveOptions::default()
    };
    let mut megas = 0;
    for scenario in common::scenarios() {
        for share in [0.3, 0.9] {
            let what = format!("{scenario} with {share} of the target as card demand");
            let p = with_card_demand(&scenario, share);
            let ours = solve_with_nodes(&p, None, &opts);
            let highs = solve_with_nodes(&p, Some(0), &opts);
            let stats = ours
                .link_rows
                .unwrap()
                .branch
                .expect("the branch and bound ran");
            assert!(stats.finished, "{what}: {stats:?}");
            assert!(highs.link_rows.unwrap().branch.is_none(), "{what}");
            assert_same_optimum(&ours, &highs, 1e-6, &what);
            megas += ours.sites.iter().filter(|s| s.mega_cluster).count();
        }
    }
    // The mega-cluster binaries were searched too.
    assert!(megas > 0);
}

fn cap(name: &str) -> Prepared {
    let dir = common::root().join("bench/orlib");
    let text = std::fs::read_to_string(dir.join(format!("{name}.txt"))).unwrap();
    support::cap_to_prepared(name, &support::parse_cap(&text).unwrap(), None).unwrap()
}

/// Stopped by its node limit, the search hands its best plan and bound to
/// HiGHS's MIP, which proves the published optimum.
#[test]
fn a_search_stopped_by_its_node_limit_hands_over_to_highs() {
    let opts = SolveOptions {
        mip_gap: Some(1e-9),
        ..SolveOptions::default()
    };
    let p = cap("cap113");
    let whole = solve_with_nodes(&p, None, &opts);
    let cut = solve_with_nodes(&p, Some(3), &opts);
    let highs = solve_with_nodes(&p, Some(0), &opts);
    let s_whole = whole.link_rows.unwrap().branch.unwrap();
    let s_cut = cut.link_rows.unwrap().branch.unwrap();
    assert!(s_whole.finished && s_whole.nodes > 3, "{s_whole:?}");
    assert!(!s_cut.finished && s_cut.nodes == 3, "{s_cut:?}");
    let published = 970_567.750;
    for (plan, what) in [
        (&whole, "searched"),
        (&cut, "handed over"),
        (&highs, "HiGHS"),
    ] {
        assert_eq!(plan.status, Status::Optimal, "{what}");
        let rel = (plan.objective_cny - published).abs() / published;
        assert!(rel <= 1e-6, "{what}: {} ({rel:e})", plan.objective_cny);
    }
}

/// The row `Σ open ≥ fewest sites` the search adds to its LP cuts off no
/// plan: on the first 100 customers of capa with capacity 1,200 (demand
/// 5,280: at least 5 sites; the LP bound rises from 7.50 to 8.24 million),
/// the search, forced on above its default size, proves HiGHS's optimum.
#[test]
fn the_fewest_sites_row_keeps_highs_optimum_on_a_cut_of_capa() {
    let dir = common::root().join("bench/orlib");
    let mut c =
        support::parse_cap(&std::fs::read_to_string(dir.join("capa.txt")).unwrap()).unwrap();
    c.demand.truncate(100);
    c.cost.truncate(100);
    let p = support::cap_to_prepared("capa-100", &c, Some(1200.0)).unwrap();
    assert!(p.pairs.len() > dcsite::solve::branch::MAX_PAIRS);
    let opts = SolveOptions {
        mip_gap: Some(1e-9),
        ..SolveOptions::default()
    };
    let ours = solve_with_nodes(&p, Some(dcsite::solve::branch::MAX_NODES), &opts);
    let highs = solve_with_nodes(&p, Some(0), &opts);
    let stats = ours.link_rows.unwrap().branch.unwrap();
    assert!(stats.finished, "{stats:?}");
    assert_same_optimum(&ours, &highs, 1e-9, "capa-100 at 1,200");
    // Stopped by a time limit, the search hands over to HiGHS, and the
    // answer is a plan no cheaper than the optimum with a bound no higher
    // than it, or no plan at all.
    let limited = SolveOptions {
        time_limit_s: Some(0.3),
        ..opts.clone()
    };
    let forced = with_nodes(Some(dcsite::solve::branch::MAX_NODES), &limited);
    match solve(&p, &forced) {
        Ok(plan) => {
            let opt = highs.objective_cny;
            assert!(
                plan.objective_cny >= opt * (1.0 - 1e-9),
                "{}",
                plan.objective_cny
            );
            let bound = plan.objective_cny * (1.0 - plan.mip_gap);
            assert!(bound <= opt * (1.0 + 1e-9), "bound {bound} above {opt}");
            if plan.status == Status::Optimal {
                assert!(plan.objective_cny <= opt * (1.0 + 1e-9));
            }
        }
        Err(e) => assert!(
            matches!(e, dcsite::solve::SolveError::NoSolution { .. }),
            "{e}"
        ),
    }
}
