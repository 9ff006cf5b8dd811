//! The school calendar (校历): terms, holidays inside them and make-up workdays (调休). Duties "in
//! term" and dropout streaks count school days, so "is this a school day" lives here, once.

use std::fmt;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::SchoolYear;

/// One school year's calendar, as a county publishes it (a school may replace it with its own).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Calendar {
    pub school_year: SchoolYear,
    /// In date order, not overlapping; usually two (上学期, 下学期).
    pub terms: Vec<Term>,
    /// Weekdays without school inside a term (国庆, 清明, 劳动节 …).
    pub holidays: Vec<Holiday>,
    /// Weekend days that are school days (调休上课).
    pub workdays: Vec<MakeUpDay>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    /// 1 for the autumn term, 2 for the spring term.
    pub number: u8,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    pub name: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MakeUpDay {
    pub date: NaiveDate,
    pub name: String,
}

/// A term named across school years, as duties and help plans key it: `2026-2027-1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TermKey {
    pub school_year: SchoolYear,
    pub number: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("学期应有开始和结束日期，且开始不晚于结束")]
    TermOrder,
    #[error("学期应在本学年内（9月1日前后至次年8月31日）")]
    TermOutsideYear,
    #[error("两个学期的日期重叠")]
    TermOverlap,
    #[error("学期编号应为 1（上学期）或 2（下学期），且不重复")]
    TermNumber,
    #[error("假期的开始日期晚于结束日期")]
    HolidayOrder,
    #[error("调休上课日应是学期内的星期六或星期日")]
    WorkdayNotWeekend,
    #[error("学期应写作 2026-2027-1 的形式")]
    TermKey,
}

impl CalendarError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::TermOrder => "calendar.term_order",
            Self::TermOutsideYear => "calendar.term_outside_year",
            Self::TermOverlap => "calendar.term_overlap",
            Self::TermNumber => "calendar.term_number",
            Self::HolidayOrder => "calendar.holiday_order",
            Self::WorkdayNotWeekend => "calendar.workday_not_weekend",
            Self::TermKey => "calendar.term_key",
        }
    }

    pub const ALL: [CalendarError; 7] = [
        Self::TermOrder,
        Self::TermOutsideYear,
        Self::TermOverlap,
        Self::TermNumber,
        Self::HolidayOrder,
        Self::WorkdayNotWeekend,
        Self::TermKey,
    ];
}

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    // Only called with fixed, valid month/day pairs.
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

impl Calendar {
    /// Checks and orders a calendar: terms inside the school year (1 August to 31 August next),
    /// numbered 1 and 2 at most once, not overlapping; holidays in order; make-up days on weekends
    /// inside a term.
    pub fn new(
        school_year: SchoolYear,
        mut terms: Vec<Term>,
        mut holidays: Vec<Holiday>,
        mut workdays: Vec<MakeUpDay>,
    ) -> Result<Calendar, CalendarError> {
        let first = date(school_year.start_year(), 8, 1);
        let last = date(school_year.start_year() + 1, 8, 31);
        terms.sort_by_key(|t| t.start);
        for term in &terms {
            if term.start > term.end {
                return Err(CalendarError::TermOrder);
            }
            if term.start < first || term.end > last {
                return Err(CalendarError::TermOutsideYear);
            }
            if !(1..=2).contains(&term.number) {
                return Err(CalendarError::TermNumber);
            }
        }
        for pair in terms.windows(2) {
            if pair[0].end >= pair[1].start {
                return Err(CalendarError::TermOverlap);
            }
            if pair[0].number >= pair[1].number {
                return Err(CalendarError::TermNumber);
            }
        }
        if holidays.iter().any(|h| h.start > h.end) {
            return Err(CalendarError::HolidayOrder);
        }
        holidays.sort_by_key(|h| h.start);
        workdays.sort_by_key(|w| w.date);
        workdays.dedup_by_key(|w| w.date);
        let calendar = Calendar {
            school_year,
            terms,
            holidays,
            workdays,
        };
        let misplaced = |w: &MakeUpDay| !is_weekend(w.date) || calendar.term_of(w.date).is_none();
        if calendar.workdays.iter().any(misplaced) {
            return Err(CalendarError::WorkdayNotWeekend);
        }
        Ok(calendar)
    }

    /// The calendar used where a county has set none: 上学期 1 September to 20 January, 下学期
    /// 20 February to 5 July, weekdays only. Pages say when it is in force.
    pub fn fallback(school_year: SchoolYear) -> Calendar {
        let y = school_year.start_year();
        Calendar {
            school_year,
            terms: vec![
                Term {
                    number: 1,
                    start: date(y, 9, 1),
                    end: date(y + 1, 1, 20),
                },
                Term {
                    number: 2,
                    start: date(y + 1, 2, 20),
                    end: date(y + 1, 7, 5),
                },
            ],
            holidays: Vec::new(),
            workdays: Vec::new(),
        }
    }

    /// The term a date falls in, holidays included.
    pub fn term_of(&self, date: NaiveDate) -> Option<&Term> {
        self.terms.iter().find(|t| t.start <= date && date <= t.end)
    }

    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        self.holidays
            .iter()
            .any(|h| h.start <= date && date <= h.end)
    }

    fn is_make_up_day(&self, date: NaiveDate) -> bool {
        self.workdays.iter().any(|w| w.date == date)
    }

    /// A day pupils are in school: inside a term, and a weekday that is no holiday or a make-up
    /// weekend day. A make-up day inside a holiday's range still counts: the notice names it.
    pub fn is_school_day(&self, date: NaiveDate) -> bool {
        if self.term_of(date).is_none() {
            return false;
        }
        if self.is_make_up_day(date) {
            return true;
        }
        !is_weekend(date) && !self.is_holiday(date)
    }

    /// School days from `from` to `to`, both included; none when `to` is before `from`.
    pub fn school_days(&self, from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
        from.iter_days()
            .take_while(move |d| *d <= to)
            .filter(|d| self.is_school_day(*d))
    }

    /// How many school days lie from `from` to `to`, both included.
    pub fn school_days_between(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        let mut n = 0;
        for _ in self.school_days(from, to) {
            n += 1;
        }
        n
    }

    /// The first and last school day within `from..=to`, if there is one.
    pub fn school_span(&self, from: NaiveDate, to: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        let first = self.school_days(from, to).next()?;
        let last = to
            .iter_days()
            .rev()
            .take_while(|d| *d >= first)
            .find(|d| self.is_school_day(*d))?;
        Some((first, last))
    }

    pub fn term_key(&self, term: &Term) -> TermKey {
        TermKey {
            school_year: self.school_year,
            number: term.number,
        }
    }
}

/// What a day is in a calendar, as the month grid and the command line show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayKind<'a> {
    /// A weekday in term, no holiday.
    SchoolDay,
    /// A weekend day in term that is a school day (调休上课), with the notice's name.
    MakeUp(&'a str),
    /// A day off inside a term: a holiday (its name) …
    Holiday(&'a str),
    /// … or a Saturday or Sunday.
    Weekend,
    /// Between terms or outside the school year (寒暑假).
    OutOfTerm,
}

impl DayKind<'_> {
    pub fn is_school_day(self) -> bool {
        matches!(self, DayKind::SchoolDay | DayKind::MakeUp(_))
    }
}

impl Calendar {
    /// What `date` is: agrees with [`Calendar::is_school_day`] and names the holiday or
    /// make-up day that made it so.
    pub fn day_kind(&self, date: NaiveDate) -> DayKind<'_> {
        if self.term_of(date).is_none() {
            return DayKind::OutOfTerm;
        }
        if let Some(w) = self.workdays.iter().find(|w| w.date == date) {
            return DayKind::MakeUp(&w.name);
        }
        if is_weekend(date) {
            return DayKind::Weekend;
        }
        match self
            .holidays
            .iter()
            .find(|h| h.start <= date && date <= h.end)
        {
            Some(h) => DayKind::Holiday(&h.name),
            None => DayKind::SchoolDay,
        }
    }

    /// Each term with its number of school days, in term order.
    pub fn term_school_days(&self) -> Vec<(Term, u32)> {
        self.terms
            .iter()
            .map(|t| (*t, self.school_days_between(t.start, t.end)))
            .collect()
    }
}

// Who may set calendars, beside the rest of `Role`'s policy (role.rs) but kept with the
// calendar: scope (checked by the store) says which region or school is in reach.
impl crate::Role {
    /// A county's (or city's, province's) calendar is set by the education bureau.
    pub fn manages_region_calendars(self) -> bool {
        matches!(self, crate::Role::SystemAdmin | crate::Role::Bureau)
    }

    /// A school's own calendar, replacing the county's: the bureau, or the principal for their
    /// own school.
    pub fn edits_school_calendar(self) -> bool {
        self.manages_region_calendars() || self == crate::Role::Principal
    }
}

impl TermKey {
    pub fn parse(s: &str) -> Result<TermKey, CalendarError> {
        let (year, number) = s.trim().rsplit_once('-').ok_or(CalendarError::TermKey)?;
        let school_year = SchoolYear::parse(year).map_err(|_| CalendarError::TermKey)?;
        match number {
            "1" => Ok(TermKey {
                school_year,
                number: 1,
            }),
            "2" => Ok(TermKey {
                school_year,
                number: 2,
            }),
            _ => Err(CalendarError::TermKey),
        }
    }

    /// 2026-2027学年第一学期.
    pub fn label_zh(&self) -> String {
        let n = if self.number == 1 { "一" } else { "二" };
        format!("{}学年第{}学期", self.school_year, n)
    }
}

impl fmt::Display for TermKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.school_year, self.number)
    }
}

string_form!(TermKey, CalendarError);

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The 2026-2027 year as a county might publish it: National Day week off with a make-up
    /// Saturday, New Year's Day, a spring term with Qingming and Labour Day.
    pub(crate) fn sample() -> Calendar {
        Calendar::new(
            SchoolYear::new(2026),
            vec![
                Term {
                    number: 2,
                    start: d("2027-02-22"),
                    end: d("2027-07-02"),
                },
                Term {
                    number: 1,
                    start: d("2026-09-01"),
                    end: d("2027-01-22"),
                },
            ],
            vec![
                Holiday {
                    name: "国庆节".into(),
                    start: d("2026-10-01"),
                    end: d("2026-10-07"),
                },
                Holiday {
                    name: "元旦".into(),
                    start: d("2027-01-01"),
                    end: d("2027-01-01"),
                },
                Holiday {
                    name: "清明节".into(),
                    start: d("2027-04-05"),
                    end: d("2027-04-05"),
                },
                Holiday {
                    name: "劳动节".into(),
                    start: d("2027-05-01"),
                    end: d("2027-05-05"),
                },
            ],
            vec![
                MakeUpDay {
                    date: d("2026-10-10"),
                    name: "国庆调休".into(),
                },
                MakeUpDay {
                    date: d("2027-04-25"),
                    name: "劳动节调休".into(),
                },
            ],
        )
        .unwrap()
    }

    #[test]
    fn school_days_follow_terms_holidays_and_make_up_days() {
        let c = sample();
        assert!(c.is_school_day(d("2026-09-01")), "first day of term");
        assert!(!c.is_school_day(d("2026-08-31")), "before term");
        assert!(!c.is_school_day(d("2026-09-05")), "a Saturday");
        assert!(!c.is_school_day(d("2026-10-05")), "National Day week");
        assert!(c.is_school_day(d("2026-10-10")), "make-up Saturday");
        assert!(!c.is_school_day(d("2026-10-11")), "the Sunday after");
        assert!(
            c.is_school_day(d("2027-01-22")),
            "last day of term (Friday)"
        );
        assert!(!c.is_school_day(d("2027-01-25")), "winter holiday");
        assert!(c.is_school_day(d("2027-02-22")), "spring term starts");
        assert!(c.is_school_day(d("2027-04-25")), "make-up Sunday");
        assert!(!c.is_school_day(d("2027-07-05")), "summer holiday");
    }

    #[test]
    fn counting_crosses_term_boundaries_and_holidays() {
        let c = sample();
        // 28 Sep (Mon) .. 11 Oct (Sun): 28–30 Sep, 8–9 Oct and the make-up 10 Oct; 1–7 Oct off.
        assert_eq!(c.school_days_between(d("2026-09-28"), d("2026-10-11")), 6);
        // Across the winter holiday: 18–22 Jan and 22–26 Feb.
        assert_eq!(c.school_days_between(d("2027-01-18"), d("2027-02-26")), 10);
        assert_eq!(c.school_days_between(d("2027-02-26"), d("2027-02-22")), 0);
        assert_eq!(
            c.school_span(d("2027-01-01"), d("2027-01-31")),
            Some((d("2027-01-04"), d("2027-01-22")))
        );
        assert_eq!(c.school_span(d("2027-08-01"), d("2027-08-31")), None);
        assert_eq!(c.term_of(d("2027-01-25")), None);
        assert_eq!(c.term_of(d("2026-10-03")).map(|t| t.number), Some(1));
    }

    #[test]
    fn bad_calendars_are_refused() {
        let term = |n, a: &str, b: &str| Term {
            number: n,
            start: d(a),
            end: d(b),
        };
        let year = SchoolYear::new(2026);
        let new = |terms, workdays| Calendar::new(year, terms, vec![], workdays);
        assert_eq!(
            new(vec![term(1, "2026-12-01", "2026-09-01")], vec![]),
            Err(CalendarError::TermOrder)
        );
        assert_eq!(
            new(vec![term(1, "2025-09-01", "2026-01-20")], vec![]),
            Err(CalendarError::TermOutsideYear)
        );
        let overlapping = vec![
            term(1, "2026-09-01", "2027-01-22"),
            term(2, "2027-01-20", "2027-07-01"),
        ];
        assert_eq!(new(overlapping, vec![]), Err(CalendarError::TermOverlap));
        let twice = vec![
            term(1, "2026-09-01", "2027-01-22"),
            term(1, "2027-02-20", "2027-07-01"),
        ];
        assert_eq!(new(twice, vec![]), Err(CalendarError::TermNumber));
        let monday = MakeUpDay {
            date: d("2026-10-12"),
            name: "x".into(),
        };
        let terms = vec![term(1, "2026-09-01", "2027-01-22")];
        assert_eq!(
            new(terms, vec![monday]),
            Err(CalendarError::WorkdayNotWeekend)
        );
    }

    #[test]
    fn day_kinds_name_holidays_and_make_up_days() {
        let c = sample();
        assert_eq!(c.day_kind(d("2026-09-01")), DayKind::SchoolDay);
        assert_eq!(c.day_kind(d("2026-10-05")), DayKind::Holiday("国庆节"));
        assert_eq!(c.day_kind(d("2026-10-10")), DayKind::MakeUp("国庆调休"));
        assert_eq!(c.day_kind(d("2026-10-11")), DayKind::Weekend);
        assert_eq!(c.day_kind(d("2027-07-20")), DayKind::OutOfTerm);
        // The kinds agree with `is_school_day` over the whole year.
        for day in d("2026-08-01").iter_days().take(400) {
            assert_eq!(
                c.day_kind(day).is_school_day(),
                c.is_school_day(day),
                "{day}"
            );
        }
        let counts: Vec<u32> = c.term_school_days().iter().map(|(_, n)| *n).collect();
        let first = c.school_days_between(d("2026-09-01"), d("2027-01-22"));
        let second = c.school_days_between(d("2027-02-22"), d("2027-07-02"));
        assert_eq!(counts, [first, second]);
        // 1 Sep 2026 .. 22 Jan 2027: 104 weekdays, less 5 weekdays of National Day week and New
        // Year's Day, plus the make-up Saturday.
        assert_eq!(first, 104 - 5 - 1 + 1);
    }

    #[test]
    fn calendars_are_set_by_the_bureau_and_by_principals_for_their_school() {
        use crate::Role;
        assert!(Role::Bureau.manages_region_calendars());
        assert!(!Role::Principal.manages_region_calendars());
        assert!(Role::Principal.edits_school_calendar());
        assert!(!Role::HeadTeacher.edits_school_calendar());
        assert!(!Role::CivilAffairs.edits_school_calendar());
    }

    #[test]
    fn term_keys_read_and_print() {
        let key = TermKey::parse("2026-2027-2").unwrap();
        assert_eq!(key.to_string(), "2026-2027-2");
        assert_eq!(key.label_zh(), "2026-2027学年第二学期");
        assert!(TermKey::parse("2026-2027-3").is_err());
        assert!(TermKey::parse("2026-2028-1").is_err());
        let json = serde_json::to_string(&sample()).unwrap();
        assert_eq!(serde_json::from_str::<Calendar>(&json).unwrap(), sample());
    }
}
