//! `dcsite hedge <scenario> --out DIR`: the sites to build now, before the
//! outcome (`[[outcomes]]` of the scenario) is known; every outcome's
//! servers; EVPI, VSS and the CVaR of the cost.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use dcsite::data::outcomes::{expected_value, outcomes_of, RiskSpec, MAX_OUTCOMES};
use dcsite::milp::Prepared;
use dcsite::solve::stochastic::Risk;
use dcsite::study::hedge::{
    drawn_outcomes, frontier_csv, hedge, hedge_json, hedge_text, outcomes_files, risk_frontier,
    DrawnFrom, HedgeError, OutcomeIn, MAX_FRONTIER_POINTS,
};

use super::error::CliError;
use super::flags::SolverArgs;
use super::output::{commit, output_dir, print_result, stage_gpkg, stage_report, stem, write_plan};

#[derive(Args, Debug)]
pub struct HedgeArgs {
    /// Scenario file (TOML) with [[outcomes]], e.g. models/supply_risk_2026.toml;
    /// with --outcomes-from, the sweep file's base (or left out)
    #[arg(required_unless_present = "outcomes_from")]
    pub scenario: Option<PathBuf>,
    /// Outcomes drawn from a sweep file (random keys of [vary], no grid): draw
    /// k is outcome "draw k" of probability 1/N, and the sweep's base is the
    /// scenario (its [risk]; it must have no [[outcomes]] of its own)
    #[arg(long, value_name = "SWEEP")]
    pub outcomes_from: Option<PathBuf>,
    /// Draws N (ids 0..N) of --outcomes-from, as the sweep file's
    /// `samples = N` would draw them (default: its `samples`)
    #[arg(long, value_name = "N", requires = "outcomes_from")]
    pub samples: Option<usize>,
    /// The draws' seed (default: the sweep file's `seed`)
    #[arg(long, value_name = "S", requires = "outcomes_from")]
    pub seed: Option<u64>,
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
    /// The plan at each CVaR weight of a comma-separated list (e.g.
    /// 0,0.25,0.5,1; the same α): frontier.csv, hedge.json's risk_frontier,
    /// the report's chart. The folder's plan stays that of the scenario's λ
    #[arg(long, value_name = "LAMBDAS", allow_hyphen_values = true)]
    pub risk_frontier: Option<String>,
    /// How to solve: the extensive form (every outcome in one MIP), the
    /// L-shaped decomposition (a master over the site decisions, one LP per
    /// outcome on every core), or auto: L-shaped from 50 outcomes
    #[arg(long, value_enum, default_value_t = Method::Auto)]
    pub method: Method,
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

/// The outcomes to plan for, the scenario they share, and the
/// expected-value instance.
struct Planned {
    sc: dcsite::data::Scenario,
    /// What error messages name: the scenario, or the sweep file.
    label: String,
    inputs: Vec<OutcomeIn>,
    ev: Option<Prepared>,
    drawn_from: Option<DrawnFrom>,
}

/// The outcomes of the scenario's [[outcomes]].
fn from_scenario(path: &Path) -> Result<Planned, CliError> {
    let sc = dcsite::data::scenario::load_scenario(path)?;
    let mut outcomes = outcomes_of(&sc)?;
    if outcomes.is_empty() {
        return Err(CliError::Input(format!(
            "{}: expected [[outcomes]] (each a name, a probability and the scenario keys it changes), found none",
            path.display()
        )));
    }
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
    Ok(Planned {
        label: path.display().to_string(),
        sc,
        inputs,
        ev,
        drawn_from: None,
    })
}

/// The outcomes drawn from a sweep file: its base is the scenario.
fn from_sweep(args: &HedgeArgs, file: &Path) -> Result<Planned, CliError> {
    let mut sweep = dcsite::study::sweep::read_sweep(file)?;
    let base = sweep.base.path.clone();
    if let Some(given) = &args.scenario {
        let same = match (std::fs::canonicalize(given), std::fs::canonicalize(&base)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if !same {
            return Err(CliError::Input(format!(
                "--outcomes-from: the scenario is the sweep's base; expected {} (`base` of {}) or no scenario, found {}",
                base.display(),
                file.display(),
                given.display()
            )));
        }
    }
    if !sweep.base.outcomes.is_empty() {
        return Err(CliError::Input(format!(
            "--outcomes-from: expected a base without [[outcomes]] (the draws are the outcomes), found {} in {}",
            sweep.base.outcomes.len(),
            base.display()
        )));
    }
    if let Some(n) = args.samples {
        if n == 0 || n > MAX_OUTCOMES {
            return Err(CliError::Input(format!(
                "--samples: expected a number of draws from 1 to {MAX_OUTCOMES}, found {n}"
            )));
        }
        sweep.samples = n;
    } else if sweep.samples > MAX_OUTCOMES {
        return Err(CliError::Input(format!(
            "{}: samples: expected at most {MAX_OUTCOMES} draws as outcomes (or --samples N), found {}",
            file.display(),
            sweep.samples
        )));
    }
    if let Some(seed) = args.seed {
        sweep.seed = seed;
    }
    let drawn = drawn_outcomes(&sweep).map_err(|e| CliError::Input(e.to_string()))?;
    let (ev, note) = match drawn.expected_value {
        Ok(p) => (Some(p), None),
        Err(why) => (None, Some(why)),
    };
    Ok(Planned {
        label: file.display().to_string(),
        drawn_from: Some(DrawnFrom {
            sweep: file.display().to_string(),
            samples: sweep.samples,
            seed: sweep.seed,
            sampling: sweep.sampling.as_str().to_string(),
            expected_value_missing: note,
        }),
        sc: sweep.base,
        inputs: drawn.outcomes,
        ev,
    })
}

/// The λ values of `--risk-frontier`: numbers ≥ 0, comma-separated,
/// returned ascending without repeats.
fn frontier_lambdas(text: &str) -> Result<Vec<f64>, CliError> {
    let bad = |found: &str| {
        CliError::Input(format!(
            "--risk-frontier: expected CVaR weights λ ≥ 0 separated by commas (e.g. 0,0.25,0.5,1), at most {MAX_FRONTIER_POINTS}, found {found:?}"
        ))
    };
    let mut out = Vec::new();
    for part in text.split(',') {
        match part.trim().parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => out.push(if x == 0.0 { 0.0 } else { x }),
            _ => return Err(bad(part.trim())),
        }
    }
    out.sort_by(f64::total_cmp);
    out.dedup();
    if out.len() > MAX_FRONTIER_POINTS {
        return Err(bad(text));
    }
    Ok(out)
}

/// `--method`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Auto,
    Extensive,
    LShaped,
}

pub fn run(args: HedgeArgs) -> Result<(), CliError> {
    let mut opts = args.solver.options()?;
    opts.strategy.l_shaped = match args.method {
        Method::Auto => None,
        Method::Extensive => Some(false),
        Method::LShaped => Some(true),
    };
    let lambdas = args
        .risk_frontier
        .as_deref()
        .map(frontier_lambdas)
        .transpose()?;
    let mut out = output_dir(&args.out, args.force)?;
    let planned = match (&args.outcomes_from, &args.scenario) {
        (Some(file), _) => from_sweep(&args, file)?,
        (None, Some(path)) => from_scenario(path)?,
        (None, None) => {
            return Err(CliError::Input(
                "expected a scenario file with [[outcomes]], or --outcomes-from SWEEP.toml".into(),
            ))
        }
    };
    let Planned {
        sc,
        label,
        inputs,
        ev,
        drawn_from,
    } = planned;
    // Contracted power (a continuous first-stage decision) and hall start
    // months: the extensive form decides them; the L-shaped loop's master
    // decides sites only.
    let beyond_sites = inputs.iter().find_map(|o| {
        let prm = &o.p.inst.params;
        if prm.power_contract_cny_per_kw_month > 0.0 {
            Some((
                "power_contract_cny_per_kw_month",
                prm.power_contract_cny_per_kw_month,
                "contracted power",
                "contracts",
            ))
        } else if o.p.decides_hall_starts() {
            Some((
                "hall_start_step_months",
                prm.hall_start_step_months,
                "hall start months",
                "start months",
            ))
        } else {
            None
        }
    });
    if let Some((key, value, what, them)) = beyond_sites {
        match args.method {
            Method::LShaped => {
                return Err(CliError::Input(format!(
                    "--method l-shaped: {label}: parameters.{key} is {value}, \
                     and the L-shaped loop decides sites, not {what}; expected --method extensive or auto \
                     (the extensive form decides the {them})"
                )))
            }
            Method::Auto => opts.strategy.l_shaped = Some(false),
            Method::Extensive => {}
        }
    }
    // [risk] of the scenario, checked where it is written; the flags win
    // over it, and are checked by the same rule.
    if let Some((key, expected, found)) = sc.risk.problems().first() {
        let flag = match *key {
            "alpha" => args.alpha.is_some(),
            _ => args.lambda.is_some(),
        };
        if !flag {
            return Err(CliError::Input(format!(
                "{}: risk.{key}: expected {expected}, found {found}",
                sc.path.display()
            )));
        }
    }
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
    let quiet = args.quiet || args.json;
    let pb = super::progress::start(quiet, None, "planning for the outcomes");
    let step = |what: &str| pb.set_message(what.to_string());
    let hedge_error = |e| match e {
        HedgeError::Input(m) => CliError::Input(format!("{label}: {m}")),
        HedgeError::Solve { what, source } => {
            CliError::from_solve(source, Some(format!("{label}, {what}")))
        }
    };
    let h = hedge(&inputs, ev.as_ref(), risk, &opts, &step);
    let mut h = match h {
        Ok(h) => h,
        Err(e) => {
            pb.finish_and_clear();
            return Err(hedge_error(e));
        }
    };
    if let Some(lambdas) = &lambdas {
        let f = risk_frontier(&inputs, &h, lambdas, &opts, &step);
        h.frontier = match f {
            Ok(f) => f,
            Err(e) => {
                pb.finish_and_clear();
                return Err(hedge_error(e));
            }
        };
    }
    pb.finish_and_clear();
    h.drawn_from = drawn_from;
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
    if !h.frontier.is_empty() {
        let csv = frontier_csv(&h, &inputs[0].p).context("building frontier.csv")?;
        out.write("frontier.csv", csv.as_bytes())
            .context("writing frontier.csv")?;
    }
    let (csv, buf) = outcomes_files(&h).context("building outcomes.csv and outcomes.parquet")?;
    out.write("outcomes.csv", csv.as_bytes())
        .context("writing outcomes.csv")?;
    out.write("outcomes.parquet", &buf)
        .context("writing outcomes.parquet")?;
    stage_gpkg(
        &mut out,
        args.no_gpkg,
        &format!("{}, sites to build now", stem(&sc.path)),
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
