//! The county's dropout API: its settings (`/regions/{code}/dropout-settings`), 送教上门
//! totals (`/dropout/teaching`) and the hand-over (移交) of cases between counties
//! (`/dropout/cases/{id}/handovers`, `/dropout/handovers`).

use std::collections::BTreeMap;

use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shouhu_domain::{NOTICE_FIELDS, RegionCode, RegionLevel, Role};
use shouhu_store::dropout::handover::{self, Handover};
use shouhu_store::dropout::teaching::{TeachingTotals, teaching_totals};
use shouhu_store::dropout::{Settings, save_settings, settings_for};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::api::{ApiJson, ApiPath, ApiQuery, ErrorBody, instant};
use crate::auth::ApiUser;
use crate::error::{AppError, AppResult};
use crate::pages::dropout::county::settings::{own_version, parse_settings};
use crate::pages::dropout::county::teaching::{TeachingQuery, node_and_year};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/regions/{code}/dropout-settings",
            get(show_settings).put(put_settings),
        )
        .route("/dropout/teaching", get(teaching))
        .route("/dropout/cases/{id}/handovers", post(request))
        .route("/dropout/handovers", get(list))
        .route("/dropout/handovers/{id}/accept", post(accept))
        .route("/dropout/handovers/{id}/decline", post(decline))
}

/// This part's paths, relative to `/api/v1`.
#[derive(OpenApi)]
#[openapi(paths(show_settings, put_settings, teaching, request, list, accept, decline))]
pub struct Doc;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LadderStepItem {
    /// Day of the case (1 = the day it opened).
    #[schema(example = 2)]
    pub day: u32,
    /// `phone`, `home_visit`, `joint_visit`, `notice`, `township`, `county`, `legal`.
    #[schema(example = "home_visit")]
    pub method: String,
    /// The role responsible (`head_teacher`, `principal`, `civil_affairs`, `bureau` …).
    #[schema(example = "head_teacher")]
    pub role: String,
}

/// The settings in force for a county.
#[derive(Serialize, ToSchema)]
pub struct DropoutSettings {
    #[schema(example = "520502000000")]
    pub region_code: String,
    /// The region whose row decides (this county or one above it); `null` for the defaults.
    pub source_region: Option<String>,
    #[schema(example = 5)]
    pub streak_days: u32,
    #[schema(example = 30)]
    pub lapse_days: u32,
    pub ladder: Vec<LadderStepItem>,
    pub notice_template: String,
    /// The blanks the template may use, written `{姓名}`.
    pub notice_fields: Vec<String>,
    /// 送教上门 periods per child and term; `null` for none.
    pub teaching_target: Option<i32>,
    /// Send it back with a PUT (0 while the county has no settings of its own).
    pub version: i32,
}

fn settings_body(county: &RegionCode, s: &Settings) -> DropoutSettings {
    DropoutSettings {
        region_code: county.as_str().to_owned(),
        source_region: s.region_code.clone(),
        streak_days: s.rule.streak_days,
        lapse_days: s.rule.lapse_days,
        ladder: s
            .ladder
            .steps()
            .iter()
            .map(|st| LadderStepItem {
                day: st.day,
                method: st.method.code().to_owned(),
                role: st.role.code().to_owned(),
            })
            .collect(),
        notice_template: s.notice_text.clone(),
        notice_fields: NOTICE_FIELDS.iter().map(|f| (*f).to_owned()).collect(),
        teaching_target: s.teaching_target,
        version: own_version(s, county),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPut {
    #[schema(example = 5)]
    pub streak_days: u32,
    #[schema(example = 30)]
    pub lapse_days: u32,
    /// At least one step, days increasing.
    pub ladder: Vec<LadderStepItem>,
    /// The 劝返通知书 template; omitted or `null` for the default text.
    pub notice_template: Option<String>,
    pub teaching_target: Option<i32>,
    /// The version read (0 when the county had none of its own).
    pub version: i32,
}

fn county(raw: &str) -> AppResult<RegionCode> {
    let code = RegionCode::parse(raw).map_err(|_| AppError::not_found())?;
    if code.level() != RegionLevel::County {
        return Err(AppError::invalid_field(
            "region_code",
            "dcounty.pick_county",
        ));
    }
    Ok(code)
}

/// The settings in force for a county (its own, a region's above it, or the defaults).
#[utoipa::path(
    get,
    path = "/regions/{code}/dropout-settings",
    operation_id = "get_dropout_settings",
    tag = "dropout",
    params(("code" = String, Path, description = "12-digit county code")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The settings", body = DropoutSettings),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "Not a county in the caller's reach", body = ErrorBody),
        (status = 422, description = "Not a county code", body = ErrorBody),
    )
)]
pub async fn show_settings(
    axum::extract::State(state): axum::extract::State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(code): ApiPath<String>,
) -> AppResult<Json<DropoutSettings>> {
    let county = county(&code)?;
    // Those above the county, and those working inside it, read what is in force there.
    let inside = scope.region.as_ref().is_some_and(|r| county.contains(r));
    if !scope.covers_region(&county) && !inside {
        return Err(AppError::not_found());
    }
    let c = county.clone();
    let settings = state.store.run(move |conn| settings_for(conn, &c)).await?;
    Ok(Json(settings_body(&county, &settings)))
}

/// Replaces a county's settings (bureau or administrator over it). A stale `version`
/// answers 409; the new streak and lapse decide every replay from then on.
#[utoipa::path(
    put,
    path = "/regions/{code}/dropout-settings",
    operation_id = "put_dropout_settings",
    tag = "dropout",
    params(("code" = String, Path, description = "12-digit county code")),
    request_body = SettingsPut,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved; the settings now in force", body = DropoutSettings),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not a bureau or administrator over the county", body = ErrorBody),
        (status = 409, description = "Someone saved since `version`", body = ErrorBody),
        (status = 422, description = "Invalid fields (`streak_days`, `lapse_days`, `steps`, `notice`, `teaching_target`)", body = ErrorBody),
    )
)]
pub async fn put_settings(
    axum::extract::State(state): axum::extract::State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(code): ApiPath<String>,
    ApiJson(body): ApiJson<SettingsPut>,
) -> AppResult<Json<DropoutSettings>> {
    let county = county(&code)?;
    if !matches!(scope.role, Role::Bureau | Role::SystemAdmin) {
        return Err(AppError::forbidden("denied.dropout.settings"));
    }
    let steps: Vec<(String, String, String)> = body
        .ladder
        .iter()
        .map(|s| (s.day.to_string(), s.method.clone(), s.role.clone()))
        .collect();
    let target = body
        .teaching_target
        .map(|t| t.to_string())
        .unwrap_or_default();
    let default_text = shouhu_domain::default_notice_template();
    let notice = body
        .notice_template
        .as_deref()
        .unwrap_or(default_text.as_str());
    let parsed = parse_settings(
        &body.streak_days.to_string(),
        &body.lapse_days.to_string(),
        &steps,
        notice,
        &target,
    )
    .map_err(|p| {
        AppError::invalid(
            p.0.into_iter()
                .map(|(f, k)| (f.to_owned(), k.to_owned()))
                .collect::<BTreeMap<_, _>>(),
        )
    })?;
    let c = county.clone();
    let version = body.version;
    let saved = state
        .store
        .run(move |conn| {
            save_settings(
                conn,
                &scope,
                &c,
                parsed.rule,
                &parsed.ladder,
                parsed.notice.as_ref(),
                parsed.teaching_target,
                version,
            )
        })
        .await?;
    Ok(Json(settings_body(&county, &saved)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TeachingParams {
    /// A region in reach (default: the caller's own).
    pub region: Option<String>,
    /// A school id instead of a region.
    pub school: Option<String>,
    /// School year, `2026-2027` (default: the current one).
    pub year: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TermCount {
    /// 1 (autumn) or 2 (spring).
    pub term: u8,
    /// Visits (records).
    pub sessions: i64,
    /// Periods (课时) taught.
    pub periods: i64,
    pub target: Option<i32>,
    pub met: bool,
}

#[derive(Serialize, ToSchema)]
pub struct TeachingLine {
    pub child_id: i64,
    pub name: String,
    pub school: String,
    /// Taught at home by the child's file or a decision.
    pub home_taught: bool,
    pub terms: Vec<TermCount>,
    /// The school year.
    pub sessions: i64,
    pub periods: i64,
    /// Twice the per-term target.
    pub target: Option<i32>,
    pub met: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Teaching {
    #[schema(example = "2026-2027")]
    pub year: String,
    pub items: Vec<TeachingLine>,
}

fn teaching_body(t: TeachingTotals) -> Teaching {
    Teaching {
        year: t.year,
        items: t
            .rows
            .into_iter()
            .map(|r| TeachingLine {
                child_id: r.child_id,
                name: r.name,
                school: r.school,
                home_taught: r.home_taught,
                terms: r
                    .terms
                    .into_iter()
                    .map(|t| TermCount {
                        term: t.number,
                        sessions: t.sessions,
                        periods: t.periods,
                        target: t.target,
                        met: t.met,
                    })
                    .collect(),
                sessions: r.sessions,
                periods: r.periods,
                target: r.target,
                met: r.met,
            })
            .collect(),
    }
}

/// 送教上门 periods by child, per term and for the school year, against the target. Audited.
#[utoipa::path(
    get,
    path = "/dropout/teaching",
    operation_id = "dropout_teaching",
    tag = "dropout",
    params(TeachingParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The totals", body = Teaching),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Volunteers may not", body = ErrorBody),
        (status = 404, description = "Region or school outside the caller's reach", body = ErrorBody),
        (status = 422, description = "Bad `region`, `school` or `year`", body = ErrorBody),
    )
)]
pub async fn teaching(
    axum::extract::State(state): axum::extract::State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiQuery(q): ApiQuery<TeachingParams>,
) -> AppResult<Json<Teaching>> {
    let query = TeachingQuery {
        region: q.region,
        school: q.school,
        year: q.year,
    };
    let (node, year) = node_and_year(&scope, &query)?;
    let totals = state
        .store
        .run(move |conn| teaching_totals(conn, &scope, &node, year))
        .await?;
    Ok(Json(teaching_body(totals)))
}

#[derive(Serialize, ToSchema)]
pub struct HandoverItem {
    pub id: i64,
    pub case_id: i64,
    pub child_id: i64,
    pub child_name: String,
    pub school_name: String,
    #[schema(example = "520502000000")]
    pub from_region: String,
    pub from_name: String,
    #[schema(example = "520521000000")]
    pub to_region: String,
    pub to_name: String,
    pub note: Option<String>,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub answered_by: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    /// `null` while pending.
    pub accepted: Option<bool>,
}

impl From<Handover> for HandoverItem {
    fn from(h: Handover) -> Self {
        Self {
            id: h.id,
            case_id: h.case_id,
            child_id: h.child_id,
            child_name: h.child_name,
            school_name: h.school_name,
            from_region: h.from_region,
            from_name: h.from_name,
            to_region: h.to_region,
            to_name: h.to_name,
            note: h.note,
            requested_by: h.requested_by,
            requested_at: instant(h.requested_at),
            answered_by: h.answered_by,
            answered_at: h.answered_at.map(instant),
            accepted: h.accepted,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Handovers {
    /// Waiting for the caller's county to answer, oldest first.
    pub pending: Vec<HandoverItem>,
    /// Sent from the caller's side, newest first.
    pub outgoing: Vec<HandoverItem>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoverRequest {
    /// The receiving county (usually the child's hukou county), 12 digits.
    #[schema(example = "520521000000")]
    pub to_region: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct HandoverAnswer {
    #[serde(default)]
    pub note: String,
}

/// Asks another county to take an open case over. Refused (422 `case`) while a request is
/// pending; the same request again by the same person answers the first.
#[utoipa::path(
    post,
    path = "/dropout/cases/{id}/handovers",
    operation_id = "request_handover",
    tag = "dropout",
    params(("id" = i64, Path, description = "Case id")),
    request_body = HandoverRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Requested", body = HandoverItem),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not the case's owner side", body = ErrorBody),
        (status = 404, description = "No such case in reach", body = ErrorBody),
        (status = 422, description = "Bad county (`to_region`), pending request or closed case (`case`)", body = ErrorBody),
    )
)]
pub async fn request(
    axum::extract::State(state): axum::extract::State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<HandoverRequest>,
) -> AppResult<axum::response::Response> {
    let to = RegionCode::parse(body.to_region.trim())
        .map_err(|_| AppError::invalid_field("to_region", "dropout.handover_county"))?;
    let h = state
        .store
        .run(move |conn| handover::request_handover(conn, &scope, id, &to, &body.note))
        .await?;
    Ok(crate::api::created(
        "/api/v1/dropout/handovers".to_owned(),
        HandoverItem::from(h),
    ))
}

/// Requests waiting for the caller's answer and those the caller's side sent. Audited.
#[utoipa::path(
    get,
    path = "/dropout/handovers",
    operation_id = "list_handovers",
    tag = "dropout",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The requests", body = Handovers),
        (status = 401, description = "No valid token", body = ErrorBody),
    )
)]
pub async fn list(
    axum::extract::State(state): axum::extract::State<AppState>,
    ApiUser { scope, .. }: ApiUser,
) -> AppResult<Json<Handovers>> {
    let (pending, outgoing) = state
        .store
        .run(move |conn| {
            Ok((
                handover::pending_for(conn, &scope)?,
                handover::outgoing_for(conn, &scope)?,
            ))
        })
        .await?;
    Ok(Json(Handovers {
        pending: pending.into_iter().map(Into::into).collect(),
        outgoing: outgoing.into_iter().map(Into::into).collect(),
    }))
}

/// The optional body of an answer: none, or `{"note": "..."}`.
fn answer_note(body: &[u8]) -> AppResult<String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(String::new());
    }
    serde_json::from_slice::<HandoverAnswer>(body)
        .map(|a| a.note)
        .map_err(|_| AppError::bad_request("api.bad_json"))
}

async fn answer(
    state: AppState,
    scope: shouhu_store::Scope,
    id: i64,
    accept: bool,
    note: String,
) -> AppResult<Json<HandoverItem>> {
    let h = state
        .store
        .run(move |conn| handover::answer_handover(conn, &scope, id, accept, &note))
        .await?;
    Ok(Json(h.into()))
}

/// Accepts a request: the case's owner becomes the receiving county.
#[utoipa::path(
    post,
    path = "/dropout/handovers/{id}/accept",
    operation_id = "accept_handover",
    tag = "dropout",
    params(("id" = i64, Path, description = "Hand-over id")),
    request_body = HandoverAnswer,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Accepted", body = HandoverItem),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not a bureau or administrator", body = ErrorBody),
        (status = 404, description = "Not addressed to the caller's county", body = ErrorBody),
        (status = 422, description = "Already answered (`handover`)", body = ErrorBody),
    )
)]
pub async fn accept(
    axum::extract::State(state): axum::extract::State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> AppResult<Json<HandoverItem>> {
    answer(state, scope, id, true, answer_note(&body)?).await
}

/// Declines a request: the case stays with its county.
#[utoipa::path(
    post,
    path = "/dropout/handovers/{id}/decline",
    operation_id = "decline_handover",
    tag = "dropout",
    params(("id" = i64, Path, description = "Hand-over id")),
    request_body = HandoverAnswer,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Declined", body = HandoverItem),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not a bureau or administrator", body = ErrorBody),
        (status = 404, description = "Not addressed to the caller's county", body = ErrorBody),
        (status = 422, description = "Already answered (`handover`)", body = ErrorBody),
    )
)]
pub async fn decline(
    axum::extract::State(state): axum::extract::State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> AppResult<Json<HandoverItem>> {
    answer(state, scope, id, false, answer_note(&body)?).await
}
