//! Sweeps on batch schedulers (issue 12): a real single-node Slurm started
//! for the test, the Snakemake workflow and the Kubernetes Job manifest of
//! examples/.
//!
//! The Slurm cluster needs root and Debian's slurmctld, slurmd,
//! slurm-client and munge; snakemake and the Kubernetes schema validator
//! come from the throwaway venv that scripts/setup.sh makes in
//! target/test-venv. When any of them is missing the tests fail naming it:
//! they never pass without the scheduler they test.

mod common;
mod slurm_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{dcsite, ok, root};
use polars::prelude::*;
use slurm_support::Slurm;

/// The loose gap of every solve here: small, quick, and the same for the
/// one-process run and the shards.
const GAP: &str = "0.01";

/// A sweep of 8 price draws (Latin hypercube) on `base`.
fn sweep_file(dir: &Path, base: &Path) -> PathBuf {
    let path = dir.join("prices.toml");
    std::fs::write(
        &path,
        format!(
            "base = \"{}\"\nsamples = 8\nseed = 5\nsampling = \"lhs\"\n[vary]\n\
             \"electricity_prices.*.price_cny_per_kwh\" = {{ dist = \"uniform\", \
             from_columns = [\"low\", \"high\"] }}\n",
            base.display()
        ),
    )
    .unwrap();
    path
}

/// The sweep file and its one-process result, made once for every test.
fn reference() -> &'static (tempfile::TempDir, PathBuf, PathBuf) {
    static REF: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    REF.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let sweep = sweep_file(dir.path(), &root().join("models/baseline.toml"));
        let out = dir.path().join("one");
        let o = dcsite(&[
            "sweep",
            sweep.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--jobs",
            "2",
            "--mip-gap",
            GAP,
            "--quiet",
        ]);
        ok(&o, "the one-process sweep");
        (dir, sweep, out)
    })
}

/// `dcsite sweep SWEEP --out OUT --shard I/N` (one scenario at a time).
fn shard(sweep: &Path, out: &Path, shard: &str) -> std::process::Output {
    dcsite(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--shard",
        shard,
        "--jobs",
        "1",
        "--mip-gap",
        GAP,
        "--quiet",
    ])
}

fn collect(out: &Path) -> std::process::Output {
    dcsite(&[
        "sweep",
        "collect",
        out.to_str().unwrap(),
        "--jobs",
        "2",
        "--mip-gap",
        GAP,
        "--quiet",
    ])
}

fn read(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

/// The merged files of `out` are those of the one-process sweep, byte for
/// byte; scenarios.parquet row for row except its timing column.
fn assert_same_as_one_process(out: &Path) {
    let one = &reference().2;
    for f in [
        "regions.parquet",
        "sites.parquet",
        "robust.csv",
        "robust.geojson",
        "robust.qml",
        "regret.csv",
        "regret_costs.parquet",
        "sweep.json",
    ] {
        let (a, b) = (one.join(f), out.join(f));
        assert!(b.is_file(), "{} was not written", b.display());
        assert!(
            std::fs::read(&a).unwrap() == std::fs::read(&b).unwrap(),
            "{f} differs between the one-process sweep and the merged shards"
        );
    }
    let timing = |df: DataFrame| df.drop("solve_seconds").unwrap();
    let a = timing(read(&one.join("scenarios.parquet")));
    let b = timing(read(&out.join("scenarios.parquet")));
    assert_eq!(a.height(), 8);
    assert!(
        a.equals_missing(&b),
        "scenarios.parquet differs beyond solve_seconds:\n{a}\n{b}"
    );
}

/// A program of the test venv made by scripts/setup.sh.
fn venv_bin(name: &str) -> PathBuf {
    let p = common::root().join("target/test-venv/bin").join(name);
    assert!(
        p.exists(),
        "{} is missing: run scripts/setup.sh (it makes the test venv with snakemake and \
         kubernetes-validate from PyPI)",
        p.display()
    );
    p
}

/// The harness starts a cluster whose node is idle, runs a 4-task array
/// job with `sbatch --wait` and a job that depends on it with
/// `--dependency=afterok`, and stops its daemons when dropped.
#[test]
fn slurm_runs_an_array_job_and_a_dependent_job() {
    let slurm = Slurm::start();
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let array = slurm.run(
        "sbatch",
        &[
            "--parsable",
            "--array=0-3",
            "--cpus-per-task=1",
            "--mem=100M",
            &format!("--chdir={}", w.display()),
            "--output=task-%a.log",
            "--wrap",
            "echo \"$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT \
             $SLURM_ARRAY_TASK_MIN-$SLURM_ARRAY_TASK_MAX\" > done-$SLURM_ARRAY_TASK_ID",
        ],
    );
    let array_id = array.trim().split(';').next().unwrap().to_string();
    assert!(
        array_id.parse::<u64>().is_ok(),
        "sbatch --parsable: {array:?}"
    );
    let o = slurm
        .command("sbatch")
        .args([
            "--wait",
            "--parsable",
            &format!("--dependency=afterok:{array_id}"),
            &format!("--chdir={}", w.display()),
            "--output=collect.log",
            "--wrap",
            "cat done-0 done-1 done-2 done-3 > all",
        ])
        .output()
        .unwrap();
    slurm.check(&o, "sbatch --wait --dependency=afterok");
    let all = std::fs::read_to_string(w.join("all")).unwrap();
    assert_eq!(all, "0/4 0-3\n1/4 0-3\n2/4 0-3\n3/4 0-3\n");
}

/// examples/k8s/sweep-job.yaml is a valid batch/v1 Job (and its collect
/// Job), checked against the Kubernetes OpenAPI schema by
/// kubernetes-validate; it was not run on a cluster here.
#[test]
fn k8s_manifest_is_a_valid_indexed_job() {
    let manifest = common::root().join("examples/k8s/sweep-job.yaml");
    let o = Command::new(venv_bin("kubernetes-validate"))
        .args(["--strict", "--kubernetes-version", "1.30"])
        .arg(&manifest)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "kubernetes-validate refused {}:\n{}{}",
        manifest.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    // What the validator does not check: the Job is Indexed, its shard
    // count matches its completions, and the collect step exists.
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(text.contains("completionMode: Indexed"), "{text}");
    assert!(
        text.contains("completions: 4") && text.contains("--shards\", \"4\""),
        "{text}"
    );
    assert!(
        text.contains("JOB_COMPLETION_INDEX") || text.contains("--shards"),
        "{text}"
    );
    assert!(text.contains("\"collect\""), "{text}");
}

/// examples/snakemake/Snakefile under `snakemake --cores 2`: two shard
/// jobs and the collect job; the merge equals the one-process sweep.
#[test]
fn snakemake_runs_the_shards_and_the_collect() {
    let (_, sweep, _) = reference();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let o = Command::new(venv_bin("snakemake"))
        .env("DCSITE", env!("CARGO_BIN_EXE_dcsite"))
        .args(["--cores", "2", "--quiet", "rules", "--snakefile"])
        .arg(root().join("examples/snakemake/Snakefile"))
        .arg("--directory")
        .arg(work.path())
        .arg("--config")
        .arg(format!("sweep={}", sweep.display()))
        .arg(format!("out={}", out.display()))
        .arg("shards=2")
        .arg(format!("extra=--mip-gap {GAP}"))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "snakemake failed:\n{text}");
    // One job per shard and one collect (snakemake's job-count table).
    let count = |rule: &str| {
        text.lines()
            .find_map(|l| {
                let mut w = l.split_whitespace();
                (w.next() == Some(rule)).then(|| w.next().and_then(|n| n.parse::<u32>().ok()))
            })
            .flatten()
    };
    assert_eq!(count("shard"), Some(2), "{text}");
    assert_eq!(count("collect"), Some(1), "{text}");
    assert!(out.join("parts/manifest-0001of0002.json").is_file());
    assert_same_as_one_process(&out);
}

/// examples/slurm/sweep.sbatch on a real Slurm: a 4-task array job waited
/// for with `sbatch --wait`, then the collect job with
/// `--dependency=afterok`; the merge equals the one-process sweep.
#[test]
fn slurm_array_sweep_merges_like_one_process() {
    let (_, sweep, _) = reference();
    let slurm = Slurm::start();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let script = root().join("examples/slurm/sweep.sbatch");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_dcsite")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let submit = |extra: &[&str]| {
        let o = slurm
            .command("sbatch")
            .env("PATH", &path)
            .args(["--parsable", &format!("--chdir={}", root().display())])
            .arg(format!("--output={}/%x-%A_%a.log", work.path().display()))
            .args(extra)
            .arg(&script)
            .arg(sweep)
            .arg(&out)
            .args(["--mip-gap", GAP])
            .output()
            .unwrap();
        let logs = std::fs::read_dir(work.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        slurm.check(&o, &format!("sbatch {extra:?} (job logs: {logs})"));
        String::from_utf8_lossy(&o.stdout)
            .trim()
            .split(';')
            .next()
            .unwrap()
            .to_string()
    };
    let array = submit(&["--wait", "--array=0-3"]);
    submit(&["--wait", &format!("--dependency=afterok:{array}")]);
    for i in 0..4 {
        let m = common::read_json(&out.join(format!("parts/manifest-{i:04}of0004.json")));
        assert_eq!(m["complete"], true, "shard {i}: {m}");
        assert_eq!(m["shard"]["count"], 4);
    }
    assert_same_as_one_process(&out);
}

/// Two shards, plus a third run that overlaps them (shard 1/4: scenarios 1
/// and 5, which shard 1/2 also solved, as a retried task would): the merge
/// takes each scenario once and equals the one-process sweep.
#[test]
fn two_shards_and_an_overlapping_retry_merge_exactly() {
    let (_, sweep, _) = reference();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    for s in ["0/2", "1/2", "1/4"] {
        ok(&shard(sweep, &out, s), &format!("shard {s}"));
    }
    ok(&collect(&out), "collect");
    assert_same_as_one_process(&out);

    // A part deleted: collect names the scenarios it held and exits 2.
    let gone = out.join("parts/scenarios-0000of0002-000001.parquet");
    let m = common::read_json(&out.join("parts/manifest-0000of0002.json"));
    let ids: Vec<u64> = m["batches"][1]["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    std::fs::remove_file(&gone).unwrap();
    let o = collect(&out);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("scenarios-0000of0002-000001.parquet"), "{err}");
    let listed = ids
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    assert!(
        err.contains("missing from") && err.contains(&listed),
        "names the missing ids {listed}: {err}"
    );
}

/// A shard killed (SIGKILL) after it committed some scenarios, rerun: it
/// skips what it committed, drops a part no manifest lists, and the merge
/// is exact (N = 1).
#[test]
fn killed_shard_resumes_and_merges_exactly() {
    let (_, sweep, _) = reference();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let manifest = out.join("parts/manifest-0000of0001.json");
    let mut child = common::bin()
        .args([
            "sweep",
            sweep.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--shard", "0/1", "--jobs", "1", "--mip-gap", GAP, "--quiet"])
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    let committed = loop {
        let n = std::fs::read_to_string(&manifest)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .map(|m| m["batches"].as_array().map_or(0, |b| b.len()))
            .unwrap_or(0);
        if n >= 1 {
            break n;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "no batch committed"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let m = common::read_json(&manifest);
    assert_eq!(m["complete"], false, "killed before the end: {m}");
    let before = m["batches"].as_array().unwrap().len();
    assert!(before >= committed && before < 8, "{m}");
    // A part written but never committed (as a kill between the part and
    // the manifest leaves it): never counts, and the rerun removes it.
    let orphan = out.join("parts/scenarios-0000of0001-000099.parquet");
    std::fs::write(&orphan, b"half-written").unwrap();
    let o = dcsite(&[
        "sweep",
        sweep.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--shard",
        "0/1",
        "--jobs",
        "2",
        "--mip-gap",
        GAP,
    ]);
    ok(&o, "the rerun");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(&format!("solved {} in", 8 - before))
            && text.contains(&format!("{before} committed earlier")),
        "{text}"
    );
    // The shard's overhead, as a share of its jobs' time since the start.
    let share: f64 = text
        .split(" % outside it")
        .next()
        .and_then(|t| t.rsplit(' ').next())
        .and_then(|x| x.parse().ok())
        .unwrap_or_else(|| panic!("no overhead share in {text}"));
    assert!((0.0..=100.0).contains(&share), "{text}");
    assert!(!orphan.exists(), "the uncommitted part was removed");
    ok(&collect(&out), "collect");
    assert_same_as_one_process(&out);
}

/// A shard already running elsewhere (a retried array task started while the
/// first still runs): the second refuses (exit 2) naming the lock, writes
/// nothing, and runs once the lock is free.
#[test]
fn a_shard_run_twice_at_once_is_refused() {
    let (_, sweep, _) = reference();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("locked");
    let parts = out.join("parts");
    std::fs::create_dir_all(&parts).unwrap();
    // This test holds the lock a running shard 1/2 would hold.
    let lock_path = parts.join("manifest-0001of0002.lock");
    let lock = std::fs::File::create(&lock_path).unwrap();
    lock.lock().unwrap();
    let o = shard(sweep, &out, "1/2");
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("manifest-0001of0002.lock") && err.contains("another process"),
        "{err}"
    );
    let written: Vec<_> = std::fs::read_dir(&parts)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(written.len(), 1, "only the lock: {written:?}");
    // Another shard is not held up by it.
    ok(&shard(sweep, &out, "0/2"), "shard 0/2 beside the held lock");
    drop(lock);
    ok(
        &shard(sweep, &out, "1/2"),
        "shard 1/2 once the lock is free",
    );
    ok(&collect(&out), "collect");
    assert_same_as_one_process(&out);
}

/// An input table changed between two shards: collect refuses (exit 2),
/// naming the file whose SHA-256 differs; so does a rerun of the first shard.
#[test]
fn changed_input_between_shards_is_refused() {
    let (dir, base) = common::scratch_copy();
    let sweep = sweep_file(dir.path(), &base);
    let out = dir.path().join("out");
    ok(&shard(&sweep, &out, "0/4"), "shard 0/4");
    let cooling = dir.path().join("data/cooling.csv");
    common::edit(
        &cooling,
        "Air / indirect evaporative",
        "Air / indirect evaporative (v2)",
    );
    ok(&shard(&sweep, &out, "1/4"), "shard 1/4");
    let o = collect(&out);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cooling.csv differs between shards")
            && err.contains("manifest-0001of0004.json"),
        "{err}"
    );
    let o = shard(&sweep, &out, "0/4");
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cooling.csv"), "{err}");
}

/// Shards from the environment: a Slurm array task's variables and a
/// Kubernetes pod's index, and what is refused.
#[test]
fn shard_from_the_environment_and_bad_shards() {
    let (_, sweep, _) = reference();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let run = |env: &[(&str, &str)], extra: &[&str]| {
        let mut c = common::bin();
        c.args([
            "sweep",
            sweep.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--jobs", "1", "--mip-gap", GAP, "--quiet"])
        .args(extra);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    // Task 8 of an array 1-8 (MIN/MAX, no COUNT) is shard 7/8: scenario 7.
    let o = run(
        &[
            ("SLURM_ARRAY_TASK_ID", "8"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_MAX", "8"),
        ],
        &[],
    );
    ok(&o, "a Slurm array task");
    let m = common::read_json(&out.join("parts/manifest-0007of0008.json"));
    assert_eq!(m["batches"][0]["ids"], serde_json::json!([7]));
    // Pod 3 of an Indexed Job with 4 completions: scenarios 3 and 7.
    ok(
        &run(&[("JOB_COMPLETION_INDEX", "3")], &["--shards", "4"]),
        "a pod",
    );
    let m = common::read_json(&out.join("parts/manifest-0003of0004.json"));
    let ids: Vec<u64> = m["batches"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| {
            b["ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
        })
        .collect();
    assert_eq!(ids, [3, 7]);
    for (env, extra, want) in [
        (vec![], vec!["--shard", "4/4"], "--shard"),
        (vec![], vec!["--shard", "1-4"], "--shard"),
        (vec![("JOB_COMPLETION_INDEX", "1")], vec![], "--shards"),
        (vec![], vec!["--shards", "4"], "JOB_COMPLETION_INDEX"),
        (
            vec![("SLURM_ARRAY_TASK_ID", "x")],
            vec![],
            "SLURM_ARRAY_TASK_ID",
        ),
    ] {
        let o = run(&env, &extra);
        assert_eq!(o.status.code(), Some(2), "{env:?} {extra:?}: {o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{env:?} {extra:?}: {err}");
    }
    // collect of a folder without shards: exit 2, saying so.
    let o = collect(work.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("parts"));
}

/// `dcsite sweep plan`: the scenario count per shard and an sbatch line
/// whose array, --mem and --time follow from the measured solve.
#[test]
fn plan_prints_a_right_sized_sbatch_line() {
    let (_, sweep, _) = reference();
    let o = dcsite(&[
        "sweep",
        "plan",
        sweep.to_str().unwrap(),
        "--shards",
        "3",
        "--mip-gap",
        GAP,
    ]);
    ok(&o, "sweep plan");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("8 scenarios in 3 shards: 3 per shard"),
        "{text}"
    );
    assert!(
        text.contains("--array=0-2 --cpus-per-task=1 --mem="),
        "{text}"
    );
    assert!(text.contains("--dependency=afterok:"), "{text}");
    // --mem is at least the measured peak, --time at least twice the
    // measured solve times three scenarios.
    let num = |after: &str, until: char| -> f64 {
        let i = text.find(after).unwrap() + after.len();
        text[i..]
            .split(until)
            .next()
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    };
    let solve = num("): ", ' ');
    let peak = num("peak memory ", ' ');
    let mem = num("--mem=", 'M');
    assert!(mem >= peak, "{mem} < {peak}: {text}");
    let t = {
        let i = text.find("--time=").unwrap() + 7;
        let hms: Vec<f64> = text[i..i + 8]
            .split(':')
            .map(|x| x.parse().unwrap())
            .collect();
        hms[0] * 3600.0 + hms[1] * 60.0 + hms[2]
    };
    assert!(t >= 2.0 * 3.0 * solve, "{t} s: {text}");
}
