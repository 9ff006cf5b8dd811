//! Hand-over (移交) of a migrant child's persuasion case to the hukou county: the owning side
//! asks, the receiving county's bureau accepts or declines. The case row, its attempts and its
//! history stay as they are; only `owner_region` moves, and only on acceptance, so the case has
//! exactly one owner at every moment. Each step is audited.

use diesel::prelude::*;
use serde::Serialize;
use shouhu_domain::{RegionCode, RegionLevel, Role};

use super::cases::{CaseHead, text};
use super::county_of;
use crate::schema::{case_handovers, children, dropout_cases, regions, schools, users};
use crate::{Conn, Scope, StoreError, StoreResult, audit, clock};

/// A hand-over request as lists show it.
#[derive(Clone, Debug, Serialize)]
pub struct Handover {
    pub id: i64,
    pub case_id: i64,
    pub child_id: i64,
    pub child_name: String,
    pub school_name: String,
    pub from_region: String,
    pub from_name: String,
    pub to_region: String,
    pub to_name: String,
    pub note: Option<String>,
    pub requested_by: String,
    pub requested_at: i64,
    pub answered_by: Option<String>,
    pub answered_at: Option<i64>,
    /// `None` while pending.
    pub accepted: Option<bool>,
}

impl Handover {
    pub fn is_pending(&self) -> bool {
        self.answered_at.is_none()
    }
}

#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = case_handovers)]
struct Row {
    id: i64,
    case_id: i64,
    from_region: String,
    to_region: String,
    note: Option<String>,
    requested_by: i64,
    requested_at: i64,
    answered_by: Option<i64>,
    answered_at: Option<i64>,
    accepted: Option<bool>,
}

fn region_name(conn: &mut Conn, code: &str) -> StoreResult<String> {
    Ok(regions::table
        .find(code)
        .select(regions::name)
        .first::<String>(conn)
        .optional()?
        .unwrap_or_else(|| code.to_owned()))
}

fn user_name(conn: &mut Conn, id: i64) -> StoreResult<String> {
    Ok(users::table
        .find(id)
        .select(users::display_name)
        .first::<String>(conn)
        .optional()?
        .unwrap_or_default())
}

fn case_head(conn: &mut Conn, case_id: i64) -> StoreResult<CaseHead> {
    dropout_cases::table
        .find(case_id)
        .select(CaseHead::as_select())
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound)
}

fn view(conn: &mut Conn, row: Row) -> StoreResult<Handover> {
    let case = case_head(conn, row.case_id)?;
    let child_name: String = children::table
        .find(case.child_id)
        .select(children::name)
        .first(conn)?;
    let school_name: String = schools::table
        .find(case.school_id)
        .select(schools::name)
        .first(conn)?;
    let from_name = region_name(conn, &row.from_region)?;
    let to_name = region_name(conn, &row.to_region)?;
    let requested_by = user_name(conn, row.requested_by)?;
    let answered_by = match row.answered_by {
        Some(id) => Some(user_name(conn, id)?),
        None => None,
    };
    Ok(Handover {
        id: row.id,
        case_id: row.case_id,
        child_id: case.child_id,
        child_name,
        school_name,
        from_region: row.from_region,
        from_name,
        to_region: row.to_region,
        to_name,
        note: row.note,
        requested_by,
        requested_at: row.requested_at,
        answered_by,
        answered_at: row.answered_at,
        accepted: row.accepted,
    })
}

fn views(conn: &mut Conn, rows: Vec<Row>) -> StoreResult<Vec<Handover>> {
    rows.into_iter().map(|r| view(conn, r)).collect()
}

/// The case as its school or its owning county sees it (the rule of the case pages).
fn sees_case(scope: &Scope, case: &CaseHead) -> bool {
    let at_school = RegionCode::parse(&case.school_region)
        .is_ok_and(|r| scope.covers_school(case.school_id, &r));
    let owner = scope.school.is_none()
        && RegionCode::parse(&case.owner_region).is_ok_and(|r| scope.covers_region(&r));
    at_school || owner
}

/// Whether the caller speaks for the case's owner: the bureau (or an administrator) over the
/// owning county, or the principal of the school while the school's own county owns it.
fn owner_side(scope: &Scope, case: &CaseHead) -> bool {
    let owner = RegionCode::parse(&case.owner_region);
    match scope.role {
        Role::SystemAdmin | Role::Bureau => {
            scope.school.is_none() && owner.is_ok_and(|r| scope.covers_region(&r))
        }
        Role::Principal => {
            scope.school == Some(case.school_id)
                && case.owner_region == county_of(&case.school_region)
        }
        _ => false,
    }
}

fn answers_for(scope: &Scope, to_region: &str) -> bool {
    matches!(scope.role, Role::SystemAdmin | Role::Bureau)
        && scope.school.is_none()
        && RegionCode::parse(to_region).is_ok_and(|r| scope.covers_region(&r))
}

fn pending_of(conn: &mut Conn, case_id: i64) -> StoreResult<Option<Row>> {
    Ok(case_handovers::table
        .filter(case_handovers::case_id.eq(case_id))
        .filter(case_handovers::answered_at.is_null())
        .select(Row::as_select())
        .first(conn)
        .optional()?)
}

/// Asks `to_county` (the child's hukou county, or any existing county) to take an open case
/// over. Refused while another request is pending or when the county already owns it; the
/// same request sent twice by the same person answers the first.
pub fn request_handover(
    conn: &mut Conn,
    scope: &Scope,
    case_id: i64,
    to_county: &RegionCode,
    note: &str,
) -> StoreResult<Handover> {
    scope.require(
        matches!(
            scope.role,
            Role::SystemAdmin | Role::Bureau | Role::Principal
        ),
        "dropout.handover",
    )?;
    let note = text("note", note, false, 500)?;
    let Some(user) = scope.actor.id() else {
        return Err(StoreError::Forbidden("dropout.handover"));
    };
    crate::transaction(conn, |conn| {
        let case = case_head(conn, case_id)?;
        if !sees_case(scope, &case) {
            return Err(StoreError::NotFound);
        }
        scope.require(owner_side(scope, &case), "dropout.handover")?;
        if let Some(pending) = pending_of(conn, case_id)? {
            if pending.requested_by == user && pending.to_region == to_county.as_str() {
                return view(conn, pending);
            }
            return Err(StoreError::invalid("case", "dropout.handover_pending"));
        }
        if case.closed_on.is_some() {
            return Err(StoreError::invalid("case", "dropout.case_closed"));
        }
        let county: Option<String> = regions::table
            .find(to_county.as_str())
            .filter(regions::level.eq(RegionLevel::County.code()))
            .select(regions::code)
            .first(conn)
            .optional()?;
        if county.is_none() || to_county.level() != RegionLevel::County {
            return Err(StoreError::invalid("to_region", "dropout.handover_county"));
        }
        if case.owner_region == to_county.as_str() {
            return Err(StoreError::invalid("to_region", "dropout.handover_same"));
        }
        let id: i64 = diesel::insert_into(case_handovers::table)
            .values((
                case_handovers::case_id.eq(case_id),
                case_handovers::from_region.eq(&case.owner_region),
                case_handovers::to_region.eq(to_county.as_str()),
                case_handovers::note.eq(&note),
                case_handovers::requested_by.eq(user),
                case_handovers::requested_at.eq(clock::now_ms()),
            ))
            .returning(case_handovers::id)
            .get_result(conn)?;
        let region = RegionCode::parse(&case.school_region).ok();
        audit::record(
            conn,
            scope,
            "dropout.handover_request",
            &case_id.to_string(),
            &format!("{} → {}", case.owner_region, to_county.as_str()),
            region.as_ref(),
        )?;
        let row = case_handovers::table
            .find(id)
            .select(Row::as_select())
            .first(conn)?;
        view(conn, row)
    })
}

/// The receiving county's answer. Accepting moves the case's owner to that county; declining
/// leaves it where it was. Answering the same way twice answers the first.
pub fn answer_handover(
    conn: &mut Conn,
    scope: &Scope,
    handover_id: i64,
    accept: bool,
    note: &str,
) -> StoreResult<Handover> {
    scope.require(
        matches!(scope.role, Role::SystemAdmin | Role::Bureau),
        "dropout.handover_answer",
    )?;
    let note = text("note", note, false, 500)?;
    let Some(user) = scope.actor.id() else {
        return Err(StoreError::Forbidden("dropout.handover_answer"));
    };
    crate::transaction(conn, |conn| {
        let row: Row = case_handovers::table
            .find(handover_id)
            .select(Row::as_select())
            .first(conn)
            .optional()?
            .ok_or(StoreError::NotFound)?;
        if !answers_for(scope, &row.to_region) {
            return Err(StoreError::NotFound);
        }
        if row.answered_at.is_some() {
            if row.answered_by == Some(user) && row.accepted == Some(accept) {
                return view(conn, row);
            }
            return Err(StoreError::invalid("handover", "dropout.handover_answered"));
        }
        let now = clock::now_ms();
        let changed = diesel::update(
            case_handovers::table
                .find(handover_id)
                .filter(case_handovers::answered_at.is_null()),
        )
        .set((
            case_handovers::answered_by.eq(user),
            case_handovers::answered_at.eq(now),
            case_handovers::accepted.eq(accept),
        ))
        .execute(conn)?;
        if changed == 0 {
            return Err(StoreError::invalid("handover", "dropout.handover_answered"));
        }
        let case = case_head(conn, row.case_id)?;
        if accept {
            diesel::update(
                dropout_cases::table
                    .find(row.case_id)
                    .filter(dropout_cases::owner_region.eq(&row.from_region)),
            )
            .set((
                dropout_cases::owner_region.eq(&row.to_region),
                dropout_cases::version.eq(dropout_cases::version + 1),
                dropout_cases::updated_at.eq(now),
            ))
            .execute(conn)?;
            // The officers' rungs still to come are the new owner county's to climb.
            diesel::update(crate::schema::duties::table)
                .filter(
                    crate::schema::duties::period_key.like(format!("case-{}-step-%", row.case_id)),
                )
                .filter(crate::schema::duties::status.eq(shouhu_domain::DutyStatus::Open.code()))
                .filter(crate::schema::duties::responsible_role.eq_any([
                    shouhu_domain::Role::Bureau.code(),
                    shouhu_domain::Role::CivilAffairs.code(),
                ]))
                .set(crate::schema::duties::school_region.eq(&row.to_region))
                .execute(conn)?;
        }
        let region = RegionCode::parse(&case.school_region).ok();
        let (kind, verb) = if accept {
            ("dropout.handover_accept", "接收")
        } else {
            ("dropout.handover_decline", "不接收")
        };
        audit::record(
            conn,
            scope,
            kind,
            &row.case_id.to_string(),
            format!(
                "{} → {} {verb} {}",
                row.from_region,
                row.to_region,
                note.as_deref().unwrap_or("")
            )
            .trim(),
            region.as_ref(),
        )?;
        let row = case_handovers::table
            .find(handover_id)
            .select(Row::as_select())
            .first(conn)?;
        view(conn, row)
    })
}

/// Requests waiting for an answer from the caller's subtree, oldest first (bureau and
/// administrators; nobody else answers). The listing is audited.
pub fn pending_for(conn: &mut Conn, scope: &Scope) -> StoreResult<Vec<Handover>> {
    if !matches!(scope.role, Role::SystemAdmin | Role::Bureau) || scope.school.is_some() {
        return Ok(Vec::new());
    }
    let (low, high) = scope.region_bounds();
    let rows = case_handovers::table
        .filter(case_handovers::to_region.between(low, high))
        .filter(case_handovers::answered_at.is_null())
        .order(case_handovers::id)
        .limit(500)
        .select(Row::as_select())
        .load(conn)?;
    let list = views(conn, rows)?;
    if !list.is_empty() {
        audit::record(
            conn,
            scope,
            "dropout.handover_list",
            "pending",
            &format!("{} 条", list.len()),
            None,
        )?;
    }
    Ok(list)
}

/// Requests the caller's side sent (from their county, their school's cases, or by them),
/// newest first. The listing is audited.
pub fn outgoing_for(conn: &mut Conn, scope: &Scope) -> StoreResult<Vec<Handover>> {
    let Some(user) = scope.actor.id() else {
        return Ok(Vec::new());
    };
    if !matches!(
        scope.role,
        Role::SystemAdmin | Role::Bureau | Role::Principal
    ) {
        return Ok(Vec::new());
    }
    let (low, high) = scope.region_bounds();
    let mut query = case_handovers::table
        .inner_join(dropout_cases::table)
        .select(Row::as_select())
        .order(case_handovers::id.desc())
        .limit(200)
        .into_boxed();
    query = match scope.school {
        Some(school) => query.filter(
            dropout_cases::school_id
                .eq(school)
                .or(case_handovers::requested_by.eq(user)),
        ),
        None => query.filter(
            case_handovers::from_region
                .between(low, high)
                .or(case_handovers::requested_by.eq(user)),
        ),
    };
    let rows = query.load(conn)?;
    let list = views(conn, rows)?;
    if !list.is_empty() {
        audit::record(
            conn,
            scope,
            "dropout.handover_list",
            "outgoing",
            &format!("{} 条", list.len()),
            None,
        )?;
    }
    Ok(list)
}

/// Every request about one case, oldest first: for those who see the case, and for the
/// county a request was addressed to.
pub fn handovers_of(conn: &mut Conn, scope: &Scope, case_id: i64) -> StoreResult<Vec<Handover>> {
    let case = case_head(conn, case_id)?;
    let rows: Vec<Row> = case_handovers::table
        .filter(case_handovers::case_id.eq(case_id))
        .order(case_handovers::id)
        .select(Row::as_select())
        .load(conn)?;
    let addressed = rows.iter().any(|r| answers_for(scope, &r.to_region));
    if !sees_case(scope, &case) && !addressed {
        return Err(StoreError::NotFound);
    }
    let list = views(conn, rows)?;
    let region = RegionCode::parse(&case.school_region).ok();
    audit::record(
        conn,
        scope,
        "dropout.handover_list",
        &case_id.to_string(),
        &format!("{} 条", list.len()),
        region.as_ref(),
    )?;
    Ok(list)
}

/// The case a request form is about, if the caller may ask to hand it over.
pub fn case_for_handover(
    conn: &mut Conn,
    scope: &Scope,
    case_id: i64,
) -> StoreResult<(CaseHead, String)> {
    let case = case_head(conn, case_id)?;
    if !sees_case(scope, &case) {
        return Err(StoreError::NotFound);
    }
    scope.require(owner_side(scope, &case), "dropout.handover")?;
    let child_name: String = children::table
        .find(case.child_id)
        .select(children::name)
        .first(conn)?;
    let region = RegionCode::parse(&case.school_region).ok();
    audit::record(
        conn,
        scope,
        "dropout.handover_form",
        &case_id.to_string(),
        "",
        region.as_ref(),
    )?;
    Ok((case, child_name))
}

/// The county of the child's residence (户籍), to suggest as the receiving county.
pub fn hukou_county_of(conn: &mut Conn, child_id: i64) -> StoreResult<Option<String>> {
    let residence: Option<String> = children::table
        .find(child_id)
        .select(children::residence_region)
        .first(conn)
        .optional()?;
    Ok(residence.map(|r| county_of(&r)))
}
