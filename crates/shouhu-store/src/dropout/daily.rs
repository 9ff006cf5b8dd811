//! The daily dropout run: suspicions whose lapse has come become 辍学. Everything else is kept
//! current by the writes themselves, so the run reads only the suspected rows of one index.

use chrono::{Days, NaiveDate};
use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::EnrolmentState;

use super::recompute::recompute;
use super::settings::SettingsBook;
use crate::schema::enrolments;
use crate::{Conn, Scope, StoreResult};

#[derive(Clone, Debug, Default, Serialize)]
pub struct DailyRun {
    /// Suspected children looked at.
    pub examined: usize,
    /// Transitions written (or rolled back).
    pub transitions: usize,
}

/// Re-derives every child suspected long enough that some county's lapse may have come.
pub fn run_daily(conn: &mut Conn, today: NaiveDate) -> StoreResult<DailyRun> {
    let min_lapse = SettingsBook::load(conn)?.min_lapse_days();
    let cutoff = today
        .checked_sub_days(Days::new(u64::from(min_lapse)))
        .unwrap_or(today);
    let due: Vec<i64> = enrolments::table
        .filter(enrolments::state.eq(EnrolmentState::Suspected.code()))
        .filter(enrolments::since.le(cutoff.to_string()))
        .select(enrolments::child_id)
        .load(conn)?;
    let scope = Scope::local_operator();
    let mut report = DailyRun {
        examined: due.len(),
        ..DailyRun::default()
    };
    for chunk in due.chunks(200) {
        report.transitions += crate::transaction(conn, |conn| {
            recompute(conn, &scope, chunk, today, "每日检查")
        })?;
    }
    Ok(report)
}

/// Re-derives every child with any dropout history (absences, decisions or a stored state)
/// from the records alone; returns the transitions that changed, which after a correct run of
/// the writes is zero.
pub fn rebuild(conn: &mut Conn, today: NaiveDate) -> StoreResult<usize> {
    use crate::schema::{absences, enrolment_decisions};
    let mut ids: Vec<i64> = absences::table
        .filter(absences::kind.eq(shouhu_domain::AbsenceKind::Unexcused.code()))
        .select(absences::child_id)
        .distinct()
        .load(conn)?;
    ids.extend(
        enrolment_decisions::table
            .select(enrolment_decisions::child_id)
            .distinct()
            .load::<i64>(conn)?,
    );
    ids.extend(
        enrolments::table
            .select(enrolments::child_id)
            .load::<i64>(conn)?,
    );
    ids.sort_unstable();
    ids.dedup();
    let scope = Scope::local_operator();
    let mut changed = 0;
    for chunk in ids.chunks(200) {
        changed += crate::transaction(conn, |conn| recompute(conn, &scope, chunk, today, "重建"))?;
    }
    Ok(changed)
}
