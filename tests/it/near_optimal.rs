//! Issue 11 §1: near-optimal ranges. A hand-checkable pair of sites, then the
//! baseline: every region's optimal cards lie inside its range, and ranges
//! widen with the share of cost allowed.

use crate::common;

use common::*;
use dcsite::milp::Prepared;
use dcsite::solve::{near_optimal, near_optimal_within, solve, SolveOptions};

fn ranges_of_two(price_a: f64, price_b: f64, share: f64) -> Vec<(f64, f64)> {
    let p = Prepared::new(two_sites(100.0, price_a, price_b));
    let plan = solve(&p, &SolveOptions::default()).unwrap();
    let n = near_optimal(&p, &plan, share, &SolveOptions::default()).unwrap();
    n.sites
        .iter()
        .map(|r| {
            let r = r.unwrap();
            (r.min_cards, r.max_cards)
        })
        .collect()
}

#[test]
fn two_equal_sites_can_each_hold_anything_at_share_zero() {
    assert_eq!(
        ranges_of_two(0.4, 0.4, 0.0),
        vec![(0.0, 100.0), (0.0, 100.0)]
    );
}

#[test]
fn the_range_collapses_when_one_site_is_cheaper_by_more_than_the_share() {
    // b saves 0.1 × 8760 = 876 CNY per card on a cost of 100 × 8760 × 0.4 =
    // 350,400 CNY. Within 0.1 % (350 CNY) no card can move to a.
    assert_eq!(
        ranges_of_two(0.5, 0.4, 0.001),
        vec![(0.0, 0.0), (100.0, 100.0)]
    );
    // Within 1 % (3,504 CNY), a can take 3,504 / 876 = 4 cards.
    assert_eq!(
        ranges_of_two(0.5, 0.4, 0.01),
        vec![(0.0, 4.0), (96.0, 100.0)]
    );
    // Within 10 % of the optimum (35,040 CNY), a can take 35,040 / 876 = 40 cards.
    assert_eq!(
        ranges_of_two(0.5, 0.4, 0.10),
        vec![(0.0, 40.0), (60.0, 100.0)]
    );
}

#[test]
fn baseline_regions_lie_inside_ranges_that_widen_with_the_share() {
    let (_, inst, _) = dcsite::data::load(&root().join("models/small/baseline.toml")).unwrap();
    let p = Prepared::new(inst);
    let plan = solve(&p, &SolveOptions::default()).unwrap();
    let by_region = plan.region_totals();
    // Ends stopped by the budget are inner bounds, which need not widen with
    // the share: give the search the time to prove them.
    let narrow =
        near_optimal_within(&p, &plan, 0.001, &SolveOptions::default(), Some(60.0)).unwrap();
    let wide = near_optimal_within(&p, &plan, 0.005, &SolveOptions::default(), Some(60.0)).unwrap();
    for (r, region) in p.inst.regions.iter().enumerate() {
        let cards = by_region[r].cards_total() as f64;
        let (n, w) = (narrow.regions[r], wide.regions[r]);
        // Servers are continuous in the range solves: allow one server.
        assert!(
            n.min_cards - 8.0 <= cards && cards <= n.max_cards + 8.0,
            "{}: {cards} outside {n:?}",
            region.id
        );
        assert!(
            w.min_cards <= n.min_cards + 8.0 && n.max_cards <= w.max_cards + 8.0,
            "{}: {n:?} not inside {w:?}",
            region.id
        );
    }
    assert!(wide.cost_bound_cny > narrow.cost_bound_cny);
}

#[test]
fn the_ranges_are_written_to_regions_csv_sites_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_dcsite"))
        .args([
            "solve",
            "models/small/baseline.toml",
            "--near-optimal",
            "0.002",
            "--out",
        ])
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("near-optimal ranges") && text.contains("decided by cost"),
        "{text}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let near = &summary["near_optimal"];
    assert_eq!(near["share"], 0.002);
    // regions.csv: the optimal cards inside the written range (one server of slack:
    // servers are continuous in the range solves), and the same numbers as summary.json.
    let csv = std::fs::read_to_string(out.join("regions.csv")).unwrap();
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| head.iter().position(|h| *h == name).unwrap();
    let (lvl, id, total, lo, hi) = (
        col("level"),
        col("id"),
        col("cards_total"),
        col("cards_min_near_opt"),
        col("cards_max_near_opt"),
    );
    let mut regions = 0;
    let mut region_range = std::collections::HashMap::new();
    let mut cluster_range = std::collections::HashMap::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let (c, a, b): (f64, f64, f64) = (
            f[total].parse().unwrap(),
            f[lo].parse().unwrap(),
            f[hi].parse().unwrap(),
        );
        assert!(a - 8.0 <= c && c <= b + 8.0, "{line}");
        let key = match f[lvl] {
            "region" => {
                regions += 1;
                region_range.insert(f[id].to_string(), (a, b));
                "regions"
            }
            "cluster" => {
                cluster_range.insert(f[id].to_string(), (a, b));
                "clusters"
            }
            _ => continue,
        };
        let s = &near[key][f[id]];
        assert_eq!(s["cards_min"].as_f64().unwrap(), a, "{line}");
        assert_eq!(s["cards_max"].as_f64().unwrap(), b, "{line}");
        // Whether each end is proven, the same in both files.
        assert_eq!(
            s["min_proven"].as_bool().unwrap().to_string(),
            f[col("near_opt_min_proven")],
            "{line}"
        );
        assert_eq!(
            s["max_proven"].as_bool().unwrap().to_string(),
            f[col("near_opt_max_proven")],
            "{line}"
        );
    }
    assert_eq!(regions, 11);
    // A cluster holds its regions' cards: its range from clusters.csv's
    // membership is the region's for a one-region cluster, and within the
    // sum of its regions' ranges otherwise.
    use polars::prelude::*;
    let clusters = CsvReadOptions::default()
        .with_has_header(true)
        .into_reader_with_file_handle(
            std::fs::File::open(root().join("data/small/clusters.csv")).unwrap(),
        )
        .finish()
        .unwrap();
    let ids = clusters
        .column("cluster_id")
        .unwrap()
        .str()
        .unwrap()
        .clone();
    let members = clusters.column("regions").unwrap().str().unwrap().clone();
    let mut n_clusters = 0;
    for (cid, members) in ids.iter().zip(members.iter()) {
        let (cid, members) = (cid.unwrap(), members.unwrap());
        let (a, b) = cluster_range[cid];
        let member: Vec<&str> = members.split(';').collect();
        let (lo_sum, hi_sum) = member.iter().fold((0.0, 0.0), |(x, y), r| {
            let (a, b) = region_range[*r];
            (x + a, y + b)
        });
        if member.len() == 1 {
            assert_eq!((a, b), region_range[member[0]], "{cid}");
        }
        assert!(a + 8.0 >= lo_sum && b <= hi_sum + 8.0, "{cid}: {a}..{b}");
        n_clusters += 1;
    }
    assert_eq!(n_clusters, 9);
    // sites.geojson: a site not decided by cost has a range from 0 to more than 0.
    for f in read_json(&out.join("sites.geojson"))["features"]
        .as_array()
        .unwrap()
    {
        let p = &f["properties"];
        let (Some(a), Some(b)) = (
            p["cards_min_near_opt"].as_f64(),
            p["cards_max_near_opt"].as_f64(),
        ) else {
            assert!(p["not_built_reason"].is_string(), "{p}");
            continue;
        };
        assert_eq!(
            p["not_decided_by_cost"].as_bool().unwrap(),
            a == 0.0 && b > 0.0,
            "{p}"
        );
    }
    let info = ogrinfo_summary(&out.join("sites.geojson"));
    assert!(info.contains("cards_max_near_opt"), "{info}");

    // The report draws each region's range as a bar around its optimal value
    // (the numbers of regions.csv, in the bar's tooltip) and rings the sites
    // whose range includes 0: the report.html that solve wrote.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let chart = &html[html.find("id=\"near-optimal-chart\"").expect("range chart")..];
    let chart = &chart[..chart.find("</svg>").unwrap()];
    let bars = chart.matches("<rect class=\"range").count() - 2; // two in the legend
    assert_eq!(bars, 11, "one bar per region");
    let group = |n: f64| {
        let s = format!("{}", n as u64);
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    for r in near["regions"].as_object().unwrap().values() {
        let (a, b) = (
            r["cards_min"].as_f64().unwrap(),
            r["cards_max"].as_f64().unwrap(),
        );
        let want = format!("{} to {} cards within the cost share", group(a), group(b));
        assert!(chart.contains(&want), "{want} missing from the chart");
    }
    let ties = near["regions"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["decided_by_cost"] == false)
        .count();
    assert_eq!(
        chart.matches("<rect class=\"range\"").count() - 1,
        ties,
        "ties drawn as ties"
    );
    let undecided = read_json(&out.join("sites.geojson"))["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["not_decided_by_cost"] == true)
        .count();
    let map = &html[html.find("<section id=\"map\">").unwrap()..];
    let map = &map[..map.find("</section>").unwrap()];
    let rings = map.matches("class=\"undecided\"").count();
    assert_eq!(
        rings,
        undecided + usize::from(undecided > 0),
        "one ring per site plus the legend's"
    );
}

#[test]
fn a_share_outside_zero_to_one_is_an_input_error_naming_the_flag() {
    for bad in ["1.5", "-0.1"] {
        let dir = tempfile::tempdir().unwrap();
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_dcsite"))
            .args(["solve", "models/small/baseline.toml", "--out"])
            .arg(dir.path().join("o"))
            // Attached, so that clap takes "-0.1" as the value, not as a flag.
            .arg(format!("--near-optimal={bad}"))
            .current_dir(root())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains("--near-optimal") && err.contains("[0, 1)") && err.contains(bad),
            "{err}"
        );
        assert!(
            !dir.path().join("o").exists(),
            "nothing written before refusing"
        );
    }
    // The search's time: a positive number of seconds.
    let dir = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_dcsite"))
        .args([
            "solve",
            "models/small/baseline.toml",
            "--near-optimal",
            "0.005",
        ])
        .arg("--near-optimal-seconds=-3")
        .arg("--out")
        .arg(dir.path().join("o"))
        .current_dir(root())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--near-optimal-seconds") && err.contains("-3"),
        "{err}"
    );
    assert!(!dir.path().join("o").exists());
}

#[test]
fn a_proven_maximum_is_the_most_any_plan_within_the_cost_bound_can_hold() {
    use dcsite::milp::{build, Bound, Integrality, Row, RowKey, Sense, CNY_PER_OBJECTIVE_UNIT};
    use dcsite::solve::{run_highs, SolveError};
    let (_, inst, _) = dcsite::data::load(&root().join("models/small/baseline.toml")).unwrap();
    let p = Prepared::new(inst);
    let plan = solve(&p, &SolveOptions::default()).unwrap();
    let n = near_optimal(&p, &plan, 0.005, &SolveOptions::default()).unwrap();
    // One server more than the reported most, of the accelerator with the
    // fewest cards per server.
    let server = p
        .inst
        .accelerators
        .iter()
        .map(|a| a.cards_per_server as f64)
        .fold(f64::INFINITY, f64::min);
    let mut checked = 0;
    for (r, range) in n.regions.iter().enumerate() {
        if !range.max_proven {
            continue;
        }
        // The same model as the range solves (continuous servers; the
        // integer plans are among its plans), with the cost row and the
        // region forced above its reported most.
        let mut m = build(&p, Integrality::ContinuousServers);
        m.rows.push(Row {
            key: RowKey::CostBound,
            lhs: m.objective.clone(),
            sense: Sense::Le,
            rhs: n.cost_bound_cny / CNY_PER_OBJECTIVE_UNIT,
        });
        let cards = region_cards(&p, &m, r);
        m.rows.push(Row {
            key: RowKey::RegionBound {
                region: r,
                bound: Bound::Min,
            },
            lhs: cards,
            sense: Sense::Ge,
            rhs: range.max_cards + server,
        });
        match run_highs(m, &SolveOptions::default(), &[]) {
            Err(SolveError::Infeasible { .. }) => checked += 1,
            Ok(_) => panic!(
                "{}: a plan within the cost bound holds {} cards, the reported most is {}",
                p.inst.regions[r].id,
                range.max_cards + server,
                range.max_cards
            ),
            Err(e) => panic!("{}: {e}", p.inst.regions[r].id),
        }
    }
    assert!(checked > 0, "no region's most was proven: {n:?}");
}

/// Issue 27 §2: with the default budget every end of the baseline's ranges
/// at 0.5 % is proven (summary.json), and every region's proven fewest is
/// checked independently: the range model with the region forced one server
/// below it has no plan within the cost bound.
#[test]
fn every_baseline_end_at_half_a_percent_is_proven_with_the_default_budget() {
    use dcsite::milp::{build, Bound, Integrality, Row, RowKey, Sense, CNY_PER_OBJECTIVE_UNIT};
    use dcsite::solve::{run_highs, SolveError};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_dcsite"))
        .args([
            "solve",
            "models/small/baseline.toml",
            "--near-optimal",
            "0.005",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let near = &summary["near_optimal"];
    assert_eq!(near["ends_not_proven"], 0, "{near}");
    assert_eq!(near["site_ends_not_proven"], 0, "{near}");
    assert_eq!(near["solves_stopped_at_limit"], 0, "{near}");
    let cost_bound = near["cost_bound_cny"].as_f64().unwrap();
    let (_, inst, _) = dcsite::data::load(&root().join("models/small/baseline.toml")).unwrap();
    let p = Prepared::new(inst);
    let server = p
        .inst
        .accelerators
        .iter()
        .map(|a| a.cards_per_server as f64)
        .fold(f64::INFINITY, f64::min);
    let mut checked = 0;
    for (r, region) in p.inst.regions.iter().enumerate() {
        let range = &near["regions"][&region.id];
        assert_eq!(range["min_proven"], true, "{}: {range}", region.id);
        assert_eq!(range["max_proven"], true, "{}: {range}", region.id);
        let fewest = range["cards_min"].as_f64().unwrap();
        if fewest < server {
            continue;
        }
        let mut m = build(&p, Integrality::ContinuousServers);
        m.rows.push(Row {
            key: RowKey::CostBound,
            lhs: m.objective.clone(),
            sense: Sense::Le,
            // The written bound is rounded to the CNY: allow that much.
            rhs: (cost_bound + 1.0) / CNY_PER_OBJECTIVE_UNIT,
        });
        let cards = region_cards(&p, &m, r);
        m.rows.push(Row {
            key: RowKey::RegionBound {
                region: r,
                bound: Bound::Max,
            },
            lhs: cards,
            sense: Sense::Le,
            rhs: fewest - server,
        });
        match run_highs(m, &SolveOptions::default(), &[]) {
            Err(SolveError::Infeasible { .. }) => checked += 1,
            Ok(_) => panic!(
                "{}: a plan within the cost bound holds {} cards, the reported fewest is {fewest}",
                region.id,
                fewest - server
            ),
            Err(e) => panic!("{}: {e}", region.id),
        }
    }
    assert!(
        checked > 0,
        "no region has a fewest above one server: {near}"
    );
}

/// The cards of region `r` in model `m` of `p`: Σ cards per server × servers.
fn region_cards(p: &Prepared, m: &dcsite::milp::Model, r: usize) -> good_lp::Expression {
    let mut cards = good_lp::Expression::default();
    for (o, opt) in p.options.iter().enumerate() {
        if p.region_of_site[opt.site] != r {
            continue;
        }
        for (i, &a) in opt.accels.iter().enumerate() {
            cards.add_mul(
                p.inst.accelerators[a].cards_per_server as f64,
                m.vars.servers[o][i],
            );
        }
    }
    cards
}
