//! Sweeps on batch schedulers (issue 12): a real single-node Slurm started
//! for the test, the Snakemake workflow and the Kubernetes Job manifest of
//! examples/.
//!
//! The Slurm cluster needs root and Debian's slurmctld, slurmd,
//! slurm-client and munge; snakemake and the Kubernetes schema validator
//! come from the throwaway venv that scripts/setup.sh makes in
//! target/test-venv. When any of them is missing the tests fail naming it:
//! they never pass without the scheduler they test.

use crate::common;
use crate::slurm_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{dcsite, ok, root};
use polars::prelude::*;
use proptest::prelude::{any, prop, ProptestConfig, Strategy};
use proptest::{prop_assert, prop_assert_eq, prop_oneof, proptest};
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
        let sweep = sweep_file(dir.path(), &root().join("models/small/baseline.toml"));
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
        "regions.csv",
        "sites.parquet",
        "sites.csv",
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
    // scenarios.csv: its rows are scenarios.parquet's, here as there.
    for dir in [one.as_path(), out] {
        let csv = CsvReadOptions::default()
            .with_has_header(true)
            .into_reader_with_file_handle(std::fs::File::open(dir.join("scenarios.csv")).unwrap())
            .finish()
            .unwrap();
        let parquet = read(&dir.join("scenarios.parquet"));
        assert!(
            timing(csv).equals_missing(&timing(parquet)),
            "{}: scenarios.csv is not scenarios.parquet",
            dir.display()
        );
    }
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
    let cooling = dir.path().join("data/small/cooling.csv");
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

// ---------------------------------------------------------------------------
// Issue 23: nothing lost in `sweep collect` under hostile manifests, parts
// and faults. Each test breaks a copy of one sharded folder (shards 0/2 and
// 1/2 of an 8-draw sweep, run once) and asserts the outcome.

/// A sweep file of 8 draws (no one-process run): for the tests below.
fn sweep23() -> &'static (tempfile::TempDir, PathBuf) {
    static S: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    S.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let sweep = sweep_file(dir.path(), &root().join("models/small/baseline.toml"));
        (dir, sweep)
    })
}

/// Shards 0/2 and 1/2 of [`sweep23`], run once.
fn sharded() -> &'static Path {
    static S: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &S.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        for s in ["0/2", "1/2"] {
            ok(&shard(&sweep23().1, &out, s), &format!("shard {s}"));
        }
        (dir, out)
    })
    .1
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if e.file_type().unwrap().is_dir() {
            copy_tree(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// A fresh copy of the sharded folder: (its parent, the folder), with a
/// canary file beside it.
fn fresh() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    copy_tree(sharded(), &out);
    std::fs::write(t.path().join("victim.txt"), b"canary").unwrap();
    (t, out)
}

/// The canary beside the folder is as it was.
fn canary_intact(parent: &Path) {
    assert_eq!(
        std::fs::read(parent.join("victim.txt")).unwrap(),
        b"canary",
        "a file outside the folder was touched"
    );
}

/// `collect` that only merges (quick).
fn collect_quick(out: &Path) -> std::process::Output {
    common::run_guarded(
        common::bin().args(["sweep", "collect"]).arg(out).args([
            "--jobs",
            "1",
            "--regret-plans",
            "0",
            "--quiet",
        ]),
        60,
    )
}

/// Exit 2, stderr naming each of `names`, no panic.
fn refused(o: &std::process::Output, names: &[&str]) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in names {
        assert!(err.contains(n), "stderr does not name {n}: {err}");
    }
    err
}

fn manifest_path(out: &Path, i: usize) -> PathBuf {
    out.join(format!("parts/manifest-{i:04}of0002.json"))
}

/// Edits manifest `i` of `out` as JSON.
fn edit_manifest(out: &Path, i: usize, f: impl FnOnce(&mut serde_json::Value)) {
    let path = manifest_path(out, i);
    let mut m = common::read_json(&path);
    f(&mut m);
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

/// Replaces part `name` with `bytes` and records their hash (and `rows`)
/// in manifest `i`, batch `b`: a part the manifest vouches for.
fn replace_part(out: &Path, i: usize, b: usize, name: &str, bytes: &[u8], rows: Option<u64>) {
    std::fs::write(out.join("parts").join(name), bytes).unwrap();
    edit_manifest(out, i, |m| {
        for p in m["batches"][b]["parts"].as_array_mut().unwrap() {
            if p["name"] == name {
                p["sha256"] = sha256_hex(bytes).into();
                if let Some(r) = rows {
                    p["rows"] = r.into();
                }
            }
        }
    });
}

/// Every file under `dir` with its bytes (paths relative to it).
fn snapshot(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    fn walk(base: &Path, dir: &Path, out: &mut std::collections::BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(base, &p, out);
            } else if e.file_type().unwrap().is_file() {
                let rel = p.strip_prefix(base).unwrap().to_path_buf();
                // The shards' lock files are empty and not outputs.
                if !rel.to_string_lossy().ends_with(".lock") {
                    out.insert(rel, std::fs::read(&p).unwrap());
                }
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

/// dcsite's temporary entries beside and inside the folder.
fn leftovers(parent: &Path) -> Vec<String> {
    let mut v = Vec::new();
    for d in [parent.to_path_buf(), parent.join("out")] {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with(".dcsite-") && !n.ends_with(".dcsite-lock") {
                v.push(n);
            }
        }
    }
    v
}

/// Item 1: a part name that leaves parts/ (relative, absolute, empty, a
/// separator, `..`) is refused naming the manifest and the key; the canary
/// outside the folder is untouched; so is a part that is a symbolic link.
#[test]
fn collect_refuses_part_names_outside_parts() {
    let (t, out) = fresh();
    let victim = t.path().join("victim.txt");
    for name in [
        "../../victim.txt".to_string(),
        victim.display().to_string(),
        String::new(),
        "..".into(),
        "scenarios-../../victim.parquet".into(),
        "scenarios-a/b.parquet".into(),
        "scenarios-0000of0002-000000.parquet/".into(),
    ] {
        let (_t2, out2) = fresh();
        edit_manifest(&out2, 0, |m| {
            m["batches"][0]["parts"][0]["name"] = name.clone().into()
        });
        let o = collect_quick(&out2);
        refused(
            &o,
            &["manifest-0000of0002.json", "batches[0].parts[0].name"],
        );
        canary_intact(_t2.path());
        assert!(!out2.join("robust.csv").exists(), "{name:?}: wrote outputs");
    }
    // A part that is a symbolic link to a file outside: refused, untouched.
    let part = out.join("parts/scenarios-0000of0002-000000.parquet");
    std::fs::remove_file(&part).unwrap();
    std::os::unix::fs::symlink(&victim, &part).unwrap();
    let o = collect_quick(&out);
    refused(
        &o,
        &["scenarios-0000of0002-000000.parquet", "symbolic link"],
    );
    canary_intact(t.path());
    // The one same-named file in parts/ and in the output is never one file:
    // a collect whose parts are fine writes nothing into parts/.
    let (t, out) = fresh();
    let before = snapshot(&out.join("parts"));
    ok(&collect_quick(&out), "collect");
    assert_eq!(snapshot(&out.join("parts")), before, "parts/ changed");
    canary_intact(t.path());
}

/// Item 2: what used to panic exits 2 naming the manifest and key: a
/// non-ASCII SHA-256 (of an input and of a part), `shard.count = 0` with ids
/// missing, and a shard index past its count.
#[test]
fn collect_panics_are_exit_2() {
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "inputs[0].sha256",
            Box::new(|m| m["inputs"][0]["sha256"] = "é".repeat(40).into()),
        ),
        (
            "batches[0].parts[1].sha256",
            Box::new(|m| m["batches"][0]["parts"][1]["sha256"] = "ab€".repeat(20).into()),
        ),
        (
            "shard",
            Box::new(|m| {
                m["shard"]["count"] = 0.into();
                m["batches"].as_array_mut().unwrap().pop();
            }),
        ),
        ("shard", Box::new(|m| m["shard"]["index"] = 7.into())),
        // Messages never echo more than a cell: no path of a megabyte.
        (
            "inputs[0].path",
            Box::new(|m| m["inputs"][0]["path"] = "a".repeat(1 << 20).into()),
        ),
        (
            "batches[0].ids",
            Box::new(|m| m["batches"][0]["ids"] = serde_json::json!([u64::MAX])),
        ),
    ];
    for (key, edit) in cases {
        let (t, out) = fresh();
        edit_manifest(&out, 0, edit);
        let o = collect_quick(&out);
        let err = refused(&o, &["manifest-0000of0002.json", key]);
        assert!(err.len() < 2000, "{} bytes of message", err.len());
        canary_intact(t.path());
    }
}

/// Item 7: `scenarios_in_sweep = 2^63` is refused when the manifest is read
/// (no list of ids is built); 10 million (the cap) with 8 present reports
/// the missing ids as ranges, at once.
#[test]
fn huge_counts_are_bounded_and_missing_ids_are_ranges() {
    let (_t, out) = fresh();
    edit_manifest(&out, 0, |m| m["scenarios_in_sweep"] = (1u64 << 63).into());
    let o = collect_quick(&out);
    refused(
        &o,
        &[
            "manifest-0000of0002.json",
            "scenarios_in_sweep",
            "9223372036854775808",
        ],
    );

    let (_t, out) = fresh();
    for i in 0..2 {
        edit_manifest(&out, i, |m| m["scenarios_in_sweep"] = 10_000_000.into());
    }
    let t0 = Instant::now();
    let o = collect_quick(&out);
    let err = refused(
        &o,
        &["9999992 of 10000000 scenario ids are missing", "8-9999999"],
    );
    assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
    assert!(err.len() < 20_000, "{} bytes of message", err.len());
}

/// Items 5 and 6: a part that is not what its manifest records (edited,
/// truncated, empty, of another kind, a wrong row count) and a batch that
/// lists more ids than its part holds: exit 2 naming the file.
#[test]
fn bad_parts_are_refused_naming_the_file() {
    let name = "scenarios-0000of0002-000000.parquet";
    let other = "regions-0000of0002-000000.parquet";
    let part = sharded().join("parts").join(name);
    let bytes = std::fs::read(&part).unwrap();
    // objective_cny edited, the manifest's hash left as it was.
    let (_t, out) = fresh();
    let mut df = read(&part)
        .lazy()
        .with_column(col("objective_cny") * lit(0.5))
        .collect()
        .unwrap();
    let mut edited = Vec::new();
    ParquetWriter::new(&mut edited).finish(&mut df).unwrap();
    std::fs::write(out.join("parts").join(name), &edited).unwrap();
    refused(&collect_quick(&out), &[name, "SHA-256"]);
    // Truncated, with and without the manifest vouching for it; empty.
    for (cut, vouch) in [
        (bytes.len() / 2, false),
        (bytes.len() / 2, true),
        (0, true),
        (10, true),
    ] {
        let (_t, out) = fresh();
        if vouch {
            replace_part(&out, 0, 0, name, &bytes[..cut], None);
        } else {
            std::fs::write(out.join("parts").join(name), &bytes[..cut]).unwrap();
        }
        refused(&collect_quick(&out), &[name]);
    }
    // A valid Parquet file of another kind under the name (hash vouched).
    let (_t, out) = fresh();
    let regions = std::fs::read(sharded().join("parts").join(other)).unwrap();
    replace_part(&out, 0, 0, name, &regions, None);
    refused(&collect_quick(&out), &[name, "columns"]);
    // The right file with a wrong row count in the manifest.
    let (_t, out) = fresh();
    replace_part(&out, 0, 0, name, &bytes, Some(5));
    refused(&collect_quick(&out), &[name, "rows"]);
    // A batch listing an id its part does not hold (taken from the next batch).
    let (_t, out) = fresh();
    edit_manifest(&out, 0, |m| {
        let next = m["batches"][1]["ids"][0].clone();
        m["batches"][0]["ids"].as_array_mut().unwrap().push(next);
    });
    refused(
        &collect_quick(&out),
        &["manifest-0000of0002.json", "batches[0]", name],
    );
}

/// Item 7: a FIFO or a device never hangs collect: a FIFO manifest, a
/// manifest that is a symbolic link to /dev/zero, a FIFO part and a FIFO
/// input are refused (exit 2) at once, naming the file.
#[test]
fn special_files_do_not_hang_collect() {
    let mkfifo = |p: &Path| {
        let _ = std::fs::remove_file(p);
        let o = Command::new("mkfifo").arg(p).output().unwrap();
        assert!(o.status.success());
    };
    let (_t, out) = fresh();
    mkfifo(&manifest_path(&out, 1));
    refused(&collect_quick(&out), &["manifest-0001of0002.json", "FIFO"]);

    let (_t, out) = fresh();
    std::fs::remove_file(manifest_path(&out, 1)).unwrap();
    std::os::unix::fs::symlink("/dev/zero", manifest_path(&out, 1)).unwrap();
    refused(
        &collect_quick(&out),
        &["manifest-0001of0002.json", "symbolic link"],
    );

    let (_t, out) = fresh();
    let part = out.join("parts/sites-0001of0002-000001.parquet");
    mkfifo(&part);
    refused(
        &collect_quick(&out),
        &["sites-0001of0002-000001.parquet", "FIFO"],
    );

    let (t, out) = fresh();
    let fifo = t.path().join("cooling.csv");
    mkfifo(&fifo);
    for i in 0..2 {
        edit_manifest(&out, i, |m| {
            for inp in m["inputs"].as_array_mut().unwrap() {
                if inp["role"] == "cooling" {
                    inp["path"] = fifo.display().to_string().into();
                }
            }
        });
    }
    refused(&collect_quick(&out), &["cooling.csv", "FIFO"]);

    // An input pointing at /dev/zero: refused, not read forever.
    let (_t, out) = fresh();
    for i in 0..2 {
        edit_manifest(&out, i, |m| m["inputs"][1]["path"] = "/dev/zero".into());
    }
    refused(&collect_quick(&out), &["/dev/zero", "character device"]);
}

/// Item 6: the sweep file is only ever loaded from a path whose SHA-256 is
/// the manifest's: `sweep_file_absolute` pointing at another file is passed
/// over for the sweep input the manifests vouch for; an input that no longer
/// hashes right is refused.
#[test]
fn sweep_file_absolute_is_verified_by_hash() {
    let (t, out) = fresh();
    let other = t.path().join("other.toml");
    std::fs::write(&other, "samples = 1\n").unwrap();
    for i in 0..2 {
        edit_manifest(&out, i, |m| {
            m["sweep_file"] = "no/such/sweep.toml".into();
            m["sweep_file_absolute"] = other.display().to_string().into();
        });
    }
    ok(&collect_quick(&out), "collect");
    let json = common::read_json(&out.join("sweep.json"));
    assert_eq!(json["scenarios"], 8, "{json}");
    assert!(
        !json["sweep_file"].as_str().unwrap().contains("other.toml"),
        "{json}"
    );
    // The sweep input itself pointing at another file: refused.
    for i in 0..2 {
        edit_manifest(&out, i, |m| {
            for inp in m["inputs"].as_array_mut().unwrap() {
                if inp["role"] == "sweep" {
                    inp["path"] = other.display().to_string().into();
                }
            }
        });
    }
    refused(
        &collect_quick(&out),
        &["other.toml", "changed since the shards ran"],
    );
}

/// Item 3: collect is atomic as a set. kill -9 and SIGTERM at several points
/// of a collect leave the folder's files all old or all new (never a mix),
/// parts/ intact and nothing outside touched; SIGTERM removes the staging
/// at once; later collects succeed and remove what a kill left.
#[test]
fn killed_collect_leaves_the_old_output_or_the_new() {
    let (t, out) = fresh();
    let run = |extra: &[&str]| {
        let mut c = common::bin();
        c.args(["sweep", "collect"])
            .arg(&out)
            .args(["--jobs", "1", "--mip-gap", GAP, "--quiet"])
            .args(extra)
            // plan.gpkg and plan.qgz record a time: a fixed one, so that
            // the same outputs are the same bytes.
            .env("SOURCE_DATE_EPOCH", "0");
        c
    };
    let old_args = ["--regret-plans", "1"];
    let new_args = ["--regret-plans", "10", "--threshold", "core=1"];
    // The new outputs, made once, then the old ones back in place.
    ok(
        &common::run_guarded(&mut run(&new_args), 120),
        "collect (new)",
    );
    let new = snapshot(&out);
    let t0 = Instant::now();
    ok(
        &common::run_guarded(&mut run(&old_args), 120),
        "collect (old)",
    );
    let old = snapshot(&out);
    let full = t0.elapsed();
    assert_ne!(old, new);
    let parts = snapshot(&out.join("parts"));
    for (k, frac) in [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95, 1.1]
        .iter()
        .enumerate()
    {
        let term = k % 2 == 1;
        // What earlier kill -9s left (removed after a later success).
        let left_before = leftovers(t.path());
        let mut child = run(&new_args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(full.mul_f64(*frac));
        if term {
            // SAFETY: a signal to our own child.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        } else {
            let _ = child.kill();
        }
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{err}");
        let now = snapshot(&out);
        let completed = now == new;
        assert!(
            completed || now == old,
            "kill {k} ({}) at {frac} of {full:?} left a mix: {:?}",
            if term { "SIGTERM" } else { "SIGKILL" },
            now.keys()
                .filter(|f| old.get(*f) != now.get(*f))
                .collect::<Vec<_>>()
        );
        assert_eq!(snapshot(&out.join("parts")), parts, "parts/ changed");
        if term && !completed {
            use std::os::unix::process::ExitStatusExt;
            assert!(
                o.status.code() == Some(143) || o.status.signal() == Some(libc::SIGTERM),
                "{:?}: {err}",
                o.status
            );
            // SIGTERM removed its own staging at once (the run may also have
            // removed what an earlier kill -9 left).
            let now = leftovers(t.path());
            assert!(
                now.iter().all(|l| left_before.contains(l)),
                "{now:?} after SIGTERM, {left_before:?} before"
            );
        }
        canary_intact(t.path());
        // Back to the old outputs for the next kill.
        if completed {
            ok(
                &common::run_guarded(&mut run(&old_args), 120),
                "collect (old)",
            );
        }
    }
    // What kill -9 left is removed by the runs after a later success.
    ok(
        &common::run_guarded(&mut run(&old_args), 120),
        "collect after the kills",
    );
    ok(
        &common::run_guarded(&mut run(&old_args), 120),
        "collect after the kills",
    );
    assert!(leftovers(t.path()).is_empty(), "{:?}", leftovers(t.path()));
    // Staging folders of an older collect inside the folder go too.
    std::fs::create_dir(out.join(".dcsite-collect-AbC123")).unwrap();
    std::fs::write(out.join(".dcsite-collect-AbC123/x.parquet"), b"x").unwrap();
    ok(&collect_quick(&out), "collect");
    assert!(leftovers(t.path()).is_empty(), "{:?}", leftovers(t.path()));
    // A file of the user's in the folder is carried over, as it was.
    std::fs::write(out.join("notes.txt"), b"mine").unwrap();
    ok(&collect_quick(&out), "collect");
    assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"mine");
}

/// Item 3: a second collect of a folder being collected exits 2 at once,
/// naming the lock, and writes nothing; so does a collect while a shard of
/// the folder is still running (it holds its lock).
#[test]
fn concurrent_collect_is_refused() {
    let (t, out) = fresh();
    let lock_path = t.path().join(".out.dcsite-lock");
    let lock = std::fs::File::create(&lock_path).unwrap();
    lock.lock().unwrap();
    let t0 = Instant::now();
    let o = collect_quick(&out);
    refused(&o, &[".out.dcsite-lock", "another dcsite run"]);
    assert!(t0.elapsed() < Duration::from_secs(5));
    assert!(!out.join("robust.csv").exists());
    drop(lock);
    // Two collects started together: one writes, the other exits 2 (or
    // both succeed, one after the other).
    let spawn = || {
        common::bin()
            .args(["sweep", "collect"])
            .arg(&out)
            .args(["--jobs", "1", "--mip-gap", GAP, "--quiet"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let codes = [a.status.code(), b.status.code()];
    assert!(codes.contains(&Some(0)), "{a:?} {b:?}");
    assert!(
        codes.iter().all(|c| matches!(c, Some(0 | 2))),
        "{a:?} {b:?}"
    );
    for o in [&a, &b] {
        if o.status.code() == Some(2) {
            refused(o, &["another dcsite run"]);
        }
    }
    // A shard still running (its lock held): collect waits for it.
    let shard_lock = std::fs::File::create(out.join("parts/manifest-0001of0002.lock")).unwrap();
    shard_lock.lock().unwrap();
    refused(
        &collect_quick(&out),
        &["manifest-0001of0002.lock", "still running"],
    );
    drop(shard_lock);
    ok(&collect_quick(&out), "collect once the shard is done");
    canary_intact(t.path());
}

/// Crash inputs kept as regression files: tests/fixtures/shards/*.json, each
/// `{"manifest": I, "pointer": "/json/pointer", "value": V, "names": [...]}`:
/// the edited manifest makes collect exit 2 naming those, without a panic.
#[test]
fn saved_crash_inputs_exit_2() {
    let dir = root().join("tests/fixtures/shards");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        let case = common::read_json(&e.path());
        let (t, out) = fresh();
        edit_manifest(&out, case["manifest"].as_u64().unwrap() as usize, |m| {
            *m.pointer_mut(case["pointer"].as_str().unwrap()).unwrap() = case["value"].clone();
        });
        let names: Vec<&str> = case["names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        refused(&collect_quick(&out), &names);
        canary_intact(t.path());
        n += 1;
    }
    assert!(n >= 3, "{n} crash inputs in {}", dir.display());
}

/// The sweep of [`sweep23`], read once for the in-process fuzz.
fn sweep23_loaded() -> &'static dcsite::study::sweep::Sweep {
    static S: OnceLock<dcsite::study::sweep::Sweep> = OnceLock::new();
    S.get_or_init(|| dcsite::study::sweep::read_sweep(&sweep23().1).unwrap())
}

/// A value a fuzzed manifest field takes.
fn fuzz_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::json;
    prop_oneof![
        prop::sample::select(vec![
            json!(""),
            json!(".."),
            json!("../../victim.txt"),
            json!("/etc/passwd"),
            json!("scenarios-0000of0002-000001.parquet"),
            json!("sites-0001of0002-000000.parquet"),
            json!("é".repeat(40)),
            json!("a".repeat(64)),
            json!(0),
            json!(1),
            json!(-1),
            json!(7),
            json!(1u64 << 63),
            json!(u64::MAX),
            json!(1e300),
            json!(null),
            json!(true),
            json!([]),
            json!([0, 0]),
            json!([0, 1, 2, 3, 4, 5, 6, 7]),
            json!([u64::MAX]),
            json!({}),
        ]),
        "[a-z0-9./-]{0,40}".prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
    ]
}

const FUZZ_POINTERS: &[&str] = &[
    "/scenarios_in_sweep",
    "/shard/count",
    "/shard/index",
    "/inputs/0/sha256",
    "/inputs/0/path",
    "/inputs/0/role",
    "/inputs",
    "/batches",
    "/batches/0/parts",
    "/batches/0/parts/0/name",
    "/batches/0/parts/1/name",
    "/batches/1/parts/2/sha256",
    "/batches/0/parts/0/rows",
    "/batches/0/ids",
    "/batches/1/ids/0",
    "/sweep_file",
    "/sweep_file_absolute",
    "/dcsite_version",
    "/solver_options",
    "/complete",
];

/// What a fuzz case does to a copy of the sharded folder.
#[derive(Debug, Clone)]
enum Mutation {
    /// Manifest `m`, field at pointer, new value.
    Field(usize, usize, serde_json::Value),
    /// Manifest `m`: bytes set at positions.
    ManifestBytes(usize, Vec<(usize, u8)>),
    /// Part `p` (index in parts/ name order): bytes set, cut to a length,
    /// and whether the manifest is made to vouch for the result.
    PartBytes(usize, Vec<(usize, u8)>, Option<usize>, bool),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (0usize..2, 0..FUZZ_POINTERS.len(), fuzz_value())
            .prop_map(|(m, p, v)| Mutation::Field(m, p, v)),
        1 => (
            0usize..2,
            prop::collection::vec((any::<usize>(), any::<u8>()), 1..6)
        )
            .prop_map(|(m, e)| Mutation::ManifestBytes(m, e)),
        3 => (
            any::<usize>(),
            prop::collection::vec((any::<usize>(), any::<u8>()), 0..6),
            prop::option::of(any::<usize>()),
            any::<bool>()
        )
            .prop_map(|(p, e, cut, vouch)| Mutation::PartBytes(p, e, cut, vouch)),
    ]
}

/// Applies a mutation to the folder `out`.
fn mutate(out: &Path, m: &Mutation) {
    match m {
        Mutation::Field(i, p, v) => {
            let path = manifest_path(out, *i);
            let Ok(mut j) =
                serde_json::from_slice::<serde_json::Value>(&std::fs::read(&path).unwrap())
            else {
                return;
            };
            if let Some(slot) = j.pointer_mut(FUZZ_POINTERS[*p]) {
                *slot = v.clone();
            }
            std::fs::write(&path, serde_json::to_vec_pretty(&j).unwrap()).unwrap();
        }
        Mutation::ManifestBytes(i, edits) => {
            let path = manifest_path(out, *i);
            let mut b = std::fs::read(&path).unwrap();
            for (pos, byte) in edits {
                let k = pos % b.len();
                b[k] = *byte;
            }
            std::fs::write(&path, b).unwrap();
        }
        Mutation::PartBytes(p, edits, cut, vouch) => {
            let mut names: Vec<String> = std::fs::read_dir(out.join("parts"))
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".parquet"))
                .collect();
            names.sort();
            let name = &names[p % names.len()];
            let path = out.join("parts").join(name);
            let mut b = std::fs::read(&path).unwrap();
            for (pos, byte) in edits {
                let k = pos % b.len();
                b[k] = *byte;
            }
            if let Some(c) = cut {
                b.truncate(c % (b.len() + 1));
            }
            if *vouch {
                // Whichever manifest lists it vouches for the new bytes.
                // (A manifest another mutation broke is left as it is.)
                for i in 0..2 {
                    let path = manifest_path(out, i);
                    let text = std::fs::read(&path).unwrap();
                    let Ok(mut m) = serde_json::from_slice::<serde_json::Value>(&text) else {
                        continue;
                    };
                    let parts = m
                        .pointer_mut("/batches")
                        .and_then(|b| b.as_array_mut())
                        .into_iter()
                        .flatten()
                        .filter_map(|b| b.get_mut("parts").and_then(|p| p.as_array_mut()))
                        .flatten();
                    for part in parts {
                        if part["name"] == name.as_str() {
                            part["sha256"] = sha256_hex(&b).into();
                        }
                    }
                    std::fs::write(&path, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
                }
            }
            std::fs::write(&path, b).unwrap();
        }
    }
}

/// Files in `parent` outside `out` (and dcsite's lock beside it).
fn outside(parent: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(parent)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name() != "out" && e.file_name() != "stage")
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap_or_default(),
            )
        })
        .filter(|(n, _)| n != ".out.dcsite-lock")
        .collect();
    v.sort();
    v
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 600,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "tests/fixtures/shards-fuzz.proptest-regressions"
            )
        )),
        .. ProptestConfig::default()
    })]

    /// Mutated manifests and parts through the library functions collect
    /// uses (check, stage, collect): no panic, only input errors (exit 2),
    /// nothing written outside the folder and the staging folder.
    #[test]
    fn fuzz_collect_library(muts in prop::collection::vec(mutation(), 1..3)) {
        let (t, out) = fresh();
        let before = outside(t.path());
        for m in &muts {
            mutate(&out, m);
        }
        let stage = t.path().join("stage");
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let c = dcsite::study::sweep::collect::verify::check(&out)?;
            let sw = sweep23_loaded();
            let input = stage.join("parts");
            std::fs::create_dir_all(&stage).unwrap();
            dcsite::study::sweep::collect::verify::stage(&out, &c, sw, &input)?;
            let solve = dcsite::solve::SolveOptions::default();
            let opts = dcsite::study::sweep::CollectOptions {
                thresholds: &[],
                regret_plans: 0,
                jobs: 1,
                solve: &solve,
                pooled: false,
            };
            dcsite::study::sweep::collect(sw, &input, &opts, &stage, &|_, _| {}).map(|_| ())
        }));
        let result = result.map_err(|_| "panicked").unwrap();
        if std::env::var_os("SHARDS_FUZZ_TRACE").is_some() {
            let what = match &result {
                Ok(()) => "ok".to_string(),
                Err(e) => e.to_string().chars().take(90).collect(),
            };
            eprintln!("fuzz: {what}");
        }
        if let Err(e) = &result {
            prop_assert!(
                matches!(e, dcsite::study::sweep::SweepError::Mismatch(_)),
                "not an input error: {e:?} after {muts:?}"
            );
        }
        prop_assert_eq!(outside(t.path()), before);
        canary_intact(t.path());
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 80,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "tests/fixtures/shards-fuzz.proptest-regressions"
            )
        )),
        .. ProptestConfig::default()
    })]

    /// The same through `dcsite sweep collect`: exit 0 or 2 only, no panic,
    /// nothing outside the folder touched, no staging left.
    #[test]
    fn fuzz_collect_binary(muts in prop::collection::vec(mutation(), 1..3)) {
        let (t, out) = fresh();
        let before = outside(t.path());
        for m in &muts {
            mutate(&out, m);
        }
        let o = collect_quick(&out);
        let err = String::from_utf8_lossy(&o.stderr);
        prop_assert!(matches!(o.status.code(), Some(0 | 2)), "{o:?} after {muts:?}");
        prop_assert!(!err.contains("panicked"), "{err}");
        prop_assert_eq!(outside(t.path()), before);
        prop_assert!(leftovers(t.path()).is_empty(), "{:?}", leftovers(t.path()));
    }
}
