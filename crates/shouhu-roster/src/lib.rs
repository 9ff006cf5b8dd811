//! Roster (花名册) import and export: the spreadsheets schools and counties already keep, read
//! into child files with a report of every cell that could not be taken, and written back out.
//!
//! Pure: no database and no web. [`read_roster`] (or [`csv_rows`], streaming) finds the header
//! and hands out raw cells; [`parse_row`] makes each row a `ChildFile` or a list of problems.

// Read side: columns, reading sheets, parsing rows.
pub mod absence_sheet;
pub mod calendar_sheet;
pub mod columns;
pub mod parse;
pub mod read;

pub use columns::Column;
pub use parse::{
    CellProblem, DuplicateCheck, Layout, LayoutError, ParsedRow, RowContext, RowError,
    RowRejection, parse_row, parse_rows,
};
pub use read::{
    Cell, CsvRows, HeaderCell, RawRow, ReadError, Sheet, csv_rows, read_roster, read_tables,
};

// Write side (export, template, error report, generator).
pub mod export;
pub mod generate;
pub mod ledger;
pub mod report;
pub mod template;

pub use export::{CsvExport, Encoding, ExportRow, Form, WriteError, XlsxExport};
pub use generate::{BadKind, BadRow, GenSpec};
pub use report::error_report;
pub use template::template;
