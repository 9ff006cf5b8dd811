//! xlsx and xls through calamine: the first worksheet with a header, its cells typed as the
//! workbook types them (a date-formatted number is a date).

use std::io::Cursor;
use std::sync::Arc;
use std::sync::mpsc::{SyncSender, sync_channel};

use calamine::{
    Data, DataRef, Reader, Sheets, XlsxCellReader, XlsxError, open_workbook_auto_from_rs,
};
use chrono::NaiveDate;

use super::{Cell, HeaderCell, RawRow, ReadError, Sheet, header};

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

/// An xlsx sheet being read on a thread of its own: its header, found before this returns, and
/// its rows, which arrive as the thread reads them.
pub struct StreamedSheet {
    /// 1-based sheet row of the header (of its last row, when the header spans two).
    pub header_row: u32,
    pub columns: Vec<HeaderCell>,
    /// Rows under the header in the used range, as the sheet's dimension says (blank and filler
    /// rows included); 0 when it does not say.
    pub expected_rows: usize,
    /// Non-blank rows below the header, in sheet order; a cell calamine cannot read ends them
    /// with an error.
    pub rows: Box<dyn Iterator<Item = Result<RawRow, ReadError>> + Send>,
}

/// Rows handed from the reading thread per message.
const ROW_CHUNK: usize = 256;

/// Reads an xlsx workbook as [`read_roster`](super::read_roster) does (the first sheet with a
/// header, cells typed alike, rows numbered alike), but a row at a time on a thread of its own,
/// so an import works on the first rows while the rest are still being read, and no whole sheet
/// is held in memory. `Ok(None)` for a workbook that is not xlsx (xls, xlsb, ods): read those
/// whole. A header row's trailing empty cells may be fewer than a whole read gives (the sheet's
/// width is only known at its end); they name no column.
pub fn stream_xlsx(bytes: Arc<[u8]>) -> Result<Option<StreamedSheet>, ReadError> {
    let (head_tx, head_rx) = sync_channel(1);
    let (rows_tx, rows_rx) = sync_channel::<Vec<Result<RawRow, ReadError>>>(8);
    std::thread::spawn(move || stream(bytes, &head_tx, &rows_tx));
    let head = head_rx
        .recv()
        .map_err(|_| ReadError::Workbook("the reading thread stopped".into()))??;
    Ok(
        head.map(|(header_row, columns, expected_rows)| StreamedSheet {
            header_row,
            columns,
            expected_rows,
            rows: Box::new(rows_rx.into_iter().flatten()),
        }),
    )
}

type Head = Result<Option<(u32, Vec<HeaderCell>, usize)>, ReadError>;

fn stream(
    bytes: Arc<[u8]>,
    head: &SyncSender<Head>,
    rows: &SyncSender<Vec<Result<RawRow, ReadError>>>,
) {
    let book = match open_workbook_auto_from_rs(Cursor::new(bytes)) {
        Ok(book) => book,
        Err(e) => {
            let _ = head.send(Err(ReadError::Workbook(e.to_string())));
            return;
        }
    };
    let Sheets::Xlsx(mut book) = book else {
        let _ = head.send(Ok(None));
        return;
    };
    let names = book.sheet_names();
    if names.is_empty() {
        let _ = head.send(Err(ReadError::NoSheet));
        return;
    }
    for name in names {
        let mut reader = match book.worksheet_cells_reader(&name) {
            Ok(reader) => reader,
            // `worksheet_range` reads these as empty, so they have no header either.
            Err(XlsxError::NotAWorksheet(_)) => continue,
            Err(e) => {
                let _ = head.send(Err(ReadError::Workbook(e.to_string())));
                return;
            }
        };
        let mut cells = NonEmptyCells {
            reader: &mut reader,
        };
        let top = match top_rows(&mut cells) {
            Ok(top) => top,
            Err(e) => {
                let _ = head.send(Err(e));
                return;
            }
        };
        let Some((first_row, top, pending)) = top else {
            continue;
        };
        let dense: Vec<Vec<Cell>> = top.iter().map(|(_, r)| r.clone()).collect();
        let Some(found) = header::detect(&dense) else {
            continue;
        };
        let header_row = first_row + found.last_row as u32 + 1;
        let last_row = reader.dimensions().end.0 + 1;
        let expected = last_row.saturating_sub(header_row) as usize;
        if head
            .send(Ok(Some((header_row, found.columns, expected))))
            .is_err()
        {
            return;
        }
        let mut out = Vec::with_capacity(ROW_CHUNK);
        let send = |row: RawRow, out: &mut Vec<_>| {
            if !row.is_blank() {
                out.push(Ok(row));
            }
            out.len() < ROW_CHUNK || rows.send(std::mem::take(out)).is_ok()
        };
        for (sheet_row, cells) in top.into_iter().skip(found.last_row + 1) {
            if !send(RawRow { sheet_row, cells }, &mut out) {
                return;
            }
        }
        let mut cells = NonEmptyCells {
            reader: &mut reader,
        };
        let mut current: Option<RawRow> = None;
        let mut next = Ok(pending);
        loop {
            let (row, col, value) = match next {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(e) => {
                    if let Some(row) = current.take() {
                        send(row, &mut out);
                    }
                    out.push(Err(e));
                    break;
                }
            };
            if current.as_ref().is_some_and(|r| r.sheet_row != row + 1) {
                let done = current.take().unwrap_or_else(|| unreachable!());
                if !send(done, &mut out) {
                    return;
                }
            }
            let raw = current.get_or_insert_with(|| RawRow {
                sheet_row: row + 1,
                cells: Vec::new(),
            });
            place(&mut raw.cells, col as usize, value);
            next = cells.next();
        }
        if let Some(row) = current {
            send(row, &mut out);
        }
        let _ = rows.send(out);
        return;
    }
    let _ = head.send(Err(ReadError::NoHeader));
}

/// A cell's position (row and column from 0) and value.
type Positioned = (u32, u32, Cell);

/// The cells a whole read keeps: those calamine does not read as empty.
struct NonEmptyCells<'r, 'a, RS: std::io::Read + std::io::Seek> {
    reader: &'r mut XlsxCellReader<'a, RS>,
}

impl<RS: std::io::Read + std::io::Seek> NonEmptyCells<'_, '_, RS> {
    fn next(&mut self) -> Result<Option<Positioned>, ReadError> {
        loop {
            match self.reader.next_cell() {
                Ok(Some(c)) if matches!(c.get_value(), DataRef::Empty) => {}
                Ok(Some(c)) => {
                    let (row, col) = c.get_position();
                    let value: Data = c.get_value().clone().into();
                    return Ok(Some((row, col, cell(&value))));
                }
                Ok(None) => return Ok(None),
                Err(e) => return Err(ReadError::Workbook(e.to_string())),
            }
        }
    }
}

/// Sets column `col` of a row, padding with empty cells.
fn place(row: &mut Vec<Cell>, col: usize, value: Cell) {
    if row.len() <= col {
        row.resize(col + 1, Cell::Empty);
    }
    row[col] = value;
}

/// The rows a whole read looks for the header in: from the first row with a cell, as many as
/// it searches plus one, blank ones included (each with its sheet row from 1); the first first
/// row's index (from 0) and the first cell below them. `None` for a sheet without cells.
#[allow(clippy::type_complexity)] // one private use
fn top_rows<RS: std::io::Read + std::io::Seek>(
    cells: &mut NonEmptyCells<'_, '_, RS>,
) -> Result<Option<(u32, Vec<(u32, Vec<Cell>)>, Option<Positioned>)>, ReadError> {
    let Some(first) = cells.next()? else {
        return Ok(None);
    };
    let first_row = first.0;
    let height = header::HEADER_SEARCH_ROWS as u32 + 1;
    let mut top: Vec<(u32, Vec<Cell>)> = Vec::new();
    let mut next = Some(first);
    while let Some((row, col, value)) = next {
        if row >= first_row + height {
            return Ok(Some((first_row, top, Some((row, col, value)))));
        }
        while top.len() as u32 <= row.saturating_sub(first_row) {
            let sheet_row = first_row + top.len() as u32 + 1;
            top.push((sheet_row, Vec::new()));
        }
        let at = (row.saturating_sub(first_row)) as usize;
        place(&mut top[at].1, col as usize, value);
        next = cells.next()?;
    }
    Ok(Some((first_row, top, None)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::{Cell as Out, Form, XlsxExport};

    /// Rows as a whole read gives them, trailing empty cells dropped (a streamed row ends at
    /// its last cell).
    fn trimmed(rows: impl IntoIterator<Item = RawRow>) -> Vec<(u32, Vec<Cell>)> {
        rows.into_iter()
            .map(|mut r| {
                while r.cells.last().is_some_and(Cell::is_empty) {
                    r.cells.pop();
                }
                (r.sheet_row, r.cells)
            })
            .collect()
    }

    #[test]
    fn a_streamed_sheet_reads_as_the_whole_sheet_does() {
        let form = Form::Mca;
        let mut sheet = XlsxExport::new(form, Some(form.default_title()), true).unwrap();
        let d = chrono::NaiveDate::from_ymd_opt(2015, 3, 1).unwrap();
        for i in 0..700u32 {
            let mut cells = vec![Out::Empty; form.columns().len()];
            if i % 97 != 5 {
                cells[0] = Out::Number(f64::from(i + 1));
                cells[1] = Out::Text(format!(" 张{i} ").into());
                cells[2] = "男".into();
                cells[4] = Out::Date(d);
                if i % 3 == 0 {
                    cells[21] = "3班".into();
                }
            }
            sheet.push_cells(&cells).unwrap();
        }
        let bytes = sheet.finish_to_buffer().unwrap();
        let whole = read(&bytes).unwrap();
        let streamed = stream_xlsx(bytes.into()).unwrap().unwrap();
        assert_eq!(streamed.header_row, whole.header_row);
        let known = |c: &[HeaderCell]| {
            c.iter()
                .filter(|h| !h.text.is_empty())
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(known(&streamed.columns), known(&whole.columns));
        let rows: Vec<RawRow> = streamed.rows.map(Result::unwrap).collect();
        assert_eq!(rows.len(), 700 - 8);
        assert_eq!(trimmed(rows), trimmed(whole.rows));
    }
}
