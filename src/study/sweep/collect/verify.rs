//! `dcsite sweep collect DIR`: the shards' manifests checked against each
//! other and against the input files as they are now, every scenario id
//! found exactly once, then the committed part files checked and handed to
//! [`super::collect`] as if one process had written them.
//!
//! Everything in a manifest is untrusted (a shared sweep folder may be
//! written by others): part names must be plain names inside `parts/`, every
//! count is bounded when the manifest is read ([`crate::study::sweep::shard::read_manifest`]),
//! each part is copied into the collect's own staging folder (opened without
//! following a symbolic link, regular files only) and must have the SHA-256
//! and row count its manifest records, the columns and types this sweep
//! writes, and exactly the scenario ids its batch lists.
//!
//! A scenario committed by two shards (a retried array task that overlapped
//! its first run) is taken from the first manifest in name order only; part
//! files that no manifest lists are ignored.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use sha2::{Digest, Sha256};

use crate::data::problem::shown;
use crate::export::writer::PARTS_DIR;
use crate::study::sweep::error::SweepError;
use crate::study::sweep::run::{parquet_bytes, part_schemas};
use crate::study::sweep::shard::{
    input_difference, part_name, read_manifest, sha256_file, short, Manifest, PartFile,
};
use crate::study::sweep::spec::Sweep;

/// The shards of a sweep folder that fit together.
#[derive(Debug)]
pub struct Checked {
    /// (file name, manifest), in name order.
    pub manifests: Vec<(String, Manifest)>,
    /// Per committed batch that holds ids taken into the merge: (manifest,
    /// batch) and the ids it gives, sorted.
    owned: Vec<((usize, usize), Vec<u64>)>,
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

/// Ranges of consecutive ids, from sorted ids.
fn to_ranges(ids: &[u64]) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for &id in ids {
        match out.last_mut() {
            Some(r) if r.1.checked_add(1) == Some(id) => r.1 = id,
            _ => out.push((id, id)),
        }
    }
    out
}

/// Ranges as text, at most 40 of them: `3, 7, 10-12, … (5 more ranges)`.
fn ranges_text(r: &[(u64, u64)]) -> String {
    let mut out: Vec<String> = r
        .iter()
        .take(40)
        .map(|&(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect();
    if r.len() > 40 {
        out.push(format!("… ({} more ranges)", r.len() - 40));
    }
    out.join(", ")
}

/// Ids as short ranges: `3, 7, 10-12`.
pub fn ranges(ids: &[u64]) -> String {
    let mut v = ids.to_vec();
    v.sort_unstable();
    v.dedup();
    ranges_text(&to_ranges(&v))
}

/// The ids in `0..n` whose bit is not set in `taken`, as ranges: memory in
/// the number of gaps, never a list of every missing id.
fn missing_ranges(taken: &[u64], n: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut start: Option<u64> = None;
    let mut id = 0;
    while id < n {
        let word = taken[(id / 64) as usize];
        let (full, empty) = (word == u64::MAX, word == 0);
        if id % 64 == 0 && id + 64 <= n && (full || empty) {
            if full {
                if let Some(s) = start.take() {
                    out.push((s, id - 1));
                }
            } else if start.is_none() {
                start = Some(id);
            }
            id += 64;
            continue;
        }
        if ((word >> (id % 64)) & 1) == 1 {
            if let Some(s) = start.take() {
                out.push((s, id - 1));
            }
        } else if start.is_none() {
            start = Some(id);
        }
        id += 1;
    }
    if let Some(s) = start {
        out.push((s, n - 1));
    }
    out
}

/// Per shard index: how many missing ids are its, and the first of them.
type ByShard = BTreeMap<u64, (u64, Vec<(u64, u64)>)>;

/// Per shard index (of `count` shards): how many of the `missing` ids are
/// its and the first of them as ranges. Bounded work whatever the counts:
/// at most 100,000 ids are looked at (`true`: the breakdown was cut short).
fn missing_by_shard(missing: &[(u64, u64)], count: u64) -> (ByShard, bool) {
    let mut by = ByShard::new();
    let mut budget: u64 = 100_000;
    for &(a, b) in missing {
        if count == 1 {
            let e = by.entry(0).or_default();
            e.0 += b - a + 1;
            if e.1.len() <= 40 {
                e.1.push((a, b));
            }
            continue;
        }
        // Each of the first `count` ids of the range starts one shard's ids.
        let span = (b - a + 1).min(count);
        if span > budget {
            return (by, true);
        }
        budget -= span;
        for first in a..a + span {
            let e = by.entry(first % count).or_default();
            e.0 += (b - first) / count + 1;
            let mut x = first;
            while e.1.len() <= 40 && x <= b {
                e.1.push((x, x));
                x = match x.checked_add(count) {
                    Some(v) => v,
                    None => break,
                };
            }
        }
    }
    (by, false)
}

/// Reads and checks the manifests of `dir/parts/`: same dcsite, same
/// inputs, inputs unchanged since, every scenario id committed once at
/// least with its part files present.
pub fn check(dir: &Path) -> Result<Checked, SweepError> {
    let parts = dir.join(PARTS_DIR);
    let manifests = read_manifests(dir, &parts)?;
    let problems = misfits(&manifests);
    if !problems.is_empty() {
        return Err(mismatch(format!(
            "the shards in {} do not fit together:\n  {}",
            parts.display(),
            problems.join("\n  ")
        )));
    }
    let n = manifests[0].1.scenarios_in_sweep;
    let taken = take_ids(&manifests, &parts, n);
    let missing = missing_ranges(&taken.bits, n);
    if !missing.is_empty() {
        return Err(mismatch(missing_message(
            &manifests,
            &parts,
            &missing,
            n,
            &taken.lost,
        )));
    }
    Ok(Checked {
        manifests,
        owned: taken.owned,
    })
}

/// The manifests of `parts` (`dir/parts/`), in name order; none is an error.
fn read_manifests(dir: &Path, parts: &Path) -> Result<Vec<(String, Manifest)>, SweepError> {
    let mut names: Vec<String> = std::fs::read_dir(parts)
        .map_err(|e| {
            mismatch(format!(
                "{}: {}; expected the parts/ folder of shards run with \
                 `dcsite sweep SWEEP --out {} --shard I/N`",
                parts.display(),
                crate::data::file::io_text(&e),
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
        let path = parts.join(&n);
        let m = read_manifest(&path)?.ok_or_else(|| {
            mismatch(format!(
                "{}: removed while collect was reading it",
                path.display()
            ))
        })?;
        manifests.push((n, m));
    }
    Ok(manifests)
}

/// Why the shards do not fit together: each manifest against the first
/// (dcsite, inputs, sweep size, solver options), then, when they agree, the
/// inputs against the files as they are now.
fn misfits(manifests: &[(String, Manifest)]) -> Vec<String> {
    let (ref_name, r) = &manifests[0];
    let mut problems = Vec::new();
    for (name, m) in &manifests[1..] {
        if m.dcsite_version != r.dcsite_version {
            problems.push(format!(
                "parts/{name} was written by dcsite {}, parts/{ref_name} by dcsite {}",
                shown(&m.dcsite_version),
                shown(&r.dcsite_version)
            ));
        }
        input_misfits(name, m, ref_name, r, &mut problems);
        if m.scenarios_in_sweep != r.scenarios_in_sweep {
            problems.push(format!(
                "parts/{name} is of a sweep of {} scenarios, parts/{ref_name} of {}",
                m.scenarios_in_sweep, r.scenarios_in_sweep
            ));
        }
        if m.solver_options != r.solver_options {
            problems.push(format!(
                "parts/{name} was solved with {}, parts/{ref_name} with {}",
                shown(&m.solver_options),
                shown(&r.solver_options)
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
                Err(e) => problems.push(format!(
                    "{}: {}",
                    i.path.display(),
                    crate::data::file::io_text(&e)
                )),
            }
        }
    }
    problems
}

/// The inputs of manifest `m` (`name`) against the reference `r`: the same
/// file with another SHA-256, or (when nothing differs so far) other inputs.
fn input_misfits(
    name: &str,
    m: &Manifest,
    ref_name: &str,
    r: &Manifest,
    problems: &mut Vec<String>,
) {
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
}

/// The scenario ids the manifests give.
struct Taken {
    /// One bit per id of the sweep: given by some batch.
    bits: Vec<u64>,
    /// Per batch that gives ids: (manifest, batch) and its ids, sorted.
    owned: Vec<((usize, usize), Vec<u64>)>,
    /// Batches whose part files are missing, in words.
    lost: Vec<String>,
}

/// Each id from the first committed batch (manifests in name order) whose
/// part files are all there. `n` is at most the sweep cap (checked when
/// the manifest was read): one bit per id.
fn take_ids(manifests: &[(String, Manifest)], parts: &Path, n: u64) -> Taken {
    let mut taken = vec![0u64; n.div_ceil(64) as usize];
    let mut owned = Vec::new();
    let mut lost: Vec<String> = Vec::new();
    for (mi, (name, m)) in manifests.iter().enumerate() {
        for (bi, b) in m.batches.iter().enumerate() {
            if let Some(gone) = b
                .parts
                .iter()
                .find(|p| std::fs::symlink_metadata(parts.join(&p.name)).is_err())
            {
                lost.push(format!(
                    "parts/{} (listed in parts/{name}) is missing: scenarios {} of it \
                     do not count",
                    gone.name,
                    ranges(&b.ids)
                ));
                continue;
            }
            let mut ids: Vec<u64> = Vec::new();
            for &id in &b.ids {
                let (w, bit) = ((id / 64) as usize, 1u64 << (id % 64));
                if id < n && (taken[w] & bit) == 0 {
                    taken[w] |= bit;
                    ids.push(id);
                }
            }
            ids.sort_unstable();
            if !ids.is_empty() {
                owned.push(((mi, bi), ids));
            }
        }
    }
    Taken {
        bits: taken,
        owned,
        lost,
    }
}

/// The missing ids in words: how many, as ranges, per shard that should
/// have them (by the first manifest's shard count), and the lost batches.
fn missing_message(
    manifests: &[(String, Manifest)],
    parts: &Path,
    missing: &[(u64, u64)],
    n: u64,
    lost: &[String],
) -> String {
    let total: u64 = missing.iter().map(|(a, b)| b - a + 1).sum();
    let count = manifests[0].1.shard.count as u64;
    let (by_shard, cut) = missing_by_shard(missing, count);
    let mut shards: Vec<String> = by_shard
        .iter()
        .take(64)
        .map(|(&i, (k, first))| {
            let state = manifests
                .iter()
                .find(|(_, m)| m.shard.index as u64 == i && m.shard.count as u64 == count)
                .map(|(name, m)| {
                    if m.complete {
                        format!("parts/{name} says complete")
                    } else {
                        format!("parts/{name} is not complete")
                    }
                })
                .unwrap_or_else(|| "no manifest".into());
            let more = if *k > first.iter().map(|(a, b)| b - a + 1).sum::<u64>() {
                ", …"
            } else {
                ""
            };
            format!(
                "shard {i}/{count} ({state}): {k} ids: {}{more}",
                ranges_text(&first[..first.len().min(40)])
            )
        })
        .collect();
    if by_shard.len() > 64 || cut {
        shards.push("… (more shards)".into());
    }
    let mut msg = format!(
        "{total} of {n} scenario ids are missing from {}: {}\n  {}",
        parts.display(),
        ranges_text(missing),
        shards.join("\n  ")
    );
    for l in lost.iter().take(40) {
        msg.push_str(&format!("\n  {l}"));
    }
    if lost.len() > 40 {
        msg.push_str(&format!(
            "\n  … ({} more missing part files)",
            lost.len() - 40
        ));
    }
    msg.push_str("\n  rerun those shards (they skip what they committed), then collect again");
    msg
}

/// Holds the lock of every shard that has one in `dir/parts/`
/// (`manifest-<I>of<N>.lock`, none created): a shard still running makes
/// the collect exit 2, and a shard started during the collect is refused
/// until it ends. The locks go with the returned files.
pub fn lock_shards(dir: &Path) -> Result<Vec<std::fs::File>, SweepError> {
    let parts = dir.join(PARTS_DIR);
    let Ok(entries) = std::fs::read_dir(&parts) else {
        return Ok(Vec::new());
    };
    let mut held = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("manifest-") && name.ends_with(".lock")) {
            continue;
        }
        let path = e.path();
        let Ok((file, _)) = crate::data::file::open_regular(&path, "lock file", true) else {
            continue;
        };
        match file.try_lock() {
            Ok(()) => held.push(file),
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(mismatch(format!(
                    "{}: that shard is still running (it holds this lock); wait for it to end, \
                     then collect",
                    path.display()
                )))
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(SweepError::Internal(format!(
                    "locking {}: {e}",
                    path.display()
                )))
            }
        }
    }
    Ok(held)
}

/// Lays the part files that the merge takes into `stage` (a new folder):
/// each copied from `dir/parts/` (never through a symbolic link, never onto
/// an existing file) and checked (see the module documentation); rows of a
/// scenario another batch already gave are dropped, so that
/// [`super::collect`] reads each id once.
pub fn stage(dir: &Path, c: &Checked, sweep: &Sweep, stage: &Path) -> Result<(), SweepError> {
    use rayon::prelude::*;
    let parts = dir.join(PARTS_DIR);
    {
        let _creating = crate::export::writer::creating();
        std::fs::create_dir(stage)
            .map_err(|e| SweepError::Internal(format!("{}: {e}", stage.display())))?;
    }
    let schemas: HashMap<&str, Schema> = part_schemas(sweep)?.into_iter().collect();
    // A part listed by two batches would be merged twice.
    let mut listed: HashMap<&str, (usize, usize)> = HashMap::new();
    for ((mi, bi), _) in &c.owned {
        for p in &c.manifests[*mi].1.batches[*bi].parts {
            if let Some((mj, bj)) = listed.insert(p.name.as_str(), (*mi, *bi)) {
                return Err(mismatch(format!(
                    "parts/{} is listed twice: by parts/{} (batches[{bj}]) and parts/{} \
                     (batches[{bi}])",
                    p.name, c.manifests[mj].0, c.manifests[*mi].0
                )));
            }
        }
    }
    let jobs: Vec<(usize, usize, &PartFile, &[u64])> = c
        .owned
        .iter()
        .flat_map(|((mi, bi), ids)| {
            c.manifests[*mi].1.batches[*bi]
                .parts
                .iter()
                .map(move |p| (*mi, *bi, p, ids.as_slice()))
        })
        .collect();
    let results: Vec<Result<(), SweepError>> = jobs
        .par_iter()
        .map(|&(mi, bi, part, owned)| {
            let (mname, m) = &c.manifests[mi];
            let job = PartJob {
                parts: &parts,
                stage,
                manifest: mname,
                batch: bi,
                batch_ids: &m.batches[bi].ids,
                part,
                owned,
            };
            stage_part(&job, &schemas)
        })
        .collect();
    results.into_iter().collect()
}

/// One part file to stage.
struct PartJob<'a> {
    parts: &'a Path,
    stage: &'a Path,
    manifest: &'a str,
    batch: usize,
    batch_ids: &'a [u64],
    part: &'a PartFile,
    /// The ids of the batch that the merge takes from it, sorted.
    owned: &'a [u64],
}

impl PartJob<'_> {
    /// A problem of this part, naming it, its manifest and its batch.
    fn bad(&self, what: String) -> SweepError {
        mismatch(format!(
            "{}/{} (listed in parts/{}, batches[{}]): {what}",
            self.parts.display(),
            self.part.name,
            self.manifest,
            self.batch
        ))
    }
}

/// Polars' message, at most a line of it.
fn polars_text(e: &dyn std::fmt::Display) -> String {
    e.to_string()
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(160)
        .collect()
}

/// Reads a Parquet file; a malformed file that makes the reader panic is an
/// error like any other (its panic message is not printed).
fn read_parquet(path: &Path) -> Result<DataFrame, String> {
    let file = std::fs::File::open(path).map_err(|e| crate::data::file::io_text(&e))?;
    quiet_panics(|| {
        ParquetReader::new(file)
            .read_parallel(ParallelStrategy::None)
            .finish()
    })
    .map_err(|_| "the Parquet reader failed on it".to_string())?
    .map_err(|e| polars_text(&e))
}

thread_local! {
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic into `Err` without printing it (the panic hook
/// stays as it was for every other thread and every other panic).
fn quiet_panics<T>(f: impl FnOnce() -> T) -> Result<T, ()> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info)
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(false));
    r.map_err(|_| ())
}

fn stage_part(j: &PartJob, schemas: &HashMap<&str, Schema>) -> Result<(), SweepError> {
    let name = &j.part.name;
    // Checked when the manifest was read: a plain name of a known kind.
    let (kind, _) = part_name(name).ok_or_else(|| j.bad("not a part file name".into()))?;
    let dst = j.stage.join(name);
    copy_checked(j, &dst)?;
    let df = read_parquet(&dst).map_err(|e| j.bad(format!("not a readable Parquet file ({e})")))?;
    check_columns(j, kind, &df, &schemas[kind])?;
    if df.height() as u64 != j.part.rows {
        return Err(j.bad(format!(
            "{} rows where the manifest records {}",
            df.height(),
            j.part.rows
        )));
    }
    let key = "scenario_id";
    let keys: Vec<Option<u64>> = df.column(key)?.u64()?.iter().collect();
    let mut listed = j.batch_ids.to_vec();
    listed.sort_unstable();
    check_ids(j, kind, key, &keys, &listed)?;
    if j.owned.len() != listed.len() {
        // Part of this batch was taken from another: keep only the rest.
        let keep: BooleanChunked = keys
            .iter()
            .map(|v| v.is_some_and(|v| j.owned.binary_search(&v).is_ok()))
            .collect();
        let df = df.filter(&keep)?;
        crate::export::write_file_atomic(&dst, &parquet_bytes(df)?, true)?;
    }
    Ok(())
}

/// Copies the part file into `dst` (a new file, never through a symbolic
/// link), hashing it on the way: the staged copy is what was checked. Its
/// size is bounded and its SHA-256 must be the manifest's.
fn copy_checked(j: &PartJob, dst: &Path) -> Result<(), SweepError> {
    let src = j.parts.join(&j.part.name);
    let limit =
        crate::data::file::max_table_bytes().unwrap_or(crate::data::file::DEFAULT_MAX_TABLE_BYTES);
    let (file, meta) = crate::data::file::open_regular(&src, "part file", true)
        .map_err(|(e, f)| j.bad(format!("expected {e}, found {f}")))?;
    if meta.len() > limit {
        return Err(j.bad(format!(
            "expected a part file of at most {limit} bytes, found {} bytes",
            meta.len()
        )));
    }
    // Copied and hashed in one pass: the staged copy is what was checked.
    let mut out = {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.custom_flags(libc::O_NOFOLLOW);
        }
        let _creating = crate::export::writer::creating();
        o.open(dst)
            .map_err(|e| SweepError::Internal(format!("{}: {e}", dst.display())))?
    };
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut reader = file.take(limit + 1);
    let mut len = 0u64;
    loop {
        let k = reader
            .read(&mut buf)
            .map_err(|e| j.bad(crate::data::file::io_text(&e)))?;
        if k == 0 {
            break;
        }
        len += k as u64;
        h.update(&buf[..k]);
        out.write_all(&buf[..k])
            .map_err(|e| SweepError::Internal(format!("{}: {e}", dst.display())))?;
    }
    drop(out);
    if len > limit {
        return Err(j.bad(format!(
            "expected a part file of at most {limit} bytes, found more"
        )));
    }
    let sha = format!("{:x}", h.finalize());
    if sha != j.part.sha256 {
        return Err(j.bad(format!(
            "SHA-256 {} where the manifest records {}: not the file the shard committed \
             (changed, truncated or of another sweep)",
            short(&sha),
            short(&j.part.sha256)
        )));
    }
    Ok(())
}

/// The columns and types of a `kind` part of this sweep (`want`), each of
/// the frame's length.
fn check_columns(j: &PartJob, kind: &str, df: &DataFrame, want: &Schema) -> Result<(), SweepError> {
    let got = df.schema();
    if **got != *want {
        let show = |s: &Schema| -> String {
            let cols: Vec<String> = s
                .iter()
                .take(12)
                .map(|(n, t)| format!("{} {t}", shown(n)))
                .collect();
            let more = if s.len() > 12 { ", …" } else { "" };
            format!("{}{more}", cols.join(", "))
        };
        return Err(j.bad(format!(
            "expected the columns of a {kind} part of this sweep ({}), found {}",
            show(want),
            show(got)
        )));
    }
    // A damaged file can decode into columns of different lengths.
    if let Some(c) = df.columns().iter().find(|c| c.len() != df.height()) {
        return Err(j.bad(format!(
            "not a readable Parquet file (column {} has {} values, the file {} rows)",
            shown(c.name()),
            c.len(),
            df.height()
        )));
    }
    Ok(())
}

/// The `key` ids of a `kind` part against its batch's `listed` ids (sorted):
/// only ids the batch lists, and a scenario part holds each of them once.
fn check_ids(
    j: &PartJob,
    kind: &str,
    key: &str,
    keys: &[Option<u64>],
    listed: &[u64],
) -> Result<(), SweepError> {
    if let Some(k) = keys
        .iter()
        .find(|k| !k.is_some_and(|v| listed.binary_search(&v).is_ok()))
    {
        let found = k.map_or("an empty cell".to_string(), |v| format!("{v}"));
        return Err(j.bad(format!(
            "column {key} holds {found}, which its batch does not list"
        )));
    }
    if kind == "scenarios" {
        let mut held: Vec<u64> = keys.iter().flatten().copied().collect();
        held.sort_unstable();
        if let Some(w) = held.windows(2).find(|w| w[0] == w[1]) {
            return Err(j.bad(format!("scenario {} appears twice", w[0])));
        }
        if held.len() != listed.len() {
            let absent: Vec<u64> = listed
                .iter()
                .copied()
                .filter(|id| held.binary_search(id).is_err())
                .collect();
            return Err(mismatch(format!(
                "parts/{}: batches[{}] lists {} scenario ids, but its part {} holds {}: \
                 scenarios {} are not in it",
                j.manifest,
                j.batch,
                listed.len(),
                j.part.name,
                held.len(),
                ranges(&absent)
            )));
        }
    }
    Ok(())
}

/// The sweep file a collect loads: as the shards were given it when that
/// path still holds the same file (so sweep.json names it the same), else
/// `sweep_file_absolute` or the sweep input's path, whichever holds it: never
/// a file whose SHA-256 differs from the manifest's.
pub fn sweep_path(m: &Manifest) -> Result<PathBuf, SweepError> {
    let input = m.inputs.iter().find(|i| i.role == "sweep");
    let want = input.map(|i| i.sha256.as_str()).unwrap_or_default();
    let candidates = [&m.sweep_file, &m.sweep_file_absolute]
        .into_iter()
        .chain(input.map(|i| &i.path));
    for p in candidates {
        if sha256_file(p).is_ok_and(|h| h == want) {
            return Ok(p.clone());
        }
    }
    Err(mismatch(format!(
        "the sweep file the shards ran (SHA-256 {}) is neither at {} nor at {} any more; \
         collect where the shards ran",
        short(want),
        m.sweep_file.display(),
        m.sweep_file_absolute.display(),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_ids_as_ranges_without_a_list_of_ids() {
        let n = 1000u64;
        let mut taken = vec![0u64; n.div_ceil(64) as usize];
        for id in (0..n).filter(|i| !(100..=163).contains(i) && *i != 999 && *i != 5) {
            taken[(id / 64) as usize] |= 1 << (id % 64);
        }
        assert_eq!(
            missing_ranges(&taken, n),
            vec![(5, 5), (100, 163), (999, 999)]
        );
        let all = vec![0u64; n.div_ceil(64) as usize];
        assert_eq!(missing_ranges(&all, n), vec![(0, 999)]);
        // Shards of 4: scenario 5 is shard 1's, 100-163 every shard's.
        let (by, cut) = missing_by_shard(&[(5, 5), (100, 163)], 4);
        assert!(!cut);
        assert_eq!(by[&1].0, 17);
        assert_eq!(by[&0].0, 16);
        // A huge shard count does not make the breakdown walk every id.
        let (_, cut) = missing_by_shard(&[(0, 9_999_999)], u32::MAX as u64);
        assert!(cut);
        assert_eq!(ranges(&[7, 3, 4, 5, 10]), "3-5, 7, 10");
    }
}
