use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use dcsite::domain::MAX_LIMIT_SECONDS;
use dcsite::export::{self, OutputDir};
use dcsite::milp::Prepared;
use dcsite::solve::{self, SolveError, SolveOptions};
use dcsite::spatial::crs::OutputCrs;

use super::CliError;

/// Solver settings shared by every command that solves.
#[derive(Args, Debug, Clone)]
pub struct SolverArgs {
    /// Stop the search after this many seconds and report the best plan found ("feasible")
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

/// Opens an output folder, refusing a non-empty one unless `force`.
pub fn output_dir(path: &std::path::Path, force: bool) -> Result<OutputDir, CliError> {
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

/// Checks `--write-model`'s path (run before anything is written, and again
/// when the model is written): a .mps or .lp file name in an existing
/// folder, not a folder itself; an existing file needs `--force`.
fn check_model_path(path: &std::path::Path, force: bool) -> Result<(), CliError> {
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
        _ => std::path::PathBuf::from("."),
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
fn write_model_file(p: &Prepared, path: &std::path::Path, force: bool) -> Result<(), CliError> {
    check_model_path(path, force)?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
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

pub fn commit(out: OutputDir) -> Result<std::path::PathBuf, CliError> {
    out.commit().map_err(output_error)
}

#[derive(Args, Debug)]
pub struct SolveArgs {
    /// Scenario file (TOML), e.g. models/baseline.toml
    pub scenario: PathBuf,
    /// Output folder for sites, flows, reach and cities (.geojson with a QGIS .qml style each), summary.json, regions.csv
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
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
    /// Print summary.json on stdout instead of the table
    #[arg(long)]
    pub json: bool,
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

/// Stages every layer file export lists (the four layers, their styles and
/// their re-projected copies).
pub(super) fn write_layers(
    out: &mut OutputDir,
    plan: &solve::Plan,
    crs: &[OutputCrs],
) -> Result<(), CliError> {
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

/// A limit stopped the run before any plan existed: says so in the output
/// folder too (a batch job finds `no_plan` there) and returns the exit-4 error.
fn no_plan(
    mut out: OutputDir,
    scenario_file: &std::path::Path,
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

/// `--near-optimal SHARE` (solve and compare): a share of the optimal cost in [0, 1).
pub fn check_near_optimal(share: Option<f64>) -> Result<(), CliError> {
    match share {
        Some(share) if !(0.0..1.0).contains(&share) => Err(CliError::Input(format!(
            "--near-optimal: expected a share of the optimal cost in [0, 1), e.g. 0.005, found {share}"
        ))),
        _ => Ok(()),
    }
}

/// Opens `--read-solution`'s file before anything is loaded or written: a
/// regular file of at most [`solve::MAX_SOLUTION_BYTES`].
fn open_solution(path: &std::path::Path) -> Result<std::fs::File, CliError> {
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
    path: &std::path::Path,
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
    let t_run = std::time::Instant::now();
    // --time-limit bounds the whole run: loading and preparing the model
    // check it too, and the solver gets what is left.
    let mut opts = args.solver.options()?;
    let deadline = opts.deadline;
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
        let inside = |p: &std::path::Path| {
            let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
            let dir = dir.unwrap_or(std::path::Path::new("."));
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
    // The solution file is opened (and refused) before anything is written.
    let solution_file = args
        .read_solution
        .as_deref()
        .map(open_solution)
        .transpose()?;
    // Refuse a non-empty folder before spending time on the solve.
    let mut out = output_dir(&args.out, args.force)?;
    let t_load = std::time::Instant::now();
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
            no_plan(out, &sc.path, Some(&prepared.inst.name), e.to_string())?;
            return Err(CliError::from_solve(e, None));
        }
        Err(e) => return Err(CliError::from_solve(e, None)),
    };
    let t_near = std::time::Instant::now();
    let mut plan = plan;
    if let Some(share) = args.near_optimal {
        plan.near_optimal = Some(
            solve::near_optimal_within(&prepared, &plan, share, &opts, args.near_optimal_seconds)
                .map_err(|e| CliError::from_solve(e, Some("near-optimal ranges".into())))?,
        );
    }
    let near_seconds = t_near.elapsed().as_secs_f64();
    let t_write = std::time::Instant::now();
    let scenario_label = sc.path.display().to_string();
    write_layers(&mut out, &plan, &out_crs)?;
    let summary = export::summary_json(&plan, &scenario_label);
    out.write("summary.json", summary.as_bytes())
        .context("writing summary.json")?;
    let regions = export::regions_table(&plan).context("building regions.csv")?;
    out.write("regions.csv", regions.as_bytes())
        .context("writing regions.csv")?;
    if let Some(schedule) = export::schedule_table(&plan).context("building schedule.csv")? {
        out.write("schedule.csv", schedule.as_bytes())
            .context("writing schedule.csv")?;
    }
    let dest = commit(out)?;
    let write_seconds = t_write.elapsed().as_secs_f64();
    let run_seconds = t_run.elapsed().as_secs_f64();
    let mut stdout = std::io::stdout().lock();
    if args.json {
        // summary.json plus the time split, which the file itself cannot know.
        let mut v: serde_json::Value =
            serde_json::from_str(&summary).context("re-reading the summary")?;
        v["timings"] = serde_json::json!({
            "load_seconds": load_seconds,
            "build_seconds": plan.build_seconds,
            "solve_seconds": plan.solve_seconds,
            "ranges_seconds": near_seconds,
            "write_seconds": write_seconds,
            // From the flags to the committed folder: what --time-limit bounds.
            "run_seconds": run_seconds,
        });
        writeln!(stdout, "{v}").context("writing to stdout")?;
    } else if !args.quiet {
        let near_text = plan
            .near_optimal
            .as_ref()
            .map(|n| export::near_optimal_text(&plan, n))
            .unwrap_or_default();
        let text = format!(
            "{}{near_text}\nwrote {} (load {:.2} s, build {:.2} s, solve {:.2} s, ranges {:.2} s, write {:.2} s)\n",
            export::text_report(&plan),
            dest.display(),
            load_seconds,
            plan.build_seconds,
            plan.solve_seconds,
            near_seconds,
            write_seconds
        );
        stdout
            .write_all(text.as_bytes())
            .context("writing to stdout")?;
    }
    Ok(())
}
