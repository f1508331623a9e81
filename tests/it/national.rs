//! The national default set (issue 27): `data/*.csv` with `models/baseline.toml`
//! (31 provinces as regions, every prefecture-level city, 125 candidate
//! sites). It validates, every city reaches a candidate within its RTT budget
//! (or `validate` names it), every row carries a source, and the baseline
//! solves to a plan that keeps every limit, checked here from the tables
//! themselves. Its shadow prices are checked against finite differences in
//! planner_numbers.rs.

use crate::common;

use std::collections::HashMap;
use std::path::Path;

use common::*;

type Row = HashMap<String, String>;

fn table(name: &str) -> Vec<Row> {
    csv_rows(&root().join("data").join(name))
}

fn num(r: &Row, c: &str) -> f64 {
    r[c].parse()
        .unwrap_or_else(|_| panic!("{c} is a number in {r:?}"))
}

/// Great-circle km on a sphere of the mean Earth radius: an independent
/// estimate (dcsite uses the ellipsoid), within 0.5 % of it.
fn sphere_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0088 * a.sqrt().asin()
}

/// The baseline's latency model: 2 × km × route factor 1.5 × 4.9 µs/km + 2 ms.
fn rtt_ms(km: f64) -> f64 {
    2.0 * km * 1.5 * 4.9 / 1000.0 + 2.0
}

#[test]
fn the_national_data_validates_with_every_city_in_reach() {
    let o = dcsite(&["validate", "models/baseline.toml"]);
    ok(&o, "validate");
    let out = String::from_utf8_lossy(&o.stdout);
    for want in [
        "regions                 31 rows",
        "demand                 337 rows",
        "sites                  125 rows",
        "regions per tier: 8 core, 4 regional, 19 frontier",
        "cities within their RTT budget of a candidate site: 337 of 337",
    ] {
        assert!(out.contains(want), "{want:?} not in:\n{out}");
    }
    assert!(!out.contains("out of reach"), "{out}");
    // The same, computed here: every city has a site within its budget
    // (0.5 % of slack for the sphere against the ellipsoid).
    let sites = table("sites.csv");
    assert!(sites.len() >= 120);
    for d in table("demand.csv") {
        let best = sites
            .iter()
            .map(|s| {
                rtt_ms(sphere_km(
                    num(&d, "lat"),
                    num(&d, "lon"),
                    num(s, "lat"),
                    num(s, "lon"),
                ))
            })
            .fold(f64::INFINITY, f64::min);
        assert!(
            best <= num(&d, "max_rtt_ms") * 1.005,
            "{}: nearest site {best:.2} ms, budget {}",
            d["node_id"],
            d["max_rtt_ms"]
        );
    }
}

#[test]
fn every_row_of_the_national_tables_carries_a_tagged_source() {
    for name in [
        "regions.csv",
        "sites.csv",
        "electricity_prices.csv",
        "subsidies.csv",
        "demand.csv",
        "accelerators.csv",
        "cooling.csv",
        "clusters.csv",
    ] {
        for (i, r) in table(name).iter().enumerate() {
            let src = r["source"].trim();
            assert!(
                ["A", "B", "C", "E", "R"]
                    .iter()
                    .any(|t| src.starts_with(&format!("{t}:")) || src.starts_with(&format!("{t}/"))),
                "{name} row {}: source {src:?} has no quality tag",
                i + 2
            );
        }
    }
    // 31 provinces, each one region of the 3+3+N tiers; every city of a
    // province with GDP has a weight.
    let regions = table("regions.csv");
    assert_eq!(regions.len(), 31);
    let cities = table("demand.csv");
    assert_eq!(cities.len(), 337);
    assert_eq!(
        cities.iter().filter(|c| num(c, "weight") == 0.0).count(),
        1,
        "only Sansha has no GDP figure"
    );
    // The card prices: the articles' figure is the default, the
    // other the end of the range.
    let acc: HashMap<String, Row> = table("accelerators.csv")
        .into_iter()
        .map(|r| (r["accel_id"].clone(), r))
        .collect();
    let h = &acc["h200"];
    assert_eq!(
        (num(h, "price_cny_per_card"), num(h, "price_low")),
        (200000.0, 175000.0)
    );
    let a = &acc["ascend_910c"];
    assert_eq!(num(a, "perf_h200_eq"), 0.6);
    assert_eq!(num(a, "perf_high"), 0.79);
    assert_eq!(num(a, "price_high"), 200000.0);
    // 40 % less than an H200.
    assert_eq!(
        num(a, "price_cny_per_card"),
        0.6 * num(h, "price_cny_per_card")
    );
}

/// A copy of the national set (data/*.csv, models/baseline.toml) in a fresh folder.
fn national_copy() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    for e in std::fs::read_dir(root().join("data")).unwrap() {
        let e = e.unwrap();
        if e.path().extension().is_some_and(|x| x == "csv") {
            std::fs::copy(e.path(), data.join(e.file_name())).unwrap();
        }
    }
    let models = dir.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    let sc = models.join("baseline.toml");
    std::fs::copy(root().join("models/baseline.toml"), &sc).unwrap();
    (dir, sc)
}

/// Sets one city's RTT budget (the 8th cell; the cells before it hold no commas).
fn set_budget(demand: &Path, city: &str, ms: &str) {
    let text = std::fs::read_to_string(demand).unwrap();
    let out: Vec<String> = text
        .lines()
        .map(|l| {
            if !l.starts_with(&format!("{city},")) {
                return l.to_string();
            }
            let mut f: Vec<&str> = l.splitn(9, ',').collect();
            f[7] = ms;
            f.join(",")
        })
        .collect();
    std::fs::write(demand, out.join("\n") + "\n").unwrap();
}

#[test]
fn validate_names_every_city_out_of_reach() {
    let (dir, sc) = national_copy();
    let demand = dir.path().join("data/demand.csv");
    // 2.5 ms leaves 0.5 ms after the 2 ms overhead: 34 km of geodesic.
    set_budget(&demand, "kashgar", "2.5");
    set_budget(&demand, "sansha", "2.5");
    let o = bin().arg("validate").arg(&sc).output().unwrap();
    ok(&o, "validate");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("cities within their RTT budget of a candidate site: 335 of 337"),
        "{out}"
    );
    assert!(
        out.contains(
            "out of reach: city kashgar (Kashgar) has no candidate site within its 2.5 ms RTT budget: the nearest, "
        ) && out.contains("a solve is infeasible"),
        "{out}"
    );
    // Sansha asks for nothing (no GDP figure): named, and said harmless.
    assert!(
        out.contains(
            "out of reach: city sansha (Sansha) has no candidate site within its 2.5 ms RTT budget"
        ) && out.contains("it asks for nothing, so a solve is not affected"),
        "{out}"
    );
    assert_eq!(out.matches("out of reach:").count(), 2, "{out}");
}

#[test]
fn the_national_baseline_solves_to_a_plan_that_keeps_every_limit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("nb");
    ok(
        &dcsite(&[
            "solve",
            "models/baseline.toml",
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--no-gpkg",
            "--no-report",
        ]),
        "national solve",
    );
    let summary = read_json(&out.join("summary.json"));
    // At the default gap (the share link rows prove it in seconds).
    assert_eq!(summary["status"], "optimal");
    assert!(summary["mip_gap"].as_f64().unwrap() <= 1e-4 + 1e-12);
    // Quotas from data/regions.csv against the plan's own totals.
    let quotas: HashMap<String, Row> = table("regions.csv")
        .into_iter()
        .map(|r| (r["region_id"].clone(), r))
        .collect();
    let mut h200 = 0.0;
    let mut ascend = 0.0;
    let mut n = 0;
    for r in csv_rows(&out.join("regions.csv")) {
        if r["level"] != "region" {
            continue;
        }
        n += 1;
        let q = &quotas[&r["id"]];
        assert!(
            num(&r, "facility_mw") <= num(q, "power_quota_mw") + 1e-6,
            "{}: {} MW over its quota {}",
            r["id"],
            r["facility_mw"],
            q["power_quota_mw"]
        );
        assert!(
            num(&r, "annual_tce") <= num(q, "energy_quota_tce") * (1.0 + 1e-9) + 1.0,
            "{}: {} tce over {}",
            r["id"],
            r["annual_tce"],
            q["energy_quota_tce"]
        );
        h200 += num(&r, "cards_h200");
        ascend += num(&r, "cards_ascend_910c");
    }
    assert_eq!(n, 31);
    assert!((500_000.0..=600_000.0).contains(&h200), "{h200} H200");
    assert!(
        ascend >= 0.2 * (h200 + ascend) - 8.0,
        "dual track: {ascend} of {}",
        h200 + ascend
    );
    // Every unbuilt candidate is priced (re-solved where its reduced cost
    // bounds nothing), and no price is a saving beyond the plan's gap: the
    // national set once printed "at least -39,263,972,712 CNY more".
    let objective = summary["objective_cny"].as_f64().unwrap();
    let gap = summary["mip_gap"].as_f64().unwrap();
    for s in features(&out.join("sites.geojson")) {
        let p = &s["properties"];
        if p["built"] == true {
            continue;
        }
        let reason = p["not_built_reason"].as_str().unwrap_or("");
        assert!(
            !reason.contains("at least -") && !reason.contains("at least −"),
            "{reason}"
        );
        if let Some(x) = p["build_cost_gap_cny"].as_f64() {
            assert!(x >= -gap * objective, "{}: {x} CNY, {reason}", p["site_id"]);
        } else if reason.starts_with("possible but not chosen") {
            assert!(
                reason.contains("does not fit"),
                "{}: not priced: {reason}",
                p["site_id"]
            );
        }
    }
    // Every flow within its city's budget, every city with demand served.
    for f in features(&out.join("flows.geojson")) {
        let p = &f["properties"];
        assert!(p["rtt_ms"].as_f64().unwrap() <= p["max_rtt_ms"].as_f64().unwrap() + 1e-6);
    }
    let cities = features(&out.join("cities.geojson"));
    assert_eq!(cities.len(), 337);
    for c in &cities {
        let p = &c["properties"];
        if p["weight"].as_f64().unwrap() > 0.0 {
            assert!(
                p["served_h200_eq"].as_f64().unwrap() > 0.0,
                "{} not served",
                p["node_id"]
            );
        }
    }
    // models/README.md quotes this run (the doc-figure rule of doc_figures.rs:
    // a stale figure fails with the sentence the document should say).
    let readme = std::fs::read_to_string(root().join("models/README.md")).unwrap();
    let readme = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    let cards = &summary["cards_by_accelerator"];
    let want = format!(
        "{:.2} bn CNY, optimal (within 0.01 % of the proven bound), {} H200 and {} Ascend 910C on {} sites, {:.1} facility MW",
        summary["objective_cny"].as_f64().unwrap() / 1e9,
        dcsite::report::html::fmt_int(cards["h200"].as_f64().unwrap()),
        dcsite::report::html::fmt_int(cards["ascend_910c"].as_f64().unwrap()),
        summary["sites_built"],
        summary["facility_mw_total"].as_f64().unwrap(),
    );
    assert!(
        readme.contains(&want),
        "models/README.md should say: {want}"
    );
    // A site far from every other (Lhasa) is built to serve Tibet.
    let built: Vec<String> = features(&out.join("sites.geojson"))
        .iter()
        .filter(|s| {
            s["properties"]["cards_h200"].as_f64().unwrap_or(0.0)
                + s["properties"]["cards_ascend_910c"].as_f64().unwrap_or(0.0)
                > 0.0
        })
        .map(|s| s["properties"]["site_id"].as_str().unwrap().to_string())
        .collect();
    assert!(built.contains(&"lhasa_park".to_string()), "{built:?}");
}
