//! The two-stage plan of N outcomes of the 2026 rollout, by the extensive
//! form and by the L-shaped decomposition, side by side: wall time,
//! objective, proven bound and gap, and what the loop did.
//!
//! The outcomes: the supply outcomes of models/supply_risk_2026.toml
//! in turn, each with every province's electricity price scaled by its own
//! draw from U(0.8, 1.25) (seeded), at its probability / (N / 4).
//!
//! ```text
//! cargo run --release --example two_stage -- 100 [--gap 0.001] [--lambda 0.5] [--only l-shaped|extensive]
//! ```

use std::time::Instant;

use rand::{Rng, SeedableRng};

use dcsite::data::outcomes::outcomes_of;
use dcsite::milp::Prepared;
use dcsite::solve::stochastic::{solve_two_stage, Outcome, Risk};
use dcsite::solve::SolveOptions;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(20);
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let gap: f64 = flag("--gap").and_then(|g| g.parse().ok()).unwrap_or(1e-3);
    let lambda: f64 = flag("--lambda").and_then(|g| g.parse().ok()).unwrap_or(0.0);
    let only = flag("--only");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let sc = dcsite::data::scenario::load_scenario(&root.join("models/supply_risk_2026.toml"))
        .expect("models/supply_risk_2026.toml loads");
    let supply = outcomes_of(&sc).expect("its outcomes");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let mut tree: Vec<(f64, Prepared)> = Vec::with_capacity(n);
    for k in 0..n {
        let o = &supply[k % supply.len()];
        let count = (0..n)
            .filter(|i| i % supply.len() == k % supply.len())
            .count();
        let (mut inst, _) = dcsite::data::load::load_tables(&o.scenario).expect("tables");
        for z in &mut inst.prices {
            z.price_cny_per_kwh *= rng.random_range(0.8..1.25);
        }
        tree.push((o.probability / count as f64, Prepared::new(inst)));
    }
    let views: Vec<Outcome> = tree
        .iter()
        .map(|(q, p)| Outcome { p, probability: *q })
        .collect();
    let risk = Risk {
        alpha: 0.75,
        lambda,
    };
    println!(
        "{n} outcomes of the 2026 rollout (small set), gap {gap}, lambda {lambda}, {} threads",
        std::thread::available_parallelism().map_or(1, |t| t.get())
    );
    println!(
        "| method | wall s | objective bn CNY | bound bn CNY | gap | sites built now | loop |"
    );
    println!("|---|---:|---:|---:|---:|---:|---|");
    for (name, decompose) in [("extensive", false), ("l-shaped", true)] {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let mut opts = SolveOptions {
            mip_gap: Some(gap),
            ..SolveOptions::default()
        };
        opts.strategy.l_shaped = Some(decompose);
        let t = Instant::now();
        match solve_two_stage(&views, risk, &opts, None) {
            Ok(two) => {
                let loop_ = two.decomposition.as_ref().map_or(String::new(), |s| {
                    format!(
                        "built in {:.1} s; {} LP + {} MIP rounds, {} cuts, {} outcome LPs ({:.1} s), master {:.1} s, {} raises; whole servers {:.1} s",
                        s.build_seconds,
                        s.lp_rounds,
                        s.mip_rounds,
                        s.cuts,
                        s.outcome_solves,
                        s.outcome_seconds,
                        s.master_seconds,
                        s.penalty_raises,
                        s.second_stage_seconds
                    )
                });
                println!(
                    "| {name} | {:.1} | {:.4} | {:.4} | {:.2e} | {} | {loop_} |",
                    t.elapsed().as_secs_f64(),
                    two.objective_cny / 1e9,
                    two.bound_cny / 1e9,
                    two.mip_gap,
                    two.first_stage.built.len(),
                );
            }
            Err(e) => println!(
                "| {name} | {:.1} | failed: {e} | | | | |",
                t.elapsed().as_secs_f64()
            ),
        }
    }
}
