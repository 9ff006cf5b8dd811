//! Roll calls (点名): one per class and school day, submitted even when nobody is absent,
//! correctable later (audited); the absences they record; and absences entered in bulk from a
//! sheet. Every write re-derives the enrolment states it may touch in the same transaction.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{AbsenceKind, EnrolmentState, RegionCode, Role, SchoolingStatus};

use super::cases::text;
use super::recompute::recompute;
use crate::crypto::DeploymentKey;
use crate::duties::{self, CalendarBook, Subject};
use crate::schema::{absences, children, classes, enrolments, roll_calls, schools, users};
use crate::{Conn, Scope, StoreError, StoreResult, audit, clock};

/// One child on a roll-call sheet.
#[derive(Clone, Debug, Serialize)]
pub struct RollCallChild {
    pub child_id: i64,
    pub name: String,
    pub absence: Option<AbsenceKind>,
    pub reason: Option<String>,
    pub state: EnrolmentState,
    /// Unexcused school days running before this day's roll call, for a warning beside the name.
    pub streak: u32,
}

/// A class's roll call for a day, as the page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct RollCallSheet {
    pub class_id: i64,
    pub class_name: String,
    pub grade: i32,
    pub school_id: i64,
    pub day: NaiveDate,
    pub is_school_day: bool,
    pub children: Vec<RollCallChild>,
    /// 0 when not yet submitted.
    pub version: i32,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<i64>,
}

#[derive(Clone, Debug)]
pub struct AbsenceInput {
    pub child_id: i64,
    pub kind: AbsenceKind,
    pub reason: Option<String>,
}

#[derive(Clone, Debug)]
pub struct RollCallSubmit {
    pub class_id: i64,
    pub day: NaiveDate,
    pub absences: Vec<AbsenceInput>,
    /// The version the form was read at (0 for a new roll call).
    pub version: i32,
}

#[derive(Clone, Debug, Serialize)]
pub struct Submitted {
    pub roll_call_id: i64,
    pub version: i32,
    pub absent: usize,
    /// A submission identical to what is stored (a double tap, a retried request).
    pub unchanged: bool,
    /// Enrolment transitions made or rolled back by it.
    pub transitions: usize,
}

fn may_call_roll(role: Role) -> bool {
    matches!(
        role,
        Role::SystemAdmin | Role::Principal | Role::HeadTeacher | Role::Teacher
    )
}

fn is_school_day(
    conn: &mut Conn,
    school_id: i64,
    region: &str,
    day: NaiveDate,
) -> StoreResult<bool> {
    let year = shouhu_domain::SchoolYear::containing(day).start_year();
    let book = CalendarBook::load(conn, year, year)?;
    Ok(book.for_school(school_id, region).is_school_day(day))
}

struct ClassAt {
    id: i64,
    name: String,
    grade: i32,
    school_id: i64,
    region: String,
}

fn class_at(conn: &mut Conn, scope: &Scope, class_id: i64) -> StoreResult<ClassAt> {
    let class = crate::classes::get(conn, scope, class_id)?;
    let region: String = schools::table
        .find(class.class.school_id)
        .select(schools::region_code)
        .first(conn)?;
    Ok(ClassAt {
        id: class_id,
        name: class.class.name.clone(),
        grade: class.class.grade,
        school_id: class.class.school_id,
        region,
    })
}

/// Children on the class's roll, by pinyin.
fn pupils(conn: &mut Conn, class_id: i64) -> StoreResult<Vec<(i64, String)>> {
    let rows: Vec<(i64, String, String)> = children::table
        .filter(children::class_id.eq(class_id))
        .order((children::name_pinyin, children::id))
        .select((children::id, children::name, children::schooling))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, _, s)| SchoolingStatus::parse(s).is_ok_and(SchoolingStatus::on_roll))
        .map(|(id, name, _)| (id, name))
        .collect())
}

/// The sheet of `class_id` for `day`, with any roll call already submitted.
pub fn class_sheet(
    conn: &mut Conn,
    scope: &Scope,
    class_id: i64,
    day: NaiveDate,
) -> StoreResult<RollCallSheet> {
    let class = class_at(conn, scope, class_id)?;
    let stored: Option<(i64, i32, i64, i64)> = roll_calls::table
        .filter(roll_calls::class_id.eq(class_id))
        .filter(roll_calls::day.eq(day.to_string()))
        .select((
            roll_calls::id,
            roll_calls::version,
            roll_calls::submitted_by,
            roll_calls::updated_at,
        ))
        .first(conn)
        .optional()?;
    let mut marked: BTreeMap<i64, (AbsenceKind, Option<String>)> = BTreeMap::new();
    let mut submitted_by = None;
    if let Some((id, _, user, _)) = stored {
        let rows: Vec<(i64, String, Option<String>)> = absences::table
            .filter(absences::roll_call_id.eq(id))
            .select((absences::child_id, absences::kind, absences::reason))
            .load(conn)?;
        for (child, kind, reason) in rows {
            if let Ok(kind) = AbsenceKind::parse(&kind) {
                marked.insert(child, (kind, reason));
            }
        }
        submitted_by = users::table
            .find(user)
            .select(users::display_name)
            .first::<String>(conn)
            .optional()?;
    }
    let kids = pupils(conn, class_id)?;
    let ids: Vec<i64> = kids.iter().map(|(id, _)| *id).collect();
    let mut states: BTreeMap<i64, (String, i32)> = BTreeMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String, i32)> = enrolments::table
            .filter(enrolments::child_id.eq_any(chunk))
            .select((enrolments::child_id, enrolments::state, enrolments::streak))
            .load(conn)?;
        states.extend(rows.into_iter().map(|(id, s, n)| (id, (s, n))));
    }
    let children = kids
        .into_iter()
        .map(|(child_id, name)| {
            let (state, streak) = states
                .get(&child_id)
                .map(|(s, n)| {
                    (
                        EnrolmentState::parse(s).unwrap_or(EnrolmentState::Enrolled),
                        u32::try_from(*n).unwrap_or(0),
                    )
                })
                .unwrap_or((EnrolmentState::Enrolled, 0));
            let (absence, reason) = match marked.remove(&child_id) {
                Some((k, r)) => (Some(k), r),
                None => (None, None),
            };
            RollCallChild {
                child_id,
                name,
                absence,
                reason,
                state,
                streak,
            }
        })
        .collect();
    let is_school_day = is_school_day(conn, class.school_id, &class.region, day)?;
    Ok(RollCallSheet {
        class_id,
        class_name: class.name,
        grade: class.grade,
        school_id: class.school_id,
        day,
        is_school_day,
        children,
        version: stored.map_or(0, |s| s.1),
        submitted_by,
        submitted_at: stored.map(|s| s.3),
    })
}

/// Submits (or corrects) a class's roll call for a day. A form read at an older version is a
/// conflict, unless it says exactly what is stored (then nothing is written).
pub fn submit(
    conn: &mut Conn,
    scope: &Scope,
    input: &RollCallSubmit,
    today: NaiveDate,
) -> StoreResult<Submitted> {
    scope.require(may_call_roll(scope.role), "roll_call.submit")?;
    let Some(user) = scope.actor.id() else {
        return Err(StoreError::Forbidden("roll_call.submit"));
    };
    if input.day > today {
        return Err(StoreError::invalid("day", "roll_call.future_day"));
    }
    let mut wanted: BTreeMap<i64, (AbsenceKind, Option<String>)> = BTreeMap::new();
    for a in &input.absences {
        let reason = text("reason", a.reason.as_deref().unwrap_or(""), false, 200)?;
        if wanted.insert(a.child_id, (a.kind, reason)).is_some() {
            return Err(StoreError::invalid("absences", "roll_call.duplicate_child"));
        }
    }
    crate::transaction(conn, |conn| {
        let class = class_at(conn, scope, input.class_id)?;
        if !is_school_day(conn, class.school_id, &class.region, input.day)? {
            return Err(StoreError::invalid("day", "roll_call.not_school_day"));
        }
        let on_roll: BTreeSet<i64> = pupils(conn, class.id)?.into_iter().map(|k| k.0).collect();
        if wanted.keys().any(|id| !on_roll.contains(id)) {
            return Err(StoreError::invalid("absences", "roll_call.not_in_class"));
        }
        let day_s = input.day.to_string();
        let now = clock::now_ms();
        let stored: Option<(i64, i32)> = roll_calls::table
            .filter(roll_calls::class_id.eq(class.id))
            .filter(roll_calls::day.eq(&day_s))
            .select((roll_calls::id, roll_calls::version))
            .first(conn)
            .optional()?;
        let mut had: BTreeMap<i64, (i64, AbsenceKind, Option<String>)> = BTreeMap::new();
        if let Some((id, _)) = stored {
            let rows: Vec<(i64, i64, String, Option<String>)> = absences::table
                .filter(absences::roll_call_id.eq(id))
                .select((
                    absences::id,
                    absences::child_id,
                    absences::kind,
                    absences::reason,
                ))
                .load(conn)?;
            for (aid, child, kind, reason) in rows {
                if let Ok(kind) = AbsenceKind::parse(&kind) {
                    had.insert(child, (aid, kind, reason));
                }
            }
        }
        let same_as_stored = stored.is_some()
            && had.len() == wanted.len()
            && wanted
                .iter()
                .all(|(c, (k, r))| had.get(c).is_some_and(|(_, hk, hr)| hk == k && hr == r));
        if let Some((id, version)) = stored {
            if same_as_stored {
                return Ok(Submitted {
                    roll_call_id: id,
                    version,
                    absent: wanted.len(),
                    unchanged: true,
                    transitions: 0,
                });
            }
            if version != input.version {
                return Err(StoreError::Conflict {
                    expected: input.version,
                    current: version,
                });
            }
        } else if input.version != 0 {
            return Err(StoreError::Conflict {
                expected: input.version,
                current: 0,
            });
        }
        let (id, version) = match stored {
            Some((id, version)) => {
                diesel::update(roll_calls::table.find(id))
                    .set((
                        roll_calls::version.eq(version + 1),
                        roll_calls::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                (id, version + 1)
            }
            None => {
                let id: i64 = diesel::insert_into(roll_calls::table)
                    .values((
                        roll_calls::class_id.eq(class.id),
                        roll_calls::school_id.eq(class.school_id),
                        roll_calls::day.eq(&day_s),
                        roll_calls::submitted_by.eq(user),
                        roll_calls::submitted_at.eq(now),
                        roll_calls::updated_at.eq(now),
                    ))
                    .returning(roll_calls::id)
                    .get_result(conn)?;
                (id, 1)
            }
        };
        let mut touched: Vec<i64> = Vec::new();
        let mut changes: Vec<String> = Vec::new();
        for (child, (aid, kind, reason)) in &had {
            match wanted.get(child) {
                Some((k, r)) if k == kind && r == reason => {}
                Some((k, r)) => {
                    diesel::update(absences::table.find(aid))
                        .set((
                            absences::kind.eq(k.code()),
                            absences::reason.eq(r),
                            absences::recorded_by.eq(user),
                            absences::recorded_at.eq(now),
                        ))
                        .execute(conn)?;
                    touched.push(*child);
                    changes.push(format!("{child}:{}→{}", kind.code(), k.code()));
                }
                None => {
                    diesel::delete(absences::table.find(aid)).execute(conn)?;
                    touched.push(*child);
                    changes.push(format!("{child}:{}→present", kind.code()));
                }
            }
        }
        for (child, (kind, reason)) in &wanted {
            if had.contains_key(child) {
                continue;
            }
            diesel::insert_into(absences::table)
                .values((
                    absences::roll_call_id.eq(id),
                    absences::child_id.eq(child),
                    absences::day.eq(&day_s),
                    absences::kind.eq(kind.code()),
                    absences::reason.eq(reason),
                    absences::recorded_by.eq(user),
                    absences::recorded_at.eq(now),
                ))
                .execute(conn)?;
            touched.push(*child);
            if stored.is_some() {
                changes.push(format!("{child}:present→{}", kind.code()));
            }
        }
        // Present children in a streak or under suspicion: a day present may end it.
        let watched: Vec<i64> = enrolments::table
            .filter(enrolments::child_id.eq_any(on_roll.iter().copied().collect::<Vec<_>>()))
            .filter(
                enrolments::streak
                    .gt(0)
                    .or(enrolments::state.ne(EnrolmentState::Enrolled.code())),
            )
            .select(enrolments::child_id)
            .load(conn)?;
        touched.extend(watched);
        touched.sort_unstable();
        touched.dedup();
        let why = if stored.is_some() {
            format!("{day_s} 点名更正")
        } else {
            format!("{day_s} 点名")
        };
        let transitions = recompute(conn, scope, &touched, today, &why)?;
        let region = RegionCode::parse(&class.region).ok();
        let (kind, detail) = if stored.is_some() {
            ("roll_call.correct", changes.join(", "))
        } else {
            ("roll_call.submit", format!("{} absent", wanted.len()))
        };
        audit::record(
            conn,
            scope,
            kind,
            &format!("class:{}:{day_s}", class.id),
            &detail,
            region.as_ref(),
        )?;
        duties::evidence_changed(conn, Subject::Class(class.id), "roll_call", input.day)?;
        Ok(Submitted {
            roll_call_id: id,
            version,
            absent: wanted.len(),
            unchanged: false,
            transitions,
        })
    })
}

/// One absence from a sheet, matched to a child of `school` by ID number, else by name (and
/// class name when two children share it).
#[derive(Clone, Debug)]
pub struct SheetAbsence {
    pub row: u32,
    pub name: String,
    pub id_card: Option<String>,
    pub class: Option<String>,
    pub day: NaiveDate,
    pub kind: AbsenceKind,
    pub reason: Option<String>,
}

/// A child of the school as a sheet row is matched against: id, name, ID hash, class, schooling.
type Kid = (i64, String, Option<String>, Option<i64>, String);

/// What a bulk entry did, or why it did nothing.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportedAbsences {
    pub added: usize,
    pub unchanged: usize,
    pub roll_calls_created: usize,
    /// (sheet row, message-catalog key); when any, nothing was written.
    pub problems: Vec<(u32, &'static str)>,
}

/// Enters absences from a sheet into their classes' roll calls (created where missing), all
/// or nothing: a row that matches no child, or two, or falls on a day without school, stops
/// the whole sheet with its row named.
pub fn import_absences(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    school_id: i64,
    rows: &[SheetAbsence],
    today: NaiveDate,
) -> StoreResult<ImportedAbsences> {
    scope.require(may_call_roll(scope.role), "roll_call.submit")?;
    let school = crate::schools::get(conn, scope, school_id)?;
    let region = school.region_code.clone();
    let kids: Vec<Kid> = children::table
        .filter(children::school_id.eq(school_id))
        .select((
            children::id,
            children::name,
            children::id_hash,
            children::class_id,
            children::schooling,
        ))
        .load(conn)?;
    let class_names: BTreeMap<i64, String> = classes::table
        .filter(classes::school_id.eq(school_id))
        .select((classes::id, classes::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let year = |d: NaiveDate| shouhu_domain::SchoolYear::containing(d).start_year();
    let first = rows
        .iter()
        .map(|r| year(r.day))
        .min()
        .unwrap_or(year(today));
    let book = CalendarBook::load(conn, first, year(today))?;
    let calendars = book.for_school(school_id, &region);

    let mut report = ImportedAbsences::default();
    let mut by_call: BTreeMap<(i64, NaiveDate), Vec<AbsenceInput>> = BTreeMap::new();
    for row in rows {
        let hash = row.id_card.as_deref().map(|id| key.lookup_hash(id));
        let matches: Vec<&Kid> = kids
            .iter()
            .filter(|k| match &hash {
                Some(h) => k.2.as_deref() == Some(h.as_str()),
                None => {
                    k.1 == row.name
                        && row
                            .class
                            .as_ref()
                            .is_none_or(|c| k.3.and_then(|id| class_names.get(&id)) == Some(c))
                }
            })
            .collect();
        let problem = match matches.as_slice() {
            [] => Some("roll_call.import.no_match"),
            [_, _, ..] => Some("roll_call.import.ambiguous"),
            [k] if k.3.is_none() => Some("roll_call.import.no_class"),
            [k] if !scope.covers_class(k.3.unwrap_or_default()) => {
                Some("roll_call.import.not_your_class")
            }
            _ if row.day > today => Some("roll_call.import.future_day"),
            _ if !calendars.is_school_day(row.day) => Some("roll_call.import.not_school_day"),
            [k] => {
                let class = k.3.unwrap_or_default();
                let list = by_call.entry((class, row.day)).or_default();
                if list.iter().any(|a| a.child_id == k.0) {
                    Some("roll_call.import.twice")
                } else {
                    list.push(AbsenceInput {
                        child_id: k.0,
                        kind: row.kind,
                        reason: row.reason.clone(),
                    });
                    None
                }
            }
        };
        if let Some(p) = problem {
            report.problems.push((row.row, p));
        }
    }
    if !report.problems.is_empty() {
        return Ok(report);
    }
    crate::transaction(conn, |conn| {
        for ((class_id, day), list) in &by_call {
            let sheet = class_sheet(conn, scope, *class_id, *day)?;
            if sheet.version == 0 {
                report.roll_calls_created += 1;
            }
            let mut absences: Vec<AbsenceInput> = sheet
                .children
                .iter()
                .filter_map(|c| {
                    c.absence.map(|kind| AbsenceInput {
                        child_id: c.child_id,
                        kind,
                        reason: c.reason.clone(),
                    })
                })
                .collect();
            for a in list {
                match absences.iter_mut().find(|x| x.child_id == a.child_id) {
                    Some(x) if x.kind == a.kind => report.unchanged += 1,
                    Some(x) => {
                        *x = a.clone();
                        report.added += 1;
                    }
                    None => {
                        absences.push(a.clone());
                        report.added += 1;
                    }
                }
            }
            submit(
                conn,
                scope,
                &RollCallSubmit {
                    class_id: *class_id,
                    day: *day,
                    absences,
                    version: sheet.version,
                },
                today,
            )?;
        }
        Ok(())
    })?;
    Ok(report)
}

/// One recorded absence of a child.
#[derive(Clone, Debug, Serialize)]
pub struct ChildAbsence {
    pub day: String,
    pub kind: AbsenceKind,
    pub reason: Option<String>,
    pub class_id: i64,
}

/// A child's absences from `from` on, newest first, for callers who may see the child (checked
/// through the children module, so the file's scope rules apply).
pub fn absences_of(
    conn: &mut Conn,
    scope: &Scope,
    child_id: i64,
    from: Option<NaiveDate>,
) -> StoreResult<Vec<ChildAbsence>> {
    crate::children::summary_of(conn, scope, child_id)?;
    let mut query = absences::table
        .inner_join(roll_calls::table)
        .filter(absences::child_id.eq(child_id))
        .select((
            absences::day,
            absences::kind,
            absences::reason,
            roll_calls::class_id,
        ))
        .order(absences::day.desc())
        .into_boxed();
    if let Some(from) = from {
        query = query.filter(absences::day.ge(from.to_string()));
    }
    let rows: Vec<(String, String, Option<String>, i64)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(day, kind, reason, class_id)| {
            Some(ChildAbsence {
                day,
                kind: AbsenceKind::parse(&kind).ok()?,
                reason,
                class_id,
            })
        })
        .collect())
}
