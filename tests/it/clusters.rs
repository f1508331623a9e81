//! Issue 14 §1-2: planning clusters and `dcsite implied`. A two-cluster
//! model whose premium is the cost difference per card, computed by hand;
//! cluster totals of the baseline recomputed from sites.geojson and
//! clusters.csv; bad clusters.csv rows named by file, row and column; the
//! shipped forecast ranges give either a plan whose premiums match finite
//! differences of the instance, or relaxations that, applied to the
//! instance, give a plan.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use dcsite::domain::*;
use dcsite::milp::{self, Prepared};
use dcsite::solve::{solve, SolveOptions};
use dcsite::study::implied::implied;

/// Electricity per card-year of the small models: 1 kW × 8760 h, PUE 1.
const KWH_PER_CARD_YEAR: f64 = 8760.0;

/// Two regions, each its own cluster, one site each (1 MW: 1000 cards);
/// only the electricity price differs (0.3 and 0.5 CNY/kWh), one year, no
/// discounting, an exact target of `cards`.
fn two_clusters(cards: f64) -> Instance {
    let mut inst = two_sites(cards, 0.3, 0.5);
    inst.regions = vec![region("ra", Tier::Core), region("rb", Tier::Regional)];
    inst.sites[0].region_id = "ra".into();
    inst.sites[1].region_id = "rb".into();
    inst.clusters = ["x", "y"]
        .iter()
        .zip(["ra", "rb"])
        .map(|(id, r)| Cluster {
            id: id.to_string(),
            name_en: id.to_string(),
            name_zh: id.to_string(),
            kind: ClusterKind::Core,
            regions: vec![r.to_string()],
            source: "test".into(),
        })
        .collect();
    inst
}

fn range_y(min: f64) -> ForecastRange {
    ForecastRange {
        level: RangeLevel::Cluster(1),
        bounds: CardBounds {
            min_cards: Some(min),
            max_cards: None,
        },
        source: "hand".into(),
    }
}

/// `dcsite implied <scenario> --ranges <ranges> --out <out>`.
fn implied_run(scenario: &str, ranges: &str, out: &str) -> std::process::Output {
    dcsite(&["implied", scenario, "--ranges", ranges, "--out", out])
}

#[test]
fn two_cluster_premium_is_the_cost_difference_per_card() {
    // Free: all 600 cards at the cheap site a. Held: cluster y needs 200.
    let x = implied(
        two_clusters(600.0),
        &[range_y(200.0)],
        &SolveOptions::default(),
    )
    .unwrap();
    let diff = (0.5 - 0.3) * KWH_PER_CARD_YEAR; // 1752 CNY per card
    assert_eq!(x.free.sites[0].cards[0], 600);
    assert_eq!(x.plan.sites[0].cards[0], 400);
    assert_eq!(x.plan.sites[1].cards[0], 200);
    assert_eq!(x.cards_moved(), 200);
    assert!(
        (x.extra_cost_cny() - 200.0 * diff).abs() < 1e-3,
        "{}",
        x.extra_cost_cny()
    );
    assert!((x.cny_per_card_moved().unwrap() - diff).abs() < 1e-6);
    let row = &x.rows[0];
    assert_eq!((row.free_cards, row.plan_cards), (0, 200));
    assert_eq!(row.binding, Some(milp::Bound::Min));
    assert!(
        (row.premium_cny_per_card() - diff).abs() < 1e-6,
        "premium {} vs {diff}",
        row.premium_cny_per_card()
    );
    // Finite difference of the integer model: one more card in y.
    let more = solve(
        &Prepared::new(two_clusters(600.0).with_ranges(&[range_y(201.0)])),
        &SolveOptions::default(),
    )
    .unwrap();
    assert!((more.objective_cny - x.plan.objective_cny - diff).abs() < 1e-3);
    // A bound in a scenario is the same row: its name and words.
    let p = Prepared::new(two_clusters(600.0).with_ranges(&[range_y(200.0)]));
    let plan = solve(&p, &SolveOptions::default()).unwrap();
    let b = plan
        .binding
        .iter()
        .find(|b| b.name == "cluster-bound-min-y")
        .expect("the cluster minimum binds");
    assert_eq!(b.words, "the y cluster card minimum");
}

#[test]
fn an_impossible_cluster_range_is_explained_with_a_verified_relaxation() {
    // 1500 cards in y, whose only site holds 1000.
    let e = implied(
        two_clusters(1600.0),
        &[range_y(1500.0)],
        &SolveOptions::default(),
    )
    .unwrap_err()
    .solve_error();
    let dcsite::solve::SolveError::Infeasible { alternatives, .. } = e else {
        panic!("not infeasible: {e}")
    };
    let cut = alternatives
        .iter()
        .flatten()
        .find(|r| r.constraint == "cluster-bound-min-y")
        .expect("lowering the y minimum is offered");
    assert!((cut.amount - 500.0).abs() < 1e-9, "{}", cut.amount);
    assert!(solve(
        &Prepared::new(two_clusters(1600.0).with_ranges(&[range_y(1500.0 - cut.amount)])),
        &SolveOptions::default()
    )
    .is_ok());
}

/// `regions` (5th field) of each cluster row, by cluster id: parsed here, by
/// hand, independently of the loader.
fn cluster_members(path: &Path) -> BTreeMap<String, Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.splitn(6, ',').collect();
            (
                f[0].to_string(),
                f[4].split(';').map(str::to_string).collect(),
            )
        })
        .collect()
}

#[test]
fn cluster_totals_are_the_sums_of_their_sites() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = dcsite(&[
        "solve",
        "models/small/baseline.toml",
        "--out",
        out.to_str().unwrap(),
        "-q",
    ]);
    ok(&o, "solve");
    let members = cluster_members(&root().join("data/small/clusters.csv"));
    assert_eq!(members.len(), 9);
    assert_eq!(members["jingjinjimeng"], ["jjj", "inner_mongolia"]);
    assert_eq!(members["xian_zhongwei"], ["xian", "ningxia"]);
    let mut by_cluster: BTreeMap<String, (u64, f64)> = BTreeMap::new();
    for f in features(&out.join("sites.geojson")) {
        let p = &f["properties"];
        let region = p["region_id"].as_str().unwrap();
        let c = members
            .iter()
            .find(|(_, m)| m.iter().any(|x| x == region))
            .map(|(c, _)| c.clone())
            .expect("every default region is in a cluster");
        let e = by_cluster.entry(c).or_default();
        e.0 += p["cards_total"].as_u64().unwrap();
        e.1 += p["it_mw"].as_f64().unwrap();
    }
    let summary = read_json(&out.join("summary.json"));
    let json = summary["cards_by_cluster"].as_object().unwrap();
    assert_eq!(json.len(), 9);
    let mut sum = 0;
    for (c, m) in &members {
        let (cards, _) = by_cluster.get(c).copied().unwrap_or_default();
        assert_eq!(
            json[c].as_u64().unwrap(),
            cards,
            "cluster {c} (members {m:?})"
        );
        sum += cards;
    }
    assert_eq!(sum, summary["cards_total"].as_u64().unwrap());
    assert!(by_cluster["jingjinjimeng"].0 > 0);
    // regions.csv: one row per cluster, level cluster, the same cards and IT MW.
    let text = std::fs::read_to_string(out.join("regions.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let rows: Vec<Vec<&str>> = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|r| r[col("level")] == "cluster")
        .collect();
    assert_eq!(rows.len(), 9);
    for r in rows {
        let (cards, it) = by_cluster.get(r[col("id")]).copied().unwrap_or_default();
        assert_eq!(r[col("cards_total")].parse::<u64>().unwrap(), cards);
        assert!((r[col("it_mw")].parse::<f64>().unwrap() - it).abs() < 2e-3);
    }
}

#[test]
fn a_bad_clusters_row_is_an_input_error_naming_file_row_and_column() {
    for (from, to, row, column, word) in [
        ("xian;ningxia", "xian;nowhere", 7, "regions", "nowhere"),
        (
            "other,qinghai,",
            "other,qinghai;yrd,",
            10,
            "regions",
            "already in cluster",
        ),
        (
            "wuhan,Wuhan / Central China,华中,regional",
            "wuhan,Wuhan / Central China,华中,centre",
            5,
            "kind",
            "centre",
        ),
    ] {
        let (dir, sc) = scratch_copy();
        edit(&dir.path().join("data/small/clusters.csv"), from, to);
        let o = dcsite(&["validate", sc.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{to}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("clusters.csv")
                && err.contains(&format!("row {row}"))
                && err.contains(&format!("column {column}"))
                && err.contains(word),
            "{to}: {err}"
        );
    }
    // A bound on a cluster the table does not have names its key.
    let (dir, sc) = scratch_copy();
    let text = std::fs::read_to_string(&sc).unwrap();
    std::fs::write(
        &sc,
        format!("{text}\n[bounds.cluster.atlantis]\nmin_cards = 1\n"),
    )
    .unwrap();
    let o = dcsite(&["validate", sc.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bounds.cluster.atlantis"), "{err}");
    drop(dir);
    // A bad ranges row: file, row and column, exit 2, nothing written.
    let dir = tempfile::tempdir().unwrap();
    let ranges = dir.path().join("ranges.csv");
    std::fs::write(
        &ranges,
        "level,id,min_cards,max_cards,source\ncluster,wuhan,10,20,x\ncluster,atlantis,1,2,x\nregion,yrd,5,1,x\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = implied_run(
        "models/small/baseline.toml",
        ranges.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("row 3") && err.contains("column id") && err.contains("atlantis"),
        "{err}"
    );
    assert!(
        err.contains("row 4") && err.contains("column max_cards"),
        "{err}"
    );
    assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none());
}

/// Checks each binding range's premium against finite differences of the
/// instance (the range moved by 1,000 cards each way, the LP re-solved with
/// the plan's sites fixed).
fn premiums_match_finite_differences(inst: &Instance, ranges: &[ForecastRange]) -> usize {
    let x = implied(inst.clone(), ranges, &SolveOptions::default()).unwrap();
    let held = inst.clone().with_ranges(ranges);
    let base = fixed_lp_cost(&held, &x.plan).unwrap();
    let step = 1000.0;
    let mut checked = 0;
    for (k, row) in x.rows.iter().enumerate() {
        let Some(side) = row.binding else { continue };
        let moved = |d: f64| {
            let mut r = ranges.to_vec();
            let b = &mut r[k].bounds;
            match side {
                milp::Bound::Max => b.max_cards = b.max_cards.map(|m| m + d),
                _ => b.min_cards = b.min_cards.map(|m| m + d),
            }
            // Moving only the range's side: the other side must not cross it.
            fixed_lp_cost(&inst.clone().with_ranges(&r), &x.plan)
        };
        let sign = if side == milp::Bound::Max { -1.0 } else { 1.0 };
        let down = moved(-step).map(|c| sign * (base - c) / step);
        let up = moved(step).map(|c| sign * (c - base) / step);
        let v = row.premium_cny_per_card();
        let agree = |fd: Option<f64>| {
            fd.is_some_and(|fd| (fd - v).abs() <= 0.01 * v.abs().max(fd.abs()) + 1.0)
        };
        let degenerate = row.shadow.as_ref().is_some_and(|s| s.one_sided.is_some());
        assert!(
            if degenerate {
                agree(down) || agree(up)
            } else {
                agree(down) && agree(up)
            },
            "{:?}: premium {v}, finite differences {down:?} / {up:?}",
            row.range.level
        );
        checked += 1;
    }
    checked
}

#[test]
fn the_forecast_ranges_give_a_plan_or_verified_relaxations() {
    let ranges_path = root().join("models/small/forecast_ranges.csv");
    let (_, inst, _) = dcsite::data::load(&root().join("models/small/forecast_2028.toml")).unwrap();
    let ranges = dcsite::data::ranges::read_ranges(&ranges_path, &inst).unwrap();
    assert_eq!(ranges.len(), 6);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = implied_run(
        "models/small/forecast_2028.toml",
        ranges_path.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    match o.status.code() {
        Some(0) => {
            assert!(premiums_match_finite_differences(&inst, &ranges) > 0);
        }
        Some(3) => {
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                err.contains("any one of these would make it feasible"),
                "{err}"
            );
            assert!(!out.exists());
            // Each printed relaxation, applied to the instance by hand, has a plan.
            let e = implied(inst.clone(), &ranges, &SolveOptions::default())
                .unwrap_err()
                .solve_error();
            let dcsite::solve::SolveError::Infeasible { alternatives, .. } = e else {
                panic!("{e}")
            };
            assert!(!alternatives.is_empty());
            for alt in &alternatives {
                let mut i = inst.clone();
                let mut r = ranges.clone();
                for change in alt {
                    assert!(err.contains(&change.text), "{} not printed", change.text);
                    match change.key {
                        milp::RowKey::RegionQuota { quota, region } => {
                            *i.regions[region].quotas[quota].as_mut().unwrap() += change.amount
                        }
                        milp::RowKey::ClusterBound { cluster, bound } => {
                            let k = r
                                .iter()
                                .position(|x| x.level == RangeLevel::Cluster(cluster))
                                .unwrap();
                            let b = &mut r[k].bounds;
                            match bound {
                                milp::Bound::Max => {
                                    b.max_cards = b.max_cards.map(|m| m + change.amount)
                                }
                                _ => b.min_cards = b.min_cards.map(|m| m - change.amount),
                            }
                        }
                        other => panic!("no independent check for {other:?}"),
                    }
                }
                assert!(
                    solve(&Prepared::new(i.with_ranges(&r)), &SolveOptions::default()).is_ok(),
                    "{alt:?}"
                );
            }
            // models/small/forecast_2028_gba_energy.toml applies the energy-quota fix:
            // there the forecast has a plan, and its premiums are checked.
            let (_, relaxed, _) =
                dcsite::data::load(&root().join("models/small/forecast_2028_gba_energy.toml"))
                    .unwrap();
            assert!(premiums_match_finite_differences(&relaxed, &ranges) >= 5);
        }
        other => panic!("exit {other:?}: {}", String::from_utf8_lossy(&o.stderr)),
    }
}

#[test]
fn implied_writes_the_plan_and_implied_csv_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = implied_run(
        "models/small/forecast_2028_gba_energy.toml",
        "models/small/forecast_ranges.csv",
        out.to_str().unwrap(),
    );
    ok(&o, "implied");
    for f in [
        "sites.geojson",
        "summary.json",
        "regions.csv",
        "implied.csv",
    ] {
        assert_mode_0644(&out.join(f));
    }
    let summary = read_json(&out.join("summary.json"));
    let text = std::fs::read_to_string(out.join("implied.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let mut n = 0;
    for l in lines {
        let r: Vec<&str> = l.split(',').collect();
        if r[col("level")] != "cluster" {
            continue;
        }
        n += 1;
        let id = r[col("id")];
        let cards: f64 = r[col("plan_cards")].parse().unwrap();
        assert_eq!(
            cards as u64,
            summary["cards_by_cluster"][id].as_u64().unwrap()
        );
        let (lo, hi): (f64, f64) = (
            r[col("min_cards")].parse().unwrap(),
            r[col("max_cards")].parse().unwrap(),
        );
        assert!(
            lo <= cards && cards <= hi,
            "{id}: {cards} outside [{lo}, {hi}]"
        );
    }
    assert_eq!(n, 6);
    // Again without --force: refused, the folder kept.
    let o = implied_run(
        "models/small/forecast_2028_gba_energy.toml",
        "models/small/forecast_ranges.csv",
        out.to_str().unwrap(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(out.join("implied.csv").exists());
}
