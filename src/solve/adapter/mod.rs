//! The HiGHS adapter: the one room of the crate with `unsafe` code and the
//! C interface of HiGHS (`highs_sys`). Everything above it works with the
//! safe types named here: a live model ([`Live`]) whose rows, columns,
//! bounds and costs change between solves, its solution and basis, the
//! library's version, and a MIP watched through a callback ([`watch`]).
//!
//! The two settings of the C allocator that dcsite makes (an arena cap and a
//! trim, [`cap_allocator_arenas`], [`release_freed_memory`]) are FFI too, so
//! they live here.
//!
//! The `highs` crate already gives most of this safely; what it lacks
//! (adding rows and columns to a live model, changing bounds and costs by
//! range, names, writing model files, callbacks) is wrapped here, each call
//! with the invariants that make it sound.

mod watch;

pub use ::highs::{
    ColProblem, HighsModelStatus as ModelStatus, HighsSolutionStatus as SolutionStatus,
    Model as Live, Sense, SolvedModel as Solved,
};
pub use watch::{solve_watched, Watched};

/// HiGHS's index type (row and column numbers, matrix positions).
pub type Int = highs_sys::HighsInt;

/// The HiGHS library linked into this binary, as "HiGHS <major>.<minor>.<patch>"
/// (read from the library itself, so that it is the one that solves).
pub fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        // SAFETY: the version getters take no arguments and only return integers.
        let (major, minor, patch) = unsafe {
            (
                highs_sys::Highs_versionMajor(),
                highs_sys::Highs_versionMinor(),
                highs_sys::Highs_versionPatch(),
            )
        };
        format!("HiGHS {major}.{minor}.{patch}")
    })
}

/// Caps the C allocator's arenas at `n` (glibc's `M_ARENA_MAX`; its default
/// is 8 per core). Every thread that allocates while the others hold their
/// arenas gets a new one, and what a thread frees stays in its arena: a
/// sweep's merge reads 64 part files at once on Polars' threads, and with
/// the default its memory went to new arenas on top of the solving's (a
/// 10,000-scenario sweep's peak: 112 MiB, 87 MiB with two arenas;
/// BENCHMARKS.md). Call it first thing in `main`, before any thread starts.
/// Returns whether the allocator took it (false where it is not glibc).
pub fn cap_allocator_arenas(n: usize) -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let n = libc::c_int::try_from(n.max(1)).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only sets an allocator parameter; M_ARENA_MAX
        // takes any positive count.
        unsafe { libc::mallopt(libc::M_ARENA_MAX, n) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        let _ = n;
        false
    }
}

/// Hands the memory that the solves of worker threads freed, and that the C
/// allocator still holds in those threads' arenas, back to the system
/// (glibc's `malloc_trim`). A sweep calls it between solving its scenarios
/// and merging them: without it the merge's memory came on top of the
/// solving's, since the merge's threads do not reuse the solver threads'
/// arenas. Returns whether any memory was given back (always false where
/// the C library is not glibc).
pub fn release_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim takes a byte count to keep free at the top of
        // the main heap and only returns free pages to the system; it is
        // thread-safe (it locks every arena it trims).
        unsafe { libc::malloc_trim(0) != 0 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// Columns in compressed column form over the rows of a live model: column
/// `j` has cost `cost[j]`, bounds `lower[j]..=upper[j]` and its entries at
/// `index[starts[j]..starts[j + 1]]` / `value[..]`.
pub struct Columns<'a> {
    pub cost: &'a [f64],
    pub lower: &'a [f64],
    pub upper: &'a [f64],
    pub starts: &'a [Int],
    pub index: &'a [Int],
    pub value: &'a [f64],
}

/// Rows `lower ≤ Σ value × column ≤ upper` in compressed row form over the
/// columns of a live model (`starts`: where each row's entries begin).
pub struct Rows<'a> {
    pub lower: &'a [f64],
    pub upper: &'a [f64],
    pub starts: &'a [Int],
    pub index: &'a [Int],
    pub value: &'a [f64],
}

/// HiGHS refused a change to a live model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused;

fn checked(status: highs_sys::HighsInt) -> Result<(), Refused> {
    if status == highs_sys::kHighsStatusError {
        Err(Refused)
    } else {
        Ok(())
    }
}

/// Checks a compressed block: `starts` has one entry per item, increasing
/// from 0, within the entries; every index below `within`.
fn check_block(n: usize, starts: &[Int], index: &[Int], value: &[f64], within: usize) {
    assert_eq!(starts.len(), n, "one start per row or column");
    assert_eq!(index.len(), value.len(), "an index per value");
    assert!(
        starts.windows(2).all(|w| w[0] <= w[1])
            && starts.first().is_none_or(|&s| s == 0)
            && starts.last().is_none_or(|&s| s as usize <= index.len()),
        "starts increase from 0 within the entries"
    );
    assert!(
        index.iter().all(|&i| i >= 0 && (i as usize) < within),
        "every entry within the model"
    );
}

/// What a live model can do beyond the `highs` crate's safe interface.
pub trait LiveExt {
    /// Seconds HiGHS has run on this instance, summed over every solve.
    fn run_time(&self) -> f64;
    /// Sets HiGHS's time limit to `seconds` from now. HiGHS compares its
    /// `time_limit` with the instance's run time summed over every solve, so
    /// a live instance solved again needs the time it has already run added.
    fn set_time_left(&mut self, seconds: f64);
    /// Adds columns; the basis stays valid (new columns enter nonbasic).
    fn add_columns(&mut self, cols: &Columns) -> Result<(), Refused>;
    /// Adds rows; the basis stays valid (new rows enter basic).
    fn add_rows(&mut self, rows: &Rows) -> Result<(), Refused>;
    /// New bounds for the columns `cols`.
    fn set_col_bounds(&mut self, cols: &[Int], lower: &[f64], upper: &[f64]);
    /// New bounds for the columns `first..first + lower.len()`.
    fn set_col_bounds_from(&mut self, first: usize, lower: &[f64], upper: &[f64]);
    /// New costs for the columns `first..first + cost.len()`.
    fn set_col_costs_from(&mut self, first: usize, cost: &[f64]);
    /// New bounds for the rows `first..first + lower.len()`.
    fn set_row_bounds_from(&mut self, first: usize, lower: &[f64], upper: &[f64]);
    /// The bounds of row `row`, or `None` when HiGHS has no such row.
    fn row_bounds(&mut self, row: usize) -> Option<(f64, f64)>;
    /// Forgets the basis and factorisation: the next solve starts afresh.
    fn clear_solver(&mut self);
    /// Names every row and column (for model files); names must have no NUL.
    fn set_names(&mut self, rows: &[String], cols: &[String]);
    /// Writes the model; the format follows the extension (`.mps`, `.lp`).
    fn write_model(&mut self, path: &std::path::Path) -> Result<(), Refused>;
}

impl LiveExt for Live {
    fn run_time(&self) -> f64 {
        // SAFETY: a live instance; the call only reads its clock.
        unsafe { highs_sys::Highs_getRunTime(self.as_ptr()) }
    }

    fn set_time_left(&mut self, seconds: f64) {
        let ran = self.run_time();
        self.set_option("time_limit", ran + seconds);
    }

    fn add_columns(&mut self, c: &Columns) -> Result<(), Refused> {
        let n = c.cost.len();
        assert!(
            c.lower.len() == n && c.upper.len() == n,
            "bounds per column"
        );
        if n == 0 {
            return Ok(());
        }
        // SAFETY: reading the row count of a live instance.
        let rows = unsafe { highs_sys::Highs_getNumRow(self.as_ptr()) } as usize;
        check_block(n, c.starts, c.index, c.value, rows);
        // SAFETY: a live instance; the slices hold `n` columns in compressed
        // column form over its rows (checked above) and outlive the call.
        checked(unsafe {
            highs_sys::Highs_addCols(
                self.as_mut_ptr(),
                n as Int,
                c.cost.as_ptr(),
                c.lower.as_ptr(),
                c.upper.as_ptr(),
                c.index.len() as Int,
                c.starts.as_ptr(),
                c.index.as_ptr(),
                c.value.as_ptr(),
            )
        })
    }

    fn add_rows(&mut self, r: &Rows) -> Result<(), Refused> {
        let n = r.lower.len();
        assert_eq!(r.upper.len(), n, "bounds per row");
        if n == 0 {
            return Ok(());
        }
        // SAFETY: reading the column count of a live instance.
        let cols = unsafe { highs_sys::Highs_getNumCol(self.as_ptr()) } as usize;
        check_block(n, r.starts, r.index, r.value, cols);
        // SAFETY: a live instance; the slices hold `n` rows in compressed row
        // form over its columns (checked above) and outlive the call.
        checked(unsafe {
            highs_sys::Highs_addRows(
                self.as_mut_ptr(),
                n as Int,
                r.lower.as_ptr(),
                r.upper.as_ptr(),
                r.index.len() as Int,
                r.starts.as_ptr(),
                r.index.as_ptr(),
                r.value.as_ptr(),
            )
        })
    }

    fn set_col_bounds(&mut self, cols: &[Int], lower: &[f64], upper: &[f64]) {
        assert!(lower.len() == cols.len() && upper.len() == cols.len());
        // SAFETY: reading the column count of a live instance.
        let n = unsafe { highs_sys::Highs_getNumCol(self.as_ptr()) } as usize;
        assert!(cols.iter().all(|&c| c >= 0 && (c as usize) < n));
        // SAFETY: a live instance; one entry per listed column (checked), all
        // columns of the model; the arrays outlive the call.
        unsafe {
            highs_sys::Highs_changeColsBoundsBySet(
                self.as_mut_ptr(),
                cols.len() as Int,
                cols.as_ptr(),
                lower.as_ptr(),
                upper.as_ptr(),
            );
        }
    }

    fn set_col_bounds_from(&mut self, first: usize, lower: &[f64], upper: &[f64]) {
        assert_eq!(lower.len(), upper.len());
        if lower.is_empty() {
            return;
        }
        // SAFETY: reading the column count of a live instance.
        let n = unsafe { highs_sys::Highs_getNumCol(self.as_ptr()) } as usize;
        assert!(first + lower.len() <= n, "columns of the model");
        // SAFETY: a live instance; the range is within its columns (checked)
        // and the arrays hold one entry per column of it.
        unsafe {
            highs_sys::Highs_changeColsBoundsByRange(
                self.as_mut_ptr(),
                first as Int,
                (first + lower.len() - 1) as Int,
                lower.as_ptr(),
                upper.as_ptr(),
            );
        }
    }

    fn set_col_costs_from(&mut self, first: usize, cost: &[f64]) {
        if cost.is_empty() {
            return;
        }
        // SAFETY: reading the column count of a live instance.
        let n = unsafe { highs_sys::Highs_getNumCol(self.as_ptr()) } as usize;
        assert!(first + cost.len() <= n, "columns of the model");
        // SAFETY: a live instance; the range is within its columns (checked)
        // and `cost` holds one entry per column of it.
        unsafe {
            highs_sys::Highs_changeColsCostByRange(
                self.as_mut_ptr(),
                first as Int,
                (first + cost.len() - 1) as Int,
                cost.as_ptr(),
            );
        }
    }

    fn set_row_bounds_from(&mut self, first: usize, lower: &[f64], upper: &[f64]) {
        assert_eq!(lower.len(), upper.len());
        if lower.is_empty() {
            return;
        }
        // SAFETY: reading the row count of a live instance.
        let n = unsafe { highs_sys::Highs_getNumRow(self.as_ptr()) } as usize;
        assert!(first + lower.len() <= n, "rows of the model");
        // SAFETY: a live instance; the range is within its rows (checked) and
        // the arrays hold one entry per row of it.
        unsafe {
            highs_sys::Highs_changeRowsBoundsByRange(
                self.as_mut_ptr(),
                first as Int,
                (first + lower.len() - 1) as Int,
                lower.as_ptr(),
                upper.as_ptr(),
            );
        }
    }

    fn row_bounds(&mut self, row: usize) -> Option<(f64, f64)> {
        // SAFETY: reading the counts of a live instance.
        let (n_rows, n_cols) = unsafe {
            (
                highs_sys::Highs_getNumRow(self.as_ptr()) as usize,
                highs_sys::Highs_getNumCol(self.as_ptr()) as usize,
            )
        };
        if row >= n_rows {
            return None;
        }
        let mut index: Vec<Int> = vec![0; n_cols.max(1)];
        let mut value = vec![0.0; n_cols.max(1)];
        let (mut lower, mut upper) = (0.0, 0.0);
        let (mut n, mut nz, mut start): (Int, Int, Int) = (0, 0, 0);
        // SAFETY: a live instance; one of its rows is asked for, and the
        // matrix buffers hold a whole row (at most one entry per column).
        let status = unsafe {
            highs_sys::Highs_getRowsByRange(
                self.as_mut_ptr(),
                row as Int,
                row as Int,
                &mut n,
                &mut lower,
                &mut upper,
                &mut nz,
                &mut start,
                index.as_mut_ptr(),
                value.as_mut_ptr(),
            )
        };
        (status != highs_sys::kHighsStatusError && n == 1).then_some((lower, upper))
    }

    fn clear_solver(&mut self) {
        // SAFETY: a live instance.
        unsafe { highs_sys::Highs_clearSolver(self.as_mut_ptr()) };
    }

    fn set_names(&mut self, rows: &[String], cols: &[String]) {
        use std::ffi::CString;
        let c = |s: &str| CString::new(s).expect("names have no NUL");
        // SAFETY: reading the counts of a live instance.
        let (n_rows, n_cols) = unsafe {
            (
                highs_sys::Highs_getNumRow(self.as_ptr()) as usize,
                highs_sys::Highs_getNumCol(self.as_ptr()) as usize,
            )
        };
        assert!(rows.len() <= n_rows && cols.len() <= n_cols);
        let ptr = self.as_mut_ptr();
        // SAFETY: `ptr` is the live instance; every index is one of its rows
        // or columns (checked above); each CString outlives its call.
        unsafe {
            for (i, n) in rows.iter().enumerate() {
                highs_sys::Highs_passRowName(ptr, i as Int, c(n).as_ptr());
            }
            for (i, n) in cols.iter().enumerate() {
                highs_sys::Highs_passColName(ptr, i as Int, c(n).as_ptr());
            }
        }
    }

    fn write_model(&mut self, path: &std::path::Path) -> Result<(), Refused> {
        let file =
            std::ffi::CString::new(path.to_string_lossy().as_bytes()).map_err(|_| Refused)?;
        // SAFETY: a live instance and a NUL-terminated path that outlives the call.
        checked(unsafe { highs_sys::Highs_writeModel(self.as_mut_ptr(), file.as_ptr()) })
    }
}
