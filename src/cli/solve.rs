use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use dcsite::export::{self, OutputDir};
use dcsite::milp::Prepared;
use dcsite::solve::{self, SolveError, SolveOptions};

use super::CliError;

#[derive(Args, Debug)]
pub struct SolveArgs {
    /// Scenario file (TOML), e.g. models/baseline.toml
    pub scenario: PathBuf,
    /// Output folder for sites.geojson, flows.geojson, reach.geojson, summary.json, regions.csv
    #[arg(long)]
    pub out: PathBuf,
    /// Stop the search after this many seconds and report the best plan found ("feasible")
    #[arg(long, value_name = "SECONDS")]
    pub time_limit: Option<f64>,
    /// Relative MIP gap at which a plan counts as optimal (HiGHS default 1e-4)
    #[arg(long, value_name = "FRACTION")]
    pub mip_gap: Option<f64>,
    /// Solver threads (default 1, which keeps runs reproducible)
    #[arg(long)]
    pub threads: Option<u32>,
    /// Replace the files in an existing, non-empty output folder
    #[arg(long)]
    pub force: bool,
    /// Show the HiGHS log (on stdout)
    #[arg(long)]
    pub solver_log: bool,
    /// Pass an option to HiGHS, e.g. --highs-option mip_heuristic_effort=0.1 (repeatable)
    #[arg(long, value_name = "NAME=VALUE")]
    pub highs_option: Vec<String>,
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
            o.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .ok_or_else(|| {
                    CliError::Input(format!("--highs-option: expected NAME=VALUE, found {o:?}"))
                })
        })
        .collect()
}

pub fn run(args: SolveArgs) -> Result<(), CliError> {
    if let Some(t) = args.time_limit {
        if !(t > 0.0 && t.is_finite()) {
            return Err(CliError::Input(format!(
                "--time-limit: expected seconds > 0, found {t}"
            )));
        }
    }
    if let Some(g) = args.mip_gap {
        if !(0.0..1.0).contains(&g) {
            return Err(CliError::Input(format!(
                "--mip-gap: expected a fraction in [0, 1), found {g}"
            )));
        }
    }
    if args.threads == Some(0) {
        return Err(CliError::Input(
            "--threads: expected at least 1, found 0".into(),
        ));
    }
    // Refuse a non-empty folder before spending time on the solve.
    let mut out = OutputDir::create(&args.out, args.force).map_err(|e| match e {
        export::OutputError::NotEmpty(_) | export::OutputError::NotADir(_) => {
            CliError::Input(e.to_string())
        }
        other => CliError::Internal(other.into()),
    })?;
    let t_load = std::time::Instant::now();
    let (sc, inst, _) = dcsite::data::load(&args.scenario)?;
    let load_seconds = t_load.elapsed().as_secs_f64();
    let prepared = Prepared::new(inst);
    let opts = SolveOptions {
        time_limit_s: args.time_limit,
        mip_gap: args.mip_gap,
        threads: args.threads,
        log: args.solver_log,
        highs_options: parse_highs_options(&args.highs_option)?,
    };
    let plan = match solve::solve(&prepared, &opts) {
        Ok(plan) => plan,
        Err(e @ SolveError::Infeasible { .. }) => return Err(CliError::Infeasible(e.to_string())),
        Err(e @ SolveError::Option(_)) => return Err(CliError::Input(e.to_string())),
        Err(e) => return Err(CliError::Internal(e.into())),
    };
    let t_write = std::time::Instant::now();
    let scenario_label = sc.path.display().to_string();
    out.write(
        "sites.geojson",
        export::sites_geojson(&prepared, &plan).as_bytes(),
    )
    .context("writing sites.geojson")?;
    out.write(
        "flows.geojson",
        export::flows_geojson(&prepared, &plan).as_bytes(),
    )
    .context("writing flows.geojson")?;
    let reach = export::reach_geojson(&prepared, &plan).context("drawing reach polygons")?;
    out.write("reach.geojson", reach.as_bytes())
        .context("writing reach.geojson")?;
    let summary = export::summary_json(&prepared, &plan, &scenario_label);
    out.write("summary.json", summary.as_bytes())
        .context("writing summary.json")?;
    let regions = export::regions_table(&prepared, &plan).context("building regions.csv")?;
    out.write("regions.csv", regions.as_bytes())
        .context("writing regions.csv")?;
    let dest = out.commit().context("moving the output into place")?;
    let write_seconds = t_write.elapsed().as_secs_f64();
    let mut stdout = std::io::stdout().lock();
    if args.json {
        stdout
            .write_all(summary.as_bytes())
            .context("writing to stdout")?;
    } else if !args.quiet {
        let text = format!(
            "{}\nwrote {} (load {:.2} s, build {:.2} s, solve {:.2} s, write {:.2} s)\n",
            export::text_report(&prepared, &plan),
            dest.display(),
            load_seconds,
            plan.build_seconds,
            plan.solve_seconds,
            write_seconds
        );
        stdout
            .write_all(text.as_bytes())
            .context("writing to stdout")?;
    }
    Ok(())
}
