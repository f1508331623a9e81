//! `dcsite sweep collect DIR`: the shards' manifests checked against each
//! other and against the input files as they are now, every scenario id
//! found exactly once, then the committed part files handed to
//! [`super::collect`] as if one process had written them.
//!
//! A scenario committed by two shards (a retried array task that overlapped
//! its first run) is taken from the first manifest in name order only; part
//! files that no manifest lists are ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::run::parquet_bytes;
use super::shard::{input_difference, read_manifest, sha256_file, short, Manifest};
use super::SweepError;
use crate::export::writer::PARTS_DIR;

/// The shards of a sweep folder that fit together.
#[derive(Debug)]
pub struct Checked {
    /// (file name, manifest), in name order.
    pub manifests: Vec<(String, Manifest)>,
    /// Per committed batch that holds ids taken into the merge: (manifest,
    /// batch) and the ids it gives.
    owned: Vec<((usize, usize), BTreeSet<u64>)>,
}

impl Checked {
    /// The first manifest: the sweep file and inputs every shard shares.
    pub fn reference(&self) -> &Manifest {
        &self.manifests[0].1
    }
}

fn mismatch(s: String) -> SweepError {
    SweepError::Mismatch(s)
}

/// Ids as short ranges: `3, 7, 10-12`.
pub fn ranges(ids: &[u64]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < ids.len() {
        let mut j = i;
        while j + 1 < ids.len() && ids[j + 1] == ids[j] + 1 {
            j += 1;
        }
        out.push(if j == i {
            ids[i].to_string()
        } else {
            format!("{}-{}", ids[i], ids[j])
        });
        i = j + 1;
    }
    if out.len() > 40 {
        let n = out.len();
        out.truncate(40);
        out.push(format!("… ({} more ranges)", n - 40));
    }
    out.join(", ")
}

/// Reads and checks the manifests of `dir/parts/`: same dcsite, same
/// inputs, inputs unchanged since, every scenario id committed once at
/// least with its part files present.
pub fn check(dir: &Path) -> Result<Checked, SweepError> {
    let parts = dir.join(PARTS_DIR);
    let mut names: Vec<String> = std::fs::read_dir(&parts)
        .map_err(|e| {
            mismatch(format!(
                "{}: {e}; expected the parts/ folder of shards run with \
                 `dcsite sweep SWEEP --out {} --shard I/N`",
                parts.display(),
                dir.display()
            ))
        })?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("manifest-") && n.ends_with(".json"))
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(mismatch(format!(
            "{}: no shard manifests (manifest-*.json); run the shards with \
             `dcsite sweep SWEEP --out {} --shard I/N` first",
            parts.display(),
            dir.display()
        )));
    }
    let mut manifests = Vec::new();
    for n in names {
        let m = read_manifest(&parts.join(&n))?.expect("listed just now");
        manifests.push((n, m));
    }
    let (ref_name, r) = &manifests[0];
    let mut problems = Vec::new();
    for (name, m) in &manifests[1..] {
        if m.dcsite_version != r.dcsite_version {
            problems.push(format!(
                "parts/{name} was written by dcsite {}, parts/{ref_name} by dcsite {}",
                m.dcsite_version, r.dcsite_version
            ));
        }
        for i in &m.inputs {
            if let Some(o) = r
                .inputs
                .iter()
                .find(|o| o.role == i.role && o.path == i.path)
            {
                if o.sha256 != i.sha256 {
                    problems.push(format!(
                        "{} differs between shards: SHA-256 {} in parts/{name}, {} in \
                         parts/{ref_name}",
                        i.path.display(),
                        short(&i.sha256),
                        short(&o.sha256)
                    ));
                }
            }
        }
        if problems.is_empty() {
            if let Some(why) = input_difference(&r.inputs, &m.inputs) {
                problems.push(format!("parts/{name} was made {why}"));
            }
        }
        if m.scenarios_in_sweep != r.scenarios_in_sweep {
            problems.push(format!(
                "parts/{name} is of a sweep of {} scenarios, parts/{ref_name} of {}",
                m.scenarios_in_sweep, r.scenarios_in_sweep
            ));
        }
        if m.solver_options != r.solver_options {
            problems.push(format!(
                "parts/{name} was solved with {:?}, parts/{ref_name} with {:?}",
                m.solver_options, r.solver_options
            ));
        }
    }
    if problems.is_empty() {
        // The collect reads the inputs again (regret): they must be the
        // files the shards used.
        for i in &r.inputs {
            match sha256_file(&i.path) {
                Ok(h) if h == i.sha256 => {}
                Ok(h) => problems.push(format!(
                    "{} changed since the shards ran: SHA-256 {} now, {} in the manifests",
                    i.path.display(),
                    short(&h),
                    short(&i.sha256)
                )),
                Err(e) => problems.push(format!("{}: {e}", i.path.display())),
            }
        }
    }
    if !problems.is_empty() {
        return Err(mismatch(format!(
            "the shards in {} do not fit together:\n  {}",
            parts.display(),
            problems.join("\n  ")
        )));
    }

    // Each id from the first committed batch (manifests in name order) whose
    // part files are all there.
    let n = r.scenarios_in_sweep;
    let mut taken: BTreeSet<u64> = BTreeSet::new();
    let mut owned = Vec::new();
    let mut lost: Vec<String> = Vec::new();
    for (mi, (name, m)) in manifests.iter().enumerate() {
        for (bi, b) in m.batches.iter().enumerate() {
            if let Some(gone) = b.parts.iter().find(|p| !parts.join(p).is_file()) {
                lost.push(format!(
                    "parts/{gone} (listed in parts/{name}) is missing: scenarios {} of it \
                     do not count",
                    ranges(&b.ids)
                ));
                continue;
            }
            let ids: BTreeSet<u64> = b
                .ids
                .iter()
                .copied()
                .filter(|id| *id < n && taken.insert(*id))
                .collect();
            if !ids.is_empty() {
                owned.push(((mi, bi), ids));
            }
        }
    }
    let missing: Vec<u64> = (0..n).filter(|id| !taken.contains(id)).collect();
    if !missing.is_empty() {
        // Which shards should have them: per shard count seen, the indices.
        let mut by_shard: BTreeMap<(usize, usize), Vec<u64>> = BTreeMap::new();
        let count = manifests[0].1.shard.count as u64;
        for &id in &missing {
            by_shard
                .entry(((id % count) as usize, count as usize))
                .or_default()
                .push(id);
        }
        let shards: Vec<String> = by_shard
            .iter()
            .map(|((i, c), ids)| {
                let state = manifests
                    .iter()
                    .find(|(_, m)| m.shard.index == *i && m.shard.count == *c)
                    .map(|(name, m)| {
                        if m.complete {
                            format!("parts/{name} says complete")
                        } else {
                            format!("parts/{name} is not complete")
                        }
                    })
                    .unwrap_or_else(|| "no manifest".into());
                format!("shard {i}/{c} ({state}): {}", ranges(ids))
            })
            .collect();
        let mut msg = format!(
            "{} of {n} scenario ids are missing from {}: {}\n  {}",
            missing.len(),
            parts.display(),
            ranges(&missing),
            shards.join("\n  ")
        );
        for l in &lost {
            msg.push_str(&format!("\n  {l}"));
        }
        msg.push_str("\n  rerun those shards (they skip what they committed), then collect again");
        return Err(mismatch(msg));
    }
    Ok(Checked { manifests, owned })
}

/// Lays the part files that the merge takes into `stage` (hard links, or
/// copies across file systems; rows of a scenario another batch already
/// gave are dropped), so that [`super::collect`] reads each id once.
pub fn stage(dir: &Path, c: &Checked, stage: &Path) -> Result<(), SweepError> {
    let parts = dir.join(PARTS_DIR);
    let io = |p: &Path, e: std::io::Error| SweepError::Internal(format!("{}: {e}", p.display()));
    std::fs::create_dir_all(stage).map_err(|e| io(stage, e))?;
    for ((mi, bi), ids) in &c.owned {
        let b = &c.manifests[*mi].1.batches[*bi];
        let whole = b.ids.len() == ids.len();
        for name in &b.parts {
            let (src, dst) = (parts.join(name), stage.join(name));
            if whole {
                if std::fs::hard_link(&src, &dst).is_err() {
                    std::fs::copy(&src, &dst).map_err(|e| io(&src, e))?;
                }
                continue;
            }
            let key = if name.starts_with("scenarios-") {
                "id"
            } else {
                "scenario"
            };
            let file = std::fs::File::open(&src).map_err(|e| io(&src, e))?;
            let df = ParquetReader::new(file).finish()?;
            let keep: BooleanChunked = df
                .column(key)?
                .u64()?
                .iter()
                .map(|v| v.is_some_and(|v| ids.contains(&v)))
                .collect();
            let df = df.filter(&keep)?;
            std::fs::write(&dst, parquet_bytes(df)?).map_err(|e| io(&dst, e))?;
        }
    }
    Ok(())
}

/// A staging folder inside `dir` (same file system, for hard links),
/// removed when dropped.
pub fn staging_dir(dir: &Path) -> Result<tempfile::TempDir, SweepError> {
    tempfile::Builder::new()
        .prefix(".dcsite-collect-")
        .tempdir_in(dir)
        .map_err(|e| SweepError::Internal(format!("{}: {e}", dir.display())))
}

/// The sweep file a collect loads: as the shards were given it when that
/// path still holds the same file (so sweep.json names it the same), else
/// its absolute path.
pub fn sweep_path(m: &Manifest) -> PathBuf {
    let want = m
        .inputs
        .iter()
        .find(|i| i.role == "sweep")
        .map(|i| &i.sha256);
    match (sha256_file(&m.sweep_file), want) {
        (Ok(h), Some(w)) if &h == w => m.sweep_file.clone(),
        _ => m.sweep_file_absolute.clone(),
    }
}
