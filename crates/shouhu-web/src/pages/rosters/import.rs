//! The import pages: the upload form; the upload's page, which shows the progress bar while the
//! sheet is checked or written and the report once it is; the confirmation; the status the
//! page's script polls; and the sheet back with a 错误说明 column.
//!
//! Nothing is written until the user confirms a checked upload. The check runs the real import
//! in a transaction that is rolled back, so the report (new classes included) is what the
//! confirmation will do, unless the data changed in between.

use std::sync::Arc;

use askama::Template;
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{FromRequestParts, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use shouhu_domain::today_shanghai;
use shouhu_store::{Scope, schools};

use super::jobs::{ImportJob, MAX_UPLOAD, Refusal, Stage};
use super::{import_error, may_import, xlsx_download};
use crate::auth::{CsrfForm, PageUser, SESSION_COOKIE, constant_time_eq};
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::frame::{Frame, render};
use crate::pages::places::Choice;
use crate::rosters::{ImportReport, ImportSpec, Source, error_sheet, import_roster};
use crate::state::AppState;

/// Problems and warnings listed on the page; the error report has them all.
const SHOWN: usize = 200;
/// The longest file name kept (it goes into the audit log and the report's name).
const NAME_MAX: usize = 120;

/// A link to one of the user's uploads still kept.
#[derive(Debug)]
pub struct UploadLink {
    pub href: String,
    pub file_name: String,
    pub phase: String,
}

pub fn upload_links(state: &AppState, t: &Tr, user: i64) -> Vec<UploadLink> {
    state
        .imports
        .of_user(user)
        .into_iter()
        .map(|(token, job)| UploadLink {
            href: format!("/rosters/import/{token}"),
            file_name: job.file_name.clone(),
            phase: t
                .t(&format!("roster.phase.{}", job.stage().phase()))
                .to_owned(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "roster_import.html")]
struct UploadPage {
    t: Tr,
    frame: Frame,
    /// Schools to choose from (county-level users); empty when the user's school is implied.
    schools: Vec<Choice>,
    /// The user's own school, where rows without a 学校 cell go.
    own_school: Option<String>,
    skip_rejected: bool,
    error: Option<String>,
    max_mb: usize,
    max_bytes: usize,
    uploads: Vec<UploadLink>,
}

/// What the form was sent with, to show it again after a refusal.
#[derive(Default)]
struct Typed {
    school: Option<i64>,
    skip_rejected: bool,
}

async fn upload_page(
    state: &AppState,
    t: Tr,
    user: &PageUser,
    typed: Typed,
    refusal: Option<(StatusCode, &str)>,
) -> AppResult<Response> {
    if !may_import(user.scope.role) {
        return Err(AppError::forbidden("denied.child.import"));
    }
    let scope = user.scope.clone();
    let (own_school, list) = state
        .store
        .run(move |conn| match scope.school {
            Some(id) => Ok((Some(schools::get(conn, &scope, id)?.name), Vec::new())),
            None => Ok((None, schools::list(conn, &scope, &Default::default())?)),
        })
        .await?;
    let (status, error) = match refusal {
        Some((status, key)) => (status, Some(t.t(key).to_owned())),
        None => (StatusCode::OK, None),
    };
    let page = UploadPage {
        frame: Frame::for_user(user),
        schools: list
            .into_iter()
            .map(|s| Choice {
                selected: typed.school == Some(s.id),
                value: s.id.to_string(),
                label: s.name,
            })
            .collect(),
        own_school,
        skip_rejected: typed.skip_rejected,
        error,
        max_mb: MAX_UPLOAD / (1024 * 1024),
        max_bytes: MAX_UPLOAD,
        uploads: upload_links(state, &t, user.user.id),
        t,
    };
    Ok((status, render(page)?).into_response())
}

/// `GET /rosters/import`.
pub async fn form(State(state): State<AppState>, t: Tr, user: PageUser) -> AppResult<Response> {
    upload_page(&state, t, &user, Typed::default(), None).await
}

/// The upload form as sent.
#[derive(Default)]
struct Upload {
    csrf: String,
    school: String,
    skip_rejected: bool,
    file: Option<(String, Vec<u8>)>,
}

/// Why reading the form stopped.
enum Unread {
    TooLarge,
    Malformed,
}

async fn read_upload(mut multipart: Multipart) -> Result<Upload, Unread> {
    let failed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Unread::TooLarge
        } else {
            Unread::Malformed
        }
    };
    let mut upload = Upload::default();
    while let Some(mut field) = multipart.next_field().await.map_err(failed)? {
        match field.name().unwrap_or_default() {
            "csrf" => upload.csrf = field.text().await.map_err(failed)?,
            "school_id" => upload.school = field.text().await.map_err(failed)?,
            "skip_rejected" => {
                upload.skip_rejected = !field.text().await.map_err(failed)?.is_empty()
            }
            "file" => {
                let name = base_name(field.file_name().unwrap_or_default());
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(failed)? {
                    if bytes.len() + chunk.len() > MAX_UPLOAD {
                        return Err(Unread::TooLarge);
                    }
                    bytes.extend_from_slice(&chunk);
                }
                upload.file = Some((name, bytes));
            }
            _ => {}
        }
    }
    Ok(upload)
}

/// The file's own name: old browsers send the whole path it was picked from.
fn base_name(raw: &str) -> String {
    let name = raw.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let name: String = name
        .chars()
        .filter(|c| !c.is_control())
        .take(NAME_MAX)
        .collect();
    if name.is_empty() {
        "roster".to_owned()
    } else {
        name
    }
}

/// `POST /rosters/import`: keeps the upload, starts its check and sends the browser to its page.
pub async fn upload(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Response> {
    if !may_import(user.scope.role) {
        return Err(AppError::forbidden("denied.child.import"));
    }
    let multipart = multipart.map_err(|_| AppError::bad_request("error.bad_form"))?;
    let upload = match read_upload(multipart).await {
        Ok(upload) => upload,
        Err(Unread::TooLarge) => {
            let refusal = (StatusCode::PAYLOAD_TOO_LARGE, "roster.too_large");
            return upload_page(&state, t, &user, Typed::default(), Some(refusal)).await;
        }
        Err(Unread::Malformed) => return Err(AppError::bad_request("error.bad_form")),
    };
    if !constant_time_eq(upload.csrf.as_bytes(), user.csrf.as_bytes()) {
        return Err(AppError::forbidden("error.csrf"));
    }
    // A principal's or teacher's own school is implied; the store uses it when none is given.
    let school = match user.scope.school {
        Some(_) => None,
        None => upload.school.trim().parse().ok(),
    };
    let typed = Typed {
        school,
        skip_rejected: upload.skip_rejected,
    };
    let Some((file_name, bytes)) = upload.file.filter(|(_, b)| !b.is_empty()) else {
        let refusal = (StatusCode::UNPROCESSABLE_ENTITY, "roster.no_file");
        return upload_page(&state, t, &user, typed, Some(refusal)).await;
    };
    let job = ImportJob::new(
        user.user.id,
        user.session_hash.clone(),
        file_name,
        bytes,
        school,
        upload.skip_rejected,
    );
    let (token, job) = match state.imports.insert(job) {
        Ok(kept) => kept,
        Err(refusal) => {
            let refusal = match refusal {
                Refusal::UserBusy => (StatusCode::TOO_MANY_REQUESTS, "roster.user_busy"),
                Refusal::Full => (StatusCode::SERVICE_UNAVAILABLE, "roster.busy"),
            };
            return upload_page(&state, t, &user, typed, Some(refusal)).await;
        }
    };
    run(state, job, user.scope.clone(), false, false);
    Ok(Redirect::to(&format!("/rosters/import/{token}")).into_response())
}

/// Runs the check (`write` false) or the confirmed import in the background; the job hears the
/// progress and keeps the outcome for the page.
fn run(state: AppState, job: Arc<ImportJob>, scope: Scope, write: bool, skip_rejected: bool) {
    tokio::spawn(async move {
        let _slot = state.imports.slot().await;
        let key = state.store.key();
        let running = job.clone();
        let started = shouhu_store::now_ms();
        let outcome = state
            .store
            .run(move |conn| {
                let spec = ImportSpec {
                    source: Source::Bytes(&running.bytes),
                    file_name: &running.file_name,
                    default_school: running.default_school,
                    write,
                    skip_rejected,
                    today: today_shanghai(),
                };
                let report = import_roster(conn, &scope, &key, &spec, &mut |done, total| {
                    running.set_progress(done, total)
                });
                if let Ok(report) = &report {
                    super::follow_duties(conn, report, started, spec.today);
                }
                Ok(report)
            })
            .await;
        // What the page shows is a catalog key or the reader's own Chinese sentence.
        let outcome = match outcome {
            Ok(Ok(report)) => Ok(report),
            Ok(Err(e)) => Err(import_error(e).key),
            Err(e) => Err(AppError::from(e).key),
        };
        job.finish(outcome);
    });
}

#[derive(Template)]
#[template(path = "roster_progress.html")]
struct ProgressPage {
    t: Tr,
    frame: Frame,
    token: String,
    file_name: String,
    title: String,
    /// `checking` or `writing`.
    phase: &'static str,
    done: usize,
    total: usize,
}

/// One problem or warning as listed.
#[derive(Debug)]
struct ProblemView {
    sheet_row: u32,
    column: String,
    value: String,
    message: String,
}

/// An import report as the page lays it out.
#[derive(Debug)]
struct ReportView {
    imported: usize,
    updated: usize,
    unchanged: usize,
    rejected: usize,
    rows: usize,
    new_classes: Vec<String>,
    problems: Vec<ProblemView>,
    more_problems: usize,
    warnings: Vec<ProblemView>,
    more_warnings: usize,
    unknown_columns: Vec<String>,
}

fn listed(list: &[shouhu_roster::CellProblem]) -> (Vec<ProblemView>, usize) {
    let shown = list
        .iter()
        .take(SHOWN)
        .map(|p| ProblemView {
            sheet_row: p.sheet_row,
            column: p.column.clone(),
            value: p.value.clone(),
            message: p.message.clone(),
        })
        .collect();
    (shown, list.len().saturating_sub(SHOWN))
}

impl From<&ImportReport> for ReportView {
    fn from(r: &ImportReport) -> Self {
        let s = &r.summary;
        let (problems, more_problems) = listed(&r.problems);
        let (warnings, more_warnings) = listed(&r.warnings);
        ReportView {
            imported: s.imported,
            updated: s.updated,
            unchanged: s.unchanged,
            rejected: s.rejected,
            rows: r.rows,
            new_classes: s
                .new_classes
                .iter()
                .map(|c| format!("{} {} {}", c.school, c.grade, c.name))
                .collect(),
            problems,
            more_problems,
            warnings,
            more_warnings,
            unknown_columns: r.unknown_columns.clone(),
        }
    }
}

/// What the confirmed import did, in one sentence's catalog key.
fn outcome_key(result: &ImportReport, skip_rejected: bool) -> &'static str {
    match (result.summary.written, result.summary.rejected > 0) {
        (true, true) => "roster.outcome.written_skipped",
        (true, false) => "roster.outcome.written",
        (false, true) if !skip_rejected => "roster.outcome.rejected",
        (false, _) => "roster.outcome.not_written",
    }
}

#[derive(Template)]
#[template(path = "roster_report.html")]
struct ReportPage {
    t: Tr,
    frame: Frame,
    token: String,
    file_name: String,
    /// The confirmed import's result, or else the check's.
    report: Option<ReportView>,
    /// True when `report` is what was written (or refused on confirmation), not a preview.
    is_result: bool,
    outcome: Option<String>,
    error: Option<String>,
    /// Offer the confirmation form: a checked upload, or one whose confirmation wrote nothing.
    can_confirm: bool,
    skip_rejected: bool,
    has_errors_sheet: bool,
}

/// `GET /rosters/import/{token}`: the progress while running, the report when done.
pub async fn show(
    State(state): State<AppState>,
    t: Tr,
    user: PageUser,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let job = state
        .imports
        .get(&token, user.user.id)
        .ok_or_else(AppError::not_found)?;
    let frame = Frame::for_user(&user);
    let file_name = job.file_name.clone();
    let stage = job.stage();
    let phase = stage.phase();
    let importer = may_import(user.scope.role);
    let page = match stage {
        Stage::Checking | Stage::Writing { .. } => {
            let (done, total) = job.progress();
            let page = ProgressPage {
                title: t.t(&format!("roster.phase.{phase}")).to_owned(),
                t,
                frame,
                token,
                file_name,
                phase,
                done,
                total,
            };
            return Ok(render(page)?.into_response());
        }
        Stage::Checked(report) => ReportPage {
            report: Some(ReportView::from(&*report)),
            is_result: false,
            outcome: None,
            error: None,
            can_confirm: importer,
            skip_rejected: job.skip_rejected,
            has_errors_sheet: !report.problems.is_empty(),
            t,
            frame,
            token,
            file_name,
        },
        Stage::Written {
            result,
            skip_rejected,
            ..
        } => {
            let written = result.summary.written;
            ReportPage {
                report: Some(ReportView::from(&*result)),
                is_result: true,
                outcome: Some(t.t(outcome_key(&result, skip_rejected)).to_owned()),
                error: None,
                can_confirm: importer && !written,
                skip_rejected,
                has_errors_sheet: !result.problems.is_empty(),
                t,
                frame,
                token,
                file_name,
            }
        }
        Stage::Failed { preview, message } => ReportPage {
            has_errors_sheet: preview.as_ref().is_some_and(|p| !p.problems.is_empty()),
            report: preview.as_deref().map(ReportView::from),
            is_result: false,
            outcome: None,
            error: Some(t.t(&message).to_owned()),
            can_confirm: false,
            skip_rejected: job.skip_rejected,
            t,
            frame,
            token,
            file_name,
        },
    };
    Ok(render(page)?.into_response())
}

/// `GET /rosters/import/{token}/status`: what the page's script polls; only counts. The session
/// that uploaded the file is recognised by its cookie without the database (see
/// [`super::ImportJobs::get_in_session`]); another session of the same user goes the usual way.
pub async fn status(
    State(state): State<AppState>,
    Path(token): Path<String>,
    request: Request,
) -> AppResult<Response> {
    let (mut parts, _) = request.into_parts();
    let session = CookieJar::from_headers(&parts.headers)
        .get(SESSION_COOKIE)
        .map(|c| shouhu_store::auth::hash_secret(c.value()))
        .ok_or_else(AppError::unauthenticated)?;
    let job = match state.imports.get_in_session(&token, &session) {
        Some(job) => job,
        None => {
            let user = PageUser::from_request_parts(&mut parts, &state).await?;
            state
                .imports
                .get(&token, user.user.id)
                .ok_or_else(AppError::not_found)?
        }
    };
    let (done, total) = job.progress();
    let body = serde_json::json!({
        "phase": job.stage().phase(),
        "done": done,
        "total": total,
    });
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    skip_rejected: String,
}

/// `POST /rosters/import/{token}`: imports a checked upload, once. A second confirmation (a
/// double click, a form sent again from history) finds it already writing or written and only
/// shows its page.
pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    CsrfForm { user, form }: CsrfForm<ConfirmForm>,
) -> AppResult<Response> {
    if !may_import(user.scope.role) {
        return Err(AppError::forbidden("denied.child.import"));
    }
    let job = state
        .imports
        .get(&token, user.user.id)
        .ok_or_else(AppError::not_found)?;
    let skip_rejected = !form.skip_rejected.is_empty();
    if job.begin_write(skip_rejected).is_some() {
        run(state.clone(), job, user.scope.clone(), true, skip_rejected);
    }
    Ok(Redirect::to(&format!("/rosters/import/{token}")).into_response())
}

/// `GET /rosters/import/{token}/errors.xlsx`: the sheet as uploaded with a 错误说明 column.
pub async fn errors(
    State(state): State<AppState>,
    user: PageUser,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let job = state
        .imports
        .get(&token, user.user.id)
        .ok_or_else(AppError::not_found)?;
    let report = match job.stage() {
        Stage::Checked(report) => report,
        Stage::Writing { preview, .. } => preview,
        Stage::Written { result, .. } => result,
        Stage::Failed {
            preview: Some(preview),
            ..
        } => preview,
        Stage::Checking | Stage::Failed { preview: None, .. } => {
            return Err(AppError::not_found());
        }
    };
    let source = job.clone();
    let bytes = tokio::task::spawn_blocking(move || {
        error_sheet(
            Source::Bytes(&source.bytes),
            &source.file_name,
            &report.problems,
        )
    })
    .await
    .map_err(AppError::internal)?
    .map_err(import_error)?;
    let stem = job
        .file_name
        .rsplit_once('.')
        .map_or(job.file_name.as_str(), |(stem, _)| stem);
    Ok(xlsx_download(
        bytes,
        &format!("{stem}-错误说明.xlsx"),
        "roster-errors.xlsx",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_files_own_name_is_kept() {
        assert_eq!(base_name("C:\\Users\\龙\\花名册.xlsx"), "花名册.xlsx");
        assert_eq!(base_name("/home/a/b.csv"), "b.csv");
        assert_eq!(base_name("  "), "roster");
        assert_eq!(base_name(&"长".repeat(500)).chars().count(), NAME_MAX);
    }

    #[test]
    fn the_outcome_says_why_nothing_was_written() {
        let mut r = ImportReport {
            summary: Default::default(),
            problems: Vec::new(),
            warnings: Vec::new(),
            unknown_columns: Vec::new(),
            rows: 3,
        };
        r.summary.rejected = 1;
        assert_eq!(outcome_key(&r, false), "roster.outcome.rejected");
        r.summary.written = true;
        assert_eq!(outcome_key(&r, true), "roster.outcome.written_skipped");
        r.summary.rejected = 0;
        assert_eq!(outcome_key(&r, false), "roster.outcome.written");
    }
}
