//! `dcsite implied <scenario> --ranges ranges.csv [--out DIR]`: the cheapest
//! plan meeting a forecast's ranges, its extra cost over the free optimum
//! and the implied premium per card of each binding range.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use dcsite::export;
use dcsite::study::implied::{implied, ImpliedError};

use super::error::CliError;
use super::flags::SolverArgs;
use super::output::{commit, output_dir, print, stage_gpkg, stage_report, stem, write_plan};

#[derive(Args, Debug)]
pub struct ImpliedArgs {
    /// Scenario file (TOML), e.g. models/forecast_2028.toml
    pub scenario: PathBuf,
    /// Ranges of cards per cluster, region or tier (CSV: level, id, min_cards, max_cards, source)
    #[arg(long)]
    pub ranges: PathBuf,
    /// Output folder: the implied plan's files (as `solve` writes them), implied.csv and report.html
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub solver: SolverArgs,
    /// Replace an existing, non-empty output folder as a whole
    #[arg(long)]
    pub force: bool,
    /// Do not write report.html into --out (the page `dcsite report` draws of the folder)
    #[arg(long, requires = "out")]
    pub no_report: bool,
    /// Do not write plan.gpkg (the layers, their styles and the boundaries in
    /// one GeoPackage, written with GDAL's ogr2ogr): for a machine without GDAL
    #[arg(long, requires = "out")]
    pub no_gpkg: bool,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(args: ImpliedArgs) -> Result<(), CliError> {
    let opts = args.solver.options()?;
    // Refuse a non-empty folder before spending time on the solves.
    let out = match &args.out {
        Some(dir) => Some(output_dir(dir, args.force)?),
        None => None,
    };
    let (sc, inst, _) = dcsite::data::load(&args.scenario)?;
    let ranges = dcsite::data::ranges::read_ranges(&args.ranges, &inst)?;
    let pb = super::progress::start(
        args.quiet,
        None,
        &format!("solving {} free and with the ranges", inst.name),
    );
    let answer = implied(inst, &ranges, &opts);
    pb.finish_and_clear();
    let answer = answer.map_err(|e| {
        let context = match &e {
            ImpliedError::Free(_) => "the scenario without the ranges",
            ImpliedError::Ranges(_) => "with the ranges of the forecast",
        };
        CliError::from_solve(
            e.solve_error(),
            Some(format!("{} {context}", args.scenario.display())),
        )
    })?;
    let mut dest = None;
    if let (Some(mut out), Some(out_path)) = (out, &args.out) {
        write_plan(&mut out, &answer.plan, &sc.path.display().to_string(), &[])?;
        let table = export::implied_table(&answer).context("building implied.csv")?;
        out.write("implied.csv", table.as_bytes())
            .context("writing implied.csv")?;
        stage_gpkg(
            &mut out,
            args.no_gpkg,
            &format!("{}, implied demand", stem(&args.scenario)),
        )?;
        stage_report(&out, out_path, args.no_report);
        dest = Some(commit(out)?);
    }
    if !args.quiet {
        let mut text = export::implied_text(&answer);
        if let Some(d) = dest {
            text.push_str(&format!("\nwrote {}\n", d.display()));
        }
        print(&text)?;
    }
    Ok(())
}
