//! One shard of a sweep run on its own (a Slurm array task, a Kubernetes
//! Indexed Job pod, a Snakemake job): resumable, and described by a
//! manifest that `collect` checks before it merges.
//!
//! The manifest `parts/manifest-<shard>.json` names the dcsite version,
//! every input file with its SHA-256 (the sweep file, the base scenario and
//! the files it extends, the seven tables), the shard, the solver options
//! that change results, and each committed batch: its part files and the
//! scenario ids they hold. A batch counts once the manifest that lists it
//! has been replaced atomically; part files that no manifest lists (a shard
//! killed between writing a part and committing it) never count and are
//! removed when the shard is restarted, which then solves only the ids its
//! manifest does not hold yet.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::SweepError;
use super::run::{run_ids, Outcome, Shard};
use super::spec::Sweep;
use crate::export::write_file_atomic;
use crate::solve::SolveOptions;

/// An input file and its SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// `sweep`, `scenario` or the table's name (`electricity_prices`, …).
    pub role: String,
    /// As the sweep names it (absolute for tables and scenarios).
    pub path: PathBuf,
    pub sha256: String,
}

/// A committed batch: its part files (in `parts/`) and scenario ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    #[serde(deserialize_with = "at_most::<_, PartFile, 3>")]
    pub parts: Vec<PartFile>,
    #[serde(deserialize_with = "at_most::<_, u64, { super::run::BATCH }>")]
    pub ids: Vec<u64>,
}

/// A list of at most `N` elements, refused at the element after the `N`th
/// while it is read: a manifest of 100 million ids in one batch costs no
/// more memory than its text (a batch holds at most 64 ids and 3 parts).
fn at_most<'de, D, T, const N: usize>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Bounded<T, const N: usize>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>, const N: usize> serde::de::Visitor<'de> for Bounded<T, N> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            write!(f, "a list of at most {N} elements")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(x) = seq.next_element::<T>()? {
                if out.len() == N {
                    return Err(serde::de::Error::custom(format_args!(
                        "a list of at most {N} elements in a batch, found more"
                    )));
                }
                out.push(x);
            }
            Ok(out)
        }
    }
    d.deserialize_seq(Bounded::<T, N>(std::marker::PhantomData))
}

/// A part file as a batch commits it: its plain name in `parts/`, its
/// SHA-256 and its number of rows, which `collect` verifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartFile {
    pub name: String,
    pub sha256: String,
    pub rows: u64,
}

/// The kinds of part file, one of each per batch.
pub const PART_KINDS: [&str; 3] = ["scenarios", "regions", "sites"];

/// Largest manifest read: 1 GiB (a one-shard manifest of the largest sweep,
/// 10 million ids, is about 200 MiB).
pub const MAX_MANIFEST_BYTES: u64 = 1 << 30;

/// `(kind, rest)` of a part file name `<kind>-<rest>.parquet`, where kind is
/// one of [`PART_KINDS`] and rest is ASCII letters, digits, `-` and `_`: a
/// plain name inside `parts/` (no separator, no `..`, nothing absolute).
pub fn part_name(name: &str) -> Option<(&'static str, &str)> {
    let stem = name.strip_suffix(".parquet")?;
    let kind = PART_KINDS
        .iter()
        .find(|k| stem.strip_prefix(**k).is_some_and(|r| r.starts_with('-')))
        .copied()?;
    let rest = &stem[kind.len() + 1..];
    // NAME_MAX: 255 bytes.
    let plain = !rest.is_empty()
        && name.len() <= 255
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plain.then_some((kind, rest))
}

/// Whether `s` is a SHA-256 as the manifests write it: 64 lowercase hex digits.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// What a shard wrote and from what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub dcsite_version: String,
    /// The sweep file as given on the command line, and made absolute.
    pub sweep_file: PathBuf,
    pub sweep_file_absolute: PathBuf,
    pub inputs: Vec<Input>,
    pub shard: ShardId,
    pub scenarios_in_sweep: u64,
    /// Solver options that change results (`--mip-gap`, `--time-limit`,
    /// `--highs-option`), as text: shards must agree on them.
    pub solver_options: String,
    pub batches: Vec<Batch>,
    /// Every id of the shard is committed.
    pub complete: bool,
}

/// A shard as the manifest spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardId {
    pub index: usize,
    pub count: usize,
}

impl Manifest {
    /// The scenario ids of every committed batch.
    pub fn done(&self) -> BTreeSet<u64> {
        self.batches
            .iter()
            .flat_map(|b| b.ids.iter().copied())
            .collect()
    }
}

/// The manifest file name of a shard.
pub fn manifest_name(shard: Shard) -> String {
    format!("manifest-{}.json", shard.label())
}

/// `I/N` of `--shard`: 0 ≤ I < N.
pub fn parse_shard(text: &str) -> Result<Shard, String> {
    let bad = || format!("expected I/N with 0 <= I < N (e.g. 0/4), found {text:?}");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let index: usize = i.trim().parse().map_err(|_| bad())?;
    let count: usize = n.trim().parse().map_err(|_| bad())?;
    if count == 0 || index >= count {
        return Err(bad());
    }
    Ok(Shard { index, count })
}

/// SHA-256 of a file, hex, read in blocks. Regular files only: the file is
/// opened without blocking and checked on the handle (a FIFO or a device is
/// refused, never waited on or read forever).
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let (mut f, _) =
        crate::data::file::open_regular(path, "file", false).map_err(|(expected, found)| {
            std::io::Error::other(format!("expected {expected}, found {found}"))
        })?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:x}", h.finalize()))
}

/// Every file a sweep reads, hashed: the sweep file, the base scenario and
/// the files it extends, the seven tables, and the files of `extends` and
/// `tables.<t>` grids ([`Sweep::input_files`]).
pub fn inputs(sweep: &Sweep) -> Result<Vec<Input>, SweepError> {
    sweep
        .input_files()
        .into_iter()
        .map(|(role, path)| {
            let path = std::path::absolute(&path).unwrap_or(path);
            let sha256 = sha256_file(&path)
                .map_err(|e| SweepError::Internal(format!("hashing {}: {e}", path.display())))?;
            Ok(Input { role, path, sha256 })
        })
        .collect()
}

/// How a shard run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardRun {
    /// Ids committed by an earlier run of the shard and skipped.
    pub skipped: usize,
    pub solved: usize,
}

/// Why a restarted shard cannot go on with what an earlier run committed.
fn mismatch(path: &Path, what: String) -> SweepError {
    SweepError::Mismatch(format!(
        "{} was written {what}; remove that manifest and the shard's part files to start the \
         shard afresh",
        path.display()
    ))
}

/// A shard to run: the sweep, the sweep file as given, which shard, and
/// the solver options (with their text for the manifest).
pub struct ShardJob<'a> {
    pub sweep: &'a Sweep,
    pub sweep_arg: &'a Path,
    pub shard: Shard,
    pub opts: &'a SolveOptions,
    /// The options that change results, as the manifest records them.
    pub solver_options: &'a str,
}

/// Solves what the shard has not committed yet into `parts_dir` on `jobs`
/// threads, committing the manifest after every batch.
pub fn run_resumable(
    job: &ShardJob,
    jobs: usize,
    parts_dir: &Path,
    done: &(dyn Fn(&Outcome) + Sync),
) -> Result<ShardRun, SweepError> {
    let ShardJob {
        sweep, shard, opts, ..
    } = *job;
    std::fs::create_dir_all(parts_dir)
        .map_err(|e| SweepError::Internal(format!("creating {}: {e}", parts_dir.display())))?;
    let mpath = parts_dir.join(manifest_name(shard));
    // Held until the shard ends.
    let _lock = lock_shard(&mpath, shard)?;
    let mut manifest = resumed_manifest(job, &mpath)?;
    remove_unlisted_parts(parts_dir, shard, &manifest)?;
    let committed = manifest.done();
    let ids: Vec<usize> = shard
        .ids(sweep.len())
        .filter(|&i| !committed.contains(&(i as u64)))
        .collect();
    let skipped = shard.ids(sweep.len()).count() - ids.len();
    // Small shards commit every scenario, large ones every 64.
    let batch = (ids.len() / 16).clamp(1, super::run::BATCH);
    let first = manifest.batches.len();
    let mut commit = |ids: &[usize], parts: Vec<String>| -> Result<(), SweepError> {
        let parts = parts
            .iter()
            .map(|name| part_file(parts_dir, name))
            .collect::<Result<Vec<_>, _>>()?;
        manifest.batches.push(Batch {
            parts,
            ids: ids.iter().map(|&i| i as u64).collect(),
        });
        write_manifest(&mpath, &manifest)
    };
    let solved = run_ids(
        sweep,
        shard,
        &ids,
        first,
        batch,
        opts,
        jobs,
        parts_dir,
        done,
        &mut commit,
    )?;
    manifest.complete = true;
    write_manifest(&mpath, &manifest)?;
    Ok(ShardRun { skipped, solved })
}

/// Takes the lock beside the manifest `mpath`. One process per shard at a
/// time: a retried array task started while the first still runs would
/// overwrite its manifest (and remove its uncommitted parts). The lock goes
/// with the returned file, or with the process however it ends.
fn lock_shard(mpath: &Path, shard: Shard) -> Result<std::fs::File, SweepError> {
    let lock_path = mpath.with_extension("lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| SweepError::Internal(format!("opening {}: {e}", lock_path.display())))?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(std::fs::TryLockError::WouldBlock) => Err(SweepError::Mismatch(format!(
            "{}: shard {}/{} is being run by another process (it holds this lock); \
             wait for it to end or stop it, then run the shard again",
            lock_path.display(),
            shard.index,
            shard.count
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(SweepError::Internal(format!(
            "locking {}: {e}",
            lock_path.display()
        ))),
    }
}

/// The manifest the run goes on with: an earlier run's at `mpath` when it
/// was made from the same inputs and options, else a fresh one.
fn resumed_manifest(job: &ShardJob, mpath: &Path) -> Result<Manifest, SweepError> {
    let ShardJob {
        sweep,
        sweep_arg,
        shard,
        solver_options,
        ..
    } = *job;
    let inputs = inputs(sweep)?;
    let fresh = Manifest {
        dcsite_version: env!("CARGO_PKG_VERSION").to_string(),
        sweep_file: sweep_arg.to_path_buf(),
        sweep_file_absolute: std::path::absolute(sweep_arg).unwrap_or(sweep_arg.to_path_buf()),
        inputs,
        shard: ShardId {
            index: shard.index,
            count: shard.count,
        },
        scenarios_in_sweep: sweep.len() as u64,
        solver_options: solver_options.to_string(),
        batches: Vec::new(),
        complete: false,
    };
    match read_manifest(mpath)? {
        None => Ok(fresh),
        Some(old) => match differs(&old, &fresh) {
            Some(why) => Err(mismatch(mpath, why)),
            None => Ok(old),
        },
    }
}

/// Removes the part files of this shard that `manifest` does not list: a
/// run that was stopped before committing them.
fn remove_unlisted_parts(
    parts_dir: &Path,
    shard: Shard,
    manifest: &Manifest,
) -> Result<(), SweepError> {
    let listed: BTreeSet<&str> = manifest
        .batches
        .iter()
        .flat_map(|b| b.parts.iter().map(|p| p.name.as_str()))
        .collect();
    let label = format!("-{}-", shard.label());
    for e in std::fs::read_dir(parts_dir)
        .map_err(|e| SweepError::Internal(format!("reading {}: {e}", parts_dir.display())))?
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.contains(&label) && name.ends_with(".parquet") && !listed.contains(name.as_str()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
    Ok(())
}

/// What differs between the manifest of an earlier run and this run's, if
/// anything that changes results.
pub fn differs(old: &Manifest, new: &Manifest) -> Option<String> {
    if old.dcsite_version != new.dcsite_version {
        return Some(format!(
            "by dcsite {}, this is dcsite {}",
            old.dcsite_version, new.dcsite_version
        ));
    }
    if old.scenarios_in_sweep != new.scenarios_in_sweep {
        return Some(format!(
            "for a sweep of {} scenarios, this sweep has {}",
            old.scenarios_in_sweep, new.scenarios_in_sweep
        ));
    }
    if let Some(why) = input_difference(&old.inputs, &new.inputs) {
        return Some(why);
    }
    if old.solver_options != new.solver_options {
        return Some(format!(
            "with the solver options {:?}, this run has {:?}",
            old.solver_options, new.solver_options
        ));
    }
    None
}

/// The first input whose hash differs (or that only one side has).
pub fn input_difference(old: &[Input], new: &[Input]) -> Option<String> {
    for n in new {
        match old.iter().find(|o| o.role == n.role && o.path == n.path) {
            Some(o) if o.sha256 != n.sha256 => {
                return Some(format!(
                    "from {} with SHA-256 {}, but it now has SHA-256 {}",
                    n.path.display(),
                    short(&o.sha256),
                    short(&n.sha256)
                ))
            }
            Some(_) => {}
            None => {
                return Some(format!(
                    "without the input {} ({})",
                    n.path.display(),
                    n.role
                ))
            }
        }
    }
    old.iter()
        .find(|o| !new.iter().any(|n| n.role == o.role && n.path == o.path))
        .map(|o| {
            format!(
                "from the input {} ({}), not used now",
                o.path.display(),
                o.role
            )
        })
}

/// The first 12 characters of a hash (whole characters, whatever the text).
pub fn short(h: &str) -> String {
    h.chars().take(12).collect()
}

/// Reads a shard manifest (`None`: there is none) and checks every field
/// that a path, an allocation or an index is made of: a regular file (no
/// symbolic link, FIFO or device) of at most [`MAX_MANIFEST_BYTES`].
pub fn read_manifest(path: &Path) -> Result<Option<Manifest>, SweepError> {
    if matches!(std::fs::symlink_metadata(path), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
    {
        return Ok(None);
    }
    let bytes =
        crate::data::file::read_regular_checked(path, MAX_MANIFEST_BYTES, "shard manifest", true)
            .map_err(|(expected, found)| {
            SweepError::Mismatch(format!(
                "{}: expected {expected}, found {found}",
                path.display()
            ))
        })?;
    let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        // serde's message may quote a value: at most a line of it.
        let why: String = e.to_string().chars().take(160).collect();
        SweepError::Mismatch(format!(
            "{}: not a shard manifest of this dcsite ({why})",
            path.display()
        ))
    })?;
    check_manifest(&m).map_err(|(key, expected, found)| {
        SweepError::Mismatch(format!(
            "{}: {key}: expected {expected}, found {found}",
            path.display()
        ))
    })?;
    Ok(Some(m))
}

/// What is wrong with a manifest's field: (key, expected, found).
type Misfit = (String, String, String);

/// The first field of a manifest that cannot be used.
fn check_manifest(m: &Manifest) -> Result<(), Misfit> {
    check_header(m)?;
    check_inputs(m)?;
    for (b, batch) in m.batches.iter().enumerate() {
        check_parts(b, batch)?;
        check_batch_ids(b, batch, m.scenarios_in_sweep)?;
    }
    Ok(())
}

/// The sweep's size, the shard, dcsite's version, the solver options and
/// the sweep file's paths: each within its bounds.
fn check_header(m: &Manifest) -> Result<(), Misfit> {
    use crate::data::problem::shown;
    let n = m.scenarios_in_sweep;
    let max = super::spec::MAX_SCENARIOS as u64;
    if n == 0 || n > max {
        return Err((
            "scenarios_in_sweep".into(),
            format!("a number of scenarios from 1 to {max}"),
            n.to_string(),
        ));
    }
    if m.shard.count == 0 || m.shard.index >= m.shard.count {
        return Err((
            "shard".into(),
            "index I and count N with 0 <= I < N".into(),
            format!("index {}, count {}", m.shard.index, m.shard.count),
        ));
    }
    if m.dcsite_version.is_empty() || m.dcsite_version.len() > 64 {
        return Err((
            "dcsite_version".into(),
            "a version of 1 to 64 bytes".into(),
            shown(&m.dcsite_version),
        ));
    }
    if m.solver_options.len() > 65536 {
        return Err((
            "solver_options".into(),
            "at most 65536 bytes".into(),
            format!("{} bytes", m.solver_options.len()),
        ));
    }
    // Paths and names are shown in messages: no longer than a path can be.
    let long = |p: &Path| p.as_os_str().len() > 4096;
    for (key, p) in [
        ("sweep_file", &m.sweep_file),
        ("sweep_file_absolute", &m.sweep_file_absolute),
    ] {
        if long(p) {
            return Err((
                key.into(),
                "a path of at most 4096 bytes".into(),
                format!("{} bytes", p.as_os_str().len()),
            ));
        }
    }
    Ok(())
}

/// Each input: a path of bounded length, a role, a SHA-256; the sweep file
/// among them.
fn check_inputs(m: &Manifest) -> Result<(), Misfit> {
    use crate::data::problem::shown;
    // Paths are shown in messages: no longer than a path can be.
    let long = |p: &Path| p.as_os_str().len() > 4096;
    for (k, i) in m.inputs.iter().enumerate() {
        if long(&i.path) {
            return Err((
                format!("inputs[{k}].path"),
                "a path of at most 4096 bytes".into(),
                format!("{} bytes", i.path.as_os_str().len()),
            ));
        }
        if i.role.is_empty() || i.role.len() > 64 {
            return Err((
                format!("inputs[{k}].role"),
                "a role of 1 to 64 bytes (sweep, scenario or a table's name)".into(),
                shown(&i.role),
            ));
        }
        if !is_sha256(&i.sha256) {
            return Err((
                format!("inputs[{k}].sha256"),
                "64 lowercase hexadecimal digits".into(),
                shown(&i.sha256),
            ));
        }
    }
    if !m.inputs.iter().any(|i| i.role == "sweep") {
        return Err((
            "inputs".into(),
            "the sweep file among the inputs (role \"sweep\")".into(),
            "none".into(),
        ));
    }
    Ok(())
}

/// The part files of batch `b`: one of each kind, plain names with the
/// same rest, each with a SHA-256.
fn check_parts(b: usize, batch: &Batch) -> Result<(), Misfit> {
    use crate::data::problem::shown;
    let mut rest: Option<&str> = None;
    let mut kinds = Vec::new();
    for (p, part) in batch.parts.iter().enumerate() {
        let Some((kind, r)) = part_name(&part.name) else {
            return Err((
                format!("batches[{b}].parts[{p}].name"),
                "a plain file name in parts/: scenarios-, regions- or sites- followed by \
                 letters, digits, - or _ and .parquet (no separator, no .., nothing \
                 absolute, not empty)"
                    .into(),
                shown(&part.name),
            ));
        };
        if rest.is_some_and(|x| x != r) || kinds.contains(&kind) {
            return Err((
                format!("batches[{b}].parts"),
                "one scenarios-, regions- and sites- part each, with the same rest of the \
                 name"
                    .into(),
                shown(&part.name),
            ));
        }
        rest = Some(r);
        kinds.push(kind);
        if !is_sha256(&part.sha256) {
            return Err((
                format!("batches[{b}].parts[{p}].sha256"),
                "64 lowercase hexadecimal digits".into(),
                shown(&part.sha256),
            ));
        }
    }
    if kinds.len() != PART_KINDS.len() {
        return Err((
            format!("batches[{b}].parts"),
            "3 part files (scenarios, regions, sites)".into(),
            format!("{}", kinds.len()),
        ));
    }
    Ok(())
}

/// The ids of batch `b`: at least one, each once, all below `n`.
fn check_batch_ids(b: usize, batch: &Batch, n: u64) -> Result<(), Misfit> {
    if let Some(id) = batch.ids.iter().find(|&&id| id >= n) {
        return Err((
            format!("batches[{b}].ids"),
            format!("scenario ids below scenarios_in_sweep = {n}"),
            id.to_string(),
        ));
    }
    let mut ids = batch.ids.clone();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err((
            format!("batches[{b}].ids"),
            "each scenario id once".into(),
            format!("{} twice", w[0]),
        ));
    }
    if ids.is_empty() {
        return Err((
            format!("batches[{b}].ids"),
            "at least one scenario id".into(),
            "none".into(),
        ));
    }
    Ok(())
}

/// A part file just written into `dir`, as a batch commits it: hashed and
/// its rows counted from one read.
pub fn part_file(dir: &Path, name: &str) -> Result<PartFile, SweepError> {
    use polars::prelude::SerReader;
    let path = dir.join(name);
    let limit =
        crate::data::file::max_table_bytes().unwrap_or(crate::data::file::DEFAULT_MAX_TABLE_BYTES);
    let bytes = crate::data::file::read_regular_checked(&path, limit, "part file", true).map_err(
        |(e, f)| SweepError::Internal(format!("{}: expected {e}, found {f}", path.display())),
    )?;
    let sha256 = format!("{:x}", Sha256::digest(&bytes));
    let rows = polars::prelude::ParquetReader::new(std::io::Cursor::new(bytes)).num_rows()?;
    Ok(PartFile {
        name: name.to_string(),
        sha256,
        rows: rows as u64,
    })
}

fn write_manifest(path: &Path, m: &Manifest) -> Result<(), SweepError> {
    let mut text = serde_json::to_string_pretty(m).expect("a manifest serialises");
    text.push('\n');
    Ok(write_file_atomic(path, text.as_bytes(), true)?)
}

#[cfg(test)]
mod tests {
    use super::Batch;

    fn batch_with(ids: usize) -> String {
        let ids = vec!["0"; ids].join(",");
        format!(r#"{{"parts": [], "ids": [{ids}]}}"#)
    }

    #[test]
    fn a_batch_of_more_ids_than_a_batch_holds_is_refused_while_read() {
        // Issue 23 campaign: 100 million ids in one batch took 1.78 GB to
        // refuse. Reading stops at the 65th id.
        assert!(serde_json::from_str::<Batch>(&batch_with(64)).is_ok());
        let err = serde_json::from_str::<Batch>(&batch_with(65)).unwrap_err();
        assert!(err.to_string().contains("at most 64"), "{err}");
        let parts = r#"{"parts": [{"name":"a","sha256":"b","rows":1},{"name":"a","sha256":"b","rows":1},{"name":"a","sha256":"b","rows":1},{"name":"a","sha256":"b","rows":1}], "ids": []}"#;
        assert!(serde_json::from_str::<Batch>(parts).is_err());
    }
}
