//! Debian's QGIS for Python (`python3-qgis`, `qgis-providers`), run offscreen:
//! the one way the system tests start it. `make test` installs QGIS
//! (scripts/setup.sh), so a machine without it fails these tests with the
//! package names; nothing is skipped.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Debian's python, which has the `qgis` module (not a venv's or pyenv's).
const PYTHON: &str = "/usr/bin/python3";

/// A `python3` that can `import qgis.core`, checked once.
pub fn python() -> &'static str {
    static OK: OnceLock<bool> = OnceLock::new();
    let ok = *OK.get_or_init(|| {
        Command::new(PYTHON)
            .args(["-c", "import qgis.core"])
            .env("QT_QPA_PLATFORM", "offscreen")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    assert!(
        ok,
        "QGIS for Python is not installed: run scripts/setup.sh \
         (apt-get install python3-qgis qgis-providers)"
    );
    PYTHON
}

/// `python3` with QGIS's offscreen platform and a private runtime folder
/// (mode 0700, as Qt wants it) made under `parent`.
pub fn command(parent: &Path) -> Command {
    let runtime: PathBuf = parent.join("xdg-runtime");
    if !runtime.is_dir() {
        std::fs::create_dir_all(&runtime).unwrap();
        std::fs::set_permissions(
            &runtime,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
    }
    let mut c = Command::new(python());
    c.env("QT_QPA_PLATFORM", "offscreen")
        .env("XDG_RUNTIME_DIR", &runtime);
    c
}

/// Runs a QGIS script; its standard output, after asserting it succeeded
/// (the message carries both streams).
pub fn stdout_of(cmd: &mut Command, what: &str) -> String {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: python3 does not run: {e}"));
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{what} failed: {stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    stdout
}
