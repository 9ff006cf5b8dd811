//! Rosters (花名册) as the pages, the API and the CLI use them: a sheet read by `shouhu-roster`,
//! applied by the store's import in one transaction, and reported cell by cell; and the store's
//! files written back out as the MCA or 学籍 sheet.

mod export;
mod import;

pub use export::{ExportFormat, ExportSpec, export_roster};
pub use import::{ImportError, ImportReport, ImportSpec, Source, error_sheet, import_roster};
