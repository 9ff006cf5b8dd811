//! 送教上门 totals: the periods (课时) taught at home per child, by term of the school's
//! calendar and for the school year, against the county's target (per term; twice that per
//! year). Counted from the plain `periods` of `home_teaching` care records, so no sealed body
//! is opened.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{EnrolmentState, RegionCode, Role, SchoolYear};

use super::settings::SettingsBook;
use crate::duties::CalendarBook;
use crate::schema::{care_records, children, enrolments, schools};
use crate::{Conn, Scope, StoreError, StoreResult, audit};

/// Where totals are asked for.
#[derive(Clone, Debug)]
pub enum TeachingNode {
    Region(RegionCode),
    School(i64),
}

/// One term's count for a child.
#[derive(Clone, Debug, Serialize)]
pub struct TermTotal {
    /// 1 (autumn) or 2 (spring).
    pub number: u8,
    pub sessions: i64,
    pub periods: i64,
    pub target: Option<i32>,
    pub met: bool,
}

/// One child's year: sessions (visits) and periods, by term and in all.
#[derive(Clone, Debug, Serialize)]
pub struct TeachingRow {
    pub child_id: i64,
    pub name: String,
    pub school: String,
    pub home_taught: bool,
    /// Term 1 and term 2 of the year.
    pub terms: Vec<TermTotal>,
    /// The whole school year (records outside both terms included).
    pub sessions: i64,
    pub periods: i64,
    /// The year's target: twice the county's per-term target.
    pub target: Option<i32>,
    pub met: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct TeachingTotals {
    pub year: String,
    pub rows: Vec<TeachingRow>,
}

fn first_day(year: SchoolYear) -> NaiveDate {
    NaiveDate::from_ymd_opt(year.start_year(), 9, 1).unwrap_or_default()
}

fn last_day(year: SchoolYear) -> NaiveDate {
    NaiveDate::from_ymd_opt(year.start_year() + 1, 8, 31).unwrap_or_default()
}

/// Children taught at home (`schooling = home_taught`) or with 送教上门 records in the year,
/// within `node` and the caller's reach; their totals by term and year. Audited.
pub fn teaching_totals(
    conn: &mut Conn,
    scope: &Scope,
    node: &TeachingNode,
    year: SchoolYear,
) -> StoreResult<TeachingTotals> {
    scope.require(scope.role != Role::Volunteer, "dropout.teaching")?;
    let (low, high, school) = match node {
        TeachingNode::Region(r) => {
            if !scope.covers_region(r) {
                return Err(StoreError::NotFound);
            }
            let (low, high) = r.subtree_bounds();
            (low, high, scope.school)
        }
        TeachingNode::School(id) => {
            let region: String = schools::table
                .find(id)
                .select(schools::region_code)
                .first(conn)
                .optional()?
                .ok_or(StoreError::NotFound)?;
            let code = RegionCode::parse(&region).map_err(|_| StoreError::NotFound)?;
            if !scope.covers_school(*id, &code) {
                return Err(StoreError::NotFound);
            }
            let (low, high) = scope.region_bounds();
            (low, high, Some(*id))
        }
    };
    let (from, to) = (first_day(year).to_string(), last_day(year).to_string());

    // Children with records in the year.
    let mut with_records = care_records::table
        .inner_join(children::table)
        .filter(care_records::kind.eq("home_teaching"))
        .filter(care_records::deleted_at.is_null())
        .filter(care_records::record_date.between(from.clone(), to.clone()))
        .filter(children::school_region.between(low.clone(), high.clone()))
        .select(children::id)
        .distinct()
        .into_boxed();
    // Taught at home by the child's file, or by a 送教上门 decision in the replayed state.
    let decided = enrolments::table
        .filter(enrolments::state.eq(EnrolmentState::HomeTaught.code()))
        .select(enrolments::child_id);
    let mut home_taught = children::table
        .filter(
            children::schooling
                .eq("home_taught")
                .or(children::id.eq_any(decided)),
        )
        .filter(children::school_region.between(low, high))
        .select(children::id)
        .into_boxed();
    if let Some(s) = school {
        with_records = with_records.filter(children::school_id.eq(s));
        home_taught = home_taught.filter(children::school_id.eq(s));
    }
    if let Some(classes) = &scope.classes {
        with_records = with_records.filter(children::class_id.eq_any(classes.clone()));
        home_taught = home_taught.filter(children::class_id.eq_any(classes.clone()));
    }
    let mut ids: Vec<i64> = with_records.load(conn)?;
    ids.extend(home_taught.load::<i64>(conn)?);
    ids.sort_unstable();
    ids.dedup();

    let mut kids: Vec<(i64, String, i64, String, String, String)> = Vec::new();
    for chunk in ids.chunks(500) {
        kids.extend(
            children::table
                .inner_join(schools::table)
                .filter(children::id.eq_any(chunk))
                .select((
                    children::id,
                    children::name,
                    children::school_id,
                    children::school_region,
                    schools::name,
                    children::schooling,
                ))
                .load::<(i64, String, i64, String, String, String)>(conn)?,
        );
    }
    let mut records: HashMap<i64, Vec<(String, Option<i32>)>> = HashMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String, Option<i32>)> = care_records::table
            .filter(care_records::child_id.eq_any(chunk))
            .filter(care_records::kind.eq("home_teaching"))
            .filter(care_records::deleted_at.is_null())
            .filter(care_records::record_date.between(from.clone(), to.clone()))
            .select((
                care_records::child_id,
                care_records::record_date,
                care_records::periods,
            ))
            .load(conn)?;
        for (child, day, periods) in rows {
            records.entry(child).or_default().push((day, periods));
        }
    }

    let book = CalendarBook::load(conn, year.start_year(), year.start_year())?;
    let settings = SettingsBook::load(conn)?;
    let mut out = Vec::with_capacity(kids.len());
    for (id, name, school_id, school_region, school_name, schooling) in kids {
        let calendars = book.for_school(school_id, &school_region);
        let target = settings.at(&school_region).teaching_target;
        let mut by_term: BTreeMap<u8, (i64, i64)> = BTreeMap::new();
        let (mut sessions, mut periods) = (0_i64, 0_i64);
        for (day, p) in records.get(&id).into_iter().flatten() {
            let p = i64::from(p.unwrap_or(0));
            sessions += 1;
            periods += p;
            if let Some((key, _)) = day
                .parse::<NaiveDate>()
                .ok()
                .and_then(|d| calendars.term_of(d))
                && key.school_year == year
            {
                let e = by_term.entry(key.number).or_default();
                e.0 += 1;
                e.1 += p;
            }
        }
        let terms = [1_u8, 2]
            .into_iter()
            .map(|n| {
                let (s, p) = by_term.get(&n).copied().unwrap_or_default();
                TermTotal {
                    number: n,
                    sessions: s,
                    periods: p,
                    target,
                    met: target.is_some_and(|t| p >= i64::from(t)),
                }
            })
            .collect();
        let year_target = target.map(|t| t * 2);
        out.push(TeachingRow {
            child_id: id,
            name,
            school: school_name,
            home_taught: schooling == "home_taught",
            terms,
            sessions,
            periods,
            target: year_target,
            met: year_target.is_some_and(|t| periods >= i64::from(t)),
        });
    }
    out.sort_by(|a, b| a.school.cmp(&b.school).then(a.name.cmp(&b.name)));
    let region = match node {
        TeachingNode::Region(r) => Some(r.clone()),
        TeachingNode::School(_) => None,
    };
    audit::record(
        conn,
        scope,
        "dropout.teaching",
        &match node {
            TeachingNode::Region(r) => r.as_str().to_owned(),
            TeachingNode::School(id) => format!("school:{id}"),
        },
        &format!("{year} {} 人", out.len()),
        region.as_ref(),
    )?;
    Ok(TeachingTotals {
        year: year.to_string(),
        rows: out,
    })
}
