//! The month grid of a school year: one small table per month, Monday first, each day marked
//! as a school day, make-up day, holiday, weekend or outside term, for the screen and for print.

use chrono::{Datelike, Months, NaiveDate};
use shouhu_domain::{Calendar, DayKind};

/// One cell of a month's table.
#[derive(Debug)]
pub struct DayCell {
    /// Day of the month; 0 for the blanks before the 1st and after the last day.
    pub day: u32,
    /// CSS class: `school`, `makeup`, `holiday`, `weekend`, `out` or `blank`.
    pub class: &'static str,
    /// The holiday's or make-up day's name, for the cell's tooltip and print.
    pub note: String,
}

#[derive(Debug)]
pub struct Month {
    /// `2026-09`, the same in every language.
    pub label: String,
    pub weeks: Vec<Vec<DayCell>>,
    /// School days in the month.
    pub school_days: u32,
}

fn cell(calendar: &Calendar, date: NaiveDate) -> DayCell {
    let (class, note) = match calendar.day_kind(date) {
        DayKind::SchoolDay => ("school", String::new()),
        DayKind::MakeUp(name) => ("makeup", name.to_owned()),
        DayKind::Holiday(name) => ("holiday", name.to_owned()),
        DayKind::Weekend => ("weekend", String::new()),
        DayKind::OutOfTerm => ("out", String::new()),
    };
    DayCell {
        day: date.day(),
        class,
        note,
    }
}

fn blank() -> DayCell {
    DayCell {
        day: 0,
        class: "blank",
        note: String::new(),
    }
}

/// The months from the first term's start to the last term's end (September to July for most
/// calendars).
pub fn months(calendar: &Calendar) -> Vec<Month> {
    let (Some(first), Some(last)) = (calendar.terms.first(), calendar.terms.last()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut month_start = first.start.with_day(1).unwrap_or(first.start);
    while month_start <= last.end {
        let next = month_start
            .checked_add_months(Months::new(1))
            .unwrap_or(NaiveDate::MAX);
        let mut weeks: Vec<Vec<DayCell>> = Vec::new();
        let mut week: Vec<DayCell> = (0..month_start.weekday().num_days_from_monday())
            .map(|_| blank())
            .collect();
        let mut school_days = 0;
        for date in month_start.iter_days().take_while(|d| *d < next) {
            let c = cell(calendar, date);
            if matches!(c.class, "school" | "makeup") {
                school_days += 1;
            }
            week.push(c);
            if week.len() == 7 {
                weeks.push(std::mem::take(&mut week));
            }
        }
        if !week.is_empty() {
            week.resize_with(7, blank);
            weeks.push(week);
        }
        out.push(Month {
            label: month_start.format("%Y-%m").to_string(),
            weeks,
            school_days,
        });
        month_start = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use shouhu_domain::SchoolYear;

    #[test]
    fn the_fallback_year_runs_september_to_july_in_whole_weeks() {
        let calendar = Calendar::fallback(SchoolYear::new(2026));
        let months = months(&calendar);
        let labels: Vec<&str> = months.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(labels.first(), Some(&"2026-09"));
        assert_eq!(labels.last(), Some(&"2027-07"));
        assert_eq!(months.len(), 11);
        // 1 September 2026 is a Tuesday: one blank, then the 1st, a school day.
        let first = &months[0].weeks[0];
        assert_eq!(
            (first[0].class, first[1].day, first[1].class),
            ("blank", 1, "school")
        );
        assert!(months.iter().all(|m| m.weeks.iter().all(|w| w.len() == 7)));
        let total: u32 = months.iter().map(|m| m.school_days).sum();
        let by_term: u32 = calendar.term_school_days().iter().map(|(_, n)| n).sum();
        assert_eq!(total, by_term);
    }
}
