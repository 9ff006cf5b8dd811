//! Absences entered in bulk from a 缺勤登记表 (xlsx, xls or CSV, at most 5 MB) into the roll
//! calls of the caller's school: the sheet is read, every bad cell and every row the store
//! cannot place is listed by row, and then nothing is written; a clean sheet is entered whole.

use askama::Template;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shouhu_domain::today_shanghai;
use shouhu_roster::absence_sheet::{AbsenceSheetError, absence_template, read_absences};
use shouhu_store::crypto::DeploymentKey;
use shouhu_store::dropout::{self, ImportedAbsences, SheetAbsence};
use shouhu_store::{Conn, Scope, StoreResult, schools};

use super::{MAX_SHEET, own_school};
use crate::auth::{PageUser, constant_time_eq};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::rosters::xlsx_download;
use crate::state::AppState;

/// One reason a sheet was refused: the sheet row, the column as the sheet heads it (empty
/// when the whole row is at fault) and what is wrong, in Chinese.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SheetProblem {
    pub row: u32,
    pub column: String,
    pub message: String,
}

/// What a sheet came to.
pub(crate) enum SheetOutcome {
    /// Not readable as an absence sheet: a catalog key and, for a missing header, the columns
    /// it lacks.
    Unreadable(&'static str, Vec<&'static str>),
    /// Bad cells or rows; nothing was written.
    Problems(Vec<SheetProblem>),
    Entered(ImportedAbsences),
}

/// Reads `bytes` as an absence sheet and enters it into `school_id`'s roll calls, all or
/// nothing.
pub(crate) fn enter_sheet(
    conn: &mut Conn,
    t: &Tr,
    scope: &Scope,
    key: &DeploymentKey,
    school_id: i64,
    bytes: &[u8],
    file_name: &str,
) -> StoreResult<SheetOutcome> {
    let today = today_shanghai();
    let (lines, problems) = match read_absences(bytes, file_name) {
        Ok(read) => read,
        Err(AbsenceSheetError::NoHeader { missing }) => {
            return Ok(SheetOutcome::Unreadable(
                "rollcall.upload.no_header",
                missing,
            ));
        }
        Err(AbsenceSheetError::Read(_)) => {
            return Ok(SheetOutcome::Unreadable(
                "rollcall.upload.unreadable",
                Vec::new(),
            ));
        }
    };
    if !problems.is_empty() {
        return Ok(SheetOutcome::Problems(
            problems
                .into_iter()
                .map(|p| SheetProblem {
                    row: p.row,
                    column: p.column,
                    message: p.message,
                })
                .collect(),
        ));
    }
    let rows: Vec<SheetAbsence> = lines
        .into_iter()
        .map(|l| SheetAbsence {
            row: l.row,
            name: l.name,
            id_card: l.id_card,
            class: l.class,
            day: l.day,
            kind: l.kind,
            reason: l.reason,
        })
        .collect();
    let report = dropout::import_absences(conn, scope, key, school_id, &rows, today)?;
    if report.problems.is_empty() {
        Ok(SheetOutcome::Entered(report))
    } else {
        Ok(SheetOutcome::Problems(
            report
                .problems
                .into_iter()
                .map(|(row, key)| SheetProblem {
                    row,
                    column: String::new(),
                    message: t.t(key).to_owned(),
                })
                .collect(),
        ))
    }
}

#[derive(Template)]
#[template(path = "rollcall_upload.html")]
struct UploadPage {
    t: Tr,
    frame: Frame,
    school_name: String,
    max_mb: usize,
    error: Option<String>,
    problems: Vec<SheetProblem>,
    entered: Option<ImportedAbsences>,
}

async fn upload_page(
    state: &AppState,
    t: Tr,
    user: &PageUser,
    status: StatusCode,
    error: Option<String>,
    problems: Vec<SheetProblem>,
    entered: Option<ImportedAbsences>,
) -> AppResult<Response> {
    let school = own_school(&user.scope)?;
    let scope = user.scope.clone();
    let school_name = state
        .store
        .run(move |conn| Ok(schools::get(conn, &scope, school)?.name))
        .await?;
    let page = UploadPage {
        frame: Frame::for_user(user),
        school_name,
        max_mb: MAX_SHEET / (1024 * 1024),
        error,
        problems,
        entered,
        t,
    };
    Ok((status, render(page)?).into_response())
}

/// `GET /rollcall/upload`.
pub async fn form(State(state): State<AppState>, t: Tr, user: PageUser) -> AppResult<Response> {
    upload_page(&state, t, &user, StatusCode::OK, None, Vec::new(), None).await
}

/// Why reading the form stopped.
pub(crate) enum Unread {
    TooLarge,
    Malformed,
}

/// The fields of an upload form: (`csrf`, the file's name and bytes).
pub(crate) async fn read_form(
    mut multipart: Multipart,
) -> Result<(String, Option<(String, Vec<u8>)>), Unread> {
    let failed = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Unread::TooLarge
        } else {
            Unread::Malformed
        }
    };
    let mut csrf = String::new();
    let mut file = None;
    while let Some(mut field) = multipart.next_field().await.map_err(failed)? {
        match field.name().unwrap_or_default() {
            "csrf" => csrf = field.text().await.map_err(failed)?,
            "file" => {
                let raw = field.file_name().unwrap_or_default();
                let name: String = raw
                    .rsplit(['/', '\\'])
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(120)
                    .collect();
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(failed)? {
                    if bytes.len() + chunk.len() > MAX_SHEET {
                        return Err(Unread::TooLarge);
                    }
                    bytes.extend_from_slice(&chunk);
                }
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    Ok((csrf, file))
}

/// `POST /rollcall/upload` (multipart: `csrf`, `file`).
pub async fn upload(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    let school = own_school(&user.scope)?;
    let multipart = multipart.map_err(|_| AppError::bad_request("error.bad_form"))?;
    let (csrf, file) = match read_form(multipart).await {
        Ok(read) => read,
        Err(Unread::TooLarge) => {
            let error = Some(t.t("rollcall.upload.too_large").to_owned());
            let status = StatusCode::PAYLOAD_TOO_LARGE;
            return upload_page(&state, t, &user, status, error, Vec::new(), None).await;
        }
        Err(Unread::Malformed) => return Err(AppError::bad_request("error.bad_form")),
    };
    if !constant_time_eq(csrf.as_bytes(), user.csrf.as_bytes()) {
        return Err(AppError::forbidden("error.csrf"));
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let error = Some(t.t("rollcall.upload.no_file").to_owned());
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return upload_page(&state, t, &user, status, error, Vec::new(), None).await;
    };
    let scope = user.scope.clone();
    let key = state.store.key();
    let outcome = state
        .store
        .run({
            let t = t.clone();
            move |conn| enter_sheet(conn, &t, &scope, &key, school, &bytes, &name)
        })
        .await?;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    match outcome {
        SheetOutcome::Unreadable(key, missing) => {
            let mut error = t.t(key).to_owned();
            if !missing.is_empty() {
                error.push_str(&missing.join("、"));
            }
            upload_page(
                &state,
                t,
                &user,
                unprocessable,
                Some(error),
                Vec::new(),
                None,
            )
            .await
        }
        SheetOutcome::Problems(problems) => {
            let error = Some(t.t("rollcall.upload.refused").to_owned());
            upload_page(&state, t, &user, unprocessable, error, problems, None).await
        }
        SheetOutcome::Entered(report) => {
            upload_page(
                &state,
                t,
                &user,
                StatusCode::OK,
                None,
                Vec::new(),
                Some(report),
            )
            .await
        }
    }
}

/// `GET /rollcall/template.xlsx`: the blank 缺勤登记表.
pub async fn template(user: PageUser) -> AppResult<Response> {
    own_school(&user.scope)?;
    Ok(xlsx_download(
        absence_template(),
        "缺勤登记表-模板.xlsx",
        "absence-template.xlsx",
    ))
}
