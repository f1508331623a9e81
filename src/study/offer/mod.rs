//! `dcsite offer`: what a place must offer to win a number of cards, how sure
//! that is under the input ranges, and what it costs the country.
//!
//! For every level of a lever (the scenario's central inputs): the cards the
//! place wins (by site), the subsidy bill, the provider's cost and the
//! resource cost to the country (provider + bill) against no offer; with the
//! input ranges drawn as a sweep draws them (the same seed gives the same
//! sample k), P(cards ≥ want) and the spread of the cards. Each sample's
//! levels are settled by [`levels::lines_at_levels`], which needs 2-3 solves
//! per sample instead of one per level. The files it writes are described in
//! README.md ("Offer"); [`stats`] turns the per-sample rows into the
//! statistics, so that shards merged give what one process gives.

pub mod levels;
pub mod stats;

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::Problems;
use crate::domain::{AppliesTo, Instance, SubsidyKind};
use crate::milp::Prepared;
use crate::plan::Plan;
use crate::solve::{Explain, SolveError, SolveOptions};
use crate::study::breakeven::{self, BreakevenError, Place, Point};
use crate::study::sweep::{self, Shard, Sweep};

pub use stats::{SampleRow, Uncertain};

/// The levels asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Levels {
    /// These levels (0 is added).
    Given(Vec<f64>),
    /// `count` levels evenly from 0 to this maximum (the lever's natural
    /// maximum when `None`), plus the break-even level bisected as
    /// `breakeven` does.
    UpTo(Option<f64>),
}

/// Levels of [`Levels::UpTo`].
pub const GRID_LEVELS: usize = 8;

/// What to compute.
#[derive(Debug, Clone)]
pub struct Spec {
    pub place: Place,
    pub lever: SubsidyKind,
    pub applies_to: AppliesTo,
    pub want: u64,
    pub levels: Levels,
    /// Width of the break-even bracket; the lever's default when `None`.
    pub tolerance: Option<f64>,
    /// Share of the optimum for the place's near-optimal card range per level.
    pub near_optimal: Option<f64>,
    /// Samples drawn; the sweep file's (or 200) when `None`.
    pub samples: Option<usize>,
    /// Seed; the sweep file's (or 1) when `None`.
    pub seed: Option<u64>,
    /// Which samples this process solves.
    pub shard: Shard,
    /// Samples solved at once.
    pub jobs: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum OfferError {
    #[error("{0}")]
    Input(String),
    #[error("{}", .0)]
    Problems(Problems),
    #[error("{context}: {source}")]
    Solve {
        context: String,
        #[source]
        source: SolveError,
    },
    #[error("{0}")]
    Internal(String),
}

impl From<BreakevenError> for OfferError {
    fn from(e: BreakevenError) -> Self {
        match e {
            BreakevenError::UnknownPlace(p) => {
                OfferError::Input(format!("unknown {} {}", p.kind(), p.id()))
            }
            BreakevenError::Solve { level, source } => OfferError::Solve {
                context: format!("at level {level}"),
                source,
            },
        }
    }
}

/// The place as offer.json writes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlaceJson {
    pub kind: String,
    pub id: String,
    pub name_en: String,
    pub name_zh: String,
    pub regions: Vec<String>,
    pub sites: Vec<String>,
}

/// Cards at one site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteCards {
    pub site_id: String,
    pub cards: u64,
}

/// The place's near-optimal card range at a level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearJson {
    pub cards_min: u64,
    pub cards_max: u64,
    pub min_proven: bool,
    pub max_proven: bool,
}

/// One level with the scenario's central inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Base {
    pub status: String,
    pub cards_won: u64,
    pub wins: bool,
    pub sites: Vec<SiteCards>,
    pub subsidy_bill_cny: f64,
    pub provider_cost_cny: f64,
    pub provider_change_cny: f64,
    pub resource_cost_cny: f64,
    pub resource_change_cny: f64,
    pub near_optimal: Option<NearJson>,
}

/// One level of the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Level {
    pub level: f64,
    pub level_text: String,
    pub base: Base,
    pub uncertain: Option<Uncertain>,
}

/// The levels a planner asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answers {
    pub breakeven_level: Option<f64>,
    pub level_p50: Option<f64>,
    pub level_p90: Option<f64>,
}

/// A candidate site, for the map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteJson {
    pub site_id: String,
    pub name_en: String,
    pub name_zh: String,
    pub region_id: String,
    pub lon: f64,
    pub lat: f64,
    pub in_place: bool,
}

/// offer.json: everything the terminal, the CSV files and the report show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    /// `offer`, or `offer_shard` for one shard's folder (its statistics over its samples only).
    pub kind: String,
    pub scenario: String,
    pub place: PlaceJson,
    pub lever: String,
    pub unit: String,
    pub applies_to: String,
    pub want_cards: u64,
    pub samples: usize,
    pub seed: u64,
    pub sampling: String,
    pub varied: Vec<String>,
    pub near_optimal_share: Option<f64>,
    /// The lever's tolerance (the decimals of `level_text`).
    pub tolerance: f64,
    /// `I/N` of a shard folder; `null` for the whole run.
    pub shard: Option<String>,
    /// Solves of the samples (all levels), for the benchmark.
    pub sample_solves: usize,
    pub levels: Vec<Level>,
    pub answers: Answers,
    pub sites: Vec<SiteJson>,
}

/// The unit of a lever's level.
pub fn unit(lever: SubsidyKind) -> &'static str {
    match lever {
        SubsidyKind::ElectricityCnyPerKwh => "CNY/kWh",
        SubsidyKind::ElectricityShare => "share of the electricity bill",
        SubsidyKind::CapexShare => "share of capex",
        SubsidyKind::PerCardCny => "CNY/card",
    }
}

/// What one run computes: the answer, the base plan at the break-even level
/// (for the map layers) and the per-sample rows.
pub struct Computed {
    pub offer: Offer,
    pub breakeven_plan: Option<Plan>,
    pub rows: Vec<SampleRow>,
}

/// The sweep whose samples the offer draws: the sweep file itself (no grid
/// keys: the level is the offer's grid), or, for a scenario, a sweep of it
/// over every table column with a `low`/`high` range.
pub fn sweep_of(
    input: &Path,
    samples: Option<usize>,
    seed: Option<u64>,
) -> Result<Sweep, OfferError> {
    // A sweep file names a base or a [vary]; a scenario neither (the
    // loaders below read either file again and report its problems).
    let text = crate::data::file::read_regular(
        input,
        crate::data::file::MAX_SCENARIO_BYTES,
        "scenario or sweep file",
        "",
    )
    .map(|b| String::from_utf8_lossy(&b).into_owned())
    .unwrap_or_default();
    let is_sweep = text
        .parse::<toml::Table>()
        .is_ok_and(|t| t.contains_key("base") || t.contains_key("vary"));
    let mut sw = if is_sweep {
        sweep::read_sweep(input).map_err(OfferError::Problems)?
    } else {
        let sc = crate::data::load_scenario(input).map_err(OfferError::Problems)?;
        let raw = crate::data::read_raw_tables(&sc).map_err(OfferError::Problems)?;
        let name = input.file_name().map(|n| n.to_string_lossy().into_owned());
        let mut text = format!(
            "base = {}\nsamples = {}\nseed = {}\nsampling = \"lhs\"\n[vary]\n",
            toml::Value::String(name.unwrap_or_default()),
            samples.unwrap_or(DEFAULT_SAMPLES).max(1),
            seed.unwrap_or(1),
        );
        for key in ranged_keys(&raw) {
            text.push_str(&format!(
                "\"{key}\" = {{ dist = \"uniform\", from_columns = [\"low\", \"high\"] }}\n"
            ));
        }
        sweep::spec::read_sweep_text(input, &text).map_err(OfferError::Problems)?
    };
    if let Some(d) = sw.dims.iter().find(|d| d.is_grid()) {
        return Err(OfferError::Input(format!(
            "{}: vary.{}: expected random keys only (the offer's level is its grid), found a grid",
            input.display(),
            d.vary_key
        )));
    }
    if let Some(n) = samples {
        sw.samples = n.max(1);
    }
    if let Some(s) = seed {
        sw.seed = s;
    }
    Ok(sw)
}

/// Samples drawn when neither `--samples` nor the sweep file says.
pub const DEFAULT_SAMPLES: usize = 200;

/// `table.*.column` for every table of `raw` with `low` and `high` columns:
/// the column they bound (the first other number column of their unit).
fn ranged_keys(raw: &crate::data::RawTables) -> Vec<String> {
    let mut keys = Vec::new();
    for t in crate::data::schema::ALL {
        let (Some(low), Some(_)) = (t.column("low"), t.column("high")) else {
            continue;
        };
        let present = raw.tables.iter().any(|r| r.spec.name == t.name);
        let bounded = t.columns.iter().find(|c| {
            c.name != "low" && c.name != "high" && c.unit == low.unit && c.kind == low.kind
        });
        if let (true, Some(c)) = (present, bounded) {
            keys.push(format!("{}.*.{}", t.name, c.name));
        }
    }
    keys
}

/// The levels to evaluate (sorted, 0 first) and the break-even level of the
/// central inputs (bisected for [`Levels::UpTo`]).
fn levels_to_evaluate(
    base: &Prepared,
    spec: &Spec,
    tol: f64,
    opts: &SolveOptions,
) -> Result<Vec<f64>, OfferError> {
    let d = breakeven::decimals(tol);
    let mut levels = match &spec.levels {
        Levels::Given(v) => v.iter().map(|&l| breakeven::snap(l, d)).collect(),
        Levels::UpTo(max) => {
            let natural = breakeven::lever_range(base, &spec.place, spec.lever).0;
            let max = breakeven::floor_to(max.unwrap_or(natural), d);
            let mut v: Vec<f64> = (0..GRID_LEVELS)
                .map(|k| breakeven::snap(max * k as f64 / (GRID_LEVELS - 1) as f64, d).min(max))
                .collect();
            let be = breakeven::search(
                base,
                &breakeven::Spec {
                    place: spec.place.clone(),
                    cards: spec.want as f64,
                    lever: spec.lever,
                    applies_to: spec.applies_to,
                    max_level: Some(max),
                    tolerance: Some(tol),
                },
                opts,
                &|_| {},
            )?;
            v.extend(be.level);
            v
        }
    };
    levels.push(0.0);
    levels.sort_by(f64::total_cmp);
    levels.dedup();
    Ok(levels)
}

/// Computes the offer: the base at every level (solved directly, with the
/// near-optimal range when asked) and this shard's samples at every level.
pub fn compute(
    input: &Path,
    spec: &Spec,
    opts: &SolveOptions,
    done: &(dyn Fn(usize) + Sync),
) -> Result<Computed, OfferError> {
    let sw = sweep_of(input, spec.samples, spec.seed)?;
    let base = Prepared::new(sw.base_instance.clone());
    if !spec.place.exists(&base.inst) {
        return Err(OfferError::Input(format!(
            "unknown {} {} (known: {})",
            spec.place.kind(),
            spec.place.id(),
            spec.place.known(&base.inst).join(", ")
        )));
    }
    let tol = spec
        .tolerance
        .unwrap_or_else(|| breakeven::lever_range(&base, &spec.place, spec.lever).1);
    let levels = levels_to_evaluate(&base, spec, tol, opts)?;
    let mut points = base_points(&base, spec, &levels, opts)?;
    let breakeven_level = points
        .iter()
        .find(|(p, _, _)| p.cards_in_place >= spec.want)
        .map(|(p, _, _)| p.level);
    let breakeven_plan = breakeven_level.and_then(|l| {
        let i = points.iter().position(|(p, _, _)| p.level == l)?;
        Some(points[i].1.clone())
    });
    // --samples 0: the central inputs only.
    let n = if spec.samples == Some(0) {
        0
    } else {
        sw.samples
    };
    let sample_ids: Vec<usize> = spec.shard.ids(n).collect();
    let (rows, sample_solves) = solve_samples(&sw, spec, &levels, &sample_ids, opts, done)?;
    let offer = assemble(input, spec, &sw, tol, &mut points, &rows, sample_solves)?;
    Ok(Computed {
        offer,
        breakeven_plan,
        rows,
    })
}

/// The central inputs solved at each level (in parallel), with the place's
/// near-optimal range when asked.
fn base_points(
    base: &Prepared,
    spec: &Spec,
    levels: &[f64],
    opts: &SolveOptions,
) -> Result<Vec<(Point, Plan, Option<NearJson>)>, OfferError> {
    let be = breakeven::Spec {
        place: spec.place.clone(),
        cards: spec.want as f64,
        lever: spec.lever,
        applies_to: spec.applies_to,
        max_level: None,
        tolerance: None,
    };
    levels
        .par_iter()
        .map(|&l| {
            let (pt, plan, p) = breakeven::evaluate(base, &be, l, opts)?;
            let near = match spec.near_optimal {
                Some(share) => Some(near_range(&p, &plan, &spec.place, share, opts, l)?),
                None => None,
            };
            Ok((pt, plan, near))
        })
        .collect()
}

/// The place's near-optimal card range of `plan`.
fn near_range(
    p: &Prepared,
    plan: &Plan,
    place: &Place,
    share: f64,
    opts: &SolveOptions,
    level: f64,
) -> Result<NearJson, OfferError> {
    let no =
        crate::solve::near_optimal(p, plan, share, opts).map_err(|source| OfferError::Solve {
            context: format!("near-optimal range at level {level}"),
            source,
        })?;
    let inst = &p.inst;
    let range = match place {
        Place::Region(id) => inst
            .regions
            .iter()
            .position(|r| r.id == *id)
            .map(|r| no.regions[r]),
        Place::Cluster(id) => inst
            .clusters
            .iter()
            .position(|c| c.id == *id)
            .and_then(|c| no.clusters.get(c).cloned()),
        Place::Site(id) => inst
            .sites
            .iter()
            .position(|s| s.id == *id)
            .and_then(|s| no.sites[s]),
    };
    Ok(match range {
        Some(r) => NearJson {
            cards_min: r.min_cards.round() as u64,
            cards_max: r.max_cards.round() as u64,
            min_proven: r.min_proven,
            max_proven: r.max_proven,
        },
        // A site that can never be built holds no cards in any plan.
        None => NearJson {
            cards_min: 0,
            cards_max: 0,
            min_proven: true,
            max_proven: true,
        },
    })
}

/// This shard's samples at every level, in parallel on `spec.jobs` threads,
/// sorted by level and sample; and the solves they took.
fn solve_samples(
    sw: &Sweep,
    spec: &Spec,
    levels: &[f64],
    ids: &[usize],
    opts: &SolveOptions,
    done: &(dyn Fn(usize) + Sync),
) -> Result<(Vec<SampleRow>, usize), OfferError> {
    let mut lean = SolveOptions {
        explain: Explain::PlanOnly,
        ..opts.clone()
    };
    // The samples' cards, not their last yuan: phase 1 already runs without
    // RINS (`PHASE1_HIGHS_OPTIONS`); this keeps it out of the servers'
    // repair too. Since stop 42 it saves little: the Ningxia question took
    // 51.6 s with it and 52.6 s without, with the same answers. A
    // `--highs-option` of the same name wins.
    lean.highs_defaults_first(&SAMPLE_HIGHS_OPTIONS);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(spec.jobs.max(1))
        .build()
        .map_err(|e| OfferError::Internal(e.to_string()))?;
    let per_sample: Vec<Result<(Vec<SampleRow>, usize), OfferError>> = pool.install(|| {
        ids.par_iter()
            .with_max_len(1)
            .map(|&k| {
                let r = sample_rows(sw, spec, levels, k, &lean);
                done(k);
                r
            })
            .collect()
    });
    let mut rows = Vec::new();
    let mut solves = 0;
    for r in per_sample {
        let (mut r, n) = r?;
        rows.append(&mut r);
        solves += n;
    }
    rows.sort_by(|a, b| a.level.total_cmp(&b.level).then(a.sample.cmp(&b.sample)));
    Ok((rows, solves))
}

/// Sample `k` drawn (as sample k of the sweep) and settled at every level.
pub fn sample_rows(
    sw: &Sweep,
    spec: &Spec,
    levels: &[f64],
    k: usize,
    lean: &SolveOptions,
) -> Result<(Vec<SampleRow>, usize), OfferError> {
    let (_, inst) = sw.instance(k).map_err(OfferError::Problems)?;
    let p = Prepared::new(inst);
    let sites = spec.place.sites(&p.inst);
    // Only the objective changes with the level: each level's solve starts
    // from the link rows the sample's earlier levels found.
    let mut opts = lean.clone();
    let mut solve_at = |l: f64| -> Result<levels::Line, SolveError> {
        let q = breakeven::with_offer(&p, &spec.place, spec.lever, spec.applies_to, l);
        let plan = crate::solve::solve(&q, &opts)?;
        if plan.link_active.is_some() {
            opts.link_seed = plan.link_active.clone();
        }
        Ok(levels::Line::of(&q, &sites, l, &plan))
    };
    let gap = lean.mip_gap.unwrap_or(DEFAULT_GAP);
    let row = |l: f64, status: &str| SampleRow {
        level: l,
        sample: k,
        status: status.to_string(),
        cards_won: None,
        subsidy_bill_cny: None,
        objective_cny: None,
    };
    match levels::lines_at_levels(levels, gap, &mut solve_at) {
        Ok((lines, solves)) => Ok((
            levels
                .iter()
                .zip(&lines)
                .map(|(&l, line)| SampleRow {
                    cards_won: Some(line.cards()),
                    subsidy_bill_cny: Some((l * line.g).round()),
                    objective_cny: Some(line.cost_at(l).round()),
                    ..row(l, line.status)
                })
                .collect(),
            solves,
        )),
        // The feasible set does not depend on the level: no plan at one level, none at any.
        Err(e) => {
            let status = match e {
                SolveError::Infeasible { .. } => "infeasible",
                SolveError::NoSolution { .. } | SolveError::TimeUp(_) => "no_plan",
                _ => "error",
            };
            Ok((levels.iter().map(|&l| row(l, status)).collect(), 1))
        }
    }
}

/// HiGHS options of the samples' solves, before the run's own.
const SAMPLE_HIGHS_OPTIONS: [(&str, &str); 1] = [("mip_heuristic_run_rins", "false")];

/// HiGHS's default relative MIP gap, when the options set none.
const DEFAULT_GAP: f64 = 1e-4;

/// The base figures of a level against the base at level 0.
fn base_of(want: u64, at: &Point, zero: &Point, near: Option<NearJson>) -> Base {
    Base {
        status: at.status.to_string(),
        cards_won: at.cards_in_place,
        wins: at.cards_in_place >= want,
        sites: at
            .site_cards
            .iter()
            .map(|(s, c)| SiteCards {
                site_id: s.clone(),
                cards: *c,
            })
            .collect(),
        subsidy_bill_cny: at.subsidy_npv_cny.round(),
        provider_cost_cny: at.objective_cny.round(),
        provider_change_cny: (at.objective_cny - zero.objective_cny).round(),
        resource_cost_cny: at.resource_cost_cny().round(),
        resource_change_cny: (at.resource_cost_cny() - zero.resource_cost_cny()).round(),
        near_optimal: near,
    }
}

/// offer.json's content from the base points and the sample rows.
fn assemble(
    input: &Path,
    spec: &Spec,
    sw: &Sweep,
    tol: f64,
    points: &mut [(Point, Plan, Option<NearJson>)],
    rows: &[SampleRow],
    sample_solves: usize,
) -> Result<Offer, OfferError> {
    let inst: &Instance = &sw.base_instance;
    let zero = points[0].0.clone();
    let place_sites = spec.place.sites(inst);
    let (name_en, name_zh) = spec.place.names(inst);
    let levels: Vec<f64> = points.iter().map(|p| p.0.level).collect();
    let uncertain = if rows.is_empty() {
        vec![None; levels.len()]
    } else {
        stats::uncertain(rows, &levels, spec.want)
    };
    let mut offer = Offer {
        kind: if spec.shard.count > 1 {
            "offer_shard"
        } else {
            "offer"
        }
        .into(),
        scenario: input.display().to_string(),
        place: PlaceJson {
            kind: spec.place.kind().into(),
            id: spec.place.id().into(),
            name_en,
            name_zh,
            regions: spec.place.regions(inst),
            sites: place_sites
                .iter()
                .map(|&s| inst.sites[s].id.clone())
                .collect(),
        },
        lever: breakeven::lever_name(spec.lever).into(),
        unit: unit(spec.lever).into(),
        applies_to: spec.applies_to.as_str().into(),
        want_cards: spec.want,
        samples: if spec.samples == Some(0) {
            0
        } else {
            sw.samples
        },
        seed: sw.seed,
        sampling: sw.sampling.as_str().into(),
        varied: sw
            .dims
            .iter()
            .map(|d| d.vary_key.clone())
            .fold(Vec::new(), |mut v, k| {
                if !v.contains(&k) {
                    v.push(k);
                }
                v
            }),
        near_optimal_share: spec.near_optimal,
        tolerance: tol,
        shard: (spec.shard.count > 1).then(|| format!("{}/{}", spec.shard.index, spec.shard.count)),
        sample_solves,
        levels: points
            .iter_mut()
            .zip(uncertain)
            .map(|((pt, _, near), u)| Level {
                level: pt.level,
                level_text: breakeven::level_text(pt.level, tol),
                base: base_of(spec.want, pt, &zero, near.take()),
                uncertain: u,
            })
            .collect(),
        answers: Answers {
            breakeven_level: None,
            level_p50: None,
            level_p90: None,
        },
        sites: inst
            .sites
            .iter()
            .enumerate()
            .map(|(i, s)| SiteJson {
                site_id: s.id.clone(),
                name_en: s.name_en.clone(),
                name_zh: s.name_zh.clone(),
                region_id: s.region_id.clone(),
                lon: s.lon,
                lat: s.lat,
                in_place: place_sites.contains(&i),
            })
            .collect(),
    };
    offer.answers = answers(&offer);
    Ok(offer)
}

/// The break-even level and the least levels with P(win) ≥ 0.5 and ≥ 0.9.
pub fn answers(o: &Offer) -> Answers {
    Answers {
        breakeven_level: o.levels.iter().find(|l| l.base.wins).map(|l| l.level),
        level_p50: stats::least_level_with(o, 0.5),
        level_p90: stats::least_level_with(o, 0.9),
    }
}

/// Merges shard folders' answers and rows into the whole run's: every shard
/// of one run (same inputs, levels and base), each index once, each sample
/// once; the statistics are counted again from the merged rows.
pub fn merge(
    shards: Vec<(PathBuf, Offer, Vec<SampleRow>)>,
) -> Result<(Offer, Vec<SampleRow>), OfferError> {
    let Some((first_dir, first, _)) = shards.first() else {
        return Err(OfferError::Input(
            "offer collect: expected shard folders, found none".into(),
        ));
    };
    let count = shard_of(first_dir, first)?.1;
    let mut seen = vec![false; count];
    let mut rows = Vec::new();
    // What every shard of one offer shares: all but its own samples' figures.
    let strip = |o: &Offer| Offer {
        shard: None,
        sample_solves: 0,
        answers: Answers {
            breakeven_level: o.answers.breakeven_level,
            level_p50: None,
            level_p90: None,
        },
        levels: o
            .levels
            .iter()
            .map(|l| Level {
                uncertain: None,
                ..l.clone()
            })
            .collect(),
        ..o.clone()
    };
    let mut solves = 0;
    for (dir, o, r) in &shards {
        let (index, n) = shard_of(dir, o)?;
        if n != count || strip(o) != strip(first) {
            return Err(OfferError::Input(format!(
                "{}: expected a shard of the same offer as {} (same inputs, levels and base), found another",
                dir.display(),
                first_dir.display()
            )));
        }
        if std::mem::replace(&mut seen[index], true) {
            return Err(OfferError::Input(format!(
                "{}: shard {index}/{n} given twice",
                dir.display()
            )));
        }
        if let Some(bad) = r
            .iter()
            .find(|x| x.sample % n != index || x.sample >= o.samples)
        {
            return Err(OfferError::Input(format!(
                "{}: samples.csv: sample {} is not one of shard {index}/{n}'s",
                dir.display(),
                bad.sample
            )));
        }
        rows.extend(r.iter().cloned());
        solves += o.sample_solves;
    }
    if let Some(missing) = seen.iter().position(|s| !s) {
        return Err(OfferError::Input(format!(
            "offer collect: shard {missing}/{count} is missing"
        )));
    }
    rows.sort_by(|a, b| a.level.total_cmp(&b.level).then(a.sample.cmp(&b.sample)));
    let mut offer = strip(first);
    offer.kind = "offer".into();
    offer.sample_solves = solves;
    let levels: Vec<f64> = offer.levels.iter().map(|l| l.level).collect();
    for (l, u) in offer
        .levels
        .iter_mut()
        .zip(stats::uncertain(&rows, &levels, offer.want_cards))
    {
        l.uncertain = u;
    }
    offer.answers = answers(&offer);
    Ok((offer, rows))
}

/// `(I, N)` of a shard folder's offer.json.
fn shard_of(dir: &Path, o: &Offer) -> Result<(usize, usize), OfferError> {
    let parsed = o
        .shard
        .as_deref()
        .and_then(|s| sweep::shard::parse_shard(s).ok());
    match parsed {
        Some(s) if o.kind == "offer_shard" => Ok((s.index, s.count)),
        _ => Err(OfferError::Input(format!(
            "{}: offer.json: expected a shard folder of dcsite offer --shard I/N, found kind {} shard {:?}",
            dir.display(),
            o.kind,
            o.shard
        ))),
    }
}
