//! `dcsite offer`: what a region, cluster or site must offer to win a number
//! of cards, how sure that is under the input ranges, what it costs the
//! country; `dcsite offer collect` merges shard folders.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use dcsite::data::problem::shown;
use dcsite::study::breakeven::{self, bn, grouped, Place};
use dcsite::study::offer::{self, stats, Levels, Offer, OfferError, SampleRow, Spec};
use dcsite::study::sweep::{self, Shard};

use super::breakeven::{Applies, Lever};
use super::error::CliError;
use super::flags::{share_arg, SolverArgs};
use super::output::{
    commit, output_dir, print_result, stage_gpkg, stage_report, stem, write_layers,
};
use super::progress;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct OfferArgs {
    #[command(subcommand)]
    pub action: Option<OfferAction>,
    /// Scenario file (TOML), or a sweep file whose [vary] (random keys only) and base are used
    #[arg(required = true)]
    pub scenario: Option<PathBuf>,
    /// The place that offers: a region, planning cluster or site id (looked up in that order)
    #[arg(long = "for", value_name = "ID", required = true)]
    pub place: Option<String>,
    /// The subsidy lever
    #[arg(long, value_enum, required = true)]
    pub lever: Option<Lever>,
    /// Cards the place wants (all accelerators at its sites)
    #[arg(long, value_name = "CARDS", required = true)]
    pub want: Option<u64>,
    /// Which accelerators the lever pays for
    #[arg(long, value_enum, default_value = "all")]
    pub applies_to: Applies,
    /// The levels to evaluate, e.g. 0,2000,4000 (0 is always added)
    #[arg(
        long,
        value_delimiter = ',',
        conflicts_with = "up_to",
        allow_hyphen_values = true
    )]
    pub levels: Vec<f64>,
    /// Evaluate 8 levels from 0 to X and the break-even level bisected up to X
    /// (default X: the lever's natural maximum, as breakeven)
    #[arg(long, value_name = "X")]
    pub up_to: Option<f64>,
    /// Width of the break-even bracket (default 0.001 CNY/kWh, 0.005 for shares, 1000 CNY per card)
    #[arg(long)]
    pub tolerance: Option<f64>,
    /// Samples of the input ranges (default: the sweep file's, or 200; 0: none)
    #[arg(long, value_name = "N")]
    pub samples: Option<usize>,
    /// Seed of the draws (default: the sweep file's, or 1)
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// The place's near-optimal card range at each level, within this share of the optimum
    #[arg(long, value_name = "SHARE", value_parser = share_arg)]
    pub near_optimal: Option<f64>,
    /// Samples solved at once (default: the machine's cores)
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Solve only samples k with k % N == I into a shard folder; then `dcsite offer collect`
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub solver: SolverArgs,
}

/// What an offer and a collect share.
#[derive(Args, Debug)]
pub struct CommonArgs {
    /// Output folder (offer.json, offer.csv, offer_sites.csv, samples.csv, the map layers)
    #[arg(long, value_name = "DIR", required = true)]
    pub out: Option<PathBuf>,
    /// Replace an existing, non-empty output folder
    #[arg(long)]
    pub force: bool,
    /// Print offer.json on stdout instead of the answer in words
    #[arg(long)]
    pub json: bool,
    /// Print nothing but errors
    #[arg(long, short)]
    pub quiet: bool,
    /// Write no report.html
    #[arg(long)]
    pub no_report: bool,
    /// Do not write plan.gpkg (the layers, their styles and the boundaries in
    /// one GeoPackage, written with GDAL's ogr2ogr): for a machine without GDAL
    #[arg(long)]
    pub no_gpkg: bool,
}

#[derive(clap::Subcommand, Debug)]
pub enum OfferAction {
    /// Merge the shard folders of one offer (every shard once) into the folder of a one-process run.
    Collect(CollectArgs),
}

#[derive(Args, Debug)]
pub struct CollectArgs {
    /// The shard folders (`dcsite offer … --shard I/N --out DIR`)
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Largest offer.json or samples.csv `offer collect` reads (1 GiB).
const MAX_SHARD_FILE_BYTES: u64 = 1 << 30;

/// Most samples an offer draws.
const MAX_SAMPLES: usize = 1_000_000;

pub fn run(args: OfferArgs) -> Result<(), CliError> {
    if let Some(OfferAction::Collect(c)) = args.action {
        return collect(c);
    }
    let (Some(scenario), Some(id), Some(lever), Some(want), Some(out)) = (
        args.scenario.clone(),
        args.place.clone(),
        args.lever,
        args.want,
        args.common.out.clone(),
    ) else {
        return Err(CliError::Input(
            "expected SCENARIO --for ID --lever L --want CARDS --out DIR (or `dcsite offer collect`)".into(),
        ));
    };
    let mut opts = args.solver.options()?;
    if opts.mip_gap.is_none() {
        opts.mip_gap = Some(breakeven::MIP_GAP);
    }
    let spec = spec_of(&args, &scenario, &id, lever, want)?;
    let pb = progress::bar_with_eta(
        args.common.quiet || args.common.json,
        spec.samples.unwrap_or(offer::DEFAULT_SAMPLES) as u64,
        "solving the central inputs, then the samples",
    );
    let computed = offer::compute(&scenario, &spec, &opts, &|_| pb.inc(1)).map_err(offer_error)?;
    pb.finish_and_clear();
    let mut dir = output_dir(&out, args.common.force)?;
    if let Some(plan) = &computed.breakeven_plan {
        write_layers(&mut dir, plan, &[])?;
    }
    write_files(&mut dir, &computed.offer, &computed.rows)?;
    stage_gpkg(
        &mut dir,
        args.common.no_gpkg,
        &format!("offer: {} for {}", stem(&scenario), computed.offer.place.id),
    )?;
    // A shard's folder gets no page (as a sweep shard's): its collect does.
    stage_report(
        &dir,
        &out,
        args.common.no_report || computed.offer.kind != "offer",
    );
    let at = commit(dir)?;
    print_offer(&args.common, &computed.offer, &at)
}

/// The spec of the command line, every flag checked (exit 2 naming it).
fn spec_of(
    args: &OfferArgs,
    scenario: &Path,
    id: &str,
    lever: Lever,
    want: u64,
) -> Result<Spec, CliError> {
    let kind = lever.kind();
    let (ceiling, resolution) = breakeven::lever_limits(kind);
    for l in args.levels.iter().chain(args.up_to.iter()) {
        if !(l.is_finite() && *l >= 0.0 && *l <= ceiling) {
            return Err(CliError::Input(format!(
                "--levels/--up-to: expected levels from 0 to {ceiling} for {}, found {}",
                breakeven::lever_name(kind),
                dcsite::data::problem::found_number(*l)
            )));
        }
    }
    if let Some(t) = args
        .tolerance
        .filter(|t| !(t.is_finite() && *t >= resolution && *t <= ceiling))
    {
        return Err(CliError::Input(format!(
            "--tolerance: expected {resolution} to {ceiling} for {}, found {}",
            breakeven::lever_name(kind),
            dcsite::data::problem::found_number(t)
        )));
    }
    if args.samples.is_some_and(|n| n > MAX_SAMPLES) || args.jobs == Some(0) {
        return Err(CliError::Input(format!(
            "--samples / --jobs: expected at most {MAX_SAMPLES} samples and at least 1 job"
        )));
    }
    let shard = match &args.shard {
        Some(t) => {
            sweep::shard::parse_shard(t).map_err(|e| CliError::Input(format!("--shard: {e}")))?
        }
        None => Shard::WHOLE,
    };
    let place = resolve_place(scenario, id)?;
    Ok(Spec {
        place,
        lever: kind,
        applies_to: args.applies_to.applies_to(),
        want,
        levels: if args.levels.is_empty() {
            Levels::UpTo(args.up_to)
        } else {
            Levels::Given(args.levels.clone())
        },
        tolerance: args.tolerance,
        near_optimal: args.near_optimal,
        samples: args.samples,
        seed: args.seed,
        shard,
        jobs: args.jobs.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        }),
    })
}

/// `--for ID` looked up in the scenario's regions, clusters and sites.
fn resolve_place(scenario: &Path, id: &str) -> Result<Place, CliError> {
    let sw = offer::sweep_of(scenario, Some(1), None).map_err(offer_error)?;
    Place::resolve(&sw.base_instance, id).map_err(|e| CliError::Input(format!("--for: {e}")))
}

fn offer_error(e: OfferError) -> CliError {
    match e {
        OfferError::Input(m) => CliError::Input(m),
        OfferError::Problems(p) => CliError::from(p),
        OfferError::Solve { context, source } => CliError::from_solve(source, Some(context)),
        OfferError::Internal(m) => CliError::Internal(anyhow::anyhow!(m)),
    }
}

/// Stages offer.json, offer.csv, offer_sites.csv and samples.csv.
fn write_files(
    dir: &mut dcsite::export::OutputDir,
    o: &Offer,
    rows: &[SampleRow],
) -> Result<(), CliError> {
    let json = serde_json::to_string_pretty(o).context("writing offer.json")? + "\n";
    let files = [
        ("offer.json", json),
        ("offer.csv", stats::offer_csv(o).map_err(offer_error)?),
        (
            "offer_sites.csv",
            stats::offer_sites_csv(o).map_err(offer_error)?,
        ),
        (
            "samples.csv",
            stats::samples_csv(rows).map_err(offer_error)?,
        ),
    ];
    for (name, text) in files {
        dir.write(name, text.as_bytes())
            .with_context(|| format!("writing {name}"))?;
    }
    Ok(())
}

/// `dcsite offer collect SHARD_DIR… --out DIR`.
fn collect(args: CollectArgs) -> Result<(), CliError> {
    let Some(out) = args.common.out.clone() else {
        return Err(CliError::Input("offer collect: expected --out DIR".into()));
    };
    let mut shards = Vec::new();
    for d in &args.shards {
        let read = |name: &str| {
            dcsite::data::file::read_regular(&d.join(name), MAX_SHARD_FILE_BYTES, name, "")
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .map_err(|(expected, found)| {
                    CliError::Input(format!(
                        "{}: expected {expected}, found {found}",
                        d.join(name).display()
                    ))
                })
        };
        let o: Offer = serde_json::from_str(&read("offer.json")?).map_err(|e| {
            CliError::Input(format!(
                "{}: offer.json: expected what dcsite offer writes, found {}",
                d.display(),
                shown(&e.to_string())
            ))
        })?;
        let rows = stats::parse_samples(
            &read("samples.csv")?,
            &d.join("samples.csv").display().to_string(),
        )
        .map_err(offer_error)?;
        shards.push((d.clone(), o, rows));
    }
    let (o, rows) = offer::merge(shards).map_err(offer_error)?;
    let mut dir = output_dir(&out, args.common.force)?;
    copy_layers(&mut dir, &args.shards[0])?;
    write_files(&mut dir, &o, &rows)?;
    stage_gpkg(
        &mut dir,
        args.common.no_gpkg,
        &format!("offer: {} for {}", stem(Path::new(&o.scenario)), o.place.id),
    )?;
    stage_report(&dir, &out, args.common.no_report);
    let at = commit(dir)?;
    print_offer(&args.common, &o, &at)
}

/// The map layers of the first shard (the same central inputs in every shard).
fn copy_layers(dir: &mut dcsite::export::OutputDir, shard: &Path) -> Result<(), CliError> {
    let skip = [
        "offer.json",
        "offer.csv",
        "offer_sites.csv",
        "samples.csv",
        "report.html",
        // Drawn again from the layers copied (stage_gpkg).
        "plan.gpkg",
        "plan.qgz",
    ];
    let entries =
        std::fs::read_dir(shard).with_context(|| format!("reading {}", shard.display()))?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if skip.contains(&name.as_str()) || !e.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let bytes =
            std::fs::read(e.path()).with_context(|| format!("reading {}", e.path().display()))?;
        dir.write(&name, &bytes)
            .with_context(|| format!("writing {name}"))?;
    }
    Ok(())
}

/// offer.json (`--json`), or the answer in words, or nothing (`--quiet`).
fn print_offer(args: &CommonArgs, o: &Offer, at: &Path) -> Result<(), CliError> {
    let json = || Ok(serde_json::to_string_pretty(o).context("printing offer.json")? + "\n");
    let text = || Ok(answer_text(o) + &format!("files in {}\n", at.display()));
    print_result(args.json, args.quiet, json, text)
}

/// The answer in words, one screen.
pub fn answer_text(o: &Offer) -> String {
    let name = &o.place.name_en;
    let want = grouped(o.want_cards);
    let text_of = |l: f64| breakeven::level_text(l, o.tolerance);
    let unit = &o.unit;
    let level_of = |l: f64| o.levels.iter().find(|x| x.level == l);
    let mut s = match o.answers.breakeven_level.and_then(level_of) {
        Some(l) => {
            let sites: Vec<String> = l
                .base
                .sites
                .iter()
                .map(|s| site_name(o, &s.site_id))
                .collect();
            format!(
                "{name} wins {} cards at {} from {} {unit} ({}): bill {} CNY, {} for the country (provider {}).\n",
                grouped(l.base.cards_won),
                sites.join(", "),
                text_of(l.level),
                o.lever,
                bn(l.base.subsidy_bill_cny, false),
                bn(l.base.resource_change_cny, true),
                bn(l.base.provider_change_cny, true),
            )
        }
        None => format!(
            "{name} does not win {want} cards at any level evaluated (up to {} {unit}, {}).\n",
            o.levels
                .last()
                .map(|l| text_of(l.level))
                .unwrap_or_default(),
            o.lever
        ),
    };
    s.push_str(&uncertain_text(o, &want));
    s.push_str(&level_table(o));
    s
}

fn site_name(o: &Offer, id: &str) -> String {
    o.sites
        .iter()
        .find(|s| s.site_id == id)
        .map(|s| s.name_en.clone())
        .unwrap_or_else(|| id.to_string())
}

/// "under the input ranges P(≥100,000) = 0.63 at that level, 0.90 from X".
fn uncertain_text(o: &Offer, want: &str) -> String {
    if o.levels.iter().all(|l| l.uncertain.is_none()) {
        return String::new();
    }
    let text_of = |l: f64| breakeven::level_text(l, o.tolerance);
    let p_at = |l: f64| {
        o.levels
            .iter()
            .find(|x| x.level == l)
            .and_then(|x| x.uncertain.as_ref())
            .map(|u| format!("{:.2}", u.p_win))
    };
    let mut s = format!("Under the input ranges ({} samples", o.samples);
    if o.varied.iter().any(|v| v.contains("electricity_prices")) {
        s.push_str(", electricity prices");
    }
    s.push_str(&format!(
        "): P(≥{want}) = {}",
        p_at(0.0).unwrap_or_default()
    ));
    s.push_str(" without an offer");
    if let Some(l) = o.answers.breakeven_level {
        s.push_str(&format!(
            ", {} at the break-even level",
            p_at(l).unwrap_or_default()
        ));
    }
    let from = |p: Option<f64>, what: &str| match p {
        Some(l) => format!("; P ≥ {what} from {} {}", text_of(l), o.unit),
        None => format!("; P ≥ {what} at no level evaluated"),
    };
    s.push_str(&from(o.answers.level_p50, "0.5"));
    s.push_str(&from(o.answers.level_p90, "0.9"));
    s.push_str(" (among the levels evaluated).\n");
    s
}

/// A row per level: cards, bill, cost to the country, P(win), p10-p90.
fn level_table(o: &Offer) -> String {
    let mut s = format!(
        "{:>12} {:>10} {:>10} {:>12} {:>7} {:>21}\n",
        o.unit, "cards", "bill", "country", "P(win)", "cards p10-p90"
    );
    for l in &o.levels {
        let (p, spread) = match &l.uncertain {
            Some(u) => (
                format!("{:.2}", u.p_win),
                match (u.cards_p10, u.cards_p90) {
                    (Some(a), Some(b)) => format!("{}-{}", grouped(a as u64), grouped(b as u64)),
                    _ => "no plan".into(),
                },
            ),
            None => (String::new(), String::new()),
        };
        s.push_str(&format!(
            "{:>12} {:>10} {:>10} {:>12} {:>7} {:>21}\n",
            l.level_text,
            grouped(l.base.cards_won),
            bn(l.base.subsidy_bill_cny, false),
            bn(l.base.resource_change_cny, true),
            p,
            spread
        ));
    }
    s
}
