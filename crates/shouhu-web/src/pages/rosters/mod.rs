//! Roster (花名册) pages: upload a sheet, watch it checked, read the report and confirm; export
//! the MCA or 学籍 sheet of the user's children; download the blank templates. The reading,
//! matching and writing are [`crate::rosters`]'; these pages hold uploads between the steps
//! (see [`jobs`]) and lay out what came back.
//!
//! The download helpers here are shared with the API (`api::rosters`), so that both stream an
//! export the same way.

mod export;
mod import;
pub mod jobs;

use std::io::{BufWriter, Seek, SeekFrom, Write};

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use shouhu_domain::Role;
use shouhu_roster::Form;
use shouhu_store::{Scope, StoreError};

use crate::auth::PageUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::rosters::{ExportSpec, ImportError, export_roster};
use crate::state::AppState;

pub use jobs::{ImportJob, ImportJobs, MAX_UPLOAD};

/// Room for the form's other fields and the multipart framing around the file.
const FORM_SLACK: usize = 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/rosters", get(index))
        .route(
            "/rosters/import",
            get(import::form)
                .post(import::upload)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD + FORM_SLACK)),
        )
        .route(
            "/rosters/import/{token}",
            get(import::show).post(import::confirm),
        )
        .route("/rosters/import/{token}/status", get(import::status))
        .route("/rosters/import/{token}/errors.xlsx", get(import::errors))
        .route("/rosters/export", get(export::form).post(export::download))
        .route("/rosters/template", get(export::template))
}

/// Roles that may import: those the store lets change child files (its `may_edit`, which it
/// checks again); the pages only use this to offer the upload or not.
/// After a written import, brings the duties of every file it wrote up to date (new children
/// owe this month's talk at once). A failure is logged, not shown: the import stands, and the
/// nightly duty run picks up the same files.
pub(crate) fn follow_duties(
    conn: &mut shouhu_store::Conn,
    report: &crate::rosters::ImportReport,
    started_ms: i64,
    today: NaiveDate,
) {
    if !report.summary.written {
        return;
    }
    let synced = shouhu_store::transaction(conn, |c| {
        shouhu_store::duties::sync_changed(c, started_ms, today)
    });
    if let Err(e) = synced {
        tracing::error!(error = %e, "duties after a roster import; the nightly run will catch up");
    }
}

pub(crate) fn may_import(role: Role) -> bool {
    role.edits_class() || role == Role::ChildDirector
}

/// Volunteers see only the children paired with them, one at a time; a sheet of them is not
/// theirs to take away.
pub(crate) fn may_export(role: Role) -> bool {
    role != Role::Volunteer
}

/// A file that could not be imported at all, as the API and the pages report it: unreadable
/// (400) or without a usable header (422), with the reader's code and its Chinese sentence.
pub(crate) fn import_error(e: ImportError) -> AppError {
    if let ImportError::Store(e) = e {
        return AppError::from(e);
    }
    let status = if matches!(e, ImportError::Layout(_)) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::BAD_REQUEST
    };
    // The reader's messages are Chinese sentences, not catalog keys; the catalog falls back to
    // showing the key itself, which is the sentence.
    let mut error = AppError::bad_request(e.to_string());
    error.status = status;
    error.code = e.code();
    error
}

/// `Content-Disposition` for a download named in Chinese: an ASCII name for old clients and
/// the real one RFC 5987-encoded.
pub(crate) fn attachment(name: &str, ascii: &str) -> String {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A file held in memory (a template, an error report) as a download.
pub(crate) fn xlsx_download(bytes: Vec<u8>, name: &str, ascii: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, XLSX.to_owned()),
            (header::CONTENT_DISPOSITION, attachment(name, ascii)),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// The name an export is saved under: `花名册-2026-09-01.xlsx` (学籍 sheets `学籍花名册-…`).
fn export_name(form: Form, extension: &str, today: NaiveDate) -> (String, String) {
    let (zh, en) = match form {
        Form::Mca => ("花名册", "roster"),
        Form::Xueji => ("学籍花名册", "roster-xueji"),
    };
    (
        format!("{zh}-{today}.{extension}"),
        format!("{en}-{today}.{extension}"),
    )
}

/// Runs the export into an unnamed temporary file, then streams that file: memory stays flat
/// however many children, and a refusal (no purpose, no permission) is known before the first
/// byte goes out, so it can still be answered as an error.
pub(crate) async fn export_response(
    state: &AppState,
    scope: Scope,
    spec: ExportSpec,
) -> Result<Response, StoreError> {
    let key = state.store.key();
    let format = spec.format;
    let (name, ascii) = export_name(spec.form, format.extension(), spec.today);
    let (file, rows) = state
        .store
        .run(move |conn| {
            let io = |e: std::io::Error| StoreError::Internal(format!("export file: {e}"));
            let mut file = tempfile::tempfile().map_err(io)?;
            let rows = {
                let mut out = BufWriter::new(&mut file);
                let rows = export_roster(conn, &scope, &key, &spec, &mut out)?;
                out.flush().map_err(io)?;
                rows
            };
            file.seek(SeekFrom::Start(0)).map_err(io)?;
            Ok((file, rows))
        })
        .await?;
    let length = file.metadata().map(|m| m.len()).ok();
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(
        tokio::fs::File::from_std(file),
    ));
    let mut response = (
        [
            (header::CONTENT_TYPE, format.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, attachment(&name, &ascii)),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response();
    let headers = response.headers_mut();
    if let Some(length) = length {
        headers.insert(header::CONTENT_LENGTH, length.into());
    }
    headers.insert("x-roster-rows", rows.into());
    Ok(response)
}

/// A blank template of `form` with its one example row, as a download.
pub(crate) fn template_download(form: Form) -> AppResult<Response> {
    let bytes = shouhu_roster::template(form).map_err(AppError::internal)?;
    let name = format!("{}-模板.xlsx", form.default_title());
    let ascii = format!("roster-template-{}.xlsx", form.code());
    Ok(xlsx_download(bytes, &name, &ascii))
}

#[derive(Template)]
#[template(path = "roster_index.html")]
struct IndexPage {
    t: Tr,
    frame: Frame,
    can_import: bool,
    uploads: Vec<import::UploadLink>,
}

/// `GET /rosters`: what the user can do with rosters, and their uploads still kept.
async fn index(State(state): State<AppState>, t: Tr, user: PageUser) -> AppResult<Response> {
    if !may_export(user.scope.role) {
        return Err(AppError::forbidden("denied.roster.export"));
    }
    let page = IndexPage {
        frame: Frame::for_user(&user),
        can_import: may_import(user.scope.role),
        uploads: import::upload_links(&state, &t, user.user.id),
        t,
    };
    Ok(render(page)?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Catalog, Locale};

    /// Keys written in this module's Rust code (the template test covers the templates).
    #[test]
    fn every_key_used_in_the_handlers_exists() {
        let catalog = Catalog::load().unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/pages/rosters");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in text.split('\u{22}').skip(1).step_by(2) {
                let is_key = ["roster.", "denied.", "export.", "error."]
                    .iter()
                    .any(|p| piece.starts_with(p))
                    && !piece.contains(' ')
                    && !piece.contains('{')
                    && !piece.ends_with('.');
                if is_key && catalog.text(Locale::ZhCn, piece) == piece {
                    missing.push(piece.to_owned());
                }
            }
        }
        assert!(missing.is_empty(), "keys missing: {missing:?}");
    }

    #[test]
    fn chinese_file_names_are_encoded() {
        let value = attachment("花名册-2026-09-01.xlsx", "roster-2026-09-01.xlsx");
        assert_eq!(
            value,
            "attachment; filename=\"roster-2026-09-01.xlsx\"; \
             filename*=UTF-8''%E8%8A%B1%E5%90%8D%E5%86%8C-2026-09-01.xlsx"
        );
        let today = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
        assert_eq!(
            export_name(Form::Mca, "csv", today).0,
            "花名册-2026-09-01.csv"
        );
    }

    #[test]
    fn unreadable_files_and_bad_headers_are_told_apart() {
        let e = import_error(ImportError::Read(shouhu_roster::ReadError::Format));
        assert_eq!(
            (e.status, e.code),
            (StatusCode::BAD_REQUEST, "roster.format")
        );
        let e = import_error(ImportError::Store(StoreError::Forbidden("child.import")));
        assert_eq!(e.status, StatusCode::FORBIDDEN);
    }
}
