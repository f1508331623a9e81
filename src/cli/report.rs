use std::io::Write;
use std::path::Path;

use anyhow::Context;

use dcsite::report::{self, ReportError};

use super::error::CliError;

/// Writes the HTML report of the output folder `dir` (default
/// `<dir>/report.html`) and prints the path written.
/// An existing HTML file is refused unless `force`.
pub fn run(dir: &Path, output: Option<&Path>, force: bool) -> Result<(), CliError> {
    if let Some(o) = output {
        if o.is_dir() {
            return Err(CliError::Input(format!(
                "-o {}: expected an HTML file name, found a folder",
                o.display()
            )));
        }
    }
    let target = output
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.join(report::DEFAULT_NAME));
    if !force && target.symlink_metadata().is_ok() {
        return Err(CliError::Input(format!(
            "{} exists; pass --force to replace it",
            target.display()
        )));
    }
    let written = report::write_report(dir, output).map_err(|e| match e {
        ReportError::Input { .. } => CliError::Input(e.to_string()),
        // The I/O error is in the message already: print it once.
        other => CliError::Internal(anyhow::anyhow!("{other}")),
    })?;
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(format!("wrote {}\n", written.display()).as_bytes())
        .context("writing to stdout")?;
    Ok(())
}
