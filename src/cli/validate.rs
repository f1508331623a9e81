use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::CliError;

pub fn run(scenario: &Path) -> Result<(), CliError> {
    let (sc, inst, summary) = dcsite::data::load(scenario)?;
    let mut out = std::io::stdout().lock();
    let mut text = format!("{}: {} is valid\n", scenario.display(), sc.name);
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
    out.write_all(text.as_bytes())
        .context("writing to stdout")?;
    Ok(())
}
