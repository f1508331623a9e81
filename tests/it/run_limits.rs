//! Issue 10 leftovers: `--time-limit` bounds the whole run (loading and
//! preparing the model too, exit 4 naming the limit and what to try), and
//! scenario refusals that have a line name it.

use crate::common;

use crate::support;

use std::process::{Command, Output};
use std::time::Instant;

use common::*;
use support::synth::{write_synth, SynthSpec};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dcsite"));
    c.current_dir(root()).env("NO_COLOR", "1");
    c
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn time_limit_bounds_loading_and_preparing_the_model() {
    let dir = tempfile::tempdir().unwrap();
    // 40,000 sites × 300 cities: preparing the latencies alone takes seconds.
    let spec = SynthSpec {
        sites: 40_000,
        cities: 300,
        seed: 7,
    };
    let sc = write_synth(&spec, &root().join("data/small"), dir.path()).unwrap();
    // 2 s passes while loading or (usually) preparing the model; 1 µs before
    // the scenario is read.
    for (limit, stages) in [
        ("2", &["loading the tables", "preparing the model"][..]),
        ("0.000001", &["reading the scenario"][..]),
    ] {
        let out = dir.path().join(format!("out-{limit}"));
        let t0 = Instant::now();
        let o = bin()
            .args([
                "solve",
                sc.to_str().unwrap(),
                "--quiet",
                "--time-limit",
                limit,
            ])
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        let took = t0.elapsed().as_secs_f64();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(4), "expected exit 4:\n{err}");
        assert!(
            err.contains(&format!("--time-limit {limit} s"))
                && stages.iter().any(|s| err.contains(s))
                && err.contains("before any plan existed")
                && err.contains("try a longer --time-limit"),
            "{err}"
        );
        assert!(
            took < 10.0,
            "a {limit} s limit stopped the run after {took:.1} s"
        );
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(summary["status"], "no_plan");
    }
    // Without the limit, the same scenario loads and validates (exit 0).
    let o = bin().arg("validate").arg(&sc).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// Validates `text` written as `models/x.toml` of a scratch copy; asserts
/// exit 2 and that stderr names every part.
fn refused(name: &str, text: &str, parts: &[&str]) {
    let (_d, base) = scratch_copy();
    let sc = base.with_file_name(name);
    std::fs::write(&sc, text).unwrap();
    let o = bin().arg("validate").arg(&sc).output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "expected exit 2:\n{err}");
    for p in parts {
        assert!(err.contains(p), "{p:?} not in:\n{err}");
    }
}

#[test]
fn scenario_refusals_name_their_line() {
    // A table path that is not a string.
    refused(
        "x.toml",
        "extends = \"baseline.toml\"\n\n[tables]\nsites = 3\n",
        &["x.toml: row 4, column tables.sites", "a file path"],
    );
    // `extends` that is not a string, or names no file.
    refused(
        "x.toml",
        "name = \"x\"\nextends = 3\n",
        &["x.toml: row 2, column extends", "a scenario file path"],
    );
    refused(
        "x.toml",
        "# a comment\nextends = \"nowhere.toml\"\n",
        &["x.toml: row 2, column extends", "an existing scenario file"],
    );
    // A cycle: named at the `extends` line that closes it.
    let (_d, base) = scratch_copy();
    let a = base.with_file_name("a.toml");
    let b = base.with_file_name("b.toml");
    std::fs::write(&a, "extends = \"b.toml\"\n").unwrap();
    std::fs::write(&b, "name = \"b\"\n\nextends = \"a.toml\"\n").unwrap();
    let o = bin().arg("validate").arg(&a).output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("b.toml: row 3, column extends") && err.contains("without a cycle"),
        "{err}"
    );
}

#[test]
fn time_limit_bounds_compare_and_breakeven_too() {
    let dir = tempfile::tempdir().unwrap();
    let spec = SynthSpec {
        sites: 40_000,
        cities: 300,
        seed: 7,
    };
    let a = write_synth(&spec, &root().join("data/small"), &dir.path().join("a")).unwrap();
    let b = dir.path().join("a").join("b.toml");
    std::fs::write(
        &b,
        "extends = \"scenario.toml\"\nname = \"b\"\n[parameters]\nutilisation = 0.75\n",
    )
    .unwrap();
    let out = dir.path().join("cmp");
    let curve = dir.path().join("curve.csv");
    let runs: [Vec<&std::ffi::OsStr>; 2] = [
        vec![
            "compare".as_ref(),
            a.as_os_str(),
            b.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ],
        vec![
            "breakeven".as_ref(),
            a.as_os_str(),
            "--region".as_ref(),
            "central".as_ref(),
            "--cards".as_ref(),
            "1000".as_ref(),
            "--lever".as_ref(),
            "per-card-cny".as_ref(),
            "--out".as_ref(),
            curve.as_os_str(),
        ],
    ];
    for args in runs {
        let mut cmd = bin();
        cmd.args(&args).args(["--quiet", "--time-limit", "1"]);
        let o = common::run_guarded(&mut cmd, 120);
        let err = stderr(&o);
        assert_eq!(
            o.status.code(),
            Some(4),
            "{:?}: expected exit 4:\n{err}",
            args[0]
        );
        assert!(
            err.contains("time limit") && err.contains("try a longer --time-limit"),
            "{:?}: {err}",
            args[0]
        );
        assert!(!out.exists() && !curve.exists(), "nothing written");
    }
}

#[test]
fn the_model_builder_and_every_solve_check_the_run_deadline() {
    use dcsite::domain::Deadline;
    use dcsite::milp::{build_within, Integrality, Prepared};
    use dcsite::solve::{solve, SolveError, SolveOptions};
    let p = Prepared::new(two_sites(100.0, 0.4, 0.5));
    // A deadline already passed: the builder stops before the first family.
    let past = Deadline::from(Instant::now(), 0.0);
    let Err(e) = build_within(&p, Integrality::Full, Some(&past)) else {
        panic!("a passed deadline must stop the builder");
    };
    assert_eq!(e.stage, "building the model");
    assert!(e.to_string().contains("try a longer --time-limit"), "{e}");
    // A solve (as compare and breakeven run them) stops with TimeUp, exit 4.
    let opts = SolveOptions {
        deadline: Some(past),
        ..Default::default()
    };
    match solve(&p, &opts) {
        Err(SolveError::TimeUp(t)) => assert_eq!(t.limit_s, 0.0),
        other => panic!("expected TimeUp, got {:?}", other.map(|p| p.objective_cny)),
    }
    // With time left the same model builds and solves.
    let later = Deadline::from(Instant::now(), 600.0);
    assert!(build_within(&p, Integrality::Full, Some(&later)).is_ok());
    let opts = SolveOptions {
        deadline: Some(later),
        ..Default::default()
    };
    assert!(solve(&p, &opts).is_ok());
}

// ------------------------------------------------ issue 23: bounded durations

/// Asserts a refusal by the flag parser: exit 2, the flag named, no panic.
fn refused_flag(o: &Output, flag: &str, what: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{what}: expected exit 2:\n{err}");
    assert!(err.contains(flag), "{what}: {flag} not named:\n{err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
}

#[test]
fn extreme_durations_and_counts_are_refused_by_every_solving_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let out = out.to_str().unwrap();
    // Every command that solves, with arguments that are otherwise valid.
    let commands: Vec<Vec<&str>> = vec![
        vec!["solve", "models/small/baseline.toml", "--out", out],
        vec![
            "compare",
            "models/small/baseline.toml",
            "models/small/central_push.toml",
            "--out",
            out,
        ],
        vec![
            "breakeven",
            "models/small/baseline.toml",
            "--region",
            "central",
            "--cards",
            "1000",
            "--lever",
            "per-card-cny",
            "--out",
            out,
        ],
        vec![
            "implied",
            "models/small/forecast_2028.toml",
            "--ranges",
            "models/small/forecast_ranges.csv",
        ],
        vec![
            "sweep",
            "models/small/sweeps/price_uncertainty.toml",
            "--out",
            out,
        ],
        vec![
            "sweep",
            "plan",
            "models/small/sweeps/price_uncertainty.toml",
            "--shards",
            "2",
        ],
        vec!["sweep", "collect", out],
    ];
    for args in &commands {
        for bad in [
            "1e19",
            "1e300",
            "18446744073709551616",
            "inf",
            "nan",
            "0",
            "-1",
        ] {
            let o = bin()
                .args(args)
                .arg(format!("--time-limit={bad}"))
                .output()
                .unwrap();
            refused_flag(&o, "--time-limit", &format!("{args:?} --time-limit={bad}"));
        }
        for (flag, bad) in [
            ("--threads", "4294967295"),
            ("--threads", "0"),
            ("--mip-gap", "1e300"),
        ] {
            let o = bin()
                .args(args)
                .arg(format!("{flag}={bad}"))
                .output()
                .unwrap();
            refused_flag(&o, flag, &format!("{args:?} {flag}={bad}"));
        }
    }
    for bad in ["1e300", "1e19", "inf", "0"] {
        let o = bin()
            .args(["solve", "models/small/baseline.toml", "--out", out])
            .args(["--near-optimal", "0.005"])
            .arg(format!("--near-optimal-seconds={bad}"))
            .output()
            .unwrap();
        refused_flag(&o, "--near-optimal-seconds", bad);
    }
    assert!(!dir.path().join("o").exists(), "nothing written");
    // The largest accepted limit runs (and solves) normally.
    let o = bin()
        .args([
            "solve",
            "models/small/baseline.toml",
            "--out",
            out,
            "--quiet",
        ])
        .args(["--time-limit", "1e9", "--mip-gap", "0.05"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_deadline_never_overflows_the_clock() {
    use dcsite::domain::{instant_after, Deadline, MAX_LIMIT_SECONDS};
    let now = Instant::now();
    for s in [
        1e19,
        1e300,
        f64::MAX,
        f64::INFINITY,
        f64::NAN,
        -1.0,
        f64::NEG_INFINITY,
        0.0,
    ] {
        let d = Deadline::from(now, s);
        assert!(d.at >= now, "{s}");
        assert!(d.left_s() <= MAX_LIMIT_SECONDS, "{s}");
        let _ = d.check("testing");
    }
    assert_eq!(instant_after(now, -5.0), now);
    assert!(instant_after(now, 1e300) >= instant_after(now, 1e6));
}

/// The baseline with near-optimal ranges under a 2 s limit: the plain solve
/// (at a 5 % gap) takes a fraction of it and the range search, given 60 s
/// of its own, runs into the limit; the whole run still ends within it
/// (issue 23: it overshot by up to 1.2 s; 3.3 to 3.7 s before the fix, 1.96 to
/// 2.04 s after, on a shared 2-core machine). Asserted on the run's own
/// record (`--json` timings: `run_seconds`, from the flags to the committed
/// folder) with 0.3 s for the last solve's start-up and the writing; the
/// wall clock only as a generous guard.
#[test]
fn near_optimal_ranges_end_within_the_time_limit() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o");
    let mut cmd = bin();
    cmd.args([
        "solve",
        "models/small/baseline.toml",
        "--json",
        "--mip-gap",
        "0.05",
    ])
    .args(["--near-optimal", "0.005", "--near-optimal-seconds", "60"])
    .args(["--time-limit", "2"])
    // Writing the folder comes after the limit (README): plan.gpkg (ogr2ogr)
    // and the report add about 0.5 s, so they are left out here.
    .args(["--no-gpkg", "--no-report"])
    .arg("--out")
    .arg(&out);
    let t0 = Instant::now();
    let o = common::run_guarded(&mut cmd, 60);
    let wall = t0.elapsed().as_secs_f64();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let t = &v["timings"];
    let run = t["run_seconds"].as_f64().unwrap();
    let ranges = t["ranges_seconds"].as_f64().unwrap();
    eprintln!(
        "near-optimal under --time-limit 2: run {run:.3} s (ranges {ranges:.3} s), wall {wall:.3} s, {} solves stopped",
        v["near_optimal"]["solves_stopped_at_limit"]
    );
    assert!(run <= 2.3, "the run took {run:.3} s under --time-limit 2");
    assert!(wall < 5.0, "wall clock {wall:.1} s under --time-limit 2");
    // The search did run, and into the limit (else this test proves nothing).
    assert!(ranges > 0.25, "the range search ran {ranges:.3} s");
    assert!(
        v["near_optimal"]["solves_stopped_at_limit"]
            .as_u64()
            .unwrap()
            > 0,
        "{}",
        v["near_optimal"]
    );
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    assert!(summary.contains("\"near_optimal\""));
}
