//! Two-stage plans (`dcsite hedge`, issue 28): a two-outcome model whose
//! optimum, EVPI and VSS are computed by hand; the extensive form against an
//! independent one (every first stage enumerated, each outcome solved with
//! it by the deterministic solver); CVaR against its definition; one
//! outcome of probability 1 against `dcsite solve`; bad outcomes exit 2.

use std::path::Path;

use crate::common;

use common::*;
use dcsite::domain::*;
use dcsite::milp::Prepared;
use dcsite::solve::stochastic::{solve_two_stage, value_at_risk, Outcome, Risk};
use dcsite::solve::{solve, Explain, SolveError, SolveOptions, Status};
use dcsite::study::hedge::{hedge, ExpectedValue, OutcomeIn};

const NEUTRAL: Risk = Risk {
    alpha: 0.5,
    lambda: 0.0,
};

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "{a} != {b}");
}

/// Two sites with a fixed cost of 50,000 CNY each, 100 one-kW cards for a
/// year at PUE 1: site b at 0.5 CNY/kWh, site a at `price_a`.
pub(crate) fn shock(price_a: f64) -> Instance {
    let mut inst = two_sites(100.0, price_a, 0.5);
    for s in &mut inst.sites {
        s.fixed_cost_cny = 50_000.0;
    }
    inst
}

/// Outcome 1 (p = 0.6): a at 0.3 CNY/kWh; outcome 2 (p = 0.4): a at 0.7.
pub(crate) fn two_outcomes() -> Vec<OutcomeIn> {
    two_outcomes_of(shock)
}

/// The two outcomes with the instance `inst` makes of site a's price.
pub(crate) fn two_outcomes_of(inst: impl Fn(f64) -> Instance) -> Vec<OutcomeIn> {
    vec![
        OutcomeIn {
            name: "cheap".into(),
            probability: 0.6,
            p: Prepared::new(inst(0.3)),
        },
        OutcomeIn {
            name: "shock".into(),
            probability: 0.4,
            p: Prepared::new(inst(0.7)),
        },
    ]
}

#[test]
fn two_outcomes_by_hand() {
    // Per first stage, cost = fixed costs + 100 × 8,760 × the cheaper open price:
    //   {a}:    50,000 + 262,800 | 50,000 + 613,200 → E = 452,960
    //   {b}:    50,000 + 438,000 in both            → E = 488,000
    //   {a, b}: 100,000 + 262,800 | 100,000 + 438,000 → E = 432,880 (the optimum)
    // Perfect information: {a} then {b}: 0.6 × 312,800 + 0.4 × 488,000 = 382,880,
    // EVPI = 50,000. The expected-value scenario (a at 0.46) builds {a} alone
    // (452,960 against 488,000 and 502,960): VSS = 452,960 − 432,880 = 20,080.
    let outcomes = two_outcomes();
    let ev = Prepared::new(shock(0.6 * 0.3 + 0.4 * 0.7));
    let h = hedge(
        &outcomes,
        Some(&ev),
        NEUTRAL,
        &SolveOptions::default(),
        &|_| {},
    )
    .expect("plans");
    assert_eq!(h.plan.status, Status::Optimal);
    close(h.plan.objective_cny, 432_880.0);
    close(h.plan.costs_cny[0], 362_800.0);
    close(h.plan.costs_cny[1], 538_000.0);
    assert_eq!(h.plan.first_stage.built, vec![(0, 0), (1, 0)]);
    // Both sites built in both outcomes; the cards follow the price.
    for plan in &h.plan.plans {
        assert!(plan.sites.iter().all(|s| s.built));
    }
    assert_eq!(h.plan.plans[0].sites[0].cards, vec![100]);
    assert_eq!(h.plan.plans[1].sites[1].cards, vec![100]);
    close(h.own_optima_cny[0], 312_800.0);
    close(h.own_optima_cny[1], 488_000.0);
    close(h.wait_and_see_cny, 382_880.0);
    close(h.evpi_cny, 50_000.0);
    match &h.expected_value {
        ExpectedValue::Evaluated {
            first_stage,
            objective_cny,
        } => {
            assert_eq!(first_stage.built, vec![(0, 0)]);
            close(*objective_cny, 452_960.0);
        }
        _ => panic!("the expected-value plan serves both outcomes"),
    }
    close(h.vss_cny.expect("a VSS"), 20_080.0);
    // Site a serves the cheap outcome (p 0.6), b the shock (p 0.4): each used
    // in one outcome, 60 and 40 cards expected; the cheap outcome's plan
    // stands for the folder.
    assert_eq!((h.outcomes_using(0), h.outcomes_using(1)), (1, 1));
    close(h.expected_cards(0)[0], 60.0);
    close(h.expected_cards(1)[0], 40.0);
    assert_eq!(h.most_probable(), 0);
}

/// The CVaR recomputed from its definition: the mean cost of the costliest
/// 1 − α of the probability mass, walking the outcomes from the costliest.
fn cvar_by_definition(costs: &[f64], probs: &[f64], alpha: f64) -> f64 {
    let mut by_cost: Vec<(f64, f64)> = costs.iter().copied().zip(probs.iter().copied()).collect();
    by_cost.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut mass = 1.0 - alpha;
    let mut sum = 0.0;
    for (c, p) in by_cost {
        let take = p.min(mass);
        sum += take * c;
        mass -= take;
        if mass <= 1e-15 {
            break;
        }
    }
    sum / (1.0 - alpha)
}

#[test]
fn cvar_matches_its_definition() {
    // With λ = 1 and α = 0.5 the objective is E + CVaR: {a}: 452,960 + 593,120,
    // {b}: 488,000 + 488,000, {a, b}: 432,880 + 502,960 = 935,840 (the optimum).
    let outcomes = two_outcomes();
    let risk = Risk {
        alpha: 0.5,
        lambda: 1.0,
    };
    let h = hedge(&outcomes, None, risk, &SolveOptions::default(), &|_| {}).expect("plans");
    close(h.plan.objective_cny, 935_840.0);
    let probs = [0.6, 0.4];
    close(
        h.cvar_cny,
        cvar_by_definition(&h.plan.costs_cny, &probs, 0.5),
    );
    close(h.cvar_cny, 502_960.0);
    // The risk-neutral plan is the same here: no premium, no reduction.
    let n = h.neutral.as_ref().expect("the risk-neutral plan beside it");
    close(n.expected_cny, h.expected_cny);
    // value_at_risk on other distributions, against the definition.
    let cases: [(&[f64], &[f64], f64); 4] = [
        (&[1.0, 2.0, 3.0, 10.0], &[0.25, 0.25, 0.25, 0.25], 0.75),
        (&[5.0, 1.0, 7.0], &[0.2, 0.5, 0.3], 0.9),
        (&[5.0, 1.0, 7.0], &[0.2, 0.5, 0.3], 0.0),
        (&[3.0, 3.0, 8.0], &[0.4, 0.4, 0.2], 0.5),
    ];
    for (c, p, a) in cases {
        close(value_at_risk(c, p, a).1, cvar_by_definition(c, p, a));
    }
}

/// Three sites and three outcomes whose demand and prices differ.
pub(crate) fn tree() -> Vec<(f64, Instance)> {
    let mk = |cards: f64, pa: f64, pc: f64| {
        let mut inst = two_sites(cards, pa, 0.5);
        let mut c = inst.sites[0].clone();
        c.id = "c".into();
        c.province = "pc".into();
        inst.sites.push(c);
        inst.prices.push(price("pc", pc));
        for (s, cap) in inst.sites.iter_mut().zip([0.12, 0.3, 0.08]) {
            s.fixed_cost_cny = 40_000.0;
            s.max_it_mw = cap;
        }
        inst
    };
    vec![
        (0.5, mk(100.0, 0.3, 0.4)),
        (0.3, mk(180.0, 0.6, 0.35)),
        (0.2, mk(250.0, 0.45, 0.2)),
    ]
}

#[test]
fn extensive_form_matches_enumeration() {
    // An independent extensive form: every set of sites built now, each
    // outcome solved by the deterministic solver with exactly those sites
    // (required or excluded), the expected cost minimised over the sets.
    let tree = tree();
    let prepared: Vec<Prepared> = tree.iter().map(|(_, i)| Prepared::new(i.clone())).collect();
    let views: Vec<Outcome> = prepared
        .iter()
        .zip(&tree)
        .map(|(p, (q, _))| Outcome { p, probability: *q })
        .collect();
    let two = solve_two_stage(&views, NEUTRAL, &SolveOptions::default(), None).expect("plans");
    let opts = SolveOptions {
        explain: Explain::PlanOnly,
        ..SolveOptions::default()
    };
    let mut best = f64::INFINITY;
    // At least one site: the demand is never nil.
    for mask in 1u32..8 {
        let mut total = 0.0;
        for (q, inst) in &tree {
            let mut inst = inst.clone();
            for (s, site) in inst.sites.iter_mut().enumerate() {
                site.status = if mask & (1 << s) != 0 {
                    SiteStatus::Required
                } else {
                    SiteStatus::Excluded
                };
            }
            match solve(&Prepared::new(inst), &opts) {
                Ok(plan) => total += q * plan.objective_cny,
                Err(SolveError::Infeasible { .. }) => {
                    total = f64::INFINITY;
                    break;
                }
                Err(e) => panic!("{e}"),
            }
        }
        best = best.min(total);
    }
    assert!(best.is_finite());
    close(two.objective_cny, best);
    // Every outcome's plan meets its own targets (checked inside), and the
    // sites built are the same in all of them.
    for plan in &two.plans {
        let built: Vec<bool> = plan.sites.iter().map(|s| s.built).collect();
        let first: Vec<bool> = two.plans[0].sites.iter().map(|s| s.built).collect();
        assert_eq!(built, first);
    }
}

fn scenario_with(dir: &Path, outcomes: &str) -> std::path::PathBuf {
    let root = root();
    let text = format!(
        "extends = \"{}\"\nname = \"h\"\n{outcomes}",
        root.join("models/small/baseline.toml").display()
    );
    let path = dir.join("h.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn one_certain_outcome_is_the_deterministic_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let sc = scenario_with(
        tmp.path(),
        "[[outcomes]]\nname = \"as planned\"\nprobability = 1\n",
    );
    let hedged = tmp.path().join("hedge");
    let o = dcsite(&[
        "hedge",
        sc.to_str().unwrap(),
        "--out",
        hedged.to_str().unwrap(),
        "--no-gpkg",
        "--no-report",
        "--quiet",
    ]);
    ok(&o, "hedge with one outcome");
    let solved = tmp.path().join("solve");
    let o = dcsite(&[
        "solve",
        root().join("models/small/baseline.toml").to_str().unwrap(),
        "--out",
        solved.to_str().unwrap(),
        "--no-gpkg",
        "--no-report",
        "--quiet",
    ]);
    ok(&o, "solve");
    let h = read_json(&hedged.join("hedge.json"));
    let s = read_json(&solved.join("summary.json"));
    assert_eq!(h["evpi_cny"].as_f64(), Some(0.0));
    assert_eq!(h["vss_cny"].as_f64(), Some(0.0));
    assert_eq!(
        h["objective_cny"].as_f64().unwrap(),
        s["objective_cny"].as_f64().unwrap().round()
    );
    // The same plan: every site's decisions and cards (the hedge folder
    // carries no explanations: unbuilt sites' costs are solve's).
    let key = |f: &serde_json::Value| {
        let p = &f["properties"];
        format!(
            "{} {} {} {} {} {}",
            p["site_id"],
            p["built"],
            p["cooling"],
            p["mega_cluster"],
            p["cards_h200"],
            p["cards_ascend_910c"]
        )
    };
    let a: Vec<String> = features(&hedged.join("sites.geojson"))
        .iter()
        .map(key)
        .collect();
    let b: Vec<String> = features(&solved.join("sites.geojson"))
        .iter()
        .map(key)
        .collect();
    assert_eq!(a, b);
}

#[test]
fn bad_outcomes_exit_2_naming_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, &[&str], &str); 6] = [
        (
            "[[outcomes]]\nname = \"x\"\nprobability = 0.5\n[[outcomes]]\nname = \"y\"\nprobability = 0.4\n",
            &[],
            "outcomes[*].probability",
        ),
        (
            "[[outcomes]]\nname = \"x\"\nprobability = 1.5\n",
            &[],
            "outcomes[0].probability",
        ),
        (
            "[[outcomes]]\nname = \"x\"\nprobability = 1\nparameters.utilisaton = 0.5\n",
            &[],
            "outcomes[0].parameters.utilisaton",
        ),
        (
            "[risk]\nalpha = 1.0\n[[outcomes]]\nprobability = 1\n",
            &[],
            "risk.alpha",
        ),
        (
            "[[outcomes]]\nprobability = 1\n",
            &["--alpha", "1.5"],
            "--alpha: expected a level in [0, 1), found 1.5",
        ),
        ("description = \"no outcomes\"\n", &[], "expected [[outcomes]]"),
    ];
    for (i, (text, flags, key)) in cases.iter().enumerate() {
        let dir = tmp.path().join(format!("c{i}"));
        std::fs::create_dir(&dir).unwrap();
        let sc = scenario_with(&dir, text);
        let written = std::fs::read_to_string(&sc).unwrap();
        // Entries beside the output folder (the lock file included: a run
        // that commits nothing removes the one it created).
        let entries = |d: &Path| -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        let before = entries(&dir);
        let out = dir.join("out");
        let mut args = vec![
            "hedge",
            sc.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(flags);
        let o = dcsite(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{key}: {err}");
        assert!(err.contains(key), "{key} not in {err}");
        assert!(!err.contains("panicked"), "{err}");
        // A scenario key is named with its file; a flag by itself.
        if flags.is_empty() {
            assert!(err.contains("h.toml"), "the file is not named: {err}");
        }
        assert!(!out.exists(), "nothing written for {key}");
        assert_eq!(entries(&dir), before, "{key}");
        // The scenario itself is as it was.
        assert_eq!(std::fs::read_to_string(&sc).unwrap(), written, "{key}");
    }
}

#[test]
fn models_readme_supply_risk_figures_are_the_measured_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("h");
    let o = dcsite(&[
        "hedge",
        "models/supply_risk_2026.toml",
        "--out",
        out.to_str().unwrap(),
        "--no-gpkg",
        "--quiet",
    ]);
    ok(&o, "hedge supply_risk_2026");
    // The folder's page: the hedge section with its chart, a bar per outcome.
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("id=\"hedge-distribution\""));
    assert_eq!(page.matches("<rect class=\"outcome\"").count(), 6);
    // The 400k allocation and the Ascend shortfall cost the same: one stack,
    // labelled with their summed probability (0.10 + 0.15), not two labels
    // drawn over each other.
    assert!(page.contains(">0.25</text>"), "the stack's label");
    assert_eq!(page.matches(">0.15</text>").count(), 1, "500k only");
    let again = dcsite(&[
        "report",
        out.to_str().unwrap(),
        "-o",
        tmp.path().join("r.html").to_str().unwrap(),
    ]);
    ok(&again, "dcsite report on a hedge folder");
    let h = read_json(&out.join("hedge.json"));
    let readme = std::fs::read_to_string(root().join("models/README.md")).unwrap();
    let bn = |k: &str| format!("{:.2} bn CNY", h[k].as_f64().unwrap() / 1e9);
    for k in ["expected_cost_cny", "cvar_cny", "evpi_cny"] {
        let want = bn(k);
        assert!(
            readme.contains(&want),
            "models/README.md lacks {k} = {want}"
        );
    }
    assert_eq!(h["vss_cny"].as_f64(), Some(0.0));
    // What to start now: each site's power to contract, and the start month
    // of each new hall, as the README states them.
    for s in h["first_stage"].as_array().unwrap() {
        let mw = format!("{:.1} MW", s["contract_mw"].as_f64().unwrap());
        assert!(readme.contains(&mw), "models/README.md lacks {mw}");
        if let Some(by) = s["start_hall_by"].as_str() {
            assert!(readme.contains(by), "models/README.md lacks {by}");
        }
        assert_eq!(s["worth"]["state"], "existing or required");
    }
    let sites: Vec<&str> = h["first_stage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["site_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        sites,
        ["zhangbei", "ulanqab", "zhongwei", "guian", "shaoguan", "wuhu"]
    );
}

// ---- Outcomes drawn from a sweep file (`--outcomes-from`) ----

const DRAWS_SWEEP: &str = "models/small/sweeps/rollout_uncertainty.toml";

/// The sweep file with `samples` and `seed` as `--samples` and `--seed` set them.
fn draws_sweep(samples: usize, seed: u64) -> dcsite::study::sweep::Sweep {
    let mut sw = dcsite::study::sweep::read_sweep(&root().join(DRAWS_SWEEP)).expect("reads");
    sw.samples = samples;
    sw.seed = seed;
    sw
}

/// Draw `id` of `sw` loaded the ordinary way: a child scenario of the base
/// that writes each drawn value to its key (`[set]` for a table cell), read
/// by the scenario loader from files.
fn draw_as_scenario(dir: &Path, sw: &dcsite::study::sweep::Sweep, id: usize) -> Instance {
    let values = sw.draw(id);
    let mut set = String::new();
    let mut top = String::new();
    for (dim, v) in sw.dims.iter().zip(&values) {
        if dim.key.starts_with("electricity_prices.") {
            set.push_str(&format!("\"{}\" = {v}\n", dim.key));
        } else {
            top.push_str(&format!("{} = {v}\n", dim.key));
        }
    }
    let text = format!(
        "extends = \"{}\"\nname = \"rollout_2026\"\n{top}[set]\n{set}",
        root().join("models/small/rollout_2026.toml").display()
    );
    let path = dir.join(format!("draw{id}.toml"));
    std::fs::write(&path, text).unwrap();
    let sc = dcsite::data::load_scenario(&path).expect("the draw as a scenario");
    dcsite::data::load_tables(&sc).expect("loads").0
}

#[test]
fn drawn_outcomes_are_the_sweeps_draws() {
    use dcsite::study::hedge::drawn_outcomes;
    let tmp = tempfile::tempdir().unwrap();
    let sw = draws_sweep(4, 7);
    let d = drawn_outcomes(&sw).expect("draws");
    assert_eq!(d.outcomes.len(), 4);
    let names: Vec<&str> = d.outcomes.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["draw 0", "draw 1", "draw 2", "draw 3"]);
    let sum: f64 = d.outcomes.iter().map(|o| o.probability).sum();
    close(sum, 1.0);
    assert!(d.outcomes.iter().all(|o| o.probability == 0.25));
    for (id, o) in d.outcomes.iter().enumerate() {
        // The sweep's own draw, and the same values through a scenario file.
        assert_eq!(*o.p.inst, sw.instance(id).expect("draws").1, "draw {id}");
        let mut by_file = draw_as_scenario(tmp.path(), &sw, id);
        by_file.name = o.p.inst.name.clone();
        assert_eq!(*o.p.inst, by_file, "draw {id} against its scenario file");
    }
    // The draws differ (prices and the allocation vary), and the same seed
    // draws the same outcomes again; another seed other ones.
    assert_ne!(d.outcomes[0].p.inst, d.outcomes[1].p.inst);
    let again = drawn_outcomes(&draws_sweep(4, 7)).expect("draws");
    let other = drawn_outcomes(&draws_sweep(4, 8)).expect("draws");
    for k in 0..4 {
        assert_eq!(again.outcomes[k].p.inst, d.outcomes[k].p.inst);
        assert_ne!(other.outcomes[k].p.inst, d.outcomes[k].p.inst);
    }
    // The expected-value instance: each drawn input's mean over the draws.
    let ev = d.expected_value.expect("an expected-value instance");
    let mean =
        |f: &dyn Fn(&Instance) -> f64| d.outcomes.iter().map(|o| f(&o.p.inst)).sum::<f64>() / 4.0;
    for (z, zone) in ev.inst.prices.iter().enumerate() {
        close(
            zone.price_cny_per_kwh,
            mean(&|i: &Instance| i.prices[z].price_cny_per_kwh),
        );
    }
    close(
        ev.inst.targets["h200"].min,
        mean(&|i: &Instance| i.targets["h200"].min),
    );
}

#[test]
fn outcomes_from_a_sweep_plan_every_draw() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("h");
    let o = dcsite(&[
        "hedge",
        "models/small/rollout_2026.toml",
        "--outcomes-from",
        DRAWS_SWEEP,
        "--samples",
        "3",
        "--seed",
        "5",
        "--out",
        out.to_str().unwrap(),
        "--no-gpkg",
        "--no-report",
        "--quiet",
    ]);
    ok(&o, "hedge --outcomes-from");
    let h = read_json(&out.join("hedge.json"));
    let outcomes = h["outcomes"].as_array().unwrap();
    let names: Vec<&str> = outcomes
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["draw 0", "draw 1", "draw 2"]);
    let probs: Vec<f64> = outcomes
        .iter()
        .map(|o| o["probability"].as_f64().unwrap())
        .collect();
    close(probs.iter().sum(), 1.0);
    let costs: Vec<f64> = outcomes
        .iter()
        .map(|o| o["cost_cny"].as_f64().unwrap())
        .collect();
    let alpha = h["risk"]["alpha"].as_f64().unwrap();
    // Expected cost and CVaR from the outcomes' costs (rounded to 1 CNY each).
    let e: f64 = costs.iter().zip(&probs).map(|(c, p)| c * p).sum();
    assert!((h["expected_cost_cny"].as_f64().unwrap() - e).abs() <= 2.0);
    let cvar = cvar_by_definition(&costs, &probs, alpha);
    assert!((h["cvar_cny"].as_f64().unwrap() - cvar).abs() <= 2.0);
    let from = &h["outcomes_from"];
    assert_eq!(from["samples"].as_u64(), Some(3));
    assert_eq!(from["seed"].as_u64(), Some(5));
    assert_eq!(from["sweep"].as_str(), Some(DRAWS_SWEEP));
    // The averaged draws give an expected-value plan: the VSS is computed.
    assert_eq!(
        h["expected_value_plan"]["state"].as_str(),
        Some("evaluated")
    );
    assert!(h["vss_cny"].as_f64().is_some_and(|v| v >= 0.0));
    // Each outcome's own optimum: its draw solved on its own by `solve`.
    let sw = draws_sweep(3, 5);
    for (k, o) in outcomes.iter().enumerate() {
        let inst = sw.instance(k).unwrap().1;
        let plan = solve(&Prepared::new(inst), &SolveOptions::default()).expect("solves");
        let own = o["own_optimum_cny"].as_f64().unwrap();
        assert!(
            (own - plan.objective_cny).abs() <= 1e-4 * plan.objective_cny,
            "draw {k}: {own} against {}",
            plan.objective_cny
        );
        assert!(o["cost_cny"].as_f64().unwrap() >= own * (1.0 - 1e-4));
    }
}

#[test]
fn outcomes_from_errors_exit_2_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let rollout = root().join("models/small/rollout_2026.toml");
    let base = rollout.display().to_string();
    let sweep = |name: &str, text: &str| -> String {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let bad_key = sweep(
        "bad_key.toml",
        &format!("base = \"{base}\"\nsamples = 2\n[vary]\n\"parameters.utilisaton\" = {{ dist = \"uniform\", min = 0.5, max = 0.9 }}\n"),
    );
    let grid = sweep(
        "grid.toml",
        &format!("base = \"{base}\"\nsamples = 2\n[vary]\n\"parameters.domestic_share\" = {{ grid = [0.15, 0.2] }}\n"),
    );
    let with_outcomes = sweep(
        "with_outcomes.toml",
        &format!(
            "base = \"{}\"\nsamples = 2\n[vary]\n\"parameters.utilisation\" = {{ dist = \"uniform\", min = 0.5, max = 0.9 }}\n",
            root().join("models/supply_risk_2026.toml").display()
        ),
    );
    // A training cluster in some draws only: find a seed whose draw 0 has none.
    let mega_text = format!("base = \"{base}\"\nsamples = 2\nsampling = \"lhs\"\n[vary]\n\"parameters.mega_count\" = {{ dist = \"uniform\", min = 0, max = 1 }}\n");
    let mega = sweep("mega.toml", &mega_text);
    let mut sw = dcsite::study::sweep::read_sweep(Path::new(&mega)).expect("reads");
    let seed = (1..100u64)
        .find(|&s| {
            sw.seed = s;
            sw.draw(0)[0].as_integer() == Some(0) && sw.draw(1)[0].as_integer() == Some(1)
        })
        .expect("a seed with no cluster in draw 0")
        .to_string();
    let other = root()
        .join("models/small/baseline.toml")
        .display()
        .to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![&base, "--samples", "3"], "--outcomes-from"),
        (vec![&base, "--seed", "3"], "--outcomes-from"),
        (
            vec!["--outcomes-from", DRAWS_SWEEP, "--samples", "0"],
            "--samples",
        ),
        (
            vec!["--outcomes-from", DRAWS_SWEEP, "--samples", "x"],
            "--samples",
        ),
        (
            vec!["--outcomes-from", DRAWS_SWEEP, "--samples", "1001"],
            "--samples",
        ),
        (
            vec![&other, "--outcomes-from", DRAWS_SWEEP],
            "--outcomes-from: the scenario is the sweep's base",
        ),
        (vec!["--outcomes-from", &bad_key], "parameters.utilisaton"),
        (
            vec!["--outcomes-from", "models/small/sweeps/nowhere.toml"],
            "nowhere.toml",
        ),
        (vec!["--outcomes-from", &grid], "grid"),
        (vec!["--outcomes-from", &with_outcomes], "[[outcomes]]"),
        (
            vec!["--outcomes-from", &mega, "--seed", &seed],
            "\"draw 1\" has a training cluster",
        ),
        (vec![], "<SCENARIO>"),
    ];
    for (i, (flags, want)) in cases.iter().enumerate() {
        let out = tmp.path().join(format!("out{i}"));
        let mut args = vec!["hedge"];
        args.extend(flags.iter().copied());
        args.extend(["--out", out.to_str().unwrap(), "--no-gpkg"]);
        let o = dcsite(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{flags:?}: {err}");
        assert!(err.contains(want), "{flags:?}: {want:?} not in {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!out.exists(), "{flags:?} wrote {}", out.display());
    }
    // The errors of a sweep file name it.
    let o = dcsite(&[
        "hedge",
        "--outcomes-from",
        &grid,
        "--out",
        tmp.path().join("g").to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("grid.toml"));
}

// ---- The risk frontier (`--risk-frontier`) ----

#[test]
fn risk_frontier_of_two_outcomes_by_hand() {
    use dcsite::study::hedge::risk_frontier;
    // α = 0.5: CVaR of {a} = (0.4 × 663,200 + 0.1 × 312,800) / 0.5 = 593,120,
    // of {b} 488,000, of {a, b} (0.4 × 538,000 + 0.1 × 362,800) / 0.5 = 502,960.
    // E + λ·CVaR: {a, b} is the optimum up to λ = 55,120 / 14,960 ≈ 3.68,
    // then {b} (at λ = 5: 2,928,000 against 2,947,680 for {a, b}).
    let outcomes = two_outcomes();
    let h = hedge(&outcomes, None, NEUTRAL, &SolveOptions::default(), &|_| {}).expect("plans");
    let f = risk_frontier(
        &outcomes,
        &h,
        &[0.0, 1.0, 5.0],
        &SolveOptions::default(),
        &|_| {},
    )
    .expect("plans");
    assert_eq!(f.len(), 3);
    let want = [
        (432_880.0, 502_960.0, 432_880.0, vec![(0, 0), (1, 0)]),
        (432_880.0, 502_960.0, 935_840.0, vec![(0, 0), (1, 0)]),
        (488_000.0, 488_000.0, 2_928_000.0, vec![(1, 0)]),
    ];
    for (p, (e, cvar, obj, built)) in f.iter().zip(want) {
        close(p.expected_cny, e);
        close(p.cvar_cny, cvar);
        close(p.objective_cny, obj);
        assert_eq!(p.first_stage.built, built, "λ = {}", p.lambda);
        close(
            p.cvar_cny,
            cvar_by_definition(&p.costs_cny, &h.probabilities, 0.5),
        );
    }
    // At the hedge's own λ the point is its plan.
    close(f[0].objective_cny, h.plan.objective_cny);
}

#[test]
fn risk_frontier_on_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |name: &str, extra: &[&str]| -> std::path::PathBuf {
        let out = tmp.path().join(name);
        let mut args = vec![
            "hedge",
            "models/supply_risk_2026.toml",
            "--out",
            out.to_str().unwrap(),
            "--no-gpkg",
            "--quiet",
        ];
        args.extend_from_slice(extra);
        ok(&dcsite(&args), name);
        out
    };
    let plain = read_json(&run("plain", &[]).join("hedge.json"));
    let out = run("frontier", &["--risk-frontier", "4,0,0.25,1"]);
    let h = read_json(&out.join("hedge.json"));
    let probs: Vec<f64> = h["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["probability"].as_f64().unwrap())
        .collect();
    let alpha = h["risk"]["alpha"].as_f64().unwrap();
    let points = h["risk_frontier"].as_array().unwrap();
    let lambdas: Vec<f64> = points
        .iter()
        .map(|p| p["lambda"].as_f64().unwrap())
        .collect();
    assert_eq!(lambdas, [0.0, 0.25, 1.0, 4.0], "ascending");
    let rows = csv_rows(&out.join("frontier.csv"));
    assert_eq!(rows.len(), points.len());
    let mut last: Option<(f64, f64, f64)> = None;
    for (p, row) in points.iter().zip(&rows) {
        let f = |k: &str| p[k].as_f64().unwrap();
        let costs: Vec<f64> = p["costs_cny"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_f64().unwrap())
            .collect();
        // Expected cost and CVaR from the point's own per-outcome costs.
        let e: f64 = costs.iter().zip(&probs).map(|(c, q)| c * q).sum();
        let cvar = cvar_by_definition(&costs, &probs, alpha);
        assert!((f("expected_cost_cny") - e).abs() <= 2.0, "{p}");
        assert!((f("cvar_cny") - cvar).abs() <= 2.0, "{p}");
        assert!((f("objective_cny") - (e + f("lambda") * cvar)).abs() <= 1e-6 * f("objective_cny"));
        // frontier.csv says the same.
        let num = |k: &str| row[k].parse::<f64>().unwrap();
        assert_eq!(num("lambda"), f("lambda"));
        assert_eq!(num("expected_cny"), f("expected_cost_cny"));
        assert_eq!(num("cvar_cny"), f("cvar_cny"));
        assert_eq!(num("objective_cny"), f("objective_cny"));
        let sites: Vec<&str> = p["sites"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        assert_eq!(row["sites_built_now"], sites.join(";"));
        // Along increasing λ: expected cost up, CVaR down (within the gap).
        let gap = f("mip_gap").max(1e-4) * f("objective_cny");
        if let Some((_, e0, c0)) = last {
            assert!(
                f("expected_cost_cny") >= e0 - gap,
                "expected cost falls at {p}"
            );
            assert!(f("cvar_cny") <= c0 + gap, "CVaR rises at {p}");
        }
        last = Some((f("lambda"), f("expected_cost_cny"), f("cvar_cny")));
    }
    // The point at the scenario's λ (0) is the plain run; so are the folder's figures.
    let p0 = &points[0];
    for (pk, hk) in [
        ("expected_cost_cny", "expected_cost_cny"),
        ("cvar_cny", "cvar_cny"),
        ("objective_cny", "objective_cny"),
    ] {
        assert_eq!(p0[pk], plain[hk], "{pk}");
        assert_eq!(h[hk], plain[hk], "{hk}");
    }
    let plain_sites: Vec<&str> = plain["first_stage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["site_id"].as_str().unwrap())
        .collect();
    assert_eq!(p0["sites"].as_array().unwrap().len(), plain_sites.len());
    assert!(p0["sites"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&plain_sites)
        .all(|(a, b)| a == b));
    assert_eq!(h["risk"]["lambda"].as_f64(), Some(0.0));
    // models/README.md reads the frontier's λ = 4 point and the regrets of
    // the two allocations the shared sites cost.
    let readme = std::fs::read_to_string(root().join("models/README.md")).unwrap();
    let bn = |x: f64| format!("{:.2} bn CNY", x / 1e9);
    let p4 = &points[3];
    let f4 = |k: &str| p4[k].as_f64().unwrap();
    let f0 = |k: &str| p0[k].as_f64().unwrap();
    assert_eq!(f4("lambda"), 4.0);
    assert!(p4["sites"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "horinger"));
    for want in [
        bn(f4("expected_cost_cny")),
        bn(f4("cvar_cny")),
        bn(f4("expected_cost_cny") - f0("expected_cost_cny")),
        bn(f0("cvar_cny") - f4("cvar_cny")),
    ] {
        assert!(readme.contains(&want), "models/README.md lacks {want}");
    }
    for o in plain["outcomes"].as_array().unwrap() {
        let regret = o["regret_cny"].as_f64().unwrap();
        let name = o["name"].as_str().unwrap();
        if name.contains("500k") || name.contains("600k") {
            assert!(
                readme.contains(&bn(regret)),
                "models/README.md lacks {name}'s regret {}",
                bn(regret)
            );
        } else {
            assert!(regret < 0.005e9, "{name}: {regret}");
        }
    }
    assert_eq!(
        plain["plan_files_outcome"].as_str(),
        Some("withdrawn after three months")
    );
    // The page draws a point per distinct (expected, CVaR) and the table a row per λ.
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(page.contains("id=\"hedge-frontier\""));
    let mut distinct: Vec<(i64, i64)> = points
        .iter()
        .map(|p| {
            let r = |k: &str| (p[k].as_f64().unwrap() / 1e7).round() as i64;
            (r("cvar_cny"), r("expected_cost_cny"))
        })
        .collect();
    distinct.dedup();
    assert_eq!(
        page.matches("class=\"frontier-point\"").count(),
        distinct.len()
    );
    let table = page.split("id=\"hedge-frontier-table\"").nth(1).unwrap();
    let table = table.split("</table>").next().unwrap();
    assert_eq!(table.matches("<tr>").count(), 1 + points.len());
}

#[test]
fn bad_risk_frontier_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    for (i, bad) in ["-1", "0,x", "0,,1", "", "0,inf", "nan"].iter().enumerate() {
        let out = tmp.path().join(format!("o{i}"));
        let o = dcsite(&[
            "hedge",
            "models/supply_risk_2026.toml",
            "--risk-frontier",
            bad,
            "--out",
            out.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {err}");
        assert!(err.contains("--risk-frontier"), "{bad:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!out.exists(), "{bad:?} wrote a folder");
    }
}

#[test]
fn models_readme_draws_figures_are_the_measured_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("h");
    let o = dcsite(&[
        "hedge",
        "--outcomes-from",
        DRAWS_SWEEP,
        "--samples",
        "20",
        "--out",
        out.to_str().unwrap(),
        "--no-gpkg",
        "--quiet",
    ]);
    ok(&o, "hedge --outcomes-from rollout_uncertainty");
    // Twenty outcomes are drawn as a histogram: at most 12 bins whose
    // probabilities sum to 1, no bar per outcome.
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(page.matches("<rect class=\"outcome\"").count(), 0);
    let bins: Vec<f64> = page
        .split("<rect class=\"bin\"")
        .skip(1)
        .map(|r| {
            let t = r
                .split("<title>")
                .nth(1)
                .unwrap()
                .split("</title>")
                .next()
                .unwrap();
            t.rsplit("p = ").next().unwrap().parse::<f64>().unwrap()
        })
        .collect();
    assert!((1..=12).contains(&bins.len()), "{} bins", bins.len());
    close(bins.iter().sum(), 1.0);
    let h = read_json(&out.join("hedge.json"));
    let readme = std::fs::read_to_string(root().join("models/README.md")).unwrap();
    let bn = |x: f64| format!("{:.2} bn CNY", x / 1e9);
    let costs: Vec<f64> = h["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["cost_cny"].as_f64().unwrap())
        .collect();
    assert_eq!(costs.len(), 20);
    let lo = costs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = costs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    for want in [
        bn(h["expected_cost_cny"].as_f64().unwrap()),
        bn(h["cvar_cny"].as_f64().unwrap()),
        bn(h["evpi_cny"].as_f64().unwrap()),
        format!("from {:.2} to {}", lo / 1e9, bn(hi)),
    ] {
        assert!(readme.contains(&want), "models/README.md lacks {want}");
    }
    // The VSS is below the gap, as the README says.
    let vss = h["vss_cny"].as_f64().unwrap();
    assert!(vss < 0.005e9, "VSS {vss}");
    let sites: Vec<&str> = h["first_stage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["site_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        sites,
        ["zhangbei", "ulanqab", "horinger", "zhongwei", "guian", "shaoguan", "wuhu"]
    );
}
