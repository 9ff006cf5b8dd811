//! "My tasks": the duties a user answers for, in the buckets a teacher works through (overdue,
//! due today, this week, later, recently done), and a principal's view of overdue work by
//! teacher.

use chrono::{Datelike, Days, NaiveDate};
use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{DutyStatus, Role};

use crate::schema::{children, class_head_teachers, duties, pairings, users};
use crate::{Conn, Scope, StoreError, StoreResult};

/// Missed duties older than this drop off the list (they stay in compliance figures).
const OVERDUE_DAYS: u64 = 31;
/// Done duties stay in view this long, so the teacher sees the tick.
const DONE_DAYS: u64 = 7;

#[derive(Clone, Debug, Serialize)]
pub struct Task {
    pub id: i64,
    pub rule_code: String,
    pub subject_kind: String,
    pub subject_id: i64,
    /// The child's name for child duties.
    pub child_name: Option<String>,
    pub class_id: Option<i64>,
    pub period_key: String,
    pub window_start: String,
    pub due_date: String,
    pub required: i32,
    pub done_count: i32,
    pub status: String,
}

/// A user's tasks by bucket, each list ordered by child then due date.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TaskList {
    pub overdue: Vec<Task>,
    pub today: Vec<Task>,
    pub this_week: Vec<Task>,
    pub later: Vec<Task>,
    pub done: Vec<Task>,
}

type Row = (
    i64,
    String,
    String,
    i64,
    Option<String>,
    Option<i64>,
    String,
    String,
    String,
    i32,
    i32,
    String,
);

fn task(row: Row) -> Task {
    let (id, rule_code, subject_kind, subject_id, child_name, class_id, period_key) =
        (row.0, row.1, row.2, row.3, row.4, row.5, row.6);
    Task {
        id,
        rule_code,
        subject_kind,
        subject_id,
        child_name,
        class_id,
        period_key,
        window_start: row.7,
        due_date: row.8,
        required: row.9,
        done_count: row.10,
        status: row.11,
    }
}

/// The duties `scope`'s user answers for, as of `today`: a head teacher's for their classes, a
/// teacher's for the children paired to them, a principal's for the school, a child director's
/// for the children living in their village.
pub fn tasks_for(conn: &mut Conn, scope: &Scope, today: NaiveDate) -> StoreResult<TaskList> {
    let me = scope.actor.id().ok_or(StoreError::NotFound)?;
    let earliest = (today - Days::new(OVERDUE_DAYS)).to_string();
    let done_since = (today - Days::new(DONE_DAYS)).to_string();
    let week_end = today + Days::new(u64::from(6 - today.weekday().num_days_from_monday()));
    let today_s = today.to_string();
    let mut query = duties::table
        .left_join(
            children::table.on(duties::subject_kind
                .eq("child")
                .and(children::id.eq(duties::subject_id))),
        )
        .filter(duties::responsible_role.eq(scope.role.code()))
        .filter(duties::window_start.le(&today_s))
        .filter(
            duties::due_date
                .ge(&earliest)
                .or(duties::done_on.ge(&done_since)),
        )
        .filter(duties::status.ne(DutyStatus::Waived.code()))
        .select((
            duties::id,
            duties::rule_code,
            duties::subject_kind,
            duties::subject_id,
            children::name.nullable(),
            duties::class_id,
            duties::period_key,
            duties::window_start,
            duties::due_date,
            duties::required,
            duties::done_count,
            duties::status,
        ))
        .into_boxed();
    match scope.role {
        Role::HeadTeacher => {
            let mine = class_head_teachers::table
                .filter(class_head_teachers::user_id.eq(me))
                .select(class_head_teachers::class_id.nullable());
            query = query.filter(duties::class_id.eq_any(mine));
        }
        Role::Teacher | Role::Volunteer => {
            let paired = pairings::table
                .filter(pairings::user_id.eq(me))
                .filter(pairings::from_date.le(today_s.clone()))
                .filter(
                    pairings::to_date
                        .is_null()
                        .or(pairings::to_date.ge(today_s.clone())),
                )
                .select(pairings::child_id);
            query = query
                .filter(duties::subject_kind.eq("child"))
                .filter(duties::subject_id.eq_any(paired));
        }
        Role::Principal => {
            let school = scope.school.ok_or(StoreError::NotFound)?;
            query = query.filter(duties::school_id.eq(school));
        }
        Role::ChildDirector => {
            let (low, high) = scope.region_bounds();
            query = query.filter(children::residence_region.between(low, high));
        }
        // The township's and the county's rungs of a 劝返 ladder, in their region.
        Role::CivilAffairs | Role::Bureau => {
            let (low, high) = scope.region_bounds();
            query = query.filter(duties::school_region.between(low, high));
        }
        _ => return Ok(TaskList::default()),
    }
    let rows: Vec<Row> = query
        .order((children::name_pinyin.nullable(), duties::due_date))
        .limit(2000)
        .load(conn)?;
    let mut list = TaskList::default();
    for row in rows {
        let t = task(row);
        let due = t.due_date.as_str();
        match DutyStatus::parse(&t.status) {
            Some(DutyStatus::Done | DutyStatus::Late) => list.done.push(t),
            Some(DutyStatus::Missed) => list.overdue.push(t),
            _ if due < today_s.as_str() => list.overdue.push(t),
            _ if due == today_s.as_str() => list.today.push(t),
            _ if due <= week_end.to_string().as_str() => list.this_week.push(t),
            _ => list.later.push(t),
        }
    }
    Ok(list)
}

/// Overdue work in a school by head teacher: missed duties due from `from` on, and open ones
/// due by the end of this week.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TeacherLoad {
    pub user_id: i64,
    pub display_name: String,
    pub missed: i64,
    pub open: i64,
}

pub fn school_overdue(
    conn: &mut Conn,
    scope: &Scope,
    school_id: i64,
    from: NaiveDate,
    today: NaiveDate,
) -> StoreResult<Vec<TeacherLoad>> {
    crate::schools::get(conn, scope, school_id)?;
    // Grouped here rather than in SQL: a school has a few thousand such rows at most.
    let rows: Vec<(i64, String)> = duties::table
        .inner_join(
            class_head_teachers::table
                .on(duties::class_id.eq(class_head_teachers::class_id.nullable())),
        )
        .filter(duties::school_id.eq(school_id))
        .filter(duties::responsible_role.eq(Role::HeadTeacher.code()))
        .filter(duties::due_date.ge(from.to_string()))
        .filter(duties::window_start.le(today.to_string()))
        .filter(duties::status.eq_any([DutyStatus::Missed.code(), DutyStatus::Open.code()]))
        .select((class_head_teachers::user_id, duties::status))
        .load(conn)?;
    let mut out: Vec<TeacherLoad> = Vec::new();
    for (user_id, status) in rows {
        let i = match out.iter().position(|t| t.user_id == user_id) {
            Some(i) => i,
            None => {
                out.push(TeacherLoad {
                    user_id,
                    display_name: String::new(),
                    missed: 0,
                    open: 0,
                });
                out.len() - 1
            }
        };
        if status == DutyStatus::Missed.code() {
            out[i].missed += 1;
        } else {
            out[i].open += 1;
        }
    }
    let ids: Vec<i64> = out.iter().map(|t| t.user_id).collect();
    let names: Vec<(i64, String)> = users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::display_name))
        .load(conn)?;
    for (id, name) in names {
        if let Some(t) = out.iter_mut().find(|t| t.user_id == id) {
            t.display_name = name;
        }
    }
    out.sort_by(|a, b| b.missed.cmp(&a.missed).then(a.user_id.cmp(&b.user_id)));
    Ok(out)
}
