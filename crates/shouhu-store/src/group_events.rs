//! Group events (监护人会议, 座谈会, 家长学校, 主题班会) of a school or one of its classes: the
//! minutes and named guardians sealed with the deployment key, the attending children listed,
//! a double submit saved once, versions, soft deletes, and every write and every reading of the
//! minutes audit-logged. Each write tells the duty engine its evidence changed.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{
    EventBody, EventKind, RegionCode, Role, SchoolingStatus, check_event_date, today_shanghai,
};

use crate::connection::on_inner;
use crate::crypto::DeploymentKey;
use crate::duties::{self, Subject};
use crate::schema::{children, classes, group_event_children, group_events, schools};
use crate::{Conn, Scope, StoreError, StoreResult, audit, clock};

/// More attendees than this is a slip of the "select all" kind, not a meeting.
const MAX_CHILDREN: usize = 3_000;
/// The longest list answered at once.
const LIST_MAX: i64 = 500;

/// An event as typed, already parsed by the domain (title, body) but not yet checked against
/// the caller's reach.
#[derive(Clone, Debug)]
pub struct EventInput {
    pub school_id: i64,
    pub class_id: Option<i64>,
    pub kind: EventKind,
    pub date: NaiveDate,
    pub title: String,
    pub body: EventBody,
    /// Attending children; each must be visible to the caller and on the school's roll.
    pub children: Vec<i64>,
}

/// A list row: nothing sealed is opened to show it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct EventSummary {
    pub id: i64,
    pub school_id: i64,
    pub class_id: Option<i64>,
    pub class_name: Option<String>,
    pub kind: String,
    pub event_date: String,
    pub title: String,
    pub author_name: String,
    pub child_count: i64,
    pub version: i32,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Attendee {
    pub id: i64,
    pub name: String,
    pub class_name: Option<String>,
}

/// An event opened: the minutes and guardians, and the attending children the caller may see.
#[derive(Clone, Debug, Serialize)]
pub struct EventRecord {
    #[serde(flatten)]
    pub summary: EventSummary,
    pub school_name: String,
    pub body: EventBody,
    pub children: Vec<Attendee>,
    /// Attendees outside the caller's view (another class's pupils), counted only.
    pub hidden_children: i64,
}

#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub class_id: Option<i64>,
    pub kind: Option<EventKind>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub limit: Option<i64>,
}

#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = group_events)]
struct Row {
    id: i64,
    school_id: i64,
    school_region: String,
    class_id: Option<i64>,
    kind: String,
    event_date: String,
    title: String,
    body_sealed: Vec<u8>,
    author_name: String,
    version: i32,
    created_at: i64,
    updated_at: i64,
}

/// Volunteers see no meetings; everyone else sees those of the schools and classes in reach.
fn may_read(scope: &Scope) -> bool {
    scope.role != Role::Volunteer
}

/// Principals and head teachers hold meetings; the bureau and the administrator correct them.
pub fn may_write(role: Role) -> bool {
    role.edits_class()
}

fn parse_date(s: &str) -> StoreResult<NaiveDate> {
    s.parse()
        .map_err(|_| StoreError::Internal(format!("stored date {s:?}")))
}

/// The event if it exists, is not deleted, and lies in the caller's reach: its school, and for
/// callers limited to some classes, a school-wide event or one of their classes.
fn load(conn: &mut Conn, scope: &Scope, id: i64) -> StoreResult<Row> {
    if !may_read(scope) {
        return Err(StoreError::NotFound);
    }
    let row: Row = group_events::table
        .find(id)
        .filter(group_events::deleted_at.is_null())
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let region = RegionCode::parse(&row.school_region)
        .map_err(|_| StoreError::Seed(row.school_region.clone()))?;
    let in_class = row.class_id.is_none_or(|c| scope.covers_class(c));
    if scope.covers_school(row.school_id, &region) && in_class {
        Ok(row)
    } else {
        Err(StoreError::NotFound)
    }
}

fn class_name(conn: &mut Conn, class_id: Option<i64>) -> StoreResult<Option<String>> {
    match class_id {
        Some(id) => Ok(classes::table
            .find(id)
            .select(classes::name)
            .first(conn)
            .optional()?),
        None => Ok(None),
    }
}

fn child_count(conn: &mut Conn, id: i64) -> StoreResult<i64> {
    Ok(group_event_children::table
        .filter(group_event_children::event_id.eq(id))
        .count()
        .get_result(conn)?)
}

fn summary(conn: &mut Conn, row: &Row) -> StoreResult<EventSummary> {
    Ok(EventSummary {
        id: row.id,
        school_id: row.school_id,
        class_id: row.class_id,
        class_name: class_name(conn, row.class_id)?,
        kind: row.kind.clone(),
        event_date: row.event_date.clone(),
        title: row.title.clone(),
        author_name: row.author_name.clone(),
        child_count: child_count(conn, row.id)?,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// A child as the attendee checks need it.
type ChildRow = (
    i64,
    i64,
    Option<i64>,
    String,
    String,
    String,
    Option<String>,
);

fn child_rows(conn: &mut Conn, ids: &[i64]) -> StoreResult<Vec<ChildRow>> {
    let mut out = Vec::with_capacity(ids.len());
    // Bounded IN lists: PostgreSQL and SQLite both cap bound parameters.
    for chunk in ids.chunks(500) {
        let rows: Vec<ChildRow> = children::table
            .left_join(classes::table)
            .filter(children::id.eq_any(chunk))
            .select((
                children::id,
                children::school_id,
                children::class_id,
                children::school_region,
                children::residence_region,
                children::name,
                classes::name.nullable(),
            ))
            .order((children::name_pinyin, children::id))
            .load(conn)?;
        out.extend(rows);
    }
    Ok(out)
}

fn sees(scope: &Scope, c: &ChildRow) -> bool {
    crate::children::visible(scope, c.1, c.2, [&c.3, &c.4])
}

/// The attendees the caller may see, and how many they may not.
fn attendees(conn: &mut Conn, scope: &Scope, id: i64) -> StoreResult<(Vec<Attendee>, i64)> {
    let ids: Vec<i64> = group_event_children::table
        .filter(group_event_children::event_id.eq(id))
        .select(group_event_children::child_id)
        .load(conn)?;
    let rows = child_rows(conn, &ids)?;
    let total = rows.len();
    let shown: Vec<Attendee> = rows
        .into_iter()
        .filter(|c| sees(scope, c))
        .map(|c| Attendee {
            id: c.0,
            name: c.5,
            class_name: c.6,
        })
        .collect();
    let hidden = i64::try_from(total - shown.len()).unwrap_or(0);
    Ok((shown, hidden))
}

fn record(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    row: &Row,
) -> StoreResult<EventRecord> {
    let body: EventBody = serde_json::from_str(&key.decrypt(&row.body_sealed)?)
        .map_err(|e| StoreError::Internal(format!("stored event: {e}")))?;
    let (children, hidden_children) = attendees(conn, scope, row.id)?;
    let school_name = crate::schools::public_name(conn, row.school_id)?;
    Ok(EventRecord {
        summary: summary(conn, row)?,
        school_name,
        body,
        children,
        hidden_children,
    })
}

fn seal(key: &DeploymentKey, body: &EventBody) -> StoreResult<Vec<u8>> {
    let json = serde_json::to_string(body).map_err(|e| StoreError::Internal(e.to_string()))?;
    key.encrypt(&json)
}

fn audit_event(
    conn: &mut Conn,
    scope: &Scope,
    kind: &str,
    id: i64,
    region: &str,
    detail: &str,
) -> StoreResult<()> {
    let region = RegionCode::parse(region).ok();
    audit::record(conn, scope, kind, &id.to_string(), detail, region.as_ref())
}

/// Checks where the event is held and by whom; returns the school's region. Callers limited
/// to some classes (head teachers) hold their own classes' events only.
fn check_place(conn: &mut Conn, scope: &Scope, input: &EventInput) -> StoreResult<String> {
    scope.require(may_write(scope.role), "group_event.edit")?;
    let school = crate::schools::get(conn, scope, input.school_id)?;
    match input.class_id {
        Some(class_id) => {
            let class = crate::classes::get(conn, scope, class_id).map_err(|e| match e {
                StoreError::NotFound => {
                    StoreError::invalid("class_id", "group_event.class_unknown")
                }
                other => other,
            })?;
            if class.class.school_id != input.school_id {
                return Err(StoreError::invalid("class_id", "group_event.class_unknown"));
            }
        }
        None if input.kind.needs_class() => {
            return Err(StoreError::invalid(
                "class_id",
                "group_event.class_required",
            ));
        }
        None if scope.classes.is_some() => {
            return Err(StoreError::Forbidden("group_event.school_wide"));
        }
        None => {}
    }
    check_event_date(input.date, today_shanghai())
        .map_err(|e| StoreError::invalid(e.field(), e.code()))?;
    Ok(school.region_code)
}

/// The attendees to store: those sent, each visible to the caller and on the school's roll,
/// plus any stored earlier that the caller cannot see (another class's pupils stay listed).
fn check_children(
    conn: &mut Conn,
    scope: &Scope,
    input: &EventInput,
    earlier: &[i64],
) -> StoreResult<Vec<i64>> {
    let sent: BTreeSet<i64> = input.children.iter().copied().collect();
    if sent.len() > MAX_CHILDREN {
        return Err(StoreError::invalid(
            "children",
            "group_event.too_many_children",
        ));
    }
    let ids: Vec<i64> = sent.iter().copied().collect();
    let rows = child_rows(conn, &ids)?;
    if rows.len() != ids.len() || rows.iter().any(|c| !sees(scope, c)) {
        return Err(StoreError::invalid("children", "group_event.child_unknown"));
    }
    if rows.iter().any(|c| c.1 != input.school_id) {
        return Err(StoreError::invalid(
            "children",
            "group_event.child_other_school",
        ));
    }
    let mut keep = sent;
    for c in child_rows(conn, earlier)? {
        if !sees(scope, &c) {
            keep.insert(c.0);
        }
    }
    Ok(keep.into_iter().collect())
}

fn set_children(conn: &mut Conn, id: i64, ids: &[i64]) -> StoreResult<()> {
    diesel::delete(group_event_children::table.filter(group_event_children::event_id.eq(id)))
        .execute(conn)?;
    for chunk in ids.chunks(500) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|c| {
                (
                    group_event_children::event_id.eq(id),
                    group_event_children::child_id.eq(*c),
                )
            })
            .collect();
        let insert = diesel::insert_into(group_event_children::table).values(rows);
        on_inner!(conn, |c| insert.execute(c))?;
    }
    Ok(())
}

/// Tells the duty engine the school's (and the class's) evidence of this kind changed.
fn evidence(
    conn: &mut Conn,
    school_id: i64,
    class_id: Option<i64>,
    kind: &str,
    date: NaiveDate,
) -> StoreResult<()> {
    duties::evidence_changed(conn, Subject::School(school_id), kind, date)?;
    if let Some(class_id) = class_id {
        duties::evidence_changed(conn, Subject::Class(class_id), kind, date)?;
    }
    Ok(())
}

fn detail(kind: &str, date: &str) -> String {
    format!("{kind} {date}")
}

/// A school's events in the caller's reach, newest first; no minutes are opened.
pub fn list(
    conn: &mut Conn,
    scope: &Scope,
    school_id: i64,
    filter: &EventFilter,
) -> StoreResult<Vec<EventSummary>> {
    crate::schools::get(conn, scope, school_id)?;
    if !may_read(scope) {
        return Ok(Vec::new());
    }
    let mut query = group_events::table
        .filter(group_events::school_id.eq(school_id))
        .filter(group_events::deleted_at.is_null())
        .select(Row::as_select())
        .into_boxed();
    if let Some(allowed) = &scope.classes {
        query = query.filter(
            group_events::class_id
                .is_null()
                .or(group_events::class_id.eq_any(allowed.clone())),
        );
    }
    if let Some(class_id) = filter.class_id {
        query = query.filter(group_events::class_id.eq(class_id));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(group_events::kind.eq(kind.code()));
    }
    if let Some(from) = filter.from {
        query = query.filter(group_events::event_date.ge(from.to_string()));
    }
    if let Some(to) = filter.to {
        query = query.filter(group_events::event_date.le(to.to_string()));
    }
    let rows: Vec<Row> = query
        .order((group_events::event_date.desc(), group_events::id.desc()))
        .limit(filter.limit.unwrap_or(200).clamp(1, LIST_MAX))
        .load(conn)?;
    rows.iter().map(|row| summary(conn, row)).collect()
}

/// Opens an event with its minutes; every opening is audit-logged.
pub fn get(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    id: i64,
) -> StoreResult<EventRecord> {
    let row = load(conn, scope, id)?;
    audit_event(
        conn,
        scope,
        "group_event.view",
        id,
        &row.school_region,
        &detail(&row.kind, &row.event_date),
    )?;
    record(conn, scope, key, &row)
}

/// Records an event. `submit_key` (a form's one-time token, an API idempotency key) makes a
/// request sent twice save once: the second answers the first's event.
pub fn create(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    input: &EventInput,
    submit_key: Option<&str>,
) -> StoreResult<EventRecord> {
    conn.transaction(|conn| {
        if let Some(sk) = submit_key {
            let earlier: Option<i64> = group_events::table
                .filter(group_events::submit_key.eq(sk))
                .select(group_events::id)
                .first(conn)
                .optional()?;
            if let Some(id) = earlier {
                let row = load(conn, scope, id)?;
                return record(conn, scope, key, &row);
            }
        }
        let region = check_place(conn, scope, input)?;
        let attending = check_children(conn, scope, input, &[])?;
        let now = clock::now_ms();
        let today = today_shanghai().to_string();
        let insert = diesel::insert_into(group_events::table)
            .values((
                group_events::school_id.eq(input.school_id),
                group_events::school_region.eq(&region),
                group_events::class_id.eq(input.class_id),
                group_events::kind.eq(input.kind.code()),
                group_events::event_date.eq(input.date.to_string()),
                group_events::entered_on.eq(&today),
                group_events::title.eq(&input.title),
                group_events::body_sealed.eq(seal(key, &input.body)?),
                group_events::author_id.eq(scope.actor.id()),
                group_events::author_name.eq(scope.actor.name()),
                group_events::submit_key.eq(submit_key),
                group_events::created_at.eq(now),
                group_events::updated_at.eq(now),
            ))
            .returning(group_events::id);
        let id: i64 = on_inner!(conn, |c| insert.get_result(c))?;
        set_children(conn, id, &attending)?;
        evidence(
            conn,
            input.school_id,
            input.class_id,
            input.kind.code(),
            input.date,
        )?;
        let row = load(conn, scope, id)?;
        audit_event(
            conn,
            scope,
            "group_event.create",
            id,
            &region,
            &detail(&row.kind, &row.event_date),
        )?;
        record(conn, scope, key, &row)
    })
}

/// The writer checks for an existing event: in reach, and a role that may change it.
fn load_for_write(conn: &mut Conn, scope: &Scope, id: i64, version: i32) -> StoreResult<Row> {
    let row = load(conn, scope, id)?;
    scope.require(may_write(scope.role), "group_event.edit")?;
    if row.class_id.is_none() && scope.classes.is_some() {
        return Err(StoreError::Forbidden("group_event.school_wide"));
    }
    if row.version != version {
        return Err(StoreError::Conflict {
            expected: version,
            current: row.version,
        });
    }
    Ok(row)
}

/// Saves `input` over the event if nobody changed it since `version` was read. The school
/// stays; the class, kind, date, title, minutes and attendees may change.
pub fn update(
    conn: &mut Conn,
    scope: &Scope,
    key: &DeploymentKey,
    id: i64,
    version: i32,
    input: &EventInput,
) -> StoreResult<EventRecord> {
    conn.transaction(|conn| {
        let row = load_for_write(conn, scope, id, version)?;
        if input.school_id != row.school_id {
            return Err(StoreError::invalid("school_id", "group_event.school_fixed"));
        }
        let region = check_place(conn, scope, input)?;
        let earlier: Vec<i64> = group_event_children::table
            .filter(group_event_children::event_id.eq(id))
            .select(group_event_children::child_id)
            .load(conn)?;
        let attending = check_children(conn, scope, input, &earlier)?;
        diesel::update(
            group_events::table
                .find(id)
                .filter(group_events::version.eq(version)),
        )
        .set((
            group_events::class_id.eq(input.class_id),
            group_events::kind.eq(input.kind.code()),
            group_events::event_date.eq(input.date.to_string()),
            group_events::title.eq(&input.title),
            group_events::body_sealed.eq(seal(key, &input.body)?),
            group_events::version.eq(version + 1),
            group_events::updated_at.eq(clock::now_ms()),
        ))
        .execute(conn)?;
        set_children(conn, id, &attending)?;
        // The old kind and date may have lost their evidence, the new ones gained it.
        evidence(
            conn,
            row.school_id,
            row.class_id,
            &row.kind,
            parse_date(&row.event_date)?,
        )?;
        evidence(
            conn,
            input.school_id,
            input.class_id,
            input.kind.code(),
            input.date,
        )?;
        let row = load(conn, scope, id)?;
        audit_event(
            conn,
            scope,
            "group_event.update",
            id,
            &region,
            &detail(&row.kind, &row.event_date),
        )?;
        record(conn, scope, key, &row)
    })
}

/// Marks the event deleted (it stays for the audit trail) if nobody changed it since `version`;
/// answers the school it belonged to.
pub fn delete(conn: &mut Conn, scope: &Scope, id: i64, version: i32) -> StoreResult<i64> {
    conn.transaction(|conn| {
        let row = load_for_write(conn, scope, id, version)?;
        diesel::update(
            group_events::table
                .find(id)
                .filter(group_events::version.eq(version)),
        )
        .set((
            group_events::deleted_at.eq(Some(clock::now_ms())),
            group_events::version.eq(version + 1),
        ))
        .execute(conn)?;
        evidence(
            conn,
            row.school_id,
            row.class_id,
            &row.kind,
            parse_date(&row.event_date)?,
        )?;
        audit_event(
            conn,
            scope,
            "group_event.delete",
            id,
            &row.school_region,
            &detail(&row.kind, &row.event_date),
        )?;
        Ok(row.school_id)
    })
}

fn on_roll() -> Vec<&'static str> {
    SchoolingStatus::ALL
        .into_iter()
        .filter(|s| s.on_roll())
        .map(SchoolingStatus::code)
        .collect()
}

/// Children on a school's roll (or one class's) the caller may pick as attendees, by class and pinyin.
pub fn candidates(
    conn: &mut Conn,
    scope: &Scope,
    school_id: i64,
    class_id: Option<i64>,
) -> StoreResult<Vec<Attendee>> {
    crate::schools::get(conn, scope, school_id)?;
    let mut query = children::table
        .left_join(classes::table)
        .inner_join(schools::table)
        .filter(children::school_id.eq(school_id))
        .filter(children::schooling.eq_any(on_roll()))
        .select((
            children::id,
            children::school_id,
            children::class_id,
            children::school_region,
            children::residence_region,
            children::name,
            classes::name.nullable(),
        ))
        .into_boxed();
    if let Some(class_id) = class_id {
        query = query.filter(children::class_id.eq(class_id));
    }
    let rows: Vec<ChildRow> = query
        .order((
            classes::grade.nullable(),
            classes::name.nullable(),
            children::name_pinyin,
            children::id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|c| sees(scope, c))
        .map(|c| Attendee {
            id: c.0,
            name: c.5,
            class_name: c.6,
        })
        .collect())
}
