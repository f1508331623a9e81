//! Deployment density (issue 14 §4): an accelerator may be deployed at fewer
//! servers per rack (`accelerators.min_servers_per_rack`) so that air cooling
//! can take its racks, paying `cooling.capex_cny_per_rack` for every extra
//! rack. Hand-checkable models where air at the lower density is and is not
//! the cheaper choice, the real tables' figures recomputed from the CSV
//! cells, and the schema errors of bad values.

use crate::common;

use common::*;
use dcsite::domain::*;
use dcsite::milp::Prepared;
use dcsite::solve::{solve, SolveOptions, Status};

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "{a} != {b}");
}

/// One site, 100 one-card 1-kW servers (the common test accelerator: its
/// design rack is 10 kW, 10 servers), one year at full load, price 0.5
/// CNY/kWh. Air: PUE 1.15, racks up to 5 kW, no capex per MW. Liquid: PUE
/// 1.10, any rack, 1,000,000 CNY per MW IT. The accelerator may go down to
/// 5 servers per rack (5 kW), so air can take it with 10 extra racks.
fn cold_site(capex_per_rack: f64, min_servers_per_rack: Option<u32>) -> Instance {
    let mut inst = two_sites(100.0, 0.5, 0.5);
    inst.sites.truncate(1);
    inst.accelerators[0].min_servers_per_rack = min_servers_per_rack;
    let mut air = cooling("air");
    air.pue_base = 1.15;
    air.max_rack_kw = 5.0;
    air.capex_cny_per_rack = capex_per_rack;
    let mut liquid = cooling("liquid");
    liquid.pue_base = 1.10;
    liquid.capex_cny_per_mw_it = 1_000_000.0;
    liquid.capex_cny_per_rack = capex_per_rack;
    inst.cooling = vec![air, liquid];
    inst
}

/// Cost of each choice, computed by hand from the figures above.
fn air_cost(capex_per_rack: f64) -> f64 {
    let servers = 100.0;
    let racks_dense = servers / 10.0; // 10 racks at 10 servers per rack
    let racks_air = servers / 5.0; // 20 racks at 5 servers per rack (5 kW)
    servers * 8760.0 * 1.15 * 0.5 + (racks_air - racks_dense) * capex_per_rack
}
fn liquid_cost() -> f64 {
    100.0 * 8760.0 * 1.10 * 0.5 + 100.0 * 1_000_000.0 / 1000.0
}

#[test]
fn air_at_a_lower_density_wins_where_its_extra_racks_cost_less_than_liquid() {
    let r = 500.0;
    assert!(air_cost(r) < liquid_cost()); // 508,700 < 581,800
    let p = Prepared::new(cold_site(r, Some(5)));
    let air = p.options.iter().find(|o| o.cooling == 0).unwrap();
    assert_eq!(air.servers_per_rack, vec![5]);
    let liquid = p.options.iter().find(|o| o.cooling == 1).unwrap();
    assert_eq!(liquid.servers_per_rack, vec![10]);
    let plan = solve(&p, &SolveOptions::default()).expect("solves");
    assert_eq!(plan.status, Status::Optimal);
    close(plan.objective_cny, air_cost(r));
    close(plan.objective_cny, 508_700.0);
    assert_eq!(plan.sites[0].cooling, Some(0));
    assert_eq!(plan.sites[0].servers[0], 100);
    // The plan's capex is the 10 extra racks (free hardware, no capex per MW).
    close(plan.sites[0].capex_cny, 10.0 * r);
}

#[test]
fn liquid_stays_where_the_extra_racks_cost_more_than_it_saves() {
    let r = 10_000.0;
    assert!(air_cost(r) > liquid_cost()); // 603,700 > 581,800
    let plan = solve(
        &Prepared::new(cold_site(r, Some(5))),
        &SolveOptions::default(),
    )
    .expect("solves");
    close(plan.objective_cny, liquid_cost());
    close(plan.objective_cny, 581_800.0);
    assert_eq!(plan.sites[0].cooling, Some(1));
    close(plan.sites[0].capex_cny, 100_000.0);
}

#[test]
fn without_a_lower_density_air_cannot_take_the_racks() {
    // Today's behaviour: no min_servers_per_rack, only the 10-kW design rack.
    let p = Prepared::new(cold_site(500.0, None));
    assert!(p.options.iter().all(|o| o.cooling != 0));
    let reason = &p.option_reasons[0][0].1;
    assert!(
        reason.contains("racks up to 5 kW") && reason.contains("h200 ≥ 10.0 kW"),
        "{reason}"
    );
    // A lower density that is still too dense for air changes nothing.
    let p = Prepared::new(cold_site(500.0, Some(6)));
    assert!(p.option_reasons[0][0].1.contains("h200 ≥ 6.0 kW"));
    let plan = solve(&p, &SolveOptions::default()).expect("solves");
    close(plan.objective_cny, liquid_cost());
}

/// A column of a CSV file as text cells (the columns before `source` hold
/// no commas).
fn cell(path: &std::path::Path, row_id: &str, column: &str) -> f64 {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let k = header.iter().position(|c| *c == column).unwrap();
    let line = lines.find(|l| l.split(',').next() == Some(row_id)).unwrap();
    line.split(',').nth(k).unwrap().parse().unwrap()
}

#[test]
fn the_baseline_puts_h200_under_air_at_two_servers_per_rack_with_its_racks_priced() {
    let data = root().join("data/small");
    let acc = data.join("accelerators.csv");
    let coo = data.join("cooling.csv");
    let sites = data.join("sites.csv");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b");
    let o = dcsite(&[
        "solve",
        "models/small/baseline.toml",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    ok(&o, "solve baseline");
    let air_sites: Vec<serde_json::Value> = features(&out.join("sites.geojson"))
        .into_iter()
        .map(|f| f["properties"].clone())
        .filter(|p| p["cooling"] == "air")
        .collect();
    assert!(!air_sites.is_empty(), "no site chose air");
    // Per server under air, from the CSV cells: facility capex per MW × kW
    // plus the capex of a rack position × (1/2 − 1/dense) extra racks.
    let per_rack = cell(&coo, "air", "capex_cny_per_rack");
    let per_mw = cell(&coo, "air", "capex_cny_per_mw_it");
    let per_server = |id: &str| {
        let kw = cell(&acc, id, "server_kw");
        let dense = (cell(&acc, id, "rack_kw") / kw).round();
        let lowest = cell(&acc, id, "min_servers_per_rack");
        assert!(cell(&acc, id, "rack_kw") * lowest / dense <= cell(&coo, "air", "max_rack_kw"));
        let cards = cell(&acc, id, "cards_per_server");
        cards * cell(&acc, id, "price_cny_per_card") * (1.0 + cell(&acc, id, "levy_share"))
            + cell(&acc, id, "server_cost_cny")
            + per_mw * kw / 1000.0
            + per_rack * (1.0 / lowest - 1.0 / dense)
    };
    for s in &air_sites {
        let id = s["site_id"].as_str().unwrap();
        let h200 = s["cards_h200"].as_f64().unwrap() / cell(&acc, "h200", "cards_per_server");
        let ascend = s["cards_ascend_910c"].as_f64().unwrap()
            / cell(&acc, "ascend_910c", "cards_per_server");
        let expect = cell(&sites, id, "fixed_cost_cny")
            + h200 * per_server("h200")
            + ascend * per_server("ascend_910c");
        let got = s["capex_cny"].as_f64().unwrap();
        assert!(
            (got - expect).abs() <= 1.0 + 1e-9 * expect,
            "{id}: capex {got} != {expect}"
        );
    }
    let ulanqab = air_sites.iter().find(|s| s["site_id"] == "ulanqab");
    assert!(ulanqab.is_some(), "ulanqab (4.3 °C) is not air-cooled");
    // Every air site says its density: 2 servers per rack of what it holds.
    for s in &air_sites {
        for a in ["h200", "ascend_910c"] {
            let n = &s[format!("servers_per_rack_{a}").as_str()];
            if s[format!("cards_{a}").as_str()].as_u64().unwrap() > 0 {
                assert_eq!(n, 2, "{}", s["site_id"]);
            } else {
                assert!(n.is_null(), "{}", s["site_id"]);
            }
        }
    }
}

#[test]
fn tables_without_the_density_columns_load_with_todays_behaviour() {
    let (dir, sc) = scratch_copy();
    for (file, column) in [
        ("accelerators.csv", "min_servers_per_rack"),
        ("cooling.csv", "capex_cny_per_rack"),
    ] {
        drop_column(&dir.path().join("data/small").join(file), column);
    }
    let (_, inst, _) = dcsite::data::load(&sc).expect("loads");
    assert!(inst
        .accelerators
        .iter()
        .all(|a| a.min_servers_per_rack.is_none()));
    assert!(inst.cooling.iter().all(|k| k.capex_cny_per_rack == 0.0));
    let p = Prepared::new(inst);
    let air = p.inst.cooling.iter().position(|k| k.id == "air").unwrap();
    assert!(p.options.iter().all(|o| o.cooling != air));
}

#[test]
fn bad_density_values_exit_2_naming_file_row_and_column() {
    let (dir, sc) = scratch_copy();
    let acc = dir.path().join("data/small/accelerators.csv");
    edit(&acc, "40.8,2,", "40.8,5,");
    edit(&acc, "11.7,35,2,", "11.7,35,0,");
    edit(
        &dir.path().join("data/small/cooling.csv"),
        ",25,100000,",
        ",25,-1,",
    );
    let o = dcsite(&["validate", sc.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    for want in [
        "accelerators.csv: row 2, column min_servers_per_rack: expected at most the 4 servers",
        "found 5",
        "accelerators.csv: row 3, column min_servers_per_rack: expected a finite whole number from 1 to 64",
        "cooling.csv: row 2, column capex_cny_per_rack: expected a finite number from 0",
        "found \"-1\"",
    ] {
        assert!(err.contains(want), "{want:?} not in:\n{err}");
    }
}
