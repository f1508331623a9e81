//! Flags that several commands share: the solver settings (`SolverArgs`,
//! flattened into each command that solves) and the parsers and checks of
//! numbers given on the command line (seconds, fractions, shares).

use clap::Args;

use dcsite::domain::MAX_LIMIT_SECONDS;
use dcsite::solve::SolveOptions;

use super::error::CliError;

/// Solver settings shared by every command that solves.
#[derive(Args, Debug, Clone)]
pub struct SolverArgs {
    /// Stop the search after this many seconds and report the best plan found ("feasible"); the search for sites gets four fifths of what is left after loading, rounding the servers the rest, so a run may end before the limit
    #[arg(long, value_name = "SECONDS", value_parser = seconds_arg)]
    pub time_limit: Option<f64>,
    /// Relative MIP gap at which a plan counts as optimal (HiGHS default 1e-4)
    #[arg(long, value_name = "FRACTION", value_parser = fraction_arg)]
    pub mip_gap: Option<f64>,
    /// Solver threads (default 1, which keeps runs reproducible; at most 1024)
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=MAX_THREADS))]
    pub threads: Option<u32>,
    /// Show the HiGHS log (on stderr)
    #[arg(long)]
    pub solver_log: bool,
    /// Pass an option to HiGHS, e.g. --highs-option mip_heuristic_effort=0.1 (repeatable)
    #[arg(long, value_name = "NAME=VALUE")]
    pub highs_option: Vec<String>,
}

/// The most solver threads `--threads` takes.
const MAX_THREADS: i64 = 1024;

/// A number of seconds of a flag (`--time-limit`, `--near-optimal-seconds`):
/// more than 0 and at most [`MAX_LIMIT_SECONDS`] (about 31 years), checked
/// when the flags are parsed (exit 2 naming the flag), so that no deadline
/// computed from it can overflow the clock.
pub fn seconds_arg(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(t) if t > 0.0 && t <= MAX_LIMIT_SECONDS => Ok(t),
        _ => Err(format!(
            "expected a number of seconds > 0 and at most {MAX_LIMIT_SECONDS:e} (about 31 years)"
        )),
    }
}

/// A fraction in [0, 1) (`--mip-gap`).
fn fraction_arg(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(g) if (0.0..1.0).contains(&g) => Ok(g),
        _ => Err("expected a fraction in [0, 1)".into()),
    }
}

/// A share of the optimal cost in [0, 1) (`--near-optimal` of solve and compare).
pub fn share_arg(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(g) if (0.0..1.0).contains(&g) => Ok(g),
        _ => Err("expected a share of the optimal cost in [0, 1), e.g. 0.005".into()),
    }
}

impl SolverArgs {
    /// Checks the flags and turns them into solver options (the flags'
    /// parsers already bound them; checked again for callers that build
    /// the arguments themselves).
    pub fn options(&self) -> Result<SolveOptions, CliError> {
        if let Some(t) = self.time_limit {
            if !(t > 0.0 && t <= MAX_LIMIT_SECONDS) {
                return Err(CliError::Input(format!(
                    "--time-limit: expected seconds > 0 and at most {MAX_LIMIT_SECONDS:e}, found {t}"
                )));
            }
        }
        if let Some(g) = self.mip_gap {
            if !(0.0..1.0).contains(&g) {
                return Err(CliError::Input(format!(
                    "--mip-gap: expected a fraction in [0, 1), found {g}"
                )));
            }
        }
        if let Some(n) = self
            .threads
            .filter(|&n| !(1..=MAX_THREADS).contains(&i64::from(n)))
        {
            return Err(CliError::Input(format!(
                "--threads: expected 1 to {MAX_THREADS}, found {n}"
            )));
        }
        Ok(SolveOptions {
            // The limit bounds the whole run from here (parsing the flags).
            deadline: self
                .time_limit
                .map(|t| dcsite::domain::Deadline::from(std::time::Instant::now(), t)),
            time_limit_s: self.time_limit,
            mip_gap: self.mip_gap,
            threads: self.threads,
            log: self.solver_log,
            highs_options: parse_highs_options(&self.highs_option)?,
            relaxation_check_s: None,
            ..SolveOptions::default()
        })
    }
}

fn parse_highs_options(raw: &[String]) -> Result<Vec<(String, String)>, CliError> {
    raw.iter()
        .map(|o| {
            let (k, v) = o
                .split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| {
                    CliError::Input(format!(
                        "--highs-option: expected NAME=VALUE, found {}",
                        dcsite::data::problem::shown(o)
                    ))
                })?;
            // An option that makes HiGHS read or write a file of its own would
            // touch files outside the output folder, not atomically (or make
            // it fail as a solver error): dcsite's flags do that instead.
            let lower = k.to_ascii_lowercase();
            if ["file", "write_", "read_", "_save", "_image"]
                .iter()
                .any(|w| lower.contains(w))
            {
                return Err(CliError::Input(format!(
                    "--highs-option {}: expected an option that reads and writes no file \
                     (use --write-model, --read-solution or --solver-log), found one that does",
                    dcsite::data::problem::shown(&k)
                )));
            }
            // HiGHS starts as many threads as asked (2,000 took the machine's
            // load to 300): the same bound as --threads (0 = HiGHS decides).
            if k.eq_ignore_ascii_case("threads")
                && !v.parse::<i64>().is_ok_and(|n| (0..=MAX_THREADS).contains(&n))
            {
                return Err(CliError::Input(format!(
                    "--highs-option threads: expected a whole number from 0 to {MAX_THREADS}, found {}",
                    dcsite::data::problem::shown(&v)
                )));
            }
            Ok((k, v))
        })
        .collect()
}

/// `--near-optimal SHARE` (solve and compare): a share of the optimal cost in [0, 1).
pub fn check_near_optimal(share: Option<f64>) -> Result<(), CliError> {
    match share {
        Some(share) if !(0.0..1.0).contains(&share) => Err(CliError::Input(format!(
            "--near-optimal: expected a share of the optimal cost in [0, 1), e.g. 0.005, found {share}"
        ))),
        _ => Ok(()),
    }
}
