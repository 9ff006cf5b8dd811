//! Care records (关爱记录) of a child: sealed bodies, one save per submit key, versions, soft
//! deletion, every list of a child's records and every write audited, and the reading rules —
//! counselling notes for their author and the school's leaders and officers only, volunteers
//! their own contact and everyday-care logs only. Each write tells the duties it may satisfy.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{CareBody, CareKind, RegionCode, Role, reads_confidential, today_shanghai};

use crate::connection::on_inner;
use crate::crypto::DeploymentKey;
use crate::duties::{self, Subject};
use crate::pairings::{ChildHead, child_in_reach};
use crate::schema::{care_records, users};
use crate::{Conn, Scope, StoreError, StoreResult, audit, clock};

/// A record as its reader may see it.
#[derive(Clone, Debug, Serialize)]
pub struct CareRecord {
    pub id: i64,
    pub child_id: i64,
    pub kind: CareKind,
    pub record_date: NaiveDate,
    /// The Beijing date it was written down; later than `record_date` when written up late.
    pub entered_on: NaiveDate,
    pub author_id: Option<i64>,
    pub author_name: String,
    pub author_role: String,
    pub confidential: bool,
    /// `None` when withheld from this reader (a confidential record not theirs to read).
    pub body: Option<CareBody>,
    pub version: i32,
    pub created_at: i64,
    pub updated_at: i64,
    /// Whether this reader may edit or delete it.
    pub editable: bool,
}

#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = care_records)]
struct Stored {
    id: i64,
    child_id: i64,
    school_region: String,
    kind: String,
    record_date: String,
    entered_on: String,
    author_id: Option<i64>,
    author_name: String,
    author_role: String,
    confidential: bool,
    body_sealed: Vec<u8>,
    version: i32,
    created_at: i64,
    updated_at: i64,
}

fn internal(what: &str) -> StoreError {
    StoreError::Internal(format!("stored care record: {what}"))
}

impl Stored {
    fn kind(&self) -> StoreResult<CareKind> {
        CareKind::parse(&self.kind).map_err(|_| internal("kind"))
    }

    fn own(&self, scope: &Scope) -> bool {
        scope.actor.id().is_some() && self.author_id == scope.actor.id()
    }
}

/// Volunteers see only what they wrote themselves, of the kinds they may keep.
fn may_see(scope: &Scope, row: &Stored) -> StoreResult<bool> {
    if scope.role == Role::Volunteer {
        return Ok(row.own(scope) && row.kind()?.volunteer_may());
    }
    Ok(true)
}

fn may_read_body(scope: &Scope, row: &Stored) -> bool {
    !row.confidential || row.own(scope) || reads_confidential(scope.role)
}

/// The author corrects their own record; the school's leaders and officers anyone's.
fn may_edit(scope: &Scope, row: &Stored) -> bool {
    row.own(scope) || reads_confidential(scope.role)
}

/// Volunteers keep contact logs and everyday care only.
fn may_write(scope: &Scope, kind: CareKind) -> bool {
    scope.role != Role::Volunteer || kind.volunteer_may()
}

fn view(key: &DeploymentKey, scope: &Scope, row: &Stored) -> StoreResult<CareRecord> {
    let body = if may_read_body(scope, row) {
        let json = key.decrypt(&row.body_sealed)?;
        Some(serde_json::from_str(&json).map_err(|e| internal(&e.to_string()))?)
    } else {
        None
    };
    let date = |s: &str| s.parse::<NaiveDate>().map_err(|_| internal("date"));
    Ok(CareRecord {
        id: row.id,
        child_id: row.child_id,
        kind: row.kind()?,
        record_date: date(&row.record_date)?,
        entered_on: date(&row.entered_on)?,
        author_id: row.author_id,
        author_name: row.author_name.clone(),
        author_role: row.author_role.clone(),
        confidential: row.confidential,
        body,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        editable: may_edit(scope, row),
    })
}

/// A record that is not deleted, whose child is in reach and which the caller may see.
fn load(conn: &mut Conn, scope: &Scope, id: i64) -> StoreResult<Stored> {
    let row: Stored = care_records::table
        .find(id)
        .filter(care_records::deleted_at.is_null())
        .select(Stored::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)?;
    child_in_reach(conn, scope, row.child_id)?;
    if may_see(scope, &row)? {
        Ok(row)
    } else {
        Err(StoreError::NotFound)
    }
}

fn audit_at(
    conn: &mut Conn,
    scope: &Scope,
    kind: &str,
    target: &str,
    detail: &str,
    region: &str,
) -> StoreResult<()> {
    let region = RegionCode::parse(region).ok();
    audit::record(conn, scope, kind, target, detail, region.as_ref())
}

/// 送教上门 periods (课时), kept plain beside the sealed body so totals need no decryption.
fn periods_of(body: &CareBody) -> Option<i32> {
    match body {
        CareBody::HomeTeaching(b) => Some(i32::from(b.periods)),
        _ => None,
    }
}

fn seal(key: &DeploymentKey, body: &CareBody) -> StoreResult<Vec<u8>> {
    let json = serde_json::to_string(body).map_err(|e| StoreError::Internal(e.to_string()))?;
    key.encrypt(&json)
}

fn check_date(date: NaiveDate) -> StoreResult<()> {
    if date > today_shanghai() {
        return Err(StoreError::invalid("record_date", "care.future_date"));
    }
    Ok(())
}

/// The child a record may be written for, with the caller's right to write `kind`.
pub fn child_for_entry(
    conn: &mut Conn,
    scope: &Scope,
    child_id: i64,
    kind: CareKind,
) -> StoreResult<ChildHead> {
    let child = child_in_reach(conn, scope, child_id)?;
    scope.require(may_write(scope, kind), "care.kind")?;
    Ok(child)
}

/// The author as pages show them: the account's display name (the operator by their name).
fn author_name(conn: &mut Conn, scope: &Scope) -> StoreResult<String> {
    let Some(id) = scope.actor.id() else {
        return Ok(scope.actor.name().to_owned());
    };
    Ok(users::table
        .find(id)
        .select(users::display_name)
        .first::<String>(conn)
        .optional()?
        .unwrap_or_else(|| scope.actor.name().to_owned()))
}

fn earlier(conn: &mut Conn, submit_key: &str) -> StoreResult<Option<i64>> {
    Ok(care_records::table
        .filter(care_records::submit_key.eq(submit_key))
        .select(care_records::id)
        .first(conn)
        .optional()?)
}

/// Saves a record dated `date` (not after today). `submit_key` (the form's one-time token, an
/// API idempotency key) makes a request sent twice save once: the second answers the first's
/// record.
pub fn create(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    child_id: i64,
    date: NaiveDate,
    body: &CareBody,
    submit_key: Option<&str>,
) -> StoreResult<CareRecord> {
    let saved = conn.transaction(|conn| {
        if let Some(sk) = submit_key
            && let Some(id) = earlier(conn, sk)?
        {
            return view(key, scope, &load(conn, scope, id)?);
        }
        let kind = body.kind();
        let child = child_for_entry(conn, scope, child_id, kind)?;
        check_date(date)?;
        let author = author_name(conn, scope)?;
        let now = clock::now_ms();
        let insert = diesel::insert_into(care_records::table)
            .values((
                care_records::child_id.eq(child.id),
                care_records::school_id.eq(child.school_id),
                care_records::school_region.eq(&child.school_region),
                care_records::kind.eq(kind.code()),
                care_records::record_date.eq(date.to_string()),
                care_records::entered_on.eq(today_shanghai().to_string()),
                care_records::author_id.eq(scope.actor.id()),
                care_records::author_name.eq(&author),
                care_records::author_role.eq(scope.role.code()),
                care_records::confidential.eq(kind.confidential()),
                care_records::body_sealed.eq(seal(key, body)?),
                care_records::periods.eq(periods_of(body)),
                care_records::submit_key.eq(submit_key),
                care_records::created_at.eq(now),
                care_records::updated_at.eq(now),
            ))
            .returning(care_records::id);
        let id: i64 = on_inner!(conn, |c| insert.get_result(c))?;
        duties::evidence_changed(conn, Subject::Child(child.id), kind.code(), date)?;
        audit_at(
            conn,
            scope,
            "care.create",
            &format!("record:{id}"),
            &format!("child:{} {}", child.id, kind.code()),
            &child.school_region,
        )?;
        view(key, scope, &load(conn, scope, id)?)
    });
    match (saved, submit_key) {
        // Two sends racing past the look-up meet the unique key; the loser answers the winner's.
        (
            Err(StoreError::Database(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ))),
            Some(sk),
        ) => {
            let id = earlier(conn, sk)?.ok_or(StoreError::NotFound)?;
            view(key, scope, &load(conn, scope, id)?)
        }
        (other, _) => other,
    }
}

/// One record; every opening is audited as `care.view`.
pub fn get(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    id: i64,
) -> StoreResult<CareRecord> {
    let row = load(conn, scope, id)?;
    audit_at(
        conn,
        scope,
        "care.view",
        &format!("record:{id}"),
        "",
        &row.school_region,
    )?;
    view(key, scope, &row)
}

/// Filters of a child's records.
#[derive(Clone, Debug, Default)]
pub struct RecordQuery {
    pub kind: Option<CareKind>,
    /// `next` of the previous page.
    pub after: Option<String>,
    /// 1–500, default 50.
    pub limit: Option<i64>,
}

/// A page of records, newest first.
#[derive(Clone, Debug, Serialize)]
pub struct RecordPage {
    pub items: Vec<CareRecord>,
    /// Pass as `after` for the next page.
    pub next: Option<String>,
}

fn cursor(after: &str) -> StoreResult<(String, i64)> {
    let bad = || StoreError::invalid("after", "care.cursor");
    let (date, id) = after.split_once('~').ok_or_else(bad)?;
    let date: NaiveDate = date.parse().map_err(|_| bad())?;
    Ok((date.to_string(), id.parse().map_err(|_| bad())?))
}

/// A child's records, newest first (by date, then by entry); the listing is audited as
/// `care.view` of the child.
pub fn list_for_child(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    child_id: i64,
    q: &RecordQuery,
) -> StoreResult<RecordPage> {
    let child = child_in_reach(conn, scope, child_id)?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let mut query = care_records::table
        .filter(care_records::child_id.eq(child_id))
        .filter(care_records::deleted_at.is_null())
        .select(Stored::as_select())
        .into_boxed();
    if let Some(kind) = q.kind {
        query = query.filter(care_records::kind.eq(kind.code()));
    }
    if scope.role == Role::Volunteer {
        let kinds = CareKind::ALL
            .into_iter()
            .filter(|k| k.volunteer_may())
            .map(CareKind::code)
            .collect::<Vec<_>>();
        query = query
            .filter(care_records::author_id.eq(scope.actor.id()))
            .filter(care_records::kind.eq_any(kinds));
    }
    if let Some(after) = &q.after {
        let (date, id) = cursor(after)?;
        query = query.filter(
            care_records::record_date
                .lt(date.clone())
                .or(care_records::record_date
                    .eq(date)
                    .and(care_records::id.lt(id))),
        );
    }
    let rows: Vec<Stored> = query
        .order((care_records::record_date.desc(), care_records::id.desc()))
        .limit(limit + 1)
        .load(conn)?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    let rows = &rows[..rows.len().min(usize::try_from(limit).unwrap_or(usize::MAX))];
    let next = if more {
        rows.last().map(|r| format!("{}~{}", r.record_date, r.id))
    } else {
        None
    };
    audit_at(
        conn,
        scope,
        "care.view",
        &format!("child:{child_id}"),
        &format!("{} records", rows.len()),
        &child.school_region,
    )?;
    let items = rows
        .iter()
        .map(|r| view(key, scope, r))
        .collect::<StoreResult<_>>()?;
    Ok(RecordPage { items, next })
}

/// Replaces a record's date and body (the kind may change with the body) if nobody saved it
/// since `version`; else `Conflict`.
pub fn update(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    id: i64,
    version: i32,
    date: NaiveDate,
    body: &CareBody,
) -> StoreResult<CareRecord> {
    conn.transaction(|conn| {
        let row = load(conn, scope, id)?;
        scope.require(may_edit(scope, &row), "care.edit")?;
        let kind = body.kind();
        scope.require(may_write(scope, kind), "care.kind")?;
        if row.version != version {
            return Err(StoreError::Conflict {
                expected: version,
                current: row.version,
            });
        }
        check_date(date)?;
        let changed = diesel::update(
            care_records::table
                .find(id)
                .filter(care_records::version.eq(version)),
        )
        .set((
            care_records::kind.eq(kind.code()),
            care_records::record_date.eq(date.to_string()),
            care_records::confidential.eq(kind.confidential()),
            care_records::body_sealed.eq(seal(key, body)?),
            care_records::periods.eq(periods_of(body)),
            care_records::version.eq(version + 1),
            care_records::updated_at.eq(clock::now_ms()),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(StoreError::Conflict {
                expected: version,
                current: version + 1,
            });
        }
        let old_date = row.record_date.parse().map_err(|_| internal("date"))?;
        let subject = Subject::Child(row.child_id);
        duties::evidence_changed(conn, subject, &row.kind, old_date)?;
        duties::evidence_changed(conn, subject, kind.code(), date)?;
        audit_at(
            conn,
            scope,
            "care.update",
            &format!("record:{id}"),
            &format!("child:{} {}", row.child_id, kind.code()),
            &row.school_region,
        )?;
        view(key, scope, &load(conn, scope, id)?)
    })
}

/// Marks a record deleted (it stays, for the audit trail) if nobody saved it since `version`
/// (when given).
pub fn delete(conn: &mut Conn, scope: &Scope, id: i64, version: Option<i32>) -> StoreResult<()> {
    conn.transaction(|conn| {
        let row = load(conn, scope, id)?;
        scope.require(may_edit(scope, &row), "care.delete")?;
        if let Some(v) = version
            && v != row.version
        {
            return Err(StoreError::Conflict {
                expected: v,
                current: row.version,
            });
        }
        diesel::update(care_records::table.find(id))
            .set((
                care_records::deleted_at.eq(Some(clock::now_ms())),
                care_records::deleted_by.eq(Some(scope.actor.name())),
            ))
            .execute(conn)?;
        let date = row.record_date.parse().map_err(|_| internal("date"))?;
        duties::evidence_changed(conn, Subject::Child(row.child_id), &row.kind, date)?;
        audit_at(
            conn,
            scope,
            "care.delete",
            &format!("record:{id}"),
            &format!("child:{} {}", row.child_id, row.kind),
            &row.school_region,
        )?;
        Ok(())
    })
}
