//! The siting model as a good_lp problem: one `define_*` function per family
//! of variables or constraints, called in a fixed order. Constraint names are
//! structured (`region-power-quota-<region_id>`) so that diagnostics speak the
//! planner's language. The builder does no I/O and knows no solver.

pub mod phases;
pub mod prepare;
pub mod rows;

use std::collections::HashMap;

use good_lp::{variable, Expression, ProblemVariables, Variable};

use crate::domain::*;
pub use phases::{Period, Phases};
pub use prepare::{DemandSize, Pair, Prepared, SiteOption};
pub use rows::{Bound, Family, Quota, RowKey, CNY_PER_OBJECTIVE_UNIT};

/// Direction of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sense {
    Le,
    Ge,
    Eq,
}

/// One constraint, known by its key: `lhs sense rhs`, with every constant in `rhs`.
#[derive(Debug, Clone)]
pub struct Row {
    pub key: RowKey,
    pub lhs: Expression,
    pub sense: Sense,
    pub rhs: f64,
}

impl Row {
    pub fn family(&self) -> Family {
        self.key.family()
    }
    /// +1 when relaxing the row raises its right-hand side (≤ rows), −1 when
    /// it lowers it (≥ and = rows: a requirement asks for less).
    pub fn relax_direction(&self) -> f64 {
        match self.sense {
            Sense::Le => 1.0,
            Sense::Ge | Sense::Eq => -1.0,
        }
    }
    pub fn to_constraint(&self) -> good_lp::Constraint {
        let lhs = self.lhs.clone();
        match self.sense {
            Sense::Le => lhs.leq(self.rhs),
            Sense::Ge => lhs.geq(self.rhs),
            Sense::Eq => lhs.eq(self.rhs),
        }
    }
}

/// The variables of the model, by what they mean.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    /// open[o]: option o (site, cooling) is built.
    pub open: Vec<Variable>,
    /// servers[o][i]: servers of accelerator options[o].accels[i].
    pub servers: Vec<Vec<Variable>>,
    /// serve[p]: H200-eq cards of pair p.
    pub serve: Vec<Variable>,
    /// mega[s]: site s hosts a mega training cluster.
    pub mega: Vec<Option<Variable>>,
    /// subsidy[j]: amount received from programme j (per year for annual kinds).
    pub subsidy: Vec<Variable>,
    /// installed[o][i][k]: servers of accelerator options[o].accels[i]
    /// installed in delivery period k (`None` where the option has no IT
    /// ready then, or the accelerator has no delivery then); empty without
    /// deliveries.
    pub installed: Vec<Vec<Vec<Option<Variable>>>>,
    /// contract[o]: facility MW contracted at option o, when the scenario
    /// prices contracted power (`power_contract_cny_per_kw_month` > 0);
    /// empty otherwise.
    pub contract: Vec<Variable>,
    /// start[o]: (month, column) of each candidate start month of option
    /// o's new hall, when the start is a decision (`hall_start_step_months`,
    /// [`Phases::hall_starts`]); empty otherwise. Exactly one is 1 where the
    /// option is open.
    pub start: Vec<Vec<(f64, Variable)>>,
    /// total: all placed capacity in H200-eq, where some city's demand is a
    /// share of it (the demand and share link rows read it).
    pub total: Option<Variable>,
}

impl Vars {
    /// Every column that counts whole servers: the servers of each option
    /// and, with deliveries, those installed in each period.
    pub fn server_columns(&self) -> impl Iterator<Item = Variable> + '_ {
        self.servers
            .iter()
            .flatten()
            .chain(self.installed.iter().flatten().flatten().flatten())
            .copied()
    }
}

/// A built model: variables, objective and named rows. Cloning it is cheaper
/// than building it again (near-optimal ranges solve one model many times).
#[derive(Clone)]
pub struct Model {
    pub problem_vars: ProblemVariables,
    /// Column of each variable, in creation order (HiGHS columns follow it).
    pub column: HashMap<Variable, usize>,
    pub n_columns: usize,
    pub integer: Vec<bool>,
    pub vars: Vars,
    /// Objective in millions of CNY ([`CNY_PER_OBJECTIVE_UNIT`]).
    pub objective: Expression,
    /// CNY per unit of `objective` (1 for models with an objective of their own, e.g. elastic).
    pub cny_per_objective_unit: f64,
    pub rows: Vec<Row>,
}

impl Model {
    /// Index of the row with this key.
    pub fn row_index(&self, key: RowKey) -> Option<usize> {
        self.rows.iter().position(|r| r.key == key)
    }
    /// Moves the limit of the row with this key by `amount` planner units in
    /// the direction that relaxes it (a quota up, a target down).
    pub fn relax(&mut self, key: RowKey, amount: f64) {
        if let Some(i) = self.row_index(key) {
            let r = &mut self.rows[i];
            r.rhs += r.relax_direction() * amount * r.family().row_units_per_unit();
        }
    }
}

/// Which variables are integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integrality {
    /// Every decision as the formulation (docs/MODELLING.md) states it: binary opens,
    /// integer servers.
    Full,
    /// Server counts continuous: a relaxation whose optimum bounds the full model from below.
    ContinuousServers,
    /// Every variable continuous (binaries in [0, 1]): the LP relaxation.
    Lp,
    /// The LP without the variable bounds that mirror a row (servers ≤ site
    /// capacity, subsidy ≤ cap): with the binaries fixed, its row duals are the
    /// shadow prices, and no bound can take a row's dual away from it.
    Pricing,
}

struct Builder<'a> {
    p: &'a Prepared,
    integrality: Integrality,
    links: Links<'a>,
    /// The delivery periods (`None`: the single-period model).
    phases: Option<Phases>,
    /// Options of each site (built once: no scan of all options per site).
    by_site: Vec<Vec<usize>>,
    pv: ProblemVariables,
    column: HashMap<Variable, usize>,
    integer: Vec<bool>,
    vars: Vars,
    rows: Vec<Row>,
    /// The first outcome's site decisions, for an outcome of an extensive form.
    shared: Option<Shared<'a>>,
}

impl<'a> Builder<'a> {
    fn add(&mut self, def: good_lp::variable::VariableDefinition, integer: bool) -> Variable {
        let v = self.pv.add(def);
        self.column.insert(v, self.integer.len());
        self.integer.push(integer);
        v
    }
    /// The first outcome's `open` column of option `o`'s site and cooling.
    fn shared_open(&self, o: usize) -> Option<Variable> {
        self.shared_option(o).map(|(sh, k)| sh.vars.open[k])
    }
    /// The first outcome's contract column of option `o`'s site and cooling.
    fn shared_contract(&self, o: usize) -> Option<Variable> {
        self.shared_option(o)
            .and_then(|(sh, k)| sh.vars.contract.get(k).copied())
    }
    /// The first outcome's hall start columns of option `o`'s site and cooling.
    fn shared_starts(&self, o: usize) -> Option<Vec<(f64, Variable)>> {
        self.shared_option(o)
            .and_then(|(sh, k)| sh.vars.start.get(k).cloned())
    }
    /// The first outcome's index of option `o`'s site and cooling.
    fn shared_option(&self, o: usize) -> Option<(Shared<'a>, usize)> {
        let sh = self.shared?;
        let opt = &self.p.options[o];
        sh.p.options
            .iter()
            .position(|x| x.site == opt.site && x.cooling == opt.cooling)
            .map(|k| (sh, k))
    }
    /// A yes/no decision: binary, or in [0, 1] for the LP.
    fn binary(&mut self) -> Variable {
        if matches!(self.integrality, Integrality::Lp | Integrality::Pricing) {
            self.add(variable().min(0).max(1), false)
        } else {
            self.add(variable().binary(), true)
        }
    }
    fn row(&mut self, key: RowKey, lhs: Expression, sense: Sense, rhs: f64) {
        self.rows.push(Row {
            key,
            lhs,
            sense,
            rhs,
        });
    }
    /// Cards of accelerators matching `pred` at option o.
    fn cards_at(&self, o: usize, pred: impl Fn(usize) -> bool) -> Expression {
        let opt = &self.p.options[o];
        let mut e = Expression::default();
        for (i, &a) in opt.accels.iter().enumerate() {
            if pred(a) {
                e.add_mul(
                    self.p.inst.accelerators[a].cards_per_server as f64,
                    self.vars.servers[o][i],
                );
            }
        }
        e
    }
    /// Σ coef(o, a) × servers over the given options only (no scan of all options).
    fn sum_servers_of(
        &self,
        options: &[usize],
        coef: impl Fn(&SiteOption, usize) -> f64,
    ) -> Expression {
        let mut e = Expression::default();
        for &o in options {
            let opt = &self.p.options[o];
            for (i, &a) in opt.accels.iter().enumerate() {
                let c = coef(opt, a);
                if c != 0.0 {
                    e.add_mul(c, self.vars.servers[o][i]);
                }
            }
        }
        e
    }
    /// Options of each site.
    fn options_by_site(&self) -> Vec<Vec<usize>> {
        self.by_site.clone()
    }
    /// Σ coef(o, a) × servers over options matching `opt_pred`.
    fn sum_servers(
        &self,
        opt_pred: impl Fn(&SiteOption) -> bool,
        coef: impl Fn(&SiteOption, usize) -> f64,
    ) -> Expression {
        let mut e = Expression::default();
        for (o, opt) in self.p.options.iter().enumerate() {
            if !opt_pred(opt) {
                continue;
            }
            for (i, &a) in opt.accels.iter().enumerate() {
                let c = coef(opt, a);
                if c != 0.0 {
                    e.add_mul(c, self.vars.servers[o][i]);
                }
            }
        }
        e
    }
    fn total_h200_eq(&self) -> Expression {
        let accs = &self.p.inst.accelerators;
        self.sum_servers(
            |_| true,
            |_, a| accs[a].cards_per_server as f64 * accs[a].perf_h200_eq,
        )
    }
}

/// Which (city, site) link rows `serve[d,s] ≤ demand[d] × open[s]`
/// ([`RowKey::ServeLink`], [`link_row`]) the model holds. They only strengthen the model
/// (the site capacity rows already keep a closed site from serving), so a
/// model with some of them is a relaxation of the model with all of them.
#[derive(Debug, Clone, Copy)]
pub enum Links<'a> {
    /// Every link row (the model as the formulation states it, docs/MODELLING.md).
    All,
    /// The link rows of fixed demands only: for LPs whose sites are pinned
    /// (the L-shaped loop's outcome LPs), where share demands' rows only
    /// restate `serve ≤ demand` and would add a row per city-site pair.
    FixedDemands,
    /// The link rows of the pairs marked true (indexed like `Prepared::pairs`).
    Only(&'a [bool]),
    /// No `serve` columns at all, and none of the rows they are in (city
    /// demand, site inference capacity, links): the assignment is projected
    /// out, and the model is the master problem of the Benders loop
    /// (`solve::benders`), which adds its cuts on what is left.
    Projected,
}

impl Links<'_> {
    fn holds(&self, pair: usize) -> bool {
        match self {
            Links::All | Links::FixedDemands => true,
            Links::Only(active) => active.get(pair).copied().unwrap_or(false),
            Links::Projected => false,
        }
    }
}

/// Builds the model of a prepared instance, with every row.
pub fn build(p: &Prepared, integrality: Integrality) -> Model {
    build_with(p, integrality, Links::All)
}

/// What the deadline check of the builder calls its stage.
pub const BUILD_STAGE: &str = "building the model";

/// [`build`] that stops once `deadline` passes: checked before each family
/// of rows (every family is linear in the size of the instance, so none runs
/// long on its own).
pub fn build_within(
    p: &Prepared,
    integrality: Integrality,
    deadline: Option<&Deadline>,
) -> Result<Model, TimeUp> {
    build_with_within(p, integrality, Links::All, deadline)
}

/// Builds the model with only some of the link rows ([`Links`]); the solver's
/// cut loop adds the others when a solution violates them.
pub fn build_with(p: &Prepared, integrality: Integrality, links: Links) -> Model {
    match build_with_within(p, integrality, links, None) {
        Ok(m) => m,
        Err(_) => unreachable!("no deadline, no time-up"),
    }
}

/// [`build_with`] that stops once `deadline` passes.
pub fn build_with_within(
    p: &Prepared,
    integrality: Integrality,
    links: Links,
    deadline: Option<&Deadline>,
) -> Result<Model, TimeUp> {
    let (columns, part) = build_part(p, integrality, links, deadline, Columns::default(), None)?;
    Ok(Model {
        problem_vars: columns.pv,
        column: columns.column,
        n_columns: columns.integer.len(),
        integer: columns.integer,
        vars: part.vars,
        objective: part.objective,
        cny_per_objective_unit: CNY_PER_OBJECTIVE_UNIT,
        rows: part.rows,
    })
}

/// The columns of a model under construction: what the outcomes of an
/// extensive form (`solve::stochastic`) add to one after the other.
#[derive(Default)]
pub struct Columns {
    pub pv: ProblemVariables,
    /// Column of each variable, in creation order.
    pub column: HashMap<Variable, usize>,
    pub integer: Vec<bool>,
}

/// One instance's share of a model: its variables, rows and objective
/// (millions of CNY), its columns added to a [`Columns`].
pub struct Part {
    pub vars: Vars,
    pub rows: Vec<Row>,
    pub objective: Expression,
}

/// The decisions an outcome of an extensive form shares with the first:
/// its instance and variables. An option of the same site and cooling uses
/// the first's `open` and `contract` columns, a site the first's `mega` column; everything
/// else (servers, deliveries, flows, subsidies) is the outcome's own.
#[derive(Clone, Copy)]
pub struct Shared<'a> {
    pub p: &'a Prepared,
    pub vars: &'a Vars,
}

/// Adds the model of `p` to `columns`: with `shared`, its site decisions
/// are the first outcome's columns (non-anticipativity by construction).
pub fn build_part(
    p: &Prepared,
    integrality: Integrality,
    links: Links,
    deadline: Option<&Deadline>,
    columns: Columns,
    shared: Option<Shared>,
) -> Result<(Columns, Part), TimeUp> {
    let check = || check_deadline(deadline, BUILD_STAGE);
    check()?;
    let mut by_site = vec![Vec::new(); p.inst.sites.len()];
    for (o, opt) in p.options.iter().enumerate() {
        by_site[opt.site].push(o);
    }
    let mut b = Builder {
        p,
        integrality,
        links,
        phases: p.phases(),
        by_site,
        pv: columns.pv,
        column: columns.column,
        integer: columns.integer,
        vars: Vars::default(),
        rows: Vec::new(),
        shared,
    };
    let families: [fn(&mut Builder); 12] = [
        define_variables,
        define_one_cooling_per_site,
        define_site_power,
        define_min_site_size,
        define_region_quotas,
        define_accelerator_targets,
        define_dual_track,
        define_inference_demand,
        define_mega_cluster,
        define_region_tier_bounds,
        define_subsidies,
        define_deliveries,
    ];
    for define in families {
        define(&mut b);
        check()?;
    }
    let objective = define_objective(&b);
    Ok((
        Columns {
            pv: b.pv,
            column: b.column,
            integer: b.integer,
        },
        Part {
            vars: b.vars,
            rows: b.rows,
            objective,
        },
    ))
}

fn define_variables(b: &mut Builder) {
    let p = b.p;
    for o in 0..p.options.len() {
        let open = match b.shared_open(o) {
            Some(v) => v,
            None => b.binary(),
        };
        b.vars.open.push(open);
        let opt = &p.options[o];
        let servers: Vec<Variable> = opt
            .accels
            .iter()
            .map(|&a| p.max_servers(opt, a))
            .collect::<Vec<_>>()
            .into_iter()
            .map(|ub| match b.integrality {
                Integrality::Full => b.add(variable().integer().min(0).max(ub), true),
                Integrality::ContinuousServers | Integrality::Lp => {
                    b.add(variable().min(0).max(ub), false)
                }
                Integrality::Pricing => b.add(variable().min(0), false),
            })
            .collect();
        b.vars.servers.push(servers);
    }
    if !matches!(b.links, Links::Projected) {
        for _ in 0..p.pairs.len() {
            let v = b.add(variable().min(0), false);
            b.vars.serve.push(v);
        }
    }
    let mega_possible = p.inst.params.mega_count > 0 && p.inst.params.mega_cards > 0.0;
    for s in 0..p.inst.sites.len() {
        let hosts = mega_possible
            && b.by_site[s].iter().map(|&o| &p.options[o]).any(|o| {
                o.accels.iter().any(|&a| {
                    // Only sites that can hold a whole cluster get a mega decision.
                    p.inst
                        .params
                        .mega_accelerators
                        .contains(&p.inst.accelerators[a].id)
                        && p.max_servers(o, a) * p.inst.accelerators[a].cards_per_server as f64
                            >= p.inst.params.mega_cards
                })
            });
        let v = match (
            hosts,
            b.shared
                .and_then(|sh| sh.vars.mega.get(s).copied().flatten()),
        ) {
            (true, Some(v)) => Some(v),
            (true, None) => Some(b.binary()),
            (false, _) => None,
        };
        b.vars.mega.push(v);
    }
    for j in &p.inst.subsidies {
        // In millions of CNY, like the objective.
        let mut def = variable().min(0);
        if let Some(cap) = j.cap_cny {
            // The cap is also a row (below) so that its shadow price is reported;
            // the pricing LP leaves the bound out so that the row keeps its dual.
            if b.integrality != Integrality::Pricing {
                def = def.max(cap.max(0.0) / CNY_PER_OBJECTIVE_UNIT);
            }
        }
        let v = b.add(def, false);
        b.vars.subsidy.push(v);
    }
}

/// 1. One cooling per site (exactly one for existing and required sites).
fn define_one_cooling_per_site(b: &mut Builder) {
    let p = b.p;
    for (s, site) in p.inst.sites.iter().enumerate() {
        let mut e = Expression::default();
        let any = !b.by_site[s].is_empty();
        for &o in &b.by_site[s] {
            e.add_mul(1.0, b.vars.open[o]);
        }
        if site.status.must_open() {
            // A required site with no option makes the model infeasible on purpose;
            // the diagnosis names it.
            b.row(RowKey::OneCooling { site: s }, e, Sense::Eq, 1.0);
        } else if any {
            b.row(RowKey::OneCooling { site: s }, e, Sense::Le, 1.0);
        }
    }
}

/// 2. Site power: IT MW of the servers ≤ ready IT MW × open (rows in MW).
///
/// The ready IT MW is the site's max_it_mw unless campuses come in phases.
fn define_site_power(b: &mut Builder) {
    let p = b.p;
    for (o, opt) in p.options.iter().enumerate() {
        let mut e = b.sum_servers_of(&[o], |_, a| p.inst.accelerators[a].server_kw / 1000.0);
        e.add_mul(-opt.ready_it_mw, b.vars.open[o]);
        b.row(RowKey::SitePower { option: o }, e, Sense::Le, 0.0);
    }
    define_power_contract(b);
}

/// 2b. Contracted power, when the scenario prices it: the facility MW of an
/// option's servers ≤ the MW contracted there, a column of its own (shared
/// by a two-stage plan's outcomes; its cost is in the objective).
fn define_power_contract(b: &mut Builder) {
    let p = b.p;
    if p.inst.params.power_contract_cny_per_kw_month <= 0.0 {
        return;
    }
    for o in 0..p.options.len() {
        let c = match b.shared_contract(o) {
            Some(v) => v,
            None => b.add(variable().min(0), false),
        };
        b.vars.contract.push(c);
        let mut e = b.sum_servers_of(&[o], |o, a| {
            p.inst.accelerators[a].server_kw * o.pue / 1000.0
        });
        e.add_mul(-1.0, c);
        b.row(RowKey::PowerContract { option: o }, e, Sense::Le, 0.0);
    }
}

/// 3. Minimum site size: cards ≥ min_site_cards × open.
fn define_min_site_size(b: &mut Builder) {
    let p = b.p;
    let min = p.inst.params.min_site_cards;
    if min <= 0.0 {
        return;
    }
    for o in 0..p.options.len() {
        let mut e = b.cards_at(o, |_| true);
        e.add_mul(-min, b.vars.open[o]);
        b.row(RowKey::SiteMinSize { option: o }, e, Sense::Ge, 0.0);
    }
}

/// 4, 5 and 5b. Region quotas, one kind after the other: what the region's
/// servers use (facility MW; tce per year, net of green power; m³ of
/// cooling water per year) ≤ the region's limit, where it sets one and has
/// an option to build.
fn define_region_quotas(b: &mut Builder) {
    let p = b.p;
    for q in Quota::ALL {
        for (r, region) in p.inst.regions.iter().enumerate() {
            let Some(limit) = region.quota(q) else {
                continue;
            };
            if !p.options.iter().any(|o| p.region_of_site[o.site] == r) {
                continue;
            }
            let e = b.sum_servers(
                |o| p.region_of_site[o.site] == r,
                |o, a| p.quota_use(q, o, a, 1.0),
            );
            let key = RowKey::RegionQuota {
                quota: q,
                region: r,
            };
            b.row(key, e, Sense::Le, limit);
        }
    }
}

/// 6. Accelerator targets.
fn define_accelerator_targets(b: &mut Builder) {
    let p = b.p;
    for (a, acc) in p.inst.accelerators.iter().enumerate() {
        let Some(t) = p.inst.targets.get(&acc.id) else {
            continue;
        };
        let cps = acc.cards_per_server as f64;
        let e = b.sum_servers(|_| true, |_, x| if x == a { cps } else { 0.0 });
        if t.max == Some(t.min) {
            let key = RowKey::Target {
                accel: a,
                bound: Bound::Exact,
            };
            b.row(key, e, Sense::Eq, t.min);
        } else {
            if t.min > 0.0 {
                let key = RowKey::Target {
                    accel: a,
                    bound: Bound::Min,
                };
                b.row(key, e.clone(), Sense::Ge, t.min);
            }
            if let Some(max) = t.max {
                let key = RowKey::Target {
                    accel: a,
                    bound: Bound::Max,
                };
                b.row(key, e, Sense::Le, max);
            }
        }
    }
}

/// The coefficient of one server of accelerator `a` in a dual-track row
/// `Σ domestic − share × Σ all ≥ 0` (counted in cards or H200-eq).
fn dual_track_coef(p: &Prepared, a: usize) -> f64 {
    let acc = &p.inst.accelerators[a];
    let unit = match p.inst.params.domestic_share_basis {
        ShareBasis::Cards => acc.cards_per_server as f64,
        ShareBasis::H200Eq => acc.cards_per_server as f64 * acc.perf_h200_eq,
    };
    let d = if acc.origin == Origin::Domestic {
        1.0
    } else {
        0.0
    };
    (d - p.inst.params.domestic_share) * unit
}

/// 7. Dual track: domestic ≥ share × all (in cards or H200-eq).
fn define_dual_track(b: &mut Builder) {
    let p = b.p;
    let share = p.inst.params.domestic_share;
    if share <= 0.0 {
        return;
    }
    // Σ domestic − share × Σ all ≥ 0
    let e = b.sum_servers(|_| true, |_, a| dual_track_coef(p, a));
    b.row(RowKey::DualTrack, e, Sense::Ge, 0.0);
}

/// 8. Latency-bounded inference demand and site inference capacity.
fn define_inference_demand(b: &mut Builder) {
    let p = b.p;
    if matches!(b.links, Links::Projected) {
        return;
    }
    let by_site_options = b.options_by_site();
    // All placed capacity in H200-eq as one variable, defined once: demand rows
    // that are shares of it then have a single coefficient for it instead of
    // one per server variable.
    let total = if p
        .demand
        .iter()
        .any(|d| matches!(d, DemandSize::ShareOfTotal(x) if *x > 0.0))
    {
        let t = b.add(variable().min(0), false);
        let mut def = b.total_h200_eq();
        def.add_mul(-1.0, t);
        b.row(RowKey::TotalH200Eq, def, Sense::Eq, 0.0);
        b.vars.total = Some(t);
        Expression::from(t)
    } else {
        Expression::default()
    };
    let mut by_demand = vec![Vec::new(); p.inst.demand.len()];
    let mut by_site = vec![Vec::new(); p.inst.sites.len()];
    for (k, pair) in p.pairs.iter().enumerate() {
        by_demand[pair.demand].push(k);
        by_site[pair.site].push(k);
    }
    for (d, pairs_of_city) in by_demand.iter().enumerate() {
        let mut e = Expression::default();
        for &k in pairs_of_city {
            e.add_mul(1.0, b.vars.serve[k]);
        }
        let key = RowKey::Demand { city: d };
        match p.demand[d] {
            DemandSize::Cards(c) if c > 0.0 => b.row(key, e, Sense::Ge, c),
            DemandSize::ShareOfTotal(x) if x > 0.0 => {
                let mut e = e;
                e.add_mul(-x, total.clone());
                b.row(key, e, Sense::Ge, 0.0)
            }
            _ => {}
        }
    }
    for s in 0..p.inst.sites.len() {
        let served = &by_site[s];
        if served.is_empty() {
            continue;
        }
        let mut e = Expression::default();
        for &k in served {
            e.add_mul(1.0, b.vars.serve[k]);
        }
        for (v, c) in inference_capacity_terms(p, &b.vars, &by_site_options[s], s) {
            e.add_mul(-c, v);
        }
        b.row(RowKey::InferenceCapacity { site: s }, e, Sense::Le, 0.0);
        if p.disaggregate_links {
            // The pricing LP (its sites fixed) and `Links::FixedDemands`
            // leave the share rows out: with `open` fixed they only restate
            // `serve ≤ demand`, which an optimum keeps anyway, and the
            // national set has 21,000.
            let pricing = matches!(b.integrality, Integrality::Pricing)
                || matches!(b.links, Links::FixedDemands);
            for &k in served {
                if !b.links.holds(k)
                    || (pricing && !matches!(p.demand[p.pairs[k].demand], DemandSize::Cards(_)))
                {
                    continue;
                }
                if let Some(link) = link_row(p, &b.vars, k) {
                    let mut e = Expression::default();
                    for (v, c) in link.terms {
                        e.add_mul(c, v);
                    }
                    b.row(link.key, e, Sense::Le, link.rhs);
                }
            }
        }
    }
}

/// The link row of one city-site pair: `terms ≤ rhs`.
pub struct LinkRow {
    pub key: RowKey,
    pub terms: Vec<(Variable, f64)>,
    pub rhs: f64,
}

/// What the link row of a pair lets it serve: `serve ≤ per_open × Σ open +
/// per_total × T + offset` (Σ open over the options at the pair's site).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkBound {
    pub per_open: f64,
    pub per_total: f64,
    pub offset: f64,
}

impl LinkBound {
    /// The limit at these values of Σ open and `T`.
    pub fn limit(&self, open: f64, total: f64) -> f64 {
        self.per_open * open + self.per_total * total + self.offset
    }
}

/// The link row of pair k as numbers: for a fixed demand of `c` cards
/// `serve ≤ c × Σ open`, for a share `x` of the placed H200-eq `T` with the
/// floor `f` (`Prepared::share_floor`) `serve ≤ x × T − x × f × (1 − Σ
/// open)`; `None` where the pair has no such row.
pub fn link_bound(p: &Prepared, k: usize) -> Option<LinkBound> {
    match p.demand[p.pairs[k].demand] {
        DemandSize::Cards(c) => Some(LinkBound {
            per_open: c,
            per_total: 0.0,
            offset: 0.0,
        }),
        DemandSize::ShareOfTotal(x) if x > 0.0 => {
            let f = p.share_floor?;
            Some(LinkBound {
                per_open: x * f,
                per_total: x,
                offset: -x * f,
            })
        }
        DemandSize::ShareOfTotal(_) => None,
    }
}

/// The link row of pair k ([`link_bound`]) over the model's columns:
/// `serve[k] − per_open × Σ open − per_total × T ≤ offset`.
pub fn link_row(p: &Prepared, vars: &Vars, k: usize) -> Option<LinkRow> {
    let pair = &p.pairs[k];
    let bound = link_bound(p, k)?;
    let total = if bound.per_total == 0.0 {
        None
    } else {
        Some((vars.total?, -bound.per_total))
    };
    let (per_open, rhs) = (bound.per_open, bound.offset);
    let mut terms = vec![(vars.serve[k], 1.0)];
    terms.extend(total);
    for (o, opt) in p.options.iter().enumerate() {
        if opt.site == pair.site {
            terms.push((vars.open[o], -per_open));
        }
    }
    Some(LinkRow {
        key: RowKey::ServeLink {
            city: pair.demand,
            site: pair.site,
        },
        terms,
        rhs,
    })
}

/// What site `s` offers inference, in H200-eq cards, as terms over the
/// model's columns: its servers' cards at their performance, less the cards
/// of a mega training cluster placed there (at the performance of the
/// accelerators it may be made of, the least of them when several are
/// allowed: the cluster takes at least that much). `site_options` are the
/// site's options. The right-hand side of the site's inference-capacity row.
pub fn inference_capacity_terms(
    p: &Prepared,
    vars: &Vars,
    site_options: &[usize],
    s: usize,
) -> Vec<(Variable, f64)> {
    let accs = &p.inst.accelerators;
    let mut terms = Vec::new();
    for &o in site_options {
        for (i, &a) in p.options[o].accels.iter().enumerate() {
            let c = accs[a].cards_per_server as f64 * accs[a].perf_h200_eq;
            if c != 0.0 {
                terms.push((vars.servers[o][i], c));
            }
        }
    }
    if let Some(m) = vars.mega.get(s).copied().flatten() {
        let mega_perf = accs
            .iter()
            .filter(|a| p.inst.params.mega_accelerators.contains(&a.id))
            .map(|a| a.perf_h200_eq)
            .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x))))
            .unwrap_or(1.0);
        terms.push((m, -p.inst.params.mega_cards * mega_perf));
    }
    terms
}

/// 9. Mega training clusters: at least mega_count sites with ≥ mega_cards cards.
fn define_mega_cluster(b: &mut Builder) {
    let p = b.p;
    let prm = &p.inst.params;
    if prm.mega_count == 0 || prm.mega_cards <= 0.0 {
        return;
    }
    let by_site_options = b.options_by_site();
    let mut count = Expression::default();
    for (s, site_options) in by_site_options.iter().enumerate() {
        let Some(m) = b.vars.mega[s] else { continue };
        count.add_mul(1.0, m);
        let accs = &p.inst.accelerators;
        let mut e = b.sum_servers_of(site_options, |_, a| {
            if prm.mega_accelerators.contains(&accs[a].id) {
                accs[a].cards_per_server as f64
            } else {
                0.0
            }
        });
        e.add_mul(-prm.mega_cards, m);
        b.row(RowKey::MegaSize { site: s }, e, Sense::Ge, 0.0);
    }
    b.row(RowKey::MegaCount, count, Sense::Ge, prm.mega_count as f64);
}

/// 10. Region, tier and cluster bounds on cards.
fn define_region_tier_bounds(b: &mut Builder) {
    let p = b.p;
    let cards = |a: usize| p.inst.accelerators[a].cards_per_server as f64;
    // The rows of one group's bounds, keyed by side.
    let bound_rows =
        |b: &mut Builder, e: Expression, bound: &CardBounds, key: &dyn Fn(Bound) -> RowKey| {
            if let Some(min) = bound.min_cards {
                b.row(key(Bound::Min), e.clone(), Sense::Ge, min);
            }
            if let Some(max) = bound.max_cards {
                b.row(key(Bound::Max), e, Sense::Le, max);
            }
        };
    for (rid, bound) in &p.inst.region_bounds {
        let Some(region) = p.inst.regions.iter().position(|x| &x.id == rid) else {
            continue;
        };
        let e = b.sum_servers(|o| p.region_of_site[o.site] == region, |_, a| cards(a));
        bound_rows(b, e, bound, &|bound| RowKey::RegionBound { region, bound });
    }
    for (tier, bound) in &p.inst.tier_bounds {
        let e = b.sum_servers(
            |o| p.inst.regions[p.region_of_site[o.site]].tier == *tier,
            |_, a| cards(a),
        );
        let tier = *tier;
        bound_rows(b, e, bound, &|bound| RowKey::TierBound { tier, bound });
    }
    let cluster_of_region = p.inst.cluster_of_region();
    for (cid, bound) in &p.inst.cluster_bounds {
        let Some(cluster) = p.inst.clusters.iter().position(|x| &x.id == cid) else {
            continue;
        };
        let e = b.sum_servers(
            |o| cluster_of_region[p.region_of_site[o.site]] == Some(cluster),
            |_, a| cards(a),
        );
        bound_rows(b, e, bound, &|bound| RowKey::ClusterBound {
            cluster,
            bound,
        });
    }
}

/// The base a programme pays on, per server of accelerator `a` under option `o`
/// (0 when the programme does not cover it).
pub fn subsidy_base_per_server(p: &Prepared, j: &Subsidy, o: &SiteOption, a: usize) -> f64 {
    let acc = &p.inst.accelerators[a];
    if !p.covers(j, o.site) || !j.applies_to.covers(acc.origin) {
        return 0.0;
    }
    match j.kind {
        SubsidyKind::ElectricityCnyPerKwh => p.kwh_per_server_year(o, a),
        SubsidyKind::ElectricityShare => p.kwh_per_server_year(o, a) * p.price_of_site[o.site],
        SubsidyKind::CapexShare => acc.server_capex_cny() + p.facility_capex_per_server(o, a),
        SubsidyKind::PerCardCny => acc.cards_per_server as f64,
    }
}

/// 11. Subsidies: received ≤ rate × base, and ≤ cap (rows in millions of CNY).
fn define_subsidies(b: &mut Builder) {
    let p = b.p;
    let m = CNY_PER_OBJECTIVE_UNIT;
    for (jn, j) in p.inst.subsidies.iter().enumerate() {
        let mut e = b.sum_servers(
            |_| true,
            |o, a| -j.value * subsidy_base_per_server(p, j, o, a) / m,
        );
        // A capex share for all accelerators also pays on the site's fixed cost.
        for (o, opt) in p.options.iter().enumerate() {
            let fixed = p.subsidy_fixed_base(j, opt.site);
            if fixed != 0.0 {
                e.add_mul(-j.value * fixed / m, b.vars.open[o]);
            }
        }
        e.add_mul(1.0, b.vars.subsidy[jn]);
        b.row(RowKey::SubsidyRate { programme: jn }, e, Sense::Le, 0.0);
        if let Some(cap) = j.cap_cny {
            let mut e = Expression::default();
            e.add_mul(1.0, b.vars.subsidy[jn]);
            b.row(RowKey::SubsidyCap { programme: jn }, e, Sense::Le, cap / m);
        }
    }
}

/// Phased deliveries (family 12): servers installed per period (integer like the
/// servers), summing to the servers of the plan; each period's cards within
/// its deliveries, each option's cards within the IT it has ready by then,
/// and the dual-track share met by every period's installed cards. Capacity
/// only grows: what is installed in a period stays.
fn define_deliveries(b: &mut Builder) {
    let Some(ph) = b.phases.take() else {
        return;
    };
    define_installed(b, &ph);
    define_hall_starts(b, &ph);
    define_phase_totals(b);
    define_period_ready(b, &ph);
    define_delivery_rows(b, &ph);
    // The dual-track share by every period but the last (the share of the
    // plan's servers is the dual-track row).
    let p = b.p;
    if p.inst.params.domestic_share > 0.0 {
        for k in 0..ph.periods.len().saturating_sub(1) {
            let mut e = Expression::default();
            for o in 0..p.options.len() {
                e += installed_by(b, o, k, &|a| dual_track_coef(p, a));
            }
            b.row(RowKey::PeriodDualTrack { period: k }, e, Sense::Ge, 0.0);
        }
    }
    b.phases = Some(ph);
}

/// Variables: servers installed per period, `installed[o][i][k]`, where the
/// option has IT ready and the accelerator may be delivered.
fn define_installed(b: &mut Builder, ph: &Phases) {
    let p = b.p;
    for (o, opt) in p.options.iter().enumerate() {
        let mut per_accel = Vec::with_capacity(opt.accels.len());
        for &a in &opt.accels {
            let mut per_period = Vec::with_capacity(ph.periods.len());
            for k in 0..ph.periods.len() {
                let mw = ph.ready_mw[o][k];
                if mw <= 0.0 || !ph.allows(a, k) {
                    per_period.push(None);
                    continue;
                }
                // Bounded by the option's final capacity, as its servers are: the
                // IT ready by the period is a row (`PeriodReady`), so that relaxing
                // it (the infeasibility diagnosis) is not undone by a bound.
                let ub = p.max_servers(opt, a);
                let v = match b.integrality {
                    Integrality::Full => b.add(variable().integer().min(0).max(ub), true),
                    Integrality::ContinuousServers | Integrality::Lp => {
                        b.add(variable().min(0).max(ub), false)
                    }
                    Integrality::Pricing => b.add(variable().min(0), false),
                };
                per_period.push(Some(v));
            }
            per_accel.push(per_period);
        }
        b.vars.installed.push(per_accel);
    }
}

/// Hall start months, where they are decisions: a column per candidate
/// month (an outcome of an extensive form takes the first outcome's), one
/// of them 1 where the option is open.
fn define_hall_starts(b: &mut Builder, ph: &Phases) {
    for o in 0..b.p.options.len() {
        let starts: Vec<(f64, Variable)> = match b.shared_starts(o) {
            Some(s) => s,
            None => {
                let months = ph.hall_starts[o].clone();
                months.into_iter().map(|m| (m, b.binary())).collect()
            }
        };
        if !starts.is_empty() {
            let mut e = Expression::default();
            for &(_, z) in &starts {
                e.add_mul(1.0, z);
            }
            e.add_mul(-1.0, b.vars.open[o]);
            b.row(RowKey::HallStart { option: o }, e, Sense::Eq, 0.0);
        }
        b.vars.start.push(starts);
    }
}

/// Servers = Σ installed over the periods.
fn define_phase_totals(b: &mut Builder) {
    let p = b.p;
    for (o, opt) in p.options.iter().enumerate() {
        for (i, &a) in opt.accels.iter().enumerate() {
            let mut e = Expression::from(b.vars.servers[o][i]);
            for v in b.vars.installed[o][i].iter().flatten() {
                e.add_mul(-1.0, *v);
            }
            b.row(
                RowKey::PhaseTotal {
                    option: o,
                    accel: a,
                },
                e,
                Sense::Eq,
                0.0,
            );
        }
    }
}

/// Installed at option `o` by period `k`: Σ_{j ≤ k} installed[o][i][j] × coef(a).
fn installed_by(b: &Builder, o: usize, k: usize, coef: &dyn Fn(usize) -> f64) -> Expression {
    let mut e = Expression::default();
    for (i, &a) in b.p.options[o].accels.iter().enumerate() {
        let c = coef(a);
        if c == 0.0 {
            continue;
        }
        for v in b.vars.installed[o][i][..=k].iter().flatten() {
            e.add_mul(c, *v);
        }
    }
    e
}

/// IT ready by each period, where it is less than the option's final
/// capacity (the site power row holds the rest).
fn define_period_ready(b: &mut Builder, ph: &Phases) {
    let p = b.p;
    let accs = &p.inst.accelerators;
    for (o, opt) in p.options.iter().enumerate() {
        let starts = b.vars.start[o].clone();
        for k in 0..ph.periods.len() {
            let mw = ph.ready_mw[o][k];
            let by = ph.periods[k].installed_by;
            // IT ready by the period from each start month (month 0 alone
            // where the start is not a decision).
            let from: Vec<(Variable, f64)> = if starts.is_empty() {
                vec![(b.vars.open[o], mw)]
            } else {
                starts
                    .iter()
                    .map(|&(m, z)| (z, p.ready_mw_from(ph, o, m, by)))
                    .collect()
            };
            if mw <= 0.0 || from.iter().all(|&(_, x)| x >= opt.ready_it_mw - 1e-9) {
                continue;
            }
            let mut e = installed_by(b, o, k, &|a| accs[a].server_kw / 1000.0);
            for (v, x) in from {
                e.add_mul(-x, v);
            }
            b.row(
                RowKey::PeriodReady {
                    option: o,
                    period: k,
                },
                e,
                Sense::Le,
                0.0,
            );
        }
    }
}

/// Deliveries: cards of each period within its range.
fn define_delivery_rows(b: &mut Builder, ph: &Phases) {
    let p = b.p;
    for (a, acc) in p.inst.accelerators.iter().enumerate() {
        let Some(ranges) = &ph.delivered[a] else {
            continue;
        };
        let cps = acc.cards_per_server as f64;
        for (k, range) in ranges.iter().enumerate() {
            let Some((min, max)) = *range else { continue };
            let mut e = Expression::default();
            for (o, opt) in p.options.iter().enumerate() {
                if let Some(i) = opt.accels.iter().position(|&x| x == a) {
                    if let Some(v) = b.vars.installed[o][i][k] {
                        e.add_mul(cps, v);
                    }
                }
            }
            let key = |bound| RowKey::Delivery {
                accel: a,
                period: k,
                bound,
            };
            if min == max {
                b.row(key(Bound::Exact), e, Sense::Eq, min);
            } else {
                if min > 0.0 {
                    b.row(key(Bound::Min), e.clone(), Sense::Ge, min);
                }
                b.row(key(Bound::Max), e, Sense::Le, max);
            }
        }
    }
}

/// Objective: net present cost, in millions of CNY (subsidy variables are
/// in millions already). With deliveries, the cost of a server (capex and
/// the annuity of its running cost) counts at its delivery month,
/// discounted to month 0.
fn define_objective(b: &Builder) -> Expression {
    let p = b.p;
    let m = CNY_PER_OBJECTIVE_UNIT;
    let mut obj = match &b.phases {
        None => b.sum_servers(|_| true, |o, a| p.npc_per_server(o, a) / m),
        Some(ph) => {
            let mut e = Expression::default();
            for (o, opt) in p.options.iter().enumerate() {
                for (i, &a) in opt.accels.iter().enumerate() {
                    let npc = p.npc_per_server(opt, a) / m;
                    for (k, v) in b.vars.installed[o][i].iter().enumerate() {
                        if let Some(v) = v {
                            e.add_mul(npc * ph.periods[k].discount, *v);
                        }
                    }
                }
            }
            e
        }
    };
    for (o, opt) in p.options.iter().enumerate() {
        obj.add_mul(
            p.inst.sites[opt.site].opening_cost_cny() / m,
            b.vars.open[o],
        );
    }
    // A hall started at month s pays its site's fixed cost then: the start
    // columns carry the discount against month 0.
    for (o, starts) in b.vars.start.iter().enumerate() {
        let fixed = p.inst.sites[p.options[o].site].opening_cost_cny() / m;
        for &(month, z) in starts {
            let saving = fixed * (p.inst.params.discount_at_month(month) - 1.0);
            if saving != 0.0 {
                obj.add_mul(saving, z);
            }
        }
    }
    let contract = p.inst.params.contract_npc_per_mw() / m;
    for &c in &b.vars.contract {
        obj.add_mul(contract, c);
    }
    // No serve columns in a Benders master: the loop prices the assignment.
    for (pair, &v) in p.pairs.iter().zip(&b.vars.serve) {
        if pair.cost_cny_per_card != 0.0 {
            obj.add_mul(pair.cost_cny_per_card / m, v);
        }
    }
    for (jn, j) in p.inst.subsidies.iter().enumerate() {
        obj.add_mul(-p.subsidy_npv_weight(j), b.vars.subsidy[jn]);
    }
    obj
}
