//! The duties a case owes: one per ladder step (each due on its day of the case, for the step's
//! role), and a follow-up in the month after the child comes back. They live among the other
//! duties, so task lists, overdue marking and compliance treat them alike; their status comes
//! from the duty engine's evidence (劝返 attempts, care records).

use chrono::{Days, NaiveDate};
use diesel::prelude::*;
use shouhu_domain::{DutyRule, DutyStatus, Ladder, Role, SubjectKind};

use crate::duties::{self, RuleInForce, Subject};
use crate::schema::duties as duty_rows;
use crate::{Conn, StoreResult, clock};

/// Why the steps still open are waived when a case closes.
pub(crate) const CASE_CLOSED: &str = "case_closed";

pub(crate) struct CaseAt<'a> {
    pub case_id: i64,
    pub child_id: i64,
    pub class_id: Option<i64>,
    pub school_id: i64,
    pub school_region: &'a str,
}

fn step_key(case_id: i64, index: usize) -> String {
    format!("case-{case_id}-step-{}", index + 1)
}

fn rule_id(rules: &[RuleInForce], code: &str) -> Option<i64> {
    rules
        .iter()
        .find(|r| r.region_code.is_none() && r.rule.code == code)
        .map(|r| r.id)
}

#[allow(clippy::too_many_arguments)] // one row's columns
fn insert(
    conn: &mut Conn,
    rules: &[RuleInForce],
    at: &CaseAt<'_>,
    code: &str,
    role: Role,
    key: &str,
    start: NaiveDate,
    due: NaiveDate,
) -> StoreResult<()> {
    let Some(rule_id) = rule_id(rules, code) else {
        return Ok(());
    };
    let exists = duty_rows::table
        .filter(duty_rows::subject_kind.eq(SubjectKind::Child.code()))
        .filter(duty_rows::subject_id.eq(at.child_id))
        .filter(duty_rows::rule_code.eq(code))
        .filter(duty_rows::period_key.eq(key))
        .select(duty_rows::id)
        .first::<i64>(conn)
        .optional()?;
    if let Some(id) = exists {
        // A case reopened by a correction owes its steps again.
        diesel::update(duty_rows::table.find(id))
            .filter(duty_rows::waived_reason.eq(CASE_CLOSED))
            .set((
                duty_rows::status.eq(DutyStatus::Open.code()),
                duty_rows::waived_reason.eq(None::<String>),
            ))
            .execute(conn)?;
        return Ok(());
    }
    diesel::insert_into(duty_rows::table)
        .values((
            duty_rows::rule_id.eq(rule_id),
            duty_rows::rule_code.eq(code),
            duty_rows::subject_kind.eq(SubjectKind::Child.code()),
            duty_rows::subject_id.eq(at.child_id),
            duty_rows::class_id.eq(at.class_id),
            duty_rows::school_id.eq(at.school_id),
            duty_rows::school_region.eq(at.school_region),
            duty_rows::responsible_role.eq(role.code()),
            duty_rows::period_key.eq(key),
            duty_rows::window_start.eq(start.to_string()),
            duty_rows::window_end.eq(due.to_string()),
            duty_rows::due_date.eq(due.to_string()),
            duty_rows::required.eq(1),
            duty_rows::status.eq(DutyStatus::Open.code()),
            duty_rows::updated_at.eq(clock::now_ms()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every step of `ladder` for a case opened on `opened`, then statuses from the evidence.
pub(crate) fn open_steps(
    conn: &mut Conn,
    at: &CaseAt<'_>,
    ladder: &Ladder,
    opened: NaiveDate,
    today: NaiveDate,
) -> StoreResult<()> {
    let rules = duties::rules::all(conn)?;
    for (i, step) in ladder.steps().iter().enumerate() {
        let code = DutyRule::return_step_code(step.method);
        let due = Ladder::due(opened, step);
        insert(
            conn,
            &rules,
            at,
            &code,
            step.role,
            &step_key(at.case_id, i),
            opened,
            due,
        )?;
    }
    duties::refresh_subjects(conn, &rules, &[Subject::Child(at.child_id)], opened, today)?;
    Ok(())
}

/// Re-derives the child's duties from `from` on (an attempt was written).
pub(crate) fn refresh(
    conn: &mut Conn,
    child_id: i64,
    from: NaiveDate,
    today: NaiveDate,
) -> StoreResult<()> {
    let rules = duties::rules::all(conn)?;
    duties::refresh_subjects(conn, &rules, &[Subject::Child(child_id)], from, today)?;
    Ok(())
}

/// Waives the open steps of a closed case: those due from `from` on (a return), or all of them
/// (`None`: a voided case never should have owed any).
pub(crate) fn close_steps(
    conn: &mut Conn,
    case_id: i64,
    from: Option<NaiveDate>,
) -> StoreResult<()> {
    let mut update = diesel::update(duty_rows::table)
        .filter(duty_rows::period_key.like(format!("case-{case_id}-step-%")))
        .filter(duty_rows::status.eq(DutyStatus::Open.code()))
        .into_boxed();
    if let Some(from) = from {
        update = update.filter(duty_rows::due_date.ge(from.to_string()));
    }
    update
        .set((
            duty_rows::status.eq(DutyStatus::Waived.code()),
            duty_rows::waived_reason.eq(CASE_CLOSED),
            duty_rows::updated_at.eq(clock::now_ms()),
        ))
        .execute(conn)?;
    Ok(())
}

/// The follow-up owed in the month after a return: a talk, home visit or tutoring session.
pub(crate) fn follow_up(
    conn: &mut Conn,
    at: &CaseAt<'_>,
    returned: NaiveDate,
    today: NaiveDate,
) -> StoreResult<()> {
    let start = returned.succ_opt().unwrap_or(returned);
    let due = returned.checked_add_days(Days::new(30)).unwrap_or(returned);
    let key = format!("case-{}-follow-up", at.case_id);
    let rules = duties::rules::all(conn)?;
    insert(
        conn,
        &rules,
        at,
        DutyRule::RETURN_FOLLOW_UP,
        Role::HeadTeacher,
        &key,
        start,
        due,
    )?;
    duties::refresh_subjects(conn, &rules, &[Subject::Child(at.child_id)], start, today)?;
    Ok(())
}
