//! Break-even: the smallest level of a subsidy lever at which a place (a
//! region, a planning cluster or a single site) hosts at least a given
//! number of cards, and what that level costs.
//!
//! The search evaluates a coarse grid of levels (in parallel where cores
//! allow), then bisects between the last level that falls short and the first
//! that is enough, until the bracket is narrower than the tolerance. It relies
//! on the place's cards not falling when its own subsidy rises, which the
//! tests check on the default data.

use rayon::prelude::*;

use crate::domain::{AppliesTo, Instance, Subsidy, SubsidyKind};
use crate::milp::Prepared;
use crate::solve::{solve, Plan, SolveError, SolveOptions};

/// What to search for.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// Where the lever is offered (and where cards are counted).
    pub place: Place,
    pub cards: f64,
    pub lever: SubsidyKind,
    pub applies_to: AppliesTo,
    /// Highest level tried; the lever's natural maximum when `None`.
    pub max_level: Option<f64>,
    /// Width of the final bracket; a lever-specific default when `None`.
    pub tolerance: Option<f64>,
}

/// One evaluated level.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub level: f64,
    /// Cards (all accelerators) at the place's sites.
    pub cards_in_place: u64,
    /// The place's sites with cards, in site order: (site id, cards).
    pub site_cards: Vec<(String, u64)>,
    /// The provider's net present cost (the objective), CNY.
    pub objective_cny: f64,
    /// Net present value of what the lever pays (the subsidy bill), CNY.
    pub subsidy_npv_cny: f64,
    pub status: &'static str,
}

impl Point {
    /// The cost to the country: the provider's cost plus the subsidy bill, CNY.
    pub fn resource_cost_cny(&self) -> f64 {
        self.objective_cny + self.subsidy_npv_cny
    }
}

/// The outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The smallest level found (within the tolerance), if any level is enough.
    pub level: Option<f64>,
    pub tolerance: f64,
    pub max_level: f64,
    /// Every level evaluated, sorted.
    pub curve: Vec<Point>,
    /// When no level is enough: what binds in the place at the highest level.
    pub binding_instead: Vec<String>,
}

impl Outcome {
    /// The evaluated point at `level`, if any.
    pub fn point(&self, level: f64) -> Option<&Point> {
        self.curve.iter().find(|p| p.level == level)
    }
    /// The point without the offer (level 0), which the coarse grid always evaluates.
    pub fn no_offer(&self) -> Option<&Point> {
        self.point(0.0)
    }
    /// The point at the level found, if one was.
    pub fn at_level(&self) -> Option<&Point> {
        self.level.and_then(|l| self.point(l))
    }
}

/// Where a lever is offered: a quota region, a planning cluster (its
/// regions) or one candidate site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Region(String),
    Cluster(String),
    Site(String),
}

impl Place {
    /// `region`, `cluster` or `site`.
    pub fn kind(&self) -> &'static str {
        match self {
            Place::Region(_) => "region",
            Place::Cluster(_) => "cluster",
            Place::Site(_) => "site",
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Place::Region(id) | Place::Cluster(id) | Place::Site(id) => id,
        }
    }

    /// The ids of the places of this kind in `inst`.
    pub fn known(&self, inst: &Instance) -> Vec<String> {
        match self {
            Place::Region(_) => inst.regions.iter().map(|r| r.id.clone()).collect(),
            Place::Cluster(_) => inst.clusters.iter().map(|c| c.id.clone()).collect(),
            Place::Site(_) => inst.sites.iter().map(|s| s.id.clone()).collect(),
        }
    }

    /// Whether `inst` has this place.
    pub fn exists(&self, inst: &Instance) -> bool {
        self.known(inst).iter().any(|k| k == self.id())
    }

    /// The place an id names, looked up among regions, then clusters, then
    /// sites; an id of two kinds is an error naming both.
    pub fn resolve(inst: &Instance, id: &str) -> Result<Place, String> {
        let found: Vec<Place> = [
            Place::Region(id.into()),
            Place::Cluster(id.into()),
            Place::Site(id.into()),
        ]
        .into_iter()
        .filter(|p| p.exists(inst))
        .collect();
        match found.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(format!(
                "no region, cluster or site {} (regions: {}; clusters: {}; sites: e.g. {})",
                crate::data::problem::shown(id),
                Place::Region(String::new()).known(inst).join(", "),
                Place::Cluster(String::new()).known(inst).join(", "),
                Place::Site(String::new())
                    .known(inst)
                    .into_iter()
                    .take(8)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            many => Err(format!(
                "{id} is both a {} and a {}: use breakeven's --region, --cluster or --site",
                many[0].kind(),
                many[1].kind()
            )),
        }
    }

    /// The regions the place lies in: the region, the cluster's regions, the site's region.
    pub fn regions(&self, inst: &Instance) -> Vec<String> {
        match self {
            Place::Region(id) => vec![id.clone()],
            Place::Cluster(id) => inst
                .clusters
                .iter()
                .find(|c| c.id == *id)
                .map(|c| c.regions.clone())
                .unwrap_or_default(),
            Place::Site(id) => inst
                .sites
                .iter()
                .filter(|s| s.id == *id)
                .map(|s| s.region_id.clone())
                .collect(),
        }
    }

    /// Whether site `s` of `inst` belongs to the place.
    pub fn has_site(&self, inst: &Instance, s: usize) -> bool {
        let site = &inst.sites[s];
        match self {
            Place::Site(id) => site.id == *id,
            Place::Region(id) => site.region_id == *id,
            Place::Cluster(_) => self.regions(inst).contains(&site.region_id),
        }
    }

    /// The place's sites (indices into `inst.sites`), in site order.
    pub fn sites(&self, inst: &Instance) -> Vec<usize> {
        let regions = self.regions(inst);
        (0..inst.sites.len())
            .filter(|&s| match self {
                Place::Site(id) => inst.sites[s].id == *id,
                _ => regions.contains(&inst.sites[s].region_id),
            })
            .collect()
    }

    /// English and Chinese names.
    pub fn names(&self, inst: &Instance) -> (String, String) {
        let id = self.id();
        let pair = |en: &str, zh: &str| (en.to_string(), zh.to_string());
        match self {
            Place::Region(_) => inst.region(id).map(|r| pair(&r.name_en, &r.name_zh)),
            Place::Cluster(_) => inst
                .clusters
                .iter()
                .find(|c| c.id == id)
                .map(|c| pair(&c.name_en, &c.name_zh)),
            Place::Site(_) => inst
                .sites
                .iter()
                .find(|s| s.id == id)
                .map(|s| pair(&s.name_en, &s.name_zh)),
        }
        .unwrap_or_else(|| (id.to_string(), id.to_string()))
    }

    /// The subsidy rows of a programme offering `lever` at `level` here: one
    /// per region of the place (a region, a cluster), or one for the site.
    pub fn subsidy_rows(
        &self,
        inst: &Instance,
        programme: &str,
        lever: SubsidyKind,
        level: f64,
        applies_to: AppliesTo,
    ) -> Vec<Subsidy> {
        let row = |region_id: Option<String>, site_id: Option<String>| Subsidy {
            programme_id: programme.into(),
            region_id,
            site_id,
            kind: lever,
            value: level,
            cap_cny: None,
            applies_to,
        };
        match self {
            Place::Site(id) => vec![row(None, Some(id.clone()))],
            _ => self
                .regions(inst)
                .into_iter()
                .map(|r| row(Some(r), None))
                .collect(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BreakevenError {
    #[error("unknown {} {}", .0.kind(), .0.id())]
    UnknownPlace(Place),
    #[error("at level {level}: {source}")]
    Solve {
        level: f64,
        #[source]
        source: SolveError,
    },
}

/// The programme id of the lever's subsidy rows.
pub const PROGRAMME: &str = "breakeven";

/// Relative MIP gap used for break-even solves unless the caller sets one:
/// tighter than HiGHS's default so that neighbouring levels compare optima.
pub const MIP_GAP: f64 = 1e-5;

/// The lever's name on the command line, in the CSV and in messages
/// (kebab-case; the `kind` spelling of subsidies.csv, `per_card_cny`, is
/// accepted by the command line as an alias).
pub fn lever_name(lever: SubsidyKind) -> &'static str {
    match lever {
        SubsidyKind::ElectricityCnyPerKwh => "electricity-cny-per-kwh",
        SubsidyKind::ElectricityShare => "electricity-share",
        SubsidyKind::CapexShare => "capex-share",
        SubsidyKind::PerCardCny => "per-card-cny",
    }
}

/// Decimals a tolerance justifies: 3 for 0.001 and 0.005, 0 for 1000.
pub fn decimals(tolerance: f64) -> usize {
    if tolerance > 0.0 && tolerance.is_finite() {
        (-tolerance.log10()).ceil().clamp(0.0, 12.0) as usize
    } else {
        6
    }
}

/// `level` rounded to the nearest multiple of 10^-decimals.
pub fn snap(level: f64, decimals: usize) -> f64 {
    let k = 10f64.powi(decimals as i32);
    (level * k).round() / k
}

/// `level` rounded down to a multiple of 10^-decimals (a level that is
/// already one, up to float noise, stays).
pub fn floor_to(level: f64, decimals: usize) -> f64 {
    let k = 10f64.powi(decimals as i32);
    ((level * k) + 1e-6).floor() / k
}

/// A level written with the decimals its tolerance justifies.
pub fn level_text(level: f64, tolerance: f64) -> String {
    let d = decimals(tolerance);
    format!("{:.d$}", snap(level, d))
}

/// The highest level a lever may be searched up to, and the finest tolerance
/// that means anything for it (CNY/kWh to 1e-6, shares to 1e-6, CNY per card
/// to 1): the same ceilings as the `value` column of subsidies.csv.
pub fn lever_limits(lever: SubsidyKind) -> (f64, f64) {
    match lever {
        SubsidyKind::ElectricityCnyPerKwh => (10.0, 1e-6),
        SubsidyKind::ElectricityShare | SubsidyKind::CapexShare => (1.0, 1e-6),
        SubsidyKind::PerCardCny => (1e7, 1.0),
    }
}

/// The natural range and default tolerance of a lever in a place.
pub fn lever_range(p: &Prepared, place: &Place, lever: SubsidyKind) -> (f64, f64) {
    match lever {
        SubsidyKind::ElectricityCnyPerKwh => {
            let max = place
                .sites(&p.inst)
                .into_iter()
                .map(|i| p.price_of_site[i])
                .fold(0.0, f64::max);
            (max, 0.001)
        }
        SubsidyKind::ElectricityShare | SubsidyKind::CapexShare => (1.0, 0.005),
        SubsidyKind::PerCardCny => {
            let max = p
                .inst
                .accelerators
                .iter()
                .map(|a| a.price_cny_per_card * (1.0 + a.levy_share))
                .fold(0.0, f64::max);
            (max, 1000.0)
        }
    }
}

/// `base` with the lever's rows at `level` in `place` added to its subsidies
/// (programme [`PROGRAMME`]); nothing else is derived again (no derived
/// quantity of [`Prepared`] depends on the subsidies).
pub fn with_offer(
    base: &Prepared,
    place: &Place,
    lever: SubsidyKind,
    applies_to: AppliesTo,
    level: f64,
) -> Prepared {
    let mut inst = (*base.inst).clone();
    let rows = place.subsidy_rows(&inst, PROGRAMME, lever, level, applies_to);
    inst.subsidies.extend(rows);
    let mut p = base.clone();
    p.inst = std::sync::Arc::new(inst);
    p
}

/// The point of `plan` (solved with the lever at `level` in `place`): cards
/// at the place's sites, cost and what programme [`PROGRAMME`] pays.
pub fn point_of(place: &Place, level: f64, plan: &Plan) -> Point {
    let inst = &plan.instance;
    let site_cards: Vec<(String, u64)> = plan
        .sites
        .iter()
        .filter(|s| place.has_site(inst, s.site))
        .map(|s| (inst.sites[s.site].id.clone(), s.cards.iter().sum::<u64>()))
        .filter(|(_, c)| *c > 0)
        .collect();
    let paid = plan
        .subsidies
        .iter()
        .filter(|s| s.programme_id == PROGRAMME)
        .map(|s| s.npv_cny)
        .sum();
    Point {
        level,
        cards_in_place: site_cards.iter().map(|(_, c)| c).sum(),
        site_cards,
        objective_cny: plan.objective_cny,
        subsidy_npv_cny: paid,
        status: plan.status.as_str(),
    }
}

/// Solves the scenario with the lever at `level` in the spec's place.
pub fn evaluate(
    base: &Prepared,
    spec: &Spec,
    level: f64,
    opts: &SolveOptions,
) -> Result<(Point, Plan, Prepared), BreakevenError> {
    crate::domain::check_deadline(opts.deadline.as_ref(), "preparing a break-even level").map_err(
        |t| BreakevenError::Solve {
            level,
            source: SolveError::TimeUp(t),
        },
    )?;
    let p = with_offer(base, &spec.place, spec.lever, spec.applies_to, level);
    let plan = solve(&p, opts).map_err(|source| BreakevenError::Solve { level, source })?;
    Ok((point_of(&spec.place, level, &plan), plan, p))
}

/// Searches the smallest sufficient level. `step` is called after each evaluation.
pub fn search(
    base: &Prepared,
    spec: &Spec,
    opts: &SolveOptions,
    step: &(dyn Fn(&Point) + Sync),
) -> Result<Outcome, BreakevenError> {
    if !spec.place.exists(&base.inst) {
        return Err(BreakevenError::UnknownPlace(spec.place.clone()));
    }
    let (natural_max, natural_tol) = lever_range(base, &spec.place, spec.lever);
    let tol = spec.tolerance.unwrap_or(natural_tol);
    // Every level tried is a multiple of 10^-d, the precision the tolerance
    // justifies, so that levels print without float noise; the maximum is
    // rounded down onto that grid (by less than the tolerance).
    let d = decimals(tol);
    let max_level = floor_to(spec.max_level.unwrap_or(natural_max), d);
    let need = spec.cards.ceil() as u64;
    let mut evaluated = coarse_grid(base, spec, opts, step, max_level, d)?;
    let enough = |pt: &Point| pt.cards_in_place >= need;
    let mut curve: Vec<Point> = evaluated.iter().map(|x| x.0.clone()).collect();
    if enough(&curve[0]) {
        return Ok(Outcome {
            level: Some(0.0),
            tolerance: tol,
            max_level,
            curve,
            binding_instead: vec![],
        });
    }
    let last = curve.last().expect("grid is not empty");
    if !enough(last) {
        let (_, plan, p) = evaluated.pop().expect("grid is not empty");
        return Ok(Outcome {
            level: None,
            tolerance: tol,
            max_level,
            curve,
            binding_instead: what_binds(&p, &plan, &spec.place),
        });
    }
    let first_ok = curve
        .iter()
        .position(enough)
        .expect("the last level is enough");
    let mut lo = curve[first_ok - 1].level;
    let mut hi = curve[first_ok].level;
    while hi - lo > tol {
        let mid = snap(lo + 0.5 * (hi - lo), d);
        // Adjacent floats (or levels on the tolerance's grid): the bracket
        // cannot narrow any further.
        if mid <= lo || mid >= hi {
            break;
        }
        let (pt, _, _) = evaluate(base, spec, mid, opts)?;
        step(&pt);
        if enough(&pt) {
            hi = mid;
        } else {
            lo = mid;
        }
        curve.push(pt);
    }
    curve.sort_by(|a, b| a.level.total_cmp(&b.level));
    Ok(Outcome {
        level: Some(hi),
        tolerance: tol,
        max_level,
        curve,
        binding_instead: vec![],
    })
}

/// The levels 0, ¼, ½, ¾, 1 of `max_level` (on the grid of 10^-d),
/// evaluated in parallel; `step` is called after each evaluation.
fn coarse_grid(
    base: &Prepared,
    spec: &Spec,
    opts: &SolveOptions,
    step: &(dyn Fn(&Point) + Sync),
    max_level: f64,
    d: usize,
) -> Result<Vec<(Point, Plan, Prepared)>, BreakevenError> {
    let grid: Vec<f64> = (0..=4)
        .map(|k| snap(max_level * k as f64 / 4.0, d).min(max_level))
        .collect();
    grid.par_iter()
        .map(|&l| {
            let r = evaluate(base, spec, l, opts);
            if let Ok((pt, _, _)) = &r {
                step(pt);
            }
            r
        })
        .collect()
}

/// What keeps cards out of a place: the binding rows of its regions, the
/// options that cannot exist there, and cities it cannot reach.
fn what_binds(p: &Prepared, plan: &Plan, place: &Place) -> Vec<String> {
    let regions = place.regions(&p.inst);
    let in_place = |r: Option<usize>| r.is_some_and(|r| regions.contains(&p.inst.regions[r].id));
    let mut out: Vec<String> = plan
        .binding
        .iter()
        .filter(|b| in_place(b.region))
        .map(|b| format!("binding: {} ({})", b.words, b.name))
        .collect();
    for (i, s) in p.inst.sites.iter().enumerate() {
        if !place.has_site(&p.inst, i) {
            continue;
        }
        if let Some(r) = &p.site_reason[i] {
            out.push(format!("site {} cannot be built: {r}", s.id));
        } else {
            for (_, r) in &p.option_reasons[i] {
                out.push(format!("site {}: {r}", s.id));
            }
        }
    }
    if out.is_empty() {
        out.push("nothing in the place binds: other places stay cheaper even with the full lever (latency and demand elsewhere)".into());
    }
    out
}

/// The explored curve as CSV: the lever (kebab-case, as on the command
/// line), its level (with the decimals the tolerance justifies), cards at
/// the place, total cost, subsidy paid.
pub fn curve_csv(outcome: &Outcome, lever: SubsidyKind) -> String {
    let mut s = String::from("lever,level,cards_in_place,objective_cny,subsidy_npv_cny,status\n");
    for pt in &outcome.curve {
        s.push_str(&format!(
            "{},{},{},{},{},{}\n",
            lever_name(lever),
            level_text(pt.level, outcome.tolerance),
            pt.cards_in_place,
            pt.objective_cny.round() as i64,
            pt.subsidy_npv_cny.round() as i64,
            pt.status
        ));
    }
    s
}

/// A whole number with thousands separators: 203,248.
pub fn grouped(n: u64) -> String {
    crate::domain::text::int(i128::from(n))
}

/// CNY in billions with two decimals (`0.64 bn`), with a sign when `signed`.
pub fn bn(cny: f64, signed: bool) -> String {
    let b = cny / 1e9;
    // No "-0.00".
    let b = if b.abs() < 0.005 { 0.0 } else { b };
    if signed {
        format!("{b:+.2} bn")
    } else {
        format!("{b:.2} bn")
    }
}

/// What a level brings, in words: "203,248 cards at zhongwei (203,248);
/// bill 0.64 bn CNY; provider cost −0.04 bn; cost to the country +0.60 bn
/// against no offer".
pub fn point_words(at: &Point, no_offer: Option<&Point>) -> String {
    let sites = if at.site_cards.is_empty() {
        "no site".to_string()
    } else {
        at.site_cards
            .iter()
            .map(|(s, c)| format!("{s} {}", grouped(*c)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = format!(
        "{} cards ({sites}); subsidy bill {} CNY (NPV); provider cost {} CNY",
        grouped(at.cards_in_place),
        bn(at.subsidy_npv_cny, false),
        bn(at.objective_cny, false),
    );
    if let Some(z) = no_offer {
        s.push_str(&format!(
            " ({} against no offer); cost to the country {} CNY ({} against no offer)",
            bn(at.objective_cny - z.objective_cny, true),
            bn(at.resource_cost_cny(), false),
            bn(at.resource_cost_cny() - z.resource_cost_cny(), true),
        ));
    }
    s
}

/// A point as JSON: level, status, cards (total and by site), bill,
/// provider cost, resource cost, and the changes against `no_offer`.
pub fn point_json(at: &Point, no_offer: Option<&Point>) -> serde_json::Value {
    let change = |f: fn(&Point) -> f64| no_offer.map(|z| (f(at) - f(z)).round());
    serde_json::json!({
        "level": at.level,
        "status": at.status,
        "cards_won": at.cards_in_place,
        "sites": at.site_cards.iter().map(|(s, c)| serde_json::json!({"site_id": s, "cards": c})).collect::<Vec<_>>(),
        "subsidy_bill_cny": at.subsidy_npv_cny.round(),
        "provider_cost_cny": at.objective_cny.round(),
        "provider_change_cny": change(|p| p.objective_cny),
        "resource_cost_cny": at.resource_cost_cny().round(),
        "resource_change_cny": change(Point::resource_cost_cny),
    })
}
