//! Reading an input file: regular files only (a FIFO, a device or a folder
//! is an input error, never a hang), no larger than a cap.

use std::fs;
use std::io::Read;
use std::path::Path;

/// Largest table file read unless `DCSITE_MAX_TABLE_BYTES` says otherwise: 2 GiB.
pub const DEFAULT_MAX_TABLE_BYTES: u64 = 2 << 30;
/// Environment variable that sets the largest table file, in bytes.
pub const MAX_TABLE_BYTES_ENV: &str = "DCSITE_MAX_TABLE_BYTES";
/// Largest scenario (TOML) file read: 16 MiB.
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// The cap on a table file's size: `DCSITE_MAX_TABLE_BYTES` (a whole number of
/// bytes, at least 1) or 2 GiB; `Err(found)` for a value that is not one.
pub fn max_table_bytes() -> Result<u64, String> {
    match std::env::var(MAX_TABLE_BYTES_ENV) {
        Err(std::env::VarError::NotPresent) => Ok(DEFAULT_MAX_TABLE_BYTES),
        Err(std::env::VarError::NotUnicode(v)) => Err(super::problem::shown(&v.to_string_lossy())),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(super::problem::shown(&v)),
        },
    }
}

/// What kind of file a path names, for a message.
fn kind_of(t: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// Why a file could not be read: (expected, found) of a problem.
pub type ReadRefusal = (String, String);

/// A `hint` for a table file that is too large.
pub fn table_hint() -> String {
    format!(" (set {MAX_TABLE_BYTES_ENV} to allow more)")
}

/// Opens a regular file of at most `limit` bytes for reading as a stream
/// (`hint` follows the limit in the message), checked as [`read_regular`]
/// checks it; the caller reads at most `limit` bytes of it (`take`), in case
/// it grows.
pub fn open_capped(
    path: &Path,
    limit: u64,
    what: &str,
    hint: &str,
) -> Result<fs::File, ReadRefusal> {
    let (file, meta) = open_regular(path, what, false)?;
    if meta.len() > limit {
        return Err((
            format!("a {what} of at most {limit} bytes{hint}"),
            format!("{} bytes", meta.len()),
        ));
    }
    Ok(file)
}

/// Reads a regular file of at most `limit` bytes (`hint` follows the limit in
/// the message). The file is opened without
/// blocking (a FIFO cannot stall the open) and checked on the open handle, so
/// it cannot be swapped for something else in between.
pub fn read_regular(
    path: &Path,
    limit: u64,
    what: &str,
    hint: &str,
) -> Result<Vec<u8>, ReadRefusal> {
    let file = open_capped(path, limit, what, hint)?;
    let refused = |found: String| (format!("a readable {what} (a regular file)"), found);
    let len = file.metadata().map_err(|e| refused(io_text(&e)))?.len();
    let mut bytes = Vec::with_capacity(len.min(limit) as usize);
    // A file that grows while being read is cut at the limit and refused.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| refused(io_text(&e)))?;
    if bytes.len() as u64 > limit {
        return Err((
            format!("a {what} of at most {limit} bytes{hint}"),
            format!("more than {limit} bytes"),
        ));
    }
    Ok(bytes)
}

/// An I/O error as a message shows it: its text once, without the OS error
/// number, e.g. "permission denied".
pub fn io_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// Opens a regular file for reading the way [`read_regular`] does (without
/// blocking, the type checked on the handle), and with `nofollow` refuses a
/// symbolic link in the last component (`O_NOFOLLOW`): for files inside a
/// folder others can write, such as a sweep's `parts/`.
pub fn open_regular(
    path: &Path,
    what: &str,
    nofollow: bool,
) -> Result<(fs::File, fs::Metadata), ReadRefusal> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let follow = if nofollow { libc::O_NOFOLLOW } else { 0 };
        options.custom_flags(libc::O_NONBLOCK | follow);
    }
    let refused = |found: String| (format!("a readable {what} (a regular file)"), found);
    let file = match options.open(path) {
        Ok(f) => f,
        #[cfg(unix)]
        Err(e) if nofollow && e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(refused("a symbolic link".into()))
        }
        Err(e) => return Err(refused(io_text(&e))),
    };
    let meta = file.metadata().map_err(|e| refused(io_text(&e)))?;
    if !meta.file_type().is_file() {
        return Err(refused(kind_of(&meta.file_type()).to_string()));
    }
    Ok((file, meta))
}

/// [`read_regular`] through [`open_regular`]: at most `limit` bytes of a
/// regular file, a symbolic link refused when `nofollow`.
pub fn read_regular_checked(
    path: &Path,
    limit: u64,
    what: &str,
    nofollow: bool,
) -> Result<Vec<u8>, ReadRefusal> {
    let (file, meta) = open_regular(path, what, nofollow)?;
    let too_large = |found: String| (format!("a {what} of at most {limit} bytes"), found);
    if meta.len() > limit {
        return Err(too_large(format!("{} bytes", meta.len())));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| (format!("a readable {what}"), io_text(&e)))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(format!("more than {limit} bytes")));
    }
    Ok(bytes)
}
