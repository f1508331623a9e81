//! Input problems: each names the file, the row, the column, what was
//! expected and what was found.

use std::collections::BTreeMap;
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
        write!(f, "{}", escaped(&self.file.display().to_string()))?;
        if let Some(r) = self.row {
            write!(f, ": row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column {}", cut(&escaped(c), SHOWN_CHARS))?;
        }
        write!(
            f,
            ": expected {}, found {}",
            cut(&escaped(&self.expected), MESSAGE_CHARS),
            cut(&escaped(&self.found), MESSAGE_CHARS)
        )
    }
}

/// Every problem found in one load, in the order found.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct Problems(pub Vec<Problem>);

/// How many problems a message lists one by one; the rest are counted per
/// file and column.
pub const LISTED: usize = 200;

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        writeln!(
            f,
            "{n} input problem{} found:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in self.0.iter().take(LISTED) {
            writeln!(f, "  {p}")?;
        }
        if n > LISTED {
            let mut rest: BTreeMap<(String, String), usize> = BTreeMap::new();
            for p in &self.0[LISTED..] {
                let file = escaped(&p.file.display().to_string());
                let column = p
                    .column
                    .as_deref()
                    .map(|c| cut(&escaped(c), SHOWN_CHARS))
                    .unwrap_or_else(|| "-".into());
                *rest.entry((file, column)).or_default() += 1;
            }
            writeln!(f, "  … and {} more, not listed:", n - LISTED)?;
            for ((file, column), k) in rest {
                writeln!(f, "    {file}, column {column}: {k}")?;
            }
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

/// The most characters of a found value a message shows.
pub const SHOWN_CHARS: usize = 80;
/// The most characters of one "expected" or "found" part of a message.
const MESSAGE_CHARS: usize = 400;

/// Whether a character must not reach a terminal raw: control characters
/// (escape sequences, carriage returns, line breaks inside a value) and the
/// bidirectional overrides that reorder what a terminal shows.
fn hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every control character escaped (`\n`, `\u{1b}`).
pub fn escaped(s: &str) -> String {
    if !s.chars().any(hidden) {
        return s.to_string();
    }
    s.chars()
        .map(|c| {
            if hidden(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// The first `n` characters of `s`, with `…` when cut.
pub fn cut(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        None => s.to_string(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
}

/// Shows a found value in a message: at most 80 characters, control
/// characters escaped, quoted.
pub fn shown(value: &str) -> String {
    let head: String = value.chars().take(SHOWN_CHARS).collect();
    let more = head.len() < value.len();
    format!("\"{}{}\"", escaped(&head), if more { "…" } else { "" })
}

/// Escapes the control characters of a whole message, keeping its line breaks.
pub fn escaped_message(s: &str) -> String {
    s.split('\n').map(escaped).collect::<Vec<_>>().join("\n")
}

/// A number read from a scenario file, as a message shows it (`1e300`, `NaN`).
pub fn found_number(v: f64) -> String {
    if v.is_finite() && v != 0.0 && !(1e-4..1e9).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}
