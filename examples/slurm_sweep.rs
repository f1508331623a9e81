//! Sharded-sweep benchmark on a local single-node Slurm (the cluster of
//! tests/slurm_support, started and stopped here; needs root and Debian's
//! Slurm and munge, see scripts/setup.sh).
//!
//! cargo build --release && cargo run --release --example slurm_sweep -- SWEEP SHARDS [dcsite options]
//!
//! Submits examples/slurm/sweep.sbatch as a SHARDS-task array and the
//! dependent collect job, waits for both, and prints one line: shards,
//! scenarios, seconds from submission until the last shard committed its
//! manifest (cluster start excluded), and the collect's seconds (from the
//! last manifest to sweep.json): file times, because `sbatch --wait` polls
//! with growing intervals and returns seconds late.

#[path = "../tests/slurm_support/mod.rs"]
mod slurm_support;

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    assert!(
        args.len() >= 2,
        "usage: slurm_sweep SWEEP SHARDS [dcsite sweep options]"
    );
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let sweep = std::path::absolute(&args[0]).unwrap();
    let shards: usize = args[1].parse().expect("SHARDS: a whole number");
    let extra = &args[2..];
    let slurm = slurm_support::Slurm::start();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let bin = root.join("target/release");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = root.join("examples/slurm/sweep.sbatch");
    let submit = |opts: &[String]| -> String {
        let o = slurm
            .command("sbatch")
            .env("PATH", &path)
            .arg("--parsable")
            .arg(format!("--chdir={}", root.display()))
            .arg(format!("--output={}/%x-%A_%a.log", work.path().display()))
            .args(opts)
            .arg(&script)
            .arg(&sweep)
            .arg(&out)
            .args(extra)
            .output()
            .unwrap();
        slurm.check(&o, "sbatch");
        let id = String::from_utf8_lossy(&o.stdout).trim().to_string();
        id.split(';').next().unwrap().to_string()
    };
    let t0 = Instant::now();
    let submitted = std::time::SystemTime::now();
    let array = submit(&[format!("--array=0-{}", shards - 1)]);
    submit(&[
        "--wait".into(),
        format!("--dependency=afterok:{array}"),
        "--job-name=collect".into(),
    ]);
    let wall = t0.elapsed().as_secs_f64();
    // The collect job's own time: its log's modification minus the last
    // shard manifest's.
    let mtime = |p: PathBuf| {
        std::fs::metadata(&p)
            .and_then(|m| m.modified())
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    let last_manifest = (0..shards)
        .map(|i| mtime(out.join(format!("parts/manifest-{i:04}of{shards:04}.json"))))
        .max()
        .unwrap();
    let collect = mtime(out.join("sweep.json"))
        .duration_since(last_manifest)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let shards_wall = last_manifest
        .duration_since(submitted)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let scenarios = std::fs::read_to_string(out.join("sweep.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["scenarios"].as_u64())
        .unwrap_or(0);
    println!(
        "shards {shards}  scenarios {scenarios}  shards done {shards_wall:.1} s after submission  \
         collect {collect:.1} s  (sbatch --wait returned after {wall:.1} s: it polls)"
    );
}
