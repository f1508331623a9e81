//! Why a sweep stopped after its input was accepted.

use crate::export::OutputError;

/// Why a sweep stopped after its input was accepted.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error("building the sweep's tables: {0}")]
    Polars(#[from] polars::prelude::PolarsError),
    /// Shards that do not fit together (missing scenarios, different
    /// inputs): the user's to fix, exit 2.
    #[error("{0}")]
    Mismatch(String),
    #[error("{0}")]
    Internal(String),
}
