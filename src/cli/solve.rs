//! `dcsite solve <scenario> --out DIR`: one scenario loaded, solved (or a
//! solution file of another solver read) and written as a plan's files.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use dcsite::domain::MAX_LIMIT_SECONDS;
use dcsite::export::{self, OutputDir};
use dcsite::milp::Prepared;
use dcsite::solve::{self, SolveError, SolveOptions};
use dcsite::spatial::crs::OutputCrs;

use super::error::CliError;
use super::flags::{check_near_optimal, seconds_arg, share_arg, SolverArgs};
use super::output::{commit, output_dir, print_result, stage_gpkg, stage_report, stem, write_plan};

#[derive(Args, Debug)]
pub struct SolveArgs {
    /// Scenario file (TOML), e.g. models/baseline.toml
    pub scenario: PathBuf,
    /// Output folder for sites, flows, reach and cities (.geojson with a QGIS .qml style each), summary.json, regions.csv, report.html
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub solver: SolverArgs,
    /// Replace an existing, non-empty output folder as a whole (its other files go too)
    #[arg(long)]
    pub force: bool,
    /// Also write sites, flows, reach and cities in this coordinate system (an
    /// AUTHORITY:CODE such as EPSG:4490, or a PROJ string), as
    /// sites.<label>.geojson with label epsg-4490 / proj-<projection> (repeatable)
    #[arg(long, value_name = "CRS")]
    pub crs: Vec<String>,
    /// Also write the full model (named rows and columns; objective in millions
    /// of CNY) for other solvers: .mps or .lp by the extension
    #[arg(long, value_name = "FILE")]
    pub write_model: Option<PathBuf>,
    /// Do not solve: read a solution found by another solver (HiGHS
    /// --solution_file or Gurobi .sol, columns named as --write-model names
    /// them), check it against every row and write it out as a plan
    #[arg(long, value_name = "FILE")]
    pub read_solution: Option<PathBuf>,
    /// After the optimum, the fewest and most cards of every region, tier and
    /// site in any plan within this share of the optimal cost (e.g. 0.005)
    #[arg(long, value_name = "SHARE", value_parser = share_arg)]
    pub near_optimal: Option<f64>,
    /// Time for the near-optimal range search, seconds (default 2.5 × the
    /// plain solve, at least 1 s; never beyond --time-limit); ends it cannot
    /// prove are the best plans found
    #[arg(long, value_name = "SECONDS", requires = "near_optimal", value_parser = seconds_arg)]
    pub near_optimal_seconds: Option<f64>,
    /// Do not write report.html (the page `dcsite report` draws of the folder)
    #[arg(long)]
    pub no_report: bool,
    /// Do not write plan.gpkg (the layers, their styles and the boundaries in
    /// one GeoPackage, written with GDAL's ogr2ogr): for a machine without GDAL
    #[arg(long)]
    pub no_gpkg: bool,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
    /// Print summary.json on stdout instead of the table
    #[arg(long)]
    pub json: bool,
}

/// Checks `--write-model`'s path (run before anything is written, and again
/// when the model is written): a .mps or .lp file name in an existing
/// folder, not a folder itself; an existing file needs `--force`.
fn check_model_path(path: &Path, force: bool) -> Result<(), CliError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !matches!(ext, "mps" | "lp") {
        return Err(CliError::Input(format!(
            "--write-model: expected a file name ending in .mps or .lp, found {}",
            path.display()
        )));
    }
    if path.is_dir() {
        return Err(CliError::Input(format!(
            "--write-model {}: expected a file name, found a folder",
            path.display()
        )));
    }
    if path.exists() && !force {
        return Err(CliError::Input(format!(
            "--write-model: {} exists; pass --force to replace it",
            path.display()
        )));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // The folder is the user's to create: a missing one is an input error
    // (HiGHS would only say that it could not write).
    if !dir.is_dir() {
        let found = if dir.exists() {
            "something that is not a folder"
        } else {
            "no such folder"
        };
        return Err(CliError::Input(format!(
            "--write-model {}: expected an existing folder {}, found {found}",
            path.display(),
            dir.display()
        )));
    }
    Ok(())
}

/// Writes the model file through HiGHS into a temporary name beside it, then
/// renames it into place; an existing file needs `--force`.
fn write_model_file(p: &Prepared, path: &Path, force: bool) -> Result<(), CliError> {
    check_model_path(path, force)?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(".dcsite-model-{}.{ext}", std::process::id()));
    // A folder that cannot be written is the user's to fix too.
    if let Err(e) = std::fs::File::create(&tmp) {
        return Err(CliError::Input(format!(
            "--write-model {}: expected a folder this run can write, found {}",
            path.display(),
            dcsite::data::file::io_text(&e)
        )));
    }
    let written = solve::write_model(p, &tmp)
        .map_err(|e| CliError::from_solve(e, None))
        .and_then(|()| {
            std::fs::rename(&tmp, path)
                .with_context(|| format!("moving the model into {}", path.display()))
                .map_err(CliError::from)
        });
    if written.is_err() {
        // Nothing half-written is left beside the model.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Resolves the --crs values; two that would write the same files are refused.
fn output_crs(specs: &[String]) -> Result<Vec<OutputCrs>, CliError> {
    let mut out: Vec<OutputCrs> = Vec::new();
    for spec in specs {
        let crs = OutputCrs::new(spec).map_err(|e| CliError::Input(format!("--crs: {e}")))?;
        if let Some(other) = out.iter().find(|c| c.label() == crs.label()) {
            return Err(CliError::Input(format!(
                "--crs: {:?} and {:?} would both be written as sites.{}.geojson; give one of them",
                other.spec(),
                crs.spec(),
                crs.label()
            )));
        }
        out.push(crs);
    }
    Ok(out)
}

/// A limit stopped the run before any plan existed: says so in the output
/// folder too (a batch job finds `no_plan` there) and returns the exit-4 error.
fn no_plan(
    mut out: OutputDir,
    scenario_file: &Path,
    name: Option<&str>,
    message: String,
) -> Result<CliError, CliError> {
    let summary = serde_json::json!({
        "scenario": name,
        "scenario_file": scenario_file.display().to_string(),
        "status": "no_plan",
        "message": message,
    });
    let mut text = serde_json::to_string_pretty(&summary).context("summary")?;
    text.push('\n');
    out.write("summary.json", text.as_bytes())
        .context("writing summary.json")?;
    commit(out)?;
    Ok(CliError::NoPlan(message))
}

/// Opens `--read-solution`'s file before anything is loaded or written: a
/// regular file of at most [`solve::MAX_SOLUTION_BYTES`].
fn open_solution(path: &Path) -> Result<std::fs::File, CliError> {
    use dcsite::data::file;
    file::open_capped(path, solve::MAX_SOLUTION_BYTES, "solution file", "").map_err(
        |(expected, found)| {
            CliError::Input(format!(
                "--read-solution {}: expected {expected}, found {found}",
                path.display()
            ))
        },
    )
}

/// A solution file of another solver turned into a plan (checked against
/// every row; a violated row or an unknown column is an input error). The
/// file must be a regular file of at most [`solve::MAX_SOLUTION_BYTES`]; it
/// is read a line at a time and the first bad line stops it.
fn read_solution(
    p: &Prepared,
    path: &Path,
    f: std::fs::File,
    opts: &SolveOptions,
) -> Result<Result<solve::Plan, SolveError>, CliError> {
    use std::io::Read;
    let limit = solve::MAX_SOLUTION_BYTES;
    // A file that grows while being read is cut at the limit and refused.
    let mut reader = std::io::BufReader::with_capacity(64 << 10, f.take(limit + 1));
    let label = format!("--read-solution {}", path.display());
    let plan = solve::plan_from_solution(p, &mut reader, &label, opts);
    if reader.get_ref().limit() == 0 {
        return Err(CliError::Input(format!(
            "--read-solution {}: expected a solution file of at most {limit} bytes, found more \
             (it grew while being read)",
            path.display()
        )));
    }
    Ok(plan)
}

pub fn run(args: SolveArgs) -> Result<(), CliError> {
    let t_run = Instant::now();
    // --time-limit bounds the whole run: loading and preparing the model
    // check it too, and the solver gets what is left.
    let mut opts = args.solver.options()?;
    let out_crs = check_args(&args)?;
    // The solution file is opened (and refused) before anything is written.
    let solution_file = args
        .read_solution
        .as_deref()
        .map(open_solution)
        .transpose()?;
    // Refuse a non-empty folder before spending time on the solve.
    let out = output_dir(&args.out, args.force)?;
    let (mut out, scenario_file, prepared, load_seconds) = load(&args, out, &mut opts)?;
    if let Some(path) = &args.write_model {
        write_model_file(&prepared, path, args.force)?;
    }
    let pb = super::progress::start(
        args.quiet || args.json,
        None,
        &format!("solving {}", prepared.inst.name),
    );
    let solved = match (args.read_solution.as_deref(), solution_file) {
        (Some(path), Some(f)) => read_solution(&prepared, path, f, &opts)?,
        _ => solve::solve(&prepared, &opts),
    };
    pb.finish_and_clear();
    let plan = match solved {
        Ok(plan) => plan,
        Err(e @ (SolveError::NoSolution { .. } | SolveError::TimeUp(_))) => {
            no_plan(
                out,
                &scenario_file,
                Some(&prepared.inst.name),
                e.to_string(),
            )?;
            return Err(CliError::from_solve(e, None));
        }
        Err(e) => return Err(CliError::from_solve(e, None)),
    };
    let t_near = Instant::now();
    let mut plan = plan;
    if let Some(share) = args.near_optimal {
        plan.near_optimal = Some(
            solve::near_optimal_within(&prepared, &plan, share, &opts, args.near_optimal_seconds)
                .map_err(|e| CliError::from_solve(e, Some("near-optimal ranges".into())))?,
        );
    }
    let near_seconds = t_near.elapsed().as_secs_f64();
    let t_write = Instant::now();
    let summary = write_plan(
        &mut out,
        &plan,
        &scenario_file.display().to_string(),
        &out_crs,
    )?;
    stage_gpkg(&mut out, args.no_gpkg, &stem(&scenario_file))?;
    stage_report(&out, &args.out, args.no_report);
    let dest = commit(out)?;
    let timings = Timings {
        load_seconds,
        near_seconds,
        write_seconds: t_write.elapsed().as_secs_f64(),
        run_seconds: t_run.elapsed().as_secs_f64(),
    };
    print_outcome(&args, &plan, &summary, &dest, &timings)
}

/// Checks the flags that need no file read: `--near-optimal`,
/// `--near-optimal-seconds`, `--crs` (resolved) and `--write-model`.
fn check_args(args: &SolveArgs) -> Result<Vec<OutputCrs>, CliError> {
    check_near_optimal(args.near_optimal)?;
    if let Some(t) = args.near_optimal_seconds {
        if !(t > 0.0 && t <= MAX_LIMIT_SECONDS) {
            return Err(CliError::Input(format!(
                "--near-optimal-seconds: expected a positive number of seconds, found {t}"
            )));
        }
    }
    let out_crs = output_crs(&args.crs)?;
    if let Some(path) = &args.write_model {
        check_model_path(path, args.force)?;
        // The output folder is replaced as a whole by the plan: a model file
        // inside it would be refused as a file dcsite does not write there
        // (or deleted by --force) after the whole solve.
        let inside = |p: &Path| {
            let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
            let dir = dir.unwrap_or(Path::new("."));
            std::path::absolute(dir).ok()
        };
        if let (Some(model_dir), Ok(out)) = (inside(path), std::path::absolute(&args.out)) {
            if model_dir.starts_with(&out) {
                return Err(CliError::Input(format!(
                    "--write-model {}: expected a path outside the output folder {}, \
                     which the plan replaces as a whole",
                    path.display(),
                    args.out.display()
                )));
            }
        }
    }
    Ok(out_crs)
}

/// Loads and prepares the scenario within `opts.deadline`, then leaves the
/// solver what is left of it; returns `out` with the scenario file, the
/// model and the seconds loading took. A limit reached on the way says so
/// in `out` ([`no_plan`]).
fn load(
    args: &SolveArgs,
    out: OutputDir,
    opts: &mut SolveOptions,
) -> Result<(OutputDir, PathBuf, Prepared, f64), CliError> {
    let deadline = opts.deadline;
    let t_load = Instant::now();
    let (sc, inst, loaded) = match dcsite::data::load_within(&args.scenario, deadline.as_ref()) {
        Ok(x) => x,
        Err(dcsite::data::LoadError::Problems(p)) => return Err(p.into()),
        Err(dcsite::data::LoadError::TimeUp(t)) => {
            return Err(no_plan(out, &args.scenario, None, t.to_string())?)
        }
    };
    for w in &loaded.warnings {
        eprintln!("warning: {}", dcsite::data::problem::escaped(w));
    }
    let load_seconds = t_load.elapsed().as_secs_f64();
    let name = inst.name.clone();
    let prepared = match Prepared::new_within(inst, deadline.as_ref()) {
        Ok(p) => p,
        Err(t) => return Err(no_plan(out, &sc.path, Some(&name), t.to_string())?),
    };
    if let Some(d) = &deadline {
        if let Err(t) = d.check("preparing the model") {
            return Err(no_plan(out, &sc.path, Some(&name), t.to_string())?);
        }
        opts.time_limit_s = Some(d.left_s().max(0.1));
    }
    Ok((out, sc.path, prepared, load_seconds))
}

/// Where the time of a run went, seconds (the solver's own is the plan's).
struct Timings {
    load_seconds: f64,
    near_seconds: f64,
    write_seconds: f64,
    /// From the flags to the committed folder: what --time-limit bounds.
    run_seconds: f64,
}

/// The table and where the files went, or summary.json with the timings
/// (`--json`), or nothing (`--quiet`).
fn print_outcome(
    args: &SolveArgs,
    plan: &solve::Plan,
    summary: &str,
    dest: &Path,
    t: &Timings,
) -> Result<(), CliError> {
    let json = || {
        // summary.json plus the time split, which the file itself cannot know.
        let mut v: serde_json::Value =
            serde_json::from_str(summary).context("re-reading the summary")?;
        v["timings"] = serde_json::json!({
            "load_seconds": t.load_seconds,
            "build_seconds": plan.build_seconds,
            "solve_seconds": plan.solve_seconds,
            "ranges_seconds": t.near_seconds,
            "write_seconds": t.write_seconds,
            // From the flags to the committed folder: what --time-limit bounds.
            "run_seconds": t.run_seconds,
        });
        Ok(format!("{v}\n"))
    };
    let text = || {
        let near_text = plan
            .near_optimal
            .as_ref()
            .map(|n| export::near_optimal_text(plan, n))
            .unwrap_or_default();
        Ok(format!(
            "{}{near_text}\nwrote {} (load {:.2} s, build {:.2} s, solve {:.2} s, ranges {:.2} s, write {:.2} s)\n",
            export::text_report(plan),
            dest.display(),
            t.load_seconds,
            plan.build_seconds,
            plan.solve_seconds,
            t.near_seconds,
            t.write_seconds
        ))
    };
    print_result(args.json, args.quiet, json, text)
}
