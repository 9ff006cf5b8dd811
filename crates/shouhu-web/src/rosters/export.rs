//! The store's files written out as a roster sheet: the MCA 花名册 or the 学籍-style layout, as
//! xlsx (rust_xlsxwriter in constant-memory mode) or CSV, a page of files at a time.

use std::io::Write;

use chrono::NaiveDate;
use shouhu_domain::Grade;
use shouhu_roster::{CsvExport, Encoding, ExportRow, Form, WriteError, XlsxExport};
use shouhu_store::children::{self, ExportRequest};
use shouhu_store::crypto::DeploymentKey;
use shouhu_store::{Conn, Scope, StoreError};

/// The file format of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Xlsx,
    Csv(Encoding),
}

impl ExportFormat {
    /// `xlsx`, `csv` (UTF-8 with BOM, which Excel opens right) or `csv-gbk`.
    pub fn parse(s: &str) -> Option<ExportFormat> {
        match s {
            "xlsx" => Some(ExportFormat::Xlsx),
            "csv" => Some(ExportFormat::Csv(Encoding::Utf8Bom)),
            "csv-gbk" => Some(ExportFormat::Csv(Encoding::Gbk)),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv(_) => "csv",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
            ExportFormat::Csv(_) => "text/csv; charset=utf-8",
        }
    }
}

/// What to export.
#[derive(Clone, Debug)]
pub struct ExportSpec {
    pub form: Form,
    pub format: ExportFormat,
    pub request: ExportRequest,
    pub today: NaiveDate,
}

fn write_error(e: WriteError) -> StoreError {
    StoreError::Internal(e.to_string())
}

/// Writes the sheet to `out`; returns the number of children.
pub fn export_roster<W: Write + Send>(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    spec: &ExportSpec,
    out: W,
) -> Result<usize, StoreError> {
    let mut request = spec.request.clone();
    request.description = format!("{} {}", spec.form.code(), spec.format.extension());
    let as_row = |s: &children::ExportPlace, file| ExportRow {
        file,
        school: s.school_name.clone(),
        grade: s
            .class_grade
            .and_then(|g| i8::try_from(g).ok())
            .and_then(|g| Grade::new(g).ok()),
        class: s.class_name.clone().unwrap_or_default(),
        hukou_place: None,
        as_of: spec.today,
    };
    match spec.format {
        ExportFormat::Xlsx => {
            let title = spec.form.default_title();
            let mut sheet = XlsxExport::new(spec.form, Some(title), request.with_sensitive)
                .map_err(write_error)?;
            let n = children::export(conn, scope, key, &request, &mut |s, file| {
                sheet
                    .push(&as_row(s, file))
                    .map(|_| ())
                    .map_err(write_error)
            })?;
            sheet.finish_to_writer(out).map_err(write_error)?;
            Ok(n)
        }
        ExportFormat::Csv(encoding) => {
            let mut sheet = CsvExport::new(out, spec.form, request.with_sensitive, encoding)
                .map_err(write_error)?;
            let n = children::export(conn, scope, key, &request, &mut |s, file| {
                sheet
                    .push(&as_row(s, file))
                    .map(|_| ())
                    .map_err(write_error)
            })?;
            sheet.finish().map_err(write_error)?;
            Ok(n)
        }
    }
}
