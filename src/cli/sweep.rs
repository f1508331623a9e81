//! `dcsite sweep`: a sweep file's scenarios solved in parallel, merged into
//! robust statistics and the regret of the plans found.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use clap::Args;

use dcsite::sweep::{self, CollectOptions, Shard, SweepError, Threshold};

use super::{progress, solve::SolverArgs, CliError};

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Sweep file (TOML), e.g. models/sweeps/price_uncertainty.toml
    pub sweep: PathBuf,
    /// Output folder for scenarios/regions/sites.parquet, robust.csv,
    /// robust.geojson (+ .qml), regret.csv, sweep.json and parts/
    #[arg(long)]
    pub out: PathBuf,
    /// Scenarios solved at once (default: the machine's cores)
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Also give P(cards ≥ CARDS) of a region or tier in robust.csv, e.g.
    /// central=100000 (repeatable)
    #[arg(long, value_name = "REGION=CARDS")]
    pub threshold: Vec<String>,
    /// How many of the most frequent plans regret.csv evaluates in every scenario
    #[arg(long, default_value_t = 10, value_name = "K")]
    pub regret_plans: usize,
    #[command(flatten)]
    pub solver: SolverArgs,
    /// Replace an existing, non-empty output folder as a whole (its other files go too)
    #[arg(long)]
    pub force: bool,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
    /// Print sweep.json on stdout instead of the tables
    #[arg(long)]
    pub json: bool,
}

fn sweep_error(e: SweepError) -> CliError {
    match e {
        SweepError::Output(o) => super::solve::output_error(o),
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

pub fn run(args: SweepArgs) -> Result<(), CliError> {
    let opts = args.solver.options()?;
    if args.jobs == Some(0) {
        return Err(CliError::Input(
            "--jobs: expected at least 1, found 0".into(),
        ));
    }
    if args.regret_plans == 0 {
        return Err(CliError::Input(
            "--regret-plans: expected at least 1, found 0".into(),
        ));
    }
    let quiet = args.quiet || args.json;
    let pb = progress::start(quiet, None, "drawing and checking the scenarios");
    let sw = sweep::load_sweep(&args.sweep)?;
    pb.finish_and_clear();
    let thresholds = thresholds(&args.threshold, &sw)?;
    let jobs = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let mut out = super::solve::output_dir(&args.out, args.force)?;
    let parts = out.staging_path().join(dcsite::export::writer::PARTS_DIR);
    let n = sw.len();
    let pb = progress::bar_with_eta(quiet, n as u64, "solving scenarios");
    let without_plan = AtomicUsize::new(0);
    let t0 = std::time::Instant::now();
    let busy_ms = AtomicUsize::new(0);
    let done = |o: &sweep::Outcome| {
        busy_ms.fetch_add((o.solve_seconds * 1e3) as usize, Ordering::Relaxed);
        if !o.has_plan() {
            without_plan.fetch_add(1, Ordering::Relaxed);
        }
        pb.inc(1);
        pb.set_message(format!(
            "{} without a plan (infeasible or stopped)",
            without_plan.load(Ordering::Relaxed)
        ));
    };
    sweep::run_shard(&sw, Shard::WHOLE, &opts, jobs, &parts, &done).map_err(sweep_error)?;
    pb.finish_and_clear();
    let solve_wall = t0.elapsed().as_secs_f64();
    let t1 = std::time::Instant::now();
    let copts = CollectOptions {
        thresholds: &thresholds,
        regret_plans: args.regret_plans,
        jobs,
        solve: &opts,
    };
    let pb = progress::bar_with_eta(
        quiet,
        0,
        "evaluating the most frequent plans in every scenario",
    );
    let follow = |done: usize, total: usize| {
        pb.set_length(total as u64);
        pb.set_position(done as u64);
    };
    let summary = {
        let mut write = |name: &str, bytes: &[u8]| -> Result<(), SweepError> {
            out.write(name, bytes).map_err(SweepError::from)
        };
        sweep::collect(&sw, &parts, &copts, &mut write, &follow).map_err(sweep_error)?
    };
    pb.finish_and_clear();
    let collect_wall = t1.elapsed().as_secs_f64();
    let json = sweep::sweep_json(&sw, &summary, &copts);
    out.write("sweep.json", json.as_bytes())
        .map_err(super::solve::output_error)?;
    super::solve::commit(out)?;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        stdout
            .write_all(json.as_bytes())
            .context("writing to stdout")?;
    } else if !args.quiet {
        let text = format!(
            "{}solved in {solve_wall:.1} s on {jobs} job{} ({:.2} s per scenario), \
             regret evaluated in {:.1} s\nwrote {}\n",
            text_report(&sw, &summary, &copts),
            if jobs == 1 { "" } else { "s" },
            busy_ms.load(Ordering::Relaxed) as f64 / 1e3 / n.max(1) as f64,
            collect_wall,
            args.out.display()
        );
        stdout
            .write_all(text.as_bytes())
            .context("writing to stdout")?;
    }
    Ok(())
}

/// The terminal summary: statuses, each region's spread, the plans' regret.
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
    for (k, n) in &s.statuses {
        t.push_str(&format!(" {n} {k},"));
    }
    t.pop();
    t.push_str("\n\ncards per region and tier over the scenarios with a plan\n");
    t.push_str(&format!(
        "{:<10} {:<16} {:>10} {:>10} {:>10} {:>10}\n",
        "level", "id", "mean", "p10", "p50", "p90"
    ));
    for (level, id, mean, p10, p50, p90) in &s.robust {
        t.push_str(&format!(
            "{level:<10} {id:<16} {mean:>10.0} {p10:>10.0} {p50:>10.0} {p90:>10.0}\n"
        ));
    }
    t.push_str(&format!(
        "\n{} distinct plans; the {} most frequent evaluated in every scenario with a plan \
         (sites fixed, servers continuous):\n",
        s.plans_found,
        s.regret.len().min(o.regret_plans)
    ));
    t.push_str(&format!(
        "{:>4} {:>8} {:>14} {:>14} {:>14}  plan\n",
        "rank", "optimal", "E[cost] bn", "max regret m", "CVaR90 bn"
    ));
    let bn = |x: Option<f64>| x.map(|v| format!("{:.3}", v / 1e9)).unwrap_or("-".into());
    let m = |x: Option<f64>| x.map(|v| format!("{:.1}", v / 1e6)).unwrap_or("-".into());
    for r in &s.regret {
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
    match s.min_max_regret.and_then(|k| s.regret.get(k - 1)) {
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
