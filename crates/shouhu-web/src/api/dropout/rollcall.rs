//! `/api/v1/classes/{id}/roll-calls/{day}` and `/api/v1/schools/{id}/absences/import`: a class's
//! roll call (点名) for a school day, read and submitted (or corrected) with the version it was
//! read at; and absences entered in bulk from a 缺勤登记表, all or nothing.
//!
//! `/api/v1/children/{id}/absences` lists one child's absences.

use axum::Json;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shouhu_domain::{AbsenceKind, today_shanghai};
use shouhu_store::dropout::{self, AbsenceInput, RollCallSheet, RollCallSubmit, Submitted};
use utoipa::{OpenApi, ToSchema};

use super::super::{ApiJson, ApiPath, ApiQuery, ErrorBody, Fields, instant};
use crate::auth::ApiUser;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
use crate::pages::dropout::rollcall::upload::{
    SheetOutcome, SheetProblem, Unread, enter_sheet, read_form,
};
use crate::pages::dropout::rollcall::{MAX_SHEET, parse_day, refusal_key};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/classes/{id}/roll-calls/{day}", get(show).put(put))
        .route("/children/{id}/absences", get(child_absences))
        .route(
            "/schools/{id}/absences/import",
            post(import).layer(DefaultBodyLimit::max(MAX_SHEET + 64 * 1024)),
        )
}

/// One child on the roll.
#[derive(Serialize, ToSchema)]
pub struct RollCallChild {
    pub child_id: i64,
    pub name: String,
    /// `sick` (病假), `personal` (事假) or `unexcused` (旷课); `null` when present.
    #[schema(example = "unexcused")]
    pub absence: Option<String>,
    pub reason: Option<String>,
    /// Enrolment state: `enrolled`, `suspected` (疑似辍学), `dropped_out` (辍学), …
    #[schema(example = "enrolled")]
    pub state: String,
    /// Unexcused school days running before this day.
    pub streak: u32,
}

/// A class's roll call for a day.
#[derive(Serialize, ToSchema)]
pub struct RollCall {
    pub class_id: i64,
    pub class_name: String,
    pub grade: i32,
    pub school_id: i64,
    #[schema(example = "2026-11-18")]
    pub day: String,
    /// A roll call is taken only on school days of the school's calendar.
    pub is_school_day: bool,
    /// 0 until submitted; send it back with a PUT.
    pub version: i32,
    pub submitted_by: Option<String>,
    /// When it was last submitted or corrected.
    pub submitted_at: Option<DateTime<Utc>>,
    /// On the roll, by pinyin.
    pub children: Vec<RollCallChild>,
}

impl From<RollCallSheet> for RollCall {
    fn from(s: RollCallSheet) -> Self {
        Self {
            class_id: s.class_id,
            class_name: s.class_name,
            grade: s.grade,
            school_id: s.school_id,
            day: s.day.to_string(),
            is_school_day: s.is_school_day,
            version: s.version,
            submitted_by: s.submitted_by,
            submitted_at: s.submitted_at.map(instant),
            children: s
                .children
                .into_iter()
                .map(|c| RollCallChild {
                    child_id: c.child_id,
                    name: c.name,
                    absence: c.absence.map(|k| k.code().to_owned()),
                    reason: c.reason,
                    state: c.state.code().to_owned(),
                    streak: c.streak,
                })
                .collect(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AbsenceItem {
    pub child_id: i64,
    /// `sick`, `personal` or `unexcused` (the Chinese 病假, 事假, 旷课 are taken too).
    #[schema(example = "unexcused")]
    pub kind: String,
    /// At most 200 characters.
    #[schema(example = "家长未请假")]
    pub reason: Option<String>,
}

/// The whole roll call: children not listed were present.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollCallPut {
    /// The version read (0 for a first submission); a stale one answers 409.
    #[schema(required = true, value_type = i32)]
    pub version: Option<i32>,
    #[serde(default)]
    pub absences: Vec<AbsenceItem>,
}

/// What a submission did.
#[derive(Serialize, ToSchema)]
pub struct RollCallSubmitted {
    pub roll_call_id: i64,
    pub version: i32,
    pub absent: usize,
    /// The same as what was stored (a retry): nothing was written.
    pub unchanged: bool,
    /// Enrolment state changes made or rolled back by it.
    pub transitions: usize,
}

impl From<Submitted> for RollCallSubmitted {
    fn from(s: Submitted) -> Self {
        Self {
            roll_call_id: s.roll_call_id,
            version: s.version,
            absent: s.absent,
            unchanged: s.unchanged,
            transitions: s.transitions,
        }
    }
}

/// What a clean sheet entered.
#[derive(Serialize, ToSchema)]
pub struct ImportedAbsences {
    /// Absences new or changed in kind.
    pub added: usize,
    /// Absences already entered with that kind.
    pub unchanged: usize,
    /// Roll calls that did not exist and were created for the sheet's days.
    pub roll_calls_created: usize,
}

/// The multipart form of an import.
#[derive(ToSchema)]
#[allow(dead_code)] // Only documents the request body.
pub struct AbsenceUpload {
    /// The 缺勤登记表: .xlsx, .xls or .csv, at most 5 MB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Store refusals with the roll call's own wording for the reason's text checks.
fn refusal(e: shouhu_store::StoreError) -> AppError {
    let mut e = AppError::from(e);
    e.fields = std::mem::take(&mut e.fields)
        .into_iter()
        .map(|(field, key)| (field, refusal_key(&key).to_owned()))
        .collect();
    e
}

fn day_of(raw: &str) -> AppResult<NaiveDate> {
    parse_day(raw).ok_or_else(|| AppError::invalid_field("day", "rollcall.bad_day"))
}

/// One absence of a child, as recorded at its class's roll call.
#[derive(Serialize, ToSchema)]
pub struct ChildAbsence {
    #[schema(example = "2026-11-18")]
    pub day: String,
    /// `sick` (病假), `personal` (事假) or `unexcused` (旷课).
    #[schema(example = "sick")]
    pub kind: String,
    pub reason: Option<String>,
    /// The class whose roll call recorded it.
    pub class_id: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbsencesQuery {
    /// Only absences on or after this day (YYYY-MM-DD).
    from: Option<String>,
}

/// A child's absences, newest first.
#[utoipa::path(
    get,
    path = "/children/{id}/absences",
    operation_id = "list_child_absences",
    tag = "dropout",
    params(
        ("id" = i64, Path, description = "Child id"),
        ("from" = Option<String>, Query, description = "Only from this day on (YYYY-MM-DD)"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The absences", body = [ChildAbsence]),
        (status = 400, description = "Malformed path or query", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "The child is absent or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Not a date (`from`)", body = ErrorBody),
    )
)]
pub async fn child_absences(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(child_id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<AbsencesQuery>,
) -> AppResult<Json<Vec<ChildAbsence>>> {
    let from = match query.from.as_deref() {
        Some(raw) => Some(
            parse_day(raw).ok_or_else(|| AppError::invalid_field("from", "rollcall.bad_day"))?,
        ),
        None => None,
    };
    let list = state
        .store
        .run(move |conn| dropout::absences_of(conn, &scope, child_id, from))
        .await?;
    Ok(Json(
        list.into_iter()
            .map(|a| ChildAbsence {
                day: a.day,
                kind: a.kind.code().to_owned(),
                reason: a.reason,
                class_id: a.class_id,
            })
            .collect(),
    ))
}

/// A class's roll call for a day: the children on the roll, any absence marked, the version.
#[utoipa::path(
    get,
    path = "/classes/{id}/roll-calls/{day}",
    operation_id = "get_roll_call",
    tag = "dropout",
    params(
        ("id" = i64, Path, description = "Class id"),
        ("day" = String, Path, description = "YYYY-MM-DD"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The roll call", body = RollCall),
        (status = 400, description = "Malformed path", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "The class is absent or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Not a date (`day`)", body = ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath((class_id, raw_day)): ApiPath<(i64, String)>,
) -> AppResult<Json<RollCall>> {
    let day = day_of(&raw_day)?;
    let sheet = state
        .store
        .run(move |conn| dropout::class_sheet(conn, &scope, class_id, day))
        .await?;
    Ok(Json(sheet.into()))
}

/// Submits a class's roll call for a school day, or corrects it (audited): the absences listed,
/// everyone else present; with nobody absent too. The same roll call sent again changes
/// nothing (`unchanged`).
#[utoipa::path(
    put,
    path = "/classes/{id}/roll-calls/{day}",
    operation_id = "put_roll_call",
    tag = "dropout",
    params(
        ("id" = i64, Path, description = "Class id"),
        ("day" = String, Path, description = "YYYY-MM-DD, not after today (Asia/Shanghai)"),
    ),
    request_body = RollCallPut,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Submitted or corrected", body = RollCallSubmitted),
        (status = 400, description = "Malformed JSON or path", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The role does not take the roll", body = ErrorBody),
        (status = 404, description = "The class is absent or outside the caller's scope", body = ErrorBody),
        (status = 409, description = "Stale `version` (`conflict`)", body = ErrorBody),
        (status = 422, description = "Bad kind (`absences[i].kind`), a child not in the class or listed twice (`absences`), a future day or a day without school (`day`), a reason too long (`reason`)", body = ErrorBody),
    )
)]
pub async fn put(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath((class_id, raw_day)): ApiPath<(i64, String)>,
    ApiJson(body): ApiJson<RollCallPut>,
) -> AppResult<Json<RollCallSubmitted>> {
    let day = day_of(&raw_day)?;
    let mut f = Fields::default();
    let version = f.check("version", body.version.ok_or("error.required"));
    let mut absences = Vec::new();
    for (i, a) in body.absences.iter().enumerate() {
        let kind = AbsenceKind::parse(&a.kind).map_err(|_| "absence_kind.unknown");
        if let Some(kind) = f.check(&format!("absences[{i}].kind"), kind) {
            absences.push(AbsenceInput {
                child_id: a.child_id,
                kind,
                reason: a.reason.clone().filter(|r| !r.trim().is_empty()),
            });
        }
    }
    let Some(version) = version.filter(|_| f.0.is_empty()) else {
        return Err(f.into_error());
    };
    let input = RollCallSubmit {
        class_id,
        day,
        absences,
        version,
    };
    let done = state
        .store
        .run(move |conn| Ok(dropout::submit(conn, &scope, &input, today_shanghai())))
        .await?
        .map_err(refusal)?;
    Ok(Json(done.into()))
}

/// Enters absences from a 缺勤登记表 into the school's roll calls (created where missing), all or
/// nothing. A sheet with bad cells, or rows matching no child of the school (or two), falling on
/// a day without school or in a class outside the caller's, answers 422 with every problem in
/// `details.problems` (row, column, message) and writes nothing.
#[utoipa::path(
    post,
    path = "/schools/{id}/absences/import",
    operation_id = "import_absences",
    tag = "dropout",
    params(("id" = i64, Path, description = "School id")),
    request_body(content = AbsenceUpload, content_type = "multipart/form-data"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Entered", body = ImportedAbsences),
        (status = 400, description = "Not a multipart form with a `file`", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The role does not take the roll", body = ErrorBody),
        (status = 404, description = "The school is absent or outside the caller's scope", body = ErrorBody),
        (status = 413, description = "Larger than 5 MB (`too_large`)", body = ErrorBody),
        (status = 422, description = "Unreadable, or problems listed in `details.problems`; nothing written", body = ErrorBody),
    )
)]
pub async fn import(
    State(state): State<AppState>,
    t: Tr,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(school_id): ApiPath<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> AppResult<Json<ImportedAbsences>> {
    let multipart = multipart.map_err(|_| AppError::bad_request("error.bad_form"))?;
    let file = match read_form(multipart).await {
        Ok((_, file)) => file,
        Err(Unread::TooLarge) => {
            let mut e = AppError::bad_request("rollcall.upload.too_large");
            e.status = StatusCode::PAYLOAD_TOO_LARGE;
            e.code = "too_large";
            return Err(e);
        }
        Err(Unread::Malformed) => return Err(AppError::bad_request("error.bad_form")),
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(AppError::invalid_field("file", "rollcall.upload.no_file"));
    };
    let key = state.store.key();
    let outcome = state
        .store
        .run(move |conn| enter_sheet(conn, &t, &scope, &key, school_id, &bytes, &name))
        .await?;
    match outcome {
        SheetOutcome::Entered(r) => Ok(Json(ImportedAbsences {
            added: r.added,
            unchanged: r.unchanged,
            roll_calls_created: r.roll_calls_created,
        })),
        SheetOutcome::Unreadable(key, missing) => {
            let mut e = AppError::invalid_field("file", key);
            e.details = Some(serde_json::json!({ "missing_columns": missing }));
            Err(e)
        }
        SheetOutcome::Problems(problems) => {
            let mut e = AppError::invalid(Default::default());
            e.key = "rollcall.upload.problems".to_owned();
            e.details = Some(serde_json::json!({ "problems": problems }));
            Err(e)
        }
    }
}

/// This part's paths, relative to `/api/v1`.
#[derive(OpenApi)]
#[openapi(
    paths(show, put, import, child_absences),
    components(schemas(
        ChildAbsence,
        RollCall,
        RollCallChild,
        RollCallPut,
        AbsenceItem,
        RollCallSubmitted,
        ImportedAbsences,
        AbsenceUpload,
        SheetProblem
    ))
)]
pub struct Doc;
