//! Contracted grid power (`parameters.power_contract_cny_per_kw_month`): in
//! one plan the contract is the draw; in a two-stage plan it is decided now
//! and shared by the outcomes. Checked against hand computations, against
//! recounts from the outcomes' servers, against a re-solve with the first
//! stage fixed, and against the same scenario without the charge.

use crate::common::*;
use dcsite::milp::Prepared;
use dcsite::plan::Plan;
use dcsite::solve::stochastic::{solve_two_stage, Outcome, Risk};
use dcsite::solve::{solve, Explain, SolveOptions, Status};
use dcsite::study::hedge::{hedge, ExpectedValue, Hedge, OutcomeIn};

const NEUTRAL: Risk = Risk {
    alpha: 0.5,
    lambda: 0.0,
};

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "{a} != {b}");
}

/// hedge.rs's two-outcome model (sites a and b, 50,000 CNY fixed each, 100
/// one-kW cards at PUE 1 for one undiscounted year; a at 0.3 CNY/kWh with
/// p = 0.6 and at 0.7 with p = 0.4, b at 0.5) with contracted power at
/// `charge` CNY per kW per month: 100 kW contracted cost 1,200 × charge.
fn with_charge(charge: f64) -> (Vec<OutcomeIn>, Prepared) {
    let inst = |price_a: f64| {
        let mut inst = crate::hedge::shock(price_a);
        inst.params.power_contract_cny_per_kw_month = charge;
        inst
    };
    (
        crate::hedge::two_outcomes_of(inst),
        Prepared::new(inst(0.6 * 0.3 + 0.4 * 0.7)),
    )
}

/// The two-stage plan of [`with_charge`]'s outcomes, its VSS against their
/// averaged inputs.
fn hedged(charge: f64) -> Hedge {
    let (outcomes, ev) = with_charge(charge);
    hedge(
        &outcomes,
        Some(&ev),
        NEUTRAL,
        &SolveOptions::default(),
        &|_| {},
    )
    .expect("plans")
}

#[test]
fn a_dear_contract_gives_up_the_hedge_by_hand() {
    // Without contracts both sites are built (432,880 CNY expected), the
    // cards following the price; then each site contracts 100 kW for the
    // outcome that uses it. At 20 CNY/kW/month a contract costs 24,000:
    //   {a, b}: 432,880 + 48,000 = 480,880
    //   {a}:    452,960 + 24,000 = 476,960 (the optimum: 336,800 | 687,200)
    //   {b}:    488,000 + 24,000 = 512,000
    // Own optima: cheap {a} 336,800, shock {b} 512,000 → 406,880, EVPI
    // 70,080. The averaged inputs (a at 0.46) build {a} with 100 kW: VSS 0.
    let h = hedged(20.0);
    assert_eq!(h.plan.status, Status::Optimal);
    close(h.plan.objective_cny, 476_960.0);
    close(h.plan.costs_cny[0], 336_800.0);
    close(h.plan.costs_cny[1], 687_200.0);
    assert_eq!(h.plan.first_stage.built, vec![(0, 0)]);
    close(h.plan.first_stage.contract_at(0).expect("decided"), 0.1);
    for plan in &h.plan.plans {
        close(plan.sites[0].contract_mw.expect("modelled"), 0.1);
        assert_eq!(plan.sites[1].contract_mw, Some(0.0), "nothing at b");
    }
    close(h.evpi_cny, 70_080.0);
    match &h.expected_value {
        ExpectedValue::Evaluated { first_stage, .. } => {
            assert_eq!(first_stage.built, vec![(0, 0)]);
            close(first_stage.contract_at(0).expect("decided"), 0.1);
        }
        _ => panic!("the expected-value plan serves both outcomes"),
    }
    close(h.vss_cny.expect("a VSS"), 0.0);
}

#[test]
fn a_cheap_contract_keeps_the_hedge_by_hand() {
    // At 10 CNY/kW/month: {a, b} 432,880 + 24,000 = 456,880 against {a}
    // 452,960 + 12,000 = 464,960: both built, 100 kW contracted at each
    // although each outcome draws power at one of them only.
    let h = hedged(10.0);
    close(h.plan.objective_cny, 456_880.0);
    assert_eq!(h.plan.first_stage.built, vec![(0, 0), (1, 0)]);
    close(h.plan.first_stage.contract_at(0).expect("decided"), 0.1);
    close(h.plan.first_stage.contract_at(1).expect("decided"), 0.1);
    // The outcome that leaves b empty still pays b's contract.
    close(h.plan.costs_cny[0], 100_000.0 + 262_800.0 + 24_000.0);
    close(h.plan.costs_cny[1], 100_000.0 + 438_000.0 + 24_000.0);
}

/// Facility MW of a plan's site recounted from its servers.
fn draw_mw(plan: &Plan, s: usize) -> f64 {
    let sp = &plan.sites[s];
    let pue = sp.pue.unwrap_or(0.0);
    plan.instance
        .accelerators
        .iter()
        .zip(&sp.servers)
        .map(|(a, &n)| n as f64 * a.server_kw * pue / 1000.0)
        .sum()
}

#[test]
fn one_plan_contracts_its_draw_and_pays_for_it() {
    let base = dcsite::data::scenario::load_scenario(&root().join("models/small/baseline.toml"))
        .expect("loads");
    let (inst0, _) = dcsite::data::load::load_tables(&base).expect("tables");
    let mut inst = inst0.clone();
    inst.params.power_contract_cny_per_kw_month = 30.0;
    let npc = inst.params.contract_npc_per_mw();
    // 30 × 1,000 × 12 × the annuity factor of 5 years at 8 %.
    close(npc, 360_000.0 * (1.0 - 1.08f64.powi(-5)) / 0.08);
    let opts = SolveOptions {
        explain: Explain::PlanOnly,
        ..SolveOptions::default()
    };
    let p0 = Prepared::new(inst0);
    let pc = Prepared::new(inst);
    let plan0 = solve(&p0, &opts).expect("plan without contracts");
    let plan = solve(&pc, &opts).expect("plan with contracts");
    assert!(plan0.sites.iter().all(|s| s.contract_mw.is_none()));
    let mut contracted = 0.0;
    for sp in &plan.sites {
        let c = sp.contract_mw.expect("every site carries its contract");
        // Recounted from the servers: the contract is the draw (it costs).
        let draw = draw_mw(&plan, sp.site);
        assert!((c - draw).abs() <= 1e-6 * (1.0 + draw), "{c} != {draw}");
        contracted += c;
    }
    assert!(contracted > 0.0);
    // The charge-free optimum bounds it both ways: plan0 with its draw
    // contracted is a plan at the charge, and the charged plan without its
    // contract is a plan without the charge (each within the solver's gaps).
    let draw0: f64 = (0..plan0.sites.len()).map(|s| draw_mw(&plan0, s)).sum();
    let tol = (plan.mip_gap + plan0.mip_gap + 1e-6) * plan.objective_cny;
    assert!(plan.objective_cny <= plan0.objective_cny + npc * draw0 + tol);
    assert!(plan.objective_cny - npc * contracted >= plan0.objective_cny - tol);
}

#[test]
fn supply_risk_contracts_cover_every_outcome_and_re_solve_the_same() {
    let prepared = outcome_instances("models/supply_risk_2026_contracts.toml");
    let views: Vec<Outcome> = prepared
        .iter()
        .map(|(q, p)| Outcome { p, probability: *q })
        .collect();
    let opts = SolveOptions::default();
    // Asked for the L-shaped loop, the library still decides contracts in
    // the extensive form.
    let mut ls = opts.clone();
    ls.strategy.l_shaped = Some(true);
    let two = solve_two_stage(&views, NEUTRAL, &ls, None).expect("a plan");
    assert!(two.decomposition.is_none(), "the extensive form");
    assert!(!two.first_stage.contract_mw.is_empty());
    for &(s, _) in &two.first_stage.built {
        let c = two.first_stage.contract_at(s).expect("decided");
        let peak = two.plans.iter().map(|p| draw_mw(p, s)).fold(0.0, f64::max);
        // At least every outcome's draw, and no more than the peak (it costs).
        assert!(peak <= c + 1e-6 * (1.0 + c), "{s}: {peak} > {c}");
        assert!(c - peak <= 1e-4 * (1.0 + peak), "{s}: {c} above {peak}");
    }
    // The plan fixed to its own first stage (sites and contracts) and
    // re-solved outcome by outcome: the same value.
    let again = solve_two_stage(&views, NEUTRAL, &opts, Some(&two.first_stage)).expect("fixed");
    let tol = 2.0 * 1e-4 * two.objective_cny;
    assert!(
        (again.objective_cny - two.objective_cny).abs() <= tol,
        "{} against {}",
        again.objective_cny,
        two.objective_cny
    );
}

#[test]
fn the_l_shaped_method_with_contracts_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("h");
    let o = dcsite(&[
        "hedge",
        "models/supply_risk_2026_contracts.toml",
        "--out",
        out.to_str().unwrap(),
        "--method",
        "l-shaped",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("parameters.power_contract_cny_per_kw_month") && err.contains("extensive"),
        "{err}"
    );
    assert!(
        err.contains("supply_risk_2026_contracts.toml"),
        "the file is named: {err}"
    );
    assert!(!err.contains("panicked"));
    assert!(!out.exists(), "nothing written");
}

#[test]
fn a_negative_charge_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("neg.toml");
    std::fs::write(
        &sc,
        format!(
            "extends = \"{}\"\nname = \"neg\"\n[parameters]\npower_contract_cny_per_kw_month = -5\n",
            root().join("models/small/baseline.toml").display()
        ),
    )
    .unwrap();
    let written = std::fs::read_to_string(&sc).unwrap();
    let out = dir.path().join("o");
    let o = dcsite(&[
        "solve",
        sc.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("neg.toml"), "the file is named: {err}");
    assert!(
        err.contains("parameters.power_contract_cny_per_kw_month"),
        "{err}"
    );
    assert!(err.contains("-5"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out.exists(), "nothing written");
    // Nothing else in the folder (not even the output's lock file), and the
    // scenario as it was.
    let beside: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(beside, ["neg.toml"]);
    assert_eq!(std::fs::read_to_string(&sc).unwrap(), written);
}

#[test]
fn models_readme_contract_figures_are_the_measured_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("h");
    let o = dcsite(&[
        "hedge",
        "models/supply_risk_2026_contracts.toml",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    ok(&o, "hedge supply_risk_2026_contracts");
    let h = read_json(&out.join("hedge.json"));
    assert_eq!(h["method"], "extensive");
    let readme = std::fs::read_to_string(root().join("models/README.md")).unwrap();
    let start = readme
        .find("### Power contracted now")
        .expect("the section");
    let end = readme[start + 4..]
        .find("\n### ")
        .map_or(readme.len(), |e| start + 4 + e);
    let section = &readme[start..end];
    let bn = |k: &str| format!("{:.2} bn CNY", h[k].as_f64().unwrap() / 1e9);
    for k in ["expected_cost_cny", "cvar_cny", "evpi_cny"] {
        let want = bn(k);
        assert!(section.contains(&want), "the section lacks {k} = {want}");
    }
    assert!(
        h["vss_cny"].is_null(),
        "the mean plan serves too few outcomes"
    );
    let mut total = 0.0;
    for s in h["first_stage"].as_array().unwrap() {
        assert_eq!(s["contract_decided"], true);
        let mw = s["contract_mw"].as_f64().unwrap();
        total += mw;
        let want = format!("{mw:.1} MW at {}", s["name_en"].as_str().unwrap());
        assert!(section.contains(&want), "the section lacks {want}");
    }
    assert!(section.contains(&format!(
        "{} MW",
        dcsite::domain::text::int(total.round() as i128)
    )));
    // Every site of the plan's layer carries its contract, in GeoJSON and
    // in the GeoPackage (0 MW where nothing is built).
    for f in features(&out.join("sites.geojson")) {
        let p = &f["properties"];
        let c = p["contract_mw"]
            .as_f64()
            .expect("contract_mw on every site");
        if p["built"] == false {
            assert_eq!(c, 0.0);
        } else {
            assert!(c + 1e-3 >= p["facility_mw"].as_f64().unwrap());
        }
    }
    assert!(ogrinfo_summary(&out.join("plan.gpkg")).contains("contract_mw: Real"));
    let again = dcsite(&[
        "report",
        out.to_str().unwrap(),
        "-o",
        tmp.path().join("r.html").to_str().unwrap(),
    ]);
    ok(&again, "dcsite report on the folder");
    // The terminal names the outcomes the mean plan fails, each quoted
    // (their names hold commas).
    let o = dcsite(&[
        "hedge",
        "models/supply_risk_2026_contracts.toml",
        "--out",
        tmp.path().join("t").to_str().unwrap(),
        "--no-gpkg",
        "--no-report",
    ]);
    ok(&o, "hedge, the text");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("cannot serve 5 of the 6 outcomes (\"never withdrawn, 500k allocation\", "),
        "{text}"
    );
    assert!(
        text.contains("(the most any outcome draws: 432.0 MW)"),
        "{text}"
    );
}
