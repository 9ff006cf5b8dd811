//! Schools, each hanging from a township or village of the region tree.

use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{PhoneNo, RegionCode, SchoolKind};

use crate::connection::on_inner;
use crate::schema::{classes, regions, schools, users};
use crate::{Conn, Scope, StoreError, StoreResult, audit, clock};

#[derive(Clone, Debug, Queryable, Selectable, Serialize, PartialEq, Eq)]
#[diesel(table_name = schools)]
pub struct School {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub region_code: String,
    pub kind: String,
    pub boarding: bool,
    pub hotline: Option<String>,
    pub address: Option<String>,
    pub version: i32,
    pub created_at: i64,
    pub updated_at: i64,
}

impl School {
    pub fn region(&self) -> StoreResult<RegionCode> {
        RegionCode::parse(&self.region_code).map_err(|_| StoreError::Seed(self.region_code.clone()))
    }
}

/// A school's editable fields, already parsed.
#[derive(Clone, Debug)]
pub struct SchoolInput {
    pub code: String,
    pub name: String,
    pub region: RegionCode,
    pub kind: SchoolKind,
    pub boarding: bool,
    pub hotline: Option<PhoneNo>,
    pub address: Option<String>,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = schools, treat_none_as_null = true)]
struct SchoolRow<'a> {
    code: &'a str,
    name: &'a str,
    region_code: &'a str,
    kind: &'a str,
    boarding: bool,
    hotline: Option<&'a str>,
    address: Option<&'a str>,
}

impl<'a> From<&'a SchoolInput> for SchoolRow<'a> {
    fn from(i: &'a SchoolInput) -> Self {
        Self {
            code: &i.code,
            name: &i.name,
            region_code: i.region.as_str(),
            kind: i.kind.code(),
            boarding: i.boarding,
            hotline: i.hotline.as_ref().map(PhoneNo::as_str),
            address: i.address.as_deref(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct SchoolFilter {
    /// Only schools under this region (must itself be inside scope).
    pub region: Option<RegionCode>,
    pub name_contains: Option<String>,
}

pub fn list(conn: &mut Conn, scope: &Scope, filter: &SchoolFilter) -> StoreResult<Vec<School>> {
    let (lo, hi) = scope.region_bounds();
    let mut query = schools::table
        .select(School::as_select())
        .filter(schools::region_code.between(lo, hi))
        .into_boxed();
    if let Some(id) = scope.school {
        query = query.filter(schools::id.eq(id));
    }
    if let Some(region) = &filter.region {
        let (lo, hi) = region.subtree_bounds();
        query = query.filter(schools::region_code.between(lo, hi));
    }
    if let Some(name) = filter.name_contains.as_deref().filter(|n| !n.is_empty()) {
        query = query.filter(schools::name.like(format!("%{}%", name.replace(['%', '_'], ""))));
    }
    Ok(query
        .order((schools::region_code, schools::code))
        .load(conn)?)
}

/// The school with this 学校标识码, anywhere in the country: codes are public, and a transfer
/// may go to a school outside the caller's scope.
pub fn id_by_code(conn: &mut Conn, code: &str) -> StoreResult<Option<i64>> {
    Ok(schools::table
        .filter(schools::code.eq(code.trim()))
        .select(schools::id)
        .first(conn)
        .optional()?)
}

/// A school's name, whatever the caller's scope (names are public; a transfer names its target).
pub fn public_name(conn: &mut Conn, id: i64) -> StoreResult<String> {
    Ok(schools::table.find(id).select(schools::name).first(conn)?)
}

pub fn get(conn: &mut Conn, scope: &Scope, id: i64) -> StoreResult<School> {
    let school: School = schools::table
        .find(id)
        .select(School::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)?;
    if scope.covers_school(school.id, &school.region()?) {
        Ok(school)
    } else {
        Err(StoreError::NotFound)
    }
}

fn check_placement(conn: &mut Conn, scope: &Scope, input: &SchoolInput) -> StoreResult<()> {
    if !scope.covers_region(&input.region) {
        return Err(StoreError::Forbidden("school.outside_scope"));
    }
    let exists: i64 = regions::table
        .find(input.region.as_str())
        .count()
        .get_result(conn)?;
    if exists == 0 {
        return Err(StoreError::invalid("region", "region.unknown"));
    }
    Ok(())
}

pub fn create(conn: &mut Conn, scope: &Scope, input: &SchoolInput) -> StoreResult<School> {
    scope.require(scope.role.manages_schools(), "school.create")?;
    if scope.school.is_some() {
        return Err(StoreError::Forbidden("school.create"));
    }
    conn.transaction(|conn| {
        check_placement(conn, scope, input)?;
        let now = clock::now_ms();
        let insert = diesel::insert_into(schools::table)
            .values((
                SchoolRow::from(input),
                schools::created_at.eq(now),
                schools::updated_at.eq(now),
            ))
            .returning(schools::all_columns);
        let inserted = on_inner!(conn, |c| insert.get_result::<School>(c));
        let school = crate::unique_violation(inserted, "code")?;
        audit::record(
            conn,
            scope,
            "school.create",
            &school.id.to_string(),
            &school.name,
            Some(&input.region),
        )?;
        Ok(school)
    })
}

/// Saves `input` over the school if nobody changed it since `version` was read.
pub fn update(
    conn: &mut Conn,
    scope: &Scope,
    id: i64,
    version: i32,
    input: &SchoolInput,
) -> StoreResult<School> {
    scope.require(scope.role.edits_school(), "school.edit")?;
    conn.transaction(|conn| {
        let current = get(conn, scope, id)?;
        check_placement(conn, scope, input)?;
        if current.version != version {
            return Err(StoreError::Conflict {
                expected: version,
                current: current.version,
            });
        }
        let update = diesel::update(schools::table.find(id).filter(schools::version.eq(version)))
            .set((
                SchoolRow::from(input),
                schools::version.eq(version + 1),
                schools::updated_at.eq(clock::now_ms()),
            ))
            .returning(schools::all_columns);
        let updated = on_inner!(conn, |c| update.get_result::<School>(c));
        let school = crate::unique_violation(updated, "code")?;
        audit::record(
            conn,
            scope,
            "school.update",
            &id.to_string(),
            &school.name,
            Some(&input.region),
        )?;
        Ok(school)
    })
}

/// Removes a school that has no classes and no staff yet.
pub fn delete(conn: &mut Conn, scope: &Scope, id: i64) -> StoreResult<()> {
    scope.require(scope.role.manages_schools(), "school.delete")?;
    conn.transaction(|conn| {
        let school = get(conn, scope, id)?;
        if scope.school.is_some() {
            return Err(StoreError::Forbidden("school.delete"));
        }
        let used = classes::table
            .filter(classes::school_id.eq(id))
            .count()
            .get_result::<i64>(conn)?
            + users::table
                .filter(users::school_id.eq(id))
                .count()
                .get_result::<i64>(conn)?;
        if used > 0 {
            return Err(StoreError::invalid("id", "school.in_use"));
        }
        diesel::delete(schools::table.find(id)).execute(conn)?;
        audit::record(
            conn,
            scope,
            "school.delete",
            &id.to_string(),
            &school.name,
            Some(&school.region()?),
        )?;
        Ok(())
    })
}
