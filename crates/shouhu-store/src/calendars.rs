//! School calendars (校历): one per owner and school year, the owner a region (normally the
//! county) or a school whose own calendar replaces the region's. Reads and writes are scoped;
//! [`effective_for_school`] is the one unscoped read, for the duty engine and attendance, which
//! need the calendar in force for a school whoever is asking.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{Calendar, RegionCode, SchoolYear, TermKey};

use crate::connection::on_inner;
use crate::schema::{calendars, regions, schools};
use crate::{Conn, Scope, StoreError, StoreResult, audit, clock, duties, schools as school_repo};

/// Whose calendar it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    Region(RegionCode),
    School(i64),
}

impl Owner {
    /// `region:520502000000` or `school:17`, as the audit log names it.
    fn target(&self, year: SchoolYear) -> String {
        match self {
            Owner::Region(code) => format!("region:{code}:{year}"),
            Owner::School(id) => format!("school:{id}:{year}"),
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = calendars)]
struct Row {
    id: i64,
    region_code: Option<String>,
    school_id: Option<i64>,
    school_year: i32,
    body: String,
    version: i32,
    updated_by: String,
    updated_at: i64,
}

/// A calendar as stored, with who saved it last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stored {
    pub id: i64,
    /// The region's 12-digit code, for a region's calendar.
    pub region_code: Option<String>,
    /// The school, for a school's own calendar.
    pub school_id: Option<i64>,
    pub calendar: Calendar,
    pub version: i32,
    pub updated_by: String,
    pub updated_at: i64,
}

impl Row {
    fn into_stored(self) -> StoreResult<Stored> {
        let calendar: Calendar = serde_json::from_str(&self.body)
            .map_err(|e| StoreError::Internal(format!("calendar {}: {e}", self.id)))?;
        if calendar.school_year.start_year() != self.school_year {
            return Err(StoreError::Internal(format!(
                "calendar {}: body is for {}",
                self.id, calendar.school_year
            )));
        }
        Ok(Stored {
            id: self.id,
            region_code: self.region_code,
            school_id: self.school_id,
            calendar,
            version: self.version,
            updated_by: self.updated_by,
            updated_at: self.updated_at,
        })
    }
}

/// Where the calendar in force for a school comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "region_code", rename_all = "snake_case")]
pub enum Source {
    /// The school's own calendar.
    School,
    /// The calendar of this region (the nearest of the school's ancestors that has one).
    Region(String),
    /// No calendar anywhere above: [`Calendar::fallback`]. Pages warn about it.
    Fallback,
}

/// The calendar in force, and where it comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effective {
    pub calendar: Calendar,
    pub source: Source,
}

/// A region and every region above it, nearest first (a village, its township, county, city,
/// province).
pub(crate) fn ancestry(code: &RegionCode) -> Vec<String> {
    let mut chain = vec![code.as_str().to_owned()];
    let mut at = code.clone();
    while let Some(parent) = at.parent() {
        chain.push(parent.as_str().to_owned());
        at = parent;
    }
    chain
}

/// The nearest of `chain` (nearest first) that has a row among `rows`.
fn nearest(chain: &[String], rows: Vec<Row>) -> StoreResult<Option<(String, Stored)>> {
    let mut best: Option<(usize, Row)> = None;
    for row in rows {
        let rank = row
            .region_code
            .as_ref()
            .and_then(|c| chain.iter().position(|a| a == c));
        if let Some(rank) = rank
            && best.as_ref().is_none_or(|(b, _)| rank < *b)
        {
            best = Some((rank, row));
        }
    }
    best.map(|(rank, row)| Ok((chain[rank].clone(), row.into_stored()?)))
        .transpose()
}

fn resolve(chain: &[String], school_year: SchoolYear, rows: Vec<Row>) -> StoreResult<Effective> {
    let (own, regional): (Vec<Row>, Vec<Row>) =
        rows.into_iter().partition(|r| r.school_id.is_some());
    if let Some(row) = own.into_iter().next() {
        return Ok(Effective {
            calendar: row.into_stored()?.calendar,
            source: Source::School,
        });
    }
    Ok(match nearest(chain, regional)? {
        Some((code, stored)) => Effective {
            calendar: stored.calendar,
            source: Source::Region(code),
        },
        None => Effective {
            calendar: Calendar::fallback(school_year),
            source: Source::Fallback,
        },
    })
}

/// The calendar in force for a school: its own, else the nearest region's above it, else the
/// fallback. Unscoped, for the server's own work (duties, attendance); two queries.
pub fn effective_for_school(
    conn: &mut Conn,
    school_id: i64,
    school_year: SchoolYear,
) -> StoreResult<Effective> {
    let region: String = schools::table
        .find(school_id)
        .select(schools::region_code)
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let code = RegionCode::parse(&region).map_err(|_| StoreError::Seed(region.clone()))?;
    let chain = ancestry(&code);
    let rows: Vec<Row> = calendars::table
        .filter(calendars::school_year.eq(school_year.start_year()))
        .filter(
            calendars::school_id.eq(school_id).or(calendars::school_id
                .is_null()
                .and(calendars::region_code.eq_any(&chain))),
        )
        .select(Row::as_select())
        .load(conn)?;
    resolve(&chain, school_year, rows)
}

/// The term a help plan written at `school_id` on `date` belongs to, by the calendar in force.
pub fn plan_term(conn: &mut Conn, school_id: i64, date: NaiveDate) -> StoreResult<TermKey> {
    let year = SchoolYear::containing(date);
    Ok(effective_for_school(conn, school_id, year)?
        .calendar
        .plan_term(date))
}

/// The calendar in force for a region: its own, else the nearest above it, else the fallback.
/// Unscoped like [`effective_for_school`]: calendars are public notices.
pub fn effective_for_region(
    conn: &mut Conn,
    region: &RegionCode,
    school_year: SchoolYear,
) -> StoreResult<Effective> {
    let chain = ancestry(region);
    let rows: Vec<Row> = calendars::table
        .filter(calendars::school_year.eq(school_year.start_year()))
        .filter(calendars::school_id.is_null())
        .filter(calendars::region_code.eq_any(&chain))
        .select(Row::as_select())
        .load(conn)?;
    resolve(&chain, school_year, rows)
}

/// A region's calendar may be read by anyone whose reach lies inside it or who reaches it: a
/// principal reads the county's calendar their school follows.
fn may_read_region(scope: &Scope, code: &RegionCode) -> bool {
    scope.covers_region(code)
        || scope
            .region
            .as_ref()
            .is_some_and(|root| code.contains(root))
}

fn row_of(conn: &mut Conn, owner: &Owner, school_year: SchoolYear) -> StoreResult<Option<Stored>> {
    let query = calendars::table
        .filter(calendars::school_year.eq(school_year.start_year()))
        .select(Row::as_select())
        .into_boxed();
    let query = match owner {
        Owner::Region(code) => query
            .filter(calendars::school_id.is_null())
            .filter(calendars::region_code.eq(code.as_str().to_owned())),
        Owner::School(id) => query.filter(calendars::school_id.eq(*id)),
    };
    query
        .first::<Row>(conn)
        .optional()?
        .map(Row::into_stored)
        .transpose()
}

/// Checks the owner is in the caller's reach for reading; a school outside it is not found.
fn check_read(conn: &mut Conn, scope: &Scope, owner: &Owner) -> StoreResult<()> {
    match owner {
        Owner::Region(code) if may_read_region(scope, code) => Ok(()),
        Owner::Region(_) => Err(StoreError::NotFound),
        Owner::School(id) => school_repo::get(conn, scope, *id).map(|_| ()),
    }
}

/// The calendar stored for `owner` and `school_year`, if any (not the one in force: see the
/// `effective_*` functions).
pub fn get(
    conn: &mut Conn,
    scope: &Scope,
    owner: &Owner,
    school_year: SchoolYear,
) -> StoreResult<Option<Stored>> {
    check_read(conn, scope, owner)?;
    row_of(conn, owner, school_year)
}

/// One stored calendar as a list shows it, without its body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Listed {
    pub region_code: Option<String>,
    pub school_id: Option<i64>,
    pub school_year: i32,
    pub version: i32,
    pub updated_by: String,
    pub updated_at: i64,
}

/// The calendars of `school_year` the caller may read: the regions above and inside their
/// reach, and the own calendars of schools in it; regions first, by code.
pub fn list(conn: &mut Conn, scope: &Scope, school_year: SchoolYear) -> StoreResult<Vec<Listed>> {
    let (lo, hi) = scope.region_bounds();
    let above = scope.region.as_ref().map(ancestry).unwrap_or_default();
    let regional = || {
        calendars::school_id.is_null().and(
            calendars::region_code
                .between(lo.clone(), hi.clone())
                .or(calendars::region_code.eq_any(above.clone())),
        )
    };
    let query = calendars::table
        .filter(calendars::school_year.eq(school_year.start_year()))
        .select((
            calendars::region_code,
            calendars::school_id,
            calendars::school_year,
            calendars::version,
            calendars::updated_by,
            calendars::updated_at,
        ))
        .into_boxed();
    let query = match scope.school {
        Some(id) => query.filter(regional().or(calendars::school_id.eq(id))),
        None => {
            let in_reach = schools::table
                .filter(schools::region_code.between(lo.clone(), hi.clone()))
                .select(schools::id.nullable());
            query.filter(regional().or(calendars::school_id.eq_any(in_reach)))
        }
    };
    let rows = query.load::<(Option<String>, Option<i64>, i32, i32, String, i64)>(conn)?;
    let mut listed: Vec<Listed> = rows
        .into_iter()
        .map(
            |(region_code, school_id, school_year, version, updated_by, updated_at)| Listed {
                region_code,
                school_id,
                school_year,
                version,
                updated_by,
                updated_at,
            },
        )
        .collect();
    // NULLs sort first on SQLite and last on PostgreSQL: order here, once, for both.
    listed.sort_by(|a, b| {
        (a.school_id.is_some(), &a.region_code, a.school_id).cmp(&(
            b.school_id.is_some(),
            &b.region_code,
            b.school_id,
        ))
    });
    Ok(listed)
}

/// For each school in the caller's reach (optionally under `region`), where its calendar for
/// `school_year` comes from; two queries however many schools.
pub fn sources_in_reach(
    conn: &mut Conn,
    scope: &Scope,
    school_year: SchoolYear,
) -> StoreResult<Vec<(school_repo::School, Source)>> {
    let list = school_repo::list(conn, scope, &school_repo::SchoolFilter::default())?;
    let ids: Vec<i64> = list.iter().map(|s| s.id).collect();
    let mut codes: Vec<String> = Vec::new();
    for school in &list {
        codes.extend(ancestry(&school.region()?));
    }
    codes.sort();
    codes.dedup();
    let owners = calendars::table
        .filter(calendars::school_year.eq(school_year.start_year()))
        .filter(
            calendars::school_id.eq_any(&ids).or(calendars::school_id
                .is_null()
                .and(calendars::region_code.eq_any(&codes))),
        )
        .select((calendars::region_code, calendars::school_id))
        .load::<(Option<String>, Option<i64>)>(conn)?;
    list.into_iter()
        .map(|school| {
            let source = if owners.iter().any(|(_, s)| *s == Some(school.id)) {
                Source::School
            } else {
                ancestry(&school.region()?)
                    .into_iter()
                    .find(|code| {
                        owners
                            .iter()
                            .any(|(r, s)| s.is_none() && r.as_deref() == Some(code.as_str()))
                    })
                    .map_or(Source::Fallback, Source::Region)
            };
            Ok((school, source))
        })
        .collect()
}

/// Checks the caller may write `owner`'s calendar and that it exists.
fn check_write(conn: &mut Conn, scope: &Scope, owner: &Owner) -> StoreResult<()> {
    match owner {
        Owner::Region(code) => {
            scope.require(scope.role.manages_region_calendars(), "calendar.edit")?;
            if !scope.covers_region(code) {
                return Err(StoreError::Forbidden("calendar.outside_scope"));
            }
            let known: i64 = regions::table
                .find(code.as_str())
                .count()
                .get_result(conn)?;
            if known == 0 {
                return Err(StoreError::invalid("region", "region.unknown"));
            }
            Ok(())
        }
        Owner::School(id) => {
            scope.require(scope.role.edits_school_calendar(), "calendar.edit_school")?;
            school_repo::get(conn, scope, *id).map(|_| ())
        }
    }
}

/// Saves `calendar` for `owner`: a new one when `expected_version` is `None`, else over the
/// stored one if nobody saved it since that version was read. A stale or missing version is a
/// `Conflict` (current 0 when there is none stored).
pub fn save(
    conn: &mut Conn,
    scope: &Scope,
    owner: &Owner,
    calendar: &Calendar,
    expected_version: Option<i32>,
) -> StoreResult<Stored> {
    let year = calendar.school_year;
    let body = serde_json::to_string(calendar)
        .map_err(|e| StoreError::Internal(format!("calendar body: {e}")))?;
    conn.transaction(|conn| {
        check_write(conn, scope, owner)?;
        let current = row_of(conn, owner, year)?;
        let now = clock::now_ms();
        let stored_version = current.as_ref().map_or(0, |c| c.version);
        if expected_version.unwrap_or(0) != stored_version {
            return Err(StoreError::Conflict {
                expected: expected_version.unwrap_or(0),
                current: stored_version,
            });
        }
        let saved: Row = match current {
            Some(current) => {
                let update = diesel::update(
                    calendars::table
                        .find(current.id)
                        .filter(calendars::version.eq(current.version)),
                )
                .set((
                    calendars::body.eq(&body),
                    calendars::version.eq(current.version + 1),
                    calendars::updated_by.eq(scope.actor.name()),
                    calendars::updated_at.eq(now),
                ))
                .returning(calendars::all_columns);
                on_inner!(conn, |c| update.get_result::<Row>(c))?
            }
            None => {
                let (region_code, school_id) = match owner {
                    Owner::Region(code) => (Some(code.as_str().to_owned()), None),
                    Owner::School(id) => (None, Some(*id)),
                };
                let insert = diesel::insert_into(calendars::table)
                    .values((
                        calendars::region_code.eq(region_code),
                        calendars::school_id.eq(school_id),
                        calendars::school_year.eq(year.start_year()),
                        calendars::body.eq(&body),
                        calendars::version.eq(1),
                        calendars::updated_by.eq(scope.actor.name()),
                        calendars::updated_at.eq(now),
                    ))
                    .returning(calendars::all_columns);
                // Two first saves at once: the unique index lets one through; the other is
                // as stale as if it had read before the first.
                match crate::unique_violation(
                    on_inner!(conn, |c| insert.get_result::<Row>(c)),
                    "owner",
                ) {
                    Err(StoreError::Duplicate { .. }) => {
                        return Err(StoreError::Conflict {
                            expected: 0,
                            current: 1,
                        });
                    }
                    other => other?,
                }
            }
        };
        let stored = saved.into_stored()?;
        record_change(conn, scope, owner, year, "calendar.save")?;
        Ok(stored)
    })
}

/// The audit event and the duty hook of a saved or removed calendar.
fn record_change(
    conn: &mut Conn,
    scope: &Scope,
    owner: &Owner,
    year: SchoolYear,
    kind: &str,
) -> StoreResult<()> {
    let (region, school_id) = match owner {
        Owner::Region(code) => (Some(code.clone()), None),
        Owner::School(id) => {
            let school = school_repo::get(conn, scope, *id)?;
            (Some(school.region()?), Some(*id))
        }
    };
    let detail = year.to_string();
    audit::record(
        conn,
        scope,
        kind,
        &owner.target(year),
        &detail,
        region.as_ref(),
    )?;
    let region_code = match owner {
        Owner::Region(code) => Some(code.as_str()),
        Owner::School(_) => None,
    };
    duties::calendar_changed(conn, region_code, school_id, year.start_year())
}

/// Removes a school's own calendar for `school_year`: the region's applies again.
pub fn delete_override(
    conn: &mut Conn,
    scope: &Scope,
    school_id: i64,
    school_year: SchoolYear,
) -> StoreResult<()> {
    let owner = Owner::School(school_id);
    conn.transaction(|conn| {
        check_write(conn, scope, &owner)?;
        let removed = diesel::delete(
            calendars::table
                .filter(calendars::school_id.eq(school_id))
                .filter(calendars::school_year.eq(school_year.start_year())),
        )
        .execute(conn)?;
        if removed == 0 {
            return Err(StoreError::NotFound);
        }
        record_change(conn, scope, &owner, school_year, "calendar.delete")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rc(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn ancestry_runs_from_the_place_to_the_province() {
        assert_eq!(
            ancestry(&rc("520502101205")),
            [
                "520502101205",
                "520502101000",
                "520502000000",
                "520500000000",
                "520000000000"
            ]
        );
        assert_eq!(ancestry(&rc("520000")), ["520000000000"]);
    }
}
