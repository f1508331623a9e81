use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use dcsite::data::problem::escaped;

use super::error::CliError;

/// The folder tree a scenario's tables are expected in: the folder above the
/// scenario's own (`models/x.toml` → the project folder holding `models/`
/// and `data/`), symbolic links resolved.
pub fn project_root(scenario: &Path) -> Option<PathBuf> {
    let file = scenario.canonicalize().ok()?;
    let dir = file.parent()?;
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
