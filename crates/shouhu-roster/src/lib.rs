//! Roster (花名册) import and export: the spreadsheets schools and counties already keep, read
//! into child files with a report of every cell that could not be taken, and written back out.
//!
//! Pure: no database and no web. The caller stores what [`parse`] accepts and shows the report.

// Read side: columns, reading sheets, parsing rows.
pub mod columns;
pub mod parse;
pub mod read;

pub use columns::Column;

// Write side (export, template, generator): modules below.
