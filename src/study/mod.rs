//! Studies made of many solves: several scenarios side by side
//! (`solve_all`, read by `compare`) and the break-even search of a subsidy
//! lever (`breakeven`); what a forecast's ranges imply (`implied`); a sweep
//! of drawn or gridded scenarios and how robust its answer is (`sweep`);
//! what a place must offer, and how sure that is (`offer`).

pub mod breakeven;
pub mod build_now;
pub mod hedge;
pub mod implied;
pub mod offer;
pub mod sweep;

use std::collections::BTreeSet;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::compare::Solved;
use crate::data::Problems;
use crate::milp::Prepared;
use crate::solve::{solve, SolveError, SolveOptions};

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("{}", .0)]
    Input(Problems),
    #[error("{path}: {source}")]
    Solve {
        path: PathBuf,
        #[source]
        source: SolveError,
    },
    #[error("scenario names must differ: {0} appears twice (set `name` in one of the files)")]
    DuplicateName(String),
}

/// Loads and solves every scenario, in parallel where cores allow; results
/// keep the order given. With `near_optimal` (a share of each optimum), each
/// plan gets its near-optimal ranges. `done` is called once per finished
/// scenario.
pub fn solve_all(
    paths: &[PathBuf],
    opts: &SolveOptions,
    near_optimal: Option<f64>,
    done: &(dyn Fn(&str) + Sync),
) -> Result<Vec<Solved>, CompareError> {
    let mut loaded = Vec::new();
    let mut problems = Problems::default();
    // `opts.deadline` (--time-limit) bounds the whole run: loading, preparing
    // and every solve, each of which gets what is left of it.
    let time_up = |path: &PathBuf, t| CompareError::Solve {
        path: path.clone(),
        source: SolveError::TimeUp(t),
    };
    for path in paths {
        match crate::data::load_within(path, opts.deadline.as_ref()) {
            Ok((sc, inst, _)) => loaded.push((sc.name.clone(), path.clone(), inst)),
            Err(crate::data::LoadError::Problems(p)) => problems.0.extend(p.0),
            Err(crate::data::LoadError::TimeUp(t)) => return Err(time_up(path, t)),
        }
    }
    if !problems.is_empty() {
        return Err(CompareError::Input(problems));
    }
    let mut seen = BTreeSet::new();
    for (name, _, _) in &loaded {
        if !seen.insert(name.clone()) {
            return Err(CompareError::DuplicateName(name.clone()));
        }
    }
    loaded
        .into_par_iter()
        .map(|(name, path, inst)| {
            let prepared = Prepared::new_within(inst, opts.deadline.as_ref())
                .map_err(|t| time_up(&path, t))?;
            let fail = |source| CompareError::Solve {
                path: path.clone(),
                source,
            };
            let mut plan = solve(&prepared, opts).map_err(fail)?;
            if let Some(share) = near_optimal {
                plan.near_optimal =
                    Some(crate::solve::near_optimal(&prepared, &plan, share, opts).map_err(fail)?);
            }
            done(&name);
            Ok(Solved { name, path, plan })
        })
        .collect()
}
