use std::io::Write;
use std::path::Path;

use anyhow::Context;

use dcsite::report::{self, ReportError};

use super::CliError;

/// Writes the HTML report of the output folder `dir` (default
/// `<dir>/report.html`) and prints the path written.
pub fn run(dir: &Path, output: Option<&Path>) -> Result<(), CliError> {
    if let Some(o) = output {
        if o.is_dir() {
            return Err(CliError::Input(format!(
                "-o {}: expected an HTML file name, found a folder",
                o.display()
            )));
        }
    }
    let written = report::write_report(dir, output).map_err(|e| match e {
        ReportError::Input { .. } => CliError::Input(e.to_string()),
        other => CliError::Internal(other.into()),
    })?;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(format!("wrote {}\n", written.display()).as_bytes())
        .context("writing to stdout")?;
    Ok(())
}
