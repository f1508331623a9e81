//! The k-way merge of part files into one table: the rows of interleaved
//! shards' parts, sorted by scenario id a window of ids at a time, written a
//! row group at a time (a table of at most [`ROW_GROUP`] rows is byte for
//! byte the file an in-memory merge of every part writes).

use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::parts::{for_each_part, read_part, Part};
use crate::export::AtomicFile;
use crate::study::sweep::error::SweepError;

/// Rows per row group of a merged table. A fixed size, so that a merge
/// buffers at most about two row groups however large the sweep (Polars'
/// own rule, `n / 512²` equal groups, put a table of up to 524,287 rows in
/// one group, held whole until written: every sites row of a
/// 20,000-scenario sweep of 25 sites). 16,384 rows, as a window of
/// [`super::parts::WINDOW_ROWS`]: a 10,000-scenario merge of the small set
/// peaks at 57 MiB with both, 65 MiB with groups of 65,536 rows, 82 MiB
/// with those and windows of 4,096 ids (BENCHMARKS.md).
const ROW_GROUP: usize = 1 << 14;

/// The row group sizes of a merged table of `rows` rows: [`ROW_GROUP`]
/// each, the last one the remainder (one empty group for no rows).
fn row_group_sizes(rows: usize) -> Vec<usize> {
    let mut sizes = vec![ROW_GROUP; rows / ROW_GROUP];
    if !rows.is_multiple_of(ROW_GROUP) || sizes.is_empty() {
        sizes.push(rows % ROW_GROUP);
    }
    sizes
}

/// A Parquet file written a row group at a time: rows are buffered until
/// the next row group is full ([`row_group_sizes`] of the table's rows), so
/// the row groups depend on the rows alone, not on how the parts were cut.
struct RowGroups<W: std::io::Write> {
    writer: polars::io::parquet::write::BatchedWriter<W>,
    buf: Option<DataFrame>,
    /// The sizes of the row groups still to write, in reverse.
    sizes: Vec<usize>,
}

impl<W: std::io::Write> RowGroups<W> {
    fn new(w: W, schema: &Schema, rows: usize) -> PolarsResult<Self> {
        // The options of `parquet_bytes` (Polars' defaults: zstd, statistics).
        let mut sizes = row_group_sizes(rows);
        sizes.reverse();
        Ok(RowGroups {
            writer: ParquetWriter::new(w).batched(schema)?,
            buf: None,
            sizes,
        })
    }

    fn push(&mut self, df: DataFrame) -> PolarsResult<()> {
        let mut all = match self.buf.take() {
            None => df,
            Some(mut b) => {
                b.vstack_mut_owned(df)?;
                b
            }
        };
        while let Some(&size) = self.sizes.last() {
            // The last row group takes whatever is left (at `finish`).
            if self.sizes.len() == 1 || all.height() < size {
                break;
            }
            self.sizes.pop();
            self.write(all.slice(0, size))?;
            all = all.slice(size as i64, usize::MAX);
        }
        self.buf = Some(all);
        Ok(())
    }

    fn write(&mut self, mut group: DataFrame) -> PolarsResult<()> {
        // One chunk: one row group.
        group.rechunk_mut_par();
        self.writer.write_batch(&group)
    }

    fn finish(mut self) -> PolarsResult<()> {
        if let Some(b) = self.buf.take() {
            if b.height() > 0 {
                self.write(b)?;
            }
        }
        self.writer.finish()?;
        Ok(())
    }
}

/// Merges `parts` into the Parquet file `dest`, sorted by `key` (stable: a
/// scenario's rows keep their order), and hands each sorted run of rows to
/// `each`, in order. A k-way merge by windows of `window` ids: the parts
/// that may hold ids of the window are read, their rows below its end are
/// sorted and written, the rest wait for the next window. Memory: the rows
/// of the parts that overlap a window (with N interleaved shards, N parts)
/// and one row group. `dest` is written atomically.
pub(super) fn merge_parts(
    parts: &[Part],
    key: &str,
    window: u64,
    dest: &Path,
    each: &mut dyn FnMut(&DataFrame) -> Result<(), SweepError>,
) -> Result<(), SweepError> {
    let empty = read_part(&parts[0].path, None)?.clear();
    let mut order: Vec<(u64, &Path)> = parts
        .iter()
        .filter_map(|p| Some((p.min?, p.path.as_path())))
        .collect();
    // Name order among parts with the same lower bound.
    order.sort_by_key(|p| p.0);
    let mut file = AtomicFile::create(dest, true)?;
    let rows = parts.iter().map(|p| p.rows).sum();
    let mut out = RowGroups::new(file.file(), empty.schema(), rows)?;
    let mut pending: Option<DataFrame> = None;
    let mut next = 0;
    let mut lo = 0;
    // The largest id written so far.
    let mut last: Option<u64> = None;
    while next < order.len() || pending.is_some() {
        if pending.is_none() {
            lo = lo.max(order[next].0);
        }
        let hi = lo.saturating_add(window.max(1));
        let end = next + order[next..].iter().take_while(|p| p.0 < hi).count();
        let files: Vec<PathBuf> = order[next..end].iter().map(|p| p.1.to_path_buf()).collect();
        next = end;
        for_each_part(&files, None, &mut |_, df| {
            match pending.as_mut() {
                None => pending = Some(df),
                Some(p) => {
                    p.vstack_mut_owned(df)?;
                }
            }
            Ok(())
        })?;
        if let Some(p) = pending.take() {
            let (ready, rest) = split_window(p, key, hi, dest)?;
            if ready.height() > 0 {
                let keys = ready.column(key)?.u64()?;
                // A part whose rows lie below its batch's smallest scenario id
                // would come too late: refuse rather than write it unsorted.
                if keys.min() < last {
                    return Err(SweepError::Internal(format!(
                        "{}: the {key} ids of the parts are not where their batches say",
                        dest.display()
                    )));
                }
                last = keys.max().or(last);
                each(&ready)?;
                out.push(ready)?;
            }
            if rest.height() > 0 {
                if hi == u64::MAX {
                    return Err(SweepError::Internal(format!(
                        "{}: {key} ids beyond the last window",
                        dest.display()
                    )));
                }
                pending = Some(rest);
            }
        }
        lo = hi;
    }
    out.finish()?;
    file.commit()?;
    Ok(())
}

/// The rows of `p` whose `key` is below `hi`, sorted by it (stable), and
/// the rows that wait for a later window; `dest` names the table in errors.
fn split_window(
    p: DataFrame,
    key: &str,
    hi: u64,
    dest: &Path,
) -> Result<(DataFrame, DataFrame), SweepError> {
    let keys = p.column(key)?.u64()?;
    if keys.null_count() > 0 {
        return Err(SweepError::Internal(format!(
            "{}: a part has rows without a {key} id",
            dest.display()
        )));
    }
    let below: BooleanChunked = keys.lt(hi);
    let ready = p.filter(&below)?;
    let rest = p.filter(&!&below)?;
    drop(p);
    let ready = if ready.height() > 0 {
        ready.sort(
            [key],
            SortMultipleOptions::default().with_maintain_order(true),
        )?
    } else {
        ready
    };
    Ok((ready, rest))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::parts::parts_of;
    use super::*;
    use crate::study::sweep::run::parquet_bytes;

    /// A window as wide as the old fixed one (4,096 ids).
    const WINDOW: u64 = 4096;

    /// What the in-memory merge did: one scan, sorted by `key`, collected.
    fn scan_sorted(files: &[PathBuf], key: &str) -> DataFrame {
        let paths = files
            .iter()
            .map(|f| PlRefPath::try_from_path(f))
            .collect::<PolarsResult<Vec<_>>>()
            .unwrap();
        LazyFrame::scan_parquet_files(paths.into_iter().collect(), Default::default())
            .unwrap()
            .sort(
                [key],
                SortMultipleOptions::default().with_maintain_order(true),
            )
            .collect()
            .unwrap()
    }

    fn write_part(path: &Path, df: DataFrame) {
        std::fs::write(path, parquet_bytes(df).unwrap()).unwrap();
    }

    #[test]
    fn a_window_holds_about_the_same_rows_whatever_the_sweep() {
        use super::super::parts::{window, WINDOW_ROWS};
        // 25 sites per scenario: 655 ids, at 100 or at 10,000 scenarios.
        assert_eq!(window(25 * 100, 100, 64), 655);
        assert_eq!(window(25 * 10_000, 10_000, 64), 655);
        // One row per scenario: WINDOW_ROWS ids; 125 sites: 131.
        assert_eq!(window(10_000, 10_000, 64), WINDOW_ROWS);
        assert_eq!(window(125 * 500, 500, 64), 131);
        // Never narrower than a part (64 interleaved shards, batches of 64).
        assert_eq!(window(25 * 10_000, 10_000, 4096), 4096);
        // No rows or no ids: a window of at least one id.
        assert_eq!(window(0, 0, 0), WINDOW_ROWS);
        assert_eq!(window(1_000_000, 1, 0), 1);
    }

    #[test]
    fn row_groups_are_of_a_fixed_size() {
        assert_eq!(row_group_sizes(0), vec![0]);
        assert_eq!(row_group_sizes(10), vec![10]);
        assert_eq!(row_group_sizes(ROW_GROUP), vec![ROW_GROUP]);
        assert_eq!(row_group_sizes(ROW_GROUP + 1), vec![ROW_GROUP, 1]);
        let mut sizes = vec![ROW_GROUP; 15];
        sizes.push(250_000 - 15 * ROW_GROUP);
        assert_eq!(row_group_sizes(250_000), sizes);
        assert_eq!(row_group_sizes(2 * ROW_GROUP), vec![ROW_GROUP, ROW_GROUP]);
    }

    #[test]
    fn interleaved_parts_merge_as_one_sorted_scan() {
        // 5 shards of 1,000 ids in batches of 37 (written out of order within
        // a shard), each id with 0 to 3 rows; files named as shards name them.
        let dir = tempfile::tempdir().unwrap();
        let (n, shards, batch) = (10_000u64, 5u64, 37usize);
        let mut files = Vec::new();
        let mut scenario_min = HashMap::new();
        for s in 0..shards {
            let ids: Vec<u64> = (s..n).step_by(shards as usize).collect();
            let mut chunks: Vec<&[u64]> = ids.chunks(batch).collect();
            chunks.swap(1, 2);
            for (b, chunk) in chunks.iter().enumerate() {
                let (mut key, mut row, mut label) = (Vec::new(), Vec::new(), Vec::new());
                for &id in *chunk {
                    for r in 0..(id % 4) {
                        key.push(id);
                        row.push(r);
                        label.push(format!("s{id}r{r}"));
                    }
                }
                let name = format!("-{s:04}of{shards:04}-{b:06}.parquet");
                let path = dir.path().join(format!("regions{name}"));
                write_part(
                    &path,
                    df!("scenario" => &key, "row" => &row, "label" => &label).unwrap(),
                );
                scenario_min.insert(name, chunk.iter().min().copied());
                files.push(path);
            }
        }
        files.sort();
        let want = scan_sorted(&files, "scenario");
        let parts = parts_of(dir.path(), "regions", "scenario", &scenario_min).unwrap();
        let dest = dir.path().join("merged.parquet");
        let mut seen = 0;
        let mut last = 0;
        merge_parts(&parts, "scenario", WINDOW, &dest, &mut |df| {
            let k = df.column("scenario")?.u64()?;
            assert!(k.min().unwrap() >= last);
            last = k.max().unwrap();
            seen += df.height();
            Ok(())
        })
        .unwrap();
        let got = ParquetReader::new(std::fs::File::open(&dest).unwrap())
            .finish()
            .unwrap();
        assert_eq!(seen, want.height());
        assert!(got.equals_missing(&want));
        // Byte for byte what ParquetWriter makes of the sorted frame.
        assert!(std::fs::read(&dest).unwrap() == parquet_bytes(want).unwrap());
        // Without the batches' lower bounds the parts' own ids are read.
        let parts = parts_of(dir.path(), "regions", "scenario", &HashMap::new()).unwrap();
        let dest2 = dir.path().join("merged2.parquet");
        merge_parts(&parts, "scenario", WINDOW, &dest2, &mut |_| Ok(())).unwrap();
        assert!(std::fs::read(&dest).unwrap() == std::fs::read(&dest2).unwrap());
        // Windows narrower than a part: rows wait for later windows.
        for window in [1, 50, 1000] {
            merge_parts(&parts, "scenario", window, &dest2, &mut |_| Ok(())).unwrap();
            assert!(
                std::fs::read(&dest).unwrap() == std::fs::read(&dest2).unwrap(),
                "window {window}"
            );
        }
        // No staging file is left behind.
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".dcsite-tmp-"))
            .collect();
        assert!(left.is_empty());
    }

    #[test]
    fn a_failed_merge_leaves_the_destination_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("regions-0000of0001-000000.parquet");
        write_part(&path, df!("scenario" => &[3u64, 4, 5]).unwrap());
        let dest = dir.path().join("merged.parquet");
        std::fs::write(&dest, b"old").unwrap();
        // A lower bound above the part's ids: caught, nothing replaced.
        let parts = vec![
            Part {
                path: path.clone(),
                min: Some(0),
                rows: 3,
            },
            Part {
                path: path.clone(),
                min: Some(5000),
                rows: 3,
            },
        ];
        let err = merge_parts(&parts, "scenario", WINDOW, &dest, &mut |_| Ok(())).unwrap_err();
        assert!(
            err.to_string().contains("not where their batches say"),
            "{err}"
        );
        assert_eq!(std::fs::read(&dest).unwrap(), b"old");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}
