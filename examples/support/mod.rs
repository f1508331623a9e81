//! Support for the examples and tests (not part of the shipped library): the
//! OR-Library reader and the synthetic national generator.
#![allow(dead_code)]

//! Public benchmark instances turned into dcsite problems, so that the real
//! model builder and solver can be checked against published optima.
//!
//! Beasley's OR-Library capacitated warehouse location instances map onto the
//! siting model as: warehouses → candidate sites (capacity → IT power of
//! 1-kW one-card servers, fixed cost → fixed site cost), customers → demand
//! nodes with fixed demand, allocation cost c_ij → per-unit service cost
//! c_ij / d_j of the (city, site) pair. No latency, energy, price or hardware
//! cost applies, so the objective is exactly Σ f_i y_i + Σ c_ij x_ij.

pub mod synth;

use std::collections::BTreeMap;

use dcsite::domain::*;
use dcsite::milp::Prepared;

/// A parsed OR-Library `cap*` instance.
#[derive(Debug, Clone, PartialEq)]
pub struct CapInstance {
    /// Capacity per warehouse (`None` where the file says `capacity`).
    pub capacity: Vec<Option<f64>>,
    pub fixed_cost: Vec<f64>,
    pub demand: Vec<f64>,
    /// cost[j][i]: serving all of customer j from warehouse i.
    pub cost: Vec<Vec<f64>>,
}

/// Parses the OR-Library format: a stream of whitespace-separated tokens.
pub fn parse_cap(text: &str) -> Result<CapInstance, String> {
    let mut tok = text.split_ascii_whitespace();
    let mut next = |what: &str| tok.next().ok_or_else(|| format!("file ends before {what}"));
    let num = |s: &str, what: &str| {
        s.parse::<f64>()
            .map_err(|_| format!("expected a number for {what}, found {s:?}"))
    };
    let m = num(next("m")?, "m")? as usize;
    let n = num(next("n")?, "n")? as usize;
    let mut capacity = Vec::with_capacity(m);
    let mut fixed_cost = Vec::with_capacity(m);
    for i in 0..m {
        let c = next("a capacity")?;
        capacity.push(if c == "capacity" {
            None
        } else {
            Some(num(c, &format!("capacity {i}"))?)
        });
        fixed_cost.push(num(next("a fixed cost")?, &format!("fixed cost {i}"))?);
    }
    let mut demand = Vec::with_capacity(n);
    let mut cost = Vec::with_capacity(n);
    for j in 0..n {
        demand.push(num(next("a demand")?, &format!("demand {j}"))?);
        let mut row = Vec::with_capacity(m);
        for i in 0..m {
            row.push(num(next("a cost")?, &format!("cost {i} of customer {j}"))?);
        }
        cost.push(row);
    }
    Ok(CapInstance {
        capacity,
        fixed_cost,
        demand,
        cost,
    })
}

/// Turns a parsed instance into a prepared dcsite problem. `capacity`
/// replaces the word `capacity` of the large instances (capa/capb/capc).
pub fn cap_to_prepared(
    name: &str,
    cap: &CapInstance,
    capacity: Option<f64>,
) -> Result<Prepared, String> {
    let m = cap.capacity.len();
    let sites = (0..m)
        .map(|i| {
            let c = cap.capacity[i]
                .or(capacity)
                .ok_or_else(|| "this instance needs --capacity".to_string())?;
            Ok(Site {
                id: format!("w{}", i + 1),
                name_en: format!("warehouse {}", i + 1),
                name_zh: String::new(),
                region_id: "all".into(),
                province: "any".into(),
                // Positions do not matter: latency is switched off below.
                lat: 30.0,
                lon: 110.0,
                mean_temp_c: 0.0,
                max_it_mw: c / 1000.0,
                fixed_cost_cny: cap.fixed_cost[i],
                grid_lead_months: 0.0,
                status: SiteStatus::Candidate,
                ready_it_mw: None,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let demand = (0..cap.demand.len())
        .map(|j| DemandNode {
            id: format!("c{}", j + 1),
            name_en: format!("customer {}", j + 1),
            name_zh: String::new(),
            lat: 30.0,
            lon: 110.0,
            weight: 1.0,
            cards: Some(cap.demand[j]),
            max_rtt_ms: f64::INFINITY,
        })
        .collect();
    let total: f64 = cap.demand.iter().sum();
    let mut targets = BTreeMap::new();
    targets.insert(
        "unit".to_string(),
        // At least the total demand: rounding a site's servers up costs nothing here.
        Target {
            min: total,
            max: None,
        },
    );
    let mut quotas = PerQuota::default();
    quotas[Quota::Power] = Some(1e12);
    quotas[Quota::Energy] = Some(1e15);
    let inst = Instance {
        name: name.to_string(),
        regions: vec![Region {
            id: "all".into(),
            name_en: "all".into(),
            name_zh: String::new(),
            tier: Tier::Core,
            quotas,
            pue_cap: 10.0,
            green_share: 0.0,
        }],
        sites,
        prices: vec![PriceZone {
            province: "any".into(),
            price_cny_per_kwh: 0.0,
            low: 0.0,
            high: 0.0,
        }],
        accelerators: vec![Accelerator {
            id: "unit".into(),
            name: "one unit of demand".into(),
            origin: Origin::Imported,
            cards_per_server: 1,
            server_kw: 1.0,
            rack_kw: 1.0,
            min_servers_per_rack: None,
            price_cny_per_card: 0.0,
            server_cost_cny: 0.0,
            levy_share: 0.0,
            perf_h200_eq: 1.0,
        }],
        cooling: vec![Cooling {
            id: "none".into(),
            name: "none".into(),
            pue_base: 1.0,
            pue_per_deg_c: 0.0,
            ref_temp_c: 0.0,
            capex_cny_per_mw_it: 0.0,
            lead_months: 0.0,
            max_rack_kw: 1.0,
            capex_cny_per_rack: 0.0,
            wue_l_per_kwh: 0.0,
            opex_cny_per_mw_it_year: 0.0,
        }],
        subsidies: vec![],
        demand,
        params: Params {
            horizon_years: 1,
            discount_rate: 0.0,
            utilisation: 1.0,
            inference_share: 0.0,
            mega_cards: 0.0,
            mega_count: 0,
            mega_accelerators: vec![],
            min_site_cards: 0.0,
            domestic_share: 0.0,
            domestic_share_basis: ShareBasis::Cards,
            deadline_months: 0.0,
            fibre_us_per_km: 0.0,
            route_factor: 1.0,
            overhead_ms: 0.0,
            tce_per_mwh: 0.0,
            network_cny_per_card_ms_year: 0.0,
            max_sites_per_city: None,
            campus_phase_mw: None,
            campus_phase_months: 3.0,
            install_days: 30.0,
            start_year: None,
            power_contract_cny_per_kw_month: 0.0,
            hall_start_step_months: 0.0,
        },
        targets,
        region_bounds: BTreeMap::new(),
        tier_bounds: BTreeMap::new(),
        clusters: Vec::new(),
        cluster_bounds: BTreeMap::new(),
        deliveries: Vec::new(),
    };
    let mut p = Prepared::new(inst);
    // The allocation cost replaces the network cost of each pair.
    for pair in &mut p.pairs {
        let j = pair.demand;
        pair.cost_cny_per_card = cap.cost[j][pair.site] / cap.demand[j];
    }
    Ok(p)
}
