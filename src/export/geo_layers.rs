//! The GeoJSON layers: sites, flows, reach and cities. RFC 7946: WGS 84, [lon, lat], no `crs` member,
//! counter-clockwise outer rings; integer quantities are JSON integers.

use geojson::{Feature, FeatureCollection, Geometry, JsonObject, JsonValue};
use serde_json::json;

use crate::domain::rows::Quota;
use crate::plan::{Flow, NearOptimal, Plan, SitePlan};
use crate::spatial::{geodesic_circle, round6, LatencyModel, Point, SpatialError};

/// Vertices of a reach polygon.
pub const REACH_VERTICES: usize = 72;

pub use crate::spatial::round_to;

/// CNY as a whole number.
fn cny(x: f64) -> JsonValue {
    json!(x.round() as i64)
}

/// A GeoJSON Point at (lon, lat) degrees, rounded to 1e-6.
pub fn point(lon: f64, lat: f64) -> Geometry {
    Geometry::new_point([round6(lon), round6(lat)])
}

/// A FeatureCollection with `name` (GDAL's layer name).
pub fn named_collection(features: Vec<Feature>, name: &str) -> FeatureCollection {
    let mut foreign = JsonObject::new();
    // `name` is what GDAL shows as the layer name.
    foreign.insert("name".into(), json!(name));
    FeatureCollection {
        bbox: None,
        features,
        foreign_members: Some(foreign),
    }
}

/// A FeatureCollection as pretty RFC 7946 text, with `name` (GDAL's layer name).
pub fn collection(features: Vec<Feature>, name: &str) -> String {
    to_text(&named_collection(features, name))
}

/// Pretty GeoJSON text with a final newline.
pub fn to_text(fc: &FeatureCollection) -> String {
    let mut s = serde_json::to_string_pretty(fc).expect("GeoJSON serialises");
    s.push('\n');
    s
}

/// A Feature with a geometry and properties.
pub fn feature(geometry: Geometry, props: JsonObject) -> Feature {
    Feature {
        bbox: None,
        geometry: Some(geometry),
        id: None,
        properties: Some(props),
        foreign_members: None,
    }
}

/// One Point per candidate site, built or not.
pub fn sites_geojson(plan: &Plan) -> FeatureCollection {
    let features = plan.sites.iter().map(|sp| site_feature(plan, sp)).collect();
    named_collection(features, "sites")
}

/// One site's Point with its properties, in the order of sites.geojson.
fn site_feature(plan: &Plan, sp: &SitePlan) -> Feature {
    let s = &plan.instance.sites[sp.site];
    let mut m = JsonObject::new();
    site_identity(plan, sp, &mut m);
    site_power(sp, &mut m);
    site_costs(plan, sp, &mut m);
    // With [[deliveries]]: ready month, hall start, cards by month.
    super::schedule::site_properties(plan, sp, &mut m);
    // With --near-optimal: the site's range, and whether cost decides it
    // (a range that includes 0 and more than 0 cards: built in some
    // near-optimal plans, not in others).
    if let Some(n) = &plan.near_optimal {
        site_near_optimal(n, sp, &mut m);
    }
    feature(point(s.lon, s.lat), m)
}

/// A site's names, region, status, cooling and cards (by accelerator, in
/// all, then servers per rack).
fn site_identity(plan: &Plan, sp: &SitePlan, m: &mut JsonObject) {
    let inst = &plan.instance;
    let s = &inst.sites[sp.site];
    let region = &inst.regions[sp.region];
    m.insert("site_id".into(), json!(s.id));
    m.insert("name_en".into(), json!(s.name_en));
    m.insert("name_zh".into(), json!(s.name_zh));
    m.insert("region_id".into(), json!(region.id));
    m.insert("tier".into(), json!(region.tier.as_str()));
    m.insert("province".into(), json!(s.province));
    m.insert("status".into(), json!(s.status.as_str()));
    m.insert("built".into(), json!(sp.built));
    m.insert(
        "cooling".into(),
        sp.cooling
            .map(|k| json!(inst.cooling[k].id))
            .unwrap_or(JsonValue::Null),
    );
    for (a, acc) in inst.accelerators.iter().enumerate() {
        m.insert(format!("cards_{}", acc.id), json!(sp.cards[a]));
    }
    m.insert("cards_total".into(), json!(sp.cards.iter().sum::<u64>()));
    for (a, acc) in inst.accelerators.iter().enumerate() {
        m.insert(
            format!("servers_per_rack_{}", acc.id),
            json!(sp.servers_per_rack[a]),
        );
    }
}

/// A site's H200 equivalents, power, energy and quota use.
fn site_power(sp: &SitePlan, m: &mut JsonObject) {
    m.insert("h200_eq".into(), json!(round_to(sp.h200_eq, 1)));
    m.insert("it_mw".into(), json!(round_to(sp.it_mw, 3)));
    m.insert("facility_mw".into(), json!(round_to(sp.facility_mw, 3)));
    m.insert(
        "pue".into(),
        sp.pue
            .map(|x| json!(round_to(x, 4)))
            .unwrap_or(JsonValue::Null),
    );
    if let Some(c) = sp.contract_mw {
        // Only where the scenario prices contracted power.
        m.insert("contract_mw".into(), json!(round_to(c, 3)));
    }
    m.insert("annual_gwh".into(), json!(round_to(sp.annual_gwh, 3)));
    m.insert("annual_tce".into(), json!(round_to(sp.annual_tce, 1)));
    // The quotas written after the others: what the site uses.
    for q in Quota::ALL {
        if let Some([used, ..]) = q.traits().output_columns {
            let digits = if q.traits().unit.whole() { 0 } else { 3 };
            m.insert(used.into(), json!(round_to(sp.quota_use[q], digits)));
        }
    }
}

/// A site's costs, cluster flag, limits and why it is not built.
fn site_costs(plan: &Plan, sp: &SitePlan, m: &mut JsonObject) {
    let s = &plan.instance.sites[sp.site];
    m.insert("capex_cny".into(), cny(sp.capex_cny));
    m.insert("opex_cny_per_year".into(), cny(sp.opex_cny_per_year));
    m.insert("subsidy_cny".into(), cny(sp.subsidy_cny));
    m.insert(
        "cost_per_card_year_cny".into(),
        sp.cost_per_card_year_cny
            .map(cny)
            .unwrap_or(JsonValue::Null),
    );
    m.insert("mega_cluster".into(), json!(sp.mega_cluster));
    m.insert("max_it_mw".into(), json!(s.max_it_mw));
    m.insert("mean_temp_c".into(), json!(s.mean_temp_c));
    m.insert(
        "not_built_reason".into(),
        sp.not_built_reason
            .as_ref()
            .map(|r| json!(r))
            .unwrap_or(JsonValue::Null),
    );
    m.insert(
        "build_cost_gap_cny".into(),
        sp.build_cost_gap_cny.map(cny).unwrap_or(JsonValue::Null),
    );
}

/// A site's near-optimal range and whether cost decides it.
fn site_near_optimal(n: &NearOptimal, sp: &SitePlan, m: &mut JsonObject) {
    let r = n.sites[sp.site];
    m.insert(
        "cards_min_near_opt".into(),
        r.map(|r| json!(r.min_cards as i64))
            .unwrap_or(JsonValue::Null),
    );
    m.insert(
        "cards_max_near_opt".into(),
        r.map(|r| json!(r.max_cards as i64))
            .unwrap_or(JsonValue::Null),
    );
    m.insert(
        "not_decided_by_cost".into(),
        json!(r.is_some_and(|r| r.min_cards == 0.0 && r.max_cards > 0.0)),
    );
}

/// One LineString per served (city, site) pair.
pub fn flows_geojson(plan: &Plan) -> FeatureCollection {
    let inst = &plan.instance;
    let features = plan
        .flows
        .iter()
        .map(|f| {
            let d = &inst.demand[f.demand];
            let s = &inst.sites[f.site];
            let mut m = JsonObject::new();
            m.insert("node_id".into(), json!(d.id));
            m.insert("node_name_en".into(), json!(d.name_en));
            m.insert("node_name_zh".into(), json!(d.name_zh));
            m.insert("site_id".into(), json!(s.id));
            m.insert("site_name_en".into(), json!(s.name_en));
            m.insert("site_name_zh".into(), json!(s.name_zh));
            m.insert("cards_h200_eq".into(), json!(round_to(f.cards_h200_eq, 1)));
            m.insert("rtt_ms".into(), json!(round_to(f.rtt_ms, 3)));
            m.insert("max_rtt_ms".into(), json!(d.max_rtt_ms));
            m.insert("km".into(), json!(round_to(f.km, 1)));
            let g = Geometry::new_line_string([
                [round6(d.lon), round6(d.lat)],
                [round6(s.lon), round6(s.lat)],
            ]);
            feature(g, m)
        })
        .collect();
    named_collection(features, "flows")
}

/// The RTT budget most cities have (the smaller on a tie): the one a reach
/// polygon draws. A city with a larger budget (Urumqi's 30 ms in the default
/// data) may be served from beyond it.
fn common_budget(budgets: impl Iterator<Item = f64>) -> f64 {
    let mut counts: Vec<(f64, usize)> = Vec::new();
    for b in budgets {
        match counts.iter_mut().find(|(x, _)| *x == b) {
            Some((_, n)) => *n += 1,
            None => counts.push((b, 1)),
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.total_cmp(&a.0)))
        .map(|(b, _)| b)
        .unwrap_or(0.0)
}

/// One Polygon per built site: the area within the RTT budget most of its cities have.
pub fn reach_geojson(plan: &Plan) -> Result<FeatureCollection, SpatialError> {
    let inst = &plan.instance;
    let latency = LatencyModel::of(&inst.params);
    let budget = common_budget(inst.demand.iter().map(|d| d.max_rtt_ms));
    let mut features = Vec::new();
    for sp in plan.sites.iter().filter(|s| s.built) {
        let s = &inst.sites[sp.site];
        let radius = latency.radius_km(budget);
        if !(radius > 0.0 && radius.is_finite()) {
            continue;
        }
        // Beyond ~10,000 km an azimuthal circle wraps the globe; cap it.
        let radius = radius.min(9000.0);
        let ring = geodesic_circle(Point::new(s.lon, s.lat), radius, REACH_VERTICES)?;
        let in_reach = sp.cities_in_reach;
        let mut m = JsonObject::new();
        m.insert("site_id".into(), json!(s.id));
        m.insert("name_en".into(), json!(s.name_en));
        m.insert("name_zh".into(), json!(s.name_zh));
        m.insert("rtt_budget_ms".into(), json!(budget));
        m.insert("radius_km".into(), json!(round_to(radius, 1)));
        m.insert("cities_in_reach".into(), json!(in_reach));
        features.push(feature(Geometry::new_polygon([ring]), m));
    }
    Ok(named_collection(features, "reach"))
}

/// One Point per demand city, in the order of demand.csv: its weight, the
/// H200-eq cards its flows carry (`served_h200_eq`), its RTT budget, the sites
/// serving it (ids and English names, `;`-separated, most cards first) and the
/// RTT slack: budget − the worst RTT of a flow it uses (`null` when nothing
/// serves it). A flow counts when it carries at least 0.05 cards, as in
/// flows.geojson (rounded to 0.1).
pub fn cities_geojson(plan: &Plan) -> FeatureCollection {
    let inst = &plan.instance;
    let features = inst
        .demand
        .iter()
        .enumerate()
        .map(|(di, d)| {
            let mut used: Vec<(&Flow, f64)> = plan
                .flows
                .iter()
                .filter(|f| f.demand == di)
                .map(|f| (f, round_to(f.cards_h200_eq, 1)))
                .filter(|(_, c)| *c > 0.0)
                .collect();
            used.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.site.cmp(&b.0.site)));
            let served: f64 = used.iter().map(|(f, _)| f.cards_h200_eq).sum();
            let worst = used
                .iter()
                .map(|(f, _)| f.rtt_ms)
                .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
            let ids: Vec<&str> = used
                .iter()
                .map(|(f, _)| inst.sites[f.site].id.as_str())
                .collect();
            let names: Vec<&str> = used
                .iter()
                .map(|(f, _)| inst.sites[f.site].name_en.as_str())
                .collect();
            let mut m = JsonObject::new();
            m.insert("node_id".into(), json!(d.id));
            m.insert("name_en".into(), json!(d.name_en));
            m.insert("name_zh".into(), json!(d.name_zh));
            m.insert("weight".into(), json!(d.weight));
            m.insert("served_h200_eq".into(), json!(round_to(served, 1)));
            m.insert("rtt_budget_ms".into(), json!(d.max_rtt_ms));
            m.insert("n_sites".into(), json!(used.len()));
            m.insert("site_ids".into(), json!(ids.join(";")));
            m.insert("site_names_en".into(), json!(names.join(";")));
            m.insert(
                "worst_rtt_ms".into(),
                worst
                    .map(|w| json!(round_to(w, 3)))
                    .unwrap_or(JsonValue::Null),
            );
            m.insert(
                "rtt_slack_ms".into(),
                worst
                    .map(|w| json!(round_to(d.max_rtt_ms - w, 3)))
                    .unwrap_or(JsonValue::Null),
            );
            feature(point(d.lon, d.lat), m)
        })
        .collect();
    named_collection(features, "cities")
}
