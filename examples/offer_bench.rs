//! The Ningxia question of issue 25 timed: `dcsite offer models/small/baseline.toml
//! --for ningxia --lever per-card-cny --want 100000` (200 samples of the
//! electricity prices; the 8 levels from 0 to the lever's natural maximum
//! plus the break-even level), through the library as the command runs it.
//!
//! cargo build --release --all-targets
//! target/release/examples/offer_bench [SAMPLES] [JOBS]
//!
//! Prints the wall time, the solves of the samples and the figure a naive
//! run (one solve per sample and level) would need at the measured time per
//! solve. BENCHMARKS.md ("Offer") records the figures.

use std::path::PathBuf;
use std::time::Instant;

use dcsite::domain::{AppliesTo, SubsidyKind};
use dcsite::solve::SolveOptions;
use dcsite::study::breakeven::{self, Place};
use dcsite::study::offer::{self, Levels, Spec};
use dcsite::study::sweep::Shard;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let samples: usize = args.first().map_or(200, |s| s.parse().expect("SAMPLES"));
    let jobs: usize = args.get(1).map_or(2, |s| s.parse().expect("JOBS"));
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let spec = Spec {
        place: Place::Region("ningxia".into()),
        lever: SubsidyKind::PerCardCny,
        applies_to: AppliesTo::All,
        want: 100_000,
        levels: Levels::UpTo(None),
        tolerance: None,
        near_optimal: None,
        samples: Some(samples),
        seed: Some(1),
        shard: Shard::WHOLE,
        jobs,
    };
    let opts = SolveOptions {
        mip_gap: Some(breakeven::MIP_GAP),
        ..SolveOptions::default()
    };
    let t = Instant::now();
    let c = offer::compute(
        &root.join("models/small/baseline.toml"),
        &spec,
        &opts,
        &|_| {},
    )
    .expect("the offer runs");
    let wall = t.elapsed().as_secs_f64();
    let o = &c.offer;
    let levels = o.levels.len();
    println!(
        "offer ningxia per-card-cny want 100000: {samples} samples x {levels} levels, {jobs} jobs: {wall:.1} s wall"
    );
    println!(
        "sample solves: {} ({:.2} per sample; a solve per sample and level would be {})",
        o.sample_solves,
        o.sample_solves as f64 / samples.max(1) as f64,
        samples * levels
    );
    println!("answers: {:?}", o.answers);
    for l in &o.levels {
        if let Some(u) = &l.uncertain {
            println!(
                "  level {:>8}: base cards {:>7}, P(win) {:.3}, p10/p50/p90 {:?}/{:?}/{:?}",
                l.level_text, l.base.cards_won, u.p_win, u.cards_p10, u.cards_p50, u.cards_p90
            );
        }
    }
}
