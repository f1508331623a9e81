//! Input problems: each names the file, the row, the column, what was
//! expected and what was found.

use std::fmt;
use std::path::{Path, PathBuf};

/// One problem found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    /// 1-based row as a spreadsheet shows it (the header is row 1), or the
    /// line of a TOML file.
    pub row: Option<usize>,
    /// Column of a table, or key of a scenario file.
    pub column: Option<String>,
    pub expected: String,
    pub found: String,
}

impl Problem {
    pub fn new(
        file: &Path,
        row: Option<usize>,
        column: Option<&str>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Problem {
        Problem {
            file: file.to_path_buf(),
            row,
            column: column.map(str::to_string),
            expected: expected.into(),
            found: found.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(r) = self.row {
            write!(f, ": row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        write!(f, ": expected {}, found {}", self.expected, self.found)
    }
}

/// Every problem found in one load, in the order found.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "{n} input problem{} found:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.0 {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl Problems {
    pub fn push(&mut self, p: Problem) {
        self.0.push(p);
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// Shows a found value short enough for one line of a message.
pub fn shown(value: &str) -> String {
    let v: String = value.chars().take(40).collect();
    if v.len() < value.len() {
        format!("\"{v}…\"")
    } else {
        format!("\"{v}\"")
    }
}
