//! Panels (面板) of dropout control for any node: how many children are 疑似辍学 and 辍学 now,
//! how many came back this term (复学, 自行返校), and the school year's 辍学率 with its
//! numerator and denominator.

use chrono::{Datelike, NaiveDate, TimeZone};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use shouhu_domain::{CaseClosure, EnrolmentState, SchoolYear, SchoolingStatus, shanghai};

use super::ledgers::{may_see, place};
use crate::duties::{CalendarBook, Node};
use crate::schema::{children, dropout_cases, enrolment_events, enrolments};
use crate::{Conn, Scope, StoreResult};

/// A rate as the county's returns state it: numerator, denominator, and the percentage with
/// two decimals ("0.25%"), or "—" when there is nothing to divide by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    pub numerator: i64,
    pub denominator: i64,
    pub percent: String,
}

impl Rate {
    pub fn new(numerator: i64, denominator: i64) -> Rate {
        let percent = if denominator > 0 {
            // In hundredths of a percent, rounded half up, in integers.
            let basis = (numerator * 20_000 / denominator + 1) / 2;
            format!("{}.{:02}%", basis / 100, basis % 100)
        } else {
            "—".to_owned()
        };
        Rate {
            numerator,
            denominator,
            percent,
        }
    }
}

/// A node's dropout figures on `as_of`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Panel {
    pub node_name: String,
    pub as_of: String,
    /// 疑似辍学 now.
    pub suspected: i64,
    /// 辍学 now.
    pub dropped_out: i64,
    /// The term counted from, inclusive (its first day), and to (today).
    pub term_from: String,
    /// Cases closed by 复学 this term.
    pub returned_this_term: i64,
    /// Cases closed because the child came back while only suspected (自行返校) this term.
    pub self_returned_this_term: i64,
    /// The school year, `2026-2027`.
    pub school_year: String,
    pub enrolment_at_year_start: i64,
    pub dropouts_this_year: i64,
    /// 辍学率 = dropouts this school year ÷ enrolment at its start.
    pub rate: Rate,
}

fn count_state(
    conn: &mut Conn,
    low: &str,
    high: &str,
    school: Option<i64>,
    state: EnrolmentState,
) -> StoreResult<i64> {
    let mut q = enrolments::table
        .filter(enrolments::state.eq(state.code()))
        .filter(enrolments::school_region.between(low.to_owned(), high.to_owned()))
        .into_boxed();
    if let Some(s) = school {
        q = q.filter(enrolments::school_id.eq(s));
    }
    Ok(q.count().get_result(conn)?)
}

fn count_closed(
    conn: &mut Conn,
    low: &str,
    high: &str,
    school: Option<i64>,
    closure: CaseClosure,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<i64> {
    let mut q = dropout_cases::table
        .filter(dropout_cases::closure.eq(closure.code()))
        .filter(dropout_cases::closed_on.between(from.to_string(), to.to_string()))
        .filter(dropout_cases::school_region.between(low.to_owned(), high.to_owned()))
        .into_boxed();
    if let Some(s) = school {
        q = q.filter(dropout_cases::school_id.eq(s));
    }
    Ok(q.count().get_result(conn)?)
}

/// The first day of the term `today` falls in by the node's calendar; between terms, of the
/// term that ended last; before the year's first term, the school year's first day.
fn term_start(
    conn: &mut Conn,
    school: Option<i64>,
    region: &str,
    today: NaiveDate,
) -> StoreResult<NaiveDate> {
    let year = SchoolYear::containing(today);
    let first = year.start_year();
    let book = CalendarBook::load(conn, first, first)?;
    let calendars = book.for_school(school.unwrap_or(0), region);
    if let Some((_, term)) = calendars.term_of(today) {
        return Ok(term.start);
    }
    let calendar = calendars.for_date(today);
    let last = calendar
        .terms
        .iter()
        .filter(|t| t.start <= today)
        .map(|t| t.start)
        .max();
    Ok(last.unwrap_or_else(|| year_start(year)))
}

fn year_start(year: SchoolYear) -> NaiveDate {
    NaiveDate::from_ymd_opt(year.start_year(), 9, 1).unwrap_or_default()
}

/// The figures of `node` (or the caller's own) on `today`.
///
/// 辍学率's denominator approximates the enrolment at the school year's start by the children
/// on roll in the node now whose files were created before 1 September of the year: the store
/// keeps no roll as of a past date, so a child who left since is not counted and one who was
/// filed late in the year is not either. The numerator counts children who became 辍学 on a day
/// of the school year, by transitions not rolled back, wherever they are on roll now.
pub fn panel(
    conn: &mut Conn,
    scope: &Scope,
    node: Option<&Node>,
    today: NaiveDate,
) -> StoreResult<Panel> {
    scope.require(may_see(scope), "dropout.ledger")?;
    let place = place(conn, scope, node)?;
    let (low, high, school) = (place.low.as_str(), place.high.as_str(), place.school);
    let suspected = count_state(conn, low, high, school, EnrolmentState::Suspected)?;
    let dropped_out = count_state(conn, low, high, school, EnrolmentState::DroppedOut)?;
    let region = place
        .region
        .as_ref()
        .map_or_else(|| low.to_owned(), |r| r.as_str().to_owned());
    let from = term_start(conn, school, &region, today)?;
    let returned = count_closed(conn, low, high, school, CaseClosure::Returned, from, today)?;
    let self_returned = count_closed(
        conn,
        low,
        high,
        school,
        CaseClosure::SelfReturn,
        from,
        today,
    )?;

    let year = SchoolYear::containing(today);
    let start = year_start(year);
    let end = NaiveDate::from_ymd_opt(start.year() + 1, 8, 31).unwrap_or(start);
    let start_ms = start
        .and_hms_opt(0, 0, 0)
        .and_then(|t| shanghai().from_local_datetime(&t).single())
        .map_or(0, |t| t.timestamp_millis());
    let on_roll: Vec<&str> = SchoolingStatus::ALL
        .into_iter()
        .filter(|s| s.on_roll())
        .map(SchoolingStatus::code)
        .collect();
    let mut q = children::table
        .filter(children::school_region.between(low.to_owned(), high.to_owned()))
        .filter(children::schooling.eq_any(on_roll))
        .filter(children::created_at.lt(start_ms))
        .into_boxed();
    if let Some(s) = school {
        q = q.filter(children::school_id.eq(s));
    }
    let enrolment: i64 = q.count().get_result(conn)?;
    let mut q = enrolment_events::table
        .inner_join(children::table.on(children::id.eq(enrolment_events::child_id)))
        .filter(enrolment_events::to_state.eq(EnrolmentState::DroppedOut.code()))
        .filter(enrolment_events::rolled_back_at.is_null())
        .filter(enrolment_events::day.between(start.to_string(), end.to_string()))
        .filter(children::school_region.between(low.to_owned(), high.to_owned()))
        .select(enrolment_events::child_id)
        .into_boxed();
    if let Some(s) = school {
        q = q.filter(children::school_id.eq(s));
    }
    let mut ids: Vec<i64> = q.load(conn)?;
    ids.sort_unstable();
    ids.dedup();
    let dropouts = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    Ok(Panel {
        node_name: place.name,
        as_of: today.to_string(),
        suspected,
        dropped_out,
        term_from: from.to_string(),
        returned_this_term: returned,
        self_returned_this_term: self_returned,
        school_year: format!("{}-{}", year.start_year(), year.start_year() + 1),
        enrolment_at_year_start: enrolment,
        dropouts_this_year: dropouts,
        rate: Rate::new(dropouts, enrolment),
    })
}

#[cfg(test)]
mod tests {
    use super::Rate;

    #[test]
    fn rates_round_to_hundredths_of_a_percent() {
        assert_eq!(Rate::new(1, 400).percent, "0.25%");
        assert_eq!(Rate::new(1, 3).percent, "33.33%");
        assert_eq!(Rate::new(2, 3).percent, "66.67%");
        assert_eq!(Rate::new(0, 10).percent, "0.00%");
        assert_eq!(Rate::new(0, 0).percent, "—");
    }
}
