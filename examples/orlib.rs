//! Solves an OR-Library capacitated warehouse location instance through the
//! same model builder and solver as `dcsite solve`, and prints one JSON line.
//!
//! cargo run --release --example orlib -- bench/orlib/cap41.txt
//! cargo run --release --example orlib -- bench/orlib/capa.txt --capacity 8000
//! cargo run --release --example orlib -- --all bench/orlib   (table of the 37 small ones)
//!
//! `--benders` / `--no-benders` force Benders decomposition on or off (by
//! default it is used from 20,000 city-site pairs: capa/capb/capc).
//! `--branch-nodes N` limits phase 1's own branch and bound to N nodes before
//! HiGHS's MIP goes on (0: HiGHS's MIP from the start; by default 1,000
//! nodes on instances of up to 5,000 city-site pairs).
//! `--all-link-rows` puts every city-site link row into the model up front
//! instead of letting the cut loop add them (for comparison); `--plan-only`
//! stops at the checked optimal plan (no shadow prices, no costs of unbuilt
//! sites), which is all a MIP solver such as CBC computes. `wall_seconds`
//! is the whole solve, explanations included. With `ORLIB_EXPLAIN=1` the line
//! also holds the shadow prices and the unbuilt sites' reasons (to compare
//! two builds); `ORLIB_LOG=1` prints HiGHS's log.

use std::path::{Path, PathBuf};
use std::time::Instant;

mod support;

use dcsite::solve::{solve, Explain, SolveOptions, StrategyOptions};
use support::{cap_to_prepared, parse_cap};

fn run(
    path: &Path,
    capacity: Option<f64>,
    opts: &SolveOptions,
) -> Result<serde_json::Value, String> {
    let name = path.file_stem().unwrap().to_string_lossy().into_owned();
    let t0 = Instant::now();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let cap = parse_cap(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let p = cap_to_prepared(&name, &cap, capacity)?;
    let prepare_seconds = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let plan = solve(&p, opts).map_err(|e| e.to_string())?;
    let wall_seconds = t1.elapsed().as_secs_f64();
    let instance = match capacity {
        Some(c) if cap.capacity.iter().any(Option::is_none) => format!("{name}-{c}"),
        _ => name,
    };
    let mut v = serde_json::json!({
        "instance": instance,
        "objective": plan.objective_cny,
        "status": plan.status.as_str(),
        "mip_gap": plan.mip_gap,
        "build_seconds": prepare_seconds + plan.build_seconds,
        "solve_seconds": plan.solve_seconds,
        "link_rows_in_model": plan.link_rows.map(|l| l.rows_in_model),
        "benders": plan.link_rows.and_then(|l| l.benders).map(|b| serde_json::json!({
            "cuts": b.cuts, "lp_rounds": b.lp_rounds, "mip_rounds": b.mip_rounds, "neighbours": b.neighbours_evaluated,
        })),
        "branch_and_bound": plan.link_rows.and_then(|l| l.branch).map(|b| serde_json::json!({
            "nodes": b.nodes, "lp_solves": b.lp_solves, "finished": b.finished,
        })),
        // The whole `solve` (the plan and, unless --plan-only, its explanations).
        "wall_seconds": wall_seconds,
    });
    if std::env::var_os("ORLIB_EXPLAIN").is_some() {
        // The explanations as a planner reads them (rounded as summary.json
        // rounds them), to compare two builds.
        let r2 = |x: f64| (x * 100.0).round() / 100.0;
        v["shadow_prices"] = plan
            .shadow_prices
            .iter()
            .map(|sp| {
                let o = sp.one_sided.as_ref();
                serde_json::json!([
                    sp.constraint,
                    r2(sp.cny_per_unit),
                    sp.checked,
                    o.and_then(|o| o.down).map(r2),
                    o.and_then(|o| o.up).map(r2),
                ])
            })
            .collect();
        v["unbuilt"] = plan
            .sites
            .iter()
            .filter(|s| !s.built)
            .map(|s| {
                serde_json::json!([
                    s.site,
                    s.build_cost_gap_cny.map(f64::round),
                    s.not_built_reason
                ])
            })
            .collect();
    }
    Ok(v)
}

fn optima(dir: &Path) -> Vec<(String, f64)> {
    std::fs::read_to_string(dir.join("optima.csv"))
        .expect("optima.csv")
        .lines()
        .skip(1)
        .filter_map(|l| {
            let (a, b) = l.split_once(',')?;
            Some((a.to_string(), b.trim().parse().ok()?))
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut capacity = None;
    let mut time_limit = None;
    let mut all = None;
    let mut file = None;
    let mut all_links = false;
    let mut plan_only = false;
    let mut benders = None;
    let mut branch_nodes = None;
    let mut highs_options = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--capacity" => capacity = it.next().and_then(|v| v.parse::<f64>().ok()),
            "--time-limit" => time_limit = it.next().and_then(|v| v.parse::<f64>().ok()),
            "--all" => all = it.next().map(PathBuf::from),
            "--all-link-rows" => all_links = true,
            "--plan-only" => plan_only = true,
            "--benders" => benders = Some(true),
            "--no-benders" => benders = Some(false),
            "--branch-nodes" => branch_nodes = it.next().and_then(|v| v.parse::<usize>().ok()),
            "--highs-option" => {
                if let Some((k, v)) = it.next().and_then(|kv| kv.split_once('=')) {
                    highs_options.push((k.to_string(), v.to_string()));
                }
            }
            other => file = Some(PathBuf::from(other)),
        }
    }
    let opts = SolveOptions {
        time_limit_s: time_limit,
        mip_gap: Some(1e-9),
        threads: None,
        log: std::env::var_os("ORLIB_LOG").is_some(),
        highs_options,
        deadline: None,
        relaxation_check_s: None,
        link_seed: None,
        // The plan only: what a MIP solver such as CBC computes.
        explain: if plan_only {
            Explain::PlanOnly
        } else {
            Explain::Full
        },
        strategy: StrategyOptions {
            // Every link row up front instead of the cut loop (a comparison).
            all_link_rows: all_links,
            pair_pricing: None,
            // Benders decomposition forced on or off (by default: on large instances).
            benders,
            // Phase 1's own branch and bound: its node limit (0: HiGHS's MIP).
            branch_nodes,
            // Two-stage plans only.
            l_shaped: None,
        },
    };
    if let Some(dir) = all {
        println!("| instance | published optimum | dcsite objective | rel. error | status | build s | solve s |");
        println!("|---|---|---|---|---|---|---|");
        let mut worst: f64 = 0.0;
        let mut total = 0.0;
        for (name, opt) in optima(&dir) {
            let path = dir.join(format!("{name}.txt"));
            if !path.exists() {
                continue; // the large instances appear once per capacity (capa-8000 …)
            }
            match run(&path, None, &opts) {
                Ok(v) => {
                    let obj = v["objective"].as_f64().unwrap();
                    let err = (obj - opt).abs() / opt;
                    worst = worst.max(err);
                    let s = v["solve_seconds"].as_f64().unwrap();
                    total += s;
                    println!(
                        "| {name} | {opt:.3} | {obj:.3} | {err:.1e} | {} | {:.3} | {s:.3} |",
                        v["status"].as_str().unwrap(),
                        v["build_seconds"].as_f64().unwrap()
                    );
                }
                Err(e) => println!("| {name} | {opt:.3} | error: {e} | | | | |"),
            }
        }
        println!("\nworst relative error {worst:.1e}; total solve time {total:.2} s");
        return;
    }
    let Some(file) = file else {
        eprintln!(
            "usage: orlib <instance file> [--capacity <value>] [--time-limit <s>] [--all-link-rows] [--plan-only] [--benders|--no-benders] [--branch-nodes N] [--highs-option K=V] | --all <dir> [same options]"
        );
        std::process::exit(2);
    };
    match run(&file, capacity, &opts) {
        Ok(v) => println!("{v}"),
        Err(e) => {
            eprintln!("orlib: {e}");
            std::process::exit(2);
        }
    }
}
