//! Published optima of Beasley's OR-Library capacitated warehouse location
//! instances, reached through the same model builder and solver as `dcsite solve`.

use crate::common;
use crate::support;

use dcsite::milp::RowKey;
use dcsite::solve::{solve, Plan, SolveError, SolveOptions, Status};
use support::{cap_to_prepared, parse_cap};

fn orlib_dir() -> std::path::PathBuf {
    common::root().join("bench/orlib")
}

fn published(name: &str) -> f64 {
    let text = std::fs::read_to_string(orlib_dir().join("optima.csv")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name},")))
        .unwrap()
        .parse()
        .unwrap()
}

fn prepared(file: &str, capacity: Option<f64>) -> dcsite::milp::Prepared {
    let text = std::fs::read_to_string(orlib_dir().join(format!("{file}.txt"))).unwrap();
    let cap = parse_cap(&text).unwrap();
    cap_to_prepared(file, &cap, capacity).unwrap()
}

fn opts() -> SolveOptions {
    SolveOptions {
        mip_gap: Some(1e-9),
        ..SolveOptions::default()
    }
}

/// `o` for the plan only: no shadow prices or costs of unbuilt sites.
fn plan_only(o: SolveOptions) -> SolveOptions {
    SolveOptions {
        explain: dcsite::solve::Explain::PlanOnly,
        ..o
    }
}

/// [`opts`] with every link row in the model up front (no cut loop).
fn all_link_rows() -> SolveOptions {
    let mut o = opts();
    o.strategy.all_link_rows = true;
    o
}

/// Solves `file` (with `capacity` for capa/capb/capc) and checks the
/// published optimum of `name`.
fn check_capacity(file: &str, capacity: Option<f64>, name: &str) -> Plan {
    // capacity: the literal `capacity` of capa/capb/capc (unused here yet).
    let p = prepared(file, capacity);
    let plan = solve(&p, &opts()).unwrap();
    assert_eq!(plan.status, Status::Optimal, "{name}");
    let opt = published(name);
    let rel = (plan.objective_cny - opt).abs() / opt;
    assert!(
        rel <= 1e-6,
        "{name}: {} vs published {opt} (rel. error {rel:e})",
        plan.objective_cny
    );
    plan
}

fn check(name: &str) {
    check_capacity(name, None, name);
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

/// The hardest small instance (cap113: 50 × 50, capacity binding), through
/// the cut loop.
#[test]
fn cap113_the_hardest_small_instance_reaches_the_published_optimum() {
    let plan = check_capacity("cap113", None, "cap113");
    let links = plan.link_rows.expect("cap113 has link rows");
    assert_eq!(links.rows_total, 2500);
    assert!(links.rows_in_model < links.rows_total / 2, "{links:?}");
}

/// The sites a plan builds.
fn built(plan: &Plan) -> Vec<usize> {
    plan.sites
        .iter()
        .filter(|s| s.built)
        .map(|s| s.site)
        .collect()
}

/// Issue 13: the cut loop (link rows added when violated) and the model
/// with every link row up front reach the same optimum and build the same sites.
#[test]
fn the_cut_loop_gives_the_full_models_optimum_and_plan() {
    for name in ["cap41", "cap64", "cap92", "cap124"] {
        let p = prepared(name, None);
        let a = solve(&p, &opts()).unwrap();
        let b = solve(&p, &all_link_rows()).unwrap();
        assert_eq!((a.status, b.status), (Status::Optimal, Status::Optimal));
        let rel = (a.objective_cny - b.objective_cny).abs() / b.objective_cny;
        assert!(
            rel <= 1e-9,
            "{name}: {} vs {}",
            a.objective_cny,
            b.objective_cny
        );
        // The same sites; customers with equal costs at two open sites may
        // be split differently (equal-cost ties), so flows are not compared.
        assert_eq!(built(&a), built(&b), "{name}");
        let (la, lb) = (a.link_rows.unwrap(), b.link_rows.unwrap());
        assert_eq!(lb.rows_in_model, lb.rows_total);
        assert!(la.rows_in_model < la.rows_total, "{name}: {la:?}");
        assert!(la.lp_rounds >= 1, "{name}: {la:?}");
    }
}

/// Issue 13: Benders decomposition (the assignment projected out, cuts on
/// the site decisions) and the model with every link row up front reach the
/// same optimum and build the same sites.
#[test]
fn benders_gives_the_full_models_optimum_and_plan() {
    for name in ["cap41", "cap64", "cap92", "cap113", "cap124"] {
        let p = prepared(name, None);
        let mut benders = opts();
        benders.strategy.benders = Some(true);
        let a = solve(&p, &benders).unwrap();
        let b = solve(&p, &all_link_rows()).unwrap();
        assert_eq!(
            (a.status, b.status),
            (Status::Optimal, Status::Optimal),
            "{name}: gap {} objective {} against {}, {:?}",
            a.mip_gap,
            a.objective_cny,
            b.objective_cny,
            a.link_rows
        );
        let rel = (a.objective_cny - b.objective_cny).abs() / b.objective_cny;
        assert!(
            rel <= 1e-9,
            "{name}: {} vs {}",
            a.objective_cny,
            b.objective_cny
        );
        assert_eq!(built(&a), built(&b), "{name}");
        let stats = a.link_rows.unwrap().benders.expect("the Benders loop ran");
        assert!(
            stats.cuts >= 1 && stats.mip_rounds >= 1,
            "{name}: {stats:?}"
        );
        assert!(b.link_rows.unwrap().benders.is_none());
    }
}

/// Issue 13: capa with capacity 8000 (100 sites × 1,000 cities, 100,000
/// pairs) to its published optimum, proven, by Benders decomposition
/// (chosen by size, not forced). About 4 s here (release build).
#[test]
fn capa_8000_is_proven_optimal_by_benders() {
    let plan = check_capacity("capa", Some(8000.0), "capa-8000");
    let links = plan.link_rows.expect("capa has link rows");
    assert_eq!(links.rows_total, 100_000);
    let b = links.benders.expect("Benders chose the sites");
    assert!(b.cuts >= 1 && b.mip_rounds >= 1, "{b:?}");
    assert!(plan.mip_gap <= 1e-7, "{}", plan.mip_gap);
}

/// The cost of `p`'s pricing LP (server counts continuous) with `plan`'s
/// site decisions pinned and, if given, one row's limit moved by an amount
/// in row units: built and solved from scratch, as the shadow-price checks
/// did before they re-solved a reduced LP from its basis.
fn pricing_cost(
    p: &dcsite::milp::Prepared,
    plan: &Plan,
    moved: Option<(RowKey, f64)>,
) -> Option<f64> {
    let mut lp = dcsite::milp::build(p, dcsite::milp::Integrality::Pricing);
    if let Some((key, d)) = moved {
        let i = lp.row_index(key)?;
        lp.rows[i].rhs += d;
    }
    let mut fixed = Vec::new();
    for (o, opt) in p.options.iter().enumerate() {
        let on = plan.sites[opt.site].cooling == Some(opt.cooling);
        fixed.push((lp.vars.open[o], if on { 1.0 } else { 0.0 }));
    }
    for (s, m) in lp.vars.mega.iter().enumerate() {
        if let Some(m) = m {
            fixed.push((*m, if plan.sites[s].mega_cluster { 1.0 } else { 0.0 }));
        }
    }
    dcsite::solve::run_highs(lp, &SolveOptions::default(), &fixed)
        .ok()
        .map(|(raw, _)| raw.objective)
}

/// Issue 27: capa-8000's shadow-price checks (degenerate site capacities,
/// whose one-sided values differ from the dual) re-solve the pricing LP
/// reduced by the plan's decisions, from its basis. Each one-sided value is
/// the finite difference of the whole pricing LP solved from scratch with
/// the site's capacity a step lower and a step higher, to the cent; and the
/// unbuilt sites all have a reason.
#[test]
fn capa_8000_one_sided_prices_are_those_of_the_whole_lp() {
    let p = prepared("capa", Some(8000.0));
    let plan = solve(&p, &opts()).unwrap();
    let base = pricing_cost(&p, &plan, None).expect("the pricing LP solves");
    let degenerate: Vec<_> = plan
        .shadow_prices
        .iter()
        .filter_map(|sp| Some((sp, sp.one_sided.as_ref()?)))
        .collect();
    assert!(
        degenerate.len() >= 2,
        "{:?}",
        plan.shadow_prices
            .iter()
            .filter(|s| s.checked)
            .collect::<Vec<_>>()
    );
    for (sp, o) in degenerate.iter().take(2) {
        let d = o.step * sp.family.row_units_per_unit();
        let down = pricing_cost(&p, &plan, Some((sp.key, -d))).map(|c| (base - c) / o.step);
        let up = pricing_cost(&p, &plan, Some((sp.key, d))).map(|c| (c - base) / o.step);
        for (what, got, want) in [("down", o.down, down), ("up", o.up, up)] {
            match (got, want) {
                (Some(g), Some(w)) => assert!(
                    (g - w).abs() <= 0.01 + 1e-9 * w.abs(),
                    "{} {what}: {g} against {w} from scratch",
                    sp.constraint
                ),
                (g, w) => assert_eq!(
                    g.is_some(),
                    w.is_some(),
                    "{} {what}: {g:?} against {w:?}",
                    sp.constraint
                ),
            }
        }
    }
    assert!(plan
        .sites
        .iter()
        .filter(|s| !s.built)
        .all(|s| s.not_built_reason.is_some()));
}

/// Issue 13: under a time limit the Benders loop ends with the best plan it
/// has (checked against every row like any plan, its gap against a bound
/// below the published optimum) or with no plan, and nothing else. A
/// time-limited assignment LP used to lose its HiGHS instance, so that the
/// next evaluation panicked; and HiGHS counts its time limit against the
/// instance's run time summed over every solve, so a re-solved LP stopped at
/// once near the end (`LiveExt::set_time_left`).
#[test]
fn benders_under_a_time_limit_gives_a_plan_or_no_plan() {
    let p = prepared("capb", Some(6000.0));
    let opt = published("capb-6000");
    for limit in [1.0, 4.0] {
        let o = SolveOptions {
            time_limit_s: Some(limit),
            ..opts()
        };
        // The plan only: the limit acts in the phases both paths share.
        match dcsite::solve::solve(&p, &plan_only(o)) {
            Ok(plan) => {
                assert!(
                    matches!(plan.status, Status::Optimal | Status::Feasible),
                    "{limit} s: {:?}",
                    plan.status
                );
                assert!(plan.objective_cny >= opt * (1.0 - 1e-9), "{limit} s");
                let bound = plan.objective_cny * (1.0 - plan.mip_gap);
                assert!(bound <= opt * (1.0 + 1e-9), "{limit} s: bound {bound}");
            }
            Err(SolveError::NoSolution { .. }) => {}
            Err(e) => panic!("{limit} s: {e}"),
        }
    }
}
