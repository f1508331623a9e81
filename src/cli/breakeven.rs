use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use dcsite::domain::{AppliesTo, SubsidyKind};
use dcsite::export::{write_file_atomic, OutputError};
use dcsite::milp::Prepared;
use dcsite::solve::SolveOptions;
use dcsite::study::breakeven::{self, BreakevenError, Outcome, Spec};

use super::error::CliError;
use super::flags::SolverArgs;
use super::output::{output_error, print_result};
use super::progress;

/// The levers, kebab-case (`breakeven::lever_name`); the snake_case `kind`
/// of subsidies.csv is accepted as an alias.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lever {
    /// Electricity discount, CNY/kWh (annual)
    #[value(alias = "electricity_cny_per_kwh")]
    ElectricityCnyPerKwh,
    /// Share of the electricity bill (annual)
    #[value(alias = "electricity_share")]
    ElectricityShare,
    /// Share of capital expenditure (one-off)
    #[value(alias = "capex_share")]
    CapexShare,
    /// Grant per card, CNY (one-off)
    #[value(alias = "per_card_cny")]
    PerCardCny,
}

impl Lever {
    fn kind(self) -> SubsidyKind {
        match self {
            Lever::ElectricityCnyPerKwh => SubsidyKind::ElectricityCnyPerKwh,
            Lever::ElectricityShare => SubsidyKind::ElectricityShare,
            Lever::CapexShare => SubsidyKind::CapexShare,
            Lever::PerCardCny => SubsidyKind::PerCardCny,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Applies {
    All,
    Imported,
    Domestic,
}

#[derive(Args, Debug)]
pub struct BreakevenArgs {
    /// Scenario file (TOML)
    pub scenario: PathBuf,
    /// Region that offers the lever (region_id)
    #[arg(long)]
    pub region: String,
    /// Cards the region wants to host (all accelerators)
    #[arg(long)]
    pub cards: f64,
    /// The subsidy lever
    #[arg(long, value_enum)]
    pub lever: Lever,
    /// Which accelerators the lever pays for
    #[arg(long, value_enum, default_value = "all")]
    pub applies_to: Applies,
    /// Highest level to try (default: the lever's natural maximum, e.g. the region's electricity price)
    #[arg(long)]
    pub max_level: Option<f64>,
    /// Width of the final bracket (default: 0.001 CNY/kWh, 0.005 for shares, 1000 CNY per card)
    #[arg(long)]
    pub tolerance: Option<f64>,
    /// CSV file for the explored curve (default: breakeven_<region>_<lever>.csv)
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub solver: SolverArgs,
    /// Replace an existing curve file
    #[arg(long)]
    pub force: bool,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the outcome as JSON on stdout
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: BreakevenArgs) -> Result<(), CliError> {
    let mut opts = args.solver.options()?;
    // Break-even levels compare optima; a tight gap keeps them comparable.
    if opts.mip_gap.is_none() {
        opts.mip_gap = Some(breakeven::MIP_GAP);
    }
    check_args(&args)?;
    let kind = args.lever.kind();
    let lever = breakeven::lever_name(kind);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("breakeven_{}_{lever}.csv", args.region)));
    if out.exists() && !args.force {
        return Err(CliError::Input(OutputError::Exists(out).to_string()));
    }
    // --time-limit bounds the whole search: loading, preparing and every
    // solve, each of which gets what is left (exit 4 once it is gone).
    let (_, inst, _) = match dcsite::data::load_within(&args.scenario, opts.deadline.as_ref()) {
        Ok(x) => x,
        Err(dcsite::data::LoadError::Problems(p)) => return Err(p.into()),
        Err(dcsite::data::LoadError::TimeUp(t)) => return Err(CliError::NoPlan(t.to_string())),
    };
    let base = Prepared::new_within(inst, opts.deadline.as_ref())
        .map_err(|t| CliError::NoPlan(t.to_string()))?;
    let outcome = search(&args, &base, &opts)?;
    write_file_atomic(
        &out,
        breakeven::curve_csv(&outcome, kind).as_bytes(),
        args.force,
    )
    .map_err(output_error)?;
    print_outcome(&args, &outcome, &out)?;
    if outcome.level.is_none() {
        // The search worked, but the answer is "no": its own exit code, so
        // that a script does not read it as a level.
        return Err(CliError::NotReached(format!(
            "no level of {lever} up to {} brings {} cards to {} (exit 5; curve in {})",
            breakeven::level_text(outcome.max_level, outcome.tolerance),
            args.cards,
            args.region,
            out.display()
        )));
    }
    Ok(())
}

/// Checks `--cards`, `--max-level` and `--tolerance` (positive, and within
/// what the lever can mean).
fn check_args(args: &BreakevenArgs) -> Result<(), CliError> {
    if !(args.cards.is_finite() && args.cards >= 0.0) {
        return Err(CliError::Input(format!(
            "--cards: expected a number of cards ≥ 0, found {}",
            args.cards
        )));
    }
    for (flag, v) in [
        ("--max-level", args.max_level),
        ("--tolerance", args.tolerance),
    ] {
        if let Some(v) = v {
            if !(v.is_finite() && v > 0.0) {
                return Err(CliError::Input(format!(
                    "{flag}: expected a number > 0, found {v}"
                )));
            }
        }
    }
    let kind = args.lever.kind();
    let lever = breakeven::lever_name(kind);
    let (ceiling, resolution) = breakeven::lever_limits(kind);
    if let Some(m) = args.max_level {
        if m > ceiling {
            return Err(CliError::Input(format!(
                "--max-level: expected at most {ceiling} for {lever}, found {}",
                dcsite::data::problem::found_number(m)
            )));
        }
    }
    if let Some(t) = args.tolerance {
        if t < resolution {
            return Err(CliError::Input(format!(
                "--tolerance: expected at least {resolution} for {lever} (finer levels mean nothing), found {}",
                dcsite::data::problem::found_number(t)
            )));
        }
    }
    Ok(())
}

/// The break-even search of `base`, with a spinner naming each level tried.
fn search(args: &BreakevenArgs, base: &Prepared, opts: &SolveOptions) -> Result<Outcome, CliError> {
    let kind = args.lever.kind();
    let spec = Spec {
        region: args.region.clone(),
        cards: args.cards,
        lever: kind,
        applies_to: match args.applies_to {
            Applies::All => AppliesTo::All,
            Applies::Imported => AppliesTo::Imported,
            Applies::Domestic => AppliesTo::Domestic,
        },
        max_level: args.max_level,
        tolerance: args.tolerance,
    };
    let pb = progress::start(args.quiet || args.json, None, "searching");
    let tolerance = args
        .tolerance
        .unwrap_or_else(|| breakeven::lever_range(base, &args.region, kind).1);
    let step = |pt: &breakeven::Point| {
        pb.set_message(format!(
            "level {} → {} cards",
            breakeven::level_text(pt.level, tolerance),
            pt.cards_in_region
        ));
    };
    let outcome = match breakeven::search(base, &spec, opts, &step) {
        Ok(o) => o,
        Err(e @ BreakevenError::UnknownRegion(_)) => {
            let known: Vec<&str> = base.inst.regions.iter().map(|r| r.id.as_str()).collect();
            return Err(CliError::Input(format!(
                "--region: {e} (known: {})",
                known.join(", ")
            )));
        }
        Err(BreakevenError::Solve { level, source }) => {
            return Err(CliError::from_solve(
                source,
                Some(format!("at level {level}")),
            ))
        }
    };
    pb.finish_and_clear();
    Ok(outcome)
}

/// The level found (or what binds instead) and where the curve is, or the
/// same as JSON (`--json`), or nothing (`--quiet`).
fn print_outcome(args: &BreakevenArgs, outcome: &Outcome, out: &Path) -> Result<(), CliError> {
    let lever = breakeven::lever_name(args.lever.kind());
    let json = || {
        let v = serde_json::json!({
            "region": args.region,
            "cards": args.cards,
            "lever": lever,
            "level": outcome.level,
            "tolerance": outcome.tolerance,
            "max_level": outcome.max_level,
            "evaluations": outcome.curve.len(),
            "binding_instead": outcome.binding_instead,
            "curve_file": out.display().to_string(),
        });
        Ok(format!("{v}\n"))
    };
    let text = || {
        Ok(match outcome.level {
            Some(l) => format!(
                "{} hosts at least {} cards from {} = {} (within {}; {} solves); curve in {}\n",
                args.region,
                args.cards,
                lever,
                breakeven::level_text(l, outcome.tolerance),
                outcome.tolerance,
                outcome.curve.len(),
                out.display()
            ),
            None => format!(
                "no level of {} up to {} brings {} cards to {}; what binds instead:\n  {}\ncurve in {}\n",
                lever,
                breakeven::level_text(outcome.max_level, outcome.tolerance),
                args.cards,
                args.region,
                outcome.binding_instead.join("\n  "),
                out.display()
            ),
        })
    };
    print_result(args.json, args.quiet, json, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lever_names_are_one_spelling_with_the_table_kind_as_alias() {
        for lever in Lever::value_variants() {
            let v = lever.to_possible_value().unwrap();
            let kind = lever.kind();
            assert_eq!(v.get_name(), breakeven::lever_name(kind));
            assert!(v.matches(kind.as_str(), false), "{}", kind.as_str());
            assert_eq!(Lever::from_str(kind.as_str(), false), Ok(*lever));
        }
    }
}
