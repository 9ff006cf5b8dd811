//! Re-deriving children's enrolment states: replay each child's days with the domain's one
//! state machine, then make the stored transitions, current state and case agree with it.
//! Transitions that no longer come out are marked rolled back (and audited), never deleted.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{
    AbsenceKind, Attendance, Decision, DecisionKind, EnrolmentState, RegionCode, Replay,
    SchoolYear, Transition, replay_enrolment,
};

use super::cases;
use super::settings::SettingsBook;
use crate::duties::CalendarBook;
use crate::schema::{
    absences, children, enrolment_decisions, enrolment_events, enrolments, roll_calls,
};
use crate::{Conn, Scope, StoreResult, audit, clock};

/// Where a child stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Enrolment {
    pub child_id: i64,
    pub state: EnrolmentState,
    pub since: Option<NaiveDate>,
    /// Unexcused school days in the streak running now.
    pub streak: u32,
}

/// Where a child the caller may see stands (在读 for a child with no dropout history).
pub fn enrolment_of(conn: &mut Conn, scope: &Scope, child_id: i64) -> StoreResult<Enrolment> {
    // The children module keeps the scope rules of a file; absent and out of reach look alike.
    let child = crate::children::summary_of(conn, scope, child_id)?;
    stored_enrolment(conn, child.id)
}

/// The stored state of a child already in the caller's reach.
pub(crate) fn stored_enrolment(conn: &mut Conn, child_id: i64) -> StoreResult<Enrolment> {
    let row: Option<(String, String, i32)> = enrolments::table
        .find(child_id)
        .select((enrolments::state, enrolments::since, enrolments::streak))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((state, since, streak)) => Enrolment {
            child_id,
            state: EnrolmentState::parse(&state).unwrap_or(EnrolmentState::Enrolled),
            since: since.parse().ok(),
            streak: u32::try_from(streak).unwrap_or(0),
        },
        None => Enrolment {
            child_id,
            state: EnrolmentState::Enrolled,
            since: None,
            streak: 0,
        },
    })
}

struct Child {
    id: i64,
    school_id: i64,
    school_region: String,
    class_id: Option<i64>,
}

#[derive(Queryable)]
struct StoredEvent {
    id: i64,
    day: String,
    from_state: String,
    to_state: String,
    cause: String,
}

fn day(s: &str) -> Option<NaiveDate> {
    s.parse().ok()
}

/// Re-derives `ids` up to `today` after a write by `scope` (`why` names it for the audit
/// trail). Call inside the writer's transaction.
pub fn recompute(
    conn: &mut Conn,
    scope: &Scope,
    ids: &[i64],
    today: NaiveDate,
    why: &str,
) -> StoreResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    let settings = SettingsBook::load(conn)?;
    let mut kids: Vec<Child> = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, i64, String, Option<i64>)> = children::table
            .filter(children::id.eq_any(chunk))
            .select((
                children::id,
                children::school_id,
                children::school_region,
                children::class_id,
            ))
            .load(conn)?;
        kids.extend(
            rows.into_iter()
                .map(|(id, school_id, school_region, class_id)| Child {
                    id,
                    school_id,
                    school_region,
                    class_id,
                }),
        );
    }
    let mut inputs: HashMap<i64, (BTreeMap<NaiveDate, AbsenceKind>, Vec<Decision>)> =
        HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String, String)> = absences::table
            .filter(absences::child_id.eq_any(chunk))
            .select((absences::child_id, absences::day, absences::kind))
            .load(conn)?;
        for (child, d, kind) in rows {
            if let (Some(d), Ok(kind)) = (day(&d), AbsenceKind::parse(&kind)) {
                inputs.entry(child).or_default().0.insert(d, kind);
            }
        }
        let rows: Vec<(i64, String, String)> = enrolment_decisions::table
            .filter(enrolment_decisions::child_id.eq_any(chunk))
            .filter(enrolment_decisions::withdrawn_at.is_null())
            .select((
                enrolment_decisions::child_id,
                enrolment_decisions::day,
                enrolment_decisions::kind,
            ))
            .load(conn)?;
        for (child, d, kind) in rows {
            if let (Some(date), Ok(kind)) = (day(&d), DecisionKind::parse(&kind)) {
                inputs
                    .entry(child)
                    .or_default()
                    .1
                    .push(Decision { date, kind });
            }
        }
    }
    let starts: Vec<NaiveDate> = inputs
        .values()
        .filter_map(|(a, d)| start_of(a, d))
        .collect();
    let first_year = starts
        .iter()
        .min()
        .map_or(today, |d| *d)
        .pred_opt()
        .map_or(today.year(), |d| SchoolYear::containing(d).start_year());
    let book = CalendarBook::load(conn, first_year, SchoolYear::containing(today).start_year())?;

    let mut changed = 0;
    for kid in &kids {
        let (absent, decisions) = inputs.remove(&kid.id).unwrap_or_default();
        let Some(start) = start_of(&absent, &decisions) else {
            changed += settle(conn, scope, kid, None, today, why)?;
            continue;
        };
        let roll_call_days: BTreeSet<NaiveDate> = match kid.class_id {
            Some(class) => roll_calls::table
                .filter(roll_calls::class_id.eq(class))
                .filter(roll_calls::day.ge(start.to_string()))
                .filter(roll_calls::day.le(today.to_string()))
                .select(roll_calls::day)
                .load::<String>(conn)?
                .iter()
                .filter_map(|d| day(d))
                .collect(),
            None => BTreeSet::new(),
        };
        let attendance = Attendance {
            roll_calls: roll_call_days,
            absences: absent,
        };
        let calendars = book.for_school(kid.school_id, &kid.school_region);
        let rule = settings.at(&kid.school_region).rule;
        let outcome = replay_enrolment(rule, &calendars, &attendance, &decisions, start, today);
        changed += settle(conn, scope, kid, Some(&outcome), today, why)?;
    }
    Ok(changed)
}

/// The replay starts on the first school-relevant input: nothing before it can matter.
fn start_of(
    absent: &BTreeMap<NaiveDate, AbsenceKind>,
    decisions: &[Decision],
) -> Option<NaiveDate> {
    let first_absence = absent
        .iter()
        .find(|(_, k)| !k.is_excused())
        .map(|(d, _)| *d);
    let first_decision = decisions.iter().map(|d| d.date).min();
    match (first_absence, first_decision) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Makes the stored transitions, state and case of one child match `outcome` (`None`: no
/// history at all, so 在读 with nothing to show). Returns how many transitions changed.
fn settle(
    conn: &mut Conn,
    scope: &Scope,
    kid: &Child,
    outcome: Option<&Replay>,
    today: NaiveDate,
    why: &str,
) -> StoreResult<usize> {
    let stored: Vec<StoredEvent> = enrolment_events::table
        .filter(enrolment_events::child_id.eq(kid.id))
        .filter(enrolment_events::rolled_back_at.is_null())
        .order((enrolment_events::day, enrolment_events::id))
        .select((
            enrolment_events::id,
            enrolment_events::day,
            enrolment_events::from_state,
            enrolment_events::to_state,
            enrolment_events::cause,
        ))
        .load(conn)?;
    let wanted: &[Transition] = outcome.map_or(&[], |o| o.transitions.as_slice());
    let same = |s: &StoredEvent, t: &Transition| {
        s.day == t.date.to_string()
            && s.from_state == t.from.code()
            && s.to_state == t.to.code()
            && s.cause == t.cause.code()
    };
    let region = RegionCode::parse(&kid.school_region).ok();
    let now = clock::now_ms();
    let mut changed = 0;
    let mut kept = vec![false; wanted.len()];
    for s in &stored {
        match wanted
            .iter()
            .enumerate()
            .position(|(i, t)| !kept[i] && same(s, t))
        {
            Some(i) => kept[i] = true,
            None => {
                let reason = format!("更正后不再成立：{why}");
                diesel::update(enrolment_events::table.find(s.id))
                    .set((
                        enrolment_events::rolled_back_at.eq(now),
                        enrolment_events::rollback_reason.eq(&reason),
                    ))
                    .execute(conn)?;
                audit::record(
                    conn,
                    scope,
                    "enrolment.rollback",
                    &kid.id.to_string(),
                    &format!("{} {}→{} {reason}", s.day, s.from_state, s.to_state),
                    region.as_ref(),
                )?;
                changed += 1;
            }
        }
    }
    for (t, _) in wanted.iter().zip(&kept).filter(|(_, k)| !**k) {
        diesel::insert_into(enrolment_events::table)
            .values((
                enrolment_events::child_id.eq(kid.id),
                enrolment_events::day.eq(t.date.to_string()),
                enrolment_events::from_state.eq(t.from.code()),
                enrolment_events::to_state.eq(t.to.code()),
                enrolment_events::cause.eq(t.cause.code()),
                enrolment_events::detail.eq(t.cause.describe_zh()),
                enrolment_events::actor.eq(scope.actor.name()),
                enrolment_events::recorded_at.eq(now),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            scope,
            "enrolment.transition",
            &kid.id.to_string(),
            &format!(
                "{} {}→{} {}",
                t.date,
                t.from.label_zh(),
                t.to.label_zh(),
                t.cause.describe_zh()
            ),
            region.as_ref(),
        )?;
        changed += 1;
    }

    let (state, since, streak) = match outcome {
        Some(o) => (o.state, o.since, o.streak),
        None => (EnrolmentState::Enrolled, today, 0),
    };
    let since_s = since.to_string();
    let values = || {
        (
            enrolments::school_id.eq(kid.school_id),
            enrolments::school_region.eq(&kid.school_region),
            enrolments::state.eq(state.code()),
            enrolments::since.eq(&since_s),
            enrolments::streak.eq(streak as i32),
            enrolments::updated_at.eq(now),
        )
    };
    // Update first, insert only when there was no row: one statement for a child seen before.
    let updated = diesel::update(enrolments::table.find(kid.id))
        .set(values())
        .execute(conn)?;
    if updated == 0 {
        if outcome.is_none() {
            // No history and no state stored: nothing to undo.
            return Ok(changed);
        }
        diesel::insert_into(enrolments::table)
            .values((enrolments::child_id.eq(kid.id), values()))
            .execute(conn)?;
    }
    let episode = outcome.map(Episode::of).unwrap_or_default();
    cases::sync(
        conn,
        scope,
        kid.id,
        kid.school_id,
        &kid.school_region,
        kid.class_id,
        state,
        &episode,
        today,
    )?;
    Ok(changed)
}

/// The latest suspicion in a replay and how it ended, for the case that follows it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Episode {
    /// The day the latest 疑似辍学 began.
    pub opened: Option<NaiveDate>,
    /// The transition that ended it, if it ended.
    pub ended: Option<Transition>,
}

impl Episode {
    fn of(replay: &Replay) -> Episode {
        let Some(at) = replay
            .transitions
            .iter()
            .rposition(|t| t.to == EnrolmentState::Suspected)
        else {
            return Episode::default();
        };
        let opened = Some(replay.transitions[at].date);
        let ended = replay.transitions[at + 1..]
            .iter()
            .find(|t| !t.to.has_open_case())
            .copied();
        Episode { opened, ended }
    }
}
