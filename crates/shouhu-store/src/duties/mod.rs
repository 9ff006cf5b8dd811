//! Duty instances (职责): one per (rule, subject, period), generated from the duty rules and the
//! school calendar, their status kept current by every write that may satisfy one.
//!
//! Writers of evidence (care records, group events, help plans, pairings, calendars, child files)
//! call the hooks below inside their own transaction, so a duty and its evidence change together.

use chrono::NaiveDate;

use crate::{Conn, StoreResult};

/// What a duty is owed for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Child(i64),
    Class(i64),
    School(i64),
}

/// Evidence of `kind` (a care record kind code, `guardian_meeting`, `help_plan`, `pairing` …)
/// dated `date` was written, changed or deleted for `subject`.
pub fn evidence_changed(
    _conn: &mut Conn,
    _subject: Subject,
    _kind: &str,
    _date: NaiveDate,
) -> StoreResult<()> {
    Ok(())
}

/// A child's facts (calibers, tags, rating, schooling, class, school) may have changed.
pub fn child_changed(_conn: &mut Conn, _child_id: i64, _today: NaiveDate) -> StoreResult<()> {
    Ok(())
}

/// A calendar for `school_year` was saved or removed for a region (`region_code`) or a school.
pub fn calendar_changed(
    _conn: &mut Conn,
    _region_code: Option<&str>,
    _school_id: Option<i64>,
    _school_year: i32,
) -> StoreResult<()> {
    Ok(())
}
