//! Hall start months as decisions (`parameters.hall_start_step_months`):
//! a new hall may start later than month 0, on a grid of months, and its
//! site's fixed cost is paid at its start. In one plan the hall starts at
//! the latest grid month still in time; in a two-stage plan the start is
//! decided now and shared by the outcomes. Checked against hand
//! computations, against the month-0 plan's latest starts, and by
//! enumerating every start month with the first stage fixed.

use crate::common::*;
use dcsite::domain::*;
use dcsite::milp::Prepared;
use dcsite::solve::stochastic::{solve_two_stage, FirstStage, Outcome, Risk};
use dcsite::solve::{solve, Explain, SolveOptions, Status};
use dcsite::study::hedge::{hedge, OutcomeIn};

const NEUTRAL: Risk = Risk {
    alpha: 0.5,
    lambda: 0.0,
};

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "{a} != {b}");
}

/// Fixed cost of site a, CNY.
const FIXED: f64 = 200_000.0;
/// Discount rate: a month's deferral is worth something.
const RATE: f64 = 0.12;

/// Site a (new, fixed cost [`FIXED`], a 3-month grid lead, 0.3 CNY/kWh)
/// and site b (an existing hall, in service at month 0, 1.0 CNY/kWh); 100
/// one-kW cards delivered at `month`, installed within 30 days; one year at
/// [`RATE`]; hall starts decided on a one-month grid.
fn instance(month: f64) -> Instance {
    let mut inst = two_sites(100.0, 0.3, 1.0);
    inst.sites[0].fixed_cost_cny = FIXED;
    inst.sites[0].grid_lead_months = 3.0;
    inst.sites[1].status = SiteStatus::Existing;
    inst.params.discount_rate = RATE;
    inst.params.hall_start_step_months = 1.0;
    inst.deliveries = vec![Delivery {
        month,
        accel: "h200".into(),
        min_cards: 100.0,
        max_cards: 100.0,
    }];
    inst
}

/// Present value of 1 CNY at `month`.
fn disc(month: f64) -> f64 {
    (1.0 + RATE).powf(-month / 12.0)
}

/// Net present cost of a year of 100 kW at `price`, counted at the
/// delivery month `month` (the annuity of one year at [`RATE`]).
fn energy(price: f64, month: f64) -> f64 {
    100.0 * 8760.0 * price / (1.0 + RATE) * disc(month)
}

/// Two outcomes: the cards come in February (month 2, installed by 3: a
/// needs its hall started at month 0) with probability `q`, else in
/// August (month 8, installed by 9: a's hall may start as late as month 6).
fn outcomes(q: f64) -> Vec<OutcomeIn> {
    vec![
        OutcomeIn {
            name: "early".into(),
            probability: q,
            p: Prepared::new(instance(2.0)),
        },
        OutcomeIn {
            name: "late".into(),
            probability: 1.0 - q,
            p: Prepared::new(instance(8.0)),
        },
    ]
}

/// The expected cost of each first stage by hand: (a's start month or
/// `None` for a not built, expected cost).
fn by_hand(q: f64) -> Vec<(Option<f64>, f64)> {
    // Started at 0: a serves both outcomes and its fixed cost is paid now.
    let now = FIXED + q * energy(0.3, 2.0) + (1.0 - q) * energy(0.3, 8.0);
    // Started at s in 1..=6: too late for February (b's dear power then),
    // in time for August; the fixed cost is paid at s: s = 6 is the best.
    let late = FIXED * disc(6.0) + q * energy(1.0, 2.0) + (1.0 - q) * energy(0.3, 8.0);
    // Not built: b serves both.
    let never = q * energy(1.0, 2.0) + (1.0 - q) * energy(1.0, 8.0);
    vec![(Some(0.0), now), (Some(6.0), late), (None, never)]
}

fn best(q: f64) -> (Option<f64>, f64) {
    by_hand(q)
        .into_iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("three first stages")
}

/// The two-stage plan of the two outcomes at `q`, risk-neutral.
fn hedged(q: f64) -> dcsite::study::hedge::Hedge {
    hedge(
        &outcomes(q),
        None,
        NEUTRAL,
        &SolveOptions::default(),
        &|_| {},
    )
    .expect("plans")
}

#[test]
fn a_likely_early_delivery_starts_the_hall_now_by_hand() {
    // q = 0.5: 423,912 CNY with the hall started now, against 681,522
    // started at month 6 and 746,374 never built.
    let (start, cost) = best(0.5);
    assert_eq!(start, Some(0.0));
    let h = hedged(0.5);
    assert_eq!(h.plan.status, Status::Optimal);
    close(h.plan.objective_cny, cost);
    assert_eq!(h.plan.first_stage.built, vec![(0, 0), (1, 0)]);
    assert_eq!(h.plan.first_stage.hall_start, vec![(0, 0.0)]);
    for plan in &h.plan.plans {
        let a = &plan.sites[0];
        assert!(a.hall_start_decided);
        assert_eq!(a.hall_start_month, Some(0.0));
        assert_eq!(a.ready_month, Some(3.0));
        assert_eq!(a.cards[0], 100, "a serves both outcomes");
    }
    // Each outcome alone: February starts at 0; August defers to month 6.
    close(h.plan.costs_cny[0], FIXED + energy(0.3, 2.0));
    close(h.plan.costs_cny[1], FIXED + energy(0.3, 8.0));
    let own: f64 = 0.5 * (FIXED + energy(0.3, 2.0)) + 0.5 * (FIXED * disc(6.0) + energy(0.3, 8.0));
    close(h.evpi_cny, cost - own);
}

#[test]
fn an_unlikely_early_delivery_defers_the_hall_by_hand() {
    // q = 0.01: deferring the 200,000 CNY to month 6 saves 11,018 in every
    // outcome, and costs 0.01 × 537,256 (February on b's dear power).
    let (start, cost) = best(0.01);
    assert_eq!(start, Some(6.0));
    let h = hedged(0.01);
    close(h.plan.objective_cny, cost);
    assert_eq!(h.plan.first_stage.hall_start, vec![(0, 6.0)]);
    // February: a is built (its hall started) but not ready; b takes the cards.
    let early = &h.plan.plans[0];
    assert!(early.sites[0].built);
    assert_eq!(early.sites[0].hall_start_month, Some(6.0));
    assert_eq!(early.sites[0].cards[0], 0);
    assert_eq!(early.sites[1].cards[0], 100);
    assert_eq!(h.plan.plans[1].sites[0].cards[0], 100);
}

#[test]
fn every_start_month_enumerated_gives_the_same_optimum() {
    // The two-stage optimum against the first stage fixed at each start
    // month of a's hall (0 to 9, the deadline less the lead), and a not built.
    for q in [0.5, 0.01] {
        let outs = outcomes(q);
        let views: Vec<Outcome> = outs
            .iter()
            .map(|o| Outcome {
                p: &o.p,
                probability: o.probability,
            })
            .collect();
        let opts = SolveOptions::default();
        let optimum = solve_two_stage(&views, NEUTRAL, &opts, None)
            .expect("plans")
            .objective_cny;
        let mut costs = Vec::new();
        for s in 0..=9 {
            let fs = FirstStage {
                built: vec![(0, 0), (1, 0)],
                hall_start: vec![(0, f64::from(s))],
                ..FirstStage::default()
            };
            let fixed = solve_two_stage(&views, NEUTRAL, &opts, Some(&fs)).expect("fixed");
            // By hand: a serves February only from a start at 0.
            let hand = FIXED * disc(f64::from(s))
                + q * energy(if s == 0 { 0.3 } else { 1.0 }, 2.0)
                + (1.0 - q) * energy(if s <= 6 { 0.3 } else { 1.0 }, 8.0);
            close(fixed.objective_cny, hand);
            costs.push(fixed.objective_cny);
        }
        let without = FirstStage {
            built: vec![(1, 0)],
            ..FirstStage::default()
        };
        costs.push(
            solve_two_stage(&views, NEUTRAL, &opts, Some(&without))
                .expect("b alone")
                .objective_cny,
        );
        let least = costs.iter().copied().fold(f64::INFINITY, f64::min);
        close(optimum, least);
    }
}

#[test]
fn one_plan_defers_each_hall_to_its_latest_start() {
    // The small rollout: each new hall starts at the latest grid month still
    // in time (the month-0 plan's latest start, whole months), and the plan
    // costs the month-0 plan less each site's fixed cost deferred to it.
    let sc = dcsite::data::scenario::load_scenario(&root().join("models/small/rollout_2026.toml"))
        .expect("loads");
    let (inst0, _) = dcsite::data::load::load_tables(&sc).expect("tables");
    let mut inst = inst0.clone();
    inst.params.hall_start_step_months = 1.0;
    let opts = SolveOptions {
        explain: Explain::PlanOnly,
        mip_gap: Some(1e-9),
        ..SolveOptions::default()
    };
    let plan0 = solve(&Prepared::new(inst0.clone()), &opts).expect("month-0 plan");
    let plan = solve(&Prepared::new(inst), &opts).expect("plan with start months");
    let built = |p: &dcsite::plan::Plan| -> Vec<(usize, Option<usize>)> {
        p.sites
            .iter()
            .filter(|s| s.built)
            .map(|s| (s.site, s.cooling))
            .collect()
    };
    assert_eq!(built(&plan0), built(&plan));
    let mut saving = 0.0;
    let mut deferred = 0;
    for (s0, s1) in plan0.sites.iter().zip(&plan.sites) {
        let site = &inst0.sites[s0.site];
        if !s1.built || site.status == SiteStatus::Existing {
            assert!(!s1.hall_start_decided, "{}: no decision", site.id);
            continue;
        }
        let latest = s0.hall_start_month.expect("a new site's hall").floor();
        assert!(s1.hall_start_decided, "{}", site.id);
        assert_eq!(s1.hall_start_month, Some(latest), "{}", site.id);
        saving += site.fixed_cost_cny * (1.0 - inst0.params.discount_at_month(latest));
        deferred += 1;
    }
    assert!(deferred > 0, "the rollout builds a new site");
    let rel = (plan0.objective_cny - saving - plan.objective_cny).abs() / plan.objective_cny;
    assert!(
        rel <= 2e-9,
        "{} − {saving} != {}",
        plan0.objective_cny,
        plan.objective_cny
    );
}

#[test]
fn l_shaped_with_start_months_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sc = extending(
        dir.path(),
        "models/supply_risk_2026.toml",
        "[parameters]\nhall_start_step_months = 1\n",
    );
    let out = dir.path().join("out");
    let r = bin()
        .args([
            "hedge",
            sc.to_str().unwrap(),
            "--method",
            "l-shaped",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("parameters.hall_start_step_months") && err.contains("--method extensive"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn sites_geojson_marks_the_decided_start_and_the_folder_reports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sc = extending(
        dir.path(),
        "models/small/rollout_2026.toml",
        "name = \"starts\"\n[parameters]\nhall_start_step_months = 1\n",
    );
    let (r, out) = solve_into(dir.path(), &sc);
    ok(&r, "solve with start months");
    let sites = read_json(&out.join("sites.geojson"));
    let mut decided = 0;
    for f in sites["features"].as_array().expect("features") {
        let p = &f["properties"];
        if p["built"].as_bool() != Some(true) {
            continue;
        }
        let existing = p["status"].as_str() == Some("existing");
        assert_eq!(
            p["hall_start_decided"].as_bool(),
            Some(!existing),
            "{}: decided where the site is new",
            p["site_id"]
        );
        if !existing {
            decided += 1;
            // Ready its lead time after the decided start.
            let start = p["hall_start_month"].as_f64().expect("a start");
            assert!(p["ready_month"].as_f64().expect("ready") > start);
        }
    }
    assert!(decided > 0, "the small rollout builds a new site");
    let r = bin()
        .arg("report")
        .arg(&out)
        .arg("--force")
        .output()
        .expect("runs");
    ok(&r, "report on the folder");
}

/// `starts.toml` in `dir`: the shipped scenario `base` extended by `body`.
fn extending(dir: &std::path::Path, base: &str, body: &str) -> std::path::PathBuf {
    let sc = dir.join("starts.toml");
    let text = format!("extends = \"{}\"\n{body}", root().join(base).display());
    std::fs::write(&sc, text).expect("writes");
    sc
}

/// `dcsite solve` (no GeoPackage) of `sc` into `dir/out`: its output and that folder.
fn solve_into(
    dir: &std::path::Path,
    sc: &std::path::Path,
) -> (std::process::Output, std::path::PathBuf) {
    let out = dir.join("out");
    let r = bin()
        .args(["solve", sc.to_str().unwrap(), "--no-gpkg", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    (r, out)
}

/// The small rollout with a "front-loaded" outcome (probability 0.3):
/// `cards` H200 more in `month`, December's maximum 320,000; hall start
/// months decided monthly when `starts`.
fn front_loaded(dir: &std::path::Path, month: u32, cards: u32, starts: bool) -> std::path::PathBuf {
    let sc = dir.join("front.toml");
    std::fs::write(
        &sc,
        format!(
            r#"extends = "{}"
name = "front"
[parameters]
hall_start_step_months = {}
[[outcomes]]
name = "as planned"
probability = 0.7
[[outcomes]]
name = "front-loaded"
probability = 0.3
[[outcomes.deliveries]]
month = 1
accelerator = "h200"
min_cards = 40000
max_cards = 80000
[[outcomes.deliveries]]
month = 2
accelerator = "h200"
cards = 100000
[[outcomes.deliveries]]
month = {month}
accelerator = "h200"
cards = {cards}
[[outcomes.deliveries]]
month = 11
accelerator = "h200"
min_cards = 120000
max_cards = 320000
"#,
            root().join("models/small/rollout_2026.toml").display(),
            u8::from(starts)
        ),
    )
    .expect("writes");
    sc
}

#[test]
fn hedge_says_which_start_is_decided_now() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sc = front_loaded(dir.path(), 8, 60_000, true);
    let out = dir.path().join("out");
    let r = bin()
        .args(["hedge", sc.to_str().unwrap(), "--no-gpkg", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    ok(&r, "hedge with start months");
    let h = read_json(&out.join("hedge.json"));
    let html = std::fs::read_to_string(out.join("report.html")).expect("report");
    let text = String::from_utf8_lossy(&r.stdout);
    let mut decided = 0;
    for site in h["first_stage"].as_array().expect("sites") {
        let name = site["name_en"].as_str().expect("name");
        match (
            site["start_decided"].as_bool(),
            site["start_hall_by"].as_str(),
        ) {
            (Some(true), Some(m)) => {
                decided += 1;
                assert!(html.contains(&format!("in {m} (decided now)")), "{name}");
                assert!(
                    text.contains(&format!("start its new hall in {m}, not before"))
                        || text.contains(&format!("start its new hall now ({m}")),
                    "{name}: {text}"
                );
            }
            (_, Some(m)) => assert!(html.contains(&format!("by {m}")), "{name}"),
            (_, None) => {}
        }
    }
    assert!(decided > 0, "a new site's start is decided");
}

#[test]
fn an_outcome_with_no_plan_of_its_own_is_named_with_its_diagnosis() {
    // 200,000 H200 in June need 434 MW installed by July: more than the
    // halls in service and those that can be ready by then.
    let dir = tempfile::tempdir().expect("tempdir");
    let sc = front_loaded(dir.path(), 6, 200_000, false);
    let out = dir.path().join("out");
    let r = bin()
        .args(["hedge", sc.to_str().unwrap(), "--no-gpkg", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert_eq!(r.status.code(), Some(3), "infeasible");
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("outcome \"front-loaded\" on its own: the scenario is infeasible")
            && err.contains("month 6"),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
}

/// `body` added to `base` is refused: `dcsite solve` exits 2 with every one of
/// `wants` in its message (which names the file, row and key), without a
/// panic, writes no output folder, leaves the scenario as it was and nothing
/// else beside it (not even the output's lock file: a run that commits
/// nothing removes it).
fn refused(base: &str, body: &str, wants: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let sc = extending(dir.path(), base, body);
    let before = std::fs::read(&sc).expect("reads");
    let (r, out) = solve_into(dir.path(), &sc);
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("starts.toml: row 3, column parameters.hall_start_step_months")
            && wants.iter().all(|w| err.contains(w)),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(!out.exists());
    assert_eq!(std::fs::read(&sc).expect("reads"), before);
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("starts.toml")]);
}

#[test]
fn a_start_step_out_of_range_exits_2_naming_file_row_and_key() {
    refused(
        "models/small/rollout_2026.toml",
        "[parameters]\nhall_start_step_months = 121\n",
        &["from 0 to 120 months, found 121"],
    );
}

/// Without `[[deliveries]]` there is no start month to decide: the key is
/// refused, not silently without effect.
#[test]
fn a_start_step_without_deliveries_exits_2_naming_the_key() {
    refused(
        "models/small/baseline.toml",
        "[parameters]\nhall_start_step_months = 2\n",
        &[
            "expected 0 without [[deliveries]]",
            "found 2 and no [[deliveries]]",
        ],
    );
}
