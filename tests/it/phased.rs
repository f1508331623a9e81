//! Issue 14, section 3: phased deliveries (`[[deliveries]]`). Hand-checkable
//! models (a hall not ready gets no early cards; the install window decides
//! where a delivery goes; one delivery reproduces the single-period plan),
//! the baseline without deliveries and with one delivery that reproduces it,
//! the shipped `rollout_2026` checked from its files against the tables
//! (every period's cards within its deliveries, the IT each site has ready
//! then, the dual-track share of every period), and bad `[[deliveries]]`
//! named by key.

use crate::common;

use std::collections::HashMap;
use std::path::Path;

use common::*;
use dcsite::domain::*;
use dcsite::milp::Prepared;
use dcsite::report::html::fmt_int;
use dcsite::solve::{solve, Plan, SolveError, SolveOptions, Status};

fn run(inst: Instance) -> (Prepared, Plan) {
    let p = Prepared::new(inst);
    let plan = solve(&p, &SolveOptions::default()).expect("solves");
    assert_eq!(plan.status, Status::Optimal);
    (p, plan)
}

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "{a} != {b}");
}

fn delivery(month: f64, cards: f64) -> Delivery {
    Delivery {
        month,
        accel: "h200".into(),
        min_cards: cards,
        max_cards: cards,
    }
}

/// Site a (0.5 CNY/kWh) is in service at month 0; site b (0.3 CNY/kWh) is a
/// new hall ready after a 6-month grid connection. 100 cards in all.
fn in_service_and_new_hall() -> Instance {
    let mut inst = two_sites(100.0, 0.5, 0.3);
    inst.sites[0].status = SiteStatus::Existing;
    inst.sites[1].grid_lead_months = 6.0;
    inst
}

#[test]
fn a_hall_not_ready_gets_no_early_cards_and_later_costs_are_discounted() {
    let mut inst = in_service_and_new_hall();
    inst.params.discount_rate = 0.1;
    inst.params.install_days = 0.0;
    inst.deliveries = vec![delivery(0.0, 60.0), delivery(6.0, 40.0)];
    let (_, plan) = run(inst);
    // Month 0: only a has IT; month 6: b is ready and cheaper.
    assert_eq!(plan.sites[0].cards, vec![60]);
    assert_eq!(plan.sites[1].cards, vec![40]);
    // One year at 10 %: AF = 1/1.1; 8760 kWh a year per 1-kW card; b's
    // cards cost at month 6, discounted by 1.1^-0.5.
    let af = 1.0 / 1.1;
    close(
        plan.objective_cny,
        af * 8760.0 * (60.0 * 0.5 + 40.0 * 0.3 * 1.1f64.powf(-0.5)),
    );
    let s = plan.schedule.as_ref().expect("a schedule");
    assert_eq!(s.periods.len(), 2);
    assert_eq!(s.cards_by_period(1), vec![vec![60], vec![40]]);
    assert_eq!(plan.sites[0].ready_month, Some(0.0));
    assert_eq!(plan.sites[1].ready_month, Some(6.0));
    // b's hall must start at once to be ready for month 6; a needs none.
    assert_eq!(plan.sites[1].hall_start_month, Some(0.0));
    assert_eq!(plan.sites[0].hall_start_month, None);
    assert_eq!(plan.sites[0].cards_by_period, vec![60, 60]);
    assert_eq!(plan.sites[1].cards_by_period, vec![0, 40]);
}

#[test]
fn the_install_window_decides_where_a_delivery_goes() {
    // 40 cards arrive at month 5; b is ready at month 6.
    let at = |days: f64| {
        let mut inst = in_service_and_new_hall();
        inst.params.install_days = days;
        inst.deliveries = vec![delivery(0.0, 60.0), delivery(5.0, 40.0)];
        run(inst).1
    };
    // 30 days (one month of the plan): installed by month 6, at b.
    let plan = at(30.0);
    assert_eq!(plan.sites[1].cards, vec![40]);
    close(plan.objective_cny, 8760.0 * (60.0 * 0.5 + 40.0 * 0.3));
    // 29 days: b is not ready in time, so everything goes to a.
    let plan = at(29.0);
    assert_eq!(plan.sites[0].cards, vec![100]);
    assert!(!plan.sites[1].built);
    close(plan.objective_cny, 8760.0 * 100.0 * 0.5);
}

#[test]
fn no_ready_hall_for_a_delivery_is_infeasible_and_says_which_delivery() {
    let mut inst = in_service_and_new_hall();
    inst.sites[0].status = SiteStatus::Candidate;
    inst.sites[0].grid_lead_months = 3.0;
    inst.params.install_days = 0.0;
    inst.deliveries = vec![delivery(1.0, 60.0), delivery(6.0, 40.0)];
    inst.targets.insert(
        "h200".into(),
        Target {
            min: 40.0,
            max: Some(100.0),
        },
    );
    let p = Prepared::new(inst);
    match solve(&p, &SolveOptions::default()) {
        Err(SolveError::Infeasible {
            relaxations,
            reasons,
            ..
        }) => {
            let text = relaxations.join("\n");
            let reasons = reasons.join("\n");
            assert!(
                reasons.contains("up to month 1 need at least 0.06 MW of IT installed by month 1")
                    && reasons.contains("only 0.00 MW is ready"),
                "{reasons}"
            );
            assert!(
                text.contains("lower the h200 delivery of month 1 by 60 cards"),
                "{text}"
            );
        }
        other => panic!("expected infeasible, got {other:?}"),
    }
}

#[test]
fn one_delivery_without_install_window_reproduces_the_single_period_plan() {
    // Every site in service: one delivery at month 0, installed at once,
    // is the single-period model.
    let base = || {
        let mut inst = two_sites(100.0, 0.5, 0.3);
        for s in &mut inst.sites {
            s.status = SiteStatus::Existing;
            s.max_it_mw = 0.06;
        }
        inst.params.discount_rate = 0.08;
        inst
    };
    let (_, single) = run(base());
    let mut inst = base();
    inst.params.install_days = 0.0;
    inst.deliveries = vec![delivery(0.0, 100.0)];
    let (_, phased) = run(inst);
    close(phased.objective_cny, single.objective_cny);
    for (a, b) in phased.sites.iter().zip(&single.sites) {
        assert_eq!((a.cards.clone(), a.cooling), (b.cards.clone(), b.cooling));
    }
    assert!(single.schedule.is_none());
}

/// Site id → (cards by accelerator id, cooling) of a sites.geojson.
fn site_cards(dir: &Path) -> HashMap<String, (u64, u64, String)> {
    features(&dir.join("sites.geojson"))
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (
                p["site_id"].as_str().unwrap().to_string(),
                (
                    p["cards_h200"].as_u64().unwrap(),
                    p["cards_ascend_910c"].as_u64().unwrap(),
                    p["cooling"].as_str().unwrap_or("").to_string(),
                ),
            )
        })
        .collect()
}

/// `dcsite solve <scenario> --out <out> --quiet [extra…]`, which must succeed.
fn solve_ok(scenario: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "solve",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    ok(&dcsite(&args), &format!("solve {}", scenario.display()));
}

#[test]
fn baseline_without_deliveries_is_todays_plan_and_one_delivery_reproduces_it() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    solve_ok(&root().join("models/small/baseline.toml"), &base, &[]);
    // No deliveries: no schedule anywhere.
    assert!(!base.join("schedule.csv").exists());
    let summary = read_json(&base.join("summary.json"));
    assert!(summary["schedule"].is_null());
    for f in features(&base.join("sites.geojson")) {
        let p = f["properties"].as_object().unwrap();
        assert!(!p.contains_key("ready_month") && !p.contains_key("cards_by_month"));
    }
    // All of the year's cards in one delivery at month 0, installed within
    // the 12-month deadline (360 days): the single-period model.
    let one = tmp.path().join("one.toml");
    std::fs::write(
        &one,
        format!(
            "extends = {:?}\nname = \"one_delivery\"\n[parameters]\ninstall_days = 360\n\
             [[deliveries]]\nmonth = 0\naccelerator = \"h200\"\nmin_cards = 500000\nmax_cards = 600000\n",
            root().join("models/small/baseline.toml")
        ),
    )
    .unwrap();
    let out = tmp.path().join("one");
    ok(
        &dcsite(&[
            "solve",
            one.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
        ]),
        "one delivery",
    );
    let phased = read_json(&out.join("summary.json"));
    let (a, b) = (
        phased["objective_cny"].as_f64().unwrap(),
        summary["objective_cny"].as_f64().unwrap(),
    );
    assert!((a - b).abs() <= 1e-6 * b, "{a} against {b}");
    assert_eq!(site_cards(&out), site_cards(&base));
    // Its schedule holds every card of the plan in its one period.
    let periods = phased["schedule"]["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 1);
    assert_eq!(
        periods[0]["cards_installed"]["h200"],
        summary["cards_by_accelerator"]["h200"]
    );
}

fn num(row: &HashMap<String, String>, col: &str) -> f64 {
    row[col]
        .parse()
        .unwrap_or_else(|_| panic!("{col}: {:?}", row[col]))
}

#[test]
fn rollout_2026_installs_february_only_where_halls_are_ready() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rollout");
    solve_ok(&root().join("models/small/rollout_2026.toml"), &out, &[]);
    let v = dcsite(&[
        "validate",
        root()
            .join("models/small/rollout_2026.toml")
            .to_str()
            .unwrap(),
    ]);
    ok(&v, "validate rollout_2026");
    assert!(String::from_utf8_lossy(&v.stdout).contains(
        "deliveries (installed within 30 days): month 1: 40000-80000 h200, \
         month 2: 100000 h200, month 11: 320000-460000 h200"
    ));
    // The tables, read independently of the loader.
    let table = |name: &str| csv_rows(&root().join("data/small").join(name));
    let sites: HashMap<String, HashMap<String, String>> = table("sites.csv")
        .into_iter()
        .map(|r| (r["site_id"].clone(), r))
        .collect();
    let cooling_lead: HashMap<String, f64> = table("cooling.csv")
        .iter()
        .map(|r| (r["cooling_id"].clone(), num(r, "lead_months")))
        .collect();
    let accels: HashMap<String, (f64, f64, String)> = table("accelerators.csv")
        .iter()
        .map(|r| {
            (
                r["accel_id"].clone(),
                (
                    num(r, "server_kw"),
                    num(r, "cards_per_server"),
                    r["origin"].clone(),
                ),
            )
        })
        .collect();
    // IT in service at month 0, as the scenario's [set] says.
    let scenario = std::fs::read_to_string(root().join("models/small/rollout_2026.toml")).unwrap();
    let in_service: HashMap<String, f64> = scenario
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once('=')?;
            let k = k.trim().trim_matches('"');
            let site = k.strip_prefix("sites.")?.strip_suffix(".ready_it_mw")?;
            Some((site.to_string(), v.trim().parse().ok()?))
        })
        .collect();
    assert_eq!(in_service.len(), 6);

    let schedule = csv_rows(&out.join("schedule.csv"));
    assert!(!schedule.is_empty());
    // Months are whole: written as integers, empty where a site has no new hall.
    for r in &schedule {
        for col in [
            "month",
            "installed_by_month",
            "ready_month",
            "hall_start_month",
        ] {
            let cell = &r[col];
            assert!(
                cell.chars().all(|c| c.is_ascii_digit()),
                "{col}: {cell:?} is not a whole month"
            );
            assert!(!cell.is_empty() || col == "hall_start_month", "{col} empty");
        }
    }
    let geo: HashMap<String, serde_json::Value> = features(&out.join("sites.geojson"))
        .into_iter()
        .map(|f| (f["properties"]["site_id"].as_str().unwrap().into(), f))
        .collect();
    // Periods: delivery month → cards per accelerator.
    let mut months: Vec<f64> = schedule.iter().map(|r| num(r, "month")).collect();
    months.sort_by(f64::total_cmp);
    months.dedup();
    assert_eq!(months, vec![1.0, 2.0, 11.0]);
    let per = |m: f64, acc: &str| -> f64 {
        schedule
            .iter()
            .filter(|r| num(r, "month") == m && r["accelerator"] == acc)
            .map(|r| num(r, "cards"))
            .sum()
    };
    // The deliveries: February 40k-80k, Q1 +100k, December the rest of 500k-600k.
    assert!((40_000.0..=80_000.0).contains(&per(1.0, "h200")));
    assert_eq!(per(2.0, "h200"), 100_000.0);
    assert!((320_000.0..=460_000.0).contains(&per(11.0, "h200")));
    let total: f64 = months.iter().map(|&m| per(m, "h200")).sum();
    assert!((500_000.0..=600_000.0).contains(&total));
    // The dual-track share of every period's installed cards.
    let (mut dom, mut all) = (0.0, 0.0);
    for &m in &months {
        for (id, (_, _, origin)) in &accels {
            let c = per(m, id);
            all += c;
            if origin == "domestic" {
                dom += c;
            }
        }
        assert!(dom >= 0.2 * all - 1e-6, "month {m}: {dom} of {all}");
    }
    // Every site's IT installed by each period within what it has ready:
    // its in-service IT before its new hall's lead time, all of it after.
    let mut it_by: HashMap<(String, u64), f64> = HashMap::new();
    for r in &schedule {
        let (kw, _, _) = accels[&r["accelerator"]];
        for &m in months.iter().filter(|&&m| m >= num(r, "month")) {
            *it_by.entry((r["site_id"].clone(), m as u64)).or_default() +=
                num(r, "servers") * kw / 1000.0;
        }
    }
    for ((site, m), it) in &it_by {
        let row = &sites[site];
        let cooling = geo[site]["properties"]["cooling"].as_str().unwrap();
        let lead = num(row, "grid_lead_months").max(cooling_lead[cooling]);
        let installed_by = *m as f64 + 1.0; // 30 days = one month of the plan
        let ready = if installed_by >= lead {
            num(row, "max_it_mw")
        } else {
            in_service.get(site).copied().unwrap_or(0.0)
        };
        assert!(
            *it <= ready + 1e-6,
            "{site} month {m}: {it} MW, {ready} ready"
        );
    }
    // The 30-day rule: a February delivery only where IT is ready by
    // February + 30 days, read from the plan's own ready_month.
    for r in schedule.iter().filter(|r| num(r, "month") == 1.0) {
        let ready = num(r, "ready_month");
        assert!(ready <= 1.0 + 1.0, "{} ready at {ready}", r["site_id"]);
        let p = &geo[&r["site_id"]]["properties"];
        assert!(p["ready_month"].as_f64().unwrap() <= 2.0);
    }
    // sites.geojson: cumulative cards by month agree with schedule.csv and
    // the final cards; cards_by_month says the same as the numbers.
    for (site, f) in &geo {
        let p = &f["properties"];
        let mut cum = 0.0;
        let mut text = Vec::new();
        for &m in &months {
            cum += schedule
                .iter()
                .filter(|r| &r["site_id"] == site && num(r, "month") == m)
                .map(|r| num(r, "cards"))
                .sum::<f64>();
            assert_eq!(p[format!("cards_m{m}")].as_f64(), Some(cum), "{site}");
            text.push(format!("{m}:{cum}"));
        }
        assert_eq!(p["cards_total"].as_f64(), Some(cum), "{site}");
        if p["built"].as_bool().unwrap() {
            assert_eq!(p["cards_by_month"].as_str(), Some(text.join(";").as_str()));
        } else {
            assert!(p["cards_by_month"].is_null());
        }
    }
    // summary.json's schedule agrees with schedule.csv.
    let summary = read_json(&out.join("summary.json"));
    let periods = summary["schedule"]["periods"].as_array().unwrap();
    for (p, &m) in periods.iter().zip(&months) {
        assert_eq!(p["month"].as_f64(), Some(m));
        assert_eq!(p["cards_added"]["h200"].as_f64(), Some(per(m, "h200")));
        close(
            p["discount_factor"].as_f64().unwrap(),
            1.08f64.powf(-m / 12.0),
        );
    }
    // The report's timeline: one series per cluster of schedule.csv, ending
    // at its cards; one table row per period with the cards added (the
    // report.html that solve wrote).
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let mut clusters: Vec<&str> = schedule.iter().map(|r| r["cluster_id"].as_str()).collect();
    clusters.sort();
    clusters.dedup();
    assert!(html.contains("<section id=\"timeline\">"));
    assert_eq!(html.matches("<g class=\"series\"").count(), clusters.len());
    for c in &clusters {
        let cards: f64 = schedule
            .iter()
            .filter(|r| r["cluster_id"] == *c)
            .map(|r| num(r, "cards"))
            .sum();
        let legend = format!("{c} ({})", fmt_int(cards));
        assert!(html.contains(&legend), "{legend}");
    }
    for (k, &m) in months.iter().enumerate() {
        let added: f64 = schedule
            .iter()
            .filter(|r| num(r, "month") == m)
            .map(|r| num(r, "cards"))
            .sum();
        let row = format!("<tr id=\"period-{k}\"><td>{m}</td>");
        let at = html.find(&row).unwrap_or_else(|| panic!("{row}"));
        assert!(html[at..].contains(&fmt_int(added)));
    }
    // GDAL reads the new fields with their types.
    let info = ogrinfo_summary(&out.join("sites.geojson"));
    for field in [
        "ready_month: Integer",
        "hall_start_month: Integer",
        "cards_by_month: String",
        "cards_m1: Integer",
    ] {
        assert!(info.contains(field), "{field} not in\n{info}");
    }
}

/// rollout_2026 with 300,000 H200 in February: more than the 350 MW in
/// service can take with its domestic share. The diagnosis names the
/// deliveries and the IT ready by February; the printed delivery fix,
/// applied to the scenario, solves.
#[test]
fn a_february_too_big_for_the_halls_in_service_is_explained_and_its_fix_solves() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = |feb: u64| {
        format!(
            "extends = {:?}\nname = \"feb\"\n[[deliveries]]\nmonth = 1\naccelerator = \"h200\"\ncards = {feb}\n\
             [[deliveries]]\nmonth = 11\naccelerator = \"h200\"\nmin_cards = 200000\nmax_cards = 300000\n",
            root().join("models/small/rollout_2026.toml")
        )
    };
    let path = tmp.path().join("feb.toml");
    std::fs::write(&path, scenario(300_000)).unwrap();
    let o = dcsite(&[
        "solve",
        path.to_str().unwrap(),
        "--out",
        tmp.path().join("o1").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("the deliveries up to month 1 need at least"),
        "{err}"
    );
    assert!(
        err.contains("raise the IT ready at Ulanqab (Jining) for the deliveries of month 1 by"),
        "{err}"
    );
    let lead = "lower the h200 delivery of month 1 by ";
    let at = err.find(lead).unwrap_or_else(|| panic!("{err}")) + lead.len();
    let n: u64 = err[at..].split(' ').next().unwrap().parse().unwrap();
    // Whole servers of 8 cards, so that the exact delivery can be met.
    assert_eq!(n % 8, 0, "{n}");
    std::fs::write(&path, scenario(300_000 - n)).unwrap();
    ok(
        &dcsite(&[
            "solve",
            path.to_str().unwrap(),
            "--out",
            tmp.path().join("o2").to_str().unwrap(),
            "--quiet",
        ]),
        "the printed fix",
    );
}

#[test]
fn bad_deliveries_are_refused_naming_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "month = 1\naccelerator = \"h100\"\ncards = 10",
            "[[deliveries]] #1.accelerator",
            "h100",
        ),
        (
            "month = 1\naccelerator = \"h200\"\nmin_cards = 20\nmax_cards = 10",
            "[[deliveries]] #1.min_cards",
            "min_cards ≤ max_cards",
        ),
        (
            "month = 12\naccelerator = \"h200\"\ncards = 10",
            "[[deliveries]] #1.month",
            "12-month deadline",
        ),
        (
            "month = 1\naccelerator = \"h200\"\ncard = 10",
            "[[deliveries]] #1.\"card\"",
            "did you mean cards?",
        ),
        (
            "accelerator = \"h200\"\ncards = 10",
            "[[deliveries]] #1.month",
            "no month",
        ),
        (
            "month = -1\naccelerator = \"h200\"\ncards = 10",
            "[[deliveries]] #1.month",
            "-1",
        ),
        (
            "month = 1\naccelerator = \"h200\"\ncards = \"many\"",
            "[[deliveries]] #1.cards",
            "a number",
        ),
    ];
    for (n, (entry, key, what)) in cases.iter().enumerate() {
        let path = tmp.path().join(format!("bad{n}.toml"));
        std::fs::write(
            &path,
            format!(
                "extends = {:?}\n\n[[deliveries]]\n{entry}\n",
                root().join("models/small/baseline.toml")
            ),
        )
        .unwrap();
        let out = tmp.path().join(format!("out{n}"));
        let o = dcsite(&[
            "solve",
            path.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{entry}: {err}");
        assert!(err.contains(key) && err.contains(what), "{entry}: {err}");
        assert!(
            err.contains(&format!("bad{n}.toml: row 3,")),
            "{entry}: {err}"
        );
        assert!(!out.exists());
    }
    // install_days out of its range, named by its key.
    let path = tmp.path().join("days.toml");
    std::fs::write(
        &path,
        format!(
            "extends = {:?}\n[parameters]\ninstall_days = -3\n",
            root().join("models/small/baseline.toml")
        ),
    )
    .unwrap();
    let o = dcsite(&["validate", path.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("parameters.install_days"), "{err}");
}

/// rollout_2026 with near-optimal ranges: the range search starts from the
/// optimum (its servers per delivery period filled in), so every region's
/// optimal cards lie within its range (one server of slack).
#[test]
fn rollout_2026_near_optimal_ranges_hold_the_optimum() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("near");
    solve_ok(
        &root().join("models/small/rollout_2026.toml"),
        &out,
        &["--near-optimal", "0.005"],
    );
    // The optimum's cards per region, summed from sites.geojson.
    let mut optimal: HashMap<String, f64> = HashMap::new();
    for f in features(&out.join("sites.geojson")) {
        let p = &f["properties"];
        *optimal
            .entry(p["region_id"].as_str().unwrap().to_string())
            .or_default() += p["cards_total"].as_f64().unwrap_or(0.0);
    }
    let summary = read_json(&out.join("summary.json"));
    let ranges = summary["near_optimal"]["regions"].as_object().unwrap();
    assert_eq!(ranges.len(), optimal.len());
    let server = 8.0;
    for (region, cards) in &optimal {
        let r = &ranges[region];
        let (lo, hi) = (
            r["cards_min"].as_f64().unwrap(),
            r["cards_max"].as_f64().unwrap(),
        );
        assert!(
            lo - server <= *cards && *cards <= hi + server,
            "{region}: optimal {cards} outside [{lo}, {hi}]"
        );
    }
    assert!(optimal.values().sum::<f64>() >= 500_000.0);
}
