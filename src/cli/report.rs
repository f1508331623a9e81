use std::io::Write;
use std::path::Path;

use anyhow::Context;

use dcsite::report::{self, ReportError};

use super::error::CliError;

/// Writes the HTML report of the output folder `dir` (default
/// `<dir>/report.html`) and prints the path written.
/// An existing HTML file is refused unless `force`: the commands that write
/// a folder write its report.html themselves, so drawing it again (after
/// `--no-report`, or with a newer dcsite) is asked for with `--force`, and
/// `-o FILE` writes the page elsewhere.
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
        let how = if output.is_none() {
            " (the command that wrote the folder wrote it); pass --force to draw it again, \
             or -o FILE to write the page elsewhere"
        } else {
            "; pass --force to replace it"
        };
        return Err(CliError::Input(format!("{} exists{how}", target.display())));
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
