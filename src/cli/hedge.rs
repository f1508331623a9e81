//! `dcsite hedge <scenario> --out DIR`: the sites to build now, before the
//! outcome (`[[outcomes]]` of the scenario) is known; every outcome's
//! servers; EVPI, VSS and the CVaR of the cost.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use dcsite::data::outcomes::{expected_value, outcomes_of, RiskSpec};
use dcsite::milp::Prepared;
use dcsite::solve::stochastic::Risk;
use dcsite::study::hedge::{hedge, hedge_json, hedge_text, outcomes_files, HedgeError, OutcomeIn};

use super::error::CliError;
use super::flags::SolverArgs;
use super::output::{commit, output_dir, print_result, stage_gpkg, stage_report, stem, write_plan};

#[derive(Args, Debug)]
pub struct HedgeArgs {
    /// Scenario file (TOML) with [[outcomes]], e.g. models/supply_risk_2026.toml
    pub scenario: PathBuf,
    /// Output folder: hedge.json, outcomes.csv, outcomes.parquet, the most
    /// probable outcome's plan as `solve` writes it (its sites.geojson marks
    /// the sites built now, the same in every outcome) and report.html
    #[arg(long)]
    pub out: PathBuf,
    /// The CVaR's level, in [0, 1) (default: [risk] alpha of the scenario, else 0.9)
    #[arg(long, value_name = "ALPHA")]
    pub alpha: Option<f64>,
    /// The CVaR's weight in the objective, ≥ 0 (default: [risk] lambda, else 0: risk-neutral)
    #[arg(long, value_name = "LAMBDA")]
    pub lambda: Option<f64>,
    #[command(flatten)]
    pub solver: SolverArgs,
    /// Replace an existing, non-empty output folder as a whole
    #[arg(long)]
    pub force: bool,
    /// Do not write report.html
    #[arg(long)]
    pub no_report: bool,
    /// Do not write plan.gpkg (written with GDAL's ogr2ogr)
    #[arg(long)]
    pub no_gpkg: bool,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
    /// Print hedge.json on stdout instead of the text
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: HedgeArgs) -> Result<(), CliError> {
    let opts = args.solver.options()?;
    let mut out = output_dir(&args.out, args.force)?;
    let sc = dcsite::data::scenario::load_scenario(&args.scenario)?;
    let mut outcomes = outcomes_of(&sc)?;
    if outcomes.is_empty() {
        return Err(CliError::Input(format!(
            "{}: expected [[outcomes]] (each a name, a probability and the scenario keys it changes), found none",
            args.scenario.display()
        )));
    }
    // The flags win over [risk]; both are checked by the same rule.
    let spec = RiskSpec {
        alpha: args.alpha.unwrap_or(sc.risk.alpha),
        lambda: args.lambda.unwrap_or(sc.risk.lambda),
    };
    if let Some((key, expected, found)) = spec.problems().first() {
        return Err(CliError::Input(format!(
            "--{key}: expected {expected}, found {found}"
        )));
    }
    let risk = Risk {
        alpha: spec.alpha,
        lambda: spec.lambda,
    };
    let ev = expected_value(&outcomes)
        .and_then(|s| dcsite::data::load::load_tables(&s).ok())
        .map(|(inst, _)| Prepared::new(inst));
    let mut inputs = Vec::with_capacity(outcomes.len());
    for o in outcomes.drain(..) {
        let (inst, _) = dcsite::data::load::load_tables(&o.scenario)?;
        inputs.push(OutcomeIn {
            name: o.name,
            probability: o.probability,
            p: Prepared::new(inst),
        });
    }
    let quiet = args.quiet || args.json;
    let pb = super::progress::start(quiet, None, "planning for the outcomes");
    let step = |what: &str| pb.set_message(what.to_string());
    let h = hedge(&inputs, ev.as_ref(), risk, &opts, &step);
    pb.finish_and_clear();
    let h = h.map_err(|e| match e {
        HedgeError::Input(m) => CliError::Input(format!("{}: {m}", args.scenario.display())),
        HedgeError::Solve { what, source } => {
            CliError::from_solve(source, Some(format!("{}, {what}", args.scenario.display())))
        }
    })?;
    // The most probable outcome's plan as `solve` writes it: its built
    // sites are the here-and-now decisions of every outcome.
    let k = h.most_probable();
    write_plan(
        &mut out,
        &h.plan.plans[k],
        &sc.path.display().to_string(),
        &[],
    )?;
    let json = hedge_json(&h, &inputs[0].p, &sc.path.display().to_string());
    out.write("hedge.json", json.as_bytes())
        .context("writing hedge.json")?;
    let (csv, buf) = outcomes_files(&h).context("building outcomes.csv and outcomes.parquet")?;
    out.write("outcomes.csv", csv.as_bytes())
        .context("writing outcomes.csv")?;
    out.write("outcomes.parquet", &buf)
        .context("writing outcomes.parquet")?;
    stage_gpkg(
        &mut out,
        args.no_gpkg,
        &format!("{}, sites to build now", stem(&args.scenario)),
    )?;
    stage_report(&out, &args.out, args.no_report);
    let dest = commit(out)?;
    let text = format!(
        "{}(the files of {:?}'s plan show the sites built now)\nwrote {}\n",
        hedge_text(&h, &inputs[0].p),
        h.names[k],
        dest.display()
    );
    print_result(args.json, args.quiet, || Ok(json.clone()), || Ok(text))
}
