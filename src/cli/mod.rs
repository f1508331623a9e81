//! Command-line arguments (clap), one file per subcommand; what several
//! commands share: the solver flags (`flags`), output folders and what is
//! printed (`output`), exit codes (`error`), progress bars (`progress`).

mod breakeven;
mod compare;
mod error;
mod flags;
mod hedge;
mod implied;
mod offer;
mod output;
mod progress;
mod report;
mod solve;
mod sweep;
mod validate;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use error::CliError;

#[derive(Parser, Debug)]
#[command(
    name = "dcsite",
    version,
    about = "Decides where H200 GPU clusters should be built: tables in, MILP (HiGHS), GeoJSON out"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Load a scenario and its tables and report every problem found.
    Validate {
        /// Scenario file (TOML), e.g. models/baseline.toml
        scenario: PathBuf,
    },
    /// Solve a scenario and write GeoJSON, summary.json and regions.csv.
    Solve(solve::SolveArgs),
    /// Solve several scenarios and compare them region by region.
    Compare(compare::CompareArgs),
    /// Find the smallest subsidy level at which a region, cluster or site hosts a
    /// number of cards, and what it costs at that level.
    Breakeven(breakeven::BreakevenArgs),
    /// What a region, cluster or site must offer to win a number of cards: per
    /// level the cards, the bill and the cost to the country, and P(win) under
    /// the input ranges.
    Offer(offer::OfferArgs),
    /// Solve every scenario of a sweep file (drawn or gridded inputs) and write
    /// how robust the answer is: site probabilities, card spreads, regret.
    Sweep(sweep::SweepArgs),
    /// The cheapest plan that meets a forecast's card ranges (per cluster, region
    /// or tier), its extra cost over the free optimum, and the implied premium
    /// per card of each binding range (its shadow price).
    Implied(implied::ImpliedArgs),
    /// Plan before the outcome is known: the sites to build now that serve
    /// every [[outcomes]] entry of the scenario, each outcome's servers, the
    /// value of perfect information (EVPI), of the stochastic plan (VSS) and
    /// the CVaR of the cost.
    Hedge(hedge::HedgeArgs),
    /// Print the documentation of every input table (Markdown), from the schemas.
    Schema,
    /// Write one self-contained HTML report (map, tables, comparison chart) of an output folder.
    Report {
        /// Output folder of solve, compare, sweep (collected) or implied
        dir: PathBuf,
        /// HTML file to write (default <DIR>/report.html)
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// Replace an existing HTML file (the folder's report.html, which the
        /// command that wrote the folder wrote, is drawn again only with it)
        #[arg(long)]
        force: bool,
    },
}

pub fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Command::Validate { scenario } => validate::run(&scenario),
        Command::Solve(args) => solve::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Breakeven(args) => breakeven::run(args),
        Command::Offer(args) => offer::run(args),
        Command::Sweep(args) => sweep::run(args),
        Command::Implied(args) => implied::run(args),
        Command::Hedge(args) => hedge::run(args),
        Command::Schema => {
            print!("{}", dcsite::data::schema::markdown());
            Ok(())
        }
        Command::Report { dir, output, force } => report::run(&dir, output.as_deref(), force),
    }
}
