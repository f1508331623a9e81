//! `dcsite sweep`: a sweep file's scenarios solved in parallel, merged into
//! robust statistics and the regret of the plans found.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::Args;

use dcsite::study::sweep::collect::verify;
use dcsite::study::sweep::{self, CollectOptions, Shard, SweepError, Threshold};

use super::error::CliError;
use super::flags::SolverArgs;
use super::output::{
    commit, output_dir, output_error, print_result, stage_gpkg, stage_report, stem,
};
use super::progress;
use dcsite::report::html::fmt_int;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepArgs {
    #[command(subcommand)]
    pub action: Option<SweepAction>,
    /// Sweep file (TOML), e.g. models/sweeps/price_uncertainty.toml
    #[arg(required = true)]
    pub sweep: Option<PathBuf>,
    /// Output folder for scenarios/regions/sites.parquet, robust.csv,
    /// robust.geojson (+ .qml), regret.csv, sweep.json, report.html and parts/
    #[arg(long, required = true)]
    pub out: Option<PathBuf>,
    /// Solve only shard I of N (scenario ids i with i % N == I) into
    /// OUT/parts/, resuming what an earlier run of the shard committed; then
    /// `dcsite sweep collect OUT`. Without it, the shard is read from
    /// SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (or _MIN/_MAX), or from
    /// JOB_COMPLETION_INDEX with --shards
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Number of shards, for a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)
    #[arg(long, value_name = "N")]
    pub shards: Option<usize>,
    #[command(flatten)]
    pub merge: MergeArgs,
    /// Replace an existing, non-empty output folder as a whole (its other files go too)
    #[arg(long)]
    pub force: bool,
}

/// What a sweep and a collect share: threads, what the merge computes, the
/// solver, what is printed.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Scenarios solved at once (default: the machine's cores)
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Also give P(cards ≥ CARDS) of a region or tier per arm in robust.csv,
    /// on the terminal and in the report, e.g. central=100000 (repeatable)
    #[arg(long, value_name = "REGION=CARDS")]
    pub threshold: Vec<String>,
    /// How many of each arm's most frequent plans regret.csv evaluates in
    /// every scenario of the arm (0: none, for a large sweep whose collect
    /// should only merge)
    #[arg(long, default_value_t = 10, value_name = "K")]
    pub regret_plans: usize,
    /// Also give every statistic over all scenarios, the arms (grid points)
    /// pooled: rows with an empty arm
    #[arg(long)]
    pub pooled: bool,
    #[command(flatten)]
    pub solver: SolverArgs,
    /// Do not write report.html (the page `dcsite report` draws of the
    /// folder; a single shard writes none, its collect does)
    #[arg(long)]
    pub no_report: bool,
    /// Do not write plan.gpkg (the layers, their styles and the boundaries in
    /// one GeoPackage, written with GDAL's ogr2ogr): for a machine without GDAL
    #[arg(long)]
    pub no_gpkg: bool,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
    /// Print sweep.json on stdout instead of the tables
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Subcommand, Debug)]
pub enum SweepAction {
    /// Check the shards of a sweep folder (every scenario once, same inputs)
    /// and merge them into the files of a one-process sweep.
    Collect(CollectArgs),
    /// Right-size a sharded sweep: scenarios, time and memory per shard, and
    /// the sbatch line, from one solve of the base scenario.
    Plan(PlanArgs),
}

#[derive(Args, Debug)]
pub struct CollectArgs {
    /// Output folder the shards wrote (with parts/manifest-*.json)
    pub dir: PathBuf,
    #[command(flatten)]
    pub merge: MergeArgs,
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// Sweep file (TOML)
    pub sweep: PathBuf,
    /// Number of shards (array tasks)
    #[arg(long, value_name = "N")]
    pub shards: usize,
    /// Scenarios each shard solves at once (its --cpus-per-task)
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    #[command(flatten)]
    pub solver: SolverArgs,
}

impl MergeArgs {
    /// The solver options, once --jobs and --regret-plans are checked.
    fn options(&self) -> Result<dcsite::solve::SolveOptions, CliError> {
        positive("--jobs", self.jobs)?;
        at_most("--jobs", self.jobs, MAX_JOBS)?;
        at_most(
            "--regret-plans",
            Some(self.regret_plans),
            sweep::spec::MAX_SCENARIOS,
        )?;
        let mut opts = solver_options(&self.solver)?;
        // A sweep's --time-limit bounds each draw's solve, not the whole sweep.
        opts.deadline = None;
        Ok(opts)
    }
}

fn sweep_error(e: SweepError) -> CliError {
    match e {
        SweepError::Output(o) => output_error(o),
        SweepError::Mismatch(m) => CliError::Input(m),
        other => CliError::Internal(anyhow::anyhow!("{other}")),
    }
}

/// `region=cards` of `--threshold`, checked against the sweep's regions.
fn thresholds(args: &[String], sw: &sweep::Sweep) -> Result<Vec<Threshold>, CliError> {
    args.iter()
        .map(|t| {
            let bad = |found: String| {
                CliError::Input(format!(
                    "--threshold: expected REGION=CARDS with a region id of regions.csv or a \
                     tier (core, regional, frontier) and a whole number of cards, found {found}"
                ))
            };
            let (id, cards) = t.split_once('=').ok_or_else(|| bad(format!("{t:?}")))?;
            if !sw.is_region_or_tier(id) {
                return Err(bad(format!("the unknown region {id:?}")));
            }
            let cards = cards
                .trim()
                .parse::<u64>()
                .map_err(|_| bad(format!("the cards {cards:?}")))?;
            Ok(Threshold {
                id: id.to_string(),
                cards,
            })
        })
        .collect()
}

/// Most scenarios solved at once (threads of a pool; --jobs).
const MAX_JOBS: usize = 4096;

/// Longest --time-limit of a draw's solve, seconds (about 31 years): a
/// larger one would overflow a deadline (`Instant + Duration`).
const MAX_TIME_LIMIT_S: f64 = 1e9;

/// The solver options of a sweep, `--time-limit` bounded first.
fn solver_options(s: &SolverArgs) -> Result<dcsite::solve::SolveOptions, CliError> {
    if let Some(t) = s.time_limit.filter(|t| *t > MAX_TIME_LIMIT_S) {
        return Err(CliError::Input(format!(
            "--time-limit: expected seconds > 0 and at most {MAX_TIME_LIMIT_S:e}, found {t:e}"
        )));
    }
    s.options()
}

/// A count from the command line bounded before anything is sized by it.
fn at_most(flag: &str, v: Option<usize>, max: usize) -> Result<(), CliError> {
    match v {
        Some(n) if n > max => Err(CliError::Input(format!(
            "{flag}: expected at most {max}, found {n}"
        ))),
        _ => Ok(()),
    }
}

fn positive(flag: &str, v: Option<usize>) -> Result<(), CliError> {
    if v == Some(0) {
        return Err(CliError::Input(format!(
            "{flag}: expected at least 1, found 0"
        )));
    }
    Ok(())
}

fn default_jobs(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

/// A number from the environment, naming the variable when it is not one.
fn env_number(name: &str) -> Result<Option<usize>, CliError> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().map(Some).map_err(|_| {
            CliError::Input(format!("{name}: expected a whole number ≥ 0, found {v:?}"))
        }),
        _ => Ok(None),
    }
}

/// The shard to solve: `--shard I/N`, else a Slurm array task's, else a
/// Kubernetes Indexed Job pod's (JOB_COMPLETION_INDEX with `--shards N`);
/// `None` for a whole sweep in one process.
fn shard_of(args: &SweepArgs) -> Result<Option<Shard>, CliError> {
    if let Some(text) = &args.shard {
        return sweep::shard::parse_shard(text)
            .map(Some)
            .map_err(|e| CliError::Input(format!("--shard: {e}")));
    }
    if let Some(id) = env_number("SLURM_ARRAY_TASK_ID")? {
        let min = env_number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let count = match env_number("SLURM_ARRAY_TASK_COUNT")? {
            Some(c) => c,
            None => match env_number("SLURM_ARRAY_TASK_MAX")? {
                Some(max) if max >= min => max - min + 1,
                _ => {
                    return Err(CliError::Input(
                        "SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor \
                         SLURM_ARRAY_TASK_MAX: expected an array job (sbatch --array=0-N)"
                            .into(),
                    ))
                }
            },
        };
        let index = id.checked_sub(min).filter(|&i| i < count).ok_or_else(|| {
            CliError::Input(format!(
                "SLURM_ARRAY_TASK_ID={id} is not one of {count} consecutive tasks from \
                 SLURM_ARRAY_TASK_MIN={min}: use --array=0-{} without a step",
                count.max(1) - 1
            ))
        })?;
        return Ok(Some(Shard { index, count }));
    }
    let index = env_number("JOB_COMPLETION_INDEX")?;
    match (index, args.shards) {
        (Some(index), Some(count)) if index < count => Ok(Some(Shard { index, count })),
        (Some(index), Some(count)) => Err(CliError::Input(format!(
            "JOB_COMPLETION_INDEX={index}: expected less than --shards {count}"
        ))),
        (Some(index), None) => Err(CliError::Input(format!(
            "JOB_COMPLETION_INDEX={index} is set: give the number of shards with --shards N \
             (the Job's completions)"
        ))),
        (None, Some(n)) => Err(CliError::Input(format!(
            "--shards {n}: expected JOB_COMPLETION_INDEX in the environment (a Kubernetes \
             Indexed Job); elsewhere use --shard I/{n}"
        ))),
        (None, None) => Ok(None),
    }
}

/// The solver options that change results, as a manifest records them.
fn solver_text(s: &SolverArgs) -> String {
    format!(
        "mip_gap={:?} time_limit={:?} threads={:?} highs_options={:?}",
        s.mip_gap, s.time_limit, s.threads, s.highs_option
    )
}

/// Counts outcomes for a progress bar: (busy milliseconds, without a plan).
struct Tally {
    busy_ms: AtomicUsize,
    solver_us: AtomicUsize,
    without_plan: AtomicUsize,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            busy_ms: AtomicUsize::new(0),
            solver_us: AtomicUsize::new(0),
            without_plan: AtomicUsize::new(0),
        }
    }
    fn add(&self, o: &sweep::Outcome, pb: &indicatif::ProgressBar) {
        self.busy_ms
            .fetch_add((o.solve_seconds * 1e3) as usize, Ordering::Relaxed);
        self.solver_us
            .fetch_add((o.solver_seconds * 1e6) as usize, Ordering::Relaxed);
        if !o.has_plan() {
            self.without_plan.fetch_add(1, Ordering::Relaxed);
        }
        pb.inc(1);
        pb.set_message(format!(
            "{} without a plan (infeasible or stopped)",
            self.without_plan.load(Ordering::Relaxed)
        ));
    }
}

pub fn run(args: SweepArgs) -> Result<(), CliError> {
    match args.action {
        Some(SweepAction::Collect(c)) => return collect_dir(c),
        Some(SweepAction::Plan(p)) => return plan(p),
        None => {}
    }
    let (Some(sweep_path), Some(out_path)) = (args.sweep.clone(), args.out.clone()) else {
        return Err(CliError::Input(
            "expected a sweep file and --out DIR (or `dcsite sweep collect DIR`)".into(),
        ));
    };
    let opts = args.merge.options()?;
    positive("--shards", args.shards)?;
    at_most("--shards", args.shards, sweep::spec::MAX_SCENARIOS)?;
    let shard = shard_of(&args)?;
    let quiet = args.merge.quiet || args.merge.json;
    let started = std::time::Instant::now();
    let pb = progress::start(quiet, None, "drawing and checking the scenarios");
    // A shard draws and checks its own scenarios only (and the few that
    // stand for each grid value): its cost is that of its share.
    let sw = match shard {
        Some(shard) => {
            let sw = sweep::read_sweep(&sweep_path)?;
            let mut ids = sw.probe_ids();
            ids.extend(shard.ids(sw.len()));
            ids.sort_unstable();
            ids.dedup();
            sw.check_ids(&ids)?;
            sw
        }
        None => sweep::load_sweep(&sweep_path)?,
    };
    pb.finish_and_clear();
    let thresholds = thresholds(&args.merge.threshold, &sw)?;
    let jobs = default_jobs(args.merge.jobs);
    if let Some(shard) = shard {
        let run = ShardArgs {
            sweep_path: &sweep_path,
            out: &out_path,
            sw: &sw,
            shard,
            opts: &opts,
            jobs,
            started,
        };
        return run_one_shard(&args, run);
    }
    let mut out = output_dir(&out_path, args.force)?;
    let parts = out.staging_path().join(dcsite::export::writer::PARTS_DIR);
    let n = sw.len();
    let pb = progress::bar_with_eta(quiet, n as u64, "solving scenarios");
    let t0 = std::time::Instant::now();
    let tally = Tally::new();
    let done = |o: &sweep::Outcome| tally.add(o, &pb);
    sweep::run_shard(&sw, Shard::WHOLE, &opts, jobs, &parts, &done).map_err(sweep_error)?;
    pb.finish_and_clear();
    let solve_wall = t0.elapsed().as_secs_f64();
    // What the solver threads freed goes back to the system before the
    // merge allocates its own: otherwise the merge's memory comes on top.
    dcsite::solve::adapter::release_freed_memory();
    let copts = CollectOptions {
        thresholds: &thresholds,
        regret_plans: args.merge.regret_plans,
        jobs,
        solve: &opts,
        pooled: args.merge.pooled,
    };
    let staged = out.staging_path().to_path_buf();
    let (summary, json, collect_wall) = merge(&sw, &parts, &copts, quiet, &staged)?;
    stage_gpkg(
        &mut out,
        args.merge.no_gpkg,
        &format!("sweep {}", stem(&sweep_path)),
    )?;
    stage_report(&out, &out_path, args.merge.no_report);
    commit(out)?;
    let text = format!(
        "{}solved in {solve_wall:.1} s on {jobs} job{} ({:.2} s per scenario), \
         regret evaluated in {:.1} s\nwrote {}\n",
        text_report(&sw, &summary, &copts),
        if jobs == 1 { "" } else { "s" },
        tally.busy_ms.load(Ordering::Relaxed) as f64 / 1e3 / n.max(1) as f64,
        collect_wall,
        out_path.display()
    );
    print_result(args.merge.json, args.merge.quiet, || Ok(json), || Ok(text))
}

/// Collects the parts in `parts` and writes every merged file and
/// sweep.json into the folder `out` (each file atomically); returns the
/// summary, sweep.json and seconds.
fn merge(
    sw: &sweep::Sweep,
    parts: &std::path::Path,
    copts: &CollectOptions,
    quiet: bool,
    out: &std::path::Path,
) -> Result<(sweep::Summary, String, f64), CliError> {
    let t1 = std::time::Instant::now();
    let pb = progress::bar_with_eta(
        quiet,
        0,
        "evaluating the most frequent plans in every scenario",
    );
    let follow = |done: usize, total: usize| {
        pb.set_length(total as u64);
        pb.set_position(done as u64);
    };
    let summary = sweep::collect(sw, parts, copts, out, &follow).map_err(sweep_error)?;
    pb.finish_and_clear();
    let json = sweep::sweep_json(sw, &summary, copts);
    dcsite::export::write_file_atomic(&out.join("sweep.json"), json.as_bytes(), true)
        .map_err(|e| sweep_error(SweepError::from(e)))?;
    Ok((summary, json, t1.elapsed().as_secs_f64()))
}

/// What one shard's run needs.
struct ShardArgs<'a> {
    sweep_path: &'a std::path::Path,
    out: &'a std::path::Path,
    sw: &'a sweep::Sweep,
    shard: Shard,
    opts: &'a dcsite::solve::SolveOptions,
    jobs: usize,
    /// When the command started (before the sweep was loaded).
    started: std::time::Instant,
}

/// One shard: its scenarios that are not committed yet, into OUT/parts/.
fn run_one_shard(args: &SweepArgs, a: ShardArgs) -> Result<(), CliError> {
    let ShardArgs {
        sweep_path,
        out,
        sw,
        shard,
        opts,
        jobs,
        started,
    } = a;
    let quiet = args.merge.quiet || args.merge.json;
    let parts = out.join(dcsite::export::writer::PARTS_DIR);
    let total = shard.ids(sw.len()).count();
    let pb = progress::bar_with_eta(quiet, total as u64, "solving the shard's scenarios");
    let tally = Tally::new();
    let done = |o: &sweep::Outcome| tally.add(o, &pb);
    let t0 = std::time::Instant::now();
    let job = sweep::shard::ShardJob {
        sweep: sw,
        sweep_arg: sweep_path,
        shard,
        opts,
        solver_options: &solver_text(&args.merge.solver),
    };
    let r = sweep::shard::run_resumable(&job, jobs, &parts, &done).map_err(sweep_error)?;
    pb.finish_and_clear();
    let solver_s = tally.solver_us.load(Ordering::Relaxed) as f64 / 1e6;
    let wall_s = started.elapsed().as_secs_f64();
    // The shard's overhead: its jobs' time since the start not in the solver.
    let overhead = if r.solved > 0 {
        format!(
            "; {solver_s:.1} s in the solver of {wall_s:.1} s × {jobs} job{} since the start: \
             {:.1} % outside it (loading and checking the sweep, drawing, writing parts and the \
             manifest)",
            if jobs == 1 { "" } else { "s" },
            100.0 * (1.0 - solver_s / (wall_s * jobs as f64)).max(0.0)
        )
    } else {
        String::new()
    };
    if !args.merge.quiet {
        println!(
            "shard {}/{}: {} of the sweep's {} scenarios; solved {} in {:.1} s, {} committed \
             earlier{}\nwrote {}\nwhen every shard is done: dcsite sweep collect {}",
            shard.index,
            shard.count,
            total,
            sw.len(),
            r.solved,
            t0.elapsed().as_secs_f64(),
            r.skipped,
            overhead,
            parts.join(sweep::shard::manifest_name(shard)).display(),
            out.display()
        );
    }
    Ok(())
}

/// `dcsite sweep collect DIR`: every file it writes (the merged tables,
/// robust.*, regret.*, sweep.json) is staged in one folder beside DIR under
/// DIR's lock and swapped in with the rest of DIR (its parts/) in one step
/// (`OutputDir::update`): a kill at any point leaves DIR as it was or
/// complete, and a second collect of DIR exits 2 at once.
fn collect_dir(args: CollectArgs) -> Result<(), CliError> {
    let opts = args.merge.options()?;
    let quiet = args.merge.quiet || args.merge.json;
    if !args.dir.join(dcsite::export::writer::PARTS_DIR).is_dir() {
        // No shards there: say so (exit 2) before taking a lock beside it.
        verify::check(&args.dir).map_err(sweep_error)?;
    }
    let mut out = dcsite::export::OutputDir::update(&args.dir).map_err(output_error)?;
    let _shards = verify::lock_shards(&args.dir).map_err(sweep_error)?;
    let checked = verify::check(&args.dir).map_err(sweep_error)?;
    let r = checked.reference();
    if solver_text(&args.merge.solver) != r.solver_options {
        eprintln!(
            "note: the shards were solved with {}; the regret is evaluated with {}",
            dcsite::data::problem::shown(&r.solver_options),
            solver_text(&args.merge.solver)
        );
    }
    // The shards drew and checked every scenario from these same inputs.
    let sw = sweep::read_sweep(&verify::sweep_path(r).map_err(sweep_error)?)?;
    if sw.len() as u64 != r.scenarios_in_sweep {
        return Err(CliError::Input(format!(
            "{} now has {} scenarios, the shards had {}",
            sw.path.display(),
            sw.len(),
            r.scenarios_in_sweep
        )));
    }
    let thresholds = thresholds(&args.merge.threshold, &sw)?;
    let jobs = default_jobs(args.merge.jobs);
    // The parts taken, checked, inside the staging folder (removed before
    // the swap; with it on any failure or signal).
    let staged = out.staging_path().to_path_buf();
    let input = staged.join(".dcsite-collect-parts");
    verify::stage(&args.dir, &checked, &sw, &input).map_err(sweep_error)?;
    let copts = CollectOptions {
        thresholds: &thresholds,
        regret_plans: args.merge.regret_plans,
        jobs,
        solve: &opts,
        pooled: args.merge.pooled,
    };
    let (summary, json, wall) = merge(&sw, &input, &copts, quiet, &staged)?;
    std::fs::remove_dir_all(&input)
        .map_err(|e| CliError::Internal(anyhow::anyhow!("removing {}: {e}", input.display())))?;
    stage_gpkg(
        &mut out,
        args.merge.no_gpkg,
        &format!("sweep {}", stem(&args.dir)),
    )?;
    stage_report(&out, &args.dir, args.merge.no_report);
    commit(out)?;
    let text = format!(
        "{}merged {} shard manifest{} in {wall:.1} s\nwrote {}\n",
        text_report(&sw, &summary, &copts),
        checked.manifests.len(),
        if checked.manifests.len() == 1 {
            ""
        } else {
            "s"
        },
        args.dir.display()
    );
    print_result(args.merge.json, args.merge.quiet, || Ok(json), || Ok(text))
}

/// `dcsite sweep plan SWEEP --shards N`.
fn plan(args: PlanArgs) -> Result<(), CliError> {
    positive("--shards", Some(args.shards))?;
    positive("--jobs", Some(args.jobs))?;
    at_most("--shards", Some(args.shards), sweep::spec::MAX_SCENARIOS)?;
    at_most("--jobs", Some(args.jobs), MAX_JOBS)?;
    let mut opts = solver_options(&args.solver)?;
    opts.deadline = None;
    // Independent of the number of scenarios: the sweep read, its
    // distributions checked against the schema, and the probes checked.
    let sw = sweep::read_sweep(&args.sweep)?;
    sw.check_ids(&sw.probe_ids())?;
    let rss0 = peak_rss_mib();
    let o = sweep::solve_one(&sw, 0, &opts);
    let rss = peak_rss_mib().max(rss0);
    let n = sw.len();
    let per_shard = n.div_ceil(args.shards);
    let waves = per_shard.div_ceil(args.jobs);
    let secs = o.solve_seconds * waves as f64;
    // Room for slower nodes and harder draws: twice the estimate, +10 min.
    let limit = (secs * 2.0 + 600.0).ceil() as u64;
    // Peak memory is flat in the number of scenarios (parts are streamed);
    // each extra concurrent solve adds what one solve took above the load.
    let mem_mib =
        ((rss + (args.jobs as f64 - 1.0) * (rss - rss0).max(0.0)) * 1.5 + 256.0).ceil() as u64;
    println!(
        "{n} scenarios in {} shards: {per_shard} per shard (the last ones {} fewer when \
         {n} is not a multiple of {})\n\
         one solve of scenario 0 ({}): {:.2} s, peak memory {rss:.0} MiB\n\
         expected per shard with {} scenario{} at once: {:.0} s, peak memory {:.0} MiB\n\n\
         jid=$(sbatch --parsable --array=0-{} --cpus-per-task={} --mem={}M --time={} \
         examples/slurm/sweep.sbatch {} OUT)\n\
         sbatch --dependency=afterok:${{jid%%;*}} --mem={}M --time={} \
         examples/slurm/sweep.sbatch {} OUT",
        args.shards,
        usize::from(n % args.shards != 0),
        args.shards,
        o.status,
        o.solve_seconds,
        args.jobs,
        if args.jobs == 1 { "" } else { "s" },
        secs,
        rss + (args.jobs as f64 - 1.0) * (rss - rss0).max(0.0),
        args.shards - 1,
        args.jobs,
        mem_mib,
        hms(limit),
        args.sweep.display(),
        mem_mib,
        hms(limit.max(1800)),
        args.sweep.display(),
    );
    Ok(())
}

/// Seconds as Slurm's `HH:MM:SS` (days as extra hours).
fn hms(s: u64) -> String {
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The process's peak resident memory (VmHWM), MiB; 0 where /proc is absent.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// The terminal summary: statuses, then per arm (and the pool when asked)
/// each region's spread, the thresholds' probabilities and the plans' regret.
fn text_report(sw: &sweep::Sweep, s: &sweep::Summary, o: &CollectOptions) -> String {
    let mut t = format!(
        "{} scenarios ({} grid point{} × {} sample{}, {}, seed {}):",
        s.scenarios,
        sw.grid_points,
        if sw.grid_points == 1 { "" } else { "s" },
        sw.samples,
        if sw.samples == 1 { "" } else { "s" },
        sw.sampling.as_str(),
        sw.seed
    );
    t.push_str(&statuses_text(&s.statuses));
    t.push('\n');
    for a in &s.arms {
        if s.arms.len() > 1 {
            t.push_str(&format!(
                "\n== {}: {} scenarios:{}\n",
                a.label,
                a.scenarios,
                statuses_text(&a.statuses)
            ));
        }
        t.push_str(&arm_text(a, o));
    }
    if o.regret_plans == 0 {
        t.push_str(&format!(
            "\n{} distinct plans; regret not evaluated (--regret-plans 0)\n",
            s.plans_found
        ));
    }
    t
}

/// ` 6 optimal, 0 infeasible`.
fn statuses_text(statuses: &[(String, usize)]) -> String {
    let words: Vec<String> = statuses.iter().map(|(k, n)| format!(" {n} {k}")).collect();
    words.join(",")
}

/// One arm's part of the terminal summary.
fn arm_text(a: &sweep::ArmSummary, o: &CollectOptions) -> String {
    let mut t = String::from("\ncards per region and tier over the scenarios with a plan\n");
    t.push_str(&format!(
        "{:<10} {:<16} {:>10} {:>10} {:>10} {:>10}\n",
        "level", "id", "mean", "p10", "p50", "p90"
    ));
    for r in &a.robust {
        let [mean, p10, p50, p90] = r.cards;
        t.push_str(&format!(
            "{:<10} {:<16} {mean:>10.0} {p10:>10.0} {p50:>10.0} {p90:>10.0}\n",
            r.level, r.id
        ));
    }
    for th in &a.thresholds {
        t.push_str(&threshold_text(th));
    }
    if o.regret_plans > 0 {
        t.push_str(&regret_text(a));
    }
    t
}

/// `P(ningxia ≥ 100,000 cards) = 0.667 (4 of the 6 scenarios with a plan)`.
fn threshold_text(th: &sweep::ThresholdShare) -> String {
    match th.share {
        Some(p) => format!(
            "P({} ≥ {} cards) = {p:.3} ({} of the {} scenarios with a plan)\n",
            th.id,
            fmt_int(th.cards as f64),
            (p * th.n_plans as f64).round(),
            th.n_plans
        ),
        None => format!(
            "P({} ≥ {} cards): no scenario with a plan\n",
            th.id,
            fmt_int(th.cards as f64)
        ),
    }
}

/// An arm's regret table and its min-max-regret plan.
fn regret_text(a: &sweep::ArmSummary) -> String {
    let mut t = format!(
        "\n{} distinct plans; the {} most frequent evaluated in every scenario with a plan \
         (sites fixed, servers continuous):\n",
        a.plans_found,
        a.regret.len()
    );
    t.push_str(&format!(
        "{:>4} {:>8} {:>14} {:>14} {:>14}  plan\n",
        "rank", "optimal", "E[cost] bn", "max regret m", "CVaR90 bn"
    ));
    let bn = |x: Option<f64>| x.map(|v| format!("{:.3}", v / 1e9)).unwrap_or("-".into());
    let m = |x: Option<f64>| x.map(|v| format!("{:.1}", v / 1e6)).unwrap_or("-".into());
    for r in &a.regret {
        let infeasible = if r.infeasible_in > 0 {
            format!(" (cannot be used in {} scenarios)", r.infeasible_in)
        } else {
            String::new()
        };
        t.push_str(&format!(
            "{:>4} {:>8} {:>14} {:>14} {:>14}  {}{infeasible}\n",
            r.rank,
            r.optimal_in,
            bn(r.expected_cost_cny),
            m(r.max_regret_cny),
            bn(r.cvar90_cost_cny),
            r.plan
        ));
    }
    match a.min_max_regret.and_then(|k| a.regret.get(k - 1)) {
        Some(r) => t.push_str(&format!(
            "min-max-regret plan: #{} (worst regret {:.1} m CNY, in scenario {})\n",
            r.rank,
            r.max_regret_cny.unwrap_or(0.0) / 1e6,
            r.worst_scenario.unwrap_or(0)
        )),
        None => t.push_str("no evaluated plan can be used in every scenario\n"),
    }
    t
}
