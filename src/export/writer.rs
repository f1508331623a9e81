//! Atomic output: files are staged in a temporary folder next to the
//! destination and moved into place only when all of them are written.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{0} exists and is not empty; pass --force to replace the files dcsite writes there")]
    NotEmpty(PathBuf),
    #[error("{0} exists; pass --force to replace it")]
    Exists(PathBuf),
    #[error("{0} exists and is not a folder")]
    NotADir(PathBuf),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An output folder being written.
pub struct OutputDir {
    dest: PathBuf,
    staging: tempfile::TempDir,
    files: Vec<String>,
}

impl OutputDir {
    /// Prepares to write into `dest`. An existing non-empty folder is refused
    /// unless `force`.
    pub fn create(dest: &Path, force: bool) -> Result<OutputDir, OutputError> {
        if dest.exists() {
            if !dest.is_dir() {
                return Err(OutputError::NotADir(dest.to_path_buf()));
            }
            let non_empty = fs::read_dir(dest).map_err(io(dest))?.next().is_some();
            if non_empty && !force {
                return Err(OutputError::NotEmpty(dest.to_path_buf()));
            }
        }
        let parent = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(io(&parent))?;
        let staging = tempfile::Builder::new()
            .prefix(".dcsite-staging-")
            .tempdir_in(&parent)
            .map_err(io(&parent))?;
        Ok(OutputDir {
            dest: dest.to_path_buf(),
            staging,
            files: Vec::new(),
        })
    }

    /// Stages one file.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
        let path = self.staging.path().join(name);
        let mut f = fs::File::create(&path).map_err(io(&path))?;
        f.write_all(bytes).map_err(io(&path))?;
        f.sync_all().map_err(io(&path))?;
        self.files.push(name.to_string());
        Ok(())
    }

    /// Moves every staged file into place. A new folder appears in one rename;
    /// into an existing folder each file is renamed over the old one.
    pub fn commit(self) -> Result<PathBuf, OutputError> {
        let dest = self.dest.clone();
        if !dest.exists() {
            let staged = self.staging.keep();
            fs::rename(&staged, &dest).map_err(io(&dest))?;
            return Ok(dest);
        }
        for name in &self.files {
            let from = self.staging.path().join(name);
            let to = dest.join(name);
            fs::rename(&from, &to).map_err(io(&to))?;
        }
        Ok(dest)
    }
}

/// Writes one file atomically (temporary file in the same folder, then
/// rename). An existing file is refused unless `force`.
pub fn write_file_atomic(path: &Path, bytes: &[u8], force: bool) -> Result<(), OutputError> {
    if path.exists() && !force {
        return Err(OutputError::Exists(path.to_path_buf()));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(io(&dir))?;
    tmp.write_all(bytes).map_err(io(path))?;
    tmp.as_file().sync_all().map_err(io(path))?;
    tmp.persist(path).map_err(|e| OutputError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}
