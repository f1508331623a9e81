use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use dcsite::compare;
use dcsite::export::OutputDir;
use dcsite::study::{self, CompareError};

use super::error::CliError;
use super::flags::{check_near_optimal, share_arg, SolverArgs};
use super::output::{
    commit, output_dir, output_error, print_result, stage_gpkg, stage_report, stem,
};
use super::progress;

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Scenario files (TOML); the first is the reference for the deltas
    #[arg(required = true, num_args = 2..)]
    pub scenarios: Vec<PathBuf>,
    /// Output folder for comparison.csv, diff.geojson (+ .qml) and report.html
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub solver: SolverArgs,
    /// Also find each scenario's near-optimal ranges (plans within this share
    /// of its optimal cost, e.g. 0.005) and say which changes survive the ties
    #[arg(long, value_name = "SHARE", value_parser = share_arg)]
    pub near_optimal: Option<f64>,
    /// Replace an existing, non-empty output folder as a whole (its other files go too)
    #[arg(long)]
    pub force: bool,
    /// Do not write report.html (the page `dcsite report` draws of the folder)
    #[arg(long)]
    pub no_report: bool,
    /// Do not write plan.gpkg (the layers, their styles and the boundaries in
    /// one GeoPackage, written with GDAL's ogr2ogr): for a machine without GDAL
    #[arg(long)]
    pub no_gpkg: bool,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the comparison as JSON on stdout instead of the table
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: CompareArgs) -> Result<(), CliError> {
    let opts = args.solver.options()?;
    check_near_optimal(args.near_optimal)?;
    let mut out = output_dir(&args.out, args.force)?;
    let pb = progress::start(
        args.quiet || args.json,
        Some(args.scenarios.len() as u64),
        "solving scenarios",
    );
    let done = |name: &str| {
        pb.inc(1);
        pb.set_message(format!("solved {name}"));
    };
    let results = match study::solve_all(&args.scenarios, &opts, args.near_optimal, &done) {
        Ok(r) => r,
        Err(CompareError::Input(p)) => return Err(p.into()),
        Err(e @ CompareError::DuplicateName(_)) => return Err(CliError::Input(e.to_string())),
        Err(CompareError::Solve { path, source }) => {
            return Err(CliError::from_solve(
                source,
                Some(path.display().to_string()),
            ))
        }
    };
    pb.finish_and_clear();
    let lines = compare::lines(&results);
    let csv = compare::comparison_csv(&lines).context("building comparison.csv")?;
    write(&mut out, "comparison.csv", csv.as_bytes())?;
    write(
        &mut out,
        "diff.geojson",
        compare::diff_geojson(&results).as_bytes(),
    )?;
    // QGIS applies diff.qml (the second scenario against the first) by itself
    // when diff.geojson is added; diff.<scenario>.qml draw further scenarios.
    for (name, qml) in compare::diff_styles(&results) {
        write(&mut out, &name, qml.as_bytes())?;
    }
    let names: Vec<String> = args.scenarios.iter().map(|p| stem(p)).collect();
    stage_gpkg(
        &mut out,
        args.no_gpkg,
        &format!("comparison: {}", names.join(" / ")),
    )?;
    stage_report(&out, &args.out, args.no_report);
    commit(out)?;
    let json = || Ok(format!("{}\n", comparison_json(&results, &lines)));
    let text = || {
        Ok(format!(
            "{}\nwrote {}\n",
            compare::text_table(&results, &lines),
            args.out.display()
        ))
    };
    print_result(args.json, args.quiet, json, text)
}

/// What `--json` prints: each scenario's costs and every line of the table.
fn comparison_json(results: &[compare::Solved], lines: &[compare::Line]) -> serde_json::Value {
    serde_json::json!({
        "scenarios": results.iter().map(|s| {
            let c = compare::Costs::of(s);
            serde_json::json!({
                "name": s.name,
                "file": s.path.display().to_string(),
                "status": s.plan.status.as_str(),
                "objective_cny": c.provider_cny.round() as i64,
                "subsidy_paid_cny": c.subsidy_cny.round() as i64,
                "resource_cost_cny": c.resource_cny.round() as i64,
                "mip_gap": s.plan.mip_gap,
                "cards_total": s.plan.cards_total(),
            })
        }).collect::<Vec<_>>(),
        "lines": lines.iter().map(|l| serde_json::json!({
            "level": l.level, "id": l.id, "scenario": l.scenario,
            "cards": l.cards, "cards_total": l.cards_total,
            "it_mw": l.it_mw, "subsidy_cny": l.subsidy_cny.round() as i64,
            "delta_cards_total": l.delta_cards_total,
            "delta_subsidy_cny": l.delta_subsidy_cny.round() as i64,
            "cards_per_million_subsidy": l.cards_per_million_subsidy,
            "cards_min_near_opt": l.near_optimal.map(|n| n.min_cards),
            "cards_max_near_opt": l.near_optimal.map(|n| n.max_cards),
            "robust_change": l.robust_change,
        })).collect::<Vec<_>>(),
    })
}

fn write(out: &mut OutputDir, name: &str, bytes: &[u8]) -> Result<(), CliError> {
    out.write(name, bytes).map_err(output_error)
}
