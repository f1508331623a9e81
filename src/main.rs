//! The `dcsite` binary: thin glue over the library. Prints the whole error
//! chain with a `dcsite:` prefix and maps failures to exit codes:
//! 0 done, 1 internal error, 2 input error, 3 infeasible, 4 a limit stopped
//! the search before any plan existed, 5 a break-even search found no level
//! of the lever that reaches the target (the curve is still written).

mod cli;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    // One allocator arena per core, not glibc's eight: what one phase of a
    // run frees is then reused by the next instead of staying in arenas of
    // threads that are gone (see `cap_allocator_arenas`).
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    dcsite::solve::adapter::cap_allocator_arenas(cores.max(2));
    // `dcsite --version` names the HiGHS library that solves, read from it.
    let version: &'static str = Box::leak(
        format!(
            "{} ({})",
            env!("CARGO_PKG_VERSION"),
            dcsite::solve::highs_version()
        )
        .into_boxed_str(),
    );
    let matches = cli::Cli::command().version(version).get_matches();
    let args = match cli::Cli::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(e) => e.exit(),
    };
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.is_broken_pipe() {
                return ExitCode::SUCCESS;
            }
            // No control character of an input reaches the terminal raw.
            let text = dcsite::data::problem::escaped_message(&e.to_string());
            eprintln!("dcsite: {text}");
            ExitCode::from(e.exit_code())
        }
    }
}
