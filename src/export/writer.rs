//! Atomic output: a whole folder is staged next to the destination and
//! swapped in only when every file is written, so the destination holds
//! either the complete old plan or the complete new one, never a mix.
//!
//! - The staging folder is a sibling, `.dcsite-staging-pid<PID>-<n>`, named
//!   after the process that owns it. On SIGINT / SIGTERM it is removed and the
//!   process exits 130 / 143 (no thread creates an entry while it is removed:
//!   see `creating`); after a `kill -9` a later run in the same parent
//!   folder removes it once its owner process no longer exists and a run
//!   there has succeeded since it was last written.
//! - An exclusive `flock` on `.<name>.dcsite-lock` beside the destination is
//!   held from the start of a run to its commit: a second run into the same
//!   folder is refused at once. A run that commits nothing (refused input,
//!   an error; not a signal, whose exit runs no destructor) removes the lock
//!   file and the parent folders it created, so it leaves nothing beside the
//!   folder; a lock is taken only on the file still at the lock's path.
//! - Commit: a new folder appears with one `renameat2(RENAME_NOREPLACE)`; an
//!   existing one (`--force`, or an empty one) is exchanged with the staged one
//!   in one `renameat2(RENAME_EXCHANGE)` and the old contents are deleted
//!   afterwards. Where the kernel or file system lacks `renameat2` (or
//!   refuses `RENAME_EXCHANGE` with EINVAL, as some network file systems do),
//!   the old folder is renamed aside (`.dcsite-old-pid<PID>-…`, first recorded
//!   in the lock file and synced), the new one renamed in, and the old one
//!   deleted. A run killed between those two renames leaves the folder absent
//!   and the old plan aside: the next run into that folder renames it back
//!   before anything else, and no run deletes a set-aside folder unless the
//!   folder whose lock file records it exists (it is never the only copy).
//!   For tests only: `DCSITE_TEST_NO_EXCHANGE=1` takes the fallback, and
//!   `DCSITE_TEST_KILL_BETWEEN_RENAMES=1` kills the run between its renames.
//!   A destination that appeared (non-empty) since the start of a run without
//!   `--force` is left alone and the commit fails.
//! - Since the old folder is deleted, `--force` only replaces a folder that
//!   holds nothing but files dcsite writes (GeoJSON, QGIS styles, JSON, CSV,
//!   HTML, Parquet, GeoPackage, QGIS project, a sweep's `parts/`): `--out ~ --force` is refused, not a
//!   deleted home folder.
//! - [`OutputDir::update`] (`sweep collect`) adds files to an existing folder
//!   with the same guarantees: the new files are staged beside it under its
//!   lock, the rest of the folder is carried into the staging folder as hard
//!   links just before the exchange, and whatever changed in the old folder
//!   meanwhile is moved over after it; nothing of the folder is deleted.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, Once};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{0} exists and is not empty; pass --force to replace it (the whole folder)")]
    NotEmpty(PathBuf),
    #[error("{0} exists; pass --force to replace it")]
    Exists(PathBuf),
    #[error("{0} exists and is not a folder")]
    NotADir(PathBuf),
    #[error("another dcsite run is writing {0} (lock {1} is held); wait for it or choose another folder")]
    Busy(PathBuf, PathBuf),
    #[error("{0} appeared while this run was writing it; left it as it is and wrote nothing (pass --force to replace it)")]
    Appeared(PathBuf),
    #[error("{0} holds {1}, which dcsite does not write; --force replaces a plan folder as a whole, so it leaves this one alone: move that away or choose another folder")]
    Foreign(PathBuf, String),
    #[error("{0} is absent: its previous contents are in {1}, set aside by a run (process {2}) that is still going; wait for it to finish, or move {1} back to {0}")]
    SetAside(PathBuf, PathBuf, i32),
    /// The I/O error is part of the message, not a source: printed once.
    #[error("cannot write {path}: {err}")]
    Io { path: PathBuf, err: std::io::Error },
}

impl OutputError {
    /// Whether the user can fix this (exit 2) rather than an internal failure.
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            OutputError::NotEmpty(_)
                | OutputError::Exists(_)
                | OutputError::NotADir(_)
                | OutputError::Busy(..)
                | OutputError::Appeared(_)
                | OutputError::Foreign(..)
                | OutputError::SetAside(..)
        )
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |err| OutputError::Io {
        path: path.to_path_buf(),
        err,
    }
}

/// Staging folders of this process that a signal must remove. Held while a
/// commit swaps folders, so a signal never removes half of a committed plan.
static STAGING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static SIGNALS: Once = Once::new();
static COUNTER: AtomicU64 = AtomicU64::new(0);
/// Held shared while dcsite creates an entry in a folder (a file, a folder);
/// a signal takes it exclusively before it removes the staging folders, so
/// that no other thread adds (or re-creates) one while they are removed.
static CREATING: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Holds off the signal cleanup while an entry is created (see `CREATING`).
pub fn creating() -> std::sync::RwLockReadGuard<'static, ()> {
    CREATING.read().unwrap_or_else(|e| e.into_inner())
}

const STAGING_PREFIX: &str = ".dcsite-staging-pid";
const ASIDE_PREFIX: &str = ".dcsite-old-pid";

fn staging_list() -> MutexGuard<'static, Vec<PathBuf>> {
    STAGING.lock().unwrap_or_else(|e| e.into_inner())
}

/// On SIGINT / SIGTERM: remove this process's staging folders and exit
/// 128 + the signal number (130, 143).
fn install_signal_cleanup() {
    SIGNALS.call_once(|| {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(sig) = signals.forever().next() {
                // Keep the lock until the end: no commit starts after this.
                // No entry is created from here on (the process ends).
                let _creating = CREATING.write().unwrap_or_else(|e| e.into_inner());
                let list = staging_list();
                for p in list.iter() {
                    remove_dir_patiently(p);
                }
                let mut err = std::io::stderr().lock();
                let _ = writeln!(
                    err,
                    "dcsite: interrupted (signal {sig}){}",
                    if list.is_empty() {
                        ""
                    } else {
                        "; the staged files are removed, the output folder is as it was"
                    }
                );
                let _ = err.flush();
                // _exit ends the process at once, without running
                // destructors or atexit handlers of the solver's threads.
                signal_hook::low_level::exit(128 + sig);
            }
        });
    });
}

/// Removes the folder `p`, trying again for up to a second while it is still
/// there: a program dcsite runs (GDAL's `ogr2ogr`, writing plan.gpkg in a
/// staging folder) may create an entry between the listing and the removal
/// of its folder, which `CREATING` cannot hold off in another process.
fn remove_dir_patiently(p: &Path) {
    for _ in 0..40 {
        if fs::remove_dir_all(p).is_ok() || fs::symlink_metadata(p).is_err() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
}

/// Whether process `pid` exists (or exists under another user): Linux lists
/// every process of our PID namespace in /proc, as `kill(pid, 0)` would
/// find it (a zombie included), without a signal call.
fn process_alive(pid: i32) -> bool {
    pid <= 0 || Path::new(&format!("/proc/{pid}")).exists()
}

/// The owner PID of a dcsite staging or set-aside folder name.
fn owner_pid(name: &str) -> Option<i32> {
    let rest = name
        .strip_prefix(STAGING_PREFIX)
        .or_else(|| name.strip_prefix(ASIDE_PREFIX))?;
    rest.split('-').next()?.parse().ok()
}

/// When the newest successful run in `parent` committed: the latest
/// modification time of an output folder there that has dcsite's lock file
/// (`.<name>.dcsite-lock`) beside it. A committed folder is the staged one,
/// so its time is that of the last file the run wrote.
fn newest_success(parent: &Path) -> Option<std::time::SystemTime> {
    fs::read_dir(parent)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let out = name.strip_prefix('.')?.strip_suffix(".dcsite-lock")?;
            let m = fs::metadata(parent.join(out)).ok()?;
            if m.is_dir() {
                m.modified().ok()
            } else {
                None
            }
        })
        .max()
}

/// Most bytes of a lock file read for its record of a set-aside folder.
const RECORD_BYTES: u64 = 1024;

/// The set-aside folder a lock file records (see [`OutputDir::commit`]): the
/// name of a `.dcsite-old-pid*` sibling, or `None`.
fn recorded_aside(lock: &fs::File) -> Option<String> {
    use std::io::{Read, Seek};
    let mut f = lock;
    f.seek(std::io::SeekFrom::Start(0)).ok()?;
    let mut text = String::new();
    f.take(RECORD_BYTES).read_to_string(&mut text).ok()?;
    let name = text.lines().next()?.trim();
    (name.starts_with(ASIDE_PREFIX) && !name.contains('/') && owner_pid(name).is_some())
        .then(|| name.to_string())
}

/// Writes (or, with `None`, clears) the record of the folder set aside
/// while the old plan is out of place, synced before the first rename.
fn record_aside(lock: &fs::File, aside: Option<&Path>) -> std::io::Result<()> {
    use std::io::Seek;
    let mut f = lock;
    f.set_len(0)?;
    f.seek(std::io::SeekFrom::Start(0))?;
    if let Some(name) = aside.and_then(|a| a.file_name()) {
        writeln!(f, "{}", name.to_string_lossy())?;
    }
    f.sync_all()
}

/// The output folder a set-aside folder belongs to: the one whose lock
/// file (`.<name>.dcsite-lock` in `parent`) records it.
fn aside_owner(parent: &Path, aside: &str) -> Option<PathBuf> {
    fs::read_dir(parent).ok()?.flatten().find_map(|e| {
        let name = e.file_name().to_str()?.to_string();
        let out = name.strip_prefix('.')?.strip_suffix(".dcsite-lock")?;
        let f = fs::File::open(e.path()).ok()?;
        (recorded_aside(&f)? == aside).then(|| parent.join(out))
    })
}

/// Puts back the old contents of `dest` that a run killed between the two
/// renames of the fallback commit left set aside: when `dest` is absent and
/// its lock file (held by the caller) records a set-aside folder of a
/// process that no longer exists, that folder is renamed back to `dest`.
/// Returns the folder it restored from.
fn restore_set_aside(
    parent: &Path,
    dest: &Path,
    lock: &fs::File,
) -> Result<Option<PathBuf>, OutputError> {
    let Some(name) = recorded_aside(lock) else {
        return Ok(None);
    };
    let aside = parent.join(&name);
    if !aside.is_dir() || fs::symlink_metadata(dest).is_ok() {
        return Ok(None);
    }
    let pid = owner_pid(&name).unwrap_or(0);
    if pid != std::process::id() as i32 && process_alive(pid) {
        return Err(OutputError::SetAside(dest.to_path_buf(), aside, pid));
    }
    if !rename_new(&aside, dest).map_err(io(dest))? {
        return Ok(None);
    }
    sync_dir(parent);
    record_aside(lock, None).map_err(io(dest))?;
    Ok(Some(aside))
}

/// Removes dcsite's own staging and set-aside folders in `parent` (left by
/// `kill -9` or a power cut) whose owner process no longer exists *and*
/// that are older than the newest successful run there. The PID alone is
/// not enough where the folder is shared between machines (a PID of another
/// host means nothing here): a folder written after the last success may
/// belong to a run still going elsewhere, so it waits for the next success.
/// A set-aside folder (`.dcsite-old-pid*`, the old plan of a fallback
/// commit) may be the only copy of a plan: it is removed only when the
/// output folder whose lock file records it exists; one that no lock file
/// records is left alone.
pub fn remove_stale_staging(parent: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Some(newest) = newest_success(parent) else {
        return removed;
    };
    let Ok(entries) = fs::read_dir(parent) else {
        return removed;
    };
    let me = std::process::id() as i32;
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(owner_pid) else {
            continue;
        };
        if pid == me || process_alive(pid) {
            continue;
        }
        if let Some(n) = name.to_str().filter(|n| n.starts_with(ASIDE_PREFIX)) {
            if !aside_owner(parent, n).is_some_and(|d| d.is_dir()) {
                continue;
            }
        }
        let Ok(meta) = e.metadata() else { continue };
        let older = meta.modified().is_ok_and(|t| t < newest);
        if meta.is_dir() && older && fs::remove_dir_all(e.path()).is_ok() {
            removed.push(e.path());
        }
    }
    removed
}

fn unique_sibling(parent: &Path, prefix: &str) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    parent.join(format!("{prefix}{}-{n}-{nanos:x}", std::process::id()))
}

/// `renameat2` of two paths relative to the working folder. A path with a NUL
/// byte is an error of its own (no errno), not the EINVAL of a refused flag.
#[cfg(target_os = "linux")]
fn renameat2(from: &Path, to: &Path, flags: rustix::fs::RenameFlags) -> std::io::Result<()> {
    use rustix::fs::CWD;
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(from.as_os_str().as_bytes())?;
    let b = CString::new(to.as_os_str().as_bytes())?;
    rustix::fs::renameat_with(CWD, a.as_c_str(), CWD, b.as_c_str(), flags)
        .map_err(std::io::Error::from)
}

/// Swaps two existing folders in one step; `Ok(false)` when the system cannot.
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    #[cfg(target_os = "linux")]
    {
        match renameat2(a, b, rustix::fs::RenameFlags::EXCHANGE) {
            Ok(()) => Ok(true),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) => Ok(false),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (a, b);
        Ok(false)
    }
}

/// Renames `from` to `to` unless `to` exists: `Ok(false)` when it does.
fn rename_new(from: &Path, to: &Path) -> std::io::Result<bool> {
    #[cfg(target_os = "linux")]
    {
        match renameat2(from, to, rustix::fs::RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => return Ok(false),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) => {}
            Err(e) => return Err(e),
        }
    }
    if to.exists() {
        return Ok(false);
    }
    fs::rename(from, to).map(|()| true)
}

/// The lock file of `dest`: `.<name>.dcsite-lock` beside it.
fn lock_path(parent: &Path, dest: &Path) -> Option<PathBuf> {
    let name = dest.file_name()?;
    Some(parent.join(format!(".{}.dcsite-lock", name.to_string_lossy())))
}

/// The exclusive lock of an output folder: its lock file, held open, and
/// whether this run created it (a run that commits nothing removes a lock
/// file it created, so that refused input leaves nothing beside the folder).
struct Lock {
    file: fs::File,
    path: PathBuf,
    created: bool,
}

/// Takes the exclusive lock of `dest` (a lock file beside it), without
/// waiting. A lock file can be removed by the run that created it (when it
/// commits nothing), so the lock is only taken once the file locked is still
/// the one at the path; otherwise the path is opened again.
fn lock(parent: &Path, dest: &Path) -> Result<Lock, OutputError> {
    let path = lock_path(parent, dest).ok_or_else(|| OutputError::NotADir(dest.to_path_buf()))?;
    loop {
        let open = |new: bool| {
            fs::OpenOptions::new()
                .create_new(new)
                .truncate(false)
                .read(true)
                .write(true)
                .open(&path)
        };
        let (file, created) = match open(true) {
            Ok(f) => (f, true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match open(false) {
                Ok(f) => (f, false),
                // Removed between the two opens: try again.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(&path)(e)),
            },
            Err(e) => return Err(io(&path)(e)),
        };
        // flock(LOCK_EX | LOCK_NB) on Unix; released when the file is closed.
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(OutputError::Busy(dest.to_path_buf(), path));
                }
                Err(fs::TryLockError::Error(err)) => return Err(OutputError::Io { path, err }),
            }
            let held = file.metadata().map_err(io(&path))?;
            match fs::metadata(&path) {
                Ok(m) if m.dev() == held.dev() && m.ino() == held.ino() => {}
                // The run that held it removed it: lock the file now there.
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io(&path)(e)),
            }
        }
        return Ok(Lock {
            file,
            path,
            created,
        });
    }
}

/// The folders `create_dir_all(dir)` would create, deepest first.
fn missing_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut missing = Vec::new();
    let mut d = Some(dir);
    while let Some(p) = d.filter(|p| !p.as_os_str().is_empty() && fs::symlink_metadata(p).is_err())
    {
        missing.push(p.to_path_buf());
        d = p.parent();
    }
    missing
}

/// The folder of a sweep's output that holds its per-shard result files.
pub const PARTS_DIR: &str = "parts";

/// The first entry of an existing output folder that dcsite does not write
/// (a folder other than a sweep's `parts/` of such files, or a file other than
/// GeoJSON, QGIS style, JSON, CSV, HTML, Parquet, GeoPackage or QGIS project):
/// `--force` deletes the old folder, so it must only ever hold a plan.
fn foreign_entry(dir: &Path) -> Result<Option<String>, OutputError> {
    for e in fs::read_dir(dir).map_err(io(dir))? {
        let e = e.map_err(io(dir))?;
        let name = e.file_name().to_string_lossy().into_owned();
        let kind = e.file_type().map_err(io(dir))?;
        let is_file = kind.is_file();
        let known = [
            ".geojson", ".qml", ".json", ".csv", ".html", ".parquet", ".gpkg", ".qgz",
        ]
        .iter()
        .any(|x| name.ends_with(x));
        // A sweep's `parts/` folder of per-shard results, itself only dcsite's files.
        if kind.is_dir() && name == PARTS_DIR && foreign_entry(&e.path())?.is_none() {
            continue;
        }
        if !is_file || !known {
            let what = if is_file { "the file" } else { "the folder" };
            return Ok(Some(format!(
                "{what} {}",
                crate::data::problem::shown(&name)
            )));
        }
    }
    Ok(None)
}

fn non_empty(dir: &Path) -> Result<bool, OutputError> {
    Ok(fs::read_dir(dir).map_err(io(dir))?.next().is_some())
}

fn sync_dir(dir: &Path) {
    if let Ok(f) = fs::File::open(dir) {
        let _ = f.sync_all();
    }
}

/// An output folder being written.
pub struct OutputDir {
    dest: PathBuf,
    parent: PathBuf,
    staging: PathBuf,
    force: bool,
    committed: bool,
    /// [`OutputDir::update`]: the rest of the destination is carried over.
    update: bool,
    /// Held until the commit ends (dropped with the value); it records the
    /// set-aside folder while the fallback commit has the old plan aside.
    lock: Lock,
    /// The folders above `dest` this run created, deepest first: removed
    /// again (when empty) if it commits nothing.
    made: Vec<PathBuf>,
}

impl OutputDir {
    /// Prepares to write into `dest`. An existing non-empty folder is refused
    /// unless `force`; another run writing `dest` is refused.
    pub fn create(dest: &Path, force: bool) -> Result<OutputDir, OutputError> {
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // Before anything else: an absent folder whose old plan a killed
        // fallback commit left set aside gets it back (under the lock).
        let mut held = None;
        if fs::symlink_metadata(dest).is_err()
            && lock_path(&parent, dest).is_some_and(|l| l.exists())
        {
            let l = lock(&parent, dest)?;
            if let Some(aside) = restore_set_aside(&parent, dest, &l.file)? {
                eprintln!(
                    "warning: restored {} from {}: a run killed during its commit had set the old plan aside",
                    dest.display(),
                    aside.display()
                );
            }
            held = Some(l);
        }
        if dest.exists() {
            if !dest.is_dir() {
                return Err(OutputError::NotADir(dest.to_path_buf()));
            }
            if non_empty(dest)? && !force {
                return Err(OutputError::NotEmpty(dest.to_path_buf()));
            }
            if let Some(entry) = foreign_entry(dest)? {
                return Err(OutputError::Foreign(dest.to_path_buf(), entry));
            }
        }
        Self::stage_beside(dest, force, held)
    }

    /// The lock (`held`, when the caller already took it), stale staging
    /// removed, the signal handler and a new staging folder beside `dest`.
    fn stage_beside(
        dest: &Path,
        force: bool,
        held: Option<Lock>,
    ) -> Result<OutputDir, OutputError> {
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let made = missing_dirs(&parent);
        fs::create_dir_all(&parent).map_err(io(&parent))?;
        let lock = match held {
            Some(l) => l,
            None => lock(&parent, dest)?,
        };
        remove_stale_staging(&parent);
        install_signal_cleanup();
        let mut list = staging_list();
        let staging = loop {
            let candidate = unique_sibling(&parent, STAGING_PREFIX);
            match fs::create_dir(&candidate) {
                Ok(()) => break candidate,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io(&parent)(e)),
            }
        };
        list.push(staging.clone());
        drop(list);
        Ok(OutputDir {
            dest: dest.to_path_buf(),
            parent,
            staging,
            force,
            committed: false,
            update: false,
            lock,
            made,
        })
    }

    /// Prepares to replace some files of the existing folder `dest` and keep
    /// the rest (a sweep folder that `sweep collect` adds its merged files to,
    /// beside its `parts/`): the files are staged as [`OutputDir::create`]
    /// stages them, under the same lock; [`OutputDir::commit`] first carries
    /// every other entry of `dest` into the staging folder (hard links of its
    /// files, copies where a link is refused; folders and symbolic links
    /// recreated), swaps the folders in one step, then moves over whatever
    /// changed in the old folder since, so that nothing of `dest` is lost and
    /// the new files appear all at once. `dest` is resolved first (`.` or a
    /// symbolic link to a folder: the folder itself is swapped).
    pub fn update(dest: &Path) -> Result<OutputDir, OutputError> {
        let real = fs::canonicalize(dest).map_err(io(dest))?;
        let meta = fs::metadata(&real).map_err(io(dest))?;
        if !meta.is_dir() {
            return Err(OutputError::NotADir(dest.to_path_buf()));
        }
        let mut out = Self::stage_beside(&real, true, None)?;
        out.update = true;
        // The folder keeps its mode (a group-writable shared sweep folder).
        fs::set_permissions(&out.staging, meta.permissions()).map_err(io(&out.staging))?;
        Ok(out)
    }

    /// The staging folder (for tests and diagnostics).
    pub fn staging_path(&self) -> &Path {
        &self.staging
    }

    /// Stages one file (through [`write_file_atomic`], like every file dcsite writes).
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
        write_file_atomic(&self.staging.join(name), bytes, true)
    }

    /// Puts the staged folder in place of the destination in one step (see the
    /// module documentation).
    pub fn commit(mut self) -> Result<PathBuf, OutputError> {
        // The new files' names (the rest of the folder is carried over).
        let mut staged = Vec::new();
        if self.update {
            staged = fs::read_dir(&self.staging)
                .map_err(io(&self.staging))?
                .flatten()
                .map(|e| e.file_name())
                .collect();
            let _creating = creating();
            carry_over(&self.dest, &self.staging, true)?;
        }
        sync_dir(&self.staging);
        let mut list = staging_list();
        let result = self.swap_in();
        if result.is_ok() {
            self.committed = true;
            if self.update && !move_changed(&self.staging, &self.dest, Some(&staged)) {
                // Something of the old folder could not be moved over: keep it.
                let kept = unique_sibling(&self.parent, ".dcsite-kept-pid");
                if fs::rename(&self.staging, &kept).is_ok() {
                    eprintln!(
                        "dcsite: warning: some entries of the old {} could not be moved into \
                         the new one; they are kept in {}",
                        self.dest.display(),
                        kept.display()
                    );
                }
            }
            // What is left at the staging path is the old plan (or nothing).
            let _ = fs::remove_dir_all(&self.staging);
            list.retain(|p| p != &self.staging);
        }
        drop(list);
        result.map(|()| self.dest.clone())
    }

    fn swap_in(&self) -> Result<(), OutputError> {
        let dest = &self.dest;
        // A new folder in one rename, unless someone created it since the check.
        if !dest.exists() && rename_new(&self.staging, dest).map_err(io(dest))? {
            sync_dir(&self.parent);
            return Ok(());
        }
        if !dest.is_dir() {
            return Err(OutputError::NotADir(dest.clone()));
        }
        if !self.force && non_empty(dest)? {
            return Err(OutputError::Appeared(dest.clone()));
        }
        // An updated folder is carried over whole: nothing of it is deleted.
        let foreign = if self.update {
            None
        } else {
            foreign_entry(dest)?
        };
        if let Some(entry) = foreign {
            return Err(OutputError::Foreign(dest.clone(), entry));
        }
        // For tests only: DCSITE_TEST_NO_EXCHANGE=1 takes the fallback below
        // as where the file system refuses RENAME_EXCHANGE (EINVAL).
        let no_exchange = std::env::var_os("DCSITE_TEST_NO_EXCHANGE").is_some_and(|v| v == "1");
        if !no_exchange && exchange(&self.staging, dest).map_err(io(dest))? {
            sync_dir(&self.parent);
            return Ok(());
        }
        // No atomic exchange here: old aside, new in, old deleted by commit.
        // The lock file records the set-aside folder first (synced), so a
        // run killed between the two renames loses nothing: the next run
        // into `dest` renames it back ([`restore_set_aside`]), and no run
        // deletes it while `dest` is absent ([`remove_stale_staging`]).
        let aside = unique_sibling(&self.parent, ASIDE_PREFIX);
        record_aside(&self.lock.file, Some(&aside)).map_err(io(dest))?;
        fs::rename(dest, &aside).map_err(io(dest))?;
        sync_dir(&self.parent);
        // For tests only: DCSITE_TEST_KILL_BETWEEN_RENAMES=1 kills the process
        // here (SIGKILL), with the old plan aside and `dest` absent.
        if std::env::var_os("DCSITE_TEST_KILL_BETWEEN_RENAMES").is_some_and(|v| v == "1") {
            // SIGKILL to this process: nothing after it runs.
            let _ = signal_hook::low_level::raise(signal_hook::consts::SIGKILL);
        }
        if let Err(e) = fs::rename(&self.staging, dest) {
            if fs::rename(&aside, dest).is_ok() {
                let _ = record_aside(&self.lock.file, None);
            }
            return Err(io(dest)(e));
        }
        let _ = fs::rename(&aside, &self.staging);
        let _ = fs::remove_dir_all(&aside);
        sync_dir(&self.parent);
        let _ = record_aside(&self.lock.file, None);
        Ok(())
    }
}

/// Names of dcsite's own temporary leftovers, never carried over by
/// [`OutputDir::update`]: files being written (`AtomicFile`) and the staging
/// folders that `sweep collect` made inside a sweep folder before it staged
/// beside it.
fn is_leftover(name: &str) -> bool {
    name.starts_with(".dcsite-tmp-") || name.starts_with(".dcsite-collect-")
}

/// (device, inode) of a path itself (not what a symbolic link names).
fn identity(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        fs::symlink_metadata(path).ok().map(|m| (m.dev(), m.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Carries every entry of `from` that `to` does not hold yet into `to`:
/// files as hard links (a copy, opened without following a symbolic link,
/// where the link is refused), folders recreated with their mode and filled
/// the same way, symbolic links recreated. A special file (FIFO, socket,
/// device) is refused: it cannot be carried over.
fn carry_over(from: &Path, to: &Path, top: bool) -> Result<(), OutputError> {
    for e in fs::read_dir(from).map_err(io(from))? {
        let e = e.map_err(io(from))?;
        let name = e.file_name();
        if top && is_leftover(&name.to_string_lossy()) {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        if fs::symlink_metadata(&dst).is_ok() {
            // Staged anew: the new file replaces the old one.
            continue;
        }
        let kind = e.file_type().map_err(io(&src))?;
        if kind.is_dir() {
            fs::create_dir(&dst).map_err(io(&dst))?;
            if let Ok(m) = fs::metadata(&src) {
                let _ = fs::set_permissions(&dst, m.permissions());
            }
            carry_over(&src, &dst, false)?;
        } else if kind.is_file() {
            if fs::hard_link(&src, &dst).is_err() {
                copy_nofollow(&src, &dst)?;
            }
        } else if kind.is_symlink() {
            #[cfg(unix)]
            {
                let target = fs::read_link(&src).map_err(io(&src))?;
                std::os::unix::fs::symlink(target, &dst).map_err(io(&dst))?;
            }
        } else {
            return Err(OutputError::Foreign(
                from.to_path_buf(),
                format!(
                    "the special file {} (not a file, folder or symbolic link), which cannot be \
                     carried into the new folder",
                    crate::data::problem::shown(&name.to_string_lossy())
                ),
            ));
        }
    }
    Ok(())
}

/// Copies the regular file `src` (not through a symbolic link) to the new
/// file `dst`, with its mode.
fn copy_nofollow(src: &Path, dst: &Path) -> Result<(), OutputError> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let mut from = options.open(src).map_err(io(src))?;
    let meta = from.metadata().map_err(io(src))?;
    if !meta.is_file() {
        return Err(OutputError::Foreign(
            src.to_path_buf(),
            "something that is not a regular file".into(),
        ));
    }
    let mut to = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dst)
        .map_err(io(dst))?;
    std::io::copy(&mut from, &mut to).map_err(io(dst))?;
    let _ = to.set_permissions(meta.permissions());
    Ok(())
}

/// After [`OutputDir::update`]'s swap: moves every entry of the old folder
/// `old` that the new folder `new` does not hold as the same file (one that
/// appeared or was replaced after it was carried over) into `new`. The new
/// files themselves (`staged`: top level names) stay.
/// `false` when something could not be moved.
fn move_changed(old: &Path, new: &Path, staged: Option<&[std::ffi::OsString]>) -> bool {
    let Ok(entries) = fs::read_dir(old) else {
        return false;
    };
    let mut all = true;
    for e in entries.flatten() {
        let name = e.file_name();
        let top = staged.is_some();
        if staged.is_some_and(|s| s.contains(&name))
            || (top && is_leftover(&name.to_string_lossy()))
        {
            continue;
        }
        let (src, dst) = (e.path(), new.join(&name));
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        match fs::symlink_metadata(&dst) {
            Err(_) => all &= fs::rename(&src, &dst).is_ok(),
            Ok(m) if is_dir && m.is_dir() => all &= move_changed(&src, &dst, None),
            Ok(_) => {
                if identity(&src) != identity(&dst) {
                    all &= fs::rename(&src, &dst).is_ok();
                }
            }
        }
    }
    all
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let mut list = staging_list();
            let _ = fs::remove_dir_all(&self.staging);
            list.retain(|p| p != &self.staging);
            drop(list);
            // Nothing committed: what this run created beside the folder goes
            // (the lock file while still held, unless it records an old plan
            // set aside; then the folders it made, when empty).
            if self.lock.created && recorded_aside(&self.lock.file).is_none() {
                let _ = fs::remove_file(&self.lock.path);
            }
            for d in &self.made {
                if fs::remove_dir(d).is_err() {
                    break;
                }
            }
        }
    }
}

/// Mode of every file dcsite writes, before the umask: readable by all,
/// writable by the owner (0644 under the usual umask 022).
#[cfg(unix)]
pub const FILE_MODE: u32 = 0o644;

/// Writes one file atomically (temporary file in the same folder, synced, then
/// renamed), with mode [`FILE_MODE`] less the umask. Every file dcsite writes
/// goes through here: layers, styles, summary.json and regions.csv (staged by
/// [`OutputDir::write`]), the comparison files, the break-even curve and the
/// report. An existing file is refused unless `force`; without `force` the
/// file is linked into place only if nothing appeared there meanwhile.
pub fn write_file_atomic(path: &Path, bytes: &[u8], force: bool) -> Result<(), OutputError> {
    let mut f = AtomicFile::create(path, force)?;
    f.file().write_all(bytes).map_err(io(path))?;
    f.commit()
}

/// A file written a piece at a time and put in place as a whole, the way
/// [`write_file_atomic`] writes one from bytes: the pieces go into a
/// temporary file (`.dcsite-tmp-*`) in the destination's folder, which
/// [`AtomicFile::commit`] syncs and renames; dropped uncommitted, the
/// temporary file is removed and the destination is as it was.
pub struct AtomicFile {
    tmp: tempfile::NamedTempFile,
    path: PathBuf,
    force: bool,
}

impl AtomicFile {
    /// Starts `path` (its folder is created); an existing file is refused
    /// unless `force`.
    pub fn create(path: &Path, force: bool) -> Result<AtomicFile, OutputError> {
        if path.exists() && !force {
            return Err(OutputError::Exists(path.to_path_buf()));
        }
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let _creating = creating();
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(".dcsite-tmp-");
        // A temporary file is private (0600) by default; an output file is meant to be read.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(fs::Permissions::from_mode(FILE_MODE));
        }
        let tmp = builder.tempfile_in(&dir).map_err(io(&dir))?;
        Ok(AtomicFile {
            tmp,
            path: path.to_path_buf(),
            force,
        })
    }

    /// The temporary file, to write the contents into.
    pub fn file(&mut self) -> &mut fs::File {
        self.tmp.as_file_mut()
    }

    /// The destination.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Syncs the temporary file and renames it to the destination.
    pub fn commit(self) -> Result<(), OutputError> {
        let AtomicFile { tmp, path, force } = self;
        let path = path.as_path();
        tmp.as_file().sync_all().map_err(io(path))?;
        let _creating = creating();
        if force {
            tmp.persist(path).map_err(|e| OutputError::Io {
                path: path.to_path_buf(),
                err: e.error,
            })?;
        } else {
            tmp.persist_noclobber(path).map_err(|e| {
                if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                    OutputError::Exists(path.to_path_buf())
                } else {
                    OutputError::Io {
                        path: path.to_path_buf(),
                        err: e.error,
                    }
                }
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod update_tests {
    use super::*;

    fn entries(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(d)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// A run that commits nothing (refused input) leaves nothing beside its
    /// folder: not the lock file it created, not the folders it made; a
    /// committed run keeps its lock file, and a later run that fails leaves
    /// that one alone.
    #[test]
    fn a_run_that_commits_nothing_leaves_nothing_behind() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("a/b/out");
        drop(OutputDir::create(&dest, false).unwrap());
        assert_eq!(entries(t.path()), Vec::<String>::new());
        let mut out = OutputDir::create(&dest, false).unwrap();
        out.write("summary.json", b"{}").unwrap();
        out.commit().unwrap();
        assert_eq!(entries(&t.path().join("a/b")), [".out.dcsite-lock", "out"]);
        drop(OutputDir::create(&dest, true).unwrap());
        assert_eq!(entries(&t.path().join("a/b")), [".out.dcsite-lock", "out"]);
    }

    /// A lock file removed by the run that held it is not a lock: the next
    /// run locks the file at the path, and a second is refused.
    #[test]
    fn a_removed_lock_file_is_not_held() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("out");
        let first = OutputDir::create(&dest, false).unwrap();
        assert!(matches!(
            OutputDir::create(&dest, false),
            Err(OutputError::Busy(..))
        ));
        drop(first);
        let second = OutputDir::create(&dest, false).unwrap();
        assert!(second.lock.created);
        assert!(matches!(
            OutputDir::create(&dest, false),
            Err(OutputError::Busy(..))
        ));
    }

    /// `OutputDir::update`: the new files replace the old ones of their
    /// names, everything else (folders, files of the user's, symbolic links)
    /// stays, dcsite's leftovers go; nothing else is deleted.
    #[test]
    fn update_adds_files_and_keeps_the_rest() {
        let t = tempfile::tempdir().unwrap();
        let dest = t.path().join("sweep");
        fs::create_dir_all(dest.join("parts")).unwrap();
        fs::write(dest.join("parts/a.parquet"), b"a").unwrap();
        fs::write(dest.join("robust.csv"), b"old").unwrap();
        fs::write(dest.join("notes.txt"), b"mine").unwrap();
        fs::create_dir(dest.join(".dcsite-collect-x")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("parts/a.parquet", dest.join("link")).unwrap();
        let inode = identity(&dest.join("parts/a.parquet"));
        let mut out = OutputDir::update(&dest).unwrap();
        out.write("robust.csv", b"new").unwrap();
        out.write("sweep.json", b"{}").unwrap();
        out.commit().unwrap();
        assert_eq!(fs::read(dest.join("robust.csv")).unwrap(), b"new");
        assert_eq!(fs::read(dest.join("sweep.json")).unwrap(), b"{}");
        assert_eq!(fs::read(dest.join("notes.txt")).unwrap(), b"mine");
        assert_eq!(identity(&dest.join("parts/a.parquet")), inode);
        #[cfg(unix)]
        assert_eq!(fs::read(dest.join("link")).unwrap(), b"a");
        assert!(!dest.join(".dcsite-collect-x").exists());
        let left: Vec<_> = fs::read_dir(t.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".dcsite-") && !n.ends_with(".dcsite-lock"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    /// What changed in the old folder after it was carried over (a file
    /// added, a file replaced) is moved into the new one after the swap.
    #[test]
    fn changes_after_the_carry_over_are_moved_over() {
        let t = tempfile::tempdir().unwrap();
        let (old, new) = (t.path().join("old"), t.path().join("new"));
        fs::create_dir_all(old.join("parts")).unwrap();
        fs::create_dir_all(&new).unwrap();
        fs::write(old.join("parts/kept.parquet"), b"k").unwrap();
        fs::write(old.join("parts/m.json"), b"v1").unwrap();
        fs::write(old.join("robust.csv"), b"old").unwrap();
        fs::write(new.join("robust.csv"), b"new").unwrap();
        let staged = vec![std::ffi::OsString::from("robust.csv")];
        carry_over(&old, &new, true).unwrap();
        // Meanwhile: a part added, the manifest replaced (a new inode).
        fs::write(old.join("parts/late.parquet"), b"l").unwrap();
        fs::remove_file(old.join("parts/m.json")).unwrap();
        fs::write(old.join("parts/m.json"), b"v2").unwrap();
        assert!(move_changed(&old, &new, Some(&staged)));
        assert_eq!(fs::read(new.join("robust.csv")).unwrap(), b"new");
        assert_eq!(fs::read(new.join("parts/kept.parquet")).unwrap(), b"k");
        assert_eq!(fs::read(new.join("parts/late.parquet")).unwrap(), b"l");
        assert_eq!(fs::read(new.join("parts/m.json")).unwrap(), b"v2");
    }
}
