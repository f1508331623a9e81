//! What the commands share to write their results: output folders (opened,
//! committed, their failures as exit codes), a plan's files as `solve`
//! writes them, and stdout.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use dcsite::export::{self, OutputDir};
use dcsite::report;
use dcsite::solve::Plan;
use dcsite::spatial::crs::OutputCrs;

use super::error::CliError;

/// Opens an output folder, refusing a non-empty one unless `force`.
pub fn output_dir(path: &Path, force: bool) -> Result<OutputDir, CliError> {
    OutputDir::create(path, force).map_err(output_error)
}

/// An output failure as an exit code: the user's (2) or ours (1), printed once.
pub fn output_error(e: export::OutputError) -> CliError {
    if e.is_input() {
        CliError::Input(e.to_string())
    } else {
        CliError::Internal(anyhow::anyhow!("{e}"))
    }
}

/// Stages `report.html`, the page `dcsite report` draws of the staged
/// folder, as the last file before the commit, so that the folder appears
/// at once with its report; `skip` (`--no-report`) writes none. A page that
/// cannot be drawn does not cost the plan: the folder is committed without
/// it, with a warning on stderr that says why and how to draw it later (the
/// exit code stays that of the command).
pub fn stage_report(out: &OutputDir, dest: &Path, skip: bool) {
    if skip {
        return;
    }
    if let Err(e) = report::write_staged(out.staging_path(), dest) {
        eprintln!(
            "warning: {} is written without report.html: {e}; `dcsite report {}` draws it later",
            dest.display(),
            dest.display()
        );
    }
}

/// Stages `plan.gpkg` (and, with a QGIS project, `plan.qgz`): every
/// RFC 7946 layer staged so far with its style, and the boundaries, in one
/// GeoPackage written by GDAL (see `export::gpkg`); nothing for a folder
/// without layers. Call it after the last layer is staged and before the
/// report. A failure fails the command (the staged folder is discarded):
/// GDAL missing is the user's to fix (exit 2), a GDAL failure ours (1);
/// `skip` (`--no-gpkg`) writes none. `title` names the folder in the QGIS
/// project's print layout (`dcsite · <title>`).
pub fn stage_gpkg(out: &mut OutputDir, skip: bool, title: &str) -> Result<(), CliError> {
    use export::gpkg::{self, GpkgError};
    if skip {
        return Ok(());
    }
    let result =
        gpkg::staged_layers(out.staging_path()).and_then(|layers| gpkg::stage(out, &layers, title));
    match result {
        Ok(()) => Ok(()),
        Err(GpkgError::Output(e)) => Err(output_error(e)),
        Err(e @ GpkgError::Missing { .. }) => Err(CliError::Input(format!(
            "{e}; install it, or pass --no-gpkg to write the folder without plan.gpkg"
        ))),
        Err(e) => Err(CliError::Internal(anyhow::anyhow!("{e}"))),
    }
}

/// A file's base name (`baseline` of `models/baseline.toml`), for titles.
pub fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Swaps the staged folder into place; returns where it now is.
pub fn commit(out: OutputDir) -> Result<PathBuf, CliError> {
    out.commit().map_err(output_error)
}

/// Stages every layer file export lists (the four layers, their styles and
/// their re-projected copies).
pub fn write_layers(out: &mut OutputDir, plan: &Plan, crs: &[OutputCrs]) -> Result<(), CliError> {
    let files = export::layer_files(plan, crs).map_err(|e| match e {
        e @ export::LayerError::Project { .. } => CliError::Input(e.to_string()),
        export::LayerError::Reach(e) => {
            CliError::Internal(anyhow::Error::new(e).context("drawing reach polygons"))
        }
    })?;
    for (name, text) in &files {
        out.write(name, text.as_bytes())
            .with_context(|| format!("writing {name}"))?;
    }
    Ok(())
}

/// Stages a plan's files as `solve` writes them: its layers (and their
/// copies in `crs`), summary.json (returned), regions.csv and, for a phased
/// plan, schedule.csv. `scenario_label` names the scenario file in the summary.
pub fn write_plan(
    out: &mut OutputDir,
    plan: &Plan,
    scenario_label: &str,
    crs: &[OutputCrs],
) -> Result<String, CliError> {
    write_layers(out, plan, crs)?;
    let summary = export::summary_json(plan, scenario_label);
    out.write("summary.json", summary.as_bytes())
        .context("writing summary.json")?;
    let regions = export::regions_table(plan).context("building regions.csv")?;
    out.write("regions.csv", regions.as_bytes())
        .context("writing regions.csv")?;
    if let Some(schedule) = export::schedule_table(plan).context("building schedule.csv")? {
        out.write("schedule.csv", schedule.as_bytes())
            .context("writing schedule.csv")?;
    }
    Ok(summary)
}

/// Writes `text` on stdout (a closed pipe ends the command quietly: see
/// [`CliError::is_broken_pipe`]).
pub fn print(text: &str) -> Result<(), CliError> {
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .context("writing to stdout")?;
    Ok(())
}

/// What a command prints: `json` with `--json`, else `text` unless
/// `--quiet`; each made only when printed.
pub fn print_result(
    json: bool,
    quiet: bool,
    json_text: impl FnOnce() -> Result<String, CliError>,
    text: impl FnOnce() -> Result<String, CliError>,
) -> Result<(), CliError> {
    if json {
        print(&json_text()?)
    } else if !quiet {
        print(&text()?)
    } else {
        Ok(())
    }
}
