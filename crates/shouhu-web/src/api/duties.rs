//! Duties over the API: the caller's tasks (`/tasks`), compliance for a node of the tree and a
//! period (`/compliance`), and the duty rules in force at a region with a county's edit
//! (`/duty-rules`). The figures and rules are the store's; this shapes them as JSON.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use shouhu_domain::{Compliance, DutyRule, RegionCode, RegionLevel, Role, today_shanghai};
use shouhu_store::duties::{self, RuleInForce, Task};
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::auth::ApiUser;
use crate::error::{AppError, AppResult};
use crate::pages::tasks::{
    ComplianceView, Rate, compliance_view, date_or, entry_link, month_start, rules_for_caller,
};
use crate::pages::tasks::{
    RuleEdit, cadence_code, parse_cadence, parse_caliber, parse_count, parse_responsible,
};
use crate::state::AppState;

/// One duty instance owed by the caller.
#[derive(Serialize, ToSchema)]
pub struct TaskJson {
    pub id: i64,
    #[schema(example = "talk")]
    pub rule_code: String,
    #[schema(example = "谈心")]
    pub rule_name: String,
    /// `child`, `class` or `school`.
    pub subject_kind: String,
    pub subject_id: i64,
    pub child_name: Option<String>,
    pub class_id: Option<i64>,
    #[schema(example = "2026-12")]
    pub period_key: String,
    #[schema(example = "2026-12-01")]
    pub window_start: String,
    #[schema(example = "2026-12-31")]
    pub due_date: String,
    pub required: i32,
    pub done_count: i32,
    /// `open`, `done`, `late`, `missed` or `waived`.
    pub status: String,
    /// The page that records what satisfies it, when there is one.
    #[schema(example = "/children/12/records/new?kind=talk&duty=34&return=/tasks")]
    pub entry: Option<String>,
}

/// The caller's duties by bucket, each ordered by subject then due date.
#[derive(Serialize, ToSchema)]
pub struct TasksJson {
    #[schema(value_type = String, example = "2026-12-02")]
    pub today: String,
    pub overdue: Vec<TaskJson>,
    pub today_due: Vec<TaskJson>,
    pub this_week: Vec<TaskJson>,
    pub later: Vec<TaskJson>,
    /// Done in the last seven days.
    pub done: Vec<TaskJson>,
}

fn task_json(task: Task, rules: &[DutyRule]) -> TaskJson {
    let rule = rules.iter().find(|r| r.code == task.rule_code);
    let entry = entry_link(&task, rule).map(|l| l.href);
    TaskJson {
        rule_name: rule.map_or_else(|| task.rule_code.clone(), |r| r.name.clone()),
        entry,
        id: task.id,
        rule_code: task.rule_code,
        subject_kind: task.subject_kind,
        subject_id: task.subject_id,
        child_name: task.child_name,
        class_id: task.class_id,
        period_key: task.period_key,
        window_start: task.window_start,
        due_date: task.due_date,
        required: task.required,
        done_count: task.done_count,
        status: task.status,
    }
}

/// The caller's own duties ("my tasks"): a head teacher's for their classes, a teacher's for the
/// children paired to them, a principal's for the school, a child director's for their village.
#[utoipa::path(
    get,
    path = "/tasks",
    operation_id = "my_tasks",
    tag = "duties",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's duties by bucket", body = TasksJson),
        (status = 401, description = "No valid token", body = ErrorBody),
    )
)]
pub async fn tasks(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
) -> AppResult<Json<TasksJson>> {
    let today = today_shanghai();
    let (list, rules) = state
        .store
        .run(move |conn| {
            let list = duties::tasks_for(conn, &scope, today)?;
            let rules = rules_for_caller(conn, &scope)?;
            Ok((list, rules))
        })
        .await?;
    let all = |v: Vec<Task>| v.into_iter().map(|t| task_json(t, &rules)).collect();
    Ok(Json(TasksJson {
        today: today.to_string(),
        overdue: all(list.overdue),
        today_due: all(list.today),
        this_week: all(list.this_week),
        later: all(list.later),
        done: all(list.done),
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplianceQuery {
    /// A region's code (12 digits); give this or `school`.
    #[param(example = "520502000000")]
    pub region: Option<String>,
    pub school: Option<i64>,
    /// First due date counted; the first of this month (Asia/Shanghai) when absent.
    #[param(example = "2026-12-01")]
    pub from: Option<String>,
    /// Last due date counted; today when absent.
    #[param(example = "2026-12-31")]
    pub to: Option<String>,
}

/// Duties by outcome.
#[derive(Serialize, ToSchema)]
pub struct CountsJson {
    pub open: u64,
    pub done: u64,
    pub late: u64,
    pub missed: u64,
    pub waived: u64,
    /// done + late + missed: the rate's denominator.
    pub due: u64,
}

/// Done on time ÷ due.
#[derive(Serialize, ToSchema)]
pub struct RateJson {
    pub numerator: u64,
    pub denominator: u64,
    /// Rounded down; absent when nothing was due.
    pub permille: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct ComplianceLine {
    /// A rule code, a region code or a school id (as text).
    pub key: String,
    pub name: String,
    pub counts: CountsJson,
    pub rate: RateJson,
}

#[derive(Serialize, ToSchema)]
pub struct ComplianceJson {
    /// `region` or `school`.
    pub node_kind: String,
    /// The region code or the school id, as text.
    pub node: String,
    pub name: String,
    #[schema(value_type = String)]
    pub from: String,
    #[schema(value_type = String)]
    pub to: String,
    pub total: ComplianceLine,
    pub by_rule: Vec<ComplianceLine>,
    /// By the next region level down, or by school under a township; empty for a school.
    pub parts: Vec<ComplianceLine>,
    /// `regions`, `schools` or `none`.
    pub parts_are: String,
    /// For a county: its schools side by side (the parts are its townships).
    pub schools: Vec<ComplianceLine>,
}

fn counts(c: &Compliance) -> CountsJson {
    CountsJson {
        open: c.open,
        done: c.done,
        late: c.late,
        missed: c.missed,
        waived: c.waived,
        due: c.due(),
    }
}

fn rate(r: Rate) -> RateJson {
    RateJson {
        numerator: r.numerator,
        denominator: r.denominator,
        permille: r.permille,
    }
}

fn line(l: crate::pages::tasks::Line) -> ComplianceLine {
    ComplianceLine {
        counts: counts(&l.counts),
        rate: rate(l.rate),
        key: l.key,
        name: l.name,
    }
}

impl From<ComplianceView> for ComplianceJson {
    fn from(v: ComplianceView) -> Self {
        let parts_are = match (v.parts.is_empty(), v.parts_are_schools) {
            (true, _) => "none",
            (false, true) => "schools",
            (false, false) => "regions",
        };
        Self {
            node_kind: v.node_field.to_owned(),
            node: v.node_value,
            name: v.node_name,
            from: v.from.to_string(),
            to: v.to.to_string(),
            total: line(v.total),
            by_rule: v.by_rule.into_iter().map(line).collect(),
            parts: v.parts.into_iter().map(line).collect(),
            parts_are: parts_are.to_owned(),
            schools: v.schools.into_iter().map(line).collect(),
        }
    }
}

/// Compliance of a region or a school for a period: duties whose due date lies in it, by
/// outcome, in total, per rule and per part of the node. Rates are done on time ÷ due.
#[utoipa::path(
    get,
    path = "/compliance",
    operation_id = "compliance",
    tag = "duties",
    params(ComplianceQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The figures", body = ComplianceJson),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "The node is absent or outside the caller's reach", body = ErrorBody),
        (status = 422, description = "Both `region` and `school`, a bad region code, or bad dates", body = ErrorBody),
    )
)]
pub async fn compliance(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiQuery(q): ApiQuery<ComplianceQuery>,
) -> AppResult<Json<ComplianceJson>> {
    let today = today_shanghai();
    let from = date_or("from", q.from.as_deref(), month_start(today))?;
    let to = date_or("to", q.to.as_deref(), today)?;
    if from > to {
        return Err(AppError::invalid_field("to", "duty.bad_period"));
    }
    let region = q.region.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let node = match (region, q.school) {
        (Some(_), Some(_)) => return Err(AppError::invalid_field("region", "api.compliance_node")),
        (None, Some(id)) => duties::Node::School(id),
        (Some(raw), None) => duties::Node::Region(
            RegionCode::parse(raw).map_err(|e| AppError::invalid_field("region", e.code()))?,
        ),
        (None, None) => match (scope.school, &scope.region) {
            (Some(id), _) => duties::Node::School(id),
            (None, Some(code)) => duties::Node::Region(code.clone()),
            (None, None) => return Err(AppError::invalid_field("region", "error.required")),
        },
    };
    let view = state
        .store
        .run(move |conn| compliance_view(conn, &scope, &node, from, to))
        .await?;
    Ok(Json(view.into()))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionQuery {
    /// The region whose rules in force are wanted (for a change: a county).
    #[param(example = "520502000000")]
    pub region: String,
}

#[derive(Serialize, ToSchema)]
pub struct CadenceJson {
    /// `school_day`, `week`, `month`, `term`, `year` or `days`.
    #[schema(example = "month")]
    pub every: String,
    /// The block length for `days`.
    pub days: Option<u16>,
}

/// A rule in force.
#[derive(Serialize, ToSchema)]
pub struct RuleJson {
    #[schema(example = "talk")]
    pub code: String,
    #[schema(example = "谈心")]
    pub name: String,
    /// `child`, `class` or `school`.
    pub subject: String,
    pub cadence: CadenceJson,
    /// Records needed per period.
    pub count: u16,
    /// Which children it applies to: `left_behind` (a caliber), `ratings`, `tags_any`,
    /// `schooling`, `key_child`.
    #[schema(value_type = Object)]
    pub applies_to: serde_json::Value,
    /// A role code.
    #[schema(example = "head_teacher")]
    pub responsible: String,
    /// Record kinds that satisfy it.
    pub satisfied_by: Vec<String>,
    pub pauses_on_holiday: bool,
    pub enabled: bool,
    /// `default` (national) or `county` (the county's own).
    pub source: String,
    pub region_code: Option<String>,
    /// Send it back with a PUT (for the county's own rule); a stale one answers 409.
    pub version: i32,
}

impl From<RuleInForce> for RuleJson {
    fn from(r: RuleInForce) -> Self {
        let rule = r.rule;
        Self {
            cadence: CadenceJson {
                every: cadence_code(rule.cadence).to_owned(),
                days: match rule.cadence {
                    shouhu_domain::Cadence::Days { days } => Some(days),
                    _ => None,
                },
            },
            applies_to: serde_json::to_value(&rule.applies_to).unwrap_or_default(),
            subject: rule.subject.code().to_owned(),
            responsible: rule.responsible.code().to_owned(),
            code: rule.code,
            name: rule.name,
            count: rule.count,
            satisfied_by: rule.satisfied_by,
            pauses_on_holiday: rule.pauses_on_holiday,
            enabled: r.enabled,
            source: if r.region_code.is_some() {
                "county"
            } else {
                "default"
            }
            .to_owned(),
            region_code: r.region_code,
            version: r.version,
        }
    }
}

/// The rules in force at a region: for each duty, the county's own where it has one, else the
/// national default.
#[utoipa::path(
    get,
    path = "/duty-rules",
    operation_id = "list_duty_rules",
    tag = "duties",
    params(RegionQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The rules in force", body = [RuleJson]),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "The region is outside the caller's reach", body = ErrorBody),
        (status = 422, description = "A bad region code", body = ErrorBody),
    )
)]
pub async fn list_rules(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiQuery(q): ApiQuery<RegionQuery>,
) -> AppResult<Json<Vec<RuleJson>>> {
    let region = RegionCode::parse(q.region.trim())
        .map_err(|e| AppError::invalid_field("region", e.code()))?;
    let rules = state
        .store
        .run(move |conn| duties::rules_at(conn, &scope, &region))
        .await?;
    Ok(Json(rules.into_iter().map(RuleJson::from).collect()))
}

/// A county's change to a rule; absent fields keep their value in force.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulePut {
    /// The `version` read, when the county already has its own rule; leave it out to replace
    /// the default.
    pub version: Option<i32>,
    /// `school_day`, `week`, `month`, `term`, `year` or `days`.
    pub cadence: Option<String>,
    /// Block length for `days` (1–366).
    pub days: Option<u16>,
    /// Records per period (1–31).
    pub count: Option<u16>,
    pub enabled: Option<bool>,
    pub pauses_on_holiday: Option<bool>,
    /// `head_teacher`, `teacher`, `principal` or `child_director`.
    pub responsible: Option<String>,
    /// `mca`, `xueji`, `census`, or `any` for every child.
    pub caliber: Option<String>,
}

/// Saves a county's own version of a rule (bureau staff of the county or above, system
/// administrators) and regenerates the county's future duties; current and past ones keep their
/// status.
#[utoipa::path(
    put,
    path = "/duty-rules/{code}",
    operation_id = "put_duty_rule",
    tag = "duties",
    params(("code" = String, Path, description = "The rule's code, e.g. `talk`"), RegionQuery),
    request_body = RulePut,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved; `version` went up", body = RuleJson),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The caller's role may not change rules", body = ErrorBody),
        (status = 404, description = "No such rule, or the region is outside the caller's reach", body = ErrorBody),
        (status = 409, description = "Stale `version` (`conflict`, with both versions in `details`)", body = ErrorBody),
        (status = 422, description = "Invalid fields, all listed, or a region that is not a county", body = ErrorBody),
    )
)]
pub async fn put_rule(
    State(state): State<AppState>,
    ApiUser { scope, .. }: ApiUser,
    ApiPath(code): ApiPath<String>,
    ApiQuery(q): ApiQuery<RegionQuery>,
    ApiJson(body): ApiJson<RulePut>,
) -> AppResult<Json<RuleJson>> {
    if !matches!(scope.role, Role::Bureau | Role::SystemAdmin) {
        return Err(AppError::forbidden("denied.duty_rule.save"));
    }
    let county = RegionCode::parse(q.region.trim())
        .map_err(|e| AppError::invalid_field("region", e.code()))?;
    if county.level() != RegionLevel::County {
        return Err(AppError::invalid_field("region", "duty_rule.not_county"));
    }
    let read_scope = scope.clone();
    let read_county = county.clone();
    let current = state
        .store
        .run(move |conn| duties::rules_at(conn, &read_scope, &read_county))
        .await?
        .into_iter()
        .find(|r| r.rule.code == code)
        .ok_or_else(AppError::not_found)?;
    let rule = &current.rule;
    let mut errors = std::collections::BTreeMap::new();
    let cadence = match body.cadence.as_deref() {
        Some(c) => note(&mut errors, "cadence", parse_cadence(c, body.days)),
        None => Some(rule.cadence),
    };
    let count = match body.count {
        Some(n) => note(&mut errors, "count", parse_count(Some(n))),
        None => Some(rule.count),
    };
    let responsible = match body.responsible.as_deref() {
        Some(r) => note(&mut errors, "responsible", parse_responsible(r)),
        None => Some(rule.responsible),
    };
    let caliber = match body.caliber.as_deref() {
        Some(c) => note(&mut errors, "caliber", parse_caliber(c)),
        None => Some(rule.applies_to.left_behind),
    };
    let (Some(cadence), Some(count), Some(responsible), Some(caliber)) =
        (cadence, count, responsible, caliber)
    else {
        return Err(AppError::invalid(errors));
    };
    let edit = RuleEdit {
        cadence,
        count,
        enabled: body.enabled.unwrap_or(current.enabled),
        pauses_on_holiday: body.pauses_on_holiday.unwrap_or(rule.pauses_on_holiday),
        responsible,
        caliber,
    };
    let new_rule = edit.apply(rule);
    let version = body.version;
    let saved = state
        .store
        .run(move |conn| {
            duties::save_rule(
                conn,
                &scope,
                &county,
                &new_rule,
                edit.enabled,
                version,
                today_shanghai(),
            )
        })
        .await?;
    Ok(Json(saved.into()))
}

/// The parsed value, or `None` with its error noted under `field`, so every bad field is named.
fn note<T>(
    errors: &mut std::collections::BTreeMap<String, String>,
    field: &str,
    parsed: Result<T, &'static str>,
) -> Option<T> {
    parsed
        .map_err(|key| {
            errors.insert(field.to_owned(), key.to_owned());
        })
        .ok()
}
