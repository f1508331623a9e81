//! The shipped province boundaries (`data/provinces.geojson`,
//! `dcsite::spatial::provinces`) against the other shipped tables: region ids
//! exist both ways, every site lies in a division of its own quota region and
//! every demand city in the division its `province` cell names. Checked with
//! geo's point-in-polygon here and with GDAL (GEOS) in `provinces_gdal_agrees`.

use crate::common;
use dcsite::spatial::provinces::{province_at, province_near, provinces};
use std::collections::{BTreeSet, HashSet};
use std::process::Command;

/// Coastal points may lie this far outside DCW's 1990s coastline (Lingang,
/// on land reclaimed since, is 0.6 km out).
const COAST_KM: f64 = 3.0;

fn data(name: &str) -> std::path::PathBuf {
    common::root().join("data").join(name)
}

/// The two shipped sets: the national default (`data/`, a region per
/// province) and the small one (`data/small/`, regions grouping provinces).
const SETS: [&str; 2] = ["data", "data/small"];

fn table(set: &str, name: &str) -> Vec<std::collections::HashMap<String, String>> {
    common::csv_rows(&common::root().join(set).join(name))
}

fn num(row: &std::collections::HashMap<String, String>, key: &str) -> f64 {
    row[key].parse().unwrap()
}

fn region_ids(set: &str) -> BTreeSet<String> {
    table(set, "regions.csv")
        .into_iter()
        .map(|r| r["region_id"].clone())
        .collect()
}

#[test]
fn province_regions_and_regions_csv_agree() {
    // The small set: every region a province names exists, and every region
    // has a province.
    let used: BTreeSet<String> = provinces()
        .iter()
        .filter_map(|p| p.region_id.clone())
        .collect();
    assert_eq!(used, region_ids("data/small"));
    // Only mainland divisions carry a (mainland) quota region.
    assert!(provinces()
        .iter()
        .all(|p| p.mainland || p.region_id.is_none()));
    // The national set: one region per mainland division, keyed by it.
    let keys: BTreeSet<String> = provinces()
        .iter()
        .filter(|p| p.mainland)
        .map(|p| p.key())
        .collect();
    assert_eq!(keys, region_ids("data"));
    // Every division of either set joins the map's shading.
    for set in SETS {
        let ids = region_ids(set);
        let joined = provinces()
            .iter()
            .filter(|p| p.region_in(|r| ids.contains(r)).is_some())
            .count();
        let want = if set == "data" { 31 } else { used_divisions() };
        assert_eq!(joined, want, "{set}");
    }
}

fn used_divisions() -> usize {
    provinces().iter().filter(|p| p.region_id.is_some()).count()
}

#[test]
fn every_site_lies_in_a_province_of_its_region() {
    let mut bad = Vec::new();
    for set in SETS {
        let ids = region_ids(set);
        for s in table(set, "sites.csv") {
            let (lon, lat) = (num(&s, "lon"), num(&s, "lat"));
            match province_near(lon, lat, COAST_KM) {
                Some(p)
                    if p.region_in(|r| ids.contains(r)).as_deref()
                        == Some(s["region_id"].as_str()) => {}
                other => bad.push(format!(
                    "{set}: {} ({lon}, {lat}) region {} but in {:?}",
                    s["site_id"],
                    s["region_id"],
                    other.map(|p| (&p.name_en, &p.region_id))
                )),
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

/// Sansha's seat on Yongxing Island (Paracels) lies 2.7° from the schematic
/// Hainan polygon, which leaves out the South China Sea islands.
const FAR_ISLANDS: [&str; 1] = ["sansha"];

#[test]
fn every_demand_city_lies_in_its_province() {
    let mut bad = Vec::new();
    for set in SETS {
        for d in table(set, "demand.csv") {
            if FAR_ISLANDS.contains(&d["node_id"].as_str()) {
                continue;
            }
            let (lon, lat) = (num(&d, "lon"), num(&d, "lat"));
            let got = province_near(lon, lat, COAST_KM).map(|p| p.name_en.as_str());
            if got != Some(d["province"].as_str()) {
                bad.push(format!(
                    "{set}: {} in {got:?}, table says {}",
                    d["node_id"], d["province"]
                ));
            }
        }
    }
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn only_lingang_needs_the_coastal_tolerance() {
    for set in SETS {
        let outside: Vec<String> = table(set, "sites.csv")
            .into_iter()
            .chain(table(set, "demand.csv"))
            .filter(|r| province_at(num(r, "lon"), num(r, "lat")).is_none())
            .map(|r| r.get("site_id").or(r.get("node_id")).unwrap().clone())
            .filter(|id| !FAR_ISLANDS.contains(&id.as_str()))
            .collect();
        assert_eq!(outside, vec!["lingang".to_string()], "{set}");
    }
}

/// GDAL (GEOS) reads the same file: 34 valid features, and its
/// point-in-polygon agrees with geo's for every site.
#[test]
fn provinces_gdal_agrees() {
    let path = data("provinces.geojson");
    let sql = "select count(*) as n, sum(st_isvalid(geometry)) as valid from provinces";
    let out = Command::new("ogrinfo")
        .args(["-q", "-dialect", "sqlite", "-sql", sql])
        .arg(&path)
        .output()
        .expect("ogrinfo runs (gdal-bin, scripts/setup.sh)");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("n (Integer) = 34"), "{text}");
    assert!(text.contains("valid (Integer) = 34"), "{text}");
    let mut seen = HashSet::new();
    for s in common::csv_rows(&data("sites.csv")) {
        let (lon, lat) = (num(&s, "lon"), num(&s, "lat"));
        let sql = format!(
            "select province_id from provinces where st_contains(geometry, makepoint({lon}, {lat}))"
        );
        let out = Command::new("ogrinfo")
            .args(["-q", "-dialect", "sqlite", "-sql", &sql])
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let gdal = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("province_id (Integer) = "))
            .map(|v| v.parse::<u32>().unwrap());
        assert_eq!(
            gdal,
            province_at(lon, lat).map(|p| p.id),
            "{}",
            s["site_id"]
        );
        seen.insert(gdal);
    }
    assert!(seen.len() > 10);
}
