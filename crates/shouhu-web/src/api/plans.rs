//! `/api/v1/children/{id}/plans` and `/api/v1/plans/{id}`: help plans (帮扶计划) of key children,
//! one per term. Reading one is audit-logged; creation and changes take an `Idempotency-Key`;
//! changes carry the version they were based on; a signed plan is locked until the principal
//! reopens it with a reason.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use shouhu_domain::{HelpPlan, Measure as DomainMeasure, StageResult, TermKey, today_shanghai};
use shouhu_store::calendars;
use shouhu_store::help_plans::{self as repo, PlanChange, PlanRecord};
use utoipa::ToSchema;

use super::events::idempotency_key;
use super::{ApiJson, ApiPath, ErrorBody, Fields, created, instant};
use crate::auth::ApiUser;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct PlanRow {
    pub id: i64,
    pub child_id: i64,
    pub school_id: i64,
    /// `2026-2027-1` (autumn) or `2026-2027-2` (spring).
    #[schema(example = "2026-2027-1")]
    pub term: String,
    /// `draft`, `summarised` or `signed` (locked).
    #[schema(example = "draft")]
    pub status: String,
    pub author_name: String,
    pub signed_by: Option<String>,
    pub signed_at: Option<DateTime<Utc>>,
    /// Send it back with a PATCH, sign or reopen; a stale one answers 409.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<repo::PlanSummary> for PlanRow {
    fn from(s: repo::PlanSummary) -> Self {
        Self {
            id: s.id,
            child_id: s.child_id,
            school_id: s.school_id,
            term: s.term_key,
            status: s.status,
            author_name: s.author_name,
            signed_by: s.signed_by,
            signed_at: s.signed_at.map(instant),
            version: s.version,
            created_at: instant(s.created_at),
            updated_at: instant(s.updated_at),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Measure {
    #[schema(example = "每周谈心一次")]
    pub what: String,
    #[schema(example = "龙老师")]
    pub who: String,
    /// Due by (YYYY-MM-DD).
    #[schema(example = "2027-01-15")]
    pub by: String,
}

#[derive(Serialize, ToSchema)]
pub struct Stage {
    #[schema(example = "2026-11-01")]
    pub date: String,
    pub note: String,
    pub author: String,
}

#[derive(Serialize, ToSchema)]
pub struct Reopening {
    pub at: DateTime<Utc>,
    pub by: String,
    pub reason: String,
}

/// A plan opened: audit-logged.
#[derive(Serialize, ToSchema)]
pub struct Plan {
    #[serde(flatten)]
    pub row: PlanRow,
    pub child_name: String,
    pub class_name: Option<String>,
    pub school_name: String,
    pub goals: String,
    pub measures: Vec<Measure>,
    /// In date order.
    pub stage_results: Vec<Stage>,
    pub summary: Option<String>,
    pub reopenings: Vec<Reopening>,
}

impl From<PlanRecord> for Plan {
    fn from(r: PlanRecord) -> Self {
        Self {
            row: r.summary.into(),
            child_name: r.child_name,
            class_name: r.class_name,
            school_name: r.school_name,
            goals: r.plan.goals,
            measures: r
                .plan
                .measures
                .into_iter()
                .map(|m| Measure {
                    what: m.what,
                    who: m.who,
                    by: m.by.to_string(),
                })
                .collect(),
            stage_results: r
                .plan
                .stage_results
                .into_iter()
                .map(|s| Stage {
                    date: s.date.to_string(),
                    note: s.note,
                    author: s.author,
                })
                .collect(),
            summary: r.plan.summary,
            reopenings: r
                .reopenings
                .into_iter()
                .map(|o| Reopening {
                    at: instant(o.at),
                    by: o.by,
                    reason: o.reason,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ChildPlans {
    pub child_id: i64,
    /// Plans are written only for key children.
    pub key_child: bool,
    /// Newest term first.
    pub items: Vec<PlanRow>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPlan {
    /// `2026-2027-1`; defaults to the term of today (Asia/Shanghai).
    #[schema(example = "2026-2027-1")]
    pub term: Option<String>,
    #[schema(required = true, value_type = String, example = "提高数学成绩；改善与同学的关系")]
    pub goals: Option<String>,
    /// At least one.
    #[serde(default)]
    pub measures: Vec<Measure>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStage {
    /// Defaults to today; not after today.
    #[schema(example = "2026-11-01")]
    pub date: Option<String>,
    #[schema(example = "数学单元测验及格，愿意主动提问")]
    pub note: String,
}

/// Any of goals with measures, one stage result to add, and the summary (which makes a draft
/// `summarised`). Refused with 422 (`status`) once the plan is signed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanPatch {
    #[schema(required = true, value_type = i32)]
    pub version: Option<i32>,
    /// Replaces the goals; send `measures` with it or the current ones are kept.
    pub goals: Option<String>,
    /// Replaces the measures.
    pub measures: Option<Vec<Measure>>,
    pub stage_result: Option<NewStage>,
    pub summary: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignRequest {
    #[schema(required = true, value_type = i32)]
    pub version: Option<i32>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenRequest {
    #[schema(required = true, value_type = i32)]
    pub version: Option<i32>,
    /// Why; kept with the plan and in the audit log.
    #[serde(default)]
    #[schema(example = "总结中成绩数据有误")]
    pub reason: String,
}

fn measures(f: &mut Fields, list: &[Measure]) -> Option<Vec<DomainMeasure>> {
    let parsed: Result<Vec<DomainMeasure>, &'static str> = list
        .iter()
        .map(|m| {
            let by = NaiveDate::parse_from_str(&m.by, "%Y-%m-%d").ok();
            DomainMeasure::parse(&m.what, &m.who, by).map_err(|e| e.code())
        })
        .collect();
    f.check("measures", parsed)
}

fn version(v: Option<i32>) -> AppResult<i32> {
    v.ok_or_else(|| AppError::invalid_field("version", "error.required"))
}

/// A child's plans, newest term first; no plan is opened.
#[utoipa::path(
    get,
    path = "/children/{id}/plans",
    operation_id = "list_child_plans",
    tag = "plans",
    params(("id" = i64, Path, description = "Child id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The plans", body = ChildPlans),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "The child is absent or outside the caller's scope", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(child_id): ApiPath<i64>,
) -> AppResult<Json<ChildPlans>> {
    let (child, plans) = state
        .store
        .run(move |conn| repo::list_for_child(conn, &scope, child_id))
        .await?;
    Ok(Json(ChildPlans {
        child_id: child.id,
        key_child: child.key_child,
        items: plans.into_iter().map(PlanRow::from).collect(),
    }))
}

/// Writes a key child's plan for a term. With an `Idempotency-Key`, the same request again
/// answers the plan the first one wrote.
#[utoipa::path(
    post,
    path = "/children/{id}/plans",
    operation_id = "create_plan",
    tag = "plans",
    params(
        ("id" = i64, Path, description = "Child id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Up to 100 characters, unique per request"),
    ),
    request_body = NewPlan,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Written (or written earlier under the same key)", body = Plan),
        (status = 400, description = "Malformed JSON or `Idempotency-Key`", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The role may not write plans", body = ErrorBody),
        (status = 404, description = "The child is absent or outside the caller's scope", body = ErrorBody),
        (status = 409, description = "The term already has a plan (`duplicate`)", body = ErrorBody),
        (status = 422, description = "Invalid fields, or not a key child (`child_id`)", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiUser { user, scope }: ApiUser,
    headers: HeaderMap,
    ApiPath(child_id): ApiPath<i64>,
    ApiJson(body): ApiJson<NewPlan>,
) -> AppResult<Response> {
    let submit_key = idempotency_key(&headers, user.id)?;
    let mut f = Fields::default();
    let term = match body.term.as_deref() {
        None => None,
        Some(raw) => f.check("term", TermKey::parse(raw).map_err(|e| e.code())),
    };
    let default_term = body.term.is_none();
    let goals = f.check("goals", body.goals.ok_or("error.required"));
    let list = measures(&mut f, &body.measures);
    let plan = match (goals, list) {
        (Some(goals), Some(list)) => match HelpPlan::new(&goals, list) {
            Ok(plan) => Some(plan),
            Err(e) => f.check(e.field(), Err(e.code())),
        },
        _ => None,
    };
    let Some(plan) = plan else {
        return Err(f.into_error());
    };
    if term.is_none() && !default_term {
        return Err(f.into_error());
    }
    if !f.0.is_empty() {
        return Err(f.into_error());
    }
    let key = state.store.key();
    let record = state
        .store
        .run(move |conn| {
            // Without a term, the one a plan written today belongs to by the school's calendar.
            let term = match term {
                Some(term) => term,
                None => {
                    let (child, _) = repo::list_for_child(conn, &scope, child_id)?;
                    calendars::plan_term(conn, child.school_id, today_shanghai())?
                }
            };
            repo::create(
                conn,
                &scope,
                &key,
                child_id,
                term,
                &plan,
                submit_key.as_deref(),
            )
        })
        .await?;
    let location = format!("/api/v1/plans/{}", record.summary.id);
    Ok(created(location, Plan::from(record)))
}

/// One plan; every reading is audit-logged.
#[utoipa::path(
    get,
    path = "/plans/{id}",
    operation_id = "get_plan",
    tag = "plans",
    params(("id" = i64, Path, description = "Plan id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The plan", body = Plan),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Absent or its child outside the caller's scope", body = ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Plan>> {
    let key = state.store.key();
    let record = state
        .store
        .run(move |conn| repo::get(conn, &scope, &key, id))
        .await?;
    Ok(Json(record.into()))
}

/// Changes goals and measures, adds a stage result or writes the summary, if nobody changed
/// the plan since `version` and it is not signed.
#[utoipa::path(
    patch,
    path = "/plans/{id}",
    operation_id = "update_plan",
    tag = "plans",
    params(
        ("id" = i64, Path, description = "Plan id"),
        ("Idempotency-Key" = Option<String>, Header, description = "A retry with the same key changes nothing again"),
    ),
    request_body = PlanPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved; `version` went up by one", body = Plan),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The role may not write plans", body = ErrorBody),
        (status = 404, description = "Absent or its child outside the caller's scope", body = ErrorBody),
        (status = 409, description = "Stale `version` (`conflict`)", body = ErrorBody),
        (status = 422, description = "Invalid fields, or the plan is signed (`status`)", body = ErrorBody),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    ApiUser { user, scope }: ApiUser,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PlanPatch>,
) -> AppResult<Json<Plan>> {
    let submit_key = idempotency_key(&headers, user.id)?;
    let version = version(body.version)?;
    let mut f = Fields::default();
    let new_measures = body.measures.as_ref().and_then(|m| measures(&mut f, m));
    let stage = body.stage_result.as_ref().and_then(|s| {
        let date = match s.date.as_deref() {
            None => Ok(today_shanghai()),
            Some(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d"),
        };
        match date {
            Ok(date) => match StageResult::parse(date, &s.note, today_shanghai()) {
                Ok(stage) => Some(stage),
                Err(e) => f.check(e.field(), Err(e.code())),
            },
            Err(_) => f.check("stage_date", Err("plan.date_invalid")),
        }
    });
    if !f.0.is_empty() {
        return Err(f.into_error());
    }
    let key = state.store.key();
    let (goals, summary) = (body.goals, body.summary);
    let record = state
        .store
        .run(move |conn| {
            let content = match (goals, new_measures) {
                (None, None) => None,
                (goals, measures) => {
                    let current = repo::get(conn, &scope, &key, id)?.plan;
                    Some((
                        goals.unwrap_or(current.goals),
                        measures.unwrap_or(current.measures),
                    ))
                }
            };
            let change = PlanChange {
                content,
                stage,
                summary,
            };
            repo::update(
                conn,
                &scope,
                &key,
                id,
                version,
                &change,
                submit_key.as_deref(),
            )
        })
        .await?;
    Ok(Json(record.into()))
}

/// The principal's sign-off (or the bureau's): a summarised plan becomes `signed` and locked.
#[utoipa::path(
    post,
    path = "/plans/{id}/sign",
    operation_id = "sign_plan",
    tag = "plans",
    params(("id" = i64, Path, description = "Plan id")),
    request_body = SignRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Signed", body = Plan),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Only the school's principal or the bureau signs", body = ErrorBody),
        (status = 404, description = "Absent or its child outside the caller's scope", body = ErrorBody),
        (status = 409, description = "Stale `version`", body = ErrorBody),
        (status = 422, description = "Not summarised yet, or signed already (`status`)", body = ErrorBody),
    )
)]
pub async fn sign(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SignRequest>,
) -> AppResult<Json<Plan>> {
    let version = version(body.version)?;
    let key = state.store.key();
    let record = state
        .store
        .run(move |conn| repo::sign(conn, &scope, &key, id, version))
        .await?;
    Ok(Json(record.into()))
}

/// Takes a signed plan back to `summarised`, with a reason that is kept and audit-logged.
#[utoipa::path(
    post,
    path = "/plans/{id}/reopen",
    operation_id = "reopen_plan",
    tag = "plans",
    params(("id" = i64, Path, description = "Plan id")),
    request_body = ReopenRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Reopened", body = Plan),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Only the school's principal or the bureau reopens", body = ErrorBody),
        (status = 404, description = "Absent or its child outside the caller's scope", body = ErrorBody),
        (status = 409, description = "Stale `version`", body = ErrorBody),
        (status = 422, description = "No reason, or the plan is not signed", body = ErrorBody),
    )
)]
pub async fn reopen(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReopenRequest>,
) -> AppResult<Json<Plan>> {
    let version = version(body.version)?;
    let key = state.store.key();
    let record = state
        .store
        .run(move |conn| repo::reopen(conn, &scope, &key, id, version, &body.reason))
        .await?;
    Ok(Json(record.into()))
}
