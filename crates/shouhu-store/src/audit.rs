//! The audit log: every write, login and denial, written in the same transaction as what it records.
//! Details must never carry ID numbers or phone numbers in plain text; callers pass masked values.

use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{RegionCode, Role};

use crate::schema::{audit_events, users};
use crate::{Conn, Scope, StoreResult, clock};

#[derive(Clone, Debug, Queryable, Selectable, Serialize)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub kind: String,
    pub target: String,
    pub detail: String,
    pub address: Option<String>,
    pub region_code: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = audit_events)]
struct NewEvent<'a> {
    at: i64,
    actor_id: Option<i64>,
    actor_name: &'a str,
    kind: &'a str,
    target: &'a str,
    detail: &'a str,
    address: Option<&'a str>,
    region_code: Option<&'a str>,
}

/// Records one event done by `scope`'s actor, placed at `region` (defaults to the actor's own node)
/// so that officers see the events of their subtree.
pub fn record(
    conn: &mut Conn,
    scope: &Scope,
    kind: &str,
    target: &str,
    detail: &str,
    region: Option<&RegionCode>,
) -> StoreResult<()> {
    let region = region.or(scope.region.as_ref()).map(RegionCode::as_str);
    diesel::insert_into(audit_events::table)
        .values(NewEvent {
            at: clock::now_ms(),
            actor_id: scope.actor.id(),
            actor_name: scope.actor.name(),
            kind,
            target,
            detail,
            address: scope.address.as_deref(),
            region_code: region,
        })
        .execute(conn)?;
    Ok(())
}

/// An event with no signed-in actor yet (a failed login names the user name that was tried).
pub fn record_anonymous(
    conn: &mut Conn,
    actor_name: &str,
    kind: &str,
    detail: &str,
    address: Option<&str>,
) -> StoreResult<()> {
    diesel::insert_into(audit_events::table)
        .values(NewEvent {
            at: clock::now_ms(),
            actor_id: None,
            actor_name,
            kind,
            target: actor_name,
            detail,
            address,
            region_code: None,
        })
        .execute(conn)?;
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub kind: Option<String>,
    /// Inclusive bounds in UTC milliseconds.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Page backwards from this id (exclusive).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// Events in the caller's subtree (the whole log for a nationwide scope), newest first.
pub fn list(conn: &mut Conn, scope: &Scope, filter: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
    let mut query = audit_events::table
        .select(AuditEvent::as_select())
        .into_boxed();
    if scope.region.is_some() {
        let (lo, hi) = scope.region_bounds();
        // Sign-in events are written before anyone is known, so they carry no region: an officer
        // sees those naming a user of their subtree, the system administrator sees all of them.
        let users_here = users::table
            .filter(users::region_code.between(lo.clone(), hi.clone()))
            .select(users::username);
        let unplaced = audit_events::region_code.is_null();
        query = if scope.role == Role::SystemAdmin {
            query.filter(audit_events::region_code.between(lo, hi).or(unplaced))
        } else {
            query.filter(
                audit_events::region_code
                    .between(lo, hi)
                    .or(unplaced.and(audit_events::actor_name.eq_any(users_here))),
            )
        };
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_events::actor_name.eq(actor.clone()));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(audit_events::kind.like(format!("{kind}%")));
    }
    if let Some(from) = filter.from_ms {
        query = query.filter(audit_events::at.ge(from));
    }
    if let Some(to) = filter.to_ms {
        query = query.filter(audit_events::at.le(to));
    }
    if let Some(before) = filter.before_id {
        query = query.filter(audit_events::id.lt(before));
    }
    Ok(query
        .order(audit_events::id.desc())
        .limit(filter.limit.clamp(1, 500))
        .load(conn)?)
}
