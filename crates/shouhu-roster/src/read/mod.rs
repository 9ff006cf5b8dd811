//! Reading xlsx, xls and csv rosters into a sheet of raw cells under a detected header.
//!
//! Nothing here judges a value: cells come out as the file holds them (text, number, date) and
//! [`crate::parse`] decides what they mean, so every problem is reported in one place.

mod csv;
mod header;
mod line_ends;
mod workbook;

use chrono::NaiveDate;

use crate::Column;

pub use self::csv::{CsvRows, csv_rows};
pub use header::HEADER_SEARCH_ROWS;
pub use workbook::{StreamedSheet, stream_xlsx};

/// One cell as the file holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// A cell formatted as a date in the workbook.
    Date(NaiveDate),
    Bool(bool),
}

impl Cell {
    /// Text cells trimmed; a text cell of spaces is empty.
    pub fn text(s: &str) -> Cell {
        let s = s.trim();
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s.to_owned())
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Cell::Empty)
    }

    /// The value as a person reads it, for reports and for parsers that want text: whole
    /// numbers without a decimal point (phones and codes typed into number cells).
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => number_text(*n),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::Bool(true) => "是".to_owned(),
            Cell::Bool(false) => "否".to_owned(),
        }
    }
}

/// Whole numbers as digits (`13812345678`, not `1.3812345678e10`), others as Rust prints them.
fn number_text(n: f64) -> String {
    // Below 2^63, a whole f64 converts to i64 exactly.
    if n.fract() == 0.0 && n.abs() < 9.2e18 {
        #[allow(clippy::cast_possible_truncation)] // whole and in range, checked above
        let whole = n as i64;
        whole.to_string()
    } else {
        n.to_string()
    }
}

/// One column of the header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderCell {
    /// Position in the row, 0 for the first column of the sheet.
    pub index: usize,
    /// The header as written (for a two-row header, the group and the sub-header joined).
    pub text: String,
    /// `None` for a column Shouhu does not know, or a second column of a kind already seen;
    /// such columns are listed in the report and their values left alone.
    pub column: Option<Column>,
}

/// One data row.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// 1-based row number as the spreadsheet program shows it (for CSV, the line it starts on).
    pub sheet_row: u32,
    /// Indexed like [`HeaderCell::index`]; trailing empty cells may be missing.
    pub cells: Vec<Cell>,
}

impl RawRow {
    pub fn cell(&self, index: usize) -> &Cell {
        self.cells.get(index).unwrap_or(&Cell::Empty)
    }

    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_empty)
    }
}

/// A roster sheet: where its header is, what the columns are, and the rows beneath.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// Worksheet name, or the file name for CSV.
    pub name: String,
    /// 1-based sheet row of the header (of its last row, when the header spans two).
    pub header_row: u32,
    pub columns: Vec<HeaderCell>,
    /// Non-blank rows below the header, in sheet order.
    pub rows: Vec<RawRow>,
}

impl Sheet {
    /// Header cells Shouhu does not read, for the report.
    pub fn unknown_columns(&self) -> impl Iterator<Item = &HeaderCell> {
        self.columns
            .iter()
            .filter(|h| h.column.is_none() && !h.text.is_empty())
    }
}

/// Why a file could not be read at all. Problems with single cells are not errors here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("不支持的文件类型，请上传 .xlsx、.xls 或 .csv 文件")]
    Format,
    #[error("无法读取表格文件：{0}")]
    Workbook(String),
    #[error("无法读取 CSV 文件（第 {line} 行）：{message}")]
    Csv { line: u64, message: String },
    #[error("文件中没有工作表")]
    NoSheet,
    #[error("前 10 行中找不到表头：表头应包含“姓名”和“公民身份证号码”或“出生日期”等列")]
    NoHeader,
}

impl ReadError {
    pub fn code(&self) -> &'static str {
        match self {
            ReadError::Format => "roster.format",
            ReadError::Workbook(_) => "roster.workbook",
            ReadError::Csv { .. } => "roster.csv",
            ReadError::NoSheet => "roster.no_sheet",
            ReadError::NoHeader => "roster.no_header",
        }
    }
}

/// The kinds of file a roster arrives as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Xlsx,
    Xls,
    Csv,
}

/// Magic bytes first, since files are often renamed; then the extension.
fn format_of(bytes: &[u8], file_name: &str) -> Result<Format, ReadError> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Ok(Format::Xlsx);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Ok(Format::Xls);
    }
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" | "txt" | "" => Ok(Format::Csv),
        // A workbook extension on bytes that are no workbook: damaged or not a spreadsheet.
        "xlsx" | "xlsm" | "xls" | "et" => Err(ReadError::Workbook("文件已损坏或不是表格".into())),
        _ => Err(ReadError::Format),
    }
}

/// Reads a whole roster: the first worksheet that has a recognisable header, or the CSV.
pub fn read_roster(bytes: &[u8], file_name: &str) -> Result<Sheet, ReadError> {
    match format_of(bytes, file_name)? {
        Format::Xlsx | Format::Xls => workbook::read(bytes),
        Format::Csv => {
            let rows = csv_rows(bytes)?;
            let header_row = rows.header_row();
            let columns = rows.columns().to_vec();
            let rows = rows.collect::<Result<Vec<_>, _>>()?;
            Ok(Sheet {
                name: file_name.to_owned(),
                header_row,
                columns,
                rows,
            })
        }
    }
}

/// Every sheet of a file as raw rows, with no header sought: for sheets other than rosters (the
/// school calendar), which find their own header. A CSV is one sheet named after the file.
pub fn read_tables(bytes: &[u8], file_name: &str) -> Result<Vec<(String, Vec<RawRow>)>, ReadError> {
    match format_of(bytes, file_name)? {
        Format::Xlsx | Format::Xls => workbook::tables(bytes),
        Format::Csv => Ok(vec![(file_name.to_owned(), self::csv::table(bytes)?)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_people_see_them() {
        assert_eq!(Cell::Number(13812345678.0).display(), "13812345678");
        assert_eq!(Cell::Number(1.5).display(), "1.5");
        assert_eq!(Cell::text("  "), Cell::Empty);
        let d = NaiveDate::from_ymd_opt(2015, 3, 1).unwrap();
        assert_eq!(Cell::Date(d).display(), "2015-03-01");
    }

    #[test]
    fn formats_by_magic_then_extension() {
        assert_eq!(format_of(b"PK\x03\x04..", "a.csv"), Ok(Format::Xlsx));
        assert_eq!(format_of(b"a,b", "a.CSV"), Ok(Format::Csv));
        assert_eq!(format_of(b"a,b", "a.pdf"), Err(ReadError::Format));
        assert!(matches!(
            format_of(b"a,b", "a.xlsx"),
            Err(ReadError::Workbook(_))
        ));
    }
}
