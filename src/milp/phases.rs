//! Phased deliveries (`[[deliveries]]`): the periods of a plan in time and
//! what each site option has ready in each of them. No solver here.
//!
//! The periods are the distinct delivery months. Cards delivered at month m
//! are installed by m + install window (`install_days` / 30); an option can
//! take them when its IT is usable by then: the IT in service at month 0
//! (`sites.ready_it_mw`, all of an existing site), or a new hall ready after
//! its lead time (grid and cooling, campus phases as in `prepare`). When some
//! accelerator has no delivery and the last window closes before the
//! deadline, a closing period at the deadline takes its cards.

use super::prepare::{ready_it_mw, Prepared, SiteOption};
use crate::domain::*;

/// (min, max) cards of a period's deliveries of one accelerator.
pub type CardRange = (f64, f64);

/// One period of a phased plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    /// Month the period's cards arrive (0-based from the plan's start).
    pub month: f64,
    /// Month by which they are installed: `month` + the install window.
    pub installed_by: f64,
    /// Present value of 1 CNY spent at `month` ([`Params::discount_at_month`]).
    pub discount: f64,
}

/// The periods of a phased plan and what every option has ready in each.
#[derive(Debug, Clone, PartialEq)]
pub struct Phases {
    pub periods: Vec<Period>,
    /// Month from which each option has IT usable: 0 where IT is in service
    /// at month 0, else its lead time.
    pub ready_month: Vec<f64>,
    /// Lead time of each option's new hall, months (grid and cooling).
    pub lead_months: Vec<f64>,
    /// IT MW in service at month 0 at each option's site.
    pub in_service_mw: Vec<f64>,
    /// IT MW each option has usable by each period's `installed_by`
    /// (`[option][period]`), never above the option's `ready_it_mw`.
    pub ready_mw: Vec<Vec<f64>>,
    /// Each option's candidate start months of its new hall, when the start
    /// is a decision (`hall_start_step_months`, a site with a fixed cost and
    /// a new hall): 0, the step, twice it, … while the hall is still ready by
    /// the deadline (the same months in every outcome of a two-stage plan).
    /// Empty where the hall starts at month 0 as given.
    pub hall_starts: Vec<Vec<f64>>,
    /// Per accelerator: `None` when no delivery names it (its cards may come
    /// in any period), else each period's (min, max) cards, `None` in a
    /// period without a delivery of it.
    pub delivered: Vec<Option<Vec<Option<CardRange>>>>,
}

impl Phases {
    /// Whether accelerator `a` may get cards in period `k`.
    pub fn allows(&self, a: usize, k: usize) -> bool {
        match &self.delivered[a] {
            None => true,
            Some(by_period) => by_period[k].is_some(),
        }
    }
}

/// IT MW an option has usable at `month`: the larger of what is in service
/// at month 0 and what its new hall (campus phases included) has brought
/// online by then, never above what it has by the deadline.
fn usable_mw(inst: &Instance, o: &SiteOption, lead: f64, in_service: f64, month: f64) -> f64 {
    let site = &inst.sites[o.site];
    let new = if month + 1e-9 >= lead {
        let mut at = inst.params.clone();
        at.deadline_months = month;
        ready_it_mw(site.max_it_mw, lead, &at)
    } else {
        0.0
    };
    new.max(in_service).min(o.ready_it_mw)
}

impl Prepared {
    /// The months of the periods: the distinct delivery months, ascending,
    /// and the closing period's (see the module) when there is one. Empty
    /// without deliveries.
    pub fn period_months(&self) -> Vec<f64> {
        let inst = &self.inst;
        let prm = &inst.params;
        let install = prm.install_months();
        let mut months: Vec<f64> = inst.deliveries.iter().map(|d| d.month).collect();
        months.sort_by(f64::total_cmp);
        months.dedup();
        let free = inst
            .accelerators
            .iter()
            .any(|a| !inst.deliveries.iter().any(|d| d.accel == a.id));
        if let Some(&last) = months.last() {
            if free && last + install < prm.deadline_months - 1e-9 {
                // Cards of accelerators without deliveries may still come by the deadline.
                months.push(prm.deadline_months - install);
            }
        }
        months
    }

    /// The phased periods of the instance; `None` without deliveries (the
    /// single-period model).
    pub fn phases(&self) -> Option<Phases> {
        let inst = &self.inst;
        if inst.deliveries.is_empty() {
            return None;
        }
        let prm = &inst.params;
        let install = prm.install_months();
        let months = self.period_months();
        let periods: Vec<Period> = months
            .iter()
            .map(|&m| Period {
                month: m,
                installed_by: m + install,
                discount: prm.discount_at_month(m),
            })
            .collect();
        let delivered = inst
            .accelerators
            .iter()
            .map(|a| {
                let mine: Vec<&Delivery> =
                    inst.deliveries.iter().filter(|d| d.accel == a.id).collect();
                (!mine.is_empty()).then(|| {
                    periods
                        .iter()
                        .map(|per| {
                            let at: Vec<&&Delivery> =
                                mine.iter().filter(|d| d.month == per.month).collect();
                            (!at.is_empty()).then(|| {
                                (
                                    at.iter().map(|d| d.min_cards).sum(),
                                    at.iter().map(|d| d.max_cards).sum(),
                                )
                            })
                        })
                        .collect()
                })
            })
            .collect();
        let mut ready_month = Vec::with_capacity(self.options.len());
        let mut lead_months = Vec::with_capacity(self.options.len());
        let mut in_service_mw = Vec::with_capacity(self.options.len());
        let mut ready_mw = Vec::with_capacity(self.options.len());
        let mut hall_starts = Vec::with_capacity(self.options.len());
        let last = prm.deadline_months;
        for o in &self.options {
            let site = &inst.sites[o.site];
            let lead = site
                .grid_lead_months
                .max(inst.cooling[o.cooling].lead_months);
            let in_service = site.in_service_it_mw();
            ready_month.push(if in_service > 0.0 { 0.0 } else { lead });
            lead_months.push(lead);
            in_service_mw.push(in_service);
            ready_mw.push(
                periods
                    .iter()
                    .map(|per| usable_mw(inst, o, lead, in_service, per.installed_by))
                    .collect(),
            );
            hall_starts.push(
                if self.decides_hall_starts()
                    && site.opening_cost_cny() > 0.0
                    && in_service < o.ready_it_mw - 1e-9
                {
                    let grid = start_grid(prm.hall_start_step_months, last - lead);
                    if grid.len() > 1 {
                        grid
                    } else {
                        Vec::new()
                    }
                } else {
                    Vec::new()
                },
            );
        }
        Some(Phases {
            periods,
            ready_month,
            lead_months,
            in_service_mw,
            ready_mw,
            hall_starts,
            delivered,
        })
    }

    /// Whether a new hall's start month is a decision of the model: with
    /// phased deliveries and `hall_start_step_months` above 0.
    pub fn decides_hall_starts(&self) -> bool {
        self.inst.params.hall_start_step_months > 0.0 && !self.inst.deliveries.is_empty()
    }

    /// IT MW option `o` has usable at `month` when its new hall starts at
    /// month `start` (its lead time, and campus phases, counted from there).
    pub fn ready_mw_from(&self, ph: &Phases, o: usize, start: f64, month: f64) -> f64 {
        usable_mw(
            &self.inst,
            &self.options[o],
            start + ph.lead_months[o],
            ph.in_service_mw[o],
            month,
        )
    }
}

/// Start months 0, step, 2 × step, … up to `latest` (at least month 0).
fn start_grid(step: f64, latest: f64) -> Vec<f64> {
    let mut out = vec![0.0];
    let mut k = 1.0;
    while step > 0.0 && k * step <= latest + 1e-9 {
        out.push(k * step);
        k += 1.0;
    }
    out
}

/// Latest month at which a new hall must be started so that the site has
/// `it_mw` usable by `by_month`: its lead time before, and with campus
/// phases one phase interval earlier for every further phase it needs.
pub fn latest_start(prm: &Params, lead: f64, it_mw: f64, by_month: f64) -> f64 {
    let extra_phases = match prm.campus_phase_mw {
        Some(phase) if phase > 0.0 => ((it_mw / phase) - 1e-9).ceil().max(1.0) - 1.0,
        _ => 0.0,
    };
    by_month - lead - extra_phases * prm.campus_phase_months
}
