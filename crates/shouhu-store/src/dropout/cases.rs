//! Persuasion (劝返) cases: opened by 疑似辍学, kept in step with the replayed state, worked
//! through attempts on the county's ladder, and closed by the child's return (自行返校, or 复学
//! with a 一人一案 plan) or voided by a correction. A case always has an owning county.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{
    AttemptOutcome, CaseClosure, Cause, DecisionKind, EnrolmentState, Grade, LeaveReason,
    RegionCode, ReturnMethod, Role,
};

use super::county_of;
use super::ladder_duties::{self, CaseAt};
use super::recompute::{Episode, recompute, stored_enrolment};
use super::settings::SettingsBook;
use crate::schema::{
    children, dropout_cases, enrolment_decisions, enrolment_events, return_attempts, return_plans,
    schools, users,
};
use crate::{Conn, Scope, StoreError, StoreResult, audit, clock};

/// A case as lists show it.
#[derive(Clone, Debug, Serialize, Queryable, Selectable)]
#[diesel(table_name = dropout_cases)]
pub struct CaseHead {
    pub id: i64,
    pub child_id: i64,
    pub school_id: i64,
    pub school_region: String,
    pub owner_region: String,
    pub opened_on: String,
    pub state: String,
    pub closed_on: Option<String>,
    pub closure: Option<String>,
    pub leave_reason: Option<String>,
    pub reason_note: Option<String>,
    pub version: i32,
}

/// One 劝返 attempt.
#[derive(Clone, Debug, Serialize, Queryable, Selectable)]
#[diesel(table_name = return_attempts)]
pub struct Attempt {
    pub id: i64,
    pub case_id: i64,
    pub day: String,
    pub method: String,
    pub people: String,
    pub met: String,
    pub outcome: String,
    pub note: Option<String>,
    pub recorded_at: i64,
}

/// A transition in a child's history, rolled back ones included.
#[derive(Clone, Debug, Serialize, Queryable, Selectable)]
#[diesel(table_name = enrolment_events)]
pub struct StateEvent {
    pub id: i64,
    pub day: String,
    pub from_state: String,
    pub to_state: String,
    pub cause: String,
    pub detail: String,
    pub actor: String,
    pub recorded_at: i64,
    pub rolled_back_at: Option<i64>,
    pub rollback_reason: Option<String>,
}

#[derive(Clone, Debug, Serialize, Queryable, Selectable)]
#[diesel(table_name = return_plans)]
pub struct ReturnPlanView {
    pub grade: i32,
    pub class_id: Option<i64>,
    pub tutoring: String,
    pub support: String,
    pub follow_up_by: i64,
    pub created_at: i64,
}

/// A case with everything its page shows.
#[derive(Clone, Debug, Serialize)]
pub struct CaseDetail {
    pub case: CaseHead,
    pub child_name: String,
    pub school_name: String,
    pub attempts: Vec<Attempt>,
    pub events: Vec<StateEvent>,
    pub plan: Option<ReturnPlanView>,
    /// The ladder's next unmet step: method code, role code, due date.
    pub next_step: Option<(String, String, NaiveDate)>,
}

#[derive(Clone, Debug, Default)]
pub struct CaseFilter {
    /// Only open cases (true), only closed (false), or all.
    pub open: Option<bool>,
    /// Cases in this state (`suspected`, `dropped_out`).
    pub state: Option<EnrolmentState>,
    pub school_id: Option<i64>,
    /// Only cases in this subtree (by school, or by owning county for handed-over ones).
    pub region: Option<RegionCode>,
    pub limit: Option<i64>,
}

pub struct AttemptInput {
    pub day: NaiveDate,
    pub method: ReturnMethod,
    /// Who went (names, roles).
    pub people: String,
    /// Whom they met (祖母, 父亲 …).
    pub met: String,
    pub outcome: AttemptOutcome,
    pub reason: Option<LeaveReason>,
    pub note: Option<String>,
    /// Makes a resubmitted form a no-op.
    pub submit_key: Option<String>,
}

pub struct ReturnInput {
    pub day: NaiveDate,
    pub grade: Grade,
    pub class_id: Option<i64>,
    pub tutoring: String,
    pub support: String,
    pub follow_up_by: i64,
}

pub struct DecisionInput {
    pub child_id: i64,
    pub day: NaiveDate,
    pub kind: DecisionKind,
    pub note: Option<String>,
}

/// Checked free text: trimmed, `max` characters at most, no control characters.
pub(crate) fn text(
    field: &'static str,
    value: &str,
    required: bool,
    max: usize,
) -> StoreResult<Option<String>> {
    let v = value.trim();
    if v.is_empty() {
        return if required {
            Err(StoreError::invalid(field, "dropout.required"))
        } else {
            Ok(None)
        };
    }
    if v.chars().count() > max {
        return Err(StoreError::invalid(field, "dropout.too_long"));
    }
    if v.chars().any(|c| c.is_control() && c != '\n') {
        return Err(StoreError::invalid(field, "dropout.character"));
    }
    Ok(Some(v.to_owned()))
}

fn may_work_cases(role: Role) -> bool {
    !matches!(role, Role::Volunteer)
}

fn visible(scope: &Scope, case: &CaseHead, class_id: Option<i64>) -> bool {
    let at_school = RegionCode::parse(&case.school_region)
        .is_ok_and(|r| scope.covers_school(case.school_id, &r))
        && (scope.school.is_none() || class_id.is_none_or(|c| scope.covers_class(c)));
    let owner = scope.school.is_none()
        && RegionCode::parse(&case.owner_region).is_ok_and(|r| scope.covers_region(&r));
    at_school || owner
}

fn load(conn: &mut Conn, scope: &Scope, id: i64) -> StoreResult<(CaseHead, Option<i64>)> {
    let case: CaseHead = dropout_cases::table
        .find(id)
        .select(CaseHead::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let class_id: Option<i64> = children::table
        .find(case.child_id)
        .select(children::class_id)
        .first(conn)?;
    if !visible(scope, &case, class_id) {
        return Err(StoreError::NotFound);
    }
    Ok((case, class_id))
}

/// Cases in the caller's reach, newest first.
pub fn list_cases(
    conn: &mut Conn,
    scope: &Scope,
    filter: &CaseFilter,
) -> StoreResult<Vec<CaseHead>> {
    let (low, high) = match &filter.region {
        Some(r) if scope.covers_region(r) => r.subtree_bounds(),
        Some(_) => return Ok(Vec::new()),
        None => scope.region_bounds(),
    };
    let mut query = dropout_cases::table
        .filter(
            dropout_cases::school_region
                .between(low.clone(), high.clone())
                .or(dropout_cases::owner_region.between(low, high)),
        )
        .select(CaseHead::as_select())
        .order((dropout_cases::opened_on.desc(), dropout_cases::id.desc()))
        .into_boxed();
    if let Some(school) = scope.school.or(filter.school_id) {
        query = query.filter(dropout_cases::school_id.eq(school));
    }
    match filter.open {
        Some(true) => query = query.filter(dropout_cases::closed_on.is_null()),
        Some(false) => query = query.filter(dropout_cases::closed_on.is_not_null()),
        None => {}
    }
    if let Some(state) = filter.state {
        query = query.filter(dropout_cases::state.eq(state.code()));
    }
    let rows = query.limit(filter.limit.unwrap_or(500)).load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for case in rows {
        let class_id: Option<i64> = children::table
            .find(case.child_id)
            .select(children::class_id)
            .first(conn)?;
        if visible(scope, &case, class_id) {
            out.push(case);
        }
    }
    Ok(out)
}

/// A case with its child, attempts, history, plan and next ladder step; the view is audited.
pub fn case_detail(conn: &mut Conn, scope: &Scope, id: i64) -> StoreResult<CaseDetail> {
    let (case, _) = load(conn, scope, id)?;
    let child_name: String = children::table
        .find(case.child_id)
        .select(children::name)
        .first(conn)?;
    let school_name: String = schools::table
        .find(case.school_id)
        .select(schools::name)
        .first(conn)?;
    let attempts = return_attempts::table
        .filter(return_attempts::case_id.eq(id))
        .order((return_attempts::day, return_attempts::id))
        .select(Attempt::as_select())
        .load(conn)?;
    let events = enrolment_events::table
        .filter(enrolment_events::child_id.eq(case.child_id))
        .order((enrolment_events::day, enrolment_events::id))
        .select(StateEvent::as_select())
        .load(conn)?;
    let plan = return_plans::table
        .find(id)
        .select(ReturnPlanView::as_select())
        .first(conn)
        .optional()?;
    let next_step = if case.closed_on.is_none() {
        let settings = SettingsBook::load(conn)?.at(&case.school_region);
        let methods: Vec<ReturnMethod> = attempts
            .iter()
            .filter_map(|a| ReturnMethod::parse(&a.method).ok())
            .collect();
        case.opened_on.parse().ok().and_then(|opened| {
            settings.ladder.next_due(opened, &methods).map(|s| {
                (
                    s.step.method.code().to_owned(),
                    s.step.role.code().to_owned(),
                    s.due,
                )
            })
        })
    } else {
        None
    };
    let region = RegionCode::parse(&case.school_region).ok();
    audit::record(
        conn,
        scope,
        "dropout.case_view",
        &id.to_string(),
        "",
        region.as_ref(),
    )?;
    Ok(CaseDetail {
        case,
        child_name,
        school_name,
        attempts,
        events,
        plan,
        next_step,
    })
}

/// Records one 劝返 attempt on an open case; a resubmitted form (same key) changes nothing.
pub fn record_attempt(
    conn: &mut Conn,
    scope: &Scope,
    case_id: i64,
    input: &AttemptInput,
    today: NaiveDate,
) -> StoreResult<Attempt> {
    scope.require(may_work_cases(scope.role), "dropout.attempt")?;
    let people = text("people", &input.people, true, 100)?.unwrap_or_default();
    let met = text("met", &input.met, true, 100)?.unwrap_or_default();
    let note = text("note", input.note.as_deref().unwrap_or(""), false, 1000)?;
    crate::transaction(conn, |conn| {
        let (case, _) = load(conn, scope, case_id)?;
        if let Some(key) = &input.submit_key {
            let done = return_attempts::table
                .filter(return_attempts::submit_key.eq(key))
                .filter(return_attempts::case_id.eq(case_id))
                .select(Attempt::as_select())
                .first(conn)
                .optional()?;
            if let Some(done) = done {
                return Ok(done);
            }
        }
        if case.closed_on.is_some() {
            return Err(StoreError::invalid("case", "dropout.case_closed"));
        }
        let opened: NaiveDate = case.opened_on.parse().unwrap_or(today);
        if input.day > today {
            return Err(StoreError::invalid("day", "dropout.future_date"));
        }
        if input.day < opened {
            return Err(StoreError::invalid("day", "dropout.before_case"));
        }
        let Some(user) = scope.actor.id() else {
            return Err(StoreError::Forbidden("dropout.attempt"));
        };
        let id: i64 = diesel::insert_into(return_attempts::table)
            .values((
                return_attempts::case_id.eq(case_id),
                return_attempts::child_id.eq(case.child_id),
                return_attempts::day.eq(input.day.to_string()),
                return_attempts::method.eq(input.method.code()),
                return_attempts::people.eq(&people),
                return_attempts::met.eq(&met),
                return_attempts::outcome.eq(input.outcome.code()),
                return_attempts::note.eq(&note),
                return_attempts::recorded_by.eq(user),
                return_attempts::recorded_at.eq(clock::now_ms()),
                return_attempts::submit_key.eq(&input.submit_key),
            ))
            .returning(return_attempts::id)
            .get_result(conn)?;
        if let Some(reason) = input.reason {
            diesel::update(dropout_cases::table.find(case_id))
                .set(dropout_cases::leave_reason.eq(reason.code()))
                .execute(conn)?;
        }
        bump(conn, case_id)?;
        ladder_duties::refresh(conn, case.child_id, opened, today)?;
        let region = RegionCode::parse(&case.school_region).ok();
        audit::record(
            conn,
            scope,
            "dropout.attempt",
            &case_id.to_string(),
            &format!(
                "{} {} {}",
                input.day,
                input.method.label_zh(),
                input.outcome.label_zh()
            ),
            region.as_ref(),
        )?;
        Ok(return_attempts::table
            .find(id)
            .select(Attempt::as_select())
            .first(conn)?)
    })
}

fn bump(conn: &mut Conn, case_id: i64) -> StoreResult<()> {
    diesel::update(dropout_cases::table.find(case_id))
        .set((
            dropout_cases::version.eq(dropout_cases::version + 1),
            dropout_cases::updated_at.eq(clock::now_ms()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sets the reason the child left (a fixed choice plus text); `version` is the one read.
pub fn set_reason(
    conn: &mut Conn,
    scope: &Scope,
    case_id: i64,
    reason: LeaveReason,
    note: &str,
    version: i32,
) -> StoreResult<CaseHead> {
    scope.require(may_work_cases(scope.role), "dropout.attempt")?;
    let note = text("reason_note", note, reason == LeaveReason::Other, 200)?;
    crate::transaction(conn, |conn| {
        let (case, _) = load(conn, scope, case_id)?;
        if case.version != version {
            return Err(StoreError::Conflict {
                expected: version,
                current: case.version,
            });
        }
        diesel::update(dropout_cases::table.find(case_id))
            .set((
                dropout_cases::leave_reason.eq(reason.code()),
                dropout_cases::reason_note.eq(&note),
            ))
            .execute(conn)?;
        bump(conn, case_id)?;
        let region = RegionCode::parse(&case.school_region).ok();
        audit::record(
            conn,
            scope,
            "dropout.reason",
            &case_id.to_string(),
            reason.label_zh(),
            region.as_ref(),
        )?;
        Ok(load(conn, scope, case_id)?.0)
    })
}

/// 复学: closes an open case with its 一人一案 plan, the child back to 在读 from `input.day`,
/// and a follow-up duty for the month after.
pub fn return_child(
    conn: &mut Conn,
    scope: &Scope,
    case_id: i64,
    input: &ReturnInput,
    today: NaiveDate,
) -> StoreResult<CaseHead> {
    scope.require(
        matches!(
            scope.role,
            Role::SystemAdmin | Role::Bureau | Role::Principal | Role::HeadTeacher
        ),
        "dropout.return",
    )?;
    let tutoring = text("tutoring", &input.tutoring, true, 1000)?.unwrap_or_default();
    let support = text("support", &input.support, true, 1000)?.unwrap_or_default();
    crate::transaction(conn, |conn| {
        let (case, _) = load(conn, scope, case_id)?;
        if case.closed_on.is_some() {
            return Err(StoreError::invalid("case", "dropout.case_closed"));
        }
        let opened: NaiveDate = case.opened_on.parse().unwrap_or(today);
        if input.day > today {
            return Err(StoreError::invalid("day", "dropout.future_date"));
        }
        if input.day < opened {
            return Err(StoreError::invalid("day", "dropout.before_case"));
        }
        let follower: Option<i64> = users::table
            .find(input.follow_up_by)
            .filter(users::school_id.eq(case.school_id))
            .select(users::id)
            .first(conn)
            .optional()?;
        if follower.is_none() {
            return Err(StoreError::invalid("follow_up_by", "dropout.follow_up_by"));
        }
        if let Some(class) = input.class_id {
            let ok = crate::schema::classes::table
                .find(class)
                .filter(crate::schema::classes::school_id.eq(case.school_id))
                .select(crate::schema::classes::id)
                .first::<i64>(conn)
                .optional()?
                .is_some();
            if !ok {
                return Err(StoreError::invalid("class_id", "dropout.class"));
            }
        }
        let Some(user) = scope.actor.id() else {
            return Err(StoreError::Forbidden("dropout.return"));
        };
        let now = clock::now_ms();
        diesel::insert_into(enrolment_decisions::table)
            .values((
                enrolment_decisions::child_id.eq(case.child_id),
                enrolment_decisions::day.eq(input.day.to_string()),
                enrolment_decisions::kind.eq(DecisionKind::Return.code()),
                enrolment_decisions::decided_by.eq(user),
                enrolment_decisions::recorded_at.eq(now),
            ))
            .execute(conn)?;
        diesel::insert_into(return_plans::table)
            .values((
                return_plans::case_id.eq(case_id),
                return_plans::child_id.eq(case.child_id),
                return_plans::grade.eq(i32::from(input.grade.number())),
                return_plans::class_id.eq(input.class_id),
                return_plans::tutoring.eq(&tutoring),
                return_plans::support.eq(&support),
                return_plans::follow_up_by.eq(input.follow_up_by),
                return_plans::created_by.eq(user),
                return_plans::created_at.eq(now),
            ))
            .execute(conn)?;
        if let Some(class) = input.class_id {
            diesel::update(children::table.find(case.child_id))
                .set(children::class_id.eq(class))
                .execute(conn)?;
        }
        recompute(conn, scope, &[case.child_id], today, "复学")?;
        let region = RegionCode::parse(&case.school_region).ok();
        audit::record(
            conn,
            scope,
            "dropout.return",
            &case_id.to_string(),
            &format!("{} 复学", input.day),
            region.as_ref(),
        )?;
        Ok(load(conn, scope, case_id)?.0)
    })
}

/// Records a decision (休学, 转出, 送教上门 …) about a child in reach and re-derives the state.
pub fn decide(
    conn: &mut Conn,
    scope: &Scope,
    input: &DecisionInput,
    today: NaiveDate,
) -> StoreResult<EnrolmentState> {
    scope.require(
        matches!(
            scope.role,
            Role::SystemAdmin | Role::Bureau | Role::Principal
        ),
        "dropout.decide",
    )?;
    let note = text("note", input.note.as_deref().unwrap_or(""), false, 200)?;
    if input.day > today {
        return Err(StoreError::invalid("day", "dropout.future_date"));
    }
    crate::transaction(conn, |conn| {
        // Reaching the file through the children module keeps its scope rules in one place.
        let child = crate::children::summary_of(conn, scope, input.child_id)?;
        let now_state = stored_enrolment(conn, child.id)?.state;
        if input.kind == DecisionKind::Return || input.kind.apply(now_state).is_none() {
            return Err(StoreError::invalid("kind", "dropout.transition"));
        }
        let Some(user) = scope.actor.id() else {
            return Err(StoreError::Forbidden("dropout.decide"));
        };
        diesel::insert_into(enrolment_decisions::table)
            .values((
                enrolment_decisions::child_id.eq(child.id),
                enrolment_decisions::day.eq(input.day.to_string()),
                enrolment_decisions::kind.eq(input.kind.code()),
                enrolment_decisions::note.eq(&note),
                enrolment_decisions::decided_by.eq(user),
                enrolment_decisions::recorded_at.eq(clock::now_ms()),
            ))
            .execute(conn)?;
        recompute(conn, scope, &[child.id], today, input.kind.label_zh())?;
        Ok(stored_enrolment(conn, child.id)?.state)
    })
}

/// Makes the child's case agree with a fresh replay: opens (or reopens) one for the latest
/// suspicion, follows its state, and closes it the way the suspicion ended.
#[allow(clippy::too_many_arguments)] // the child's placement, passed down from the replay
pub(crate) fn sync(
    conn: &mut Conn,
    scope: &Scope,
    child_id: i64,
    school_id: i64,
    school_region: &str,
    class_id: Option<i64>,
    state: EnrolmentState,
    episode: &Episode,
    today: NaiveDate,
) -> StoreResult<()> {
    let cases: Vec<CaseHead> = dropout_cases::table
        .filter(dropout_cases::child_id.eq(child_id))
        .order(dropout_cases::id.desc())
        .select(CaseHead::as_select())
        .load(conn)?;
    let at = |case_id| CaseAt {
        case_id,
        child_id,
        class_id,
        school_id,
        school_region,
    };
    let region = RegionCode::parse(school_region).ok();
    let now = clock::now_ms();
    let open = cases.iter().find(|c| c.closed_on.is_none());
    let opened = episode.opened;

    // A case whose suspicion no longer exists, or an older one the latest replaced, is voided.
    if let Some(case) = open
        && opened.is_none_or(|o| case.opened_on != o.to_string())
    {
        close(conn, scope, case.id, CaseClosure::Voided, today)?;
        ladder_duties::close_steps(conn, case.id, None)?;
    }
    let Some(opened) = opened else {
        return Ok(());
    };
    let opened_s = opened.to_string();
    let settings = SettingsBook::load(conn)?.at(school_region);
    let case_id = match cases.iter().find(|c| c.opened_on == opened_s) {
        Some(case) => {
            if case.closed_on.is_some() && episode.ended.is_none() {
                // A correction undid the return: the same case is open again.
                diesel::update(dropout_cases::table.find(case.id))
                    .set((
                        dropout_cases::closed_on.eq(None::<String>),
                        dropout_cases::closure.eq(None::<String>),
                        dropout_cases::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                audit::record(
                    conn,
                    scope,
                    "dropout.case_reopen",
                    &case.id.to_string(),
                    "更正后重新立案",
                    region.as_ref(),
                )?;
                ladder_duties::open_steps(conn, &at(case.id), &settings.ladder, opened, today)?;
            }
            case.id
        }
        None => {
            let id: i64 = diesel::insert_into(dropout_cases::table)
                .values((
                    dropout_cases::child_id.eq(child_id),
                    dropout_cases::school_id.eq(school_id),
                    dropout_cases::school_region.eq(school_region),
                    dropout_cases::owner_region.eq(county_of(school_region)),
                    dropout_cases::opened_on.eq(&opened_s),
                    dropout_cases::state.eq(EnrolmentState::Suspected.code()),
                    dropout_cases::updated_at.eq(now),
                ))
                .returning(dropout_cases::id)
                .get_result(conn)?;
            audit::record(
                conn,
                scope,
                "dropout.case_open",
                &id.to_string(),
                &format!("{opened_s} 疑似辍学立案"),
                region.as_ref(),
            )?;
            ladder_duties::open_steps(conn, &at(id), &settings.ladder, opened, today)?;
            id
        }
    };
    let case_state = if state.has_open_case() {
        state
    } else {
        EnrolmentState::Suspected
    };
    if state.has_open_case() {
        diesel::update(dropout_cases::table.find(case_id))
            .filter(dropout_cases::state.ne(case_state.code()))
            .set((
                dropout_cases::state.eq(case_state.code()),
                dropout_cases::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    if let Some(end) = episode.ended {
        let still_open = dropout_cases::table
            .find(case_id)
            .select(dropout_cases::closed_on)
            .first::<Option<String>>(conn)?
            .is_none();
        if still_open {
            let closure = match end.cause {
                Cause::PresentAgain => CaseClosure::SelfReturn,
                Cause::Decision(DecisionKind::Return) => CaseClosure::Returned,
                _ => CaseClosure::Other,
            };
            close(conn, scope, case_id, closure, end.date)?;
            ladder_duties::close_steps(conn, case_id, Some(end.date))?;
            // Steps that fell due before the return and were never met are missed.
            ladder_duties::refresh(conn, child_id, opened, today)?;
            if matches!(closure, CaseClosure::SelfReturn | CaseClosure::Returned) {
                ladder_duties::follow_up(conn, &at(case_id), end.date, today)?;
            }
        }
    }
    Ok(())
}

fn close(
    conn: &mut Conn,
    scope: &Scope,
    case_id: i64,
    closure: CaseClosure,
    on: NaiveDate,
) -> StoreResult<()> {
    diesel::update(dropout_cases::table.find(case_id))
        .set((
            dropout_cases::closed_on.eq(on.to_string()),
            dropout_cases::closure.eq(closure.code()),
            dropout_cases::version.eq(dropout_cases::version + 1),
            dropout_cases::updated_at.eq(clock::now_ms()),
        ))
        .execute(conn)?;
    let region: Option<String> = dropout_cases::table
        .find(case_id)
        .select(dropout_cases::school_region)
        .first(conn)
        .optional()?;
    let region = region.and_then(|r| RegionCode::parse(&r).ok());
    audit::record(
        conn,
        scope,
        "dropout.case_close",
        &case_id.to_string(),
        &format!("{on} {}", closure.label_zh()),
        region.as_ref(),
    )
}

/// Where an open case stands on its ladder, for lists.
#[derive(Clone, Debug, Serialize)]
pub struct Progress {
    pub attempts: usize,
    /// The next unmet step's method, responsible role and due date.
    pub next_step: Option<(ReturnMethod, Role, NaiveDate)>,
    pub overdue: bool,
}

/// The progress of `cases` (heads the caller already holds): attempts counted and the next
/// ladder step worked out in two queries, whatever the number of cases.
pub fn progress_of(
    conn: &mut Conn,
    cases: &[CaseHead],
    today: NaiveDate,
) -> StoreResult<std::collections::HashMap<i64, Progress>> {
    let ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
    let mut methods: std::collections::HashMap<i64, Vec<ReturnMethod>> =
        std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String)> = return_attempts::table
            .filter(return_attempts::case_id.eq_any(chunk))
            .select((return_attempts::case_id, return_attempts::method))
            .load(conn)?;
        for (case, method) in rows {
            if let Ok(m) = ReturnMethod::parse(&method) {
                methods.entry(case).or_default().push(m);
            }
        }
    }
    let settings = SettingsBook::load(conn)?;
    Ok(cases
        .iter()
        .map(|case| {
            let tried = methods.remove(&case.id).unwrap_or_default();
            let next_step = match (&case.closed_on, case.opened_on.parse::<NaiveDate>()) {
                (None, Ok(opened)) => settings
                    .at(&case.school_region)
                    .ladder
                    .next_due(opened, &tried)
                    .map(|s| (s.step.method, s.step.role, s.due)),
                _ => None,
            };
            let progress = Progress {
                attempts: tried.len(),
                overdue: next_step.is_some_and(|(_, _, due)| due < today),
                next_step,
            };
            (case.id, progress)
        })
        .collect())
}
