//! Compliance for any node of the tree and any period: duties due in it by status, per rule and
//! per part of the node (the next region level down, or the schools of a township).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{Compliance, DutyStatus, RegionCode, RegionLevel};

use crate::schema::duties;
use crate::{Conn, Scope, StoreError, StoreResult};

/// Figures for one rule, or for one part of the node.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ComplianceRow {
    /// A rule code, a region code or a school id, as the list says.
    pub key: String,
    pub counts: Compliance,
    pub rate_permille: Option<u64>,
}

/// The node asked about.
#[derive(Clone, Debug)]
pub enum Node {
    Region(RegionCode),
    School(i64),
}

#[derive(Clone, Debug, Serialize)]
pub struct ComplianceReport {
    pub total: ComplianceRow,
    pub by_rule: Vec<ComplianceRow>,
    /// By the next region level, by school under a township, empty for a school.
    pub parts: Vec<ComplianceRow>,
    pub parts_are_schools: bool,
}

fn rows(map: BTreeMap<String, Compliance>) -> Vec<ComplianceRow> {
    map.into_iter()
        .map(|(key, counts)| ComplianceRow {
            rate_permille: counts.rate_permille(),
            key,
            counts,
        })
        .collect()
}

/// Duties due from `from` to `to` (both included) under `node`, within the caller's scope.
pub fn compliance(
    conn: &mut Conn,
    scope: &Scope,
    node: &Node,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<ComplianceReport> {
    let (from_s, to_s) = (from.to_string(), to.to_string());
    // Every query has the same three ranges, so none needs boxing (diesel cannot group a boxed
    // query): region bounds, school id bounds, due dates.
    let (region, schools, level) = match node {
        Node::School(id) => {
            crate::schools::get(conn, scope, *id)?;
            let everywhere = ("0".to_owned(), "9".repeat(12));
            (everywhere, (*id, *id), None)
        }
        Node::Region(code) => {
            if !scope.covers_region(code) {
                return Err(StoreError::NotFound);
            }
            let only = scope.school.map_or((i64::MIN, i64::MAX), |s| (s, s));
            (code.subtree_bounds(), only, Some(code.level()))
        }
    };
    let filter = duties::due_date
        .between(from_s, to_s)
        .and(duties::school_region.between(region.0.clone(), region.1.clone()))
        .and(duties::school_id.between(schools.0, schools.1));
    let counted: Vec<(String, String, i64)> = duties::table
        .filter(filter.clone())
        .group_by((duties::rule_code, duties::status))
        .select((duties::rule_code, duties::status, diesel::dsl::count_star()))
        .load(conn)?;
    let mut total = Compliance::default();
    let mut by_rule: BTreeMap<String, Compliance> = BTreeMap::new();
    for (rule, status, n) in counted {
        if let Some(status) = DutyStatus::parse(&status) {
            total.add(status, n as u64);
            by_rule.entry(rule).or_default().add(status, n as u64);
        }
    }
    let mut parts: BTreeMap<String, Compliance> = BTreeMap::new();
    let mut parts_are_schools = false;
    if let Some(level) = level {
        let q = duties::table.filter(filter);
        let prefix = match level {
            RegionLevel::Province => Some(4),
            RegionLevel::City => Some(6),
            RegionLevel::County => Some(9),
            _ => None,
        };
        match prefix {
            Some(len) => {
                // Grouped by the schools' own codes, then folded to the part's prefix here:
                // diesel cannot group by an expression, and the codes are few.
                let counted: Vec<(String, String, i64)> = q
                    .group_by((duties::school_region, duties::status))
                    .select((
                        duties::school_region,
                        duties::status,
                        diesel::dsl::count_star(),
                    ))
                    .load(conn)?;
                for (region, status, n) in counted {
                    if let Some(status) = DutyStatus::parse(&status) {
                        let prefix = region.get(..len).unwrap_or(&region);
                        let code = format!("{prefix:0<12}");
                        parts.entry(code).or_default().add(status, n as u64);
                    }
                }
            }
            None => {
                parts_are_schools = true;
                parts = school_counts(conn, &region, schools, &from, &to)?;
            }
        }
    }
    Ok(ComplianceReport {
        total: ComplianceRow {
            key: String::new(),
            rate_permille: total.rate_permille(),
            counts: total,
        },
        by_rule: rows(by_rule),
        parts: rows(parts),
        parts_are_schools,
    })
}

/// One row per school under `region` (a county's or township's schools side by side).
pub fn by_school(
    conn: &mut Conn,
    scope: &Scope,
    region: &RegionCode,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<ComplianceRow>> {
    if !scope.covers_region(region) {
        return Err(StoreError::NotFound);
    }
    let schools = scope.school.map_or((i64::MIN, i64::MAX), |s| (s, s));
    let counts = school_counts(conn, &region.subtree_bounds(), schools, &from, &to)?;
    Ok(rows(counts))
}

fn school_counts(
    conn: &mut Conn,
    region: &(String, String),
    schools: (i64, i64),
    from: &NaiveDate,
    to: &NaiveDate,
) -> StoreResult<BTreeMap<String, Compliance>> {
    let counted: Vec<(i64, String, i64)> = duties::table
        .filter(duties::due_date.between(from.to_string(), to.to_string()))
        .filter(duties::school_region.between(&region.0, &region.1))
        .filter(duties::school_id.between(schools.0, schools.1))
        .group_by((duties::school_id, duties::status))
        .select((duties::school_id, duties::status, diesel::dsl::count_star()))
        .load(conn)?;
    let mut parts: BTreeMap<String, Compliance> = BTreeMap::new();
    for (school, status, n) in counted {
        if let Some(status) = DutyStatus::parse(&status) {
            parts
                .entry(school.to_string())
                .or_default()
                .add(status, n as u64);
        }
    }
    Ok(parts)
}
