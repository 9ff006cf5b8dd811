//! Roster export: child files written out as the 民政 花名册 or a 学籍-style sheet, to xlsx or CSV.
//!
//! The caller picks the files (scope and filters) and decides whether the user may see
//! sensitive values in full; without that, ID numbers, phones, 学籍号 and addresses are masked
//! exactly as the pages mask them. Both writers take one row at a time and keep none, so an
//! export of a whole county runs in constant memory.
//!
//! Headers are the ones [`Column`](crate::Column) reads, so an exported sheet imports again.

mod csv;
mod form;
mod xlsx;

use std::borrow::Cow;

use chrono::NaiveDate;
use shouhu_domain::{ChildFile, Grade};

pub use self::csv::{CsvExport, Encoding};
pub use self::form::Form;
pub use self::xlsx::XlsxExport;
pub(crate) use self::xlsx::{
    SHEET_NAME, date_format, header_format, set_widths, write_header, write_title,
};

/// One child as a roster line: the file and where the child is placed on the day of export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    pub file: ChildFile,
    pub school: String,
    /// `None` for a child not in a class (it then counts as outside compulsory education).
    pub grade: Option<Grade>,
    pub class: String,
    /// 户籍所在地 as place names ("贵州省毕节市大方县"), which the caller takes from the
    /// gazetteer; `None` writes the region code itself.
    pub hukou_place: Option<String>,
    /// The day the calibers (是否留守儿童, 父母双方同时外出) are taken on.
    pub as_of: NaiveDate,
}

/// One cell of a roster line. Text borrows from the row where it can: an export is mostly
/// copying names and numbers, and allocating each again would be most of its cost.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Empty,
    Text(Cow<'a, str>),
    /// Written as a number (序号 only).
    Number(f64),
    /// A real date in xlsx, `2015-03-01` in CSV.
    Date(NaiveDate),
}

impl Cell<'_> {
    /// The cell as CSV text, and as the error report shows it.
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(s) => Cow::Borrowed(s),
            Cell::Number(n) => Cow::Owned(n.to_string()),
            Cell::Date(d) => Cow::Owned(d.format("%Y-%m-%d").to_string()),
        }
    }
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(s: &'a str) -> Self {
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(Cow::Borrowed(s))
        }
    }
}

impl From<String> for Cell<'_> {
    fn from(s: String) -> Self {
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(Cow::Owned(s))
        }
    }
}

/// Why a sheet could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Only `.xlsx` and `.csv` are written.
    #[error("只能写 .xlsx 或 .csv 文件：{}", .0.display())]
    Extension(std::path::PathBuf),
    /// GBK has no code for a character (rare characters such as 𠮷 are outside it).
    #[error("第{row}行的“{text}”无法用 GBK 编码，请改用 UTF-8 导出")]
    NotGbk { row: u32, text: String },
}
