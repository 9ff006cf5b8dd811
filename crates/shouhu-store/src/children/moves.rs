//! Children moving on: the year-end promotion of a whole class into next year's class, and
//! transfers to another school (the sending side asks, the receiving school accepts). A child is
//! never without an owner: until a transfer is accepted it stays where it was, and every move is
//! a revision of the file.

use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;
use shouhu_domain::{Grade, SchoolKind, SchoolYear};

use super::{Change, Placement, load, update};
use crate::classes::{self, ClassInput};
use crate::crypto::DeploymentKey;
use crate::schema::{child_transfers, children, schools};
use crate::{Conn, Scope, StoreError, StoreResult, audit, clock};

/// What a promotion did.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Promotion {
    /// Next year's class, or `None` when the class left the school (毕业).
    pub new_class_id: Option<i64>,
    pub moved: usize,
    pub graduated: usize,
}

/// The same scope with the reach of the whole tree, for a move whose right was checked already
/// (a receiving school cannot see the child it accepts until it has it). Actor and role stay, so
/// the audit log names who did it.
fn reaching(scope: &Scope) -> Scope {
    Scope {
        region: None,
        school: None,
        classes: None,
        ..scope.clone()
    }
}

/// Moves every child on roll in `class_id` into a new class of the next school year and grade,
/// headed by `head_teachers`, in one transaction. A class in the school's last grade graduates.
pub fn promote_class(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    class_id: i64,
    new_name: &str,
    head_teachers: Vec<i64>,
) -> StoreResult<Promotion> {
    scope.require(scope.role.manages_classes(), "class.promote")?;
    conn.transaction(|conn| {
        let old = classes::get(conn, scope, class_id)?.class;
        let school = crate::schools::get(conn, scope, old.school_id)?;
        let next = i8::try_from(old.grade)
            .ok()
            .and_then(|g| Grade::new(g).ok())
            .and_then(Grade::next)
            .filter(|g| SchoolKind::parse(&school.kind).is_ok_and(|k| k.teaches(*g)));
        let new_class = match next {
            Some(grade) => {
                if new_name.trim().is_empty() {
                    return Err(StoreError::invalid("name", "places.class.name_empty"));
                }
                let input = ClassInput {
                    school_id: old.school_id,
                    school_year: SchoolYear::new(old.school_year + 1),
                    grade,
                    name: new_name.trim().to_owned(),
                    head_teachers,
                };
                Some(classes::create(conn, scope, &input)?.class.id)
            }
            None => None,
        };
        let ids: Vec<(i64, i32)> = children::table
            .filter(children::class_id.eq(class_id))
            .select((children::id, children::version))
            .order(children::id)
            .load(conn)?;
        let mut done = Promotion {
            new_class_id: new_class,
            moved: 0,
            graduated: 0,
        };
        for (id, version) in ids {
            let row = load(conn, scope, id)?;
            let on_roll = super::unseal(key, &row.file_sealed)?.schooling.on_roll();
            if !on_roll {
                continue;
            }
            match new_class {
                Some(new_class) => {
                    let at = Placement {
                        school_id: old.school_id,
                        class_id: Some(new_class),
                    };
                    update(
                        conn,
                        scope,
                        key,
                        id,
                        version,
                        Some(at),
                        &Change::Patch(json!({})),
                    )?;
                    done.moved += 1;
                }
                None => {
                    let graduate = Change::Patch(json!({ "schooling": "graduated" }));
                    update(conn, scope, key, id, version, None, &graduate)?;
                    done.graduated += 1;
                }
            }
        }
        let region = school.region().ok();
        audit::record(
            conn,
            scope,
            "class.promote",
            &class_id.to_string(),
            &format!("moved {}, graduated {}", done.moved, done.graduated),
            region.as_ref(),
        )?;
        Ok(done)
    })
}

/// A transfer request and where it stands.
#[derive(Clone, Debug, Queryable, Serialize, PartialEq, Eq)]
pub struct Transfer {
    pub id: i64,
    pub child_id: i64,
    pub from_school_id: i64,
    pub to_school_id: i64,
    pub reason: String,
    /// `pending`, `accepted`, `declined` or `cancelled`.
    pub status: String,
    pub requested_by: String,
    pub requested_at: i64,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}

/// An incoming request as the receiving school sees it: the child's name, sex and birth date
/// (to recognise the child), and the sending school.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Incoming {
    pub id: i64,
    pub child_name: String,
    pub birth_date: String,
    pub from_school: String,
    pub reason: String,
    pub requested_at: i64,
}

/// Asks `to_school_id` (anywhere in the country, by its id) to take the child. One request may
/// be pending per child.
pub fn request_transfer(
    conn: &mut Conn,
    scope: &Scope,
    child_id: i64,
    to_school_id: i64,
    reason: &str,
) -> StoreResult<Transfer> {
    scope.require(super::may_edit(scope), "child.transfer")?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(StoreError::invalid("reason", "child.transfer_reason"));
    }
    conn.transaction(|conn| {
        let row = load(conn, scope, child_id)?;
        let target: Option<i64> = schools::table
            .find(to_school_id)
            .select(schools::id)
            .first(conn)
            .optional()?;
        if target.is_none() || to_school_id == row.school_id {
            return Err(StoreError::invalid("to_school_id", "child.transfer_school"));
        }
        let pending: i64 = child_transfers::table
            .filter(child_transfers::child_id.eq(child_id))
            .filter(child_transfers::status.eq("pending"))
            .count()
            .get_result(conn)?;
        if pending > 0 {
            return Err(StoreError::invalid(
                "to_school_id",
                "child.transfer_pending",
            ));
        }
        diesel::insert_into(child_transfers::table)
            .values((
                child_transfers::child_id.eq(child_id),
                child_transfers::from_school_id.eq(row.school_id),
                child_transfers::to_school_id.eq(to_school_id),
                child_transfers::reason.eq(reason.chars().take(200).collect::<String>()),
                child_transfers::status.eq("pending"),
                child_transfers::requested_by.eq(scope.actor.name()),
                child_transfers::requested_at.eq(clock::now_ms()),
            ))
            .execute(conn)?;
        let region = shouhu_domain::RegionCode::parse(&row.school_region).ok();
        audit::record(
            conn,
            scope,
            "child.transfer_request",
            &child_id.to_string(),
            &format!("to school {to_school_id}"),
            region.as_ref(),
        )?;
        transfers_of(conn, scope, child_id)?
            .into_iter()
            .next()
            .ok_or(StoreError::NotFound)
    })
}

/// Every transfer request of a child, newest first.
pub fn transfers_of(conn: &mut Conn, scope: &Scope, child_id: i64) -> StoreResult<Vec<Transfer>> {
    load(conn, scope, child_id)?;
    Ok(child_transfers::table
        .filter(child_transfers::child_id.eq(child_id))
        .select(child_transfers::all_columns)
        .order(child_transfers::id.desc())
        .load(conn)?)
}

/// Requests waiting for a school in the caller's reach.
pub fn incoming(conn: &mut Conn, scope: &Scope) -> StoreResult<Vec<Incoming>> {
    if !scope.role.manages_classes() {
        return Ok(Vec::new());
    }
    let to_schools: Vec<i64> = match scope.school {
        Some(school) => vec![school],
        None => {
            let (lo, hi) = scope.region_bounds();
            schools::table
                .filter(schools::region_code.between(lo, hi))
                .select(schools::id)
                .load(conn)?
        }
    };
    let rows: Vec<(i64, String, String, i64, String, i64)> = child_transfers::table
        .inner_join(children::table)
        .filter(child_transfers::status.eq("pending"))
        .filter(child_transfers::to_school_id.eq_any(to_schools))
        .select((
            child_transfers::id,
            children::name,
            children::birth_date,
            child_transfers::from_school_id,
            child_transfers::reason,
            child_transfers::requested_at,
        ))
        .order(child_transfers::id)
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, child_name, birth_date, from, reason, requested_at) in rows {
        let from_school = schools::table
            .find(from)
            .select(schools::name)
            .first(conn)?;
        out.push(Incoming {
            id,
            child_name,
            birth_date,
            from_school,
            reason,
            requested_at,
        });
    }
    Ok(out)
}

/// The receiving school accepts (into `class_id`, or no class yet) or declines a request.
pub fn decide_transfer(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    transfer_id: i64,
    accept: bool,
    class_id: Option<i64>,
) -> StoreResult<Transfer> {
    scope.require(scope.role.manages_classes(), "child.transfer_decide")?;
    conn.transaction(|conn| {
        let t: Transfer = child_transfers::table
            .find(transfer_id)
            .select(child_transfers::all_columns)
            .first(conn)
            .optional()?
            .ok_or(StoreError::NotFound)?;
        // The receiving school must be the caller's; the sending side cannot accept for it.
        crate::schools::get(conn, scope, t.to_school_id)?;
        if t.status != "pending" {
            return Err(StoreError::invalid("status", "child.transfer_decided"));
        }
        let wide = reaching(scope);
        if accept {
            let version: i32 = children::table
                .find(t.child_id)
                .select(children::version)
                .first(conn)?;
            let at = Placement {
                school_id: t.to_school_id,
                class_id,
            };
            update(
                conn,
                &wide,
                key,
                t.child_id,
                version,
                Some(at),
                &Change::Patch(json!({})),
            )?;
        }
        let status = if accept { "accepted" } else { "declined" };
        diesel::update(child_transfers::table.find(transfer_id))
            .set((
                child_transfers::status.eq(status),
                child_transfers::decided_by.eq(scope.actor.name()),
                child_transfers::decided_at.eq(clock::now_ms()),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            scope,
            &format!("child.transfer_{status}"),
            &t.child_id.to_string(),
            &format!("transfer {transfer_id}"),
            None,
        )?;
        Ok(Transfer {
            status: status.to_owned(),
            ..t
        })
    })
}
