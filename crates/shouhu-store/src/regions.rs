//! The region tree (统计用区划代码): the shipped national table, village imports, and scoped reads.

use std::io::Read;

use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{RegionCode, RegionLevel};

use crate::connection::on_inner;
use crate::schema::regions;
use crate::{Conn, Scope, StoreError, StoreResult, audit};

/// NBS 2023 edition, province to township, as shipped in `../shared/fixtures/regions`.
const NATIONAL_TOWNSHIPS_GZ: &[u8] = include_bytes!("../seed/regions-township.csv.gz");
const INSERT_CHUNK: usize = 500;

#[derive(Clone, Debug, Queryable, Selectable, Insertable, Serialize, PartialEq, Eq)]
#[diesel(table_name = regions)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub urban_rural: Option<String>,
}

/// A row of the region CSV layout (`code,name,level,parent_code[,urban_rural]`), parsed and checked.
#[derive(Clone, Debug)]
pub struct RegionRow {
    pub code: RegionCode,
    pub name: String,
    pub level: RegionLevel,
    pub parent: Option<RegionCode>,
    pub urban_rural: Option<String>,
}

impl RegionRow {
    fn into_record(self) -> Region {
        Region {
            code: self.code.as_str().to_owned(),
            name: self.name,
            level: self.level.code().to_owned(),
            parent_code: self.parent.map(|p| p.as_str().to_owned()),
            urban_rural: self.urban_rural,
        }
    }
}

/// Reads the region CSV layout; the first bad line stops the read with its line number.
pub fn read_csv(input: impl Read) -> StoreResult<Vec<RegionRow>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| StoreError::Seed(format!("line {line}: {e}")))?;
        let field = |n: usize| record.get(n).map(str::trim).unwrap_or("");
        let bad = |what: &str| StoreError::Seed(format!("line {line}: {what}"));
        let code = RegionCode::parse(field(0)).map_err(|_| bad("code"))?;
        let level = RegionLevel::parse(field(2)).map_err(|_| bad("level"))?;
        let parent = match field(3) {
            "" => None,
            p => Some(RegionCode::parse(p).map_err(|_| bad("parent_code"))?),
        };
        if field(1).is_empty() {
            return Err(bad("name"));
        }
        let urban_rural = Some(field(4).to_owned()).filter(|s| !s.is_empty());
        rows.push(RegionRow {
            code,
            name: field(1).to_owned(),
            level,
            parent,
            urban_rural,
        });
    }
    Ok(rows)
}

/// The national province→township table shipped inside the binary, optionally one province only
/// (tests load a single province to keep each fresh database cheap).
pub fn national_table(province: Option<&str>) -> StoreResult<Vec<RegionRow>> {
    let mut csv = String::new();
    flate2::read::GzDecoder::new(NATIONAL_TOWNSHIPS_GZ)
        .read_to_string(&mut csv)
        .map_err(|e| StoreError::Seed(e.to_string()))?;
    let mut rows = read_csv(csv.as_bytes())?;
    if let Some(p) = province {
        rows.retain(|r| r.code.as_str().starts_with(p));
    }
    Ok(rows)
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub added: usize,
    pub renamed: usize,
    pub unchanged: usize,
}

/// Adds new regions, parents first, all or nothing. Known codes keep their names unless `rename`:
/// an older edition (the 2022 village file) must not undo the 2023 names of the shipped table.
pub fn upsert(
    conn: &mut Conn,
    scope: &Scope,
    mut rows: Vec<RegionRow>,
    rename: bool,
) -> StoreResult<ImportCounts> {
    scope.require(scope.role.manages_regions(), "region.manage")?;
    if let Some(outside) = rows.iter().find(|r| !scope.covers_region(&r.code)) {
        return Err(StoreError::Seed(format!(
            "{} is outside the caller's scope",
            outside.code
        )));
    }
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    conn.transaction(|conn| {
        let existing: std::collections::HashMap<String, String> = regions::table
            .select((regions::code, regions::name))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect();
        let mut counts = ImportCounts::default();
        let mut records = Vec::new();
        for row in rows {
            match existing.get(row.code.as_str()) {
                None => records.push(row.into_record()),
                Some(name) if rename && *name != row.name => {
                    diesel::update(regions::table.find(row.code.as_str()))
                        .set(regions::name.eq(&row.name))
                        .execute(conn)?;
                    counts.renamed += 1;
                }
                Some(_) => counts.unchanged += 1,
            }
        }
        counts.added = records.len();
        for chunk in records.chunks(INSERT_CHUNK) {
            let insert = diesel::insert_into(regions::table).values(chunk);
            on_inner!(conn, |c| insert.execute(c))?;
        }
        let detail = format!(
            "added={} renamed={} unchanged={}",
            counts.added, counts.renamed, counts.unchanged
        );
        audit::record(conn, scope, "region.import", "regions", &detail, None)?;
        Ok(counts)
    })
}

pub fn count(conn: &mut Conn) -> StoreResult<i64> {
    Ok(regions::table.count().get_result(conn)?)
}

/// One region, if it lies inside the caller's scope.
pub fn get(conn: &mut Conn, scope: &Scope, code: &RegionCode) -> StoreResult<Region> {
    if !scope.covers_region(code) {
        return Err(StoreError::NotFound);
    }
    regions::table
        .find(code.as_str())
        .select(Region::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// Children of `parent` (or the caller's own root when `parent` is `None`), inside scope.
pub fn children(
    conn: &mut Conn,
    scope: &Scope,
    parent: Option<&RegionCode>,
) -> StoreResult<Vec<Region>> {
    let query = regions::table
        .select(Region::as_select())
        .order(regions::code);
    match (parent, &scope.region) {
        (Some(p), _) => {
            if !scope.covers_region(p) {
                return Err(StoreError::NotFound);
            }
            Ok(query
                .filter(regions::parent_code.eq(p.as_str()))
                .load(conn)?)
        }
        (None, Some(root)) => Ok(query.filter(regions::code.eq(root.as_str())).load(conn)?),
        (None, None) => Ok(query.filter(regions::parent_code.is_null()).load(conn)?),
    }
}

/// The regions directly under `parent`, for pickers. Place names are public (the national
/// gazetteer), so no scope narrows them; what may be filed there is checked on save.
pub fn gazetteer_children(conn: &mut Conn, parent: &RegionCode) -> StoreResult<Vec<Region>> {
    Ok(regions::table
        .select(Region::as_select())
        .filter(regions::parent_code.eq(parent.as_str()))
        .order(regions::code)
        .load(conn)?)
}

/// A region's name from the gazetteer (public, like [`gazetteer_children`]).
pub fn gazetteer_name(conn: &mut Conn, code: &RegionCode) -> StoreResult<Option<String>> {
    Ok(regions::table
        .find(code.as_str())
        .select(regions::name)
        .first(conn)
        .optional()?)
}

/// The chain from the province down to `code`, for breadcrumbs; ancestors above the caller's root
/// are names only and are not links the caller can follow.
pub fn ancestry(conn: &mut Conn, code: &RegionCode) -> StoreResult<Vec<Region>> {
    let mut codes = vec![code.as_str().to_owned()];
    let mut cur = code.parent();
    while let Some(c) = cur {
        codes.push(c.as_str().to_owned());
        cur = c.parent();
    }
    Ok(regions::table
        .filter(regions::code.eq_any(codes))
        .select(Region::as_select())
        .order(regions::code)
        .load(conn)?)
}

pub struct NewRegion {
    pub code: RegionCode,
    pub name: String,
}

/// Adds one region under an existing parent inside the caller's scope.
pub fn create(conn: &mut Conn, scope: &Scope, new: NewRegion) -> StoreResult<Region> {
    scope.require(scope.role.manages_regions(), "region.manage")?;
    let parent = new
        .code
        .parent()
        .ok_or(StoreError::Forbidden("region.province"))?;
    if !scope.covers_region(&new.code) || scope.region.as_ref() == Some(&new.code) {
        return Err(StoreError::Forbidden("region.outside_scope"));
    }
    conn.transaction(|conn| {
        // Municipalities skip the county level (东莞 441900003000): climb until a parent exists.
        let mut parent = Some(parent);
        while let Some(p) = &parent {
            if regions::table
                .find(p.as_str())
                .count()
                .get_result::<i64>(conn)?
                > 0
            {
                break;
            }
            parent = p.parent();
        }
        let parent = parent.ok_or(StoreError::invalid("code", "region.no_parent"))?;
        let record = Region {
            code: new.code.as_str().to_owned(),
            name: new.name,
            level: new.code.level().code().to_owned(),
            parent_code: Some(parent.as_str().to_owned()),
            urban_rural: None,
        };
        let inserted = diesel::insert_into(regions::table)
            .values(&record)
            .execute(conn);
        crate::unique_violation(inserted, "code")?;
        audit::record(
            conn,
            scope,
            "region.create",
            record.code.as_str(),
            &record.name,
            Some(&new.code),
        )?;
        Ok(record)
    })
}

pub fn rename(
    conn: &mut Conn,
    scope: &Scope,
    code: &RegionCode,
    name: &str,
) -> StoreResult<Region> {
    scope.require(scope.role.manages_regions(), "region.manage")?;
    conn.transaction(|conn| {
        let mut region = get(conn, scope, code)?;
        diesel::update(regions::table.find(code.as_str()))
            .set(regions::name.eq(name))
            .execute(conn)?;
        audit::record(
            conn,
            scope,
            "region.update",
            code.as_str(),
            &format!("{} → {name}", region.name),
            Some(code),
        )?;
        region.name = name.to_owned();
        Ok(region)
    })
}

/// Removes a region that nothing hangs from yet (no sub-regions, schools or users).
pub fn delete(conn: &mut Conn, scope: &Scope, code: &RegionCode) -> StoreResult<()> {
    scope.require(scope.role.manages_regions(), "region.manage")?;
    use crate::schema::{schools, users};
    conn.transaction(|conn| {
        get(conn, scope, code)?;
        if scope.region.as_ref() == Some(code) {
            return Err(StoreError::Forbidden("region.outside_scope"));
        }
        let used = regions::table
            .filter(regions::parent_code.eq(code.as_str()))
            .count()
            .get_result::<i64>(conn)?
            + schools::table
                .filter(schools::region_code.eq(code.as_str()))
                .count()
                .get_result::<i64>(conn)?
            + users::table
                .filter(users::region_code.eq(code.as_str()))
                .count()
                .get_result::<i64>(conn)?;
        if used > 0 {
            return Err(StoreError::invalid("code", "region.in_use"));
        }
        diesel::delete(regions::table.find(code.as_str())).execute(conn)?;
        audit::record(conn, scope, "region.delete", code.as_str(), "", Some(code))?;
        Ok(())
    })
}

/// Townships and villages inside the caller's scope, where a school may be placed; at most
/// `limit + 1` rows, so a caller can tell "too many for a drop-down" from "all of them".
pub fn placements(conn: &mut Conn, scope: &Scope, limit: i64) -> StoreResult<Vec<Region>> {
    let (lo, hi) = scope.region_bounds();
    Ok(regions::table
        .select(Region::as_select())
        .filter(regions::code.between(lo, hi))
        .filter(regions::level.eq_any([RegionLevel::Township.code(), RegionLevel::Village.code()]))
        .order(regions::code)
        .limit(limit.saturating_add(1))
        .load(conn)?)
}

/// The names of those `codes` that lie inside the caller's scope, as (code, name) pairs.
pub fn names(
    conn: &mut Conn,
    scope: &Scope,
    codes: &[String],
) -> StoreResult<Vec<(String, String)>> {
    let (lo, hi) = scope.region_bounds();
    Ok(regions::table
        .filter(regions::code.eq_any(codes))
        .filter(regions::code.between(lo, hi))
        .select((regions::code, regions::name))
        .load(conn)?)
}

/// A child of a region with how much hangs from it: its own sub-regions, and the schools in its
/// subtree that the caller can see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildCount {
    pub region: Region,
    pub sub_regions: i64,
    pub schools: i64,
}

pub fn child_counts(
    conn: &mut Conn,
    scope: &Scope,
    parent: &RegionCode,
) -> StoreResult<Vec<ChildCount>> {
    use crate::schema::schools;
    let kids = children(conn, scope, Some(parent))?;
    let codes: Vec<&str> = kids.iter().map(|r| r.code.as_str()).collect();
    let subs: Vec<(Option<String>, i64)> = regions::table
        .filter(regions::parent_code.eq_any(&codes))
        .group_by(regions::parent_code)
        .select((regions::parent_code, diesel::dsl::count_star()))
        .load(conn)?;
    let (lo, hi) = parent.subtree_bounds();
    let mut query = schools::table
        .filter(schools::region_code.between(lo, hi))
        .select(schools::region_code)
        .into_boxed();
    if let Some(id) = scope.school {
        query = query.filter(schools::id.eq(id));
    }
    let school_places: Vec<String> = query.load(conn)?;
    Ok(kids
        .into_iter()
        .map(|kid| {
            let prefix = RegionCode::parse(&kid.code)
                .map(|c| c.prefix().to_owned())
                .unwrap_or_else(|_| kid.code.clone());
            ChildCount {
                sub_regions: subs
                    .iter()
                    .find(|(p, _)| p.as_deref() == Some(kid.code.as_str()))
                    .map_or(0, |(_, n)| *n),
                schools: school_places
                    .iter()
                    .filter(|c| c.starts_with(&prefix))
                    .count() as i64,
                region: kid,
            }
        })
        .collect())
}
