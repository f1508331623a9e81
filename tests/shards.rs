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

use std::path::PathBuf;
use std::process::Command;

use slurm_support::Slurm;

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

/// The Snakefile parses and plans one job per shard and one collect job
/// (`snakemake -n`, a dry run).
#[test]
fn snakefile_plans_one_rule_per_shard_and_a_collect() {
    let work = tempfile::tempdir().unwrap();
    let sweep = work.path().join("sweep.toml");
    std::fs::write(&sweep, "base = \"models/baseline.toml\"\n").unwrap();
    let o = Command::new(venv_bin("snakemake"))
        .args(["-n", "--cores", "2", "--snakefile"])
        .arg(common::root().join("examples/snakemake/Snakefile"))
        .arg("--directory")
        .arg(work.path())
        .args(["--config", "shards=4"])
        .arg(format!("sweep={}", sweep.display()))
        .arg("out=out")
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "snakemake -n failed:\n{text}");
    // Four shard jobs and one collect (snakemake's job-count table).
    let count = |rule: &str| {
        text.lines()
            .find_map(|l| {
                let mut w = l.split_whitespace();
                (w.next() == Some(rule)).then(|| w.next().and_then(|n| n.parse::<u32>().ok()))
            })
            .flatten()
    };
    assert_eq!(count("shard"), Some(4), "{text}");
    assert_eq!(count("collect"), Some(1), "{text}");
}
