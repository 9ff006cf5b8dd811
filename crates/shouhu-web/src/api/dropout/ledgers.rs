//! `/api/v1/dropout/ledger`, `/dropout/panel`, `/dropout/reports` and
//! `/schools/{id}/dropout-reports/{month}`: the dropout ledgers (台账) as JSON and xlsx, a
//! node's figures, and the monthly reports (一月一报告) with their submission and signature.
//! Ledgers are audited on every build; full phones and addresses need `sensitive=true`, a
//! role that may reveal them, and a `purpose`.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shouhu_domain::{RegionCode, ReportMonth, today_shanghai};
use shouhu_store::dropout::ledgers::{self as store, LedgerKind, LedgerQuery};
use shouhu_store::dropout::panels::{self, Panel};
use shouhu_store::dropout::reports::{self, ReportRow};
use shouhu_store::duties::Node;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::api::{ApiJson, ApiPath, ApiQuery, ErrorBody, instant};
use crate::auth::ApiUser;
use crate::error::{AppError, AppResult};
use crate::pages::dropout::ledgers::xlsx_response;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dropout/ledger", get(ledger))
        .route("/dropout/ledger.xlsx", get(ledger_xlsx))
        .route("/dropout/panel", get(panel))
        .route("/dropout/reports", get(list_reports))
        .route("/schools/{id}/dropout-reports/{month}", post(submit))
        .route("/schools/{id}/dropout-reports/{month}/sign", post(sign))
}

/// This part's paths, relative to `/api/v1`.
#[derive(OpenApi)]
#[openapi(paths(ledger, ledger_xlsx, panel, list_reports, submit, sign))]
pub struct Doc;

/// Where to look: a school, else a region, else the caller's own node.
#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct NodeParams {
    /// 12-digit region code.
    #[param(example = "520502101000")]
    pub region: Option<String>,
    /// School id.
    pub school: Option<i64>,
}

impl NodeParams {
    fn node(&self) -> AppResult<Option<Node>> {
        if let Some(id) = self.school {
            return Ok(Some(Node::School(id)));
        }
        match self.region.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(code) => RegionCode::parse(code)
                .map(|r| Some(Node::Region(r)))
                .map_err(|e| AppError::invalid_field("region", e.code())),
        }
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct LedgerParams {
    /// `suspected` (疑似辍学台账, the default) or `dropped_out` (辍学台账).
    #[param(example = "suspected")]
    pub kind: Option<String>,
    #[param(example = "520502101000")]
    pub region: Option<String>,
    pub school: Option<i64>,
    /// Full phones and addresses; needs a role that may reveal them and a `purpose`.
    pub sensitive: Option<bool>,
    /// Why the full values are needed; kept in the audit log.
    pub purpose: Option<String>,
}

impl LedgerParams {
    fn parts(&self) -> AppResult<(LedgerKind, Option<Node>, bool, String)> {
        let kind = match self.kind.as_deref().map(str::trim) {
            None | Some("") => LedgerKind::Suspected,
            Some(k) => LedgerKind::parse(k)
                .ok_or_else(|| AppError::invalid_field("kind", "enrolment_state.unknown"))?,
        };
        let node = NodeParams {
            region: self.region.clone(),
            school: self.school,
        }
        .node()?;
        Ok((
            kind,
            node,
            self.sensitive.unwrap_or(false),
            self.purpose.clone().unwrap_or_default(),
        ))
    }
}

#[derive(Serialize, ToSchema)]
pub struct LedgerAttempt {
    #[schema(example = "2026-11-20")]
    pub date: String,
    #[schema(example = "家访")]
    pub method: String,
    pub people: String,
    pub met: String,
    #[schema(example = "同意返校")]
    pub outcome: String,
}

/// One child on a ledger; phones and address masked unless asked for with a purpose.
#[derive(Serialize, ToSchema)]
pub struct LedgerRow {
    pub child_id: i64,
    pub case_id: i64,
    pub name: String,
    pub sex: String,
    pub birth_date: String,
    pub school_id: i64,
    pub school: String,
    pub grade: String,
    pub class: String,
    pub father: String,
    pub mother: String,
    pub guardian: String,
    pub address: String,
    pub phone: String,
    /// The day the state began.
    pub since: String,
    pub opened_on: String,
    pub reason: String,
    pub attempts: Vec<LedgerAttempt>,
    #[schema(example = "疑似辍学")]
    pub state: String,
    /// The responsible county.
    pub owner: String,
}

#[derive(Serialize, ToSchema)]
pub struct Ledger {
    #[schema(example = "suspected")]
    pub kind: String,
    pub node_name: String,
    pub sensitive: bool,
    pub rows: Vec<LedgerRow>,
}

impl From<store::Ledger> for Ledger {
    fn from(l: store::Ledger) -> Self {
        Self {
            kind: l.kind.code().to_owned(),
            node_name: l.node_name,
            sensitive: l.sensitive,
            rows: l
                .rows
                .into_iter()
                .map(|r| LedgerRow {
                    child_id: r.child_id,
                    case_id: r.case_id,
                    name: r.name,
                    sex: r.sex,
                    birth_date: r.birth_date,
                    school_id: r.school_id,
                    school: r.school,
                    grade: r.grade,
                    class: r.class,
                    father: r.father,
                    mother: r.mother,
                    guardian: r.guardian,
                    address: r.address,
                    phone: r.phone,
                    since: r.since,
                    opened_on: r.opened_on,
                    reason: r.reason,
                    attempts: r
                        .attempts
                        .into_iter()
                        .map(|a| LedgerAttempt {
                            date: a.date,
                            method: a.method,
                            people: a.people,
                            met: a.met,
                            outcome: a.outcome,
                        })
                        .collect(),
                    state: r.state,
                    owner: r.owner,
                })
                .collect(),
        }
    }
}

/// A rate with what it divides.
#[derive(Serialize, ToSchema)]
pub struct Rate {
    pub numerator: i64,
    pub denominator: i64,
    /// Two decimals, or `—` when the denominator is 0.
    #[schema(example = "0.25%")]
    pub percent: String,
}

/// A node's dropout figures.
#[derive(Serialize, ToSchema)]
pub struct DropoutPanel {
    pub node_name: String,
    #[schema(example = "2026-12-02")]
    pub as_of: String,
    pub suspected: i64,
    pub dropped_out: i64,
    /// The first day of the current term.
    pub term_from: String,
    /// Cases closed by 复学 this term.
    pub returned_this_term: i64,
    /// Cases closed by 自行返校 this term.
    pub self_returned_this_term: i64,
    #[schema(example = "2026-2027")]
    pub school_year: String,
    /// Children on roll whose files were created before 1 September (an approximation).
    pub enrolment_at_year_start: i64,
    /// Children who became 辍学 on a day of the school year (transitions not rolled back).
    pub dropouts_this_year: i64,
    /// 辍学率 = dropouts_this_year ÷ enrolment_at_year_start.
    pub rate: Rate,
}

impl From<Panel> for DropoutPanel {
    fn from(p: Panel) -> Self {
        Self {
            node_name: p.node_name,
            as_of: p.as_of,
            suspected: p.suspected,
            dropped_out: p.dropped_out,
            term_from: p.term_from,
            returned_this_term: p.returned_this_term,
            self_returned_this_term: p.self_returned_this_term,
            school_year: p.school_year,
            enrolment_at_year_start: p.enrolment_at_year_start,
            dropouts_this_year: p.dropouts_this_year,
            rate: Rate {
                numerator: p.rate.numerator,
                denominator: p.rate.denominator,
                percent: p.rate.percent,
            },
        }
    }
}

/// A school's monthly report.
#[derive(Serialize, ToSchema)]
pub struct DropoutReport {
    pub school_id: i64,
    pub school: String,
    #[schema(example = "2026-11")]
    pub month: String,
    pub submitted_by: String,
    pub submitted_at: DateTime<Utc>,
    /// Signed reports are locked.
    pub signed: bool,
    pub signed_by: Option<String>,
    pub signed_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    /// The school's figures when it submitted.
    pub figures: Option<DropoutPanel>,
}

impl From<ReportRow> for DropoutReport {
    fn from(r: ReportRow) -> Self {
        Self {
            school_id: r.school_id,
            school: r.school,
            month: r.month,
            submitted_by: r.submitted_by,
            submitted_at: instant(r.submitted_at),
            signed: r.signed,
            signed_by: r.signed_by,
            signed_at: r.signed_at.map(instant),
            note: r.note,
            figures: r.figures.map(DropoutPanel::from),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SchoolRef {
    pub id: i64,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReportList {
    #[schema(example = "2026-11")]
    pub month: String,
    pub reports: Vec<DropoutReport>,
    /// Schools under the node (kindergartens aside) without a report of the month.
    pub missing: Vec<SchoolRef>,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(default)]
pub struct ReportParams {
    /// `YYYY-MM`; defaults to this month.
    #[param(example = "2026-11")]
    pub month: Option<String>,
    #[param(example = "520502000000")]
    pub region: Option<String>,
    pub school: Option<i64>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SubmitReport {
    /// Up to 1000 characters.
    pub note: Option<String>,
}

fn month_of(raw: &str) -> AppResult<ReportMonth> {
    ReportMonth::parse(raw).map_err(|e| AppError::invalid_field("month", e.code()))
}

/// A ledger as JSON rows; every call is audited.
#[utoipa::path(
    get,
    path = "/dropout/ledger",
    operation_id = "dropout_ledger",
    tag = "dropout",
    params(LedgerParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The ledger", body = Ledger),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Volunteers, or full values for a role that may not reveal them", body = ErrorBody),
        (status = 404, description = "The node is outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Bad kind or region, or full values without a purpose", body = ErrorBody),
    )
)]
pub async fn ledger(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiQuery(params): ApiQuery<LedgerParams>,
) -> AppResult<Json<Ledger>> {
    let (kind, node, sensitive, purpose) = params.parts()?;
    let key = state.store.key();
    let query = LedgerQuery {
        kind,
        node,
        sensitive,
        purpose,
        export: None,
    };
    let ledger = state
        .store
        .run(move |conn| store::ledger_rows(conn, &scope, &key, &query))
        .await?;
    Ok(Json(ledger.into()))
}

/// The ledger as the county's xlsx (title, 填报日期, one row per child); audited as an export.
#[utoipa::path(
    get,
    path = "/dropout/ledger.xlsx",
    operation_id = "dropout_ledger_xlsx",
    tag = "dropout",
    params(LedgerParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Volunteers, or full values for a role that may not reveal them", body = ErrorBody),
        (status = 404, description = "The node is outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Bad kind or region, or full values without a purpose", body = ErrorBody),
    )
)]
pub async fn ledger_xlsx(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiQuery(params): ApiQuery<LedgerParams>,
) -> AppResult<Response> {
    let (kind, node, sensitive, purpose) = params.parts()?;
    Ok(xlsx_response(&state, scope, kind, node, sensitive, purpose).await?)
}

/// A node's figures: suspected and dropped out now, returns this term, the school year's rate.
#[utoipa::path(
    get,
    path = "/dropout/panel",
    operation_id = "dropout_panel",
    tag = "dropout",
    params(NodeParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The figures", body = DropoutPanel),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Volunteers", body = ErrorBody),
        (status = 404, description = "The node is outside the caller's scope", body = ErrorBody),
    )
)]
pub async fn panel(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiQuery(params): ApiQuery<NodeParams>,
) -> AppResult<Json<DropoutPanel>> {
    let node = params.node()?;
    let panel = state
        .store
        .run(move |conn| panels::panel(conn, &scope, node.as_ref(), today_shanghai()))
        .await?;
    Ok(Json(panel.into()))
}

/// The month's reports under the node, and the schools that have not reported.
#[utoipa::path(
    get,
    path = "/dropout/reports",
    operation_id = "dropout_reports",
    tag = "dropout",
    params(ReportParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Reports and missing schools", body = ReportList),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Volunteers", body = ErrorBody),
        (status = 404, description = "The node is outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Bad month", body = ErrorBody),
    )
)]
pub async fn list_reports(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> AppResult<Json<ReportList>> {
    let month = match params.month.as_deref().map(str::trim) {
        None | Some("") => ReportMonth::of(today_shanghai()),
        Some(raw) => month_of(raw)?,
    };
    let node = NodeParams {
        region: params.region.clone(),
        school: params.school,
    }
    .node()?;
    let (list, missing) = state
        .store
        .run(move |conn| {
            let list = reports::reports_for(conn, &scope, node.as_ref(), month)?;
            let missing = reports::missing_reports(conn, &scope, node.as_ref(), month)?;
            Ok((list, missing))
        })
        .await?;
    Ok(Json(ReportList {
        month: month.to_string(),
        reports: list.into_iter().map(DropoutReport::from).collect(),
        missing: missing
            .into_iter()
            .map(|s| SchoolRef {
                id: s.id,
                name: s.name,
            })
            .collect(),
    }))
}

/// The principal submits the month's figures (computed now); again before signing replaces
/// them, after signing answers 422 `dropout.report_locked`.
#[utoipa::path(
    post,
    path = "/schools/{id}/dropout-reports/{month}",
    operation_id = "submit_dropout_report",
    tag = "dropout",
    params(
        ("id" = i64, Path, description = "School id"),
        ("month" = String, Path, description = "`YYYY-MM`", example = "2026-11"),
    ),
    request_body = SubmitReport,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Submitted", body = DropoutReport),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not the school's principal", body = ErrorBody),
        (status = 404, description = "The school is outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Bad month, a future month, or signed already (`dropout.report_locked`)", body = ErrorBody),
    )
)]
pub async fn submit(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath((school_id, month)): ApiPath<(i64, String)>,
    ApiJson(body): ApiJson<SubmitReport>,
) -> AppResult<Json<DropoutReport>> {
    let month = month_of(&month)?;
    let note = body.note.unwrap_or_default();
    let row = state
        .store
        .run(move |conn| {
            reports::submit_report(conn, &scope, school_id, month, &note, today_shanghai())
        })
        .await?;
    Ok(Json(row.into()))
}

/// The principal signs the submitted report, which locks it; signing again changes nothing.
#[utoipa::path(
    post,
    path = "/schools/{id}/dropout-reports/{month}/sign",
    operation_id = "sign_dropout_report",
    tag = "dropout",
    params(
        ("id" = i64, Path, description = "School id"),
        ("month" = String, Path, description = "`YYYY-MM`", example = "2026-11"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Signed", body = DropoutReport),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not the school's principal", body = ErrorBody),
        (status = 404, description = "The school is outside the caller's scope", body = ErrorBody),
        (status = 422, description = "Bad month, or nothing submitted (`dropout.report_missing`)", body = ErrorBody),
    )
)]
pub async fn sign(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath((school_id, month)): ApiPath<(i64, String)>,
) -> AppResult<Json<DropoutReport>> {
    let month = month_of(&month)?;
    let row = state
        .store
        .run(move |conn| reports::sign_report(conn, &scope, school_id, month))
        .await?;
    Ok(Json(row.into()))
}
