//! A generator of valid, realistic national datasets of any size, so that
//! growth can be measured: county-level candidate sites spread over the
//! provinces of the default data, cities weighted by size.
//!
//! Sites are scattered around the default sites of each region (up to about
//! 250 km away), with temperatures that follow latitude and altitude of the
//! anchor, the anchor's price zone and region, and campus sizes of 20-300 MW.
//! Cities are the default demand cities plus satellites around them with a
//! Zipf-like weight. Regions, prices, accelerators and cooling are the
//! default tables; quotas and the card target scale with the number of sites.

use std::fmt::Write as _;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthSpec {
    pub sites: usize,
    pub cities: usize,
    pub seed: u64,
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

/// Writes `data/*.csv` and `scenario.toml` into `out` (created), from the
/// default tables in `data_dir`. Returns the scenario path.
pub fn write_synth(
    spec: &SynthSpec,
    data_dir: &Path,
    out: &Path,
) -> std::io::Result<std::path::PathBuf> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let data = out.join("data");
    std::fs::create_dir_all(&data)?;
    for t in ["regions", "electricity_prices", "accelerators", "cooling"] {
        std::fs::copy(
            data_dir.join(format!("{t}.csv")),
            data.join(format!("{t}.csv")),
        )?;
    }
    // No subsidy programmes: the default ones name default sites, and every
    // row of the table is checked whichever scenario uses it.
    let subsidies = std::fs::read_to_string(data_dir.join("subsidies.csv"))?;
    let header = subsidies.lines().next().unwrap_or_default();
    std::fs::write(data.join("subsidies.csv"), format!("{header}\n"))?;
    // Anchor sites: the default candidates (only the columns we need, no quoted fields there).
    let sites_text = std::fs::read_to_string(data_dir.join("sites.csv"))?;
    let rows = csv_rows(&sites_text);
    let h = &rows[0];
    let col = |name: &str| h.iter().position(|c| c == name).expect("sites.csv column");
    let (c_id, c_reg, c_prov, c_lat, c_lon, c_temp) = (
        col("site_id"),
        col("region_id"),
        col("province"),
        col("lat"),
        col("lon"),
        col("mean_temp_c"),
    );
    let anchors: Vec<&Vec<String>> = rows[1..].iter().collect();
    let mut s = String::from(
        "site_id,name_en,name_zh,region_id,province,lat,lon,mean_temp_c,max_it_mw,fixed_cost_cny,grid_lead_months,status,source\n",
    );
    for i in 0..spec.sites {
        let a = anchors[i % anchors.len()];
        let lat0: f64 = a[c_lat].parse().unwrap_or(35.0);
        let lon0: f64 = a[c_lon].parse().unwrap_or(110.0);
        let t0: f64 = a[c_temp].parse().unwrap_or(12.0);
        // Up to ~250 km in each direction.
        let dlat: f64 = rng.random_range(-2.2..2.2);
        let dlon: f64 = rng.random_range(-2.6..2.6);
        let lat = lat0 + dlat;
        let lon = lon0 + dlon;
        // About −0.7 °C per degree of latitude northwards, plus local noise.
        let temp = t0 - 0.7 * dlat + rng.random_range(-1.5..1.5);
        let core = matches!(a[c_reg].as_str(), "jjj" | "yrd" | "gba");
        let max_it: f64 = (rng.random_range(20.0..300.0_f64) / 10.0).round() * 10.0;
        let fixed: f64 = if core {
            rng.random_range(3.0..6.0)
        } else {
            rng.random_range(1.0..3.0)
        } * 1e8;
        let lead: f64 = if core {
            rng.random_range(8.0..12.0_f64).round()
        } else {
            rng.random_range(4.0..9.0_f64).round()
        };
        let _ = writeln!(
            s,
            "syn{i:05},Synthetic site {i} near {},合成{i},{},{},{lat:.4},{lon:.4},{temp:.1},{max_it},{:.0},{lead},candidate,E: synthetic (dcsite bench synth seed {})",
            a[c_id], a[c_reg], a[c_prov], fixed.round(), spec.seed
        );
    }
    std::fs::write(data.join("sites.csv"), s)?;
    // Cities: the default ones first, then satellites with Zipf-like weights.
    let demand_text = std::fs::read_to_string(data_dir.join("demand.csv"))?;
    let rows = csv_rows(&demand_text);
    let h = &rows[0];
    let col = |name: &str| h.iter().position(|c| c == name).expect("demand.csv column");
    let (c_name, c_lat, c_lon, c_w) = (col("name_en"), col("lat"), col("lon"), col("weight"));
    let base: Vec<&Vec<String>> = rows[1..].iter().collect();
    let mut d = String::from("node_id,name_en,name_zh,province,lat,lon,weight,max_rtt_ms,source\n");
    for j in 0..spec.cities {
        let b = base[j % base.len()];
        let w0: f64 = b[c_w].parse().unwrap_or(1.0);
        let lat0: f64 = b[c_lat].parse().unwrap_or(35.0);
        let lon0: f64 = b[c_lon].parse().unwrap_or(110.0);
        let (lat, lon, w) = if j < base.len() {
            (lat0, lon0, w0)
        } else {
            let rank = (j / base.len()) as f64 + 1.0;
            (
                lat0 + rng.random_range(-1.5..1.5),
                lon0 + rng.random_range(-1.5..1.5),
                (w0 / (1.0 + rank)).max(0.01),
            )
        };
        // A wider budget than the default 20 ms keeps every satellite city within reach.
        let _ = writeln!(
            d,
            "c{j:05},{} {j},城{j},,{lat:.4},{lon:.4},{w:.3},30,E: synthetic (dcsite bench synth seed {})",
            b[c_name], spec.seed
        );
    }
    std::fs::write(data.join("demand.csv"), d)?;
    // The default 2026 scenario scaled to the number of sites (25 default sites).
    let scale = (spec.sites as f64 / 25.0).max(0.2);
    let h200 = ((500_000.0 * scale / 8.0).round() * 8.0).max(8000.0);
    let scenario = format!(
        r#"# Generated by `cargo run --release --example synth` (seed {seed}): {n} sites, {m} cities.
name = "synth_{n}x{m}"
subsidy_scenario = "none"

[tables]
regions = "data/regions.csv"
sites = "data/sites.csv"
electricity_prices = "data/electricity_prices.csv"
subsidies = "data/subsidies.csv"
demand = "data/demand.csv"
accelerators = "data/accelerators.csv"
cooling = "data/cooling.csv"

[targets.h200]
min = {h200}
max = {h200}

[parameters]
horizon_years = 5
discount_rate = 0.08
utilisation = 0.8
inference_share = 0.3
mega_cards = {mega}
mega_count = 1
min_site_cards = 2000
domestic_share = 0.2
deadline_months = 12
network_cny_per_card_ms_year = 50
max_sites_per_city = 25

[overrides]
power_quota_scale = {scale}
energy_quota_scale = {scale}
"#,
        seed = spec.seed,
        n = spec.sites,
        m = spec.cities,
        mega = (100_000.0_f64).min(h200 / 4.0).round(),
    );
    let path = out.join("scenario.toml");
    std::fs::write(&path, scenario)?;
    Ok(path)
}
