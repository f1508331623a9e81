use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use dcsite::data::problem::escaped;

use super::error::CliError;

/// The folder tree a scenario's tables are expected in: the nearest folder
/// above the scenario's own that holds a `data/` folder (`models/x.toml` and
/// `models/small/x.toml` → the project folder holding `models/` and `data/`),
/// else the folder above the scenario's own; symbolic links resolved.
pub fn project_root(scenario: &Path) -> Option<PathBuf> {
    let file = scenario.canonicalize().ok()?;
    let dir = file.parent()?;
    if let Some(root) = dir.ancestors().skip(1).find(|a| a.join("data").is_dir()) {
        return Some(root.to_path_buf());
    }
    Some(dir.parent().unwrap_or(dir).to_path_buf())
}

pub fn run(scenario: &Path) -> Result<(), CliError> {
    let (sc, inst, summary) = dcsite::data::load(scenario)?;
    for w in &summary.warnings {
        eprintln!("warning: {}", escaped(w));
    }
    let mut out = std::io::stdout().lock();
    let mut text = format!("{}: {} is valid\n", scenario.display(), escaped(&sc.name));
    for (table, n) in &summary.rows {
        text.push_str(&format!("  {table:<20} {n:>5} rows\n"));
    }
    let tiers: Vec<String> = summary
        .regions_per_tier
        .iter()
        .map(|(t, n)| format!("{n} {}", t.as_str()))
        .collect();
    text.push_str(&format!("  regions per tier: {}\n", tiers.join(", ")));
    text.push_str(&format!(
        "  subsidy scenario {}: {} programme(s)\n",
        sc.subsidy_scenario, summary.subsidy_programmes
    ));
    let targets: Vec<String> = inst
        .targets
        .iter()
        .map(|(a, t)| match t.max {
            Some(m) if m == t.min => format!("{a} = {}", t.min),
            Some(m) => format!("{a} in [{}, {m}]", t.min),
            None => format!("{a} ≥ {}", t.min),
        })
        .collect();
    text.push_str(&format!("  targets: {}\n", targets.join(", ")));
    if !inst.deliveries.is_empty() {
        let deliveries: Vec<String> = inst
            .deliveries
            .iter()
            .map(|d| {
                let cards = if d.min_cards == d.max_cards {
                    format!("{}", d.min_cards)
                } else {
                    format!("{}-{}", d.min_cards, d.max_cards)
                };
                format!(
                    "month {}: {cards} {}",
                    dcsite::domain::month_text(d.month),
                    d.accel
                )
            })
            .collect();
        text.push_str(&format!(
            "  deliveries (installed within {} days): {}\n",
            inst.params.install_days,
            deliveries.join(", ")
        ));
    }
    // Every city within its RTT budget of a site that may be built, or named.
    let (n_out, reach) = reach_lines(&inst);
    text.push_str(&format!(
        "  cities within their RTT budget of a candidate site: {} of {}\n",
        inst.demand.len() - n_out,
        inst.demand.len()
    ));
    for line in &reach {
        text.push_str(&format!("  out of reach: {}\n", escaped(line)));
    }
    // Allowed, but worth a look: a table from outside the project.
    if let Some(root) = project_root(&sc.path) {
        for (name, path) in sc.tables.iter() {
            let real = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
            if !real.starts_with(&root) {
                text.push_str(&format!(
                    "  note: tables.{name} = {} lies outside {} (the folder tree of the scenario)\n",
                    escaped(&real.display().to_string()),
                    escaped(&root.display().to_string())
                ));
            }
        }
    }
    out.write_all(text.as_bytes())
        .context("writing to stdout")?;
    Ok(())
}

/// The cities no site that may be built (any status but `excluded`) reaches
/// within the city's RTT budget, under the scenario's latency model: their
/// count and a line per city naming it, its budget and the nearest site.
pub fn reach_lines(inst: &dcsite::domain::Instance) -> (usize, Vec<String>) {
    use dcsite::spatial::{geodesic_km, LatencyModel, Point};
    let latency = LatencyModel::of(&inst.params);
    let mut lines = Vec::new();
    for d in &inst.demand {
        let nearest = inst
            .sites
            .iter()
            .filter(|s| s.status != dcsite::domain::SiteStatus::Excluded)
            .map(|s| {
                let km = geodesic_km(Point::new(d.lon, d.lat), Point::new(s.lon, s.lat));
                (latency.rtt_ms(km), s)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0));
        let within = nearest.is_some_and(|(rtt, _)| rtt <= d.max_rtt_ms + 1e-9);
        if !within {
            let near = match nearest {
                Some((rtt, s)) => {
                    format!("the nearest, {} ({}), is {rtt:.1} ms away", s.id, s.name_en)
                }
                None => "no site may be built".to_string(),
            };
            let demand = if d.weight > 0.0 || d.cards.is_some_and(|c| c > 0.0) {
                "a solve is infeasible"
            } else {
                "it asks for nothing, so a solve is not affected"
            };
            lines.push(format!(
                "city {} ({}) has no candidate site within its {} ms RTT budget: {near}; {demand}",
                d.id, d.name_en, d.max_rtt_ms
            ));
        }
    }
    (lines.len(), lines)
}
