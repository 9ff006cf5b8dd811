//! Duty instances (职责): one per (rule, subject, period), generated from the duty rules and the
//! school calendar, their status kept current by every write that may satisfy one.
//!
//! Writers of evidence (care records, group events, help plans, pairings, calendars, child files)
//! call the hooks below inside their own transaction, so a duty and its evidence change together.
//! The nightly job ([`run_daily`]) closes what fell overdue and opens the periods that began;
//! [`rebuild`] re-derives everything from the records and must agree with the two.

mod calendars;
mod compliance;
mod evidence;
mod generate;
pub(crate) mod rules;
mod status;
mod tasks;

use chrono::{Days, NaiveDate};
use diesel::prelude::*;
use shouhu_domain::{DutyRule, DutyStatus, RegionCode, SubjectKind, today_shanghai};

pub use compliance::{ComplianceReport, ComplianceRow, Node, by_school, compliance};
pub use generate::Span;
pub use rules::{RuleInForce, ensure_defaults};
pub use tasks::{Task, TaskList, TeacherLoad, school_overdue, tasks_for};

use crate::schema::{children, duties, job_runs, schools};
use crate::{Conn, Scope, StoreError, StoreResult, clock};
pub(crate) use calendars::CalendarBook;
use generate::{SchoolRun, Subjects};

/// A child's duty as the change hooks look at it.
#[derive(Queryable, Selectable)]
#[diesel(table_name = duties)]
struct Held {
    id: i64,
    subject_id: i64,
    rule_code: String,
    status: String,
    window_start: String,
    waived_reason: Option<String>,
    class_id: Option<i64>,
    school_id: i64,
}

/// The reason written on a current duty whose subject no longer comes under its rule.
pub const NO_LONGER_APPLIES: &str = "no_longer_applies";

/// What a duty is owed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Child(i64),
    Class(i64),
    School(i64),
}

impl Subject {
    fn key(self) -> (&'static str, i64) {
        match self {
            Subject::Child(id) => (SubjectKind::Child.code(), id),
            Subject::Class(id) => (SubjectKind::Class.code(), id),
            Subject::School(id) => (SubjectKind::School.code(), id),
        }
    }
}

/// Evidence of `kind` (a care record kind code, `guardian_meeting`, `help_plan`, `pairing` …)
/// dated `date` was written, changed or deleted for `subject`: its duties from `date` on are
/// re-derived at once.
pub fn evidence_changed(
    conn: &mut Conn,
    subject: Subject,
    kind: &str,
    date: NaiveDate,
) -> StoreResult<()> {
    let rules = rules::all(conn)?;
    if !rules
        .iter()
        .any(|r| r.rule.satisfied_by.iter().any(|k| k == kind))
    {
        return Ok(());
    }
    status::refresh(conn, &rules, &[subject], date, today_shanghai())?;
    Ok(())
}

/// Re-derives the stored statuses of `subjects`' duties whose windows end on or after `from`.
pub(crate) fn refresh_subjects(
    conn: &mut Conn,
    rules: &[RuleInForce],
    subjects: &[Subject],
    from: NaiveDate,
    today: NaiveDate,
) -> StoreResult<usize> {
    status::refresh(conn, rules, subjects, from, today)
}

/// A child's facts (calibers, tags, rating, schooling, class, school) may have changed, or the
/// file is new: see [`children_changed`].
pub fn child_changed(conn: &mut Conn, child_id: i64, today: NaiveDate) -> StoreResult<()> {
    children_changed(conn, &[child_id], today)
}

/// Children whose facts may have changed, or whose files are new: duties they now owe start
/// today; those they no longer owe are dropped from the future and waived for the current
/// period; open ones follow each child to its class. Set-based per school, so an import of a
/// county's children costs a few queries per school, not per child.
pub fn children_changed(conn: &mut Conn, ids: &[i64], today: NaiveDate) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let all_rules = rules::all(conn)?;
    let span = Span::Upcoming(today);
    let (first, last) = generate::years_of(span);
    let book = CalendarBook::load(conn, first, last)?;
    let today_s = today.to_string();
    for (school_id, kids) in generate::children_by_school(conn, ids)? {
        let runs = generate::school_runs(conn, &all_rules, &book, Some(&[school_id]))?;
        let Some(run) = runs.first() else {
            continue;
        };
        let kid_ids: Vec<i64> = kids.iter().map(|k| k.id).collect();
        let mut held: Vec<Held> = Vec::new();
        for chunk in kid_ids.chunks(500) {
            held.extend(
                duties::table
                    .filter(duties::subject_kind.eq(SubjectKind::Child.code()))
                    .filter(duties::subject_id.eq_any(chunk))
                    .filter(duties::window_end.ge(&today_s))
                    .select(Held::as_select())
                    .load(conn)?,
            );
        }
        let mut unwaived: Vec<Subject> = Vec::new();
        for kid in &kids {
            let facts = kid.facts();
            let mine = held.iter().filter(|h| h.subject_id == kid.id);
            for h in mine {
                let Some(rule) = all_child_rules(run).find(|r| r.rule.code == h.rule_code) else {
                    continue;
                };
                let open = h.status == DutyStatus::Open.code();
                if rule.rule.applies_to.holds(&facts) {
                    if h.waived_reason.as_deref() == Some(NO_LONGER_APPLIES) {
                        diesel::update(duties::table.find(h.id))
                            .set(duties::waived_reason.eq(None::<String>))
                            .execute(conn)?;
                        unwaived.push(Subject::Child(kid.id));
                    }
                } else if open && h.window_start > today_s {
                    diesel::delete(duties::table.find(h.id)).execute(conn)?;
                    continue;
                } else if open {
                    diesel::update(duties::table.find(h.id))
                        .set((
                            duties::status.eq(DutyStatus::Waived.code()),
                            duties::waived_reason.eq(NO_LONGER_APPLIES),
                            duties::updated_at.eq(clock::now_ms()),
                        ))
                        .execute(conn)?;
                }
                let moved = h.class_id != kid.class_id || h.school_id != kid.school_id;
                if moved && !DutyStatus::parse(&h.status).is_some_and(DutyStatus::is_closed) {
                    diesel::update(duties::table.find(h.id))
                        .set((
                            duties::class_id.eq(kid.class_id),
                            duties::school_id.eq(kid.school_id),
                            duties::school_region.eq(&kid.school_region),
                        ))
                        .execute(conn)?;
                }
            }
        }
        unwaived.dedup();
        status::refresh(conn, &all_rules, &unwaived, today, today)?;
        let subjects = Subjects {
            children: Some(&kid_ids),
            groups: false,
            codes: None,
            since: Some(today),
        };
        generate::school(conn, run, &subjects, span, today)?;
    }
    Ok(())
}

fn all_child_rules<'a>(run: &SchoolRun<'a>) -> impl Iterator<Item = &'a RuleInForce> {
    run.rules
        .clone()
        .into_iter()
        .filter(|r| r.rule.subject == SubjectKind::Child)
}

/// A calendar for `school_year` was saved or removed for a region (`region_code`) or a school:
/// the affected schools' future open duties are regenerated; current and past ones stay.
pub fn calendar_changed(
    conn: &mut Conn,
    region_code: Option<&str>,
    school_id: Option<i64>,
    _school_year: i32,
) -> StoreResult<()> {
    let ids = affected_schools(conn, region_code, school_id)?;
    regenerate(conn, &ids, None, today_shanghai())
}

fn affected_schools(
    conn: &mut Conn,
    region_code: Option<&str>,
    school_id: Option<i64>,
) -> StoreResult<Vec<i64>> {
    if let Some(id) = school_id {
        return Ok(vec![id]);
    }
    let Some(region) = region_code.and_then(|r| RegionCode::parse(r).ok()) else {
        return Ok(Vec::new());
    };
    let (low, high) = region.subtree_bounds();
    Ok(schools::table
        .filter(schools::region_code.between(low, high))
        .select(schools::id)
        .load(conn)?)
}

/// Drops the future open duties of `schools` (of `codes`, or all) and generates them afresh.
fn regenerate(
    conn: &mut Conn,
    schools: &[i64],
    codes: Option<&[String]>,
    today: NaiveDate,
) -> StoreResult<()> {
    let today_s = today.to_string();
    for chunk in schools.chunks(500) {
        let mut delete = diesel::delete(duties::table)
            .filter(duties::school_id.eq_any(chunk))
            .filter(duties::status.eq(DutyStatus::Open.code()))
            .filter(duties::window_start.gt(&today_s))
            .into_boxed();
        if let Some(codes) = codes {
            delete = delete.filter(duties::rule_code.eq_any(codes));
        }
        delete.execute(conn)?;
    }
    let all_rules = rules::all(conn)?;
    let span = Span::Upcoming(today);
    let (first, last) = generate::years_of(span);
    let book = CalendarBook::load(conn, first, last)?;
    for run in generate::school_runs(conn, &all_rules, &book, Some(schools))? {
        let subjects = Subjects {
            children: None,
            groups: true,
            codes,
            since: None,
        };
        generate::school(conn, &run, &subjects, span, today)?;
    }
    Ok(())
}

/// Saves a county's own version of a rule and regenerates its future duties there, in one
/// transaction; current and past instances keep their rule and status.
pub fn save_rule(
    conn: &mut Conn,
    scope: &Scope,
    county: &RegionCode,
    rule: &DutyRule,
    enabled: bool,
    expected_version: Option<i32>,
    today: NaiveDate,
) -> StoreResult<RuleInForce> {
    crate::transaction(conn, |conn| {
        // Case duties are opened by dropout cases and calendar duties by the calendar: a rule
        // keeps its kind, or a county edit could generate 劝返 steps for every child.
        let all = rules::all(conn)?;
        let current = rules::in_force(&all, county.as_str())
            .into_iter()
            .find(|r| r.rule.code == rule.code);
        let is_case = |c: shouhu_domain::Cadence| c == shouhu_domain::Cadence::Case;
        if current.is_some_and(|c| is_case(c.rule.cadence) != is_case(rule.cadence)) {
            return Err(StoreError::invalid("cadence", "duty_rules.case_cadence"));
        }
        let saved = rules::save(conn, scope, county, rule, enabled, expected_version)?;
        let schools = affected_schools(conn, Some(county.as_str()), None)?;
        regenerate(
            conn,
            &schools,
            Some(std::slice::from_ref(&rule.code)),
            today,
        )?;
        Ok(saved)
    })
}

/// The rules in force at a region.
pub fn rules_at(
    conn: &mut Conn,
    scope: &Scope,
    region: &RegionCode,
) -> StoreResult<Vec<RuleInForce>> {
    rules::list(conn, scope, region)
}

/// What one nightly run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DailyRun {
    /// The days processed (a missed night is caught up).
    pub days: Vec<NaiveDate>,
    pub missed: usize,
    pub generated: usize,
    /// Files written since the last run whose duties were brought up to date.
    pub changed_children: usize,
}

/// Brings the duties of every file written since `since_ms` up to date as of `today` (see
/// [`children_changed`]); for writers without a per-file hook, such as a roster import.
pub fn sync_changed(conn: &mut Conn, since_ms: i64, today: NaiveDate) -> StoreResult<usize> {
    // Sorted here, not in SQL: with an ORDER BY id, SQLite (without ANALYZE) walks the whole
    // table in rowid order instead of the updated_at index — seconds at a million children
    // against milliseconds (BENCHMARKS.md, duties).
    let mut ids: Vec<i64> = children::table
        .filter(children::updated_at.ge(since_ms))
        .select(children::id)
        .load(conn)?;
    ids.sort_unstable();
    for chunk in ids.chunks(5000) {
        children_changed(conn, chunk, today)?;
    }
    Ok(ids.len())
}

const JOB: &str = "duties";
/// A longer gap is caught up as its last two months; older periods are a rebuild's work.
const MAX_CATCH_UP_DAYS: u64 = 62;

/// The nightly job for `date`: every day since the last completed run (or `date` alone) closes
/// what fell overdue and materialises the periods that begin. Running it again for the same
/// date changes nothing.
pub fn run_daily(conn: &mut Conn, date: NaiveDate) -> StoreResult<DailyRun> {
    crate::transaction(conn, |conn| {
        let previous: Option<(String, i64)> = job_runs::table
            .find(JOB)
            .select((job_runs::last_date, job_runs::finished_at))
            .first(conn)
            .optional()?;
        let last = previous
            .as_ref()
            .and_then(|(s, _)| s.parse::<NaiveDate>().ok());
        let days: Vec<NaiveDate> = match last {
            Some(last) if last < date => {
                let from = (last + Days::new(1)).max(date - Days::new(MAX_CATCH_UP_DAYS));
                from.iter_days().take_while(|d| *d <= date).collect()
            }
            _ => vec![date],
        };
        let all_rules = rules::all(conn)?;
        let (first, _) = generate::years_of(Span::Upcoming(days[0]));
        let (_, end) = generate::years_of(Span::Upcoming(date));
        let book = CalendarBook::load(conn, first, end)?;
        let runs = generate::school_runs(conn, &all_rules, &book, None)?;
        let mut report = DailyRun::default();
        for &day in &days {
            report.missed += status::close_overdue(conn, day)?;
            // A night already run has generated its periods; running it again only re-checks
            // what fell due, so a repeat costs a query, not a pass over every child.
            if last.is_some_and(|l| l >= day) {
                continue;
            }
            for run in &runs {
                let changed: Vec<String> = run
                    .rules
                    .iter()
                    .filter(|r| last.is_none() || horizon_moved(r, run, day))
                    .map(|r| r.rule.code.clone())
                    .collect();
                if changed.is_empty() {
                    continue;
                }
                let subjects = Subjects {
                    children: None,
                    groups: true,
                    codes: Some(&changed),
                    since: None,
                };
                report.generated +=
                    generate::school(conn, run, &subjects, Span::Upcoming(day), day)?;
            }
        }
        // Files written since the last run without their own hook (a roster import).
        if let Some((_, since)) = previous {
            report.changed_children = sync_changed(conn, since, date)?;
        }
        let done = date.max(last.unwrap_or(date)).to_string();
        let now = clock::now_ms();
        let upsert = diesel::insert_into(job_runs::table)
            .values((
                job_runs::job.eq(JOB),
                job_runs::last_date.eq(&done),
                job_runs::finished_at.eq(now),
            ))
            .on_conflict(job_runs::job)
            .do_update()
            .set((job_runs::last_date.eq(&done), job_runs::finished_at.eq(now)));
        crate::connection::on_inner!(conn, |c| upsert.execute(c))?;
        report.days = days;
        Ok(report)
    })
}

/// Whether the periods a rule keeps materialised differ between yesterday and `day`.
fn horizon_moved(rule: &RuleInForce, run: &SchoolRun, day: NaiveDate) -> bool {
    let keys = |d: NaiveDate| -> Vec<String> {
        rule.rule
            .upcoming(d, &run.cals)
            .into_iter()
            .map(|i| i.period_key)
            .collect()
    };
    day.pred_opt().is_none_or(|prev| keys(prev) != keys(day))
}

/// What a rebuild did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rebuild {
    pub schools: usize,
    pub removed: usize,
    pub generated: usize,
}

/// Re-derives every duty from `from` on for `schools` (all when `None`) from the rules, the
/// calendars and the records: instances not waived by hand are dropped and generated again with
/// their statuses as of `today`, through the current and next periods.
pub fn rebuild(
    conn: &mut Conn,
    schools: Option<&[i64]>,
    from: NaiveDate,
    today: NaiveDate,
    mut progress: impl FnMut(usize, usize),
) -> StoreResult<Rebuild> {
    let all_rules = rules::all(conn)?;
    let (first, _) = generate::years_of(Span::Range(from, today));
    let (_, last) = generate::years_of(Span::Upcoming(today));
    let book = CalendarBook::load(conn, first, last)?;
    let runs = generate::school_runs(conn, &all_rules, &book, schools)?;
    // Duties a dropout case opened are not the calendar's to re-derive.
    let case_codes: Vec<String> = all_rules
        .iter()
        .filter(|r| r.rule.cadence == shouhu_domain::Cadence::Case)
        .map(|r| r.rule.code.clone())
        .collect();
    let mut report = Rebuild {
        schools: runs.len(),
        ..Rebuild::default()
    };
    for (i, run) in runs.iter().enumerate() {
        crate::transaction(conn, |conn| {
            report.removed += diesel::delete(duties::table)
                .filter(duties::school_id.eq(run.id))
                .filter(duties::window_end.ge(from.to_string()))
                .filter(duties::rule_code.ne_all(&case_codes))
                .filter(
                    duties::waived_reason
                        .is_null()
                        .or(duties::waived_reason.eq(NO_LONGER_APPLIES)),
                )
                .execute(conn)?;
            let subjects = Subjects {
                children: None,
                groups: true,
                codes: None,
                since: None,
            };
            report.generated +=
                generate::school(conn, run, &subjects, Span::Range(from, today), today)?;
            report.generated +=
                generate::school(conn, run, &subjects, Span::Upcoming(today), today)?;
            Ok(())
        })?;
        progress(i + 1, runs.len());
    }
    Ok(report)
}

/// Children on roll in `schools`, for tests and benchmarks that count by hand.
pub fn children_of(conn: &mut Conn, school: i64) -> StoreResult<Vec<i64>> {
    Ok(children::table
        .filter(children::school_id.eq(school))
        .select(children::id)
        .order(children::id)
        .load(conn)?)
}
