//! `/api/v1/dropout/cases…` and the enrolment of a child: persuasion cases (劝返) with their
//! attempts, the reason the child left, 复学 with its 一人一案 plan, decisions on a child's
//! enrolment (休学, 转出, 送教上门, 毕业, 恢复在读), and the 劝返通知书 as a PDF. Opening a case
//! is audit-logged by the store; so is every change.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shouhu_domain::{
    AttemptOutcome, DecisionKind, EnrolmentState, Grade, LeaveReason, ReturnMethod, today_shanghai,
};
use shouhu_store::dropout::{
    self, Attempt, AttemptInput, CaseDetail, CaseFilter, DecisionInput, ReturnInput,
};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::super::children::Pdf;
use super::super::{ApiJson, ApiPath, ApiQuery, ErrorBody, Fields, created, instant};
use crate::auth::ApiUser;
use crate::cards::pdf_response;
use crate::error::{AppError, AppResult};
use crate::pages::dropout::cases::{CaseRow, case_rows, notice_pdf, require_cases};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dropout/cases", get(list))
        .route("/dropout/cases/{id}", get(show))
        .route("/dropout/cases/{id}/attempts", post(add_attempt))
        .route("/dropout/cases/{id}/reason", put(put_reason))
        .route("/dropout/cases/{id}/return", post(return_child))
        .route("/dropout/cases/{id}/notice.pdf", get(notice))
        .route("/children/{id}/enrolment-decisions", post(decide))
        .route("/children/{id}/enrolment", get(enrolment))
}

/// This part's paths, relative to `/api/v1`.
#[derive(OpenApi)]
#[openapi(paths(
    list,
    show,
    add_attempt,
    put_reason,
    return_child,
    notice,
    decide,
    enrolment
))]
pub struct Doc;

/// A case as lists show it.
#[derive(Serialize, ToSchema)]
pub struct CaseSummary {
    pub id: i64,
    pub child_id: i64,
    pub child_name: String,
    pub school_id: i64,
    pub school_name: String,
    pub class_name: Option<String>,
    /// The school's region (12 digits).
    pub school_region: String,
    /// The county that owns the case (the hukou county after a hand-over).
    pub owner_region: String,
    #[schema(example = "2026-11-24")]
    pub opened_on: String,
    /// `suspected` (疑似辍学) or `dropped_out` (辍学).
    #[schema(example = "suspected")]
    pub state: String,
    pub closed_on: Option<String>,
    /// `self_return`, `returned`, `voided` or `other`.
    pub closure: Option<String>,
    /// A `leave_reason` code (`weary_of_study`, `working`, …).
    pub leave_reason: Option<String>,
    pub reason_note: Option<String>,
    /// Send it back with a reason change; a stale one answers 409.
    pub version: i32,
}

impl From<CaseRow> for CaseSummary {
    fn from(r: CaseRow) -> Self {
        let h = r.head;
        Self {
            id: h.id,
            child_id: h.child_id,
            child_name: r.child_name,
            school_id: h.school_id,
            school_name: r.school_name,
            class_name: (!r.class_name.is_empty()).then_some(r.class_name),
            school_region: h.school_region,
            owner_region: h.owner_region,
            opened_on: h.opened_on,
            state: h.state,
            closed_on: h.closed_on,
            closure: h.closure,
            leave_reason: h.leave_reason,
            reason_note: h.reason_note,
            version: h.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CaseList {
    /// Newest first.
    pub items: Vec<CaseSummary>,
}

#[derive(Serialize, ToSchema)]
pub struct AttemptRow {
    pub id: i64,
    pub case_id: i64,
    #[schema(example = "2026-11-25")]
    pub day: String,
    /// A `return_method` code: `phone`, `home_visit`, `joint_visit`, `notice`, `township`,
    /// `county`, `legal`.
    pub method: String,
    pub people: String,
    pub met: String,
    /// An `attempt_outcome` code: `agreed`, `refused`, `not_met`, `pending`, `returned`.
    pub outcome: String,
    pub note: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

impl From<Attempt> for AttemptRow {
    fn from(a: Attempt) -> Self {
        Self {
            id: a.id,
            case_id: a.case_id,
            day: a.day,
            method: a.method,
            people: a.people,
            met: a.met,
            outcome: a.outcome,
            note: a.note,
            recorded_at: instant(a.recorded_at),
        }
    }
}

/// A change of the child's enrolment state; a rolled-back one keeps why.
#[derive(Serialize, ToSchema)]
pub struct StateChange {
    pub day: String,
    pub from_state: String,
    pub to_state: String,
    pub cause: String,
    pub detail: String,
    pub rolled_back_at: Option<DateTime<Utc>>,
    pub rollback_reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReturnPlan {
    /// 1–9.
    pub grade: i32,
    pub class_id: Option<i64>,
    pub tutoring: String,
    pub support: String,
    /// The teacher (user id) who follows the child up.
    pub follow_up_by: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct NextStep {
    /// A `return_method` code.
    pub method: String,
    /// The role that owes it (`head_teacher`, `principal`, …).
    pub role: String,
    pub due: String,
}

/// A case opened: audit-logged.
#[derive(Serialize, ToSchema)]
pub struct Case {
    #[serde(flatten)]
    pub summary: CaseSummary,
    /// In date order.
    pub attempts: Vec<AttemptRow>,
    /// The child's enrolment history, rolled-back transitions included.
    pub history: Vec<StateChange>,
    pub plan: Option<ReturnPlan>,
    /// The ladder's next unmet step of an open case.
    pub next_step: Option<NextStep>,
}

fn case_of(d: CaseDetail) -> Case {
    let row = CaseRow {
        head: d.case,
        child_name: d.child_name,
        school_name: d.school_name,
        class_name: String::new(),
    };
    Case {
        summary: row.into(),
        attempts: d.attempts.into_iter().map(Into::into).collect(),
        history: d
            .events
            .into_iter()
            .map(|e| StateChange {
                day: e.day,
                from_state: e.from_state,
                to_state: e.to_state,
                cause: e.cause,
                detail: e.detail,
                rolled_back_at: e.rolled_back_at.map(instant),
                rollback_reason: e.rollback_reason,
            })
            .collect(),
        plan: d.plan.map(|p| ReturnPlan {
            grade: p.grade,
            class_id: p.class_id,
            tutoring: p.tutoring,
            support: p.support,
            follow_up_by: p.follow_up_by,
            created_at: instant(p.created_at),
        }),
        next_step: d.next_step.map(|(method, role, due)| NextStep {
            method,
            role,
            due: due.to_string(),
        }),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    /// `true` for open cases only, `false` for closed ones; all when left out.
    pub open: Option<bool>,
    /// `suspected` or `dropped_out`.
    pub state: Option<String>,
    pub school_id: Option<i64>,
}

/// Cases in the caller's reach, newest first (at most 500). Names only; no case is opened.
#[utoipa::path(
    get,
    path = "/dropout/cases",
    operation_id = "list_dropout_cases",
    tag = "dropout",
    params(CaseQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The cases", body = CaseList),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Volunteers do not see cases", body = ErrorBody),
        (status = 422, description = "An unknown state", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> AppResult<Json<CaseList>> {
    require_cases(&scope)?;
    let wanted = match q.state.as_deref() {
        None | Some("") => None,
        Some(code) => Some(
            EnrolmentState::parse(code)
                .ok()
                .filter(|s| s.has_open_case())
                .ok_or_else(|| AppError::invalid_field("state", "enrolment_state.unknown"))?,
        ),
    };
    let filter = CaseFilter {
        open: q.open,
        state: wanted,
        school_id: q.school_id,
        region: None,
        limit: Some(500),
    };
    let rows = state
        .store
        .run(move |conn| case_rows(conn, &scope, &filter))
        .await?;
    Ok(Json(CaseList {
        items: rows.into_iter().map(Into::into).collect(),
    }))
}

/// One case with its attempts, the child's history, the return plan and the next step.
/// Audit-logged.
#[utoipa::path(
    get,
    path = "/dropout/cases/{id}",
    operation_id = "show_dropout_case",
    tag = "dropout",
    params(("id" = i64, Path, description = "Case id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The case", body = Case),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Volunteers do not see cases", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Case>> {
    require_cases(&scope)?;
    let detail = state
        .store
        .run(move |conn| dropout::case_detail(conn, &scope, id))
        .await?;
    Ok(Json(case_of(detail)))
}

fn date_or_today(f: &mut Fields, field: &str, raw: Option<&str>) -> Option<NaiveDate> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Some(today_shanghai()),
        Some(s) => f.check(
            field,
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| "dropout_case.bad_date"),
        ),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAttempt {
    /// Defaults to today; not before the case opened, not after today.
    #[schema(example = "2026-11-25")]
    pub day: Option<String>,
    /// `phone`, `home_visit`, `joint_visit`, `notice`, `township`, `county` or `legal`.
    #[schema(required = true, value_type = String, example = "phone")]
    pub method: Option<String>,
    #[schema(example = "龙老师")]
    #[serde(default)]
    pub people: String,
    #[schema(example = "祖母")]
    #[serde(default)]
    pub met: String,
    /// `agreed`, `refused`, `not_met`, `pending` or `returned`.
    #[schema(required = true, value_type = String, example = "pending")]
    pub outcome: Option<String>,
    /// A `leave_reason` code learnt on the way; sets the case's reason.
    pub reason: Option<String>,
    pub note: Option<String>,
    /// Makes a resent request a no-op: the same key answers the attempt it recorded.
    pub submit_key: Option<String>,
}

/// Records one 劝返 attempt on an open case; the ladder's duties follow. Idempotent by
/// `submit_key`.
#[utoipa::path(
    post,
    path = "/dropout/cases/{id}/attempts",
    operation_id = "add_dropout_attempt",
    tag = "dropout",
    params(("id" = i64, Path, description = "Case id")),
    request_body = NewAttempt,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded (or already recorded under this key)", body = AttemptRow),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Volunteers do not record attempts", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Invalid fields, or the case is closed", body = ErrorBody),
    )
)]
pub async fn add_attempt(
    State(state): State<AppState>,
    ApiUser { scope, user }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewAttempt>,
) -> AppResult<Response> {
    require_cases(&scope)?;
    let mut f = Fields::default();
    let day = date_or_today(&mut f, "day", body.day.as_deref());
    let method = f.check(
        "method",
        body.method
            .as_deref()
            .ok_or("error.required")
            .and_then(|m| ReturnMethod::parse(m).map_err(|e| e.code())),
    );
    let outcome = f.check(
        "outcome",
        body.outcome
            .as_deref()
            .ok_or("error.required")
            .and_then(|m| AttemptOutcome::parse(m).map_err(|e| e.code())),
    );
    let reason = match body.reason.as_deref().filter(|s| !s.is_empty()) {
        None => Some(None),
        Some(r) => f
            .check("reason", LeaveReason::parse(r).map_err(|e| e.code()))
            .map(Some),
    };
    let (Some(day), Some(method), Some(outcome), Some(reason)) = (day, method, outcome, reason)
    else {
        return Err(f.into_error());
    };
    let input = AttemptInput {
        day,
        method,
        people: body.people,
        met: body.met,
        outcome,
        reason,
        note: body.note,
        submit_key: body.submit_key.filter(|k| !k.trim().is_empty()).map(|k| {
            format!(
                "api:{}:{}",
                user.id,
                k.chars().take(100).collect::<String>()
            )
        }),
    };
    let attempt = state
        .store
        .run(move |conn| dropout::record_attempt(conn, &scope, id, &input, today_shanghai()))
        .await?;
    Ok(created(
        format!("/api/v1/dropout/cases/{id}"),
        AttemptRow::from(attempt),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonPut {
    /// A `leave_reason` code.
    #[schema(required = true, value_type = String, example = "weary_of_study")]
    pub reason: Option<String>,
    /// Required for `other`; at most 200 characters.
    #[serde(default)]
    pub note: String,
    /// The case's version as read.
    #[schema(required = true, value_type = i32)]
    pub version: Option<i32>,
}

/// Sets the reason the child left; a stale version answers 409.
#[utoipa::path(
    put,
    path = "/dropout/cases/{id}/reason",
    operation_id = "put_dropout_reason",
    tag = "dropout",
    params(("id" = i64, Path, description = "Case id")),
    request_body = ReasonPut,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The case as it now is", body = CaseSummary),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Volunteers do not work on cases", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
        (status = 409, description = "The case changed since it was read", body = ErrorBody),
        (status = 422, description = "Invalid fields", body = ErrorBody),
    )
)]
pub async fn put_reason(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReasonPut>,
) -> AppResult<Json<CaseSummary>> {
    require_cases(&scope)?;
    let mut f = Fields::default();
    let reason = f.check(
        "reason",
        body.reason
            .as_deref()
            .ok_or("error.required")
            .and_then(|r| LeaveReason::parse(r).map_err(|e| e.code())),
    );
    let version = f.check("version", body.version.ok_or("error.required"));
    let (Some(reason), Some(version)) = (reason, version) else {
        return Err(f.into_error());
    };
    let row = state
        .store
        .run(move |conn| {
            dropout::set_reason(conn, &scope, id, reason, &body.note, version)?;
            let filter = CaseFilter::default();
            Ok(case_rows(conn, &scope, &filter)?
                .into_iter()
                .find(|r| r.head.id == id))
        })
        .await?;
    row.map(|r| Json(r.into())).ok_or_else(AppError::not_found)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    /// The day the child came back; defaults to today.
    #[schema(example = "2026-12-01")]
    pub day: Option<String>,
    /// The placement grade, 1–9 (or 一年级 … 九年级).
    #[schema(required = true, value_type = String, example = "七年级")]
    pub grade: Option<serde_json::Value>,
    /// A class of the case's school; the child's class is kept when left out.
    pub class_id: Option<i64>,
    #[serde(default)]
    #[schema(example = "每周二、四放学后补习数学一小时")]
    pub tutoring: String,
    #[serde(default)]
    #[schema(example = "结对教师每周谈心；申请寄宿生生活补助")]
    pub support: String,
    /// The teacher of the school who follows the child up (user id).
    #[schema(required = true, value_type = i64)]
    pub follow_up_by: Option<i64>,
}

/// 复学: closes an open case with its 一人一案 plan; the child is back on roll from `day`
/// and the follow-up teacher owes a follow-up within the month.
#[utoipa::path(
    post,
    path = "/dropout/cases/{id}/return",
    operation_id = "return_dropout_child",
    tag = "dropout",
    params(("id" = i64, Path, description = "Case id")),
    request_body = ReturnRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The closed case", body = CaseSummary),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Only head teachers, principals and the bureau", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Invalid fields, or the case is closed", body = ErrorBody),
    )
)]
pub async fn return_child(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReturnRequest>,
) -> AppResult<Json<CaseSummary>> {
    require_cases(&scope)?;
    let mut f = Fields::default();
    let day = date_or_today(&mut f, "day", body.day.as_deref());
    let grade_text = match &body.grade {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let grade = f.check(
        "grade",
        Grade::parse(&grade_text)
            .ok()
            .filter(|g| g.is_compulsory())
            .ok_or("dropout_case.grade_invalid"),
    );
    let follow_up_by = f.check(
        "follow_up_by",
        body.follow_up_by.ok_or("dropout.follow_up_by"),
    );
    let (Some(day), Some(grade), Some(follow_up_by)) = (day, grade, follow_up_by) else {
        return Err(f.into_error());
    };
    let input = ReturnInput {
        day,
        grade,
        class_id: body.class_id,
        tutoring: body.tutoring,
        support: body.support,
        follow_up_by,
    };
    let row = state
        .store
        .run(move |conn| {
            dropout::return_child(conn, &scope, id, &input, today_shanghai())?;
            Ok(case_rows(conn, &scope, &CaseFilter::default())?
                .into_iter()
                .find(|r| r.head.id == id))
        })
        .await?;
    row.map(|r| Json(r.into())).ok_or_else(AppError::not_found)
}

/// The 劝返通知书 of a case, filled from the county's template, as an A4 PDF. Opening the
/// child's file for the guardian's name is audit-logged.
#[utoipa::path(
    get,
    path = "/dropout/cases/{id}/notice.pdf",
    operation_id = "dropout_notice_pdf",
    tag = "dropout",
    params(("id" = i64, Path, description = "Case id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The notice", content_type = "application/pdf", body = Pdf),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Volunteers do not see cases", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
    )
)]
pub async fn notice(
    State(state): State<AppState>,
    ApiUser { scope, user }: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Response> {
    let pdf = notice_pdf(&state, scope, user.display_name, id).await?;
    Ok(pdf_response(pdf, "劝返通知书.pdf"))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDecision {
    /// `suspend` (休学), `resume` (恢复在读), `transfer_out` (转出), `home_teach` (送教上门) or
    /// `graduate` (毕业); 复学 goes through a case's return.
    #[schema(required = true, value_type = String, example = "suspend")]
    pub kind: Option<String>,
    /// Defaults to today; not after today.
    pub day: Option<String>,
    pub note: Option<String>,
}

/// The child's enrolment state now.
#[derive(Serialize, ToSchema)]
pub struct EnrolmentView {
    pub child_id: i64,
    /// An `enrolment_state` code: `enrolled`, `suspected`, `dropped_out`, `suspended`,
    /// `transferred_out`, `home_taught`, `graduated`.
    #[schema(example = "enrolled")]
    pub state: String,
    /// Since when (none for a child who was never anything but 在读).
    pub since: Option<String>,
    /// Unexcused school days in the streak running now.
    pub streak: u32,
}

/// Records a decision on a child's enrolment (principal or bureau) and answers the state
/// it leads to.
#[utoipa::path(
    post,
    path = "/children/{id}/enrolment-decisions",
    operation_id = "add_enrolment_decision",
    tag = "dropout",
    params(("id" = i64, Path, description = "Child id")),
    request_body = NewDecision,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Decided; the state now", body = EnrolmentView),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Only principals and the bureau decide", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Invalid fields, or not possible from the state now", body = ErrorBody),
    )
)]
pub async fn decide(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(child_id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewDecision>,
) -> AppResult<Response> {
    let mut f = Fields::default();
    let day = date_or_today(&mut f, "day", body.day.as_deref());
    let kind = f.check(
        "kind",
        body.kind
            .as_deref()
            .ok_or("error.required")
            .and_then(|k| DecisionKind::parse(k).map_err(|e| e.code()))
            .and_then(|k| {
                if k == DecisionKind::Return {
                    Err("dropout.transition")
                } else {
                    Ok(k)
                }
            }),
    );
    let (Some(day), Some(kind)) = (day, kind) else {
        return Err(f.into_error());
    };
    let input = DecisionInput {
        child_id,
        day,
        kind,
        note: body.note,
    };
    let view = state
        .store
        .run(move |conn| {
            dropout::decide(conn, &scope, &input, today_shanghai())?;
            dropout::enrolment_of(conn, &scope, child_id)
        })
        .await?;
    Ok(created(
        format!("/api/v1/children/{child_id}/enrolment"),
        enrolment_view(view),
    ))
}

fn enrolment_view(e: dropout::Enrolment) -> EnrolmentView {
    EnrolmentView {
        child_id: e.child_id,
        state: e.state.code().to_owned(),
        since: e.since.map(|d| d.to_string()),
        streak: e.streak,
    }
}

/// A child's enrolment state (在读, 疑似辍学, 辍学, 休学 …) and running streak.
#[utoipa::path(
    get,
    path = "/children/{id}/enrolment",
    operation_id = "show_enrolment",
    tag = "dropout",
    params(("id" = i64, Path, description = "Child id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The state now", body = EnrolmentView),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Absent or outside the caller's scope", body = ErrorBody),
    )
)]
pub async fn enrolment(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(child_id): ApiPath<i64>,
) -> AppResult<Json<EnrolmentView>> {
    let e = state
        .store
        .run(move |conn| dropout::enrolment_of(conn, &scope, child_id))
        .await?;
    Ok(Json(enrolment_view(e)))
}
