//! Why a report could not be made.

use std::path::PathBuf;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A missing or malformed input file (exit 2).
    #[error("{}: {message}", file.display())]
    Input {
        /// The file at fault.
        file: PathBuf,
        /// What was expected and found.
        message: String,
    },
    /// The HTML file could not be written (exit 1).
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}
