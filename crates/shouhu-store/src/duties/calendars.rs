//! The calendars the duty engine needs, read once for a whole run: every stored calendar of the
//! school years in question, resolved per school in memory (the school's own, else the nearest
//! region above it, else the fallback), so a run over ten thousand schools makes one query.

use std::collections::HashMap;

use diesel::prelude::*;
use shouhu_domain::{Calendar, Calendars, RegionCode, SchoolYear};

use crate::schema::calendars;
use crate::{Conn, StoreError, StoreResult};

#[derive(Default)]
pub(crate) struct CalendarBook {
    years: Vec<SchoolYear>,
    by_school: HashMap<i64, Vec<Calendar>>,
    by_region: HashMap<String, Vec<Calendar>>,
}

impl CalendarBook {
    /// Every calendar of school years `first..=last`.
    pub(crate) fn load(conn: &mut Conn, first: i32, last: i32) -> StoreResult<CalendarBook> {
        let rows: Vec<(Option<String>, Option<i64>, String)> = calendars::table
            .filter(calendars::school_year.between(first, last))
            .select((
                calendars::region_code,
                calendars::school_id,
                calendars::body,
            ))
            .load(conn)?;
        let mut book = CalendarBook {
            years: (first..=last).map(SchoolYear::new).collect(),
            ..CalendarBook::default()
        };
        for (region, school, body) in rows {
            let calendar: Calendar = serde_json::from_str(&body)
                .map_err(|e| StoreError::Internal(format!("stored calendar: {e}")))?;
            match (school, region) {
                (Some(school), _) => book.by_school.entry(school).or_default().push(calendar),
                (None, Some(region)) => book.by_region.entry(region).or_default().push(calendar),
                (None, None) => {}
            }
        }
        Ok(book)
    }

    /// The calendars in force at a school, year by year.
    pub(crate) fn for_school(&self, school_id: i64, region: &str) -> Calendars {
        // Years without a stored calendar get the fallback once here, not on every day asked.
        let mut set = Calendars::new(self.years.iter().map(|y| Calendar::fallback(*y)));
        let chain = RegionCode::parse(region)
            .map(|c| crate::calendars::ancestry(&c))
            .unwrap_or_default();
        // Farthest first, so nearer regions and then the school's own replace them.
        for region in chain.iter().rev() {
            for calendar in self.by_region.get(region).into_iter().flatten() {
                set.insert(calendar.clone());
            }
        }
        for calendar in self.by_school.get(&school_id).into_iter().flatten() {
            set.insert(calendar.clone());
        }
        set
    }
}
