//! xlsx and xls through calamine: the first worksheet with a header, its cells typed as the
//! workbook types them (a date-formatted number is a date).

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};
use chrono::NaiveDate;

use super::{Cell, RawRow, ReadError, Sheet, header};

pub(crate) fn read(bytes: &[u8]) -> Result<Sheet, ReadError> {
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| ReadError::Workbook(e.to_string()))?;
    let names = book.sheet_names();
    if names.is_empty() {
        return Err(ReadError::NoSheet);
    }
    for name in names {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| ReadError::Workbook(e.to_string()))?;
        // Row numbers count from the sheet's top even when the used range starts lower.
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        let lead = first_col as usize;
        let mut rows = range.rows().map(|cells| {
            let mut row = vec![Cell::Empty; lead];
            row.extend(cells.iter().map(cell));
            row
        });
        let top: Vec<Vec<Cell>> = rows.by_ref().take(header::HEADER_SEARCH_ROWS + 1).collect();
        // A cover or notes sheet comes before the roster in some templates: try the next.
        let Some(found) = header::detect(&top) else {
            continue;
        };
        let data = top
            .into_iter()
            .skip(found.last_row + 1)
            .chain(rows)
            .zip(first_row + found.last_row as u32 + 2..)
            .map(|(cells, sheet_row)| RawRow { sheet_row, cells })
            .filter(|r| !r.is_blank())
            .collect();
        return Ok(Sheet {
            name,
            header_row: first_row + found.last_row as u32 + 1,
            columns: found.columns,
            rows: data,
        });
    }
    Err(ReadError::NoHeader)
}

/// Every worksheet's non-blank rows with no header sought, numbered as the sheet shows them.
pub(crate) fn tables(bytes: &[u8]) -> Result<Vec<(String, Vec<RawRow>)>, ReadError> {
    let mut book = open_workbook_auto_from_rs(Cursor::new(bytes))
        .map_err(|e| ReadError::Workbook(e.to_string()))?;
    let mut out = Vec::new();
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| ReadError::Workbook(e.to_string()))?;
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        let lead = first_col as usize;
        let rows = range
            .rows()
            .zip(first_row + 1..)
            .map(|(cells, sheet_row)| {
                let mut row = vec![Cell::Empty; lead];
                row.extend(cells.iter().map(cell));
                RawRow {
                    sheet_row,
                    cells: row,
                }
            })
            .filter(|r| !r.is_blank())
            .collect();
        out.push((name, rows));
    }
    Ok(out)
}

fn cell(data: &Data) -> Cell {
    match data {
        Data::Empty | Data::Error(_) => Cell::Empty,
        Data::String(s) => Cell::text(s),
        #[allow(clippy::cast_precision_loss)] // a cell's integer fits a roster's numbers
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))
                .map_or(Cell::Number(dt.as_f64()), Cell::Date)
        }
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::text(s),
    }
}
