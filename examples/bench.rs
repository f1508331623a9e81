//! Scale benchmark: synthetic national datasets of growing size solved by the
//! release binary, one process each, with the time split and peak memory.
//!
//! cargo build --release && cargo run --release --example bench -- [--sites 50,200,1000,3000] [--cities 300] [--gap 0.01] [--time-limit 600]
//!
//! Prints a Markdown table (the one in BENCHMARKS.md).

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};

mod support;

use support::synth::{write_synth, SynthSpec};

/// Runs a command and returns (stdout, stderr, peak resident memory in KiB, exit code).
// The child is reaped by wait4 below (which also gives its own rusage), not by Child::wait.
#[allow(clippy::zombie_processes)]
fn run_measured(cmd: &mut Command) -> (String, String, i64, i32) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn dcsite");
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value; wait4 fills it for this child only.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (out, err, usage.ru_maxrss, code)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut sizes = vec![50usize, 200, 1000, 3000];
    let mut cities = 300usize;
    let mut gap = 0.01f64;
    let mut time_limit = 600.0f64;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next().expect("a value after each flag");
        match a.as_str() {
            "--sites" => sizes = v.split(',').map(|x| x.parse().expect("sizes")).collect(),
            "--cities" => cities = v.parse().expect("cities"),
            "--gap" => gap = v.parse().expect("gap"),
            "--time-limit" => time_limit = v.parse().expect("seconds"),
            _ => panic!("unknown flag {a}"),
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bin = root.join("target/release/dcsite");
    assert!(
        bin.exists(),
        "build the release binary first: cargo build --release"
    );
    println!("| sites | cities | columns | integer | rows | status | gap | load s | build s | solve s | write s | total s | outside solver | peak MiB |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        let dir = tempfile::tempdir().unwrap();
        let spec = SynthSpec {
            sites: n,
            cities,
            seed: 1,
        };
        let scenario = write_synth(&spec, &root.join("data/small"), dir.path()).unwrap();
        let t0 = std::time::Instant::now();
        let (out, err, rss_kib, code) = run_measured(
            Command::new(&bin)
                .arg("solve")
                .arg(&scenario)
                .arg("--out")
                .arg(dir.path().join("out"))
                .args([
                    "--json",
                    "--mip-gap",
                    &gap.to_string(),
                    "--time-limit",
                    &time_limit.to_string(),
                ]),
        );
        let wall = t0.elapsed().as_secs_f64();
        if code != 0 {
            println!(
                "| {n} | {cities} | | | | exit {code}: {} | | | | | | {wall:.1} | | {} |",
                err.lines().next().unwrap_or(""),
                rss_kib / 1024
            );
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(out.trim()).expect("--json output");
        let t = &v["timings"];
        let (l, b, s, w) = (
            t["load_seconds"].as_f64().unwrap(),
            t["build_seconds"].as_f64().unwrap(),
            t["solve_seconds"].as_f64().unwrap(),
            t["write_seconds"].as_f64().unwrap(),
        );
        let total = l + b + s + w;
        println!(
            "| {n} | {cities} | {} | {} | {} | {} | {:.4} % | {l:.2} | {b:.2} | {s:.2} | {w:.2} | {total:.2} | {:.0} % | {} |",
            v["model"]["columns"],
            v["model"]["integer_columns"],
            v["model"]["rows"],
            v["status"].as_str().unwrap(),
            v["mip_gap"].as_f64().unwrap() * 100.0,
            100.0 * (l + b + w) / total,
            rss_kib / 1024
        );
    }
}
