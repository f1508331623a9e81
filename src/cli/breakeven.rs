use std::path::{Path, PathBuf};

use clap::{ArgGroup, Args, ValueEnum};

use dcsite::domain::{AppliesTo, SubsidyKind};
use dcsite::export::{write_file_atomic, OutputError};
use dcsite::milp::Prepared;
use dcsite::solve::SolveOptions;
use dcsite::study::breakeven::{self, BreakevenError, Outcome, Place, Spec};

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
    pub fn kind(self) -> SubsidyKind {
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

impl Applies {
    pub fn applies_to(self) -> AppliesTo {
        match self {
            Applies::All => AppliesTo::All,
            Applies::Imported => AppliesTo::Imported,
            Applies::Domestic => AppliesTo::Domestic,
        }
    }
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("place").required(true).args(["region", "cluster", "site"])))]
pub struct BreakevenArgs {
    /// Scenario file (TOML)
    pub scenario: PathBuf,
    /// Region that offers the lever (region_id of regions.csv)
    #[arg(long)]
    pub region: Option<String>,
    /// Planning cluster that offers the lever, in each of its regions (cluster_id of clusters.csv)
    #[arg(long)]
    pub cluster: Option<String>,
    /// Single site that offers the lever (site_id of sites.csv)
    #[arg(long)]
    pub site: Option<String>,
    /// Cards the place wants to host (all accelerators)
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
    /// CSV file for the explored curve (none is written without it; --json prints the curve)
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
    let place = args.place();
    if let Some(out) = args.out.as_ref().filter(|o| o.exists() && !args.force) {
        return Err(CliError::Input(
            OutputError::Exists(out.clone()).to_string(),
        ));
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
    let outcome = search(&args, &place, &base, &opts)?;
    if let Some(out) = &args.out {
        write_file_atomic(
            out,
            breakeven::curve_csv(&outcome, kind).as_bytes(),
            args.force,
        )
        .map_err(output_error)?;
    }
    print_outcome(&args, &place, &base, &outcome)?;
    if outcome.level.is_none() {
        // The search worked, but the answer is "no": its own exit code, so
        // that a script does not read it as a level.
        return Err(CliError::NotReached(format!(
            "no level of {lever} up to {} brings {} cards to {} {} (exit 5{})",
            breakeven::level_text(outcome.max_level, outcome.tolerance),
            args.cards,
            place.kind(),
            place.id(),
            curve_note(args.out.as_deref()),
        )));
    }
    Ok(())
}

impl BreakevenArgs {
    /// The place of `--region`, `--cluster` or `--site` (clap lets exactly one through).
    fn place(&self) -> Place {
        match (&self.region, &self.cluster, &self.site) {
            (Some(r), _, _) => Place::Region(r.clone()),
            (_, Some(c), _) => Place::Cluster(c.clone()),
            (_, _, Some(s)) => Place::Site(s.clone()),
            _ => Place::Region(String::new()),
        }
    }
}

/// "; curve in FILE", or nothing without `--out`.
fn curve_note(out: Option<&Path>) -> String {
    out.map(|o| format!("; curve in {}", o.display()))
        .unwrap_or_default()
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

/// `--region`, `--cluster` or `--site` naming no such place: exit 2 with the known ids.
pub fn unknown_place(place: &Place, base: &Prepared) -> CliError {
    CliError::Input(format!(
        "--{}: unknown {} {} (known: {})",
        place.kind(),
        place.kind(),
        dcsite::data::problem::shown(place.id()),
        place.known(&base.inst).join(", ")
    ))
}

/// The break-even search of `base`, with a spinner naming each level tried.
fn search(
    args: &BreakevenArgs,
    place: &Place,
    base: &Prepared,
    opts: &SolveOptions,
) -> Result<Outcome, CliError> {
    let kind = args.lever.kind();
    let spec = Spec {
        place: place.clone(),
        cards: args.cards,
        lever: kind,
        applies_to: args.applies_to.applies_to(),
        max_level: args.max_level,
        tolerance: args.tolerance,
    };
    let pb = progress::start(args.quiet || args.json, None, "searching");
    let tolerance = args
        .tolerance
        .unwrap_or_else(|| breakeven::lever_range(base, place, kind).1);
    let step = |pt: &breakeven::Point| {
        pb.set_message(format!(
            "level {} → {} cards",
            breakeven::level_text(pt.level, tolerance),
            pt.cards_in_place
        ));
    };
    let outcome = match breakeven::search(base, &spec, opts, &step) {
        Ok(o) => o,
        Err(BreakevenError::UnknownPlace(p)) => return Err(unknown_place(&p, base)),
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

/// The level found and what it brings (cards by site, bill, cost to the
/// country), or what binds instead; the same as JSON (`--json`), or nothing
/// (`--quiet`).
fn print_outcome(
    args: &BreakevenArgs,
    place: &Place,
    base: &Prepared,
    outcome: &Outcome,
) -> Result<(), CliError> {
    let lever = breakeven::lever_name(args.lever.kind());
    let no_offer = outcome.no_offer();
    let (name_en, _) = place.names(&base.inst);
    let json = || {
        let v = serde_json::json!({
            "place": { "kind": place.kind(), "id": place.id(), "name_en": name_en },
            "region": args.region,
            "cluster": args.cluster,
            "site": args.site,
            "cards": args.cards,
            "lever": lever,
            "level": outcome.level,
            "tolerance": outcome.tolerance,
            "max_level": outcome.max_level,
            "at_level": outcome.at_level().map(|p| breakeven::point_json(p, no_offer)),
            "no_offer": no_offer.map(|p| breakeven::point_json(p, None)),
            "evaluations": outcome.curve.len(),
            "binding_instead": outcome.binding_instead,
            "curve_file": args.out.as_ref().map(|o| o.display().to_string()),
            "curve": outcome.curve.iter().map(|p| breakeven::point_json(p, no_offer)).collect::<Vec<_>>(),
        });
        Ok(format!("{v}\n"))
    };
    let text = || {
        let curve = curve_note(args.out.as_deref());
        Ok(match (outcome.level, outcome.at_level()) {
            (Some(l), Some(at)) => format!(
                "{name_en} ({} {}) hosts at least {} cards from {lever} = {} (within {}; {} solves{curve})\n\
                 at that level: {}\n",
                place.kind(),
                place.id(),
                args.cards,
                breakeven::level_text(l, outcome.tolerance),
                outcome.tolerance,
                outcome.curve.len(),
                breakeven::point_words(at, no_offer),
            ),
            _ => format!(
                "no level of {} up to {} brings {} cards to {name_en} ({} {}); what binds instead:\n  {}\n{}",
                lever,
                breakeven::level_text(outcome.max_level, outcome.tolerance),
                args.cards,
                place.kind(),
                place.id(),
                outcome.binding_instead.join("\n  "),
                args.out
                    .as_ref()
                    .map(|o| format!("curve in {}\n", o.display()))
                    .unwrap_or_default(),
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
