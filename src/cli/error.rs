//! A failure of a command, by exit code.

use std::fmt;

use dcsite::data::Problems;

/// A failure, by exit code. Every subcommand maps its errors through this
/// type (and [`CliError::from_solve`] for solver outcomes), so one failure has
/// one exit code whichever command met it.
#[derive(Debug)]
pub enum CliError {
    /// Bad input: exit 2.
    Input(String),
    /// No feasible plan: exit 3.
    Infeasible(String),
    /// A limit stopped the search before any plan existed: exit 4.
    NoPlan(String),
    /// A break-even search found no level that reaches the target: exit 5.
    NotReached(String),
    /// Anything else: exit 1.
    Internal(anyhow::Error),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Internal(_) => 1,
            CliError::Input(_) => 2,
            CliError::Infeasible(_) => 3,
            CliError::NoPlan(_) => 4,
            CliError::NotReached(_) => 5,
        }
    }

    /// The exit code of a solver outcome; `context` (a scenario path, a
    /// break-even level) is put in front of the message when given.
    pub fn from_solve(e: dcsite::solve::SolveError, context: Option<String>) -> CliError {
        use dcsite::solve::SolveError as S;
        let text = match &context {
            Some(c) => format!("{c}: {e}"),
            None => e.to_string(),
        };
        match e {
            S::Infeasible { .. } => CliError::Infeasible(text),
            S::NoSolution { .. } | S::TimeUp(_) => CliError::NoPlan(text),
            S::Option(_) | S::BadSolution(_) => CliError::Input(text),
            S::Unbounded | S::Numerical(_) | S::Defect(_) => {
                CliError::Internal(anyhow::anyhow!(text))
            }
        }
    }
    pub fn is_broken_pipe(&self) -> bool {
        match self {
            CliError::Internal(e) => e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }),
            _ => false,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Input(s)
            | CliError::Infeasible(s)
            | CliError::NoPlan(s)
            | CliError::NotReached(s) => {
                write!(f, "{}", s.trim_end())
            }
            CliError::Internal(e) => write!(f, "{e:#}"),
        }
    }
}

impl From<Problems> for CliError {
    fn from(p: Problems) -> Self {
        CliError::Input(p.to_string())
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::Internal(e)
    }
}
