//! School days across school years: a period (a week at the end of August, a streak of
//! absences over the summer) can span two calendars, so rules ask this set rather than one.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::{Calendar, SchoolYear, Term, TermKey};

/// The calendars of one school (its own or its county's) by school year; a year without one
/// uses [`Calendar::fallback`].
#[derive(Clone, Debug, Default)]
pub struct Calendars {
    years: BTreeMap<SchoolYear, Calendar>,
}

impl Calendars {
    pub fn new(calendars: impl IntoIterator<Item = Calendar>) -> Calendars {
        Calendars {
            years: calendars.into_iter().map(|c| (c.school_year, c)).collect(),
        }
    }

    pub fn insert(&mut self, calendar: Calendar) {
        self.years.insert(calendar.school_year, calendar);
    }

    /// The calendar in force on `date`; an owned fallback when none was given for its year.
    pub fn for_date(&self, date: NaiveDate) -> std::borrow::Cow<'_, Calendar> {
        let year = SchoolYear::containing(date);
        match self.years.get(&year) {
            Some(c) => std::borrow::Cow::Borrowed(c),
            None => std::borrow::Cow::Owned(Calendar::fallback(year)),
        }
    }

    pub fn is_school_day(&self, date: NaiveDate) -> bool {
        self.for_date(date).is_school_day(date)
    }

    /// The term `date` falls in, with its key.
    pub fn term_of(&self, date: NaiveDate) -> Option<(TermKey, Term)> {
        let calendar = self.for_date(date);
        let term = *calendar.term_of(date)?;
        Some((calendar.term_key(&term), term))
    }

    /// The first and last school day within `from..=to`, which may cross a school year.
    pub fn school_span(&self, from: NaiveDate, to: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        let first = from
            .iter_days()
            .take_while(|d| *d <= to)
            .find(|d| self.is_school_day(*d))?;
        let last = to
            .iter_days()
            .rev()
            .take_while(|d| *d >= first)
            .find(|d| self.is_school_day(*d))?;
        Some((first, last))
    }

    pub fn school_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        for day in from.iter_days().take_while(|d| *d <= to) {
            if self.is_school_day(day) {
                n += 1;
            }
        }
        n
    }
}
