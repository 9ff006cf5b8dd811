//! Duty rules as rows: the national defaults (no region) seeded from the domain's table, and a
//! county's own, which replace the default of the same code for its schools.

use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{DutyRule, RegionCode, RegionLevel, Role};

use crate::connection::on_inner;
use crate::schema::duty_rules;
use crate::{Conn, Scope, StoreError, StoreResult, audit, clock};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = duty_rules)]
struct Row {
    id: i64,
    region_code: Option<String>,
    code: String,
    body: String,
    enabled: bool,
    version: i32,
}

/// A rule as it applies somewhere: the row it came from and whether it is the default.
#[derive(Clone, Debug, Serialize)]
pub struct RuleInForce {
    pub id: i64,
    /// `None` for a national default.
    pub region_code: Option<String>,
    pub rule: DutyRule,
    pub enabled: bool,
    pub version: i32,
}

fn parse(row: Row) -> StoreResult<RuleInForce> {
    let rule: DutyRule = serde_json::from_str(&row.body)
        .map_err(|e| StoreError::Internal(format!("duty rule {}: {e}", row.code)))?;
    Ok(RuleInForce {
        id: row.id,
        region_code: row.region_code,
        rule,
        enabled: row.enabled,
        version: row.version,
    })
}

fn body(rule: &DutyRule) -> StoreResult<String> {
    serde_json::to_string(rule).map_err(|e| StoreError::Internal(e.to_string()))
}

/// Inserts every default rule not yet stored (a new deployment, or a default added by an
/// upgrade); stored ones, edited or not, are left as they are.
pub fn ensure_defaults(conn: &mut Conn) -> StoreResult<usize> {
    let present: Vec<String> = duty_rules::table
        .filter(duty_rules::region_code.is_null())
        .select(duty_rules::code)
        .load(conn)?;
    let now = clock::now_ms();
    let mut added = 0;
    for rule in DutyRule::defaults() {
        if present.contains(&rule.code) {
            continue;
        }
        let insert = diesel::insert_into(duty_rules::table).values((
            duty_rules::code.eq(&rule.code),
            duty_rules::body.eq(body(&rule)?),
            duty_rules::enabled.eq(true),
            duty_rules::updated_by.eq("system"),
            duty_rules::updated_at.eq(now),
        ));
        added += on_inner!(conn, |c| insert.execute(c))?;
    }
    Ok(added)
}

/// Every stored rule, defaults and counties' own; small enough to hold (tens of rows per county).
pub(crate) fn all(conn: &mut Conn) -> StoreResult<Vec<RuleInForce>> {
    duty_rules::table
        .select(Row::as_select())
        .order(duty_rules::id)
        .load(conn)?
        .into_iter()
        .map(parse)
        .collect()
}

/// The rules in force at `region` (a school's region or any node below a county): for each code,
/// the row of the nearest region above or at it, else the default.
pub(crate) fn in_force<'a>(all: &'a [RuleInForce], region: &str) -> Vec<&'a RuleInForce> {
    let mut chosen: Vec<&RuleInForce> = Vec::new();
    for rule in all {
        let applies = match &rule.region_code {
            None => true,
            Some(code) => region_contains(code, region),
        };
        if !applies {
            continue;
        }
        let depth = |r: &RuleInForce| r.region_code.as_deref().map_or(0, region_depth);
        match chosen.iter_mut().find(|c| c.rule.code == rule.rule.code) {
            Some(slot) if depth(slot) < depth(rule) => *slot = rule,
            Some(_) => {}
            None => chosen.push(rule),
        }
    }
    chosen
}

fn region_contains(root: &str, code: &str) -> bool {
    match (RegionCode::parse(root), RegionCode::parse(code)) {
        (Ok(root), Ok(code)) => root.contains(&code),
        _ => false,
    }
}

fn region_depth(code: &str) -> usize {
    RegionCode::parse(code).map_or(0, |c| c.prefix().len())
}

/// The rules in force at `region`, for the rules page and the API.
pub fn list(conn: &mut Conn, scope: &Scope, region: &RegionCode) -> StoreResult<Vec<RuleInForce>> {
    if !scope.covers_region(region) {
        return Err(StoreError::NotFound);
    }
    let all = all(conn)?;
    Ok(in_force(&all, region.as_str())
        .into_iter()
        .cloned()
        .collect())
}

/// Saves `rule` as the county's own (bureau staff of the county or above, or a system admin),
/// replacing the default there. Returns the stored row; the caller regenerates future duties.
pub fn save(
    conn: &mut Conn,
    scope: &Scope,
    county: &RegionCode,
    rule: &DutyRule,
    enabled: bool,
    expected_version: Option<i32>,
) -> StoreResult<RuleInForce> {
    scope.require(
        matches!(scope.role, Role::SystemAdmin | Role::Bureau),
        "duty_rule.save",
    )?;
    if !scope.covers_region(county) {
        return Err(StoreError::NotFound);
    }
    if county.level() != RegionLevel::County {
        return Err(StoreError::invalid("region", "duty_rule.not_county"));
    }
    if rule.count == 0 || rule.satisfied_by.is_empty() {
        return Err(StoreError::invalid("count", "duty_rule.empty"));
    }
    let now = clock::now_ms();
    let existing: Option<Row> = duty_rules::table
        .filter(duty_rules::region_code.eq(county.as_str()))
        .filter(duty_rules::code.eq(&rule.code))
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    match existing {
        Some(row) => {
            let expected = expected_version.unwrap_or(row.version);
            let updated = diesel::update(
                duty_rules::table
                    .filter(duty_rules::id.eq(row.id))
                    .filter(duty_rules::version.eq(expected)),
            )
            .set((
                duty_rules::body.eq(body(rule)?),
                duty_rules::enabled.eq(enabled),
                duty_rules::version.eq(row.version + 1),
                duty_rules::updated_by.eq(scope.actor.name()),
                duty_rules::updated_at.eq(now),
            ))
            .execute(conn)?;
            if updated == 0 {
                return Err(StoreError::Conflict {
                    expected,
                    current: row.version,
                });
            }
        }
        None => {
            let insert = diesel::insert_into(duty_rules::table).values((
                duty_rules::region_code.eq(county.as_str()),
                duty_rules::code.eq(&rule.code),
                duty_rules::body.eq(body(rule)?),
                duty_rules::enabled.eq(enabled),
                duty_rules::updated_by.eq(scope.actor.name()),
                duty_rules::updated_at.eq(now),
            ));
            on_inner!(conn, |c| insert.execute(c))?;
        }
    }
    audit::record(
        conn,
        scope,
        "duty_rule.save",
        &rule.code,
        &rule.name,
        Some(county),
    )?;
    let row: Row = duty_rules::table
        .filter(duty_rules::region_code.eq(county.as_str()))
        .filter(duty_rules::code.eq(&rule.code))
        .select(Row::as_select())
        .first(conn)?;
    parse(row)
}
