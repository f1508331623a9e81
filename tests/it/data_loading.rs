//! The loader on the real default data, and one test per class of bad input:
//! each asserts that the message names the file and the column.

use crate::common;

use common::*;
use dcsite::data::{load, Problems};
use dcsite::domain::*;
use proptest::prelude::*;

#[test]
fn default_data_loads_with_exact_values() {
    let (sc, inst, summary) =
        load(&root().join("models/small/baseline.toml")).expect("baseline loads");
    assert_eq!(sc.name, "baseline");
    let rows: Vec<_> = summary.rows.iter().map(|(t, n)| (*t, *n)).collect();
    assert_eq!(
        rows,
        vec![
            ("regions", 11),
            ("sites", 25),
            ("electricity_prices", 17),
            ("subsidies", 15),
            ("demand", 38),
            ("accelerators", 2),
            ("cooling", 3),
            ("clusters", 9),
        ]
    );
    let north = &inst.clusters[0];
    assert_eq!(
        (north.id.as_str(), north.name_zh.as_str(), north.kind),
        ("jingjinjimeng", "京津冀蒙", ClusterKind::Core)
    );
    assert_eq!(north.regions, ["jjj", "inner_mongolia"]);
    assert_eq!(
        summary.regions_per_tier,
        vec![(Tier::Core, 3), (Tier::Regional, 3), (Tier::Frontier, 5)]
    );
    let zw = inst.sites.iter().find(|s| s.id == "zhongwei").unwrap();
    assert_eq!((zw.lat, zw.lon, zw.mean_temp_c), (37.5, 105.197, 8.8));
    assert_eq!(zw.name_zh, "中卫");
    let h200 = inst.accelerators.iter().find(|a| a.id == "h200").unwrap();
    assert_eq!(
        (h200.cards_per_server, h200.server_kw, h200.levy_share),
        (8, 10.2, 0.0)
    );
    assert_eq!(h200.price_cny_per_card, 175_000.0);
    let qy = inst.price("gansu").unwrap();
    assert_eq!((qy.low, qy.price_cny_per_kwh, qy.high), (0.33, 0.40, 0.46));
    assert_eq!(
        inst.targets["h200"],
        Target {
            min: 500_000.0,
            max: Some(600_000.0)
        }
    );
    assert_eq!(inst.params.horizon_years, 5);
    assert_eq!(inst.params.domestic_share, 0.2);
    assert_eq!(inst.params.mega_cards, 100_000.0);
    assert!(inst.subsidies.is_empty(), "baseline has no subsidy");
}

#[test]
fn every_scenario_in_models_loads() {
    for dir in ["models", "models/small"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = e.unwrap().path();
            if path.extension().is_some_and(|x| x == "toml") {
                load(&path).unwrap_or_else(|p| panic!("{}: {p}", path.display()));
            }
        }
    }
}

#[test]
fn extends_inherits_and_overrides() {
    let (_, inst, _) = load(&root().join("models/small/central_push.toml")).unwrap();
    assert_eq!(inst.name, "central_push");
    assert_eq!(inst.subsidies.len(), 9);
    assert_eq!(inst.params.mega_cards, 100_000.0, "inherited from baseline");
    let (_, inst, _) = load(&root().join("models/small/forecast_2028.toml")).unwrap();
    assert_eq!(inst.targets["h200"].min, 2_500_000.0);
    assert_eq!(inst.params.mega_cards, 200_000.0);
    assert_eq!(inst.params.domestic_share, 0.2, "inherited");
    let jjj = inst.region("jjj").unwrap();
    assert_eq!(jjj.power_quota_mw(), 600.0, "150 MW × 4");
}

fn problems_of(sc: &std::path::Path) -> Problems {
    match load(sc) {
        Ok(_) => panic!("expected input problems"),
        Err(p) => p,
    }
}

/// Asserts that one problem names this file, row and column.
fn has(p: &Problems, file: &str, row: Option<usize>, column: &str, found_part: &str) {
    let text = p.to_string();
    assert!(
        p.0.iter().any(|x| x.file.ends_with(file)
            && (row.is_none() || x.row == row)
            && x.column.as_deref() == Some(column)
            && x.found.contains(found_part)),
        "no problem for {file} row {row:?} column {column} with {found_part:?} in:\n{text}"
    );
    assert!(
        text.contains(file) && text.contains(&format!("column {column}")),
        "{text}"
    );
}

#[test]
fn a_missing_column_is_named() {
    let (dir, sc) = scratch_copy();
    drop_column(&dir.path().join("data/small/regions.csv"), "pue_cap");
    let p = problems_of(&sc);
    has(&p, "regions.csv", Some(1), "pue_cap", "no such column");
}

#[test]
fn a_row_with_too_many_fields_is_named() {
    let (dir, sc) = scratch_copy();
    edit(&dir.path().join("data/small/regions.csv"), "pue_cap,", "");
    let p = problems_of(&sc);
    assert!(
        p.0.iter()
            .any(|x| x.file.ends_with("regions.csv") && x.row == Some(2) && x.found == "9 fields"),
        "{p}"
    );
}

#[test]
fn an_unknown_column_is_named() {
    let (dir, sc) = scratch_copy();
    edit(
        &dir.path().join("data/small/cooling.csv"),
        "wue_l_per_kwh",
        "wue_l_kwh",
    );
    let p = problems_of(&sc);
    has(&p, "cooling.csv", Some(1), "wue_l_kwh", "unknown column");
    has(
        &p,
        "cooling.csv",
        Some(1),
        "wue_l_per_kwh",
        "no such column",
    );
}

#[test]
fn a_wrong_type_is_named_with_its_row() {
    let (dir, sc) = scratch_copy();
    edit(
        &dir.path().join("data/small/sites.csv"),
        ",600,200000000,5,",
        ",six hundred,200000000,5,",
    );
    let p = problems_of(&sc);
    has(&p, "sites.csv", Some(9), "max_it_mw", "six hundred");
}

#[test]
fn an_empty_required_cell_is_named() {
    let (dir, sc) = scratch_copy();
    edit(
        &dir.path().join("data/small/regions.csv"),
        "jjj,Beijing-Tianjin-Hebei,京津冀,core,150,",
        "jjj,Beijing-Tianjin-Hebei,京津冀,core,,",
    );
    let p = problems_of(&sc);
    has(&p, "regions.csv", Some(2), "power_quota_mw", "empty cell");
}

#[test]
fn nan_and_infinity_are_refused() {
    let (dir, sc) = scratch_copy();
    edit(
        &dir.path().join("data/small/electricity_prices.csv"),
        "ningxia,Ningxia,0.36,",
        "ningxia,Ningxia,NaN,",
    );
    edit(
        &dir.path().join("data/small/cooling.csv"),
        "1.15,0.015,5,51000000",
        "1.15,0.015,inf,51000000",
    );
    let p = problems_of(&sc);
    has(
        &p,
        "electricity_prices.csv",
        Some(3),
        "price_cny_per_kwh",
        "NaN",
    );
    has(&p, "cooling.csv", Some(2), "ref_temp_c", "inf");
}

#[test]
fn negative_prices_quotas_and_capacities_are_refused() {
    let (dir, sc) = scratch_copy();
    edit(
        &dir.path().join("data/small/electricity_prices.csv"),
        "ningxia,Ningxia,0.36,0.30",
        "ningxia,Ningxia,0.36,-0.30",
    );
    edit(
        &dir.path().join("data/small/regions.csv"),
        "core,150,50000",
        "core,150,-50000",
    );
    edit(
        &dir.path().join("data/small/sites.csv"),
        ",600,200000000,5,",
        ",-600,200000000,5,",
    );
    let p = problems_of(&sc);
    has(&p, "electricity_prices.csv", Some(3), "low", "-0.30");
    has(&p, "regions.csv", Some(2), "energy_quota_tce", "-50000");
    has(&p, "sites.csv", Some(9), "max_it_mw", "-600");
}

#[test]
fn coordinates_out_of_range_or_swapped_are_named() {
    let (dir, sc) = scratch_copy();
    edit(
        &dir.path().join("data/small/sites.csv"),
        "37.500,105.197",
        "105.197,37.500",
    );
    edit(
        &dir.path().join("data/small/demand.csv"),
        "31.23,121.47",
        "31.23,221.47",
    );
    let p = problems_of(&sc);
    has(&p, "sites.csv", Some(9), "lat", "105.197");
    has(&p, "demand.csv", Some(2), "lon", "221.47");
    // Swapped but each in range: lat 105 is out of range anyway; try a subtler swap.
    let (dir, sc) = scratch_copy();
    edit(
        &dir.path().join("data/small/demand.csv"),
        "31.23,121.47",
        "121.47,31.23",
    );
    let p = problems_of(&sc);
    has(&p, "demand.csv", Some(2), "lat", "121.47");
}

#[test]
fn swapped_coordinates_inside_both_ranges_are_flagged() {
    let (dir, sc) = scratch_copy();
    // Lat 87.6 / lon 43.8 is a valid point in the Arctic, but Urumqi swapped.
    edit(
        &dir.path().join("data/small/sites.csv"),
        "41.000,113.133",
        "80.000,41.000",
    );
    let p = problems_of(&sc);
    assert!(
        p.0.iter()
            .any(|x| x.file.ends_with("sites.csv") && x.found.contains("apparently swapped")),
        "{p}"
    );
}

#[test]
fn duplicate_ids_are_named_with_both_rows() {
    let (dir, sc) = scratch_copy();
    edit(
        &dir.path().join("data/small/sites.csv"),
        "zhangbei,Zhangbei",
        "zhangjiakou,Zhangbei",
    );
    let p = problems_of(&sc);
    has(&p, "sites.csv", Some(4), "site_id", "first on row 3");
}

#[test]
fn unknown_references_are_named() {
    let (dir, sc) = scratch_copy();
    edit(
        &dir.path().join("data/small/sites.csv"),
        "zhongwei,Zhongwei,中卫,ningxia,ningxia",
        "zhongwei,Zhongwei,中卫,ningxya,ningxia",
    );
    edit(
        &dir.path().join("data/small/sites.csv"),
        "qingyang,Qingyang (Xifeng),庆阳,gansu,gansu",
        "qingyang,Qingyang (Xifeng),庆阳,gansu,kansu",
    );
    edit(&sc, "[targets.ascend_910c]", "[targets.ascend_910x]");
    let p = problems_of(&sc);
    has(&p, "sites.csv", Some(9), "region_id", "ningxya");
    has(&p, "sites.csv", Some(10), "province", "kansu");
    has(
        &p,
        "baseline.toml",
        None,
        "targets.ascend_910x",
        "ascend_910x",
    );
}

#[test]
fn a_pue_below_one_is_refused() {
    let (dir, sc) = scratch_copy();
    edit(
        &dir.path().join("data/small/cooling.csv"),
        "cold_plate,Direct liquid cold plate,1.10",
        "cold_plate,Direct liquid cold plate,0.95",
    );
    edit(
        &dir.path().join("data/small/regions.csv"),
        "core,150,50000,1.25",
        "core,150,50000,0.9",
    );
    let p = problems_of(&sc);
    has(&p, "cooling.csv", Some(3), "pue_base", "0.95");
    has(&p, "regions.csv", Some(2), "pue_cap", "0.9");
}

#[test]
fn subsidy_shares_outside_zero_one_are_refused() {
    let (dir, sc) = scratch_copy();
    edit(
        &dir.path().join("data/small/subsidies.csv"),
        "capex_share,0.20,2000000000",
        "capex_share,1.20,2000000000",
    );
    edit(
        &sc,
        "subsidy_scenario = \"none\"",
        "subsidy_scenario = \"central_push\"",
    );
    let p = problems_of(&sc);
    has(&p, "subsidies.csv", Some(2), "value", "1.20");
}

#[test]
fn every_subsidy_row_is_checked_whichever_scenario_uses_it() {
    // Issue 23 §12: the baseline uses no subsidy scenario, but a row of
    // central_push that names an unknown region (and a share above 1) is a
    // broken table all the same.
    let (dir, sc) = scratch_copy();
    edit(
        &dir.path().join("data/small/subsidies.csv"),
        "central_push,cp_central_capex,central,",
        "central_push,cp_central_capex,centrla,",
    );
    edit(
        &dir.path().join("data/small/subsidies.csv"),
        "capex_share,0.20,2000000000",
        "capex_share,1.20,2000000000",
    );
    let p = problems_of(&sc);
    has(&p, "subsidies.csv", Some(2), "region_id", "centrla");
    has(&p, "subsidies.csv", Some(2), "value", "1.20");
    let o = common::dcsite(&["validate", sc.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("subsidies.csv")
            && err.contains("row 2, column region_id")
            && err.contains("centrla")
            && !err.contains("panicked"),
        "{err}"
    );
}

#[test]
fn a_missing_table_file_is_named() {
    let (dir, sc) = scratch_copy();
    std::fs::remove_file(dir.path().join("data/small/cooling.csv")).unwrap();
    let p = problems_of(&sc);
    has(&p, "baseline.toml", None, "tables.cooling", "cooling.csv");
}

#[test]
fn a_missing_extended_scenario_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let sc = dir.path().join("child.toml");
    std::fs::write(&sc, "extends = \"nowhere.toml\"\n").unwrap();
    let p = problems_of(&sc);
    has(&p, "child.toml", None, "extends", "nowhere.toml");
}

#[test]
fn malformed_toml_gives_its_line() {
    let (_dir, sc) = scratch_copy();
    edit(&sc, "horizon_years = 5", "horizon_years = = 5");
    let p = problems_of(&sc);
    let line = std::fs::read_to_string(&sc)
        .unwrap()
        .lines()
        .position(|l| l.contains("horizon_years"))
        .unwrap()
        + 1;
    assert!(
        p.0.iter()
            .any(|x| x.file.ends_with("baseline.toml") && x.row == Some(line)),
        "{p}"
    );
    assert!(p.to_string().contains(&format!("row {line}")));
}

#[test]
fn an_unknown_scenario_key_is_refused() {
    let (_dir, sc) = scratch_copy();
    edit(&sc, "horizon_years = 5", "horizon_yeras = 5");
    let p = problems_of(&sc);
    assert!(p.to_string().contains("horizon_yeras"), "{p}");
}

#[test]
fn bad_scenario_parameters_are_named() {
    let (_dir, sc) = scratch_copy();
    edit(&sc, "domestic_share = 0.2", "domestic_share = 1.5");
    edit(&sc, "route_factor = 1.5", "route_factor = 0.5");
    let p = problems_of(&sc);
    has(
        &p,
        "baseline.toml",
        None,
        "parameters.domestic_share",
        "1.5",
    );
    has(&p, "baseline.toml", None, "parameters.route_factor", "0.5");
}

#[test]
fn every_problem_is_reported_at_once() {
    let (dir, sc) = scratch_copy();
    edit(
        &dir.path().join("data/small/regions.csv"),
        "core,150,50000",
        "core,abc,50000",
    );
    edit(
        &dir.path().join("data/small/sites.csv"),
        ",600,200000000,5,",
        ",-600,200000000,5,",
    );
    edit(
        &dir.path().join("data/small/cooling.csv"),
        "1.15,0.015,5,51000000",
        "1.15,0.015,x,51000000",
    );
    let p = problems_of(&sc);
    assert!(p.len() >= 3, "{p}");
}

#[test]
fn a_byte_order_mark_and_crlf_line_endings_are_accepted() {
    let (dir, sc) = scratch_copy();
    for name in ["regions.csv", "sites.csv", "demand.csv"] {
        let path = dir.path().join("data/small").join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend(text.replace('\n', "\r\n").into_bytes());
        std::fs::write(&path, bytes).unwrap();
    }
    let (_, inst, _) = load(&sc).expect("BOM + CRLF load");
    assert_eq!(inst.regions[0].id, "jjj");
    assert_eq!(inst.sites.len(), 25);
    assert_eq!(inst.regions[10].green_share, 0.9);
}

#[test]
fn an_empty_file_is_named() {
    let (dir, sc) = scratch_copy();
    std::fs::write(dir.path().join("data/small/demand.csv"), "").unwrap();
    let p = problems_of(&sc);
    assert!(p.0.iter().any(|x| x.file.ends_with("demand.csv")), "{p}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]
    /// Random byte mutations of a table never panic the loader.
    #[test]
    fn mutated_csv_never_panics(edits in proptest::collection::vec((0usize..4000, any::<u8>()), 1..12), table in 0usize..4) {
        let (dir, sc) = scratch_copy();
        let name = ["regions.csv", "sites.csv", "subsidies.csv", "accelerators.csv"][table];
        let path = dir.path().join("data/small").join(name);
        let mut bytes = std::fs::read(&path).unwrap();
        for (pos, b) in edits {
            if bytes.is_empty() { break; }
            let i = pos % bytes.len();
            bytes[i] = b;
        }
        std::fs::write(&path, bytes).unwrap();
        let _ = load(&sc);
    }
}
