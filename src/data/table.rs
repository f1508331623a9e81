//! Reading one CSV table with Polars and checking it against its schema.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::problem::{cut, shown, Problem, Problems, SHOWN_CHARS};
use super::schema::{Kind, Table};

/// A table read as text cells, checked against its schema. Values of cells
/// that failed a check are kept as text but the problem is recorded.
#[derive(Debug, Clone)]
pub struct RawTable {
    pub file: PathBuf,
    pub spec: &'static Table,
    /// Column name → cells. Only schema columns.
    columns: HashMap<&'static str, Cells>,
    /// Cells written by scenario what-ifs (and added rows), over `columns`.
    edits: HashMap<(usize, usize), Option<String>>,
    pub n_rows: usize,
}

/// The cells of one column in one buffer (a `String` per cell costs 24 bytes
/// plus an allocation each: a 1M-row table took 7× its file size in memory).
#[derive(Debug, Clone, Default)]
struct Cells {
    text: String,
    /// End of cell `i` in `text`; cell `i` starts where cell `i - 1` ends. An
    /// empty cell is `None`.
    ends: Vec<u32>,
}

impl Cells {
    fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        (end > start).then(|| &self.text[start..end])
    }
    fn len(&self) -> usize {
        self.ends.len()
    }
}

/// Appends the cells of a text column, trimmed, to `c`; `false` when the
/// column's text would exceed 4 GiB.
fn append_cells(c: &mut Cells, column: &Column) -> bool {
    c.ends.reserve(column.len());
    match column.str() {
        Ok(ca) => {
            for v in ca.iter() {
                if let Some(v) = v {
                    c.text.push_str(v.trim().trim_end_matches('\r').trim());
                }
                let Ok(end) = u32::try_from(c.text.len()) else {
                    return false;
                };
                c.ends.push(end);
            }
        }
        Err(_) => {
            let end = c.ends.last().copied().unwrap_or(0);
            c.ends.resize(c.ends.len() + column.len(), end);
        }
    }
    true
}

/// Spreadsheet row of a 0-based data row: the header is row 1.
pub fn sheet_row(i: usize) -> usize {
    i + 2
}

impl RawTable {
    /// Text of a cell, `None` when empty or when the column is absent.
    pub fn get(&self, column: &str, i: usize) -> Option<&str> {
        if !self.edits.is_empty() {
            let k = self.spec.columns.iter().position(|c| c.name == column);
            if let Some(v) = k.and_then(|k| self.edits.get(&(k, i))) {
                return v.as_deref();
            }
        }
        self.columns.get(column).and_then(|c| c.get(i))
    }
    /// Text of a cell, empty string when empty.
    pub fn text(&self, column: &str, i: usize) -> String {
        self.get(column, i).unwrap_or("").to_string()
    }
    /// A cell as a number; NaN when empty or invalid (already reported).
    pub fn real(&self, column: &str, i: usize) -> f64 {
        self.get(column, i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    }
    pub fn opt_real(&self, column: &str, i: usize) -> Option<f64> {
        self.get(column, i).and_then(|v| v.parse::<f64>().ok())
    }
    pub fn opt_text(&self, column: &str, i: usize) -> Option<String> {
        self.get(column, i).map(str::to_string)
    }
    /// The first row whose `column` cell is `value`.
    pub fn find_row(&self, column: &str, value: &str) -> Option<usize> {
        (0..self.n_rows).find(|&i| self.get(column, i) == Some(value))
    }
    /// Replaces one cell (a scenario what-if), adding the column when the file
    /// has none. `column` must be a column of the schema.
    pub fn set_cell(&mut self, column: &'static str, i: usize, value: Option<String>) {
        let k = self
            .spec
            .columns
            .iter()
            .position(|c| c.name == column)
            .expect("a column of the schema");
        self.edits.insert((k, i), value);
    }
    /// Frees the cells of a column (its cells read as empty from then on).
    pub fn drop_column(&mut self, column: &str) {
        self.columns.remove(column);
    }
    /// Frees the cells of every column but `keep`.
    pub fn drop_columns_except(&mut self, keep: &[&str]) {
        self.columns.retain(|c, _| keep.contains(c));
    }
    /// Appends an empty row and returns its index.
    pub fn push_row(&mut self) -> usize {
        self.n_rows += 1;
        self.n_rows - 1
    }
}

/// Checks one cell of a table against its column, as reading the file does.
pub fn check_table_cell(
    path: &Path,
    c: &super::schema::Column,
    i: usize,
    v: &Option<String>,
    problems: &mut Problems,
) {
    check_cell(path, c, sheet_row(i), v.as_deref(), problems);
}

/// Reads `path` as the table `spec`, recording every problem into `problems`.
/// Returns `None` only when the file cannot be read or parsed at all.
pub fn read_table(path: &Path, spec: &'static Table, problems: &mut Problems) -> Option<RawTable> {
    read_table_capped(path, spec, super::file::DEFAULT_MAX_TABLE_BYTES, problems)
}

/// [`read_table`] with a cap on the file's size in bytes.
pub fn read_table_capped(
    path: &Path,
    spec: &'static Table,
    limit: u64,
    problems: &mut Problems,
) -> Option<RawTable> {
    let bytes = table_bytes(path, spec, limit, problems)?;
    // Polars reads the file a slice of records at a time, each slice's cells
    // appended to the column buffers at once: the whole file's frame (16
    // bytes per cell plus the text) never exists beside the file's bytes.
    let (header_end, bounds, records) = match record_slices(&bytes, SLICE_RECORDS) {
        Ok(x) => x,
        Err(line) => {
            problems.push(Problem::new(
                path,
                Some(line),
                None,
                "a closing quote for the quote opened on this row",
                "none up to the end of the file",
            ));
            return None;
        }
    };
    let mut n_rows = 0;
    // For each schema column: its position in the file and its cells.
    let mut wanted: Vec<Wanted> = Vec::new();
    for (k, w) in bounds.windows(2).enumerate() {
        let df = slice_frame(path, &bytes, header_end, (w[0], w[1]), problems)?;
        if k == 0 {
            wanted = wanted_columns(path, spec, &df, problems)?;
        }
        let slice_rows = df.height();
        n_rows += slice_rows;
        // Size each buffer once for the whole file, from the first slice
        // (growing by doubling would hold up to twice the text).
        let reserve_for = (k == 0 && slice_rows > 0).then(|| records.max(slice_rows));
        append_frame(path, df, &mut wanted, reserve_for, problems)?;
    }
    drop(bytes);
    let mut columns = HashMap::new();
    for (c, _, mut cells) in wanted {
        cells.text.shrink_to_fit();
        cells.ends.shrink_to_fit();
        for i in 0..cells.len() {
            check_cell(path, c, sheet_row(i), cells.get(i), problems);
        }
        columns.insert(c.name, cells);
    }
    let table = RawTable {
        file: path.to_path_buf(),
        spec,
        columns,
        edits: HashMap::new(),
        n_rows,
    };
    if let Some(key) = spec.key {
        check_unique(&table, key, problems);
    }
    Some(table)
}

/// A schema column read from a file: its position in the file and its cells.
type Wanted = (&'static super::schema::Column, usize, Cells);

/// A table file's bytes (without a UTF-8 byte-order mark), checked to be
/// UTF-8, not empty, and with as many fields on every row as the header.
fn table_bytes(
    path: &Path,
    spec: &'static Table,
    limit: u64,
    problems: &mut Problems,
) -> Option<Vec<u8>> {
    let what = format!("{} table", spec.name);
    let bytes = match super::file::read_regular(path, limit, &what, &super::file::table_hint()) {
        Ok(b) => b,
        Err((expected, found)) => {
            problems.push(Problem::new(path, None, None, expected, found));
            return None;
        }
    };
    // Spreadsheets on Windows write a UTF-8 byte-order mark; accept it.
    let bytes = bytes
        .strip_prefix(&[0xEF, 0xBB, 0xBF])
        .map(<[u8]>::to_vec)
        .unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(&bytes) {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        problems.push(Problem::new(
            path,
            Some(line),
            None,
            "UTF-8 text",
            format!("an invalid byte sequence at byte {}", e.valid_up_to()),
        ));
        return None;
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        problems.push(Problem::new(
            path,
            None,
            None,
            "a header row and data rows",
            "an empty file",
        ));
        return None;
    }
    if let Some((line, found, expected)) = ragged_row(&bytes) {
        problems.push(Problem::new(
            path,
            Some(line),
            None,
            format!("{expected} fields, as many as the header has"),
            format!("{found} fields"),
        ));
        return None;
    }
    Some(bytes)
}

/// The records `from..to` of the file, under its header, as a frame of text.
fn slice_frame(
    path: &Path,
    bytes: &[u8],
    header_end: usize,
    (from, to): (usize, usize),
    problems: &mut Problems,
) -> Option<DataFrame> {
    let mut slice = Vec::with_capacity(header_end + to - from);
    slice.extend_from_slice(&bytes[..header_end]);
    if !slice.ends_with(b"\n") {
        slice.push(b'\n');
    }
    slice.extend_from_slice(&bytes[from..to]);
    match read_text_frame(slice) {
        Ok(df) => Some(df),
        Err(e) => {
            // The first record of the slice the parser refused.
            let line = bytes[..from].iter().filter(|&&b| b == b'\n').count() + 1;
            problems.push(Problem::new(
                path,
                Some(line),
                None,
                format!(
                    "well-formed CSV (same number of fields on every row, balanced quotes) \
                     in this row or the {} after it",
                    SLICE_RECORDS - 1
                ),
                first_line(&e.to_string()),
            ));
            None
        }
    }
}

/// The schema's columns the file has, from the first slice's header
/// (checked); `None` when the file is not a table of this kind at all.
fn wanted_columns(
    path: &Path,
    spec: &'static Table,
    df: &DataFrame,
    problems: &mut Problems,
) -> Option<Vec<Wanted>> {
    let mut headers: Vec<String> = Vec::new();
    for name in df.get_column_names() {
        headers.push(name.trim().trim_end_matches('\r').to_string());
    }
    if !check_headers(path, spec, &headers, problems) {
        return None;
    }
    let mut wanted = Vec::new();
    for c in spec.columns {
        if let Some(pos) = headers.iter().position(|h| h == c.name) {
            wanted.push((c, pos, Cells::default()));
        }
    }
    Some(wanted)
}

/// Appends a slice's cells to the wanted columns' buffers; with
/// `reserve_for` (rows of the whole file), first sizes each buffer for them.
fn append_frame(
    path: &Path,
    df: DataFrame,
    wanted: &mut [Wanted],
    reserve_for: Option<usize>,
    problems: &mut Problems,
) -> Option<()> {
    let slice_rows = df.height();
    let mut frame: Vec<Option<Column>> = df.into_columns().into_iter().map(Some).collect();
    for (c, pos, cells) in wanted {
        let Some(column) = frame.get_mut(*pos).and_then(Option::take) else {
            continue;
        };
        if !append_cells(cells, &column) {
            problems.push(Problem::new(
                path,
                None,
                Some(c.name),
                "at most 4 GiB of text in one column",
                "more",
            ));
            return None;
        }
        if let Some(total) = reserve_for {
            let per_row = cells.text.len() as f64 / slice_rows as f64;
            let want = (per_row * total as f64 * 1.05) as usize;
            cells
                .text
                .reserve_exact(want.saturating_sub(cells.text.len()));
            cells
                .ends
                .reserve_exact(total.saturating_sub(cells.ends.len()));
        }
    }
    Some(())
}

/// Checks a table's header against its schema (a known table at all, unknown
/// and duplicate columns, required columns); `false` when the file is not
/// a table of this kind at all.
fn check_headers(
    path: &Path,
    spec: &'static Table,
    headers: &[String],
    problems: &mut Problems,
) -> bool {
    if !headers.iter().any(|h| spec.column(h).is_some()) {
        // Not a table of this kind at all (another file, or a file that is no
        // table): its first line is not echoed, it may hold anything.
        problems.push(Problem::new(
            path,
            Some(1),
            None,
            format!(
                "a header row with the columns of {} ({})",
                spec.name,
                spec.columns
                    .iter()
                    .map(|c| c.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!(
                "none of them ({} field{} on the first line, not shown)",
                headers.len(),
                if headers.len() == 1 { "" } else { "s" }
            ),
        ));
        return false;
    }
    for (idx, h) in headers.iter().enumerate() {
        if spec.column(h).is_none() {
            // The header cell is named once, as the column, cut to 80 characters.
            let name = cut(h, SHOWN_CHARS);
            let hint = match super::scenario::did_you_mean(h, spec.columns.iter().map(|c| c.name)) {
                Some(k) => format!("; did you mean {k}?"),
                None => String::new(),
            };
            problems.push(Problem::new(
                path,
                Some(1),
                Some(&name),
                format!(
                    "a column of {} ({})",
                    spec.name,
                    spec.columns
                        .iter()
                        .map(|c| c.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!("unknown column (column {}{hint})", idx + 1),
            ));
        }
        if headers[..idx].contains(h) {
            problems.push(Problem::new(
                path,
                Some(1),
                Some(&cut(h, SHOWN_CHARS)),
                "each column once",
                "a duplicate column",
            ));
        }
    }
    for c in spec.columns {
        if c.required && !headers.iter().any(|h| h == c.name) {
            problems.push(Problem::new(
                path,
                Some(1),
                Some(c.name),
                format!("required column {}", c.name),
                "no such column in the header",
            ));
        }
    }
    true
}

/// Records per slice that Polars reads at a time.
const SLICE_RECORDS: usize = 65_536;

/// Where the header ends, and the byte offsets that cut the data records
/// into slices of `per_slice` records (first offset: the header's end; last:
/// the file's end). Quotes may hold commas and line breaks.
/// and the number of records (lines outside quotes) after the header.
/// `Err(line)`: a quote opened on that line is never closed.
fn record_slices(bytes: &[u8], per_slice: usize) -> Result<(usize, Vec<usize>, usize), usize> {
    let mut in_quotes = false;
    let mut header_end = None;
    let mut bounds = Vec::new();
    let mut records = 0;
    let mut line = 1;
    let mut opened = 0;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' => {
                in_quotes = !in_quotes;
                if in_quotes {
                    opened = line;
                }
            }
            b'\n' => {
                line += 1;
                if in_quotes {
                    continue;
                }
                if header_end.is_none() {
                    header_end = Some(i + 1);
                    bounds.push(i + 1);
                } else {
                    records += 1;
                    if records % per_slice == 0 {
                        bounds.push(i + 1);
                    }
                }
            }
            _ => {}
        }
    }
    if in_quotes {
        return Err(opened);
    }
    let header_end = header_end.unwrap_or(bytes.len());
    if bounds.is_empty() {
        bounds.push(header_end);
    }
    if *bounds.last().expect("not empty") < bytes.len() || bounds.len() == 1 {
        bounds.push(bytes.len());
    }
    if bytes.last().is_some_and(|&b| b != b'\n') && header_end < bytes.len() {
        records += 1;
    }
    Ok((header_end, bounds, records))
}

/// The first record whose number of fields differs from the header's, as
/// (1-based line, fields found, fields expected). Quotes may hold commas and
/// line breaks.
fn ragged_row(bytes: &[u8]) -> Option<(usize, usize, usize)> {
    let mut header = None;
    let mut fields = 1;
    let mut in_quotes = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut empty = true;
    let mut i = 0;
    while i <= bytes.len() {
        let b = bytes.get(i).copied();
        match b {
            Some(b'"') => {
                in_quotes = !in_quotes;
                empty = false;
            }
            Some(b',') if !in_quotes => {
                fields += 1;
                empty = false;
            }
            Some(b'\n') | None if !in_quotes => {
                if !empty {
                    match header {
                        None => header = Some(fields),
                        Some(h) if h != fields => return Some((record_line, fields, h)),
                        _ => {}
                    }
                }
                fields = 1;
                empty = true;
                line += 1;
                record_line = line;
            }
            Some(b'\n') => line += 1,
            Some(b'\r') => {}
            Some(_) => empty = false,
            None => {}
        }
        i += 1;
    }
    None
}

/// Reads CSV bytes with a header into a frame of text columns. Every cell is
/// read as text (no inference) so that a bad cell can be reported with its row
/// and column instead of failing the whole read.
pub fn read_text_frame(bytes: Vec<u8>) -> PolarsResult<DataFrame> {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_n_threads(Some(1))
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()
}

/// The cells of a text column, trimmed, `None` for an empty cell.
pub fn text_cells(column: &Column) -> Vec<Option<String>> {
    match column.str() {
        Ok(ca) => ca
            .iter()
            .map(|v| {
                v.map(|s| s.trim().trim_end_matches('\r').trim().to_string())
                    .filter(|s| !s.is_empty())
            })
            .collect(),
        Err(_) => vec![None; column.len()],
    }
}

fn first_line(s: &str) -> String {
    cut(s.lines().next().unwrap_or(""), 200)
}

fn check_cell(
    path: &Path,
    c: &super::schema::Column,
    row: usize,
    v: Option<&str>,
    problems: &mut Problems,
) {
    let row = Some(row);
    let Some(v) = v else {
        if c.required {
            problems.push(Problem::new(
                path,
                row,
                Some(c.name),
                format!("a value ({})", c.kind.describe()),
                "an empty cell",
            ));
        }
        return;
    };
    if v.chars().any(|ch| ch.is_control()) {
        problems.push(Problem::new(
            path,
            row,
            Some(c.name),
            "text without control characters (line breaks, tabs, escape sequences)",
            shown(v),
        ));
        return;
    }
    let expected = match c.kind {
        Kind::Text => None,
        Kind::Id => (v.contains(char::is_whitespace) || v.contains(','))
            .then(|| "an identifier without spaces or commas".to_string()),
        Kind::Enum(words) => (!words.contains(&v)).then(|| c.kind.describe()),
        Kind::Real | Kind::Integer => number_cell(c, v),
    };
    if let Some(expected) = expected {
        problems.push(Problem::new(path, row, Some(c.name), expected, shown(v)));
    }
}

/// What a number cell should be, when it is not: a number (in the column's
/// unit) within the column's range.
fn number_cell(c: &super::schema::Column, v: &str) -> Option<String> {
    match v.parse::<f64>() {
        Err(_) => Some(format!(
            "a {}{}",
            c.kind.describe(),
            if c.unit.is_empty() {
                String::new()
            } else {
                format!(" in {}", c.unit)
            }
        )),
        Ok(x) => c.check_number(x).err(),
    }
}

fn check_unique(t: &RawTable, key: &str, problems: &mut Problems) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for i in 0..t.n_rows {
        if let Some(v) = t.get(key, i) {
            if let Some(first) = seen.get(v) {
                problems.push(Problem::new(
                    &t.file,
                    Some(sheet_row(i)),
                    Some(key),
                    "a unique identifier",
                    format!("{} again (first on row {})", shown(v), sheet_row(*first)),
                ));
            } else {
                seen.insert(v, i);
            }
        }
    }
}
