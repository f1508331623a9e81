//! CSV text of a table, as every CSV output of dcsite writes it.

use polars::prelude::*;

/// A frame as CSV text with a header. Text cells that a spreadsheet would
/// take for a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return) are neutralised the way OWASP recommends for CSV injection: a
/// single quote goes in front. Only text columns: numbers stay numbers.
pub fn csv_text(mut df: DataFrame) -> PolarsResult<String> {
    let text_columns: Vec<PlSmallStr> = df
        .columns()
        .iter()
        .filter(|c| c.dtype() == &DataType::String)
        .map(|c| c.name().clone())
        .collect();
    for name in text_columns {
        let cells = df.column(&name)?.str()?.clone();
        if !cells
            .iter()
            .flatten()
            .any(|v| v.starts_with(['=', '+', '-', '@', '\t', '\r']))
        {
            continue;
        }
        let safe: Vec<Option<String>> = cells
            .iter()
            .map(|v| {
                v.map(|v| {
                    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                        format!("'{v}")
                    } else {
                        v.to_string()
                    }
                })
            })
            .collect();
        df.with_column(Column::new(name, safe))?;
    }
    let mut buf = Vec::new();
    CsvWriter::new(&mut buf)
        .include_header(true)
        .finish(&mut df)?;
    Ok(String::from_utf8(buf).expect("CSV is UTF-8"))
}
